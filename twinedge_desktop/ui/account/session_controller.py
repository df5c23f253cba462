"""The window's side of a :class:`~twinedge_desktop.auth.session.Session`.

One controller lives as long as the window; it is bound to the current
profile's session (``set_session``) and turns the session's state into Qt
signals, and the person's actions (sign in, cancel, sign out…) into tasks on
the :class:`TaskRunner`. It knows nothing about widgets, so the sign-in flows
are tested with a fake session and no window.

Signals:
    changed(): the bound session's state or info changed, or another session was bound.
    waiting(str, float): browser sign-in is waiting for the browser; the sign-in link and
        the deadline as ``time.monotonic()`` seconds.
    failed(str, str, str): a sign-in failed; (kind, title, message). kind is a
        :class:`FailureKind` value; the message is the service's own, secret-free text.
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

from twinedge_desktop.auth.kinds import SessionState
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


class Failure(NamedTuple):
    """A sign-in problem as the sign-in page shows it."""

    kind: FailureKind
    title: str
    message: str


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
    # Told by where the error comes from: views never import the vault (the layering
    # test checks), and the session passes the vault's KeychainUnavailable on as it is.
    return type(exc).__module__.startswith("twinedge_desktop.vault")


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
        self._seen_keychain_problem: object | None = None
        self.last_failure: Failure | None = None

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
    def state_name(self) -> str:
        """The state's name ("SIGNED_OUT", …; "NONE" before a session is bound), for logs and
        the end-to-end tests' reports. The window compares :attr:`state`, by identity."""
        state = self.state
        return "NONE" if state is None else state.name

    def status_text(self, profile_name: str) -> str:
        """The window's status line: who is signed in where, or what is under way.

        ``profile_name`` is the current profile's, said until a session is bound.
        """
        session = self._session
        where = session.profile.name if session is not None else profile_name
        info = self.signed_in_info
        if info is not None:
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
        self._seen_keychain_problem = None
        if session is not None:
            self._remove_listener = session.add_listener(self._session_changed)
        self.changed.emit()

    def _session_changed(self) -> None:
        session = self._session
        reason = session.signed_out_reason if session is not None else None
        if (
            session is not None
            and reason is not None
            and reason is not self._seen_signed_out_reason
            and session.state is SessionState.SIGNED_OUT
        ):
            # The session ended on its own (the server rejected the saved sign-in):
            # say so on the sign-in page instead of silently showing "Sign in".
            self._seen_signed_out_reason = reason
            self._fail(FailureKind.SIGNED_OUT, describe_error(reason))
            return
        self._warn_keychain_problem(session)
        self.changed.emit()

    @property
    def keychain_problem(self) -> str | None:
        """Why the renewed sign-in could not be saved in the keychain, if it could not."""
        session = self._session
        problem = session.keychain_problem if session is not None else None
        return problem.user_message if problem is not None else None

    def _warn_keychain_problem(self, session: Session | None) -> None:
        # Signed in, but the renewed refresh token is only in memory: say so once per
        # problem, or the person finds out only at the next start ("please sign in").
        problem = session.keychain_problem if session is not None else None
        if problem is None or problem is self._seen_keychain_problem:
            return
        self._seen_keychain_problem = problem
        self._messages.warning(
            f"{problem.user_message} You stay signed in until you quit, "
            "but the next start will ask you to sign in again."
        )

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
            self._fail(kind, describe_error(exc))
            return True
        return False

    def sign_in_with_browser(self) -> None:
        session = self._require()
        if session is None or self._in_flight():
            return
        self.last_failure = None
        self._browser_active = True  # at once, so the waiting page shows before the first await
        self.authorization_url = None
        self.deadline = time.monotonic() + self.sign_in_timeout
        self._sign_in_task = self._runner.start(
            self._browser_sign_in(session),
            owner=self,
            on_error=self._sign_in_failed,
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
        if session is None or self._in_flight():
            return
        self._sign_in_task = self._runner.start(
            self._other_sign_in(
                session.sign_in_with_client_credentials(client_id, client_secret, scopes)
            ),
            owner=self,
            on_error=self._sign_in_failed,
            name="service-sign-in",
        )

    def use_api_key(self, api_key: str) -> None:
        session = self._require()
        if session is None or self._in_flight():
            return
        self._sign_in_task = self._runner.start(
            self._other_sign_in(session.use_api_key(api_key)),
            owner=self,
            on_error=self._sign_in_failed,
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

    def _sign_in_failed(self, exc: BaseException) -> bool:
        kind = classify_failure(exc)
        if kind is FailureKind.CANCELLED:  # the person asked for it: nothing to report
            self.changed.emit()
            return True
        self._fail(kind, describe_error(exc))
        return True  # shown on the sign-in page with a retry, not as a second dialog

    def _fail(self, kind: FailureKind, message: str) -> None:
        self.last_failure = Failure(kind, failure_title(kind), message)
        log.info("Sign-in problem (%s): %s", kind, message)
        self.failed.emit(*self.last_failure)
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
            self.changed.emit()
        self._messages.info("Signed out. The saved sign-in was revoked and forgotten.")

    def _in_flight(self) -> bool:
        return self._sign_in_task is not None and not self._sign_in_task.done()

    def _require(self) -> Session | None:
        if self._session is None:
            self._messages.warning("Still starting up: try again in a moment.")
        return self._session
