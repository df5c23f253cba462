"""How the window's shell and a feature page talk: :class:`Page`, :class:`PageInfo`, and what
a page is built with (:class:`PageContext`) and bound to (:class:`SessionBinding`).

A feature is a package under ``ui/`` whose ``__init__`` defines one ``PAGE = PageInfo(…)``:
the navigation's title, icon and extra shortcuts, the module that holds the page (imported
in a worker thread during startup) and the function that builds it. The shell lists the
``PAGE`` of every feature once; it shows the navigation in the first frame, from the
``PageInfo`` alone, and builds each page once the services exist.

The first frame imports only :class:`PageInfo` (``page_info.py``); this module comes with
the pages. It holds declarations only (no asyncio, no services; their types are named for
the type checker alone), as named tuples: a frozen dataclass takes ~0.4 ms to define, a
named tuple ~0.06 ms (measured).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

# Re-exported: defined apart so that the first frame, which lists the pages, imports
# none of this module (its protocols and named tuples take ~1 ms to define).
from twinedge_desktop.ui.common.page_info import PageInfo as PageInfo

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings, SignalInstance

    from twinedge_desktop.api.models import ApiKey
    from twinedge_desktop.auth.session import Session, SessionInfo
    from twinedge_desktop.config import Profile, ProfileStore
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.tokens import TokenInspector
    from twinedge_desktop.ui.common.key_actions import KeyActionRequest
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.tasks import TaskRunner


class SessionBinding(NamedTuple):
    """The session a page shows: the current profile's, and who is signed in to it.

    The shell hands every page a new binding whenever the session changes (sign-in,
    sign-out, profile switch, a renewed token). Bindings compare by value, so a page can
    ignore one equal to the last it saw.
    """

    profile: Profile | None
    session: Session | None
    info: SessionInfo | None  # None: nobody is signed in


class SandboxAccess(NamedTuple):
    """The local sandbox the app started itself (``--sandbox``): who can sign in, and its
    service client, so a person can try every way of signing in. The client secret is a
    demo secret, treated as a secret all the same: never in a ``repr`` (nor a log line)."""

    base_url: str
    demo_users: tuple[str, ...]  # e-mail addresses, the first with every read/write scope
    demo_password: str
    service_client_id: str
    service_client_secret: str

    def __repr__(self) -> str:
        return f"SandboxAccess({self.base_url!r}, service_client_id={self.service_client_id!r})"


class PageContext(NamedTuple):
    """Everything a page may be built with, made once by ``app.py`` and passed in."""

    runner: TaskRunner
    messages: MessageBridge
    profiles: ProfileStore
    settings: QSettings
    services: CoreServices
    token_inspector: TokenInspector
    open_browser: Callable[[str], bool]  # the system browser, for the sign-in
    show_sign_in: Callable[[], None]  # take the person to the sign-in (a page's "Sign in…")
    sandbox: SandboxAccess | None = None  # the embedded sandbox, when the app runs one


class Page(Protocol):
    """What the shell needs of a feature's page, besides it being a ``QWidget``."""

    def bind(self, binding: SessionBinding) -> None:
        """Show ``binding``'s session (called on every change; equal bindings may be ignored)."""

    def refresh(self) -> None:
        """Reload what the page shows (F5, unless the page has an F5 action of its own)."""


# What a page may do besides being a Page; the shell connects each one a page has
# (ui/shell/routes.py). Signals are named as the page's class defines them.


@runtime_checkable
class ReportsAttention(Protocol):
    """A page whose navigation entry shows a count (the Health page: keys that need
    attention), and which may ask to be brought to the front (a notification was clicked).

    Signals:
        attention_changed(int, str): the count (0: none) and a sentence saying what it
            counts ("3 keys need attention"), for the entry's tooltip and screen readers.
        show_requested(): show this page, with the window raised and active.
    """

    @property
    def attention_changed(self) -> SignalInstance: ...

    @property
    def show_requested(self) -> SignalInstance: ...


@runtime_checkable
class RequestsKeyActions(Protocol):
    """A page that asks for key actions the API Keys page performs (rotate, revoke…).

    Signals:
        key_action_requested(KeyActionRequest): start this flow.
    """

    @property
    def key_action_requested(self) -> SignalInstance: ...

    def key_updated(self, key: ApiKey) -> None:
        """A key changed through such a flow (revoked, created, read afresh)."""


@runtime_checkable
class PerformsKeyActions(Protocol):
    """The page that performs key actions for the others (the API Keys page).

    Signals:
        key_changed(ApiKey): a key changed through an action it performed.
    """

    @property
    def key_changed(self) -> SignalInstance: ...

    def perform_key_action(self, request: KeyActionRequest) -> object:
        """Start the flow ``request`` names (its dialog, or None when it cannot start)."""


@runtime_checkable
class RequestsTokenInspection(Protocol):
    """A page that asks to show a token in the Token Inspector (OAuth Applications' Try it).

    Signals:
        inspect_token_requested(str): open this token in the inspector and verify it.
    """

    @property
    def inspect_token_requested(self) -> SignalInstance: ...


@runtime_checkable
class InspectsTokens(Protocol):
    """The page that inspects tokens for the others (the Token Inspector)."""

    def inspect_token(self, token: str) -> None:
        """Show ``token`` in the inspector and verify it (a key is shown, never sent)."""
