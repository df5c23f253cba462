"""A session per profile: who is signed in, and a fresh access token on demand.

What renews the access (a refresh token, a service client's secret) and the
current access token with its expiry live in one keychain entry per profile,
shared by every process on the computer: the window, ``twinedge-desktop token``,
scripts and the SDK. Keychain calls block, so they run in ``asyncio.to_thread``.

One sign-in, many processes (DESIGN.md):

- Renewals are single flight inside a process (one task, every caller shares its
  result, shielded so a cancelled caller never loses a rotated token) and
  serialised between processes by a file lock per profile
  (:mod:`twinedge_desktop.auth.locking`). Inside the lock the entry is read
  again: when another process has renewed meanwhile, its tokens are adopted and
  no request is made. So a refresh token is never presented twice.
- A stored access token that is still fresh is used with no request at all.
- A renewal whose response is lost (connection dropped, timeout) is retried with
  backoff with the same refresh token, the one known to be current, while the
  server's reuse grace can still answer it (``LOST_RESPONSE_RETRY_WINDOW``); giving
  up says the sign-in may be lost. A request that never left is retried once.
- A rotated refresh token the keychain cannot save is kept in memory, used, and
  saved again at the next renewal, on a timer and at the next use;
  ``keychain_problem`` says so meanwhile, and :meth:`Session.aclose` says what an
  unsaved rotation means at exit.
- A sign-out elsewhere (the entry is gone) ends this session with a reason
  instead of using stale tokens; a sign-in elsewhere is adopted. When it is a new
  sign-in (another sign-in id, or another subject), the previous person's name and
  e-mail are dropped and ``GET /v1/me`` is asked afresh, outside the lock.
- A new sign-in revokes the refresh token it replaces (this session's, and the one
  the entry held), in the background: the sign-in never waits for it.

How each kind of credential renews, is stored, refused and revoked is its
strategy's business (:mod:`twinedge_desktop.auth.credentials`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from twinedge_desktop.api.errors import ApiError, NetworkError
from twinedge_desktop.api.http import get_json_document
from twinedge_desktop.auth.credentials import (
    REFRESH_MARGIN,
    AccessToken,
    ApiKeyCredential,
    Credential,
    EntryRead,
    ServiceCredential,
    StoredSignIn,
    UserCredential,
    access_from,
    encode_entry,
    new_sign_in_id,
    read_entry,
    unverified_claims,
)
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
from twinedge_desktop.auth.locking import (
    DEFAULT_LOCK_WAIT,
    CrossProcessLock,
    SignInBusy,
    lock_file_for,
    user_lock_root,
)
from twinedge_desktop.auth.loopback import LoopbackListener
from twinedge_desktop.auth.oauth import OAuthClient, TokenEndpointError, TokenResponse
from twinedge_desktop.auth.pkce import code_challenge_s256, new_code_verifier, new_state
from twinedge_desktop.config import Profile
from twinedge_desktop.redaction import register_secret
from twinedge_desktop.timefmt import Clock, format_duration, utc_now
from twinedge_desktop.vault import KEYCHAIN_SERVICE, CredentialStore, KeychainUnavailable

log = logging.getLogger(__name__)

NOT_STORED = "not stored (this session only)"
# A renewal whose request never reached the server (the connection itself failed) is
# retried once after this pause: nothing was spent, so nothing is at stake.
TRANSPORT_RETRY_PAUSE = 0.5
# A renewal whose answer was lost (the request went out; the connection dropped or the
# deadline passed) may have rotated the refresh token at the server. Servers answer a
# retry with the same token for a short grace (the sandbox 60 s, Okta's "grace period
# for token rotation" 0-60 s, Auth0's "reuse interval"), so it is retried after these
# pauses (then the last one again) while the first request is less than
# LOST_RESPONSE_RETRY_WINDOW old; read at call time so tests can shorten them.
LOST_RESPONSE_RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
LOST_RESPONSE_RETRY_WINDOW = 40.0
# When an unsaved rotation is saved again (seconds after the failure, then every last one).
SAVE_RETRY_DELAYS: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0)
# Revoking the refresh token a new sign-in replaced: each step (discovery, the request)
# at most this long; it runs in the background and never delays the sign-in.
REVOKE_REPLACED_WAIT = 15.0
# Sign-out and a new sign-in wait at most this long for another process's renewal; then
# they go ahead (forgetting, or saving a new sign-in, must never be blocked for long).
WRITE_LOCK_WAIT = 10.0

# ``GET /v1/me`` at sign-in and restore: an answer of a few hundred bytes that only names
# the person. A healthy API answers in milliseconds; past 10 s the sign-in goes on without
# the name rather than keep the person waiting. 64 KiB is a hundred times a real answer.
ME_DEADLINE_SECONDS = 10.0
MAX_ME_BYTES = 64 * 1024

NOT_SIGNED_IN = "You are not signed in. Sign in first."
SIGNED_OUT_ELSEWHERE = (
    "You were signed out in another TwinEdge Desktop process (for example "
    "`twinedge-desktop logout`). Sign in again to continue."
)
REPLACED_ELSEWHERE = (
    "This profile was signed in again in another TwinEdge Desktop process, for a different "
    "server or application. Sign in again here to continue."
)
SIGN_IN_LOST = (
    "Your sign-in was lost: the server renewed it, but its answer never reached TwinEdge "
    "Desktop, and the server ended the sign-in when the previous one was used again after "
    "its grace period. Sign in again."
)
NEWER_ENTRY = (
    "A newer version of TwinEdge Desktop saved this sign-in in a format this version cannot "
    "read. Update TwinEdge Desktop, or sign in again here."
)


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


def _same_person(previous: SessionInfo | None, credential: Credential, info: SessionInfo) -> bool:
    """Whether ``info`` (from a new token) describes whom ``previous`` described: the same
    kind of sign-in, and not a different subject when both are known. Only then may the
    previous name and e-mail stand in for what the new token does not say."""
    if previous is None or previous.kind is not credential.kind:
        return False
    return info.subject is None or previous.subject is None or info.subject == previous.subject


def _str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None


class Session:
    """The sign-in state of one profile. Built by :class:`CoreServices`, one per profile.

    Public: ``state``, ``info``, ``signed_out_reason``, ``keychain_problem``,
    ``keychain_name``, :meth:`restore`, :meth:`access_token`, :meth:`handle_unauthorized`,
    :meth:`sign_in_with_browser`, :meth:`sign_in_with_client_credentials`,
    :meth:`use_api_key`, :meth:`sign_out`, :meth:`cancel_sign_in`, :meth:`add_listener`,
    :meth:`metadata`, :meth:`sync_with_keychain`, :meth:`aclose`.
    """

    def __init__(
        self,
        profile: Profile,
        http: httpx.AsyncClient,
        store: CredentialStore,
        *,
        clock: Clock = utc_now,
        metadata: ServerMetadata | None = None,
        lock_dir: Path | None = None,
        lock_wait: float = DEFAULT_LOCK_WAIT,
        save_retry_delays: Sequence[float] = SAVE_RETRY_DELAYS,
    ) -> None:
        self.profile = profile
        self.state = SessionState.SIGNED_OUT
        self.info: SessionInfo | None = None
        # Why the session ended on its own (a rejected refresh token, a sign-out
        # elsewhere), for the UI to say so.
        self.signed_out_reason: SignInError | None = None
        # Set while the keychain cannot save the current sign-in; the session still works.
        self.keychain_problem: KeychainUnavailable | None = None
        self.refresh_count = 0  # how many renewals this session made (diagnostics, tests)
        self.last_sign_out_revoked = False  # whether the server confirmed the last sign-out
        self._http = http
        self._store = store
        self._clock = clock
        self._metadata = metadata
        self._listeners: list[Callable[[], None]] = []
        self._credential: Credential | None = None
        self._access: AccessToken | None = None
        # The entry as this process last read or wrote it: a different one means another
        # process changed it since.
        self._entry_known: dict[str, Any] | None = None
        self._save_pending = False
        self._save_retry_delays = tuple(save_retry_delays) or SAVE_RETRY_DELAYS
        self._save_retry_task: asyncio.Task[None] | None = None
        self._save_wake: asyncio.Event | None = None
        self._refresh_task: asyncio.Task[str] | None = None
        self._listener: LoopbackListener | None = None
        self._flow_lock = asyncio.Lock()
        # In-process exclusion in front of the cross-process file lock (the file lock's
        # object is reentrant, so two tasks of this process must not both enter it).
        self._entry_lock = asyncio.Lock()
        # One lock per keychain entry, where every process of this user finds it whatever
        # its data directory (auth/locking.py says why). ``lock_dir`` replaces the user's
        # lock directory (tests that play several processes in one).
        entry = self._entry_key
        self._lock = CrossProcessLock(
            lock_file_for(lock_dir, KEYCHAIN_SERVICE, entry)
            if lock_dir is not None
            else lambda: lock_file_for(user_lock_root(), KEYCHAIN_SERVICE, entry),
            wait=lock_wait,
        )
        # Bumped whenever the tokens in memory are replaced or forgotten (sign-in, sign-out,
        # end of session): a renewal answered after that belongs to a session that is gone.
        self._generation = 0
        # Set when a sign-in made in another process (perhaps by someone else) was adopted:
        # who it is must be asked afresh (``GET /v1/me``) once the entry lock is released.
        self._describe_pending = False
        # The credential whose last renewal may have been rotated at the server with the
        # answer lost: a refusal of it then means the sign-in was lost that way.
        self._answer_lost_for: Credential | None = None
        # Best-effort work that must not delay a sign-in (revoking what it replaced); kept
        # so it is not collected, and awaited (bounded) by aclose.
        self._background: set[asyncio.Task[None]] = set()

    # -- listeners ----------------------------------------------------------------------------

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` whenever ``state``, ``info`` or ``keychain_problem`` changes;
        returns "remove"."""
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

    # -- keychain -----------------------------------------------------------------------------

    @property
    def _entry_key(self) -> str:
        return f"session/{self.profile.id}"

    @property
    def keychain_name(self) -> str:
        return self._store.backend_name if self._store.is_persistent else NOT_STORED

    async def _read_entry(self) -> EntryRead:
        raw = await asyncio.to_thread(self._store.get, self._entry_key)
        return read_entry(raw, self.profile)

    async def _write_entry(self, credential: Credential, access: AccessToken | None) -> None:
        """Write the entry; every failure is a KeychainUnavailable with a sentence."""
        text = encode_entry(self.profile.issuer, credential, access)
        try:
            await asyncio.to_thread(self._store.set, self._entry_key, text)
        except ValueError as exc:  # the store's size limit; its text gives sizes, not content
            raise KeychainUnavailable(
                "too-large",
                "The sign-in is too large to keep in the system keychain (the server's token "
                f"is unusually long: {exc}). Ask the server's administrator about token size.",
            ) from None
        self._entry_known = read_entry(text, self.profile).data

    async def _forget_entry(self) -> None:
        try:
            await asyncio.to_thread(self._store.delete, self._entry_key)
        except KeychainUnavailable as exc:
            log.warning("Could not delete the stored sign-in: %s", exc.user_message)
        self._entry_known = None

    @contextlib.asynccontextmanager
    async def _exclusive(self, wait: float | None = None) -> AsyncIterator[None]:
        """This profile's entry to ourselves: first among this process's tasks, then among
        processes. Raises SignInBusy when either wait runs out."""
        limit = self._lock.wait if wait is None else wait
        try:
            async with asyncio.timeout(limit):
                await self._entry_lock.acquire()
        except TimeoutError:
            raise SignInBusy(
                "This sign-in is busy being renewed and did not finish within "
                f"{format_duration(limit)}. Try again in a moment."
            ) from None
        try:
            async with self._lock.hold(limit):
                yield
        finally:
            self._entry_lock.release()

    @contextlib.asynccontextmanager
    async def _exclusive_or_go_ahead(self) -> AsyncIterator[None]:
        """For sign-out and a new sign-in: take the entry when it can be had soon, else go
        ahead anyway. This process's own renewal is never waited for: the generation
        counter already makes its late answer harmless."""
        if self._entry_lock.locked():
            yield
            return
        try:
            async with self._exclusive(WRITE_LOCK_WAIT):
                yield
        except SignInBusy:
            log.warning("Another process kept the sign-in busy; going ahead without the lock")
            yield

    def _clear_memory(self) -> None:
        self._generation += 1
        self._credential = None
        self._access = None
        self._entry_known = None
        self._save_pending = False
        self.keychain_problem = None
        task = self._save_retry_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self._save_retry_task = None

    # -- discovery ----------------------------------------------------------------------------

    def use_metadata(self, metadata: ServerMetadata) -> None:
        """Keep ``metadata`` the caller already discovered for this profile's issuer (``login
        --issuer`` discovers first, to make the profile): the sign-in then asks no twice."""
        if metadata.issuer.rstrip("/") == self.profile.issuer.rstrip("/"):
            self._metadata = metadata

    async def metadata(self) -> ServerMetadata:
        """The profile's authorization server metadata (discovered on first need, then kept)."""
        if self._metadata is None:
            self._metadata = await discover(self._http, self.profile.issuer)
        return self._metadata

    async def _oauth(self, client_id: str | None = None, secret: str | None = None) -> OAuthClient:
        return OAuthClient(
            self._http, await self.metadata(), client_id or self.profile.client_id, secret
        )

    async def _oauth_for(self, credential: Credential) -> OAuthClient:
        return await self._oauth(credential.client_id or None, credential.client_secret)

    # -- sign-in ------------------------------------------------------------------------------

    def authorization_url(
        self,
        metadata: ServerMetadata,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str,
        scopes: Sequence[str],
    ) -> str:
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
        Cancel the task (or call :meth:`cancel_sign_in`) to stop waiting. A callback
        with the wrong ``state`` (a forged or stale redirect) is answered by the listener
        and ignored: the sign-in keeps waiting for the real one (RFC 6749 §10.12).
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
            register_secret(verifier)  # whoever holds it can redeem the code
            state = new_state()
            listener = LoopbackListener(expected_state=state)
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
                        f"{format_duration(timeout)}. Try again."
                    ) from None
                code = self._check_callback(params, state, metadata)
                tokens = await (await self._oauth()).exchange_code(
                    code, listener.redirect_uri, verifier
                )
                credential = UserCredential(
                    self.profile.client_id, tokens.refresh_token, sign_in_id=new_sign_in_id()
                )
                info = await self._adopt_new_sign_in(credential, tokens, requested)
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

        state first (a response not for this sign-in is ignored whatever it says; the
        listener already filters those, this is the second line), then the RFC 9207
        issuer, then error / code.
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

    async def _adopt_new_sign_in(
        self, credential: Credential, tokens: TokenResponse, requested: tuple[str, ...]
    ) -> SessionInfo:
        """Make a fresh sign-in this session's: keychain first (under the lock, so no other
        process's renewal writes over it), then memory, then who it is."""
        access = access_from(tokens, self._clock(), requested)
        replaced: list[Credential] = [self._credential] if self._credential is not None else []
        async with self._exclusive_or_go_ahead():
            try:
                previous_entry = await self._read_entry()
            except KeychainUnavailable:
                previous_entry = None
            if previous_entry is not None and previous_entry.sign_in is not None:
                # Another process may have renewed the old sign-in since we last looked: what
                # the entry holds is what lives at the server now.
                replaced.append(previous_entry.sign_in.credential)
            if credential.stored:
                try:
                    await self._write_entry(credential, access)
                except KeychainUnavailable:
                    # Not kept, so not needed: do not leave a live refresh token at the server.
                    for token, hint in credential.revocations():
                        await (await self._oauth_for(credential)).revoke(token, hint)
                    raise
            else:
                # Nothing to restore from: forget any older entry so it is not mistaken for this.
                await self._forget_entry()
            known = self._entry_known
            self._clear_memory()
            self._entry_known = known
        # The sign-in this one replaces is not needed by anyone any more: revoke its refresh
        # token rather than leave it live at the server (best effort, in the background, so
        # the new sign-in never waits for it; aclose gives it a bounded moment to finish).
        self._revoke_in_background(replaced, keep=credential)
        self._credential = credential
        self._access = access
        self.signed_out_reason = None
        info = self._info_for(credential, access, requested, None)
        if credential.described_by_api:
            info = await self._enrich_with_me(info, access.value)
        self._set_state(SessionState.SIGNED_IN, info)
        return info

    def _revoke_in_background(self, replaced: list[Credential], *, keep: Credential) -> None:
        kept = {token for token, _ in keep.revocations()}
        pairs: list[tuple[Credential, str, str]] = []
        for old in replaced:
            for token, hint in old.revocations():
                if token not in kept and all(token != seen for _, seen, _ in pairs):
                    pairs.append((old, token, hint))
        if not pairs:
            return

        async def revoke() -> None:
            for old, token, hint in pairs:
                try:
                    oauth = await asyncio.wait_for(self._oauth_for(old), REVOKE_REPLACED_WAIT)
                    await asyncio.wait_for(oauth.revoke(token, hint), REVOKE_REPLACED_WAIT)
                except (SignInError, ApiError, TimeoutError, httpx.HTTPError) as exc:
                    log.info("Could not revoke the replaced sign-in: %s", type(exc).__name__)
            log.info("Revoked the sign-in that a new sign-in replaced for %s", self.profile.id)

        task = asyncio.create_task(revoke(), name=f"revoke-replaced:{self.profile.id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _info_for(
        self,
        credential: Credential,
        access: AccessToken,
        requested: tuple[str, ...],
        previous: SessionInfo | None,
    ) -> SessionInfo:
        claims = unverified_claims(access.value)
        info = SessionInfo(
            profile_id=self.profile.id,
            kind=credential.kind,
            subject=_str_or_none(claims.get("sub")) or credential.default_subject,
            org=_str_or_none(claims.get("org")),
            email=_str_or_none(claims.get("email")),
            name=_str_or_none(claims.get("name")),
            scopes=access.scopes if access.scopes is not None else requested,
            access_expires_at=access.expires_at,
            keychain=self.keychain_name if credential.stored else NOT_STORED,
        )
        if previous is not None and _same_person(previous, credential, info):
            # The same sign-in renewed: who it is does not change with the token.
            info = replace(
                info,
                email=info.email or previous.email,
                name=info.name or previous.name,
                org=info.org or previous.org,
                subject=info.subject or previous.subject,
            )
        return info

    async def _enrich_with_me(self, info: SessionInfo, bearer: str) -> SessionInfo:
        """Fill in name/email/org from ``GET /v1/me`` when the profile has an API; best effort,
        within :data:`ME_DEADLINE_SECONDS` and :data:`MAX_ME_BYTES` (a sign-in never waits
        longer than that on a server that trickles or never ends its answer)."""
        if not self.profile.api_base:
            return info
        deadline = ME_DEADLINE_SECONDS
        try:
            document = await get_json_document(
                self._http,
                f"{self.profile.api_base.rstrip('/')}/me",
                what="description of the signed-in account (/me)",
                headers={"Authorization": f"Bearer {bearer}"},
                timeout=deadline,
                max_bytes=MAX_ME_BYTES,
            )
        except ApiError as exc:  # who-am-I is decoration; the session works without it
            log.info("Could not read /me for profile %s: %s", self.profile.id, exc.user_message)
            return info
        data = document.data
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
        register_secret(client_secret)  # typed or pasted in: hidden from now on, used or not
        async with self._flow_lock:
            self._require_keychain()
            credential = ServiceCredential(
                client_id, client_secret, tuple(scopes), sign_in_id=new_sign_in_id()
            )
            tokens = await credential.renew(self._oauth_credential)
            return await self._adopt_new_sign_in(credential, tokens, tuple(scopes))

    async def _oauth_credential(self, client_id: str, secret: str | None) -> OAuthClient:
        return await self._oauth(client_id, secret)

    async def use_api_key(self, api_key: str) -> SessionInfo:
        """Use an API key for this run (never stored); checks it with ``GET /v1/me``."""
        register_secret(api_key)  # hidden from now on, also when the server refuses it
        if not self.profile.api_base:
            raise SignInError("This profile has no API address, so an API key cannot be checked.")
        from twinedge_desktop.api.client import ApiClient
        from twinedge_desktop.api.keys import ApiKeysService

        me = await ApiKeysService(ApiClient(self._http, self.profile.api_base, None)).test_key(
            api_key
        )
        self._clear_memory()
        self._credential = ApiKeyCredential()
        self._access = AccessToken(api_key, None, me.scopes)
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

    # -- restore ------------------------------------------------------------------------------

    async def restore(self, *, describe: bool = True) -> bool:
        """Sign in from the keychain without a browser; False when nothing usable is stored.

        A stored access token that is still fresh is used as it is: no token request,
        no discovery. ``describe`` also asks the API who is signed in (``GET /v1/me``,
        for the name and e-mail); ``twinedge-desktop token`` passes False so a fresh
        token costs no request at all. A stored sign-in the server rejects clears the
        entry, sets ``signed_out_reason`` and returns False. Network problems raise
        (the stored sign-in is kept for the next attempt).
        """
        if self.state is SessionState.SIGNED_IN:
            return True
        async with self._flow_lock:
            self._set_state(SessionState.RESTORING)
            try:
                read = await self._read_entry()
                if read.sign_in is None:
                    if read.problem == "newer":
                        self.signed_out_reason = SignedOut(NEWER_ENTRY)
                    self._set_state(SessionState.SIGNED_OUT)
                    return False
                self._clear_memory()
                self._adopt_stored(read.sign_in, read.data)
                access = self._access
                if access is None or not access.is_fresh(self._clock()):
                    try:
                        await self._refresh_shared(access.value if access else None)
                    except SignedOut:
                        return False
                credential, access = self._credential, self._access
                if credential is None or access is None:  # pragma: no cover - renewal set both
                    raise SignedOut(NOT_SIGNED_IN)
                info = self._info_for(credential, access, tuple(self.profile.scopes), self.info)
                if describe and credential.described_by_api:
                    info = await self._enrich_with_me(info, access.value)
                self._set_state(SessionState.SIGNED_IN, info)
                return True
            except BaseException:
                if self.state is SessionState.RESTORING:
                    self._clear_memory()
                    self._set_state(SessionState.SIGNED_OUT)
                raise

    def _adopt_stored(self, stored: StoredSignIn, data: dict[str, Any] | None) -> None:
        """Take a sign-in from the keychain entry into memory (restore, or another process
        renewed). Its access token replaces ours unless ours lives longer."""
        previous_kind = self._credential.kind if self._credential is not None else None
        another = _another_sign_in(self._credential, stored.credential)
        self._credential = stored.credential
        mine, theirs = self._access, stored.access
        if another:
            # Our access token belongs to the sign-in that was replaced (perhaps someone
            # else's): never keep it with the new sign-in's credential.
            self._access = theirs
        elif theirs is not None and (
            mine is None
            or previous_kind is not stored.credential.kind
            or mine.expires_at is None
            or (theirs.expires_at is not None and theirs.expires_at >= mine.expires_at)
        ):
            self._access = theirs
        elif previous_kind is not stored.credential.kind:
            self._access = None
        self._entry_known = data
        if self._save_pending:
            # Another process saved a newer sign-in: ours (unsaved) is no longer the latest.
            self._save_pending = False
            self.keychain_problem = None

    # -- tokens -------------------------------------------------------------------------------

    async def access_token(self) -> str:
        """A fresh access token (or the API key in use); renews first when near expiry."""
        if self._save_pending and self._save_wake is not None:
            self._save_wake.set()  # "at next use": try saving the unsaved sign-in again now
        current = self._access
        if current is not None and current.is_fresh(self._clock()):
            return current.value
        if self._credential is None:
            raise SignedOut(NOT_SIGNED_IN)
        return await self._refresh_shared(current.value if current else None)

    async def handle_unauthorized(self, rejected_token: str) -> str:
        """The API said 401 ``invalid_token`` for ``rejected_token``: get a newer one.

        When another caller (or another process) already replaced it, that newer token
        is returned without another renewal; otherwise one shared renewal runs.
        """
        if self._credential is None:
            raise SignedOut(NOT_SIGNED_IN)
        current = self._access
        if (
            current is not None
            and current.value != rejected_token
            and current.is_fresh(self._clock())
        ):
            return current.value
        return await self._refresh_shared(rejected_token)

    async def sync_with_keychain(self) -> None:
        """Look at the stored entry now and follow what other processes did: a sign-out
        elsewhere ends this session (``signed_out_reason`` says so), a renewal or a new
        sign-in elsewhere is adopted. Cheap (one keychain read, no request); the window
        may call it when it comes to the front. Renewals do it anyway, under the lock."""
        if self._credential is None or not self._credential.stored:
            return
        async with self._entry_lock:  # after any renewal of this process, never during one
            if self._credential is not None:
                await self._catch_up()
        await self._describe_if_pending()

    async def _describe_if_pending(self) -> None:
        """Ask ``GET /v1/me`` who is signed in, after adopting another process's new sign-in
        (best effort and bounded, like at sign-in; never under the entry lock)."""
        if not self._describe_pending:
            return
        self._describe_pending = False
        credential, access, info = self._credential, self._access, self.info
        if (
            credential is None
            or access is None
            or info is None
            or self.state is not SessionState.SIGNED_IN
            or not credential.described_by_api
        ):
            return
        generation = self._generation
        described = await self._enrich_with_me(info, access.value)
        if generation == self._generation and self.info is info:
            self._set_state(SessionState.SIGNED_IN, described)

    async def _refresh_shared(self, stale: str | None) -> str:
        task = self._refresh_task
        if task is None or task.done():
            task = asyncio.create_task(self._refresh(stale), name=f"refresh:{self.profile.id}")
            self._refresh_task = task
            task.add_done_callback(_retrieve_exception)
        # Shielded: a caller that is cancelled does not cancel the renewal others wait for,
        # and a rotated refresh token is always saved once the server has issued it.
        return await asyncio.shield(task)

    async def _refresh(self, stale: str | None) -> str:
        token = await self._refresh_entry(stale)
        await self._describe_if_pending()  # a new sign-in adopted under the lock: who is it?
        return token

    async def _refresh_entry(self, stale: str | None) -> str:
        credential = self._credential
        if credential is None:
            raise SignedOut(NOT_SIGNED_IN)
        generation = self._generation
        if not credential.stored:
            # Nothing shared with other processes (an API key, a sign-in the server gave no
            # refresh token): the strategy says what renewing it means.
            tokens = await self._renewal(credential, generation)
            return await self._renewed(credential, tokens, generation)
        async with self._exclusive():
            if generation != self._generation:
                return await self._superseded_refresh(None, credential)
            await self._catch_up()
            current, credential = self._access, self._credential
            if current is not None and current.value != stale and current.is_fresh(self._clock()):
                return current.value  # another process renewed it: no request
            if credential is None:  # ended while catching up (signed out elsewhere)
                raise self.signed_out_reason or SignedOut(NOT_SIGNED_IN)
            tokens = await self._renewal(credential, generation)
            return await self._renewed(credential, tokens, generation)

    async def _catch_up(self) -> None:
        """Follow the stored entry if another process changed it (under the lock when renewing).

        Gone: signed out elsewhere, so end here too (nothing to delete or revoke: the other
        process did). Re-pointed to another server or client, or written by a newer app:
        end without touching it. Changed: adopt it. Unreadable: keep ours (the next write
        replaces it). A keychain that cannot be read: go on with what this process knows.
        """
        try:
            read = await self._read_entry()
        except KeychainUnavailable as exc:
            log.warning("Could not read the stored sign-in: %s", exc.user_message)
            return
        if read.same_as(self._entry_known):
            return
        if read.sign_in is not None:
            previous = self.info
            anew = _another_sign_in(self._credential, read.sign_in.credential)
            self._adopt_stored(read.sign_in, read.data)
            access = self._access
            if access is not None and self.state is SessionState.SIGNED_IN:
                info = self._info_for(
                    read.sign_in.credential,
                    access,
                    tuple(self.profile.scopes),
                    None if anew else previous,
                )
                if anew or not _same_person(previous, read.sign_in.credential, info):
                    # Signed in anew elsewhere, maybe as someone else: the previous person's
                    # name and e-mail must not stay on this one. Asked afresh (/me) soon.
                    anew = True
                    self._describe_pending = True
                self._set_state(SessionState.SIGNED_IN, info)
            log.info(
                "Adopted the sign-in %s by another process for %s",
                "made anew" if anew else "renewed",
                self.profile.id,
            )
            return
        reasons = {
            "absent": SIGNED_OUT_ELSEWHERE,
            "foreign": REPLACED_ELSEWHERE,
            "newer": NEWER_ENTRY,
        }
        if read.problem in reasons:
            log.info("The stored sign-in of %s changed: %s", self.profile.id, read.problem)
            await self._end_session(SignedOut(reasons[str(read.problem)]), forget=False)
            return
        log.warning("The stored sign-in for profile %s is unreadable; ignoring it", self.profile.id)

    async def _renewal(self, credential: Credential, generation: int) -> TokenResponse:
        """Ask the server for a new access token.

        A request that never reached the server is retried once. An answer that was lost
        after the request went out is retried with the same credential (the refresh token
        known to be current) with backoff while the first request is younger than
        :data:`LOST_RESPONSE_RETRY_WINDOW`: the server's reuse grace answers such a retry.
        Giving up says what is true then: the sign-in may be lost if the server rotated it.
        A refusal ends the session.
        """
        loop = asyncio.get_running_loop()
        first_sent = loop.time()
        delays = iter(LOST_RESPONSE_RETRY_DELAYS)
        last_delay = LOST_RESPONSE_RETRY_DELAYS[-1] if LOST_RESPONSE_RETRY_DELAYS else 1.0
        maybe_rotated = credential is self._answer_lost_for
        retried_unsent = False
        while True:
            try:
                tokens = await credential.renew(self._oauth_credential)
            except NetworkError as exc:
                if generation != self._generation:
                    raise SignedOut(
                        "You signed out while the sign-in was being renewed. Sign in again."
                    ) from None
                maybe_rotated = maybe_rotated or (exc.request_sent and credential.rotates)
                if maybe_rotated:
                    delay = next(delays, last_delay)
                    if loop.time() + delay - first_sent < LOST_RESPONSE_RETRY_WINDOW:
                        log.info(
                            "The renewal's answer was lost (%s); retrying with the same "
                            "sign-in in %.1f s",
                            exc.user_message,
                            delay,
                        )
                        await asyncio.sleep(delay)
                        continue
                    self._answer_lost_for = credential
                    raise NetworkError(
                        f"The sign-in could not be renewed: {exc.user_message} The server "
                        "may have renewed it without its answer reaching TwinEdge Desktop. "
                        "If so, it accepts the saved sign-in again only for a short while: "
                        "try again now. Should it then say you are signed out, sign in again "
                        "(twinedge-desktop login, or Sign in in the window)."
                    ) from None
                if not retried_unsent:
                    retried_unsent = True
                    await asyncio.sleep(TRANSPORT_RETRY_PAUSE)
                    continue
                raise NetworkError(
                    f"The sign-in could not be renewed: {exc.user_message} You are still "
                    "signed in: the server was not reached, so the saved sign-in is unchanged "
                    "and the next attempt uses it again.",
                    request_sent=False,
                ) from None
            except TokenEndpointError as exc:
                if generation != self._generation:
                    raise SignedOut(
                        "You signed out while the sign-in was being renewed. Sign in again."
                    ) from None
                reason = credential.refusal(exc)
                if reason is None:
                    raise
                if maybe_rotated:
                    reason = SignedOut(SIGN_IN_LOST)
                await self._end_session(reason)
                raise reason from None
            except SignedOut as exc:  # this credential can never be renewed
                await self._end_session(exc)
                raise
            if self._answer_lost_for is credential:
                self._answer_lost_for = None
            return tokens

    async def _renewed(self, credential: Credential, tokens: TokenResponse, generation: int) -> str:
        if generation != self._generation:
            return await self._superseded_refresh(tokens, credential)
        self.refresh_count += 1
        previous = self.info
        requested = previous.scopes if previous else tuple(self.profile.scopes)
        access = access_from(tokens, self._clock(), requested)
        # Keep a rotated refresh token in memory at once, then in the keychain, before
        # anything can use it again (the next renewal waits for this one to finish).
        credential.absorb(tokens)
        self._access = access
        if credential.stored:
            await self._save_current()
            if generation != self._generation:
                # Signed out (or in anew) while the keychain write ran: undo that write.
                if self._credential is None:
                    await self._forget_entry()
                elif self._credential.stored:
                    with contextlib.suppress(KeychainUnavailable):
                        await self._write_entry(self._credential, self._access)
                return await self._superseded_refresh(tokens, credential)
        # Who it is comes from the token and what was known; restore and sign-in ask /me.
        self._set_state(
            SessionState.SIGNED_IN, self._info_for(credential, access, requested, previous)
        )
        return access.value

    async def _superseded_refresh(
        self, tokens: TokenResponse | None, credential: Credential
    ) -> str:
        """A renewal answered after sign-out (or a new sign-in): never adopt its tokens.

        The refresh token it carries is revoked (best effort) since nothing will use it;
        callers get the current session's token, or SignedOut when there is none.
        """
        if tokens is not None and tokens.refresh_token:
            with contextlib.suppress(SignInError, ApiError, httpx.HTTPError):
                oauth = await self._oauth_for(credential)
                await oauth.revoke(tokens.refresh_token, "refresh_token")
        current = self._access
        if current is not None and self._credential is not None and current.is_fresh(self._clock()):
            return current.value
        raise SignedOut("You signed out while the sign-in was being renewed. Sign in again.")

    async def _end_session(self, reason: SignInError, *, forget: bool = True) -> None:
        """The stored sign-in is over (refused by the server, or signed out elsewhere):
        forget it (``forget``: also in the keychain) and say why."""
        if forget:
            await self._forget_entry()
        self._clear_memory()
        self.signed_out_reason = reason
        self._set_state(SessionState.SIGNED_OUT)

    # -- saving what could not be saved -------------------------------------------------------

    async def _save_current(self) -> bool:
        """Write the current sign-in; on failure keep it in memory, say so, and retry later."""
        credential, access = self._credential, self._access
        if credential is None or not credential.stored:
            return True
        try:
            await self._write_entry(credential, access)
        except KeychainUnavailable as exc:
            self._save_pending = True
            self.keychain_problem = KeychainUnavailable(
                exc.reason,
                f"{exc.user_message} Your renewed sign-in is kept in memory and keeps working; "
                "TwinEdge Desktop will try to save it again.",
            )
            log.warning("Could not save the renewed sign-in: %s", exc.user_message)
            if exc.reason != "too-large":  # a size problem does not go away by retrying
                self._start_save_retries()
            self._notify()
            return False
        if self._save_pending or self.keychain_problem is not None:
            self._save_pending = False
            self.keychain_problem = None
            log.info("The renewed sign-in is saved in the keychain again")
            self._notify()
        return True

    def _start_save_retries(self) -> None:
        running = self._save_retry_task
        if running is not None and not running.done():
            return
        if self._save_wake is None:
            self._save_wake = asyncio.Event()
        self._save_retry_task = asyncio.create_task(
            self._retry_saves(self._generation), name=f"save-sign-in:{self.profile.id}"
        )
        self._save_retry_task.add_done_callback(_retrieve_exception)

    async def _retry_saves(self, generation: int) -> None:
        """Save the unsaved sign-in again after each delay (or sooner at the next use)."""
        wake = self._save_wake
        assert wake is not None
        delays = itertools.chain(
            self._save_retry_delays, itertools.repeat(self._save_retry_delays[-1])
        )
        for delay in delays:
            # asyncio.timeout, not wait_for: on 3.11 wait_for drops a cancellation that
            # arrives as the event is set ("next use"), and the loop would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wake.wait()
            wake.clear()
            if self._save_retry_task is not asyncio.current_task():
                return  # stopped (sign-out, exit) or replaced
            if not self._save_pending or generation != self._generation:
                return
            try:
                async with self._exclusive():
                    if generation != self._generation:
                        return
                    await self._catch_up()  # another process may have saved a newer one
                    if self._save_pending and await self._save_current():
                        return
            except SignInError as exc:  # busy, or the lock file cannot be made: later
                log.info("Saving the sign-in again must wait: %s", exc.user_message)
            if self.unsaved_sign_in_message is None:  # saved, or adopted a newer one
                return

    @property
    def unsaved_sign_in_message(self) -> str | None:
        """What it means that the current sign-in is not saved, or None when it is."""
        if not self._save_pending:
            return None
        reason = self.keychain_problem.reason if self.keychain_problem else "error"
        return (
            f"Your renewed sign-in to {self.profile.name} could not be saved in the system "
            f"keychain ({reason}). The keychain still holds the previous one, which the server "
            "has already replaced, so the next start of TwinEdge Desktop (and "
            "`twinedge-desktop token`) will ask you to sign in again."
        )

    async def aclose(self, *, save_wait: float = 5.0) -> str | None:
        """Stop background work. An unsaved sign-in gets one last save attempt; returns what
        it means when that fails too (for the window or the command line to say), else None."""
        if self._background:
            # Revoking what a new sign-in replaced: worth a moment before the process ends.
            _, unfinished = await asyncio.wait(set(self._background), timeout=save_wait)
            for task in unfinished:
                task.cancel()
        await self._stop_save_retries()
        if self._save_pending:
            try:
                async with self._exclusive(save_wait):
                    await self._catch_up()
                    if self.unsaved_sign_in_message is not None:
                        await self._save_current()
            except SignInError as exc:
                log.warning("Could not save the sign-in at exit: %s", exc.user_message)
            await self._stop_save_retries()  # a failed last attempt starts them again
        return self.unsaved_sign_in_message

    async def _stop_save_retries(self) -> None:
        task, self._save_retry_task = self._save_retry_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=5.0)  # it stops at its next await

    # -- sign-out -----------------------------------------------------------------------------

    async def sign_out(self) -> None:
        """Forget the sign-in here and in the keychain, then revoke it at the server (best
        effort: forgetting never waits on the network's goodwill)."""
        self.cancel_sign_in()
        to_revoke: list[tuple[Credential, str, str]] = []

        def revoke_all(credential: Credential | None, access: AccessToken | None) -> None:
            if credential is None or credential.kind is CredentialKind.API_KEY:
                return
            pairs = [*credential.revocations()]
            if access is not None:
                pairs.append((access.value, "access_token"))
            for token, hint in pairs:
                if all(token != seen for _, seen, _ in to_revoke):
                    to_revoke.append((credential, token, hint))

        revoke_all(self._credential, self._access)
        self._clear_memory()  # at once: a renewal answered from now on is superseded
        try:
            async with self._exclusive_or_go_ahead():
                try:
                    read = await self._read_entry()
                except KeychainUnavailable:
                    read = None
                if read is not None and read.sign_in is not None:
                    # What another process renewed last is what lives at the server now.
                    stored = read.sign_in
                    revoke_all(stored.credential, stored.access)
                await self._forget_entry()
            revoked = False
            if to_revoke:
                results = []
                try:
                    for credential, token, hint in to_revoke:
                        oauth = await asyncio.wait_for(self._oauth_for(credential), 15.0)
                        results.append(await oauth.revoke(token, hint))
                    revoked = all(results)
                except (SignInError, ApiError, TimeoutError, httpx.HTTPError) as exc:
                    log.warning("Could not revoke at the server: %s", type(exc).__name__)
            self.last_sign_out_revoked = revoked
        finally:
            self._clear_memory()
            self.signed_out_reason = None
            self._set_state(SessionState.SIGNED_OUT)


def _another_sign_in(mine: Credential | None, theirs: Credential) -> bool:
    """Whether ``theirs`` (read from the entry) is a different sign-in than ``mine``, not a
    renewal of it. Known only when both carry a sign-in id (entries of older versions do
    not); the subject of the tokens is the other clue (``_same_person``)."""
    return (
        mine is not None
        and mine.sign_in_id is not None
        and theirs.sign_in_id is not None
        and mine.sign_in_id != theirs.sign_in_id
    )


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    # Every awaiting caller may have been cancelled; mark the error as seen so asyncio
    # does not log "exception was never retrieved" (the next caller gets a new attempt).
    if not task.cancelled():
        task.exception()


__all__ = [
    "NOT_STORED",
    "REFRESH_MARGIN",
    "CredentialKind",
    "Session",
    "SessionInfo",
    "SessionState",
    "unverified_claims",
]
