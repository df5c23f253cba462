"""The Account page as the shell sees it: sign-in while nobody is signed in, the account after.

:class:`AccountView` owns the window's :class:`SessionController` and binds it to the
current profile's session (restoring a saved sign-in once per profile); the shell's
actions (Sign in, Service account…, Use an API key…, Sign out, Cancel, Copy sign-in
link, F5) call its methods, and it opens the sign-in dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QStackedWidget, QWidget

from twinedge_desktop.auth.kinds import CredentialKind, SessionState
from twinedge_desktop.ui.account.account_page import AccountPage
from twinedge_desktop.ui.account.dialogs import ApiKeyDialog, ServiceSignInDialog
from twinedge_desktop.ui.account.session_controller import SessionController
from twinedge_desktop.ui.account.signin_page import SignInPage
from twinedge_desktop.ui.common.page import PageContext, SessionBinding

if TYPE_CHECKING:
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.tasks import TaskRunner


class AccountView(QStackedWidget):
    """The sign-in page or the signed-in account, for the current profile (see module docstring)."""

    def __init__(
        self, controller: SessionController, context: PageContext, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._context = context
        self._restore_tried: set[str] = set()  # profiles whose saved sign-in was read once
        self._dialogs: list[QDialog] = []  # open dialogs, kept alive until they close
        self.signin_page = SignInPage(controller)
        self.account_page = AccountPage()
        self.addWidget(self.signin_page)
        self.addWidget(self.account_page)
        self.signin_page.service_sign_in_requested.connect(self.service_sign_in)
        self.signin_page.api_key_requested.connect(self.use_api_key)
        self.signin_page.continue_without_keychain_requested.connect(self.continue_without_keychain)
        self.account_page.sign_out_requested.connect(self.sign_out)
        problem = context.services.keychain_error
        if problem is not None:
            self.signin_page.set_keychain_problem(problem.user_message)

    @property
    def _services(self) -> CoreServices:
        return self._context.services

    @property
    def _messages(self) -> MessageBridge:
        return self._context.messages

    @property
    def _runner(self) -> TaskRunner:
        return self._context.runner

    @property
    def signed_in(self) -> bool:
        return self.controller.state is SessionState.SIGNED_IN

    # --- Page ---------------------------------------------------------------------------
    def bind(self, binding: SessionBinding) -> None:
        """The account's details when someone is signed in, else the sign-in page."""
        info = binding.info
        if info is None:
            self.account_page.set_info(None, None)
            self.setCurrentWidget(self.signin_page)
        else:
            problem = self.controller.keychain_problem
            self.account_page.set_info(
                info,
                binding.profile,
                keychain_problem=problem if info.kind is CredentialKind.USER else None,
            )
            self.setCurrentWidget(self.account_page)
        self.account_page.sign_out_button.setEnabled(info is not None and not self.controller.busy)

    def refresh(self) -> None:
        """F5: renew the access token when signed in, else read the saved sign-in again."""
        session = self.controller.session
        if session is None:
            return
        if self.signed_in:
            # A renewed token reaches the page through the session's listeners (new expiry).
            self._runner.start(session.access_token(), owner=self, name="refresh-token")
        elif not self.controller.signing_in:
            self.controller.restore()

    # --- the current profile ------------------------------------------------------------
    def bind_current_profile(self) -> None:
        """Bind the current profile's session; read its saved sign-in the first time only.

        Nothing is read while the keychain cannot be used (the sign-in page says why).
        """
        services = self._services
        profile = self._context.profiles.current
        session = services.session_for(profile)
        previous = self.controller.session
        if previous is not None and previous is not session and self.controller.restoring:
            # Its restore is cancelled by the switch: try again when it is chosen again.
            self._restore_tried.discard(previous.profile.id)
        self.controller.set_session(session)
        restore = services.keychain_error is None
        if (
            restore
            and profile.id not in self._restore_tried
            and session.state is SessionState.SIGNED_OUT
        ):
            self._restore_tried.add(profile.id)
            self.controller.restore()

    def continue_without_keychain(self) -> None:
        self._services.continue_without_keychain()
        self.signin_page.set_keychain_problem(None)
        self._messages.info("Continuing without the keychain: you stay signed in until you quit.")

    # --- sign-in and sign-out -----------------------------------------------------------
    def sign_in(self) -> None:
        if self.signed_in:
            self._messages.info("You are already signed in. Sign out first to switch accounts.")
            return
        self.controller.sign_in_with_browser()

    def service_sign_in(self) -> None:
        dialog = ServiceSignInDialog(parent=self.window())
        dialog.submitted.connect(self.controller.sign_in_with_client_credentials)
        self._open_dialog(dialog)

    def use_api_key(self) -> None:
        dialog = ApiKeyDialog(self.window())
        dialog.submitted.connect(self.controller.use_api_key)
        self._open_dialog(dialog)

    def sign_out(self) -> None:
        if self.signed_in:
            self.controller.sign_out()

    def cancel_sign_in(self) -> None:
        self.controller.cancel_sign_in()

    def copy_sign_in_link(self) -> None:
        self.signin_page.copy_link()

    def _open_dialog(self, dialog: QDialog) -> None:
        # open(), not exec(): no nested event loop inside the qasync loop.
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs.append(dialog)
        dialog.destroyed.connect(self._forget_dialog(dialog))
        dialog.open()

    def _forget_dialog(self, dialog: QDialog) -> Callable[..., None]:
        def forget(*_args: object) -> None:
            if dialog in self._dialogs:
                self._dialogs.remove(dialog)

        return forget


def build_account_view(context: PageContext) -> AccountView:
    """The Account page with its session controller (``account.PAGE.build``)."""
    controller = SessionController(
        context.runner,
        context.messages,
        open_browser=context.open_browser,
        sign_in_timeout=float(context.profiles.preferences.sign_in_timeout_seconds),
    )
    return AccountView(controller, context)
