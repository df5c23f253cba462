"""The new key's form: name, scopes (grouped by resource), expiry.

:class:`KeyForm` is used by "Create API key" and by the rotation's first step (pre-filled
from the old key); it validates as the person types and shows the server's field errors
next to the field they name. Nothing typed is lost on an error: the form is only made
read-only while a request runs. A name already used by one of the person's active keys
gets a warning as it is typed (not an error: the API allows it, but the revoke
confirmation asks for the name, which two keys then share).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QSize, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.scopes import RESOURCES, SCOPES_BY_NAME
from twinedge_desktop.timefmt import Clock, utc_now
from twinedge_desktop.ui.common.inline_message import InlineMessage

NAME_MAX = 64
EXPIRY_PRESETS = (30, 60, 90)
DEFAULT_EXPIRY_DAYS = 90  # the product page: "Rotate keys every 90 days"
ADMIN_WARNING = (
    "admin gives this key full access to your organisation, including managing other keys. "
    "Prefer the narrowest scopes that work."
)
NEVER_WARNING = (
    "A key that never expires stays valid until someone revokes it. "
    "TwinEdge recommends rotating keys every 90 days."
)


class ChoiceBox(QComboBox):
    """A combo box at least as wide as its longest choice. The app's style sheet pads the
    field, and QComboBox's own size hint then leaves the longest text a few pixels short."""

    def _text_width(self) -> int:
        metrics = self.fontMetrics()
        widest = max(
            (metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0
        )
        return widest + 40  # the padding and the arrow

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())


@dataclass(frozen=True)
class KeyDraft:
    """What the form describes: a key to create."""

    name: str
    scopes: tuple[str, ...]
    expires_at: datetime | None


def grantable_scopes(session_scopes: Iterable[str] | None) -> set[str] | None:
    """The scopes the signed-in person may put on a key; None means "no restriction known".

    The server accepts a subset of the caller's own scopes, or anything for ``admin``.
    """
    if session_scopes is None:
        return None
    owned = set(session_scopes)
    if "admin" in owned:
        return set(SCOPES_BY_NAME)
    return owned


def lifetime_days(key: ApiKey) -> int | None:
    """The old key's lifetime in whole days (its expiry policy), None if it never expired."""
    if key.expires_at is None:
        return None
    return max(1, round((key.expires_at - key.created_at).total_seconds() / 86400))


