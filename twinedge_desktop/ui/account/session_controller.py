"""The window's side of a :class:`~twinedge_desktop.auth.session.Session`.

One controller lives as long as the window; it is bound to the current
profile's session (``set_session``) and turns the session's state into Qt
signals, and the person's actions (sign in, cancel, sign out…) into tasks on
the :class:`TaskRunner`. It knows nothing about widgets, so the sign-in flows
are tested with a fake session and no window.

Signals:
    changed(): the bound session's state, info or profile changed, or another session was
        bound.
    waiting(str, float): browser sign-in is waiting for the browser; the sign-in link and
        the deadline as ``time.monotonic()`` seconds.
    failed(str, str, str): a sign-in failed; (kind, title, message). kind is a
        :class:`FailureKind` value; the message is the service's own, secret-free text.
        :attr:`SessionController.last_failure` also says which flow failed (Try again
        repeats that one: a failed service-account sign-in reopens its dialog).
    succeeded(): a sign-in of any kind completed (the window comes to the front).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import QObject, Signal

from twinedge_desktop.auth.kinds import CredentialKind, SessionState
from twinedge_desktop.ui.common.messages import MessageBridge
from twinedge_desktop.ui.common.tasks import TaskRunner, describe_error

if TYPE_CHECKING:
    from twinedge_desktop.auth.session import Session, SessionInfo

log = logging.getLogger(__name__)


class FailureKind(StrEnum):
    """Why a sign-in (or a restore) did not complete; each has a title of its own."""

    CANCELLED = "cancelled"
    DENIED = "denied"
    TIMEOUT = "timeout"
    MISMATCH = "mismatch"
    NETWORK = "network"
    KEYCHAIN = "keychain"
    SIGNED_OUT = "signed_out"
    ERROR = "error"


_TITLES = {
    FailureKind.DENIED: "Sign-in was declined",
    FailureKind.TIMEOUT: "Sign-in timed out",
    FailureKind.MISMATCH: "Sign-in was stopped for your safety",
    FailureKind.NETWORK: "Could not reach the sign-in server",
    FailureKind.KEYCHAIN: "The keychain could not be used",
    FailureKind.SIGNED_OUT: "Please sign in again",
    FailureKind.ERROR: "Sign-in did not complete",
}


class SignInFlow(StrEnum):
    """Which way of signing in was tried: what "Try again" repeats."""

    BROWSER = "browser"
    SERVICE = "service"
    API_KEY = "api_key"
    RESTORE = "restore"  # reading the saved sign-in (no browser)


class Failure(NamedTuple):
    """A sign-in problem as the sign-in page shows it, and the flow that failed."""

    kind: FailureKind
    title: str
    message: str
    flow: SignInFlow = SignInFlow.BROWSER


class ServiceRequest(NamedTuple):
    """What a service-account sign-in asked for, without its secret (to fill the dialog in
    again after a failure: the secret is typed again, never kept)."""

    client_id: str
    scopes: tuple[str, ...]


def classify_failure(exc: BaseException) -> FailureKind:
    """Which :class:`FailureKind` an exception from a sign-in belongs to."""
    # Imported here: the auth and api packages pull in httpx, which the first
    # paint of the window must not wait for. By the time a sign-in fails they are loaded.
    from twinedge_desktop.api.errors import NetworkError
    from twinedge_desktop.auth.errors import (
        DiscoveryError,
        IssuerMismatch,
        SignedOut,
        SignInCancelled,
        SignInDenied,
        SignInTimedOut,
        StateMismatch,
    )

    if isinstance(exc, SignInCancelled):
        return FailureKind.CANCELLED
    if isinstance(exc, SignInDenied):
        return FailureKind.DENIED
    if isinstance(exc, SignInTimedOut | TimeoutError):
        return FailureKind.TIMEOUT
    if isinstance(exc, StateMismatch | IssuerMismatch):
        return FailureKind.MISMATCH
    if isinstance(exc, NetworkError | DiscoveryError | ConnectionError):
        return FailureKind.NETWORK
    if _from_the_keychain(exc):
        return FailureKind.KEYCHAIN
    if isinstance(exc, SignedOut):
        return FailureKind.SIGNED_OUT
    return FailureKind.ERROR


def _from_the_keychain(exc: BaseException) -> bool:
    # auth.errors re-exports the vault's error: views never import the vault itself.
    from twinedge_desktop.auth.errors import KeychainUnavailable

    return isinstance(exc, KeychainUnavailable)


def failure_title(kind: FailureKind) -> str:
    return _TITLES.get(kind, _TITLES[FailureKind.ERROR])


class SessionController(QObject):
    """Binds the current profile's session to the window and runs its flows as tasks."""

    changed = Signal()
    waiting = Signal(str, float)
    failed = Signal(str, str, str)
    succeeded = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        messages: MessageBridge,
        *,
        open_browser: Callable[[str], bool],
        sign_in_timeout: float = 300.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._messages = messages
        self._open_browser = open_browser
        self.sign_in_timeout = sign_in_timeout
        self._session: Session | None = None
        self._remove_listener: Callable[[], None] | None = None
        self._sign_in_task: asyncio.Task[Any] | None = None
        self._restore_task: asyncio.Task[Any] | None = None
        self.authorization_url: str | None = None
        self.deadline: float | None = None
        self.busy = False  # a service/API-key sign-in or a sign-out is in flight
        self._restoring = False
        self._browser_active = False
        self._seen_signed_out_reason: object | None = None
        self._warned_keychain_problem: str | None = None  # the banner's text, to withdraw it
        self.last_failure: Failure | None = None
        self.last_service_request: ServiceRequest | None = None
        # Why no keychain can keep a sign-in (set by the Account page from the services);
        # None while one works or the person chose to continue without.
        self.keychain_unavailable: str | None = None
        # The display prefix of the API key each profile's session uses ("te_AbCdEfGhI"):
        # what names an API-key session (GET /v1/me names the key's owner, not the key).
        self._api_key_prefixes: dict[str, str] = {}

    # --- binding -----------------------------------------------------------------------
    @property
    def session(self) -> Session | None:
        return self._session

    @property
    def state(self) -> SessionState | None:
        return self._session.state if self._session is not None else None

    @property
    def info(self) -> SessionInfo | None:
        return self._session.info if self._session is not None else None

    @property
    def signed_in_info(self) -> SessionInfo | None:
        """Who is signed in, or None unless the bound session is signed in."""
        return self.info if self.state is SessionState.SIGNED_IN else None

    @property
    def api_key_prefix(self) -> str | None:
        """The prefix of the API key the bound session uses, when it uses one."""
        info = self.signed_in_info
        if info is None or info.kind is not CredentialKind.API_KEY or self._session is None:
            return None
        return self._api_key_prefixes.get(self._session.profile.id)

    def status_text(self, profile_name: str) -> str:
        """The window's status line: who is signed in where, or what is under way.

        ``profile_name`` is the current profile's, said until a session is bound. An API
        key is named by its prefix (the key is what is in use, not its owner's account).
        """
        session = self._session
        where = session.profile.name if session is not None else profile_name
        info = self.signed_in_info
        if info is not None:
            if info.kind is CredentialKind.API_KEY:
                prefix = self.api_key_prefix
                key = f"the API key {prefix}…" if prefix else "an API key"
                return f"Using {key} — {where}"
            if info.kind is CredentialKind.SERVICE:
                return f"Signed in as the service {info.subject or 'client'} — {where}"
            who = info.email or info.name or info.subject or "signed in"
            return f"Signed in as {who} — {where}"
        if self.signing_in:
            return f"Signing in to {where}…"
        if self.restoring or self.state is SessionState.RESTORING:
            return f"Restoring session — {where}"
        if self.state is None:
            return "Starting…"
        return f"Signed out — {where}"

    @property
    def restoring(self) -> bool:
        return self._restoring

    @property
    def signing_in(self) -> bool:
        """A browser sign-in is waiting (the only flow with a waiting page and Cancel)."""
        return self._browser_active

    @property
    def can_sign_in(self) -> bool:
        """Whether a browser or service-account sign-in can start now: a session is bound,
        nothing is in flight, and a keychain can keep it (or the person chose not to)."""
        return (
            self._session is not None
            and not (self.busy or self.signing_in or self.restoring)
            and self.keychain_unavailable is None
        )

    @property
    def can_use_api_key(self) -> bool:
        """An API key is never stored: it needs no keychain, only a session and a free hand."""
        return self._session is not None and not (self.busy or self.signing_in or self.restoring)

    def set_keychain_unavailable(self, message: str | None) -> None:
        """Say why no keychain can keep a sign-in (None: one can, or the person chose not to)."""
        if message != self.keychain_unavailable:
            self.keychain_unavailable = message
            self.changed.emit()

    def set_session(self, session: Session | None) -> None:
        """Bind another session (profile switch); a sign-in in flight for the old one stops."""
        if session is self._session:
            return
        self.cancel_sign_in()
        if self._restore_task is not None:
            self._restore_task.cancel()
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        self._session = session
        self.last_failure = None
        self._seen_signed_out_reason = session.signed_out_reason if session is not None else None
        self._withdraw_keychain_warning()
        if session is not None:
            self._remove_listener = session.add_listener(self._session_changed)
        self.changed.emit()

    def profile_changed(self) -> None:
        """The bound session's profile changed (renamed…): what shows it follows."""
        self.changed.emit()

    def _session_changed(self) -> None:
        session = self._session
        reason = session.signed_out_reason if session is not None else None
        if session is not None and session.state is SessionState.SIGNED_OUT:
            self._api_key_prefixes.pop(session.profile.id, None)
        if (
            session is not None
            and reason is not None
            and reason is not self._seen_signed_out_reason
            and session.state is SessionState.SIGNED_OUT
        ):
            # The session ended on its own (the server rejected the saved sign-in):
            # say so on the sign-in page instead of silently showing "Sign in".
            self._seen_signed_out_reason = reason
            self._withdraw_keychain_warning()
            self._fail(FailureKind.SIGNED_OUT, describe_error(reason), SignInFlow.RESTORE)
            return
        self._follow_keychain_problem(session)
        self.changed.emit()

    @property
    def keychain_problem(self) -> str | None:
        """Why the renewed sign-in could not be saved in the keychain, if it could not."""
        session = self._session
        problem = session.keychain_problem if session is not None else None
        return problem.user_message if problem is not None else None

    def _follow_keychain_problem(self, session: Session | None) -> None:
        # The session keeps a renewed sign-in it could not save in memory, and saves it
        # again by itself (a timer, the next renewal, the next use): its own sentence says
        # so. Shown once per problem; withdrawn when the save succeeds.
        problem = self.keychain_problem if session is not None else None
        if problem == self._warned_keychain_problem:
            return
        self._withdraw_keychain_warning()
        if problem is not None:
            self._warned_keychain_problem = problem
            self._messages.warning(problem)

    def _withdraw_keychain_warning(self) -> None:
        if self._warned_keychain_problem is not None:
            self._messages.withdraw(self._warned_keychain_problem)
            self._warned_keychain_problem = None

    # --- flows -------------------------------------------------------------------------
    def restore(self) -> None:
        """Silently restore the bound session from the keychain (no browser)."""
        session = self._require()
        if session is None or self.signing_in:
            return
        self._restoring = True  # at once: the page shows "Restoring session…" immediately
        self._restore_task = self._runner.start(
            self._restore(session), owner=self, on_error=self._restore_failed, name="restore"
        )
        self._restore_task.add_done_callback(self._restore_done)
        self.changed.emit()

    def _restore_done(self, _task: asyncio.Task[Any]) -> None:
        # Also runs when the task was cancelled before it started (profile switch).
        if self._restoring:
            self._restoring = False
            self.changed.emit()

    async def _restore(self, session: Session) -> None:
        try:
            await session.restore()
        finally:
            self._restoring = False
            self.changed.emit()

    def _restore_failed(self, exc: BaseException) -> bool:
        kind = classify_failure(exc)
        if kind in (FailureKind.SIGNED_OUT, FailureKind.KEYCHAIN, FailureKind.NETWORK):
            # A restore that cannot complete is not an emergency: say why on the
            # sign-in page (the person can sign in again) rather than in a dialog.
            self._fail(kind, describe_error(exc), SignInFlow.RESTORE)
            return True
        return False

    def sign_in_with_browser(self) -> None:
        session = self._require()
        if session is None or self._in_flight() or self._keychain_blocks():
            return
        self.last_failure = None
        self._browser_active = True  # at once, so the waiting page shows before the first await
        self.authorization_url = None
        self.deadline = time.monotonic() + self.sign_in_timeout
        self._sign_in_task = self._runner.start(
            self._browser_sign_in(session),
            owner=self,
            on_error=self._failure_handler(SignInFlow.BROWSER),
            name="sign-in",
        )
        self.changed.emit()

    async def _browser_sign_in(self, session: Session) -> None:
        self._browser_active = True
        try:
            await session.sign_in_with_browser(
                open_browser=self._open_browser,
                on_authorization_url=self._authorization_url_ready,
                timeout=self.sign_in_timeout,
            )
        finally:
            self._browser_active = False
            self.authorization_url = None
            self.deadline = None
        self.succeeded.emit()
        self.changed.emit()

    def _authorization_url_ready(self, url: str) -> None:
        self.authorization_url = url
        self.waiting.emit(url, self.deadline or time.monotonic() + self.sign_in_timeout)
        self.changed.emit()  # the link can be copied now (File ▸ Copy sign-in link)

    def cancel_sign_in(self) -> None:
        if self._sign_in_task is not None and not self._sign_in_task.done():
            self._sign_in_task.cancel()
            self._messages.info("Sign-in cancelled.")
        self._sign_in_task = None
        self._browser_active = False
        self.authorization_url = None
        self.deadline = None
        self.changed.emit()

    def sign_in_with_client_credentials(
        self, client_id: str, client_secret: str, scopes: Sequence[str] = ()
    ) -> None:
        session = self._require()
        if session is None or self._in_flight() or self._keychain_blocks():
            return
        self.last_service_request = ServiceRequest(client_id, tuple(scopes))
        self._sign_in_task = self._runner.start(
            self._other_sign_in(
                session.sign_in_with_client_credentials(client_id, client_secret, scopes)
            ),
            owner=self,
            on_error=self._failure_handler(SignInFlow.SERVICE),
            name="service-sign-in",
        )

    def use_api_key(self, api_key: str) -> None:
        session = self._require()
        if session is None or self._in_flight():
            return
        from twinedge_desktop.keyformat import display_prefix

        prefix = display_prefix(api_key)  # not secret: the API's own list shows it

        async def use() -> None:
            await session.use_api_key(api_key)
            self._api_key_prefixes[session.profile.id] = prefix

        self._sign_in_task = self._runner.start(
            self._other_sign_in(use()),
            owner=self,
            on_error=self._failure_handler(SignInFlow.API_KEY),
            name="api-key-sign-in",
        )

    async def _other_sign_in(self, flow: Any) -> None:
        self.last_failure = None
        self.busy = True
        self.changed.emit()
        try:
            await flow
        finally:
            self.busy = False
        self.succeeded.emit()
        self.changed.emit()

    def _failure_handler(self, flow: SignInFlow) -> Callable[[BaseException], bool]:
        def handle(exc: BaseException) -> bool:
            kind = classify_failure(exc)
            if kind is FailureKind.CANCELLED:  # the person asked for it: nothing to report
                self.changed.emit()
                return True
            self._fail(kind, describe_error(exc), flow)
            return True  # shown on the sign-in page with a retry, not as a second dialog

        return handle

    def _fail(self, kind: FailureKind, message: str, flow: SignInFlow) -> None:
        self.last_failure = Failure(kind, failure_title(kind), message, flow)
        log.info("Sign-in problem (%s, %s): %s", flow, kind, message)
        self.failed.emit(kind, self.last_failure.title, message)
        self.changed.emit()

    def dismiss_failure(self) -> None:
        self.last_failure = None
        self.changed.emit()

    def sign_out(self) -> None:
        session = self._require()
        if session is None:
            return
        self._runner.start(self._sign_out(session), owner=self, name="sign-out")

    async def _sign_out(self, session: Session) -> None:
        self.busy = True
        self.changed.emit()
        try:
            await session.sign_out()
        finally:
            self.busy = False
            self._api_key_prefixes.pop(session.profile.id, None)
            self.changed.emit()
        self._messages.info("Signed out. The saved sign-in was revoked and forgotten.")

    def _in_flight(self) -> bool:
        return self._sign_in_task is not None and not self._sign_in_task.done()

    def _keychain_blocks(self) -> bool:
        # The sign-in page says why (with "Try the keychain again"); a menu or shortcut
        # that slips through gets the same answer, not a second banner or a traceback.
        if self.keychain_unavailable is None:
            return False
        self._messages.info(
            "No keychain can keep the sign-in yet: see the Account page (try the keychain "
            "again, or continue without remembering)."
        )
        return True

    def _require(self) -> Session | None:
        if self._session is None:
            self._messages.warning("Still starting up: try again in a moment.")
        return self._session
