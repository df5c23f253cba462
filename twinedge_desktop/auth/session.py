"""A session per profile: who is signed in, and a fresh access token on demand.

The access token lives in memory only. What a later start needs to restore
the session (a refresh token, or a service client's secret) lives in the
keychain, written through ``asyncio.to_thread`` because keychain calls block.
Refreshes are single flight: however many callers find the token stale (or
get a 401) at once, one refresh runs and all of them share its result; it runs
shielded, so a cancelled caller never loses a rotated refresh token, which is
written to the keychain before it can be used again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from twinedge_desktop.api.errors import ApiError, InvalidToken
from twinedge_desktop.auth.discovery import ServerMetadata, discover
from twinedge_desktop.auth.errors import (
    IssuerMismatch,
    SignedOut,
    SignInDenied,
    SignInError,
    SignInTimedOut,
    StateMismatch,
    clean_server_text,
)
from twinedge_desktop.auth.kinds import CredentialKind, SessionState
from twinedge_desktop.auth.loopback import LoopbackListener
from twinedge_desktop.auth.oauth import OAuthClient, TokenEndpointError, TokenResponse
from twinedge_desktop.auth.pkce import code_challenge_s256, new_code_verifier, new_state
from twinedge_desktop.config import Profile
from twinedge_desktop.vault import CredentialStore, KeychainUnavailable

log = logging.getLogger(__name__)

# Refresh this long before the access token expires, so a request never races expiry.
REFRESH_MARGIN = timedelta(seconds=60)
NOT_STORED = "not stored (this session only)"
ENTRY_VERSION = 1

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SessionInfo:
    """Who is signed in and how; nothing secret."""

    profile_id: str
    kind: CredentialKind
    subject: str | None
    org: str | None
    email: str | None
    name: str | None
    scopes: tuple[str, ...]
    access_expires_at: datetime | None
    keychain: str


@dataclass
class _AccessToken:
    value: str = field(repr=False)
    expires_at: datetime | None

    def is_fresh(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at - REFRESH_MARGIN > now


def unverified_claims(token: str) -> dict[str, Any]:
    """JWT claims for display only (the token came straight from the token endpoint).

    Opaque tokens, which any standards-compliant server may issue, give {}.
    """
    if token.count(".") != 2:
        return {}
    try:
        import jwt

        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:  # not a JWT after all: that is allowed
        return {}
    return claims if isinstance(claims, dict) else {}


def _str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None


class Session:
    """The sign-in state of one profile. Built by :class:`CoreServices`, one per profile."""

    def __init__(
        self,
        profile: Profile,
        http: httpx.AsyncClient,
        store: CredentialStore,
        *,
        clock: Clock = _utc_now,
        metadata: ServerMetadata | None = None,
    ) -> None:
        self.profile = profile
        self.state = SessionState.SIGNED_OUT
        self.info: SessionInfo | None = None
        # Why the session ended on its own (a rejected refresh token), for the UI to say so.
        self.signed_out_reason: SignInError | None = None
        # Set when the keychain could not save a rotated token; the session still works.
        self.keychain_problem: KeychainUnavailable | None = None
        self._http = http
        self._store = store
        self._clock = clock
        self._metadata = metadata
        self._listeners: list[Callable[[], None]] = []
        self._access: _AccessToken | None = None
        self._refresh_token: str | None = None
        self._client_secret: str | None = None
        self._service_client_id: str | None = None
        self._kind: CredentialKind | None = None
        self._refresh_task: asyncio.Task[str] | None = None
        self._listener: LoopbackListener | None = None
        self._flow_lock = asyncio.Lock()
        # Bumped whenever the tokens in memory are replaced or forgotten (sign-in, sign-out,
        # end of session): a refresh answered after that belongs to a session that is gone.
        self._generation = 0
        self._service_scopes: tuple[str, ...] = ()
        self.refresh_count = 0
        # Whether the last sign_out's revocation was confirmed by the server.
        self.last_sign_out_revoked = (
            False  # how many refresh grants this session has run (diagnostics, tests)
        )

    # -- listeners --

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` whenever ``state`` or ``info`` changes; returns "remove"."""
        self._listeners.append(callback)

        def remove() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return remove

    def _notify(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:  # one broken listener must not stop the others or the session
                log.exception("Session listener failed")

    def _set_state(self, state: SessionState, info: SessionInfo | None = None) -> None:
        self.state = state
        self.info = info
        self._notify()

    # -- keychain --

    @property
    def _entry_key(self) -> str:
        return f"session/{self.profile.id}"

    @property
    def keychain_name(self) -> str:
        return self._store.backend_name if self._store.is_persistent else NOT_STORED

    async def _load_entry(self) -> dict[str, Any] | None:
        raw = await asyncio.to_thread(self._store.get, self._entry_key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning(
                "The stored sign-in for profile %s is unreadable; ignoring it", self.profile.id
            )
            return None
        if not isinstance(data, dict) or data.get("v") != ENTRY_VERSION:
            return None
        if data.get("issuer") != self.profile.issuer.rstrip("/"):
            # Saved for another server (the profile was re-pointed): never send it elsewhere.
            return None
        if data.get("kind") == "user" and data.get("client_id") != self.profile.client_id:
            # Issued to another client id: a refresh token is bound to its client.
            return None
        return data

    async def _save_entry(self, **fields: str) -> None:
        """Write the restore entry; every failure is a KeychainUnavailable with a sentence."""
        data = {"v": ENTRY_VERSION, "issuer": self.profile.issuer.rstrip("/"), **fields}
        try:
            await asyncio.to_thread(
                self._store.set, self._entry_key, json.dumps(data, separators=(",", ":"))
            )
        except ValueError as exc:  # the store's size limit; its text gives sizes, not content
            raise KeychainUnavailable(
                "too-large",
                "The sign-in is too large to keep in the system keychain (the server's token "
                f"is unusually long: {exc}). Ask the server's administrator about token size.",
            ) from None

    async def _forget_entry(self) -> None:
        try:
            await asyncio.to_thread(self._store.delete, self._entry_key)
        except KeychainUnavailable as exc:
            log.warning("Could not delete the stored sign-in: %s", exc.user_message)

    def _clear_memory(self) -> None:
        self._generation += 1
        self._access = None
        self._refresh_token = None
        self._client_secret = None
        self._service_client_id = None
        self._kind = None

    # -- discovery --

    async def metadata(self) -> ServerMetadata:
        """The profile's authorization server metadata (discovered once, then kept)."""
        if self._metadata is None:
            self._metadata = await discover(self._http, self.profile.issuer)
        return self._metadata

    async def _oauth(self, client_id: str | None = None, secret: str | None = None) -> OAuthClient:
        return OAuthClient(
            self._http, await self.metadata(), client_id or self.profile.client_id, secret
        )

    # -- sign-in --

    def authorization_url(
        self,
        metadata: ServerMetadata,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str,
        scopes: Sequence[str],
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": self.profile.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if scopes:
            params["scope"] = " ".join(scopes)
        parts = urlsplit(metadata.authorization_endpoint)
        # Keep any query the endpoint already has (RFC 6749 §3.1 allows one).
        query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

    async def sign_in_with_browser(
        self,
        *,
        open_browser: Callable[[str], bool],
        on_authorization_url: Callable[[str], None] | None = None,
        timeout: float = 300.0,  # the contract's name; wait_for applies it
        scopes: Sequence[str] | None = None,
    ) -> SessionInfo:
        """Authorization code + PKCE through the system browser and a loopback listener.

        ``open_browser(url)`` opens the browser (True when it did); the URL is also
        given to ``on_authorization_url`` so the caller can show it for copying.
        Cancel the task (or call :meth:`cancel_sign_in`) to stop waiting.
        """
        if self._flow_lock.locked():
            raise SignInError(
                "A sign-in (or a restore from the keychain) is already in progress for this "
                "profile. Finish or cancel it first."
            )
        async with self._flow_lock:
            self._require_keychain()
            metadata = await self.metadata()
            if not metadata.supports_pkce_s256:
                raise SignInError(
                    "The authorization server does not support PKCE with S256, which this app "
                    "requires for a safe sign-in."
                )
            requested = tuple(scopes if scopes is not None else self.profile.scopes)
            previous_state, previous_info = self.state, self.info
            verifier = new_code_verifier()
            state = new_state()
            listener = LoopbackListener()
            await listener.start()
            self._listener = listener
            self._set_state(SessionState.SIGNING_IN, previous_info)
            try:
                url = self.authorization_url(
                    metadata,
                    redirect_uri=listener.redirect_uri,
                    state=state,
                    code_challenge=code_challenge_s256(verifier),
                    scopes=requested,
                )
                if on_authorization_url is not None:
                    on_authorization_url(url)
                try:
                    opened = open_browser(url)
                except Exception:  # no browser is not fatal: the URL was given to the caller
                    log.warning("Opening the browser failed", exc_info=True)
                    opened = False
                if not opened:
                    log.info("No browser opened; waiting for the sign-in link to be used by hand")
                try:
                    params = await asyncio.wait_for(listener.wait_for_callback(), timeout)
                except TimeoutError:
                    raise SignInTimedOut(
                        f"Sign-in timed out: the browser did not come back within "
                        f"{_duration(timeout)}. Try again."
                    ) from None
                code = self._check_callback(params, state, metadata)
                tokens = await (await self._oauth()).exchange_code(
                    code, listener.redirect_uri, verifier
                )
                info = await self._adopt_user_tokens(tokens, requested)
                listener.finish(True, "You are signed in to TwinEdge Desktop.")
                return info
            except asyncio.CancelledError:
                listener.finish(False, "Sign-in was cancelled in TwinEdge Desktop.")
                self._set_state(previous_state, previous_info)
                raise
            except (SignInError, ApiError, KeychainUnavailable) as exc:
                listener.finish(False, exc.user_message)
                self._set_state(previous_state, previous_info)
                raise
            except BaseException:
                listener.finish(False, "Sign-in failed in TwinEdge Desktop.")
                self._set_state(previous_state, previous_info)
                raise
            finally:
                self._listener = None
                await listener.aclose()

    def cancel_sign_in(self) -> None:
        """Stop a browser sign-in in progress: it raises SignInCancelled and closes its listener."""
        if self._listener is not None:
            self._listener.cancel()

    def _require_keychain(self) -> None:
        error = getattr(self._store, "unavailable_error", None)
        if isinstance(error, KeychainUnavailable):
            raise error

    @staticmethod
    def _check_callback(params: dict[str, str], state: str, metadata: ServerMetadata) -> str:
        """Validate an authorization response; return the code. Order matters:

        state first (a response not for this sign-in is ignored whatever it says),
        then the RFC 9207 issuer, then error / code.
        """
        received_state = params.get("state")
        if not received_state or not secrets.compare_digest(
            received_state.encode("utf-8", "replace"), state.encode("ascii")
        ):
            raise StateMismatch()
        if metadata.iss_parameter_supported:
            iss = params.get("iss")
            if not iss or iss != metadata.issuer:
                raise IssuerMismatch()
        elif "iss" in params and params["iss"] != metadata.issuer:
            # Not announced, but present and wrong is still a mix-up.
            raise IssuerMismatch()
        error = params.get("error")
        if error:
            description = params.get("error_description")
            detail = f" Server said: {clean_server_text(description, 200)}" if description else ""
            if error == "access_denied":
                raise SignInDenied(SignInDenied.default_message + detail, error=error)
            messages = {
                "invalid_scope": "The authorization server refused the requested scopes.",
                "unauthorized_client": "This application is not allowed to sign in this way at "
                "the authorization server.",
                "invalid_request": "The authorization server rejected the sign-in request.",
                "unsupported_response_type": "The authorization server does not support this "
                "app's sign-in flow.",
                "server_error": "The authorization server had a problem. Try again.",
                "temporarily_unavailable": "The authorization server is temporarily unavailable. "
                "Try again in a moment.",
                "login_required": "The authorization server needs you to sign in again.",
                "consent_required": "The authorization server needs your consent to continue.",
            }
            base = messages.get(error, f"Sign-in failed ({clean_server_text(error, 60)}).")
            raise SignInError(base + detail, error=error)
        code = params.get("code")
        if not code:
            raise SignInError("The authorization server's response did not contain a sign-in code.")
        return code

    async def _adopt_user_tokens(
        self, tokens: TokenResponse, requested: tuple[str, ...]
    ) -> SessionInfo:
        access = self._access_from(tokens)
        if tokens.refresh_token:
            try:
                await self._save_entry(
                    kind="user",
                    client_id=self.profile.client_id,
                    refresh_token=tokens.refresh_token,
                )
            except KeychainUnavailable:
                # Not kept, so not needed: do not leave a live refresh token at the server.
                await (await self._oauth()).revoke(tokens.refresh_token, "refresh_token")
                raise
        else:
            # Nothing to restore from: forget any older entry so it is not mistaken for this one.
            await self._forget_entry()
        self._clear_memory()
        self._kind = CredentialKind.USER
        self._access = access
        self._refresh_token = tokens.refresh_token
        self.signed_out_reason = None
        info = self._info_from(tokens, access, CredentialKind.USER, requested)
        info = await self._enrich_with_me(info, access.value)
        self._set_state(SessionState.SIGNED_IN, info)
        return info

    def _access_from(self, tokens: TokenResponse) -> _AccessToken:
        expires = (
            self._clock() + timedelta(seconds=tokens.expires_in)
            if tokens.expires_in is not None
            else None
        )
        if expires is None:
            exp = unverified_claims(tokens.access_token).get("exp")
            if isinstance(exp, int | float) and not isinstance(exp, bool):
                try:
                    expires = datetime.fromtimestamp(exp, UTC)
                except (OverflowError, ValueError, OSError):  # not a time datetime can hold
                    expires = None
        return _AccessToken(tokens.access_token, expires)

    def _info_from(
        self,
        tokens: TokenResponse,
        access: _AccessToken,
        kind: CredentialKind,
        requested: tuple[str, ...],
    ) -> SessionInfo:
        claims = unverified_claims(tokens.access_token)
        if tokens.scope is not None:
            scopes = tuple(tokens.scope.split())
        elif isinstance(claims.get("scope"), str):
            scopes = tuple(str(claims["scope"]).split())
        else:
            scopes = requested  # RFC 6749 §5.1: omitted scope means "as requested"
        persisted = bool(tokens.refresh_token) if kind is CredentialKind.USER else True
        return SessionInfo(
            profile_id=self.profile.id,
            kind=kind,
            subject=_str_or_none(claims.get("sub")),
            org=_str_or_none(claims.get("org")),
            email=_str_or_none(claims.get("email")),
            name=_str_or_none(claims.get("name")),
            scopes=scopes,
            access_expires_at=access.expires_at,
            keychain=self.keychain_name if persisted else NOT_STORED,
        )

    async def _enrich_with_me(self, info: SessionInfo, bearer: str) -> SessionInfo:
        """Fill in name/email/org from ``GET /v1/me`` when the profile has an API; best effort."""
        if not self.profile.api_base:
            return info
        try:
            response = await self._http.get(
                f"{self.profile.api_base.rstrip('/')}/me",
                headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
                timeout=httpx.Timeout(10.0, connect=5.0),
            )
            if response.status_code != 200:
                return info
            data = response.json()
        except Exception:  # who-am-I is decoration; the session works without it
            log.info("Could not read /me for profile %s", self.profile.id)
            return info
        if not isinstance(data, dict):
            return info
        return replace(
            info,
            subject=_str_or_none(data.get("sub")) or info.subject,
            org=_str_or_none(data.get("org")) or info.org,
            email=_str_or_none(data.get("email")) or info.email,
            name=_str_or_none(data.get("name")) or info.name,
        )

    async def sign_in_with_client_credentials(
        self, client_id: str, client_secret: str, scopes: Sequence[str] = ()
    ) -> SessionInfo:
        """A service session (RFC 6749 §4.4). The secret is kept in the keychain to restore it."""
        async with self._flow_lock:
            self._require_keychain()
            oauth = await self._oauth(client_id, client_secret)
            tokens = await oauth.client_credentials(tuple(scopes))
            await self._save_entry(
                kind="service",
                client_id=client_id,
                client_secret=client_secret,
                scope=" ".join(scopes),
            )
            return await self._adopt_service_tokens(tokens, client_id, client_secret, tuple(scopes))

    async def _adopt_service_tokens(
        self, tokens: TokenResponse, client_id: str, secret: str, requested: tuple[str, ...]
    ) -> SessionInfo:
        access = self._access_from(tokens)
        self._clear_memory()
        self._kind = CredentialKind.SERVICE
        self._service_client_id = client_id
        self._client_secret = secret
        self._service_scopes = requested
        self._access = access
        self.signed_out_reason = None
        info = self._info_from(tokens, access, CredentialKind.SERVICE, requested)
        if info.subject is None:
            info = replace(info, subject=client_id)
        self._set_state(SessionState.SIGNED_IN, info)
        return info

    async def use_api_key(self, api_key: str) -> SessionInfo:
        """Use an API key for this run (never stored); checks it with ``GET /v1/me``."""
        if not self.profile.api_base:
            raise SignInError("This profile has no API address, so an API key cannot be checked.")
        from twinedge_desktop.api.client import ApiClient
        from twinedge_desktop.api.keys import ApiKeysService

        me = await ApiKeysService(ApiClient(self._http, self.profile.api_base, None)).test_key(
            api_key
        )
        self._clear_memory()
        self._kind = CredentialKind.API_KEY
        self._access = _AccessToken(api_key, None)
        self.signed_out_reason = None
        info = SessionInfo(
            profile_id=self.profile.id,
            kind=CredentialKind.API_KEY,
            subject=me.sub or None,
            org=me.org or None,
            email=me.email,
            name=me.name,
            scopes=me.scopes,
            access_expires_at=None,
            keychain=NOT_STORED,
        )
        self._set_state(SessionState.SIGNED_IN, info)
        return info

    # -- restore --

    async def restore(self) -> bool:
        """Sign in from the keychain without a browser; False when nothing usable is stored.

        A stored refresh token the server rejects clears the entry, sets
        ``signed_out_reason`` and returns False. Network problems raise (the
        stored sign-in is kept for the next attempt).
        """
        if self.state is SessionState.SIGNED_IN:
            return True
        async with self._flow_lock:
            self._set_state(SessionState.RESTORING)
            try:
                entry = await self._load_entry()
                if entry is None:
                    self._set_state(SessionState.SIGNED_OUT)
                    return False
                kind = entry.get("kind")
                if kind == "user" and isinstance(entry.get("refresh_token"), str):
                    self._kind = CredentialKind.USER
                    self._refresh_token = str(entry["refresh_token"])
                    try:
                        await self._refresh_shared(None)
                    except SignedOut:
                        return False
                    return True
                if kind == "service" and isinstance(entry.get("client_secret"), str):
                    client_id = str(entry.get("client_id") or "")
                    secret = str(entry["client_secret"])
                    scopes = tuple(str(entry.get("scope") or "").split())
                    oauth = await self._oauth(client_id, secret)
                    try:
                        tokens = await oauth.client_credentials(scopes)
                    except TokenEndpointError as exc:
                        if exc.error in ("invalid_client", "unauthorized_client"):
                            await self._end_session(
                                SignedOut(
                                    "You have been signed out: the server no longer accepts "
                                    "the saved "
                                    "client credentials. Sign in again."
                                )
                            )
                            return False
                        raise
                    await self._adopt_service_tokens(tokens, client_id, secret, scopes)
                    return True
                self._set_state(SessionState.SIGNED_OUT)
                return False
            except BaseException:
                if self.state is SessionState.RESTORING:
                    self._clear_memory()
                    self._set_state(SessionState.SIGNED_OUT)
                raise

    # -- tokens --

    async def access_token(self) -> str:
        """A fresh access token (or the API key in use); refreshes first when near expiry."""
        current = self._access
        if current is not None and current.is_fresh(self._clock()):
            return current.value
        if self._kind is None:
            raise SignedOut("You are not signed in. Sign in first.")
        return await self._refresh_shared(current.value if current else None)

    async def handle_unauthorized(self, rejected_token: str) -> str:
        """The API said 401 ``invalid_token`` for ``rejected_token``: get a newer one.

        When another caller already replaced it, that newer token is returned
        without another refresh; otherwise one shared refresh runs.
        """
        if self._kind is CredentialKind.API_KEY:
            raise InvalidToken("The API key was not accepted (it is invalid, expired or revoked).")
        if self._kind is None:
            raise SignedOut("You are not signed in. Sign in first.")
        current = self._access
        if (
            current is not None
            and current.value != rejected_token
            and current.is_fresh(self._clock())
        ):
            return current.value
        return await self._refresh_shared(rejected_token)

    async def _refresh_shared(self, stale: str | None) -> str:
        task = self._refresh_task
        if task is None or task.done():
            task = asyncio.create_task(self._refresh(), name=f"refresh:{self.profile.id}")
            self._refresh_task = task
            task.add_done_callback(_retrieve_exception)
        # Shielded: a caller that is cancelled does not cancel the refresh others wait for,
        # and a rotated refresh token is always saved once the server has issued it.
        return await asyncio.shield(task)

    async def _refresh(self) -> str:
        kind = self._kind
        if kind is CredentialKind.API_KEY:
            raise InvalidToken("The API key was not accepted (it is invalid, expired or revoked).")
        if kind is CredentialKind.SERVICE:
            assert self._service_client_id is not None and self._client_secret is not None
            generation = self._generation
            oauth = await self._oauth(self._service_client_id, self._client_secret)
            tokens = await oauth.client_credentials(self._service_scopes)
            if generation != self._generation:
                return await self._superseded_refresh(None)
            self.refresh_count += 1
            access = self._access_from(tokens)
            self._access = access
            if self.info is not None:
                self._set_state(
                    SessionState.SIGNED_IN, replace(self.info, access_expires_at=access.expires_at)
                )
            return access.value
        refresh_token = self._refresh_token
        if kind is CredentialKind.USER and not refresh_token:
            # The server issued no refresh token (RFC 6749 §5.1 allows that): the sign-in
            # ends with its access token. Say so, and leave no stale "signed in" behind.
            await self._end_session(
                SignedOut(
                    "Your sign-in has expired, and this server does not let the app renew it "
                    "on its own. Sign in again."
                )
            )
            raise self.signed_out_reason or SignedOut() from None
        if kind is not CredentialKind.USER or not refresh_token:
            raise SignedOut("You are not signed in. Sign in first.")
        generation = self._generation
        oauth = await self._oauth()
        try:
            tokens = await oauth.refresh(refresh_token)
        except TokenEndpointError as exc:
            if generation != self._generation:
                return await self._superseded_refresh(None)
            if exc.error == "invalid_grant":
                await self._end_session(SignedOut())
                raise self.signed_out_reason or SignedOut() from None
            raise
        if generation != self._generation:
            return await self._superseded_refresh(tokens)
        self.refresh_count += 1
        access = self._access_from(tokens)
        if tokens.refresh_token and tokens.refresh_token != refresh_token:
            # Rotation: keep it in memory at once, then in the keychain, before anything can
            # use it again (the next refresh waits for this task to finish).
            self._refresh_token = tokens.refresh_token
            try:
                await self._save_entry(
                    kind="user",
                    client_id=self.profile.client_id,
                    refresh_token=tokens.refresh_token,
                )
                self.keychain_problem = None
            except KeychainUnavailable as exc:
                self.keychain_problem = exc
                log.warning("Could not save the rotated sign-in: %s", exc.user_message)
            if generation != self._generation:
                # Signed out (or in anew) while the keychain write ran: undo that write.
                if self._kind is None:
                    await self._forget_entry()
                elif self._kind is CredentialKind.USER and self._refresh_token:
                    await self._save_entry(
                        kind="user",
                        client_id=self.profile.client_id,
                        refresh_token=self._refresh_token,
                    )
                return await self._superseded_refresh(tokens)
        self._access = access
        previous = self.info
        requested = previous.scopes if previous else tuple(self.profile.scopes)
        info = self._info_from(tokens, access, CredentialKind.USER, requested)
        if previous is not None and previous.kind is CredentialKind.USER:
            info = replace(
                info,
                email=info.email or previous.email,
                name=info.name or previous.name,
                org=info.org or previous.org,
                subject=info.subject or previous.subject,
                keychain=self.keychain_name,
            )
        else:
            info = replace(info, keychain=self.keychain_name)
            info = await self._enrich_with_me(info, access.value)
        self._set_state(SessionState.SIGNED_IN, info)
        return access.value

    async def _superseded_refresh(self, tokens: TokenResponse | None) -> str:
        """A refresh answered after sign-out (or a new sign-in): never adopt its tokens.

        The refresh token it carries is revoked (best effort) since nothing will use it;
        callers get the current session's token, or SignedOut when there is none.
        """
        if tokens is not None and tokens.refresh_token:
            await (await self._oauth()).revoke(tokens.refresh_token, "refresh_token")
        current = self._access
        if current is not None and self._kind is not None and current.is_fresh(self._clock()):
            return current.value
        raise SignedOut("You signed out while the sign-in was being renewed. Sign in again.")

    async def _end_session(self, reason: SignInError) -> None:
        """The server no longer accepts the stored sign-in: forget it everywhere and say why."""
        await self._forget_entry()
        self._clear_memory()
        self.signed_out_reason = reason
        self._set_state(SessionState.SIGNED_OUT)

    # -- sign-out --

    async def sign_out(self) -> None:
        """Revoke at the server (best effort), then forget locally even if revocation failed."""
        self.cancel_sign_in()
        refresh_token = self._refresh_token
        access = self._access.value if self._access else None
        kind = self._kind
        client_id, secret = self._service_client_id, self._client_secret
        if refresh_token is None and kind is None:
            try:
                entry = await self._load_entry()
            except KeychainUnavailable:
                entry = None
            if (
                entry
                and entry.get("kind") == "user"
                and isinstance(entry.get("refresh_token"), str)
            ):
                refresh_token = str(entry["refresh_token"])
                kind = CredentialKind.USER
        revoked = False
        try:
            if kind in (CredentialKind.USER, CredentialKind.SERVICE):
                oauth = await asyncio.wait_for(
                    self._oauth(client_id if kind is CredentialKind.SERVICE else None, secret), 15.0
                )
                results = []
                if refresh_token:
                    results.append(await oauth.revoke(refresh_token, "refresh_token"))
                if access:
                    results.append(await oauth.revoke(access, "access_token"))
                revoked = bool(results) and all(results)
        except (SignInError, ApiError, TimeoutError, httpx.HTTPError) as exc:
            log.warning("Could not revoke at the server: %s", type(exc).__name__)
        finally:
            self.last_sign_out_revoked = revoked
            await self._forget_entry()
            self._clear_memory()
            self.signed_out_reason = None
            self._set_state(SessionState.SIGNED_OUT)


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    # Every awaiting caller may have been cancelled; mark the error as seen so asyncio
    # does not log "exception was never retrieved" (the next caller gets a new attempt).
    if not task.cancelled():
        task.exception()


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds)} seconds"


__all__ = [
    "NOT_STORED",
    "REFRESH_MARGIN",
    "CredentialKind",
    "Session",
    "SessionInfo",
    "SessionState",
]
