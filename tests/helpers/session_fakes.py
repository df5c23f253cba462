"""Fake sessions and services for the window's unit tests.

They follow the contract of ``auth.session.Session`` and ``services.CoreServices``
(docs/contracts.md) closely enough for the window, and let a test decide when and
how each flow ends. The real ones are exercised by the end-to-end test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.auth.session import SessionInfo, SessionState
from twinedge_desktop.config import Profile


def user_info(profile_id: str = "sandbox", **changes: Any) -> SessionInfo:
    values: dict[str, Any] = {
        "profile_id": profile_id,
        "kind": CredentialKind.USER,
        "subject": "user-123",
        "org": "org-456",
        "email": "engineer@example.com",
        "name": "Erin Engineer",
        "scopes": ("read:assets", "write:alerts"),
        "access_expires_at": datetime.now(UTC) + timedelta(minutes=59, seconds=30),
        "keychain": "Secret Service (GNOME Keyring)",
    }
    values.update(changes)
    return SessionInfo(**values)


class FakeSession:
    """A Session whose flows wait for the test to resolve them."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.state = SessionState.SIGNED_OUT
        self.info: SessionInfo | None = None
        self.signed_out_reason: Exception | None = None
        self.keychain_problem: Exception | None = None
        self.last_sign_out_revoked = False  # as Session: whether the server confirmed it
        self._listeners: list[Callable[[], None]] = []
        self.calls: list[str] = []
        self.restore_result: SessionInfo | None = None
        self.restore_error: BaseException | None = None
        self.service_error: BaseException | None = None  # what a service sign-in raises
        self.pending: asyncio.Future[SessionInfo] | None = None
        self.opened_urls: list[str] = []
        self.authorization_url = f"{profile.issuer}/oauth/authorize?client_id=twinedge-desktop"

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def set_state(self, state: SessionState, info: SessionInfo | None = None) -> None:
        self.state = state
        self.info = info
        for callback in list(self._listeners):
            callback()

    async def restore(self) -> bool:
        self.calls.append("restore")
        self.set_state(SessionState.RESTORING)
        await asyncio.sleep(0)
        if self.restore_error is not None:
            self.set_state(SessionState.SIGNED_OUT)
            raise self.restore_error
        if self.restore_result is None:
            self.set_state(SessionState.SIGNED_OUT)
            return False
        self.set_state(SessionState.SIGNED_IN, self.restore_result)
        return True

    async def sign_in_with_browser(
        self,
        *,
        open_browser: Callable[[str], bool],
        on_authorization_url: Callable[[str], None] | None = None,
        timeout: float = 300.0,
    ) -> SessionInfo:
        self.calls.append("browser")
        previous = (self.state, self.info)
        self.set_state(SessionState.SIGNING_IN, self.info)
        self.pending = asyncio.get_running_loop().create_future()
        if on_authorization_url is not None:
            on_authorization_url(self.authorization_url)
        open_browser(self.authorization_url)
        try:
            info = await self.pending
        except BaseException:
            self.set_state(*previous)
            raise
        self.set_state(SessionState.SIGNED_IN, info)
        return info

    async def sign_in_with_client_credentials(
        self, client_id: str, client_secret: str, scopes: Sequence[str] = ()
    ) -> SessionInfo:
        self.calls.append(f"service:{client_id}:{','.join(scopes)}")
        await asyncio.sleep(0)
        if self.service_error is not None:
            raise self.service_error
        info = user_info(
            self.profile.id,
            kind=CredentialKind.SERVICE,
            email=None,
            name=None,
            subject=client_id,
            keychain="memory",
        )
        self.set_state(SessionState.SIGNED_IN, info)
        return info

    async def use_api_key(self, api_key: str) -> SessionInfo:
        self.calls.append("api_key")
        info = user_info(self.profile.id, kind=CredentialKind.API_KEY, access_expires_at=None)
        self.set_state(SessionState.SIGNED_IN, info)
        return info

    async def access_token(self) -> str:
        self.calls.append("access_token")
        return "header.payload.signature"

    async def sync_with_keychain(self) -> None:
        self.calls.append("sync")

    async def sign_out(self) -> None:
        self.calls.append("sign_out")
        self.set_state(SessionState.SIGNED_OUT)


def server_metadata(issuer: str, **fields: Any) -> ServerMetadata:
    """Discovery's answer for ``issuer`` (the real ServerMetadata, as the server would send
    it): "Add profile…" builds the profile from it with the core's profile_for_issuer."""
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "code_challenge_methods_supported": ["S256"],
        **fields,
    }
    return ServerMetadata.from_json(document)


@dataclass
class FakeCredentialStore:
    backend_name: str = "Secret Service (GNOME Keyring)"


@dataclass
class FakeServices:
    """CoreServices' surface the window uses."""

    keychain_error: Any = None
    http: Any = None
    sessions: dict[str, FakeSession] = field(default_factory=dict)
    continued_without_keychain: bool = False
    api_keys_calls: list[str] = field(default_factory=list)
    oauth_apps_calls: list[str] = field(default_factory=list)
    credential_store: Any = field(default_factory=lambda: FakeCredentialStore())

    def session_for(self, profile: Profile) -> FakeSession:
        # As CoreServices.session_for: the one session per profile id follows the profile
        # (a rename), unless the profile now names another server (then a new one).
        session = self.sessions.get(profile.id)
        if session is not None and (session.profile.issuer, session.profile.client_id) == (
            profile.issuer,
            profile.client_id,
        ):
            session.profile = profile
            return session
        self.sessions[profile.id] = FakeSession(profile)
        return self.sessions[profile.id]

    def api_keys_for(self, session: FakeSession) -> Any:
        from tests.helpers.keys import FakeKeysService  # it builds on user_info, defined here

        self.api_keys_calls.append(session.profile.id)
        return FakeKeysService()

    def oauth_apps_for(self, session: FakeSession) -> Any:
        from tests.helpers.apps import FakeAppsService

        self.oauth_apps_calls.append(session.profile.id)
        return FakeAppsService()

    def continue_without_keychain(self) -> None:
        self.continued_without_keychain = True
        self.keychain_error = None

    # What each "Try the keychain again" finds: None (it opens) or the reason it does not.
    keychain_retries: list[Any] = field(default_factory=list)

    async def retry_keychain(self) -> Any:
        outcome = self.keychain_retries.pop(0) if self.keychain_retries else None
        self.keychain_error = outcome
        return outcome

    async def aclose(self) -> None:
        return None
