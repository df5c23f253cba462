"""Register, edit, rotate the secret of, and delete an OAuth application.

Every dialog is opened with ``open()`` and reports through signals; its request runs
through the :class:`~twinedge_desktop.ui.common.tasks.TaskRunner` as a task the dialog
owns (closing the dialog cancels it). Errors are shown inside the dialog, next to the field
the server named when it named one (422), with everything typed kept.

- :class:`RegisterAppDialog` draws one Idempotency-Key when it opens and sends it with
  every attempt (the client's own retries and the person pressing Register again), so a
  response lost on the way yields exactly one application and its one secret.
- :class:`EditAppDialog` sends only what changed (``PATCH``).
- :class:`RotateSecretDialog` makes a new secret (one Idempotency-Key per dialog too); the
  old one keeps working for 24 hours unless the person ends it at once.
- :class:`DeleteAppDialog` asks for the application's name, typed, and says that its
  sign-ins end.

Destructive buttons are never the default: Enter in these dialogs cancels, except in the
typed-name field once the name matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.apps import (
    CreatedOAuthApp,
    InvalidRedirectUris,
    NewClientSecret,
    OAuthApp,
    new_idempotency_key,
)
from twinedge_desktop.api.errors import ApiError, InsufficientScope, NetworkError, ServerError
from twinedge_desktop.timefmt import Clock, absolute_time, utc_now
from twinedge_desktop.ui.apps.form import AppDraft, AppForm
from twinedge_desktop.ui.apps.widgets import add_app_summary, busy_bar
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.text import escape

if TYPE_CHECKING:
    from twinedge_desktop.api.apps import OAuthAppsService

# Said after an attempt whose outcome is unknown (the answer was lost, or a 5xx).
REGISTER_RETRY_HINT = (
    "Pressing Register again is safe: it repeats the same request, so it cannot make a "
    "second application."
)
ROTATE_RETRY_HINT = (
    "Pressing Rotate again is safe: it repeats the same request, so it cannot make a third secret."
)


def _outcome_unknown(exc: BaseException) -> bool:
    """Whether the server may have done it although we got no answer (lost, or 5xx)."""
    return isinstance(exc, NetworkError | ServerError)


def _set_danger(button: QPushButton, enabled: bool) -> None:
    """Red only when it can act: the style sheet's colour ignores the disabled state."""
    button.setEnabled(enabled)
    if button.property("danger") != enabled:
        button.setProperty("danger", enabled)
        button.style().unpolish(button)
        button.style().polish(button)


class _AppFormDialog(QDialog):
    """What Register and Edit share: the form in a scroll area, an error line, a busy bar
    and the buttons; the request is the subclass's :meth:`_send`."""

    def __init__(
        self,
        service: OAuthAppsService,
        runner: TaskRunner,
        holder_scopes: Sequence[str] | None,
        parent: QWidget | None,
        *,
        title: str,
        intro: str,
        accept_text: str,
        task_name: str,
        app: OAuthApp | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._service = service
        self._runner = runner
        self._task_name = task_name
        self.busy = False
        self.form = AppForm(holder_scopes, app=app)
        intro_label = QLabel(intro)
        intro_label.setWordWrap(True)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 8, 0)
        column.addWidget(intro_label)
        column.addWidget(self.form)
        column.addStretch(1)
        self.error = InlineMessage("error")
        self.error.setObjectName("submitError")
        self.progress = busy_bar(f"{title}: sending")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.accept_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.accept_button.setText(accept_text)
        self.accept_button.setAccessibleName(accept_text.replace("&", ""))
        self.accept_button.setProperty("primary", True)
        layout = QVBoxLayout(self)
        layout.addWidget(DialogBody(content, preferred_width=640), 1)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.accept_button.setDefault(True)  # now that it is in the dialog
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.form.name_edit.setFocus()

    def submit(self) -> bool:
        """Check the form (problems are shown inline), then send; False when not sent."""
        if self.busy:
            return False
        self.error.clear_message()
        if not self.form.show_problems():
            return False
        self._set_busy(True)
        self._runner.start(
            self._send(self.form.draft()),
            owner=self,
            on_error=self._failed,
            name=self._task_name,
        )
        return True

    async def _send(self, draft: AppDraft) -> None:
        raise NotImplementedError

    def _retry_hint(self) -> str:
        return ""

    def _failed(self, exc: BaseException) -> bool:
        self._set_busy(False)
        text = error_message(exc)
        if isinstance(exc, InsufficientScope) and exc.required_scopes:
            self.form.show_missing_scopes(exc.required_scopes)
        elif isinstance(exc, ApiError) and exc.status == 422:
            check = exc.check if isinstance(exc, InvalidRedirectUris) else None
            if self.form.set_field_error(exc.field, text, check=check):
                return True
        if _outcome_unknown(exc) and self._retry_hint():
            text += f" {self._retry_hint()}"
        self.error.show_message(text)
        return True  # shown here, next to what the person typed

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.form.set_inputs_enabled(not busy)
        self.progress.setVisible(busy)
        self.accept_button.setEnabled(not busy)

    def reject(self) -> None:
        self._runner.cancel_owned_by(self)
        super().reject()


