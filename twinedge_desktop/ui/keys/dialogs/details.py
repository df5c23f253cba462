"""Everything the API says about one key (never its secret), with Rotate and Revoke."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.scopes import describe
from twinedge_desktop.timefmt import Clock, absolute_time, relative_time, utc_now
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.keys.model import (
    Badge,
    KeyStatus,
    display_prefix,
    expiry_badge,
    key_status,
)


class KeyDetailsDialog(QDialog):
    """Read-only details. Open with ``open()``.

    Signals:
        rotate_requested(ApiKey), revoke_requested(ApiKey): the person chose an action;
            the dialog closes and the page starts that flow.
    """

    rotate_requested = Signal(object)
    revoke_requested = Signal(object)

    def __init__(
        self,
        key: ApiKey,
        parent: QWidget | None = None,
        *,
        reminder: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("API key details")
        self.setAccessibleName("API key details")
        self._key = key
        now = clock()
        status = key_status(key, now)

        form = QFormLayout()

        def row(label: str, text: str, *, mono: bool = False) -> QLabel:
            value = QLabel(text)
            value.setTextFormat(value.textFormat().PlainText)
            value.setWordWrap(True)
            value.setTextInteractionFlags(value.textInteractionFlags().TextSelectableByMouse)
            value.setAccessibleName(label)
            if mono:
                value.setFont(monospace_font())
            form.addRow(f"{label}:", value)
            return value

        def when(value: object, none_text: str) -> str:
            if value is None:
                return none_text
            assert hasattr(value, "tzinfo")
            return f"{relative_time(value, now)} ({absolute_time(value)})"  # type: ignore[arg-type]

        row("Name", key.name)
        row("Key", display_prefix(key), mono=True)
        row("ID", key.id, mono=True)
        row(
            "Scopes",
            "\n".join(f"{s} — {describe(s) or 'unknown scope'}" for s in key.scopes) or "(none)",
        )
        row("Status", status.value)
        row("Created", f"{when(key.created_at, '')} by {key.created_by or 'unknown'}")
        badge = expiry_badge(key, now)
        expires = when(key.expires_at, "never")
        if badge is Badge.EXPIRING:
            expires += " — expires within 14 days"
        row("Expires", expires)
        row("Last used", when(key.last_used_at, "never"))
        if key.revoked_at is not None:
            row("Revoked", when(key.revoked_at, ""))

        note = InlineMessage("warning")
        if reminder and status is KeyStatus.ACTIVE:
            note.show_message(reminder)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.rotate_button = self.buttons.addButton(
            "R&otate…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.revoke_button = self.buttons.addButton(
            "&Revoke…", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.rotate_button.setAccessibleName("Rotate key")
        self.revoke_button.setAccessibleName("Revoke key")
        active = status is KeyStatus.ACTIVE
        self.rotate_button.setEnabled(active)
        self.revoke_button.setEnabled(key.revoked_at is None)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.buttons.rejected.connect(self.reject)
        self.rotate_button.clicked.connect(self._rotate)
        self.revoke_button.clicked.connect(self._revoke)

    def _rotate(self) -> None:
        self.accept()
        self.rotate_requested.emit(self._key)

    def _revoke(self) -> None:
        self.accept()
        self.revoke_requested.emit(self._key)
