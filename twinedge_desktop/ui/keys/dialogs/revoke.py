"""Confirm and revoke an API key.

The dialog shows what is about to stop working (name, prefix, scopes, last use).
A key used within the last 7 days is probably still in service somewhere, so the
person types its name to confirm, as GitHub does for destructive actions. A 404
means the key is already gone, which is what was asked for: it counts as done.

Enter never revokes by itself: **Cancel** has the focus and is the default button, and
"Revoke key" is not an auto-default button (in a dialog, the focused push button would
otherwise take Enter). Revoking takes a deliberate key: Alt+R, or Tab to it and Space, or
Enter in the name field once the typed name matches.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.errors import NotFound
from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.timefmt import Clock, relative_time, utc_now
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.text import escape
from twinedge_desktop.ui.keys.dialogs.summary import add_key_summary

if TYPE_CHECKING:
    from twinedge_desktop.api.keys import ApiKeysService

RECENT_USE = timedelta(days=7)


def needs_typed_confirmation(key: ApiKey, now: datetime) -> bool:
    """True when the key was used within the last 7 days."""
    return key.last_used_at is not None and now - key.last_used_at <= RECENT_USE


def confirmation_text(key: ApiKey) -> str:
    """What the person types to confirm: the key's name (its id when the name is unreadable)."""
    return key.name or key.id


class RevokeKeyDialog(QDialog):
    """Asks, then revokes. Open with ``open()``.

    Signals:
        revoked(ApiKey): the key as it is now (``revoked_at`` set), for the list to update in place.
    """

    revoked = Signal(object)

    def __init__(
        self,
        key: ApiKey,
        service: ApiKeysService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
        intro: str | None = None,
        require_name: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Revoke API key")
        self.setAccessibleName("Revoke API key")
        self._key = key
        self._service = service
        self._runner = runner
        self._clock = clock
        now = clock()
        recently_used = needs_typed_confirmation(key, now)
        # require_name: the caller could not tell whether the key is in use.
        self._typed_required = recently_used or require_name

        text = intro or (
            "Applications using this key will get 401 errors from the moment it is revoked. "
            "This cannot be undone."
        )
        intro_label = InlineMessage("warning")
        intro_label.show_message(text)
        form = QFormLayout()
        add_key_summary(form, key, now)

        self._expected = confirmation_text(key)
        what = "name" if key.name else "id"
        self.name_confirm = QLineEdit()
        self.name_confirm.setAccessibleName(f"Type the key's {what} to confirm")
        self.name_confirm.setPlaceholderText(f"Type the key's {what}")
        why = (
            f"This key was used {relative_time(key.last_used_at, now)}."
            if recently_used
            else "Whether this key is still in use could not be checked."
        )
        confirm_label = QLabel(
            f"{why} Type its {what}, <b>{escape(self._expected)}</b>, to confirm:"
        )
        confirm_label.setWordWrap(True)
        confirm_label.setBuddy(self.name_confirm)
        self.error = InlineMessage("error")
        self.error.setObjectName("revokeError")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.revoke_button = self.buttons.addButton(
            "&Revoke key", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.revoke_button.setAccessibleName("Revoke key")
        # Not the default, and never made one by having the focus: Enter does not revoke.
        self.revoke_button.setAutoDefault(False)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)  # Enter must not destroy anything by accident

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(intro_label)
        column.addLayout(form)
        if self._typed_required:
            column.addWidget(confirm_label)
            column.addWidget(self.name_confirm)
        else:
            confirm_label.hide()
            self.name_confirm.hide()
        column.addWidget(self.error)
        column.addStretch(1)
        self.body = DialogBody(content, self, preferred_width=460)
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

        self.revoke_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.name_confirm.textChanged.connect(self._update_button)
        self._busy = False
        self._update_button()
        (self.name_confirm if self._typed_required else self.cancel_button).setFocus()

    @property
    def key(self) -> ApiKey:
        return self._key

    @property
    def typed_confirmation_required(self) -> bool:
        return self._typed_required

    def submit(self) -> None:
        if self._busy or not self._confirmed():
            return
        self.error.clear_message()
        self._set_busy(True)
        self._runner.start(self._revoke(), owner=self, on_error=self._failed, name="revoke-api-key")

    async def _revoke(self) -> None:
        with contextlib.suppress(NotFound):  # already gone: that is what was asked for
            await self._service.revoke(self._key.id)
        self._set_busy(False)
        revoked_at = self._key.revoked_at or self._clock()
        self.revoked.emit(dataclasses.replace(self._key, revoked_at=revoked_at))
        self.accept()

    def _failed(self, exc: BaseException) -> bool:
        self._set_busy(False)
        self.error.show_message(error_message(exc))
        return True

    def _confirmed(self) -> bool:
        return not self._typed_required or self.name_confirm.text() == self._expected

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        self.name_confirm.setReadOnly(busy)
        self._update_button()

    def _update_button(self, *_args: object) -> None:
        enabled = not self._busy and self._confirmed()
        self.revoke_button.setEnabled(enabled)
        # Red only when it can act: the style sheet's "danger" colour ignores the disabled state.
        if self.revoke_button.property("danger") != enabled:
            self.revoke_button.setProperty("danger", enabled)
            self.revoke_button.style().unpolish(self.revoke_button)
            self.revoke_button.style().polish(self.revoke_button)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in the name field means "revoke" once the name matches, never "cancel"
        # (Cancel is the default button, for Enter anywhere else).
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.focusWidget() is self.name_confirm:
            self.submit()
            event.accept()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        self._runner.cancel_owned_by(self)
        super().reject()
