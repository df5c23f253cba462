"""The application form: name, type, redirect URIs and scopes, checked as the person types.

:class:`AppForm` is the body of "Register application" and of "Edit application" (where
the type is fixed: the API cannot change it). Every check is the server's own, from
``twinedge_desktop.oauth_apps_rules`` (the sandbox enforces the same functions), so the
form never accepts what the server refuses, and says why next to the field:

- the name: 1–100 visible characters, one line, no bidirectional controls;
- the redirect URIs, one per line: each refused line is named with its reason and tinted;
  the list as a whole (none, more than ten, any at all for a service) below it;
- the scopes: only those the signed-in person may grant are enabled (a scope outside
  theirs is greyed out with the reason), at least one.

A 422 from the server lands on the field it names (:meth:`AppForm.set_field_error`),
and nothing typed is lost: the form is only made read-only while a request runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.apps import OAuthApp
from twinedge_desktop.oauth_apps_rules import (
    MAX_NAME_LENGTH,
    MAX_REDIRECT_URIS,
    ApplicationType,
    RedirectUriCheck,
    check_redirect_uris,
    name_problem,
    normalized_name,
    scopes_beyond,
    scopes_problem,
)
from twinedge_desktop.scopes import RESOURCES, SCOPES_BY_NAME
from twinedge_desktop.ui.apps.model import TYPE_EXPLANATION
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import monospace_font, tone

# The keyboard mnemonic of each type's radio button (Alt+W, Alt+A, Alt+M, Alt+V).
TYPE_TEXT: dict[ApplicationType, str] = {
    ApplicationType.WEB: "&Web application",
    ApplicationType.SPA: "Single-page &app (SPA)",
    ApplicationType.NATIVE: "&Mobile or desktop",
    ApplicationType.SERVICE: "Ser&vice account",
}

URI_HINTS: dict[ApplicationType, str] = {
    ApplicationType.WEB: "One per line: https://…, or http:// on localhost, 127.0.0.1 or [::1]. "
    "Matched exactly.",
    ApplicationType.SPA: "One per line: https://…, or http:// on localhost, 127.0.0.1 or [::1]. "
    "Matched exactly.",
    ApplicationType.NATIVE: "One per line: http://127.0.0.1/… or http://[::1]/… (any port), "
    "com.example.app:/callback, or https://….",
    ApplicationType.SERVICE: "A service account signs in without a browser: no redirect URIs.",
}
ADMIN_WARNING = (
    "admin gives the application's tokens full access to your organisation. Prefer the "
    "narrowest scopes that work."
)
NARROWING_NOTE = "Removing a scope ends the application's tokens that carry it."
# Shown when a 403 names scopes the person lacks (the list was stale, or a role changed).
MISSING_SCOPES = "Your account lacks {scopes}, so the application cannot have {them}."


@dataclass(frozen=True)
class AppDraft:
    """What the form describes: an application to register (or the new values of one)."""

    name: str
    application_type: ApplicationType
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]


def grantable_scopes(holder_scopes: Iterable[str] | None) -> set[str] | None:
    """The scopes the signed-in person may give an application; None: not known (all offered).

    An application's scopes must be within its creator's, unless the creator is an admin.
    """
    if holder_scopes is None:
        return None
    held = tuple(holder_scopes)
    return {name for name in SCOPES_BY_NAME if not scopes_beyond((name,), held)}


def parse_uri_lines(text: str) -> tuple[str, ...]:
    """The redirect URIs of the editor: one per non-blank line, spaces at either end dropped."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


