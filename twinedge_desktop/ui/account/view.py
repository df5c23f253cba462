"""The Account page as the shell sees it: sign-in while nobody is signed in, the account after.

:class:`AccountView` owns the window's :class:`SessionController` and binds it to the
current profile's session (restoring a saved sign-in once per profile); the shell's
actions (Sign in, Service account…, Use an API key…, Sign out, Cancel, Copy sign-in
link, F5) call its methods, and it opens the sign-in dialogs. "Try again" after a failure
repeats the way that failed (a service-account sign-in reopens its dialog, filled in but
for the secret), and "Try the keychain again" opens the system keychain anew.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QStackedWidget, QWidget

from twinedge_desktop.auth.kinds import CredentialKind, SessionState
from twinedge_desktop.ui.account.account_page import AccountPage
from twinedge_desktop.ui.account.dialogs import ApiKeyDialog, ServiceSignInDialog
from twinedge_desktop.ui.account.sandbox_card import SandboxCard
from twinedge_desktop.ui.account.session_controller import SessionController, SignInFlow
from twinedge_desktop.ui.account.signin_page import SignInPage
from twinedge_desktop.ui.common.page import PageContext, SessionBinding
from twinedge_desktop.ui.common.tasks import describe_error

if TYPE_CHECKING:
    from twinedge_desktop.auth.session import Session
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.tasks import TaskRunner


log = logging.getLogger(__name__)


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
        self.service_dialog: ServiceSignInDialog | None = None
        self.api_key_dialog: ApiKeyDialog | None = None

        def clipboard_seconds() -> int:
            return int(context.profiles.preferences.clipboard_clear_seconds)

        self.signin_page = SignInPage(controller, sandbox_card=SandboxCard(clipboard_seconds))
        self.account_page = AccountPage(sandbox_card=SandboxCard(clipboard_seconds))
        for card in (self.signin_page.sandbox_card, self.account_page.sandbox_card):
            card.set_access(context.sandbox)
        self.signin_page.set_sandbox(context.sandbox is not None)
        self.addWidget(self.signin_page)
        self.addWidget(self.account_page)
        self.signin_page.service_sign_in_requested.connect(self.service_sign_in)
        self.signin_page.api_key_requested.connect(self.use_api_key)
        self.signin_page.retry_requested.connect(self.retry)
        self.signin_page.continue_without_keychain_requested.connect(self.continue_without_keychain)
        self.signin_page.retry_keychain_requested.connect(self.retry_keychain)
        self.account_page.sign_out_requested.connect(self.sign_out)
        # Not only after a sign-in here: a sign-in made by another process (a `login` in a
        # terminal, restored from the keychain) teaches the profile its audience too.
        controller.succeeded.connect(self._learn_audience)
        controller.changed.connect(self._learn_audience)
        self._learning_audience: set[str] = set()  # profile ids being learned now
        self._no_audience: set[str] = set()  # their tokens name none usable: not asked again
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
                api_key_prefix=self.controller.api_key_prefix,
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
        if session is previous:
            # The same sign-in, its profile changed (renamed, an audience learned):
            # session_for gave the session the new profile; the pages and the status line
            # say its name, so they are told.
            self.controller.profile_changed()
        else:
            self.controller.set_session(session)
        restore = services.keychain_error is None
        if (
            restore
            and profile.id not in self._restore_tried
            and session.state is SessionState.SIGNED_OUT
        ):
            self._restore_tried.add(profile.id)
            self.controller.restore()

    def _learn_audience(self) -> None:
        """A profile made from metadata learns its API's audience from the first token it
        has (signed in here or by another process), as ``login --issuer`` does, so the
        inspector checks ``aud`` against it; and, when nothing named its API, the API
        the audience points at, if one answers there."""
        session, info = self.controller.session, self.controller.signed_in_info
        if session is None or info is None or info.kind is CredentialKind.API_KEY:
            return
        profile_id = session.profile.id
        if (
            session.profile.audience is not None
            or profile_id in self._learning_audience
            or profile_id in self._no_audience
        ):
            return
        self._learning_audience.add(profile_id)
        task = self._runner.start(
            self._take_audience(session),
            owner=self,
            on_error=self._audience_not_learned,
            name="learn-audience",
        )
        task.add_done_callback(lambda _task: self._learning_audience.discard(profile_id))

    @staticmethod
    def _audience_not_learned(exc: BaseException) -> bool:
        # Only a nicety for the inspector: the session itself says when its token fails.
        log.info("The profile's audience was not learned this time: %s", describe_error(exc))
        return True

    async def _take_audience(self, session: Session) -> None:
        from twinedge_desktop.auth.profiles import audience_of

        audience = audience_of(await session.access_token())
        if audience is None:
            self._no_audience.add(session.profile.id)
        profiles = self._context.profiles
        known = profiles.profiles.get(session.profile.id)
        if audience is None or known is None or known.audience is not None:
            return
        profile = replace(known, audience=audience)
        if known.api_base is None:
            # Neither Add profile's API address nor the server's metadata named the API:
            # the token's audience may (``{aud}/v1``), as ``login --issuer`` finds it.
            found = await self._services.find_api_from_audience(session)
            if found is not None:
                profile = replace(profile, api_base=found[0].api_base)
                self._messages.info(f"{profile.name}: the API answers at {profile.api_base}.")
        profiles.put(profile)
        try:
            profiles.save()
        except OSError as exc:
            self._messages.warning(f"Could not save the profile list: {exc.strerror or exc}")
        self._services.session_for(profile)  # the session's profile now names the audience
        self.controller.changed.emit()

    def forget_profile(self, profile_id: str) -> None:
        """A removed profile: its saved sign-in is gone, so a profile of that id made again
        later is read afresh."""
        self._restore_tried.discard(profile_id)

    def follow_preferences(self) -> None:
        """The preferences changed: the next browser sign-in waits as long as they say."""
        preferences = self._context.profiles.preferences
        self.controller.sign_in_timeout = float(preferences.sign_in_timeout_seconds)

    def continue_without_keychain(self) -> None:
        self._services.continue_without_keychain()
        self.signin_page.set_keychain_problem(None)
        self._messages.info("Continuing without the keychain: you stay signed in until you quit.")

    def retry_keychain(self) -> None:
        """Open the system keychain again (the person unlocked it, or started its service)."""
        if self.signin_page.checking_keychain:
            return
        self.signin_page.checking_keychain = True
        self.signin_page.refresh()
        self._runner.start(self._retry_keychain(), owner=self, name="retry-keychain")

    async def _retry_keychain(self) -> None:
        try:
            problem = await self._services.retry_keychain()
        finally:
            self.signin_page.checking_keychain = False
        if problem is not None:
            self.signin_page.set_keychain_problem(problem.user_message)
            self._messages.info("The keychain still cannot be used: see the Account page.")
            return
        self.signin_page.set_keychain_problem(None)
        self._messages.info(
            f"Using the keychain ({self._services.credential_store.backend_name}) now."
        )
        self.bind_current_profile()  # the saved sign-in can be read now

    # --- sign-in and sign-out -----------------------------------------------------------
    def sign_in(self) -> None:
        if self._say_signed_in_already("sign in again"):
            return
        self.controller.sign_in_with_browser()

    def _say_signed_in_already(self, to_do: str) -> bool:
        """While someone is signed in, another sign-in would replace them silently: say so
        in the status bar (a shortcut that does nothing and says nothing looks broken)."""
        if not self.signed_in:
            return False
        # Short: it shares the status bar with who is signed in (said there already).
        self._messages.info(f"Sign out first (Ctrl+Shift+L) to {to_do}.")
        return True

    def service_sign_in(self, *, again: bool = False) -> ServiceSignInDialog | None:
        """Open "Service account…"; ``again``: after a failure, filled in as it was (but for
        the secret) and saying why it failed. On the sandbox, its service client is filled in.
        Signed in already: says why not (None)."""
        if self._say_signed_in_already("sign in as a service account"):
            return None
        request = self.controller.last_service_request if again else None
        failure = self.controller.last_failure if again else None
        sandbox = self._context.sandbox
        on_sandbox = sandbox is not None and self._on_sandbox_profile()
        client_id = (
            request.client_id
            if request is not None
            else (sandbox.service_client_id if sandbox is not None and on_sandbox else "")
        )
        dialog = ServiceSignInDialog(
            client_id,
            self.window(),
            scopes=request.scopes if request is not None else (),
            problem=failure.message if failure is not None else None,
        )
        dialog.submitted.connect(self.controller.sign_in_with_client_credentials)
        self.service_dialog = dialog
        self._open_dialog(dialog)
        return dialog

    def use_api_key(self, *, again: bool = False) -> ApiKeyDialog | None:
        """Open "Use an API key…" (None, saying why, while signed in already)."""
        if self._say_signed_in_already("use an API key"):
            return None
        failure = self.controller.last_failure if again else None
        dialog = ApiKeyDialog(self.window(), problem=failure.message if failure else None)
        dialog.submitted.connect(self.controller.use_api_key)
        self.api_key_dialog = dialog
        self._open_dialog(dialog)
        return dialog

    def retry(self) -> None:
        """Try again after a failure: the way that failed, not always the browser."""
        failure = self.controller.last_failure
        flow = failure.flow if failure is not None else SignInFlow.BROWSER
        if flow is SignInFlow.SERVICE:
            self.service_sign_in(again=True)
        elif flow is SignInFlow.API_KEY:
            self.use_api_key(again=True)
        elif flow is SignInFlow.RESTORE:
            self.controller.dismiss_failure()
            self.controller.restore()
        else:
            self.controller.sign_in_with_browser()

    def sign_out(self) -> None:
        if self.signed_in:
            self.controller.sign_out()

    def cancel_sign_in(self) -> None:
        self.controller.cancel_sign_in()

    def copy_sign_in_link(self) -> None:
        self.signin_page.copy_link()

    def _on_sandbox_profile(self) -> bool:
        from twinedge_desktop.config import SANDBOX_PROFILE_ID

        return self._context.profiles.current_id == SANDBOX_PROFILE_ID

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
            if self.service_dialog is dialog:
                self.service_dialog = None
            if self.api_key_dialog is dialog:
                self.api_key_dialog = None

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
