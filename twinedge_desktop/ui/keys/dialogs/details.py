"""Everything the API says about one key (never its secret), with Rotate and Revoke.

A damaged entry shows what could be read, "unreadable" for the rest and why; it can be
revoked when its id is known (the way out of a key whose bad data broke the list), never
rotated. Close is the default button: Enter closes, it never starts a revocation.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.keys.model import (
    UNREADABLE,
    Badge,
    Column,
    KeyStatus,
    can_revoke,
    can_rotate,
    display_text,
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
        actions_reason: str = "",
    ) -> None:
        """``actions_reason``: why Rotate and Revoke are off whatever the key (an API-key
        session, say), for their tooltips; "" when they follow the key."""
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

        def when(field: str, none_text: str) -> str:
            if field in key.unreadable:
                return UNREADABLE
            value = getattr(key, field)
            if value is None:
                return none_text
            return f"{relative_time(value, now)} ({absolute_time(value)})"

        if key.problem:
            row("Damaged", f"The server's entry could not be read in full: {key.problem}")
        row("Name", key.name or f"({UNREADABLE})")
        row("Key", display_text(key, Column.PREFIX, now), mono=True)
        row("ID", key.id or f"({UNREADABLE})", mono=True)
        scopes = (
            "\n".join(f"{s} — {describe(s) or 'unknown scope'}" for s in key.scopes) or "(none)"
        )
        row("Scopes", UNREADABLE if "scopes" in key.unreadable else scopes)
        row("Status", status.value)
        row("Created", f"{when('created_at', '')} by {key.created_by or 'unknown'}")
        badge = expiry_badge(key, now)
        expires = when("expires_at", "never")
        if badge is Badge.EXPIRING:
            expires += " — expires within 14 days"
        row("Expires", expires)
        row("Last used", when("last_used_at", "never"))
        if key.revoked_at is not None:
            row("Revoked", when("revoked_at", ""))

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
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        for button in (self.rotate_button, self.revoke_button):
            button.setAutoDefault(False)  # Enter closes; it never starts a flow
        self.rotate_button.setEnabled(not actions_reason and can_rotate(key, now))
        self.revoke_button.setEnabled(not actions_reason and can_revoke(key))
        if actions_reason:
            for button in (self.rotate_button, self.revoke_button):
                button.setToolTip(f"{actions_reason}.")
        elif key.problem:
            self.rotate_button.setToolTip(
                "A damaged entry cannot be rotated: its scopes and expiry are not all known."
            )
            if not key.id:
                self.revoke_button.setToolTip("Without a readable id, the key cannot be revoked.")

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(note)
        column.addStretch(1)
        self.body = DialogBody(content, self, preferred_width=480)
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.buttons)
        self.buttons.rejected.connect(self.reject)
        self.rotate_button.clicked.connect(self._rotate)
        self.revoke_button.clicked.connect(self._revoke)
        close.setFocus()

    def _rotate(self) -> None:
        self.accept()
        self.rotate_requested.emit(self._key)

    def _revoke(self) -> None:
        self.accept()
        self.revoke_requested.emit(self._key)