class RegisterAppDialog(_AppFormDialog):
    """ "Register application". Open with ``open()``.

    Signals:
        registered(CreatedOAuthApp): the server registered it; the dialog then closes. The
            receiver owns the secret from here on (it is shown once).
    """

    registered = Signal(object)

    def __init__(
        self,
        service: OAuthAppsService,
        runner: TaskRunner,
        holder_scopes: Sequence[str] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            service,
            runner,
            holder_scopes,
            parent,
            title="Register application",
            intro="Register an application that signs people in with TwinEdge, or a service "
            "that signs in as itself. A web application or service gets a client secret, shown "
            "once, right after registering.",
            accept_text="&Register",
            task_name="register-oauth-app",
        )
        # One key for the dialog's life: pressing Register again after a lost answer replays.
        self.idempotency_key = new_idempotency_key()

    async def _send(self, draft: AppDraft) -> None:
        created: CreatedOAuthApp = await self._service.create(
            draft.name,
            draft.application_type,
            draft.redirect_uris,
            draft.scopes,
            idempotency_key=self.idempotency_key,
        )
        self._set_busy(False)
        self.registered.emit(created)
        del created  # the receiver keeps it; this dialog does not
        self.accept()

    def _retry_hint(self) -> str:
        return REGISTER_RETRY_HINT


class EditAppDialog(_AppFormDialog):
    """ "Edit application": name, redirect URIs, scopes (the type is fixed). Open with ``open()``.

    Signals:
        updated(OAuthApp): the application as it is now; the dialog then closes.
    """

    updated = Signal(object)

    def __init__(
        self,
        app: OAuthApp,
        service: OAuthAppsService,
        runner: TaskRunner,
        holder_scopes: Sequence[str] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            service,
            runner,
            holder_scopes,
            parent,
            title="Edit application",
            intro=f"Client ID {app.client_id}. Changes apply at once: a redirect URI you "
            "remove stops working for new sign-ins.",
            accept_text="&Save",
            task_name="edit-oauth-app",
            app=app,
        )
        self.app = app

    async def _send(self, draft: AppDraft) -> None:
        app = self.app
        changes: dict[str, Any] = {}
        if draft.name != app.name:
            changes["name"] = draft.name
        if draft.redirect_uris != app.redirect_uris and app.application_type.uses_redirect_uris:
            changes["redirect_uris"] = draft.redirect_uris
        if draft.scopes != app.scopes:
            changes["scopes"] = draft.scopes
        updated = await self._service.update(app, **changes) if changes else app
        self._set_busy(False)
        self.updated.emit(updated)
        self.accept()


# A confirmation dialog's width for its text (as the keys' revoke dialog): a paragraph of
# warning in three or four lines, "Type its name, …, to confirm:" on one. Laid out at its
# minimum, such a dialog was 279 px wide and wrapped the warning onto six lines.
CONFIRMATION_WIDTH = 460


