"""The services bundle: built once by the window (``app.py``) and by the command line.

One ``httpx.AsyncClient`` for the life of the bundle, one credential store
chosen at start, one :class:`Session` per profile.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import httpx

from twinedge_desktop.api.apps import OAuthAppsService
from twinedge_desktop.api.client import MAX_ATTEMPTS, ApiClient
from twinedge_desktop.api.errors import ApiError
from twinedge_desktop.api.http import build_http_client, get_json_document
from twinedge_desktop.api.keys import ApiKeysService
from twinedge_desktop.api.models import Me
from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.auth.profiles import audience_of
from twinedge_desktop.auth.session import MAX_ME_BYTES, ME_DEADLINE_SECONDS, Session
from twinedge_desktop.config import AppPaths, Profile, ProfileStore
from twinedge_desktop.vault import (
    CredentialStore,
    KeychainUnavailable,
    MemoryStore,
    SwitchableStore,
    UnavailableStore,
    open_system_store,
)

log = logging.getLogger(__name__)


class CoreServices:
    """Everything non-GUI the app needs, with one lifetime."""

    def __init__(
        self,
        paths: AppPaths,
        store: ProfileStore,
        http: httpx.AsyncClient,
        credential_store: CredentialStore | None,
        keychain_error: KeychainUnavailable | None,
    ) -> None:
        self.paths = paths
        self.profiles = store
        self.http = http
        self.keychain_error = keychain_error
        if credential_store is None:
            assert keychain_error is not None
            credential_store = UnavailableStore(keychain_error)
        self._store = SwitchableStore(credential_store)
        self._sessions: dict[str, Session] = {}

    @classmethod
    async def create(
        cls,
        paths: AppPaths,
        store: ProfileStore,
        *,
        credential_store: CredentialStore | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> CoreServices:
        """Open the keychain (off the loop) unless a store is given, and the HTTP client."""
        keychain_error: KeychainUnavailable | None = None
        if credential_store is None:
            try:
                credential_store = await asyncio.to_thread(open_system_store)
            except KeychainUnavailable as exc:
                keychain_error = exc
                log.info("No keychain: %s", exc.user_message)
        return cls(paths, store, http or build_http_client(), credential_store, keychain_error)

    @property
    def credential_store(self) -> CredentialStore:
        return self._store

    def continue_without_keychain(self) -> None:
        """Remember sign-ins in memory for this run only (the person chose to)."""
        if not isinstance(self._store.target, MemoryStore):
            self._store.target = MemoryStore()

    async def retry_keychain(self) -> KeychainUnavailable | None:
        """Open the system keychain again (off the loop: D-Bus, maybe an unlock prompt),
        after it could not be used (an unlock cancelled, its service not running yet).

        On success every session uses it from now on and ``keychain_error`` is None;
        otherwise ``keychain_error`` is the new reason, which is also returned.
        """
        try:
            store = await asyncio.to_thread(open_system_store)
        except KeychainUnavailable as exc:
            self.keychain_error = exc
            log.info("The keychain is still unavailable: %s", exc.user_message)
            return exc
        self._store.target = store
        self.keychain_error = None
        log.info("The keychain can be used now (%s)", store.backend_name)
        return None

    def session_for(self, profile: Profile) -> Session:
        """The one Session for ``profile.id``.

        A renamed profile (or new default scopes) keeps its session; a profile that
        now names another issuer or client id gets a new, signed-out one, since the
        old tokens belong to the old server.
        """
        session = self._sessions.get(profile.id)
        if session is not None:
            same_server = (
                session.profile.issuer.rstrip("/") == profile.issuer.rstrip("/")
                and session.profile.client_id == profile.client_id
            )
            if same_server:
                session.profile = profile
                return session
            log.info("Profile %s now points at another server; new session", profile.id)
        # The sign-in lock is the user's, not this data directory's (auth/locking.py).
        session = Session(profile, self.http, self._store)
        self._sessions[profile.id] = session
        return session

    async def find_api_from_audience(self, session: Session) -> tuple[Profile, Me] | None:
        """See :func:`find_api_from_audience` (``login`` and the window's Add profile…)."""
        return await find_api_from_audience(self.http, session)

    def api_keys_for(self, session: Session, *, max_attempts: int = MAX_ATTEMPTS) -> ApiKeysService:
        """The API-keys endpoints as ``session``'s holder (SignInError: no API address).

        ``max_attempts`` bounds retries of lost answers (``keys create`` retries once).
        """
        return ApiKeysService(self._api_client(session, "API keys", max_attempts))

    def oauth_apps_for(self, session: Session) -> OAuthAppsService:
        """The OAuth-applications endpoints as ``session``'s holder (SignInError: no API
        address). Only a person's sign-in may manage them; the server refuses others."""
        return OAuthAppsService(self._api_client(session, "OAuth applications"))

    def _api_client(
        self, session: Session, what: str, max_attempts: int = MAX_ATTEMPTS
    ) -> ApiClient:
        api_base = session.profile.api_base
        if not api_base:
            raise SignInError(
                f"The profile {session.profile.name!r} has no API address, so {what} cannot be "
                "managed with it."
            )
        return ApiClient(self.http, api_base, session, max_attempts=max_attempts)

    async def aclose(self) -> list[str]:
        """Close every session (a last attempt to save an unsaved renewed sign-in), then the
        HTTP client. Returns what the person must be told: one sentence per sign-in that is
        still unsaved (the next start will ask to sign in again), else an empty list."""
        warnings: list[str] = []
        try:
            for session in list(self._sessions.values()):
                message = await session.aclose()
                if message:
                    warnings.append(message)
        finally:
            await self.http.aclose()
        return warnings


async def find_api_from_audience(
    http: httpx.AsyncClient, session: Session
) -> tuple[Profile, Me] | None:
    """The last way to find a new profile's API: the token's audience, as ``{aud}/v1``.

    Used only when neither the server's metadata (``api_base_url``) nor the person (``login
    --api-url``, the API address of Add profile…) gave one. TwinEdge's own cloud API answers
    there; other servers simply do not, and the profile stays sign-in only. Returns the
    profile with its API and audience, and who ``/me`` says is signed in (so the caller need
    not ask again); None when the profile has an API already or none answers there.
    """
    profile = session.profile
    if profile.api_base:
        return None
    token = await session.access_token()
    audience = audience_of(token)
    if audience is None:
        return None
    api_base = f"{audience.rstrip('/')}/v1"
    try:
        # Bounded like every fetch (a whole-exchange deadline, a byte cap): a guessed address
        # may be anything, such as a server that trickles its answer for ever.
        document = await get_json_document(
            http,
            f"{api_base}/me",
            what="API guessed from the token's audience",
            headers={"Authorization": f"Bearer {token}"},
            timeout=ME_DEADLINE_SECONDS,
            max_bytes=MAX_ME_BYTES,
        )
    except ApiError as exc:
        log.info("No API found at the token's audience: %s", exc.user_message)
        return None
    data = document.data
    if not isinstance(data, dict) or "sub" not in data:
        return None
    try:
        me = Me.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None
    return replace(profile, api_base=api_base, audience=audience), me