class KeyForm(QWidget):
    """Name, scopes checklist (grouped by resource) and expiry.

    Signals:
        changed(): any input changed (the dialog re-evaluates its Create button).
    """

    changed = Signal()

    def __init__(
        self,
        session_scopes: Sequence[str] | None,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
        existing_names: Collection[str] = (),
    ) -> None:
        """``existing_names``: the names of the person's active keys (any case)."""
        super().__init__(parent)
        self._clock = clock
        self._grantable = grantable_scopes(session_scopes)
        self._name_touched = False
        self._existing = {name.strip().casefold() for name in existing_names}

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Line 3 telemetry collector")
        self.name_edit.setAccessibleName("Key name")
        self.name_edit.setAccessibleDescription(f"1 to {NAME_MAX} characters")
        self.name_error = InlineMessage("error")
        self.name_error.setObjectName("nameError")
        self.duplicate_warning = InlineMessage("warning")
        self.duplicate_warning.setObjectName("duplicateNameWarning")
        self.name_count = QLabel()
        self.name_count.setForegroundRole(self.name_count.foregroundRole().PlaceholderText)

        self.scope_boxes: dict[str, QCheckBox] = {}
        scopes_group = QGroupBox("Scopes")
        scopes_group.setAccessibleName("Scopes")
        grid = QGridLayout(scopes_group)
        grid.addWidget(QLabel("<b>Resource</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Read</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Write</b>"), 0, 2)
        for row, resource in enumerate(RESOURCES, start=1):
            grid.addWidget(QLabel(resource.capitalize()), row, 0)
            for column, access in ((1, "read"), (2, "write")):
                name = f"{access}:{resource}"
                box = self._scope_box(name, access)
                grid.addWidget(box, row, column)
        admin_row = len(RESOURCES) + 1
        grid.addWidget(QLabel("Everything"), admin_row, 0)
        grid.addWidget(self._scope_box("admin", "admin"), admin_row, 1, 1, 2)
        self.admin_warning = InlineMessage("warning")
        self.admin_warning.setObjectName("adminWarning")
        grid.addWidget(self.admin_warning, admin_row + 1, 0, 1, 3)
        self.restricted_note = QLabel()
        self.restricted_note.setWordWrap(True)
        self.restricted_note.setForegroundRole(
            self.restricted_note.foregroundRole().PlaceholderText
        )
        grid.addWidget(self.restricted_note, admin_row + 2, 0, 1, 3)
        self.scopes_error = InlineMessage("error")
        self.scopes_error.setObjectName("scopesError")
        grid.addWidget(self.scopes_error, admin_row + 3, 0, 1, 3)
        disabled = [n for n, box in self.scope_boxes.items() if not box.isEnabled()]
        if disabled:
            self.restricted_note.setText(
                "Greyed-out scopes are not yours to give: a key can only have scopes "
                "your own account has (or any scope, for admins)."
            )
        else:
            self.restricted_note.hide()

        self.expiry_combo = ChoiceBox()
        self.expiry_combo.setAccessibleName("Expiry")
        for days in EXPIRY_PRESETS:
            label = f"{days} days" + (" (recommended)" if days == DEFAULT_EXPIRY_DAYS else "")
            self.expiry_combo.addItem(label, days)
        self.expiry_combo.addItem("Custom date…", "custom")
        self.expiry_combo.addItem("Never", "never")
        self.expiry_combo.setCurrentIndex(self.expiry_combo.findData(DEFAULT_EXPIRY_DAYS))
        self.expiry_date = QDateEdit()
        self.expiry_date.setCalendarPopup(True)
        self.expiry_date.setDisplayFormat("yyyy-MM-dd")
        self.expiry_date.setAccessibleName("Custom expiry date")
        today = self._today()
        self.expiry_date.setMinimumDate(today.addDays(1))
        self.expiry_date.setDate(today.addDays(DEFAULT_EXPIRY_DAYS))
        self.expiry_date.setEnabled(False)
        self.expiry_hint = QLabel()
        self.expiry_hint.setForegroundRole(self.expiry_hint.foregroundRole().PlaceholderText)
        self.never_warning = InlineMessage("warning")
        self.never_warning.setObjectName("neverWarning")
        self.expiry_error = InlineMessage("error")
        self.expiry_error.setObjectName("expiryError")

        name_row = QVBoxLayout()
        name_line = QHBoxLayout()
        name_line.addWidget(self.name_edit, 1)
        name_line.addWidget(self.name_count)
        name_row.addLayout(name_line)
        name_row.addWidget(self.name_error)
        name_row.addWidget(self.duplicate_warning)
        expiry_row = QVBoxLayout()
        expiry_line = QHBoxLayout()
        expiry_line.addWidget(self.expiry_combo)
        expiry_line.addWidget(self.expiry_date)
        expiry_line.addWidget(self.expiry_hint, 1)
        expiry_row.addLayout(expiry_line)
        expiry_row.addWidget(self.never_warning)
        expiry_row.addWidget(self.expiry_error)

        form = QFormLayout()
        name_label = QLabel("&Name:")
        name_label.setBuddy(self.name_edit)
        form.addRow(name_label, name_row)
        expiry_label = QLabel("&Expires:")
        expiry_label.setBuddy(self.expiry_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(scopes_group)
        expiry_form = QFormLayout()
        expiry_form.addRow(expiry_label, expiry_row)
        layout.addLayout(expiry_form)

        self.name_edit.textChanged.connect(self._name_changed)
        self.expiry_combo.currentIndexChanged.connect(self._expiry_changed)
        self.expiry_date.dateChanged.connect(self._expiry_changed)
        self._name_changed(self.name_edit.text())
        self._expiry_changed()

    # -- building ------------------------------------------------------------------------

    def _scope_box(self, name: str, label: str) -> QCheckBox:
        scope = SCOPES_BY_NAME[name]
        box = QCheckBox(name if name == "admin" else label)
        box.setObjectName(f"scope:{name}")
        box.setAccessibleName(f"Scope {name}")
        reason = self.restriction_reason(name)
        if reason:
            box.setEnabled(False)
            box.setToolTip(reason)
            box.setAccessibleDescription(reason)
        else:
            box.setToolTip(f"{name}: {scope.description}")
            box.setAccessibleDescription(scope.description)
        box.toggled.connect(self._scopes_changed)
        self.scope_boxes[name] = box
        return box

    def restriction_reason(self, scope: str) -> str | None:
        """Why the signed-in person cannot grant ``scope``, or None if they can."""
        if self._grantable is None or scope in self._grantable:
            return None
        return f"You cannot grant {scope}: your account does not have it."

    # -- reading and writing -------------------------------------------------------------

    def name(self) -> str:
        return self.name_edit.text().strip()

    def selected_scopes(self) -> tuple[str, ...]:
        return tuple(n for n, box in self.scope_boxes.items() if box.isChecked())

    def expires_at(self) -> datetime | None:
        choice = self.expiry_combo.currentData()
        now = self._clock()
        if choice == "never":
            return None
        if choice == "custom":
            # The end of the chosen day, in the person's time zone.
            chosen = self.expiry_date.date()
            local_end = datetime(chosen.year(), chosen.month(), chosen.day(), 23, 59, 59)
            return local_end.astimezone().astimezone(UTC)
        return now + timedelta(days=int(choice))

    def draft(self) -> KeyDraft:
        return KeyDraft(self.name(), self.selected_scopes(), self.expires_at())

    def signature(self) -> tuple[object, ...]:
        """What the person chose (not the computed expiry instant, which moves with the clock)."""
        return (
            self.name(),
            self.selected_scopes(),
            self.expiry_combo.currentData(),
            self.expiry_date.date().toString("yyyy-MM-dd"),
        )

    def name_problem(self) -> str | None:
        name = self.name()
        if not name:
            return "Give the key a name, so you can tell it apart later."
        if len(name) > NAME_MAX:
            return f"The name is {len(name)} characters; the limit is {NAME_MAX}."
        return None

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        name = self.name_problem()
        if name:
            found["name"] = name
        if not self.selected_scopes():
            found["scopes"] = "Choose at least one scope."
        expires = self.expires_at()
        if expires is not None and expires <= self._clock():
            found["expires_at"] = "The expiry date must be in the future."
        return found

    def is_valid(self) -> bool:
        return not self.problems()

    def show_problems(self) -> bool:
        """Show every problem inline (also for untouched fields); True if there were none."""
        self._name_touched = True
        found = self.problems()
        self.name_error.show_message(found.get("name", ""))
        self.scopes_error.show_message(found.get("scopes", ""))
        self.expiry_error.show_message(found.get("expires_at", ""))
        first = next(iter(found), None)
        if first == "name":
            self.name_edit.setFocus()
        return not found

    def set_field_error(self, field: str | None, text: str) -> bool:
        """Show a server's validation message next to ``field``; False if no such field."""
        target = {
            "name": self.name_error,
            "scopes": self.scopes_error,
            "expires_at": self.expiry_error,
            "expiry": self.expiry_error,
        }.get(field or "")
        if target is None:
            return False
        target.show_message(text)
        if target is self.name_error:
            self.name_edit.setFocus()
        return True

    def prefill(self, name: str, scopes: Iterable[str], expiry_days: int | None) -> None:
        """Fill from an existing key (rotation): same scopes and the same expiry policy."""
        self.name_edit.setText(name)
        wanted = set(scopes)
        for scope, box in self.scope_boxes.items():
            box.setChecked(scope in wanted)
        if expiry_days is None:
            self.expiry_combo.setCurrentIndex(self.expiry_combo.findData("never"))
        elif expiry_days in EXPIRY_PRESETS:
            self.expiry_combo.setCurrentIndex(self.expiry_combo.findData(expiry_days))
        else:
            self.expiry_combo.setCurrentIndex(self.expiry_combo.findData("custom"))
            self.expiry_date.setDate(self._today().addDays(expiry_days))

    def set_inputs_enabled(self, enabled: bool) -> None:
        self.name_edit.setReadOnly(not enabled)
        self.expiry_combo.setEnabled(enabled)
        self.expiry_date.setEnabled(enabled and self.expiry_combo.currentData() == "custom")
        for scope, box in self.scope_boxes.items():
            box.setEnabled(enabled and self.restriction_reason(scope) is None)

    # -- reactions -----------------------------------------------------------------------

    def _today(self) -> QDate:
        local = self._clock().astimezone()
        return QDate(local.year, local.month, local.day)

    def _name_changed(self, text: str) -> None:
        if text:
            self._name_touched = True
        length = len(text.strip())
        self.name_count.setText(f"{length}/{NAME_MAX}")
        # Validate as the person types, but do not scold an empty field before they start.
        problem = self.name_problem() if self._name_touched else None
        self.name_error.show_message(problem or "")
        self.duplicate_warning.show_message(self.duplicate_text())
        self.changed.emit()

    def duplicate_text(self) -> str:
        """The warning for a name one of the person's active keys already has ("" if none)."""
        name = self.name()
        if not name or name.casefold() not in self._existing:
            return ""
        return (
            f"You already have an active key named “{name}”. A different name tells them "
            "apart: revoking a key asks for its name."
        )

    def _scopes_changed(self, _checked: bool = False) -> None:
        self.admin_warning.show_message(
            ADMIN_WARNING if self.scope_boxes["admin"].isChecked() else ""
        )
        if self.selected_scopes():
            self.scopes_error.clear_message()
        self.changed.emit()

    def _expiry_changed(self, *_args: Any) -> None:
        choice = self.expiry_combo.currentData()
        self.expiry_date.setEnabled(choice == "custom" and self.expiry_combo.isEnabled())
        self.expiry_date.setVisible(choice == "custom")
        self.never_warning.show_message(NEVER_WARNING if choice == "never" else "")
        expires = self.expires_at()
        self.expiry_hint.setText(
            f"until {expires.astimezone().strftime('%Y-%m-%d')}" if expires else ""
        )
        self.expiry_error.clear_message()
        self.changed.emit()