class RedirectUrisEditor(QPlainTextEdit):
    """One redirect URI per line; refused lines are tinted (the form says why, below).

    Tab moves the focus on (a URI never contains a tab), so the form works from the keyboard.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(monospace_font())
        lines = self.fontMetrics().lineSpacing()
        self.setMinimumHeight(lines * 3 + 12)
        self.setMaximumHeight(lines * 6 + 12)

    def uris(self) -> tuple[str, ...]:
        return parse_uri_lines(self.toPlainText())

    def mark_lines(self, bad_lines: Iterable[int]) -> None:
        """Tint the given (0-based) text lines as refused."""
        accent = tone(self.palette(), "error")
        wash = QColor(accent)
        wash.setAlpha(48)
        selections = []
        document = self.document()
        for number in sorted(set(bad_lines)):
            block = document.findBlockByNumber(number)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(wash)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(block)
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)


class ScopeChecklist(QGroupBox):
    """The scopes as a grid (resource × read/write, then admin), greyed out where the person
    may not grant them.

    Signals:
        changed(): a box was ticked or unticked.
    """

    changed = Signal()

    def __init__(
        self,
        grantable: set[str] | None,
        parent: QWidget | None = None,
        *,
        keep: Iterable[str] = (),
    ) -> None:
        """``keep``: scopes the application has already, which stay editable (removable)
        even when the person could not grant them today."""
        super().__init__("Scopes", parent)
        self.setAccessibleName("Scopes")
        self._grantable = grantable
        self._keep = set(keep)
        self.boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout(self)
        grid.addWidget(QLabel("<b>Resource</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Read</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Write</b>"), 0, 2)
        for row, resource in enumerate(RESOURCES, start=1):
            grid.addWidget(QLabel(resource.capitalize()), row, 0)
            for column, access in ((1, "read"), (2, "write")):
                grid.addWidget(self._box(f"{access}:{resource}", access), row, column)
        admin_row = len(RESOURCES) + 1
        grid.addWidget(QLabel("Everything"), admin_row, 0)
        grid.addWidget(self._box("admin", "admin"), admin_row, 1, 1, 2)
        self.restricted_note = QLabel(
            "Greyed-out scopes are not yours to give: an application's scopes must be within "
            "your own account's (any scope, for admins)."
        )
        self.restricted_note.setWordWrap(True)
        self.restricted_note.setForegroundRole(
            self.restricted_note.foregroundRole().PlaceholderText
        )
        grid.addWidget(self.restricted_note, admin_row + 1, 0, 1, 4)
        self.restricted_note.setVisible(any(not box.isEnabled() for box in self.boxes.values()))
        grid.setColumnStretch(3, 1)

    def _box(self, name: str, label: str) -> QCheckBox:
        box = QCheckBox(label)
        box.setObjectName(f"scope:{name}")
        box.setAccessibleName(f"Scope {name}")
        reason = self.restriction_reason(name)
        if reason:
            box.setEnabled(False)
            box.setToolTip(reason)
            box.setAccessibleDescription(reason)
        else:
            description = SCOPES_BY_NAME[name].description
            box.setToolTip(f"{name}: {description}")
            box.setAccessibleDescription(description)
        box.toggled.connect(self._toggled)
        self.boxes[name] = box
        return box

    def _toggled(self, _checked: bool) -> None:
        self.changed.emit()

    def restriction_reason(self, scope: str) -> str | None:
        """Why the person cannot give ``scope`` to an application, or None if they can."""
        if self._grantable is None or scope in self._grantable or scope in self._keep:
            return None
        return f"You cannot grant {scope}: your account does not have it."

    def selected(self) -> tuple[str, ...]:
        return tuple(name for name, box in self.boxes.items() if box.isChecked())

    def select(self, scopes: Iterable[str]) -> None:
        wanted = set(scopes)
        for name, box in self.boxes.items():
            box.setChecked(name in wanted)

    def set_inputs_enabled(self, enabled: bool) -> None:
        for name, box in self.boxes.items():
            box.setEnabled(enabled and self.restriction_reason(name) is None)


class AppForm(QWidget):
    """Name, type (register only), redirect URIs and scopes (see the module docstring).

    Signals:
        changed(): any input changed.
    """

    changed = Signal()

    def __init__(
        self,
        holder_scopes: Sequence[str] | None,
        parent: QWidget | None = None,
        *,
        app: OAuthApp | None = None,
    ) -> None:
        """``holder_scopes``: the signed-in person's scopes (what they may grant; None when
        not known). ``app``: edit this application (its type is fixed) instead of a new one."""
        super().__init__(parent)
        self._app = app
        self._name_touched = app is not None
        self._uris_touched = app is not None

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Plant dashboard")
        self.name_edit.setAccessibleName("Application name")
        self.name_edit.setAccessibleDescription(
            f"1 to {MAX_NAME_LENGTH} characters; people see it on the consent page"
        )
        self.name_count = QLabel()
        self.name_count.setForegroundRole(self.name_count.foregroundRole().PlaceholderText)
        self.name_error = InlineMessage("error")
        self.name_error.setObjectName("nameError")

        self.type_buttons: dict[ApplicationType, QRadioButton] = {}
        self.type_group = QButtonGroup(self)
        self.type_error = InlineMessage("error")
        self.type_error.setObjectName("typeError")
        type_box = QGroupBox("Type")
        type_box.setAccessibleName("Application type")
        type_grid = QGridLayout(type_box)
        type_grid.setColumnStretch(1, 1)
        if app is None:
            for row, kind in enumerate(ApplicationType):
                radio = QRadioButton(TYPE_TEXT[kind])
                radio.setObjectName(f"type:{kind.value}")
                radio.setAccessibleName(kind.label)
                radio.setAccessibleDescription(TYPE_EXPLANATION[kind])
                explanation = QLabel(TYPE_EXPLANATION[kind])
                explanation.setWordWrap(True)
                explanation.setForegroundRole(explanation.foregroundRole().PlaceholderText)
                self.type_group.addButton(radio)
                self.type_buttons[kind] = radio
                type_grid.addWidget(radio, row, 0, Qt.AlignmentFlag.AlignTop)
                type_grid.addWidget(explanation, row, 1)
            self.type_buttons[ApplicationType.WEB].setChecked(True)
        else:
            fixed = QLabel(
                f"<b>{app.application_type.label}</b>: {TYPE_EXPLANATION[app.application_type]}"
            )
            fixed.setWordWrap(True)
            fixed.setAccessibleName("Application type")
            type_grid.addWidget(fixed, 0, 0, 1, 2)
            note = QLabel("The type cannot be changed; register a new application instead.")
            note.setWordWrap(True)
            note.setForegroundRole(note.foregroundRole().PlaceholderText)
            type_grid.addWidget(note, 1, 0, 1, 2)
        type_grid.addWidget(self.type_error, len(ApplicationType), 0, 1, 2)

        self.uris_edit = RedirectUrisEditor()
        self.uris_edit.setObjectName("redirectUris")
        self.uris_edit.setAccessibleName("Redirect URIs, one per line")
        self.uris_edit.setPlaceholderText("https://app.example.com/callback")
        self.uris_hint = QLabel()
        self.uris_hint.setWordWrap(True)
        self.uris_hint.setForegroundRole(self.uris_hint.foregroundRole().PlaceholderText)
        self.uris_error = InlineMessage("error")
        self.uris_error.setObjectName("urisError")
        uris_box = QGroupBox("Redirect URIs")
        uris_box.setAccessibleName("Redirect URIs")
        uris_layout = QVBoxLayout(uris_box)
        uris_layout.addWidget(self.uris_edit)
        uris_layout.addWidget(self.uris_hint)
        uris_layout.addWidget(self.uris_error)
        self.uris_box = uris_box

        grantable = grantable_scopes(holder_scopes)
        self.scopes = ScopeChecklist(grantable, keep=app.scopes if app is not None else ())
        self.admin_warning = InlineMessage("warning")
        self.admin_warning.setObjectName("adminWarning")
        self.narrowing_note = InlineMessage("warning")
        self.narrowing_note.setObjectName("narrowingNote")
        self.scopes_error = InlineMessage("error")
        self.scopes_error.setObjectName("scopesError")

        name_line = QHBoxLayout()
        name_line.addWidget(self.name_edit, 1)
        name_line.addWidget(self.name_count)
        name_column = QVBoxLayout()
        name_column.addLayout(name_line)
        name_column.addWidget(self.name_error)
        form = QFormLayout()
        name_label = QLabel("&Name:")
        name_label.setBuddy(self.name_edit)
        form.addRow(name_label, name_column)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(type_box)
        layout.addWidget(uris_box)
        layout.addWidget(self.scopes)
        layout.addWidget(self.admin_warning)
        layout.addWidget(self.narrowing_note)
        layout.addWidget(self.scopes_error)

        if app is not None:
            self.name_edit.setText(app.name)
            self.uris_edit.setPlainText("\n".join(app.redirect_uris))
            self.scopes.select(app.scopes)
        self.name_edit.textChanged.connect(self._name_changed)
        self.uris_edit.textChanged.connect(self._uris_changed)
        self.type_group.buttonToggled.connect(self._type_changed)
        self.scopes.changed.connect(self._scopes_changed)
        self._name_changed(self.name_edit.text())
        self._type_changed()
        self._scopes_changed()

    # -- reading -------------------------------------------------------------------------

    @property
    def editing(self) -> OAuthApp | None:
        """The application being edited, or None for a new one."""
        return self._app

    def name(self) -> str:
        return normalized_name(self.name_edit.text())

    def application_type(self) -> ApplicationType:
        if self._app is not None:
            return self._app.application_type
        for kind, radio in self.type_buttons.items():
            if radio.isChecked():
                return kind
        return ApplicationType.WEB

    def redirect_uris(self) -> tuple[str, ...]:
        if not self.application_type().uses_redirect_uris:
            return ()
        return self.uris_edit.uris()

    def selected_scopes(self) -> tuple[str, ...]:
        return self.scopes.selected()

    def draft(self) -> AppDraft:
        return AppDraft(
            self.name(), self.application_type(), self.redirect_uris(), self.selected_scopes()
        )

    def uri_check(self) -> RedirectUriCheck:
        return check_redirect_uris(self.application_type(), self.redirect_uris())

    def problems(self) -> dict[str, str]:
        """Every problem the server would refuse, by the API's field name."""
        found: dict[str, str] = {}
        problem = name_problem(self.name_edit.text())
        if problem is not None:
            found["name"] = f"The name {problem}."
        uri_text = self._uri_problem_text(self.uri_check())
        if uri_text:
            found["redirect_uris"] = uri_text
        problem = scopes_problem(self.selected_scopes())
        if problem is not None:
            found["scopes"] = problem[0].upper() + problem[1:] + "."
        return found

    def is_valid(self) -> bool:
        return not self.problems()

    # -- showing problems ----------------------------------------------------------------

    def show_problems(self) -> bool:
        """Show every problem inline (untouched fields too); True when there is none."""
        self._name_touched = self._uris_touched = True
        found = self.problems()
        self.name_error.show_message(found.get("name", ""))
        self._show_uri_check(self.uri_check())
        self.scopes_error.show_message(found.get("scopes", ""))
        first = next(iter(found), None)
        if first == "name":
            self.name_edit.setFocus()
        elif first == "redirect_uris":
            self.uris_edit.setFocus()
        elif first == "scopes":
            first_box = next((b for b in self.scopes.boxes.values() if b.isEnabled()), None)
            if first_box is not None:
                first_box.setFocus()
        return not found

    def set_field_error(
        self, field: str | None, text: str, *, check: RedirectUriCheck | None = None
    ) -> bool:
        """Show a server's message under the field it names; False when no field here matches.

        ``check``: the shared rules' verdict on the URIs that were sent (an
        ``InvalidRedirectUris``), so the very lines at fault are tinted.
        """
        if field == "name":
            self.name_error.show_message(text)
            self.name_edit.setFocus()
            return True
        if field == "redirect_uris":
            if check is not None:
                self._mark(check)
            self.uris_error.show_message(text)
            self.uris_edit.setFocus()
            return True
        if field == "scopes":
            self.scopes_error.show_message(text)
            return True
        if field == "application_type":
            self.type_error.show_message(text)
            return True
        return False

    def show_missing_scopes(self, missing: Sequence[str]) -> None:
        """A 403 named the scopes the person lacks: say so under the scopes."""
        names = ", ".join(missing)
        them = "it" if len(missing) == 1 else "them"
        self.scopes_error.show_message(MISSING_SCOPES.format(scopes=names, them=them))

    def set_inputs_enabled(self, enabled: bool) -> None:
        self.name_edit.setReadOnly(not enabled)
        self.uris_edit.setReadOnly(not enabled)
        for radio in self.type_buttons.values():
            radio.setEnabled(enabled)
        self.scopes.set_inputs_enabled(enabled)

    # -- reactions -----------------------------------------------------------------------

    def _name_changed(self, text: str) -> None:
        if text:
            self._name_touched = True
        self.name_count.setText(f"{len(normalized_name(text))}/{MAX_NAME_LENGTH}")
        problem = name_problem(text) if self._name_touched else None
        self.name_error.show_message(f"The name {problem}." if problem else "")
        self.changed.emit()

    def _type_changed(self, *_args: object) -> None:
        kind = self.application_type()
        self.uris_hint.setText(URI_HINTS[kind])
        uses = kind.uses_redirect_uris
        self.uris_edit.setEnabled(uses)
        self.uris_edit.setVisible(uses)
        self.type_error.clear_message()
        self._show_uri_check(self.uri_check())
        self.changed.emit()

    def _uris_changed(self) -> None:
        if self.uris_edit.toPlainText().strip():
            self._uris_touched = True
        self._show_uri_check(self.uri_check())
        self.changed.emit()

    def _scopes_changed(self) -> None:
        selected = set(self.selected_scopes())
        self.admin_warning.show_message(ADMIN_WARNING if "admin" in selected else "")
        removed = self._app is not None and bool(set(self._app.scopes) - selected)
        self.narrowing_note.show_message(NARROWING_NOTE if removed else "")
        if selected:
            self.scopes_error.clear_message()
        self.changed.emit()

    # -- redirect URIs -------------------------------------------------------------------

    def _show_uri_check(self, check: RedirectUriCheck) -> None:
        if not self._uris_touched and not check.uris:
            self.uris_error.clear_message()
            self.uris_edit.mark_lines(())
            return
        self._mark(check)
        self.uris_error.show_message(self._uri_problem_text(check))

    def _mark(self, check: RedirectUriCheck) -> None:
        """Tint the text lines holding the URIs the check refused."""
        bad = {uri for uri, reason in zip(check.uris, check.reasons, strict=True) if reason}
        lines = self.uris_edit.toPlainText().splitlines()
        self.uris_edit.mark_lines(
            number for number, line in enumerate(lines) if line.strip() in bad
        )

    def _uri_problem_text(self, check: RedirectUriCheck) -> str:
        """One line per refused URI ("Line 2 (…): why"), then the list's own problem."""
        if not self.application_type().uses_redirect_uris:
            return ""
        lines = self.uris_edit.toPlainText().splitlines()
        numbers = [n for n, line in enumerate(lines, start=1) if line.strip()]
        found = []
        for number, uri, reason in zip(numbers, check.uris, check.reasons, strict=False):
            if reason:
                shown = uri if len(uri) <= 60 else uri[:57] + "..."
                found.append(f"Line {number} ({shown}): {reason}.")
        if check.list_problem:
            problem = check.list_problem
            if len(check.uris) > MAX_REDIRECT_URIS:
                problem = f"at most {MAX_REDIRECT_URIS} redirect URIs ({len(check.uris)} given)"
            found.append(problem[0].upper() + problem[1:] + ".")
        return "\n".join(found)