def _confirmation_layout(dialog: QDialog, progress: QWidget, buttons: QWidget) -> QVBoxLayout:
    """The layout for a small confirmation dialog's content, in a :class:`DialogBody` of
    :data:`CONFIRMATION_WIDTH` (grows with a message, scrolls on a small screen) above
    ``progress`` and ``buttons``, which stay visible."""
    content = QWidget()
    layout = QVBoxLayout(content)
    layout.setContentsMargins(0, 0, 0, 0)
    outer = QVBoxLayout(dialog)
    body = DialogBody(content, dialog, preferred_width=CONFIRMATION_WIDTH)
    body.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    outer.addWidget(body, 1)
    outer.addWidget(progress)
    outer.addWidget(buttons)
    return layout


class RotateSecretDialog(QDialog):
    """ "Rotate client secret": a new secret, shown once; the old one works 24 more hours
    unless ended at once. Open with ``open()``.

    Signals:
        rotated(NewClientSecret): the new secret (and the app, with until when the old one
            works); the dialog then closes. The receiver owns the secret.
    """

    rotated = Signal(object)

    def __init__(
        self,
        app: OAuthApp,
        service: OAuthAppsService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rotate client secret")
        self.setAccessibleName("Rotate client secret")
        self.app = app
        self._service = service
        self._runner = runner
        self._clock = clock
        self.busy = False
        self._choice_locked = False
        self.idempotency_key = new_idempotency_key()
        hint = f"…{app.secret_hint}" if app.secret_hint else "the current one"
        intro = QLabel(
            f"A new client secret is made and shown once. The current secret ({escape(hint)}) "
            "keeps working for <b>24 hours</b>, so you can update the application first."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        add_app_summary(form, app)
        if app.previous_secret_works(clock()):
            assert app.previous_secret_expires_at is not None
            earlier = InlineMessage("warning")
            earlier.setObjectName("earlierSecret")
            earlier.show_message(
                "A secret from an earlier rotation still works until "
                f"{absolute_time(app.previous_secret_expires_at)}; rotating again ends it now."
            )
        else:
            earlier = None
        self.end_now_box = QCheckBox("&End the current secret now, not in 24 hours")
        self.end_now_box.setAccessibleName("End the current secret now")
        self.end_now_warning = InlineMessage("warning")
        self.end_now_warning.setObjectName("endNowWarning")
        self.error = InlineMessage("error")
        self.error.setObjectName("rotateError")
        self.progress = busy_bar("Rotating the secret")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.rotate_button = self.buttons.addButton(
            "&Rotate secret", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.rotate_button.setAccessibleName("Rotate secret")
        self.rotate_button.setAutoDefault(False)

        layout = _confirmation_layout(self, self.progress, self.buttons)
        layout.addWidget(intro)
        layout.addLayout(form)
        if earlier is not None:
            layout.addWidget(earlier)
        layout.addWidget(self.end_now_box)
        layout.addWidget(self.end_now_warning)
        layout.addWidget(self.error)
        # Once the buttons are in the dialog (before, Qt records the default nowhere).
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)  # Enter never rotates by accident
        self.rotate_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.end_now_box.toggled.connect(self._end_now_changed)
        self._end_now_changed(False)
        self.end_now_box.setFocus()

    @property
    def revoke_previous(self) -> bool:
        return self.end_now_box.isChecked()

    def submit(self) -> bool:
        if self.busy:
            return False
        self.error.clear_message()
        self._set_busy(True)
        self._runner.start(
            self._rotate(self.revoke_previous),
            owner=self,
            on_error=self._failed,
            name="rotate-oauth-app-secret",
        )
        return True

    async def _rotate(self, revoke_previous: bool) -> None:
        rotated: NewClientSecret = await self._service.rotate_secret(
            self.app.id, revoke_previous=revoke_previous, idempotency_key=self.idempotency_key
        )
        self._set_busy(False)
        self.rotated.emit(rotated)
        del rotated
        self.accept()

    def _failed(self, exc: BaseException) -> bool:
        self._set_busy(False)
        text = error_message(exc)
        if _outcome_unknown(exc):
            text += f" {ROTATE_RETRY_HINT}"
            # A replay must send the same body for the server to recognise it: the choice
            # made for the lost attempt stays.
            self._choice_locked = True
            self.end_now_box.setEnabled(False)
        self.error.show_message(text)
        return True

    def _end_now_changed(self, checked: bool) -> None:
        self.end_now_warning.show_message(
            "Anything still using the current secret stops working the moment you rotate."
            if checked
            else ""
        )
        self._style_rotate_button()

    def _style_rotate_button(self) -> None:
        # Red when it ends the current secret at once (and can act).
        danger = self.end_now_box.isChecked() and self.rotate_button.isEnabled()
        if self.rotate_button.property("danger") != danger:
            self.rotate_button.setProperty("danger", danger)
            self.rotate_button.style().unpolish(self.rotate_button)
            self.rotate_button.style().polish(self.rotate_button)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        self.end_now_box.setEnabled(not busy and not self._choice_locked)
        self.rotate_button.setEnabled(not busy)
        self._style_rotate_button()

    def reject(self) -> None:
        self._runner.cancel_owned_by(self)
        super().reject()


class DeleteAppDialog(QDialog):
    """Asks for the application's name, typed, then deletes it. Open with ``open()``.

    Signals:
        deleted(OAuthApp): the application is gone (also when it already was).
    """

    deleted = Signal(object)

    def __init__(
        self,
        app: OAuthApp,
        service: OAuthAppsService,
        runner: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Delete application")
        self.setAccessibleName("Delete application")
        self.app = app
        self._service = service
        self._runner = runner
        self.busy = False
        warning = InlineMessage("warning")
        warning.setObjectName("deleteWarning")
        warning.show_message(
            "Every sign-in of this application ends at once: its client ID stops working "
            "(invalid_client) and every token issued to it is revoked. People and services "
            "using it will have to be set up again. This cannot be undone."
        )
        form = QFormLayout()
        add_app_summary(form, app)
        self.name_confirm = QLineEdit()
        self.name_confirm.setAccessibleName("Type the application's name to confirm")
        self.name_confirm.setPlaceholderText("Type the application's name")
        confirm_label = QLabel(f"Type its name, <b>{escape(app.name)}</b>, to confirm:")
        confirm_label.setWordWrap(True)
        confirm_label.setBuddy(self.name_confirm)
        self.error = InlineMessage("error")
        self.error.setObjectName("deleteError")
        self.progress = busy_bar("Deleting the application")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.delete_button = self.buttons.addButton(
            "&Delete application", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete_button.setAccessibleName("Delete application")
        self.delete_button.setAutoDefault(False)

        layout = _confirmation_layout(self, self.progress, self.buttons)
        layout.addWidget(warning)
        layout.addLayout(form)
        layout.addWidget(confirm_label)
        layout.addWidget(self.name_confirm)
        layout.addWidget(self.error)
        # Once the buttons are in the dialog (before, Qt records the default nowhere).
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)  # Enter must not destroy anything by accident
        self.delete_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.name_confirm.textChanged.connect(self._update_button)
        self._update_button()
        self.name_confirm.setFocus()

    def confirmed(self) -> bool:
        return self.name_confirm.text().strip() == self.app.name

    def submit(self) -> bool:
        if self.busy or not self.confirmed():
            return False
        self.error.clear_message()
        self._set_busy(True)
        self._runner.start(
            self._delete(), owner=self, on_error=self._failed, name="delete-oauth-app"
        )
        return True

    async def _delete(self) -> None:
        # False: it was gone already (deleted elsewhere, or by an attempt whose answer was
        # lost), which is what was asked for.
        await self._service.delete(self.app.id)
        self._set_busy(False)
        self.deleted.emit(self.app)
        self.accept()

    def _failed(self, exc: BaseException) -> bool:
        self._set_busy(False)
        self.error.show_message(error_message(exc))
        return True

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        self.name_confirm.setReadOnly(busy)
        self._update_button()

    def _update_button(self, *_args: object) -> None:
        _set_danger(self.delete_button, not self.busy and self.confirmed())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in the name field means "delete" once the name matches, never "cancel"
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
