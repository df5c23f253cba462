"""Credentials: where the bearer token of each request comes from.

- :class:`ApiKeyCredential`: a TwinEdge API key, sent as it is (the seed's first form).
- :class:`ClientCredentials`: a client id and secret, exchanged at
  ``{issuer}/oauth/token`` for an access token (``grant_type=client_credentials``;
  the seed's second form). The token is cached and renewed before it expires.
- :class:`DesktopCredential`: the person's current TwinEdge Desktop sign-in, read
  by running ``twinedge-desktop token --json`` (with a timeout) and read again
  near expiry. The desktop app keeps the refresh token in the keychain and
  refreshes it under its own cross-process lock, so the SDK never holds one.

:func:`default_credential` is the chain used when a client is given no credential:
``TWINEDGE_API_KEY``; then ``TWINEDGE_CLIENT_ID`` + ``TWINEDGE_CLIENT_SECRET``; then
TwinEdge Desktop. A script therefore runs unchanged on a laptop signed in to the
desktop app and in CI with an environment variable.

Renewal is shared: however many threads (sync client) or tasks (async client) find
the token due at once, one of them renews it and the others use the result
(double-checked under one lock). No credential's ``repr`` holds its secret.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

import httpx

from twinedge._http import (
    DEFAULT_ISSUER,
    ISSUER_ENV,
    api_root,
    checked_root_url,
    error_from_response,
    json_object,
    network_error,
    scrub,
)
from twinedge.errors import ConfigurationError, CredentialUnavailable, TwinEdgeError

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AccessToken",
    "ApiKeyCredential",
    "ClientCredentials",
    "Credential",
    "DesktopCredential",
    "default_credential",
]

logger = logging.getLogger("twinedge")

API_KEY_ENV = "TWINEDGE_API_KEY"
CLIENT_ID_ENV = "TWINEDGE_CLIENT_ID"
CLIENT_SECRET_ENV = "TWINEDGE_CLIENT_SECRET"  # noqa: S105 - a variable name
DESKTOP_COMMAND = "twinedge-desktop"

# Renew this long before expiry (or at half the remaining life of a token that is
# already closer to its end), so a request never leaves with a token that expires in
# flight. The desktop app refreshes its stored token within the same 60 s.
RENEW_MARGIN_SECONDS = 60.0
# A token endpoint that names no lifetime: assume a short one and let 401s correct it.
_DEFAULT_LIFETIME_SECONDS = 300.0
# Long enough for the desktop app to refresh over the network and for a keychain that
# asks to be unlocked; short enough that a hung app does not hang the script.
DESKTOP_TIMEOUT_SECONDS = 30.0
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")

ClockFunction = Callable[[], float]


def _rfc3339(timestamp: float) -> str:
    if timestamp == float("inf"):
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AccessToken:
    """A bearer token and when it expires (epoch seconds). ``repr`` never shows the value."""

    __slots__ = ("expires_at", "renew_at", "scopes", "value")

    def __init__(
        self,
        value: str,
        *,
        expires_at: float,
        renew_at: float | None = None,
        scopes: tuple[str, ...] = (),
    ) -> None:
        self.value = value
        self.expires_at = expires_at
        self.renew_at = expires_at if renew_at is None else renew_at
        self.scopes = scopes

    @classmethod
    def issued(
        cls, value: str, *, now: float, expires_at: float, scopes: tuple[str, ...] = ()
    ) -> AccessToken:
        """A token fetched at ``now``: renewed ``RENEW_MARGIN_SECONDS`` before it expires, or
        at half its remaining life when it has less than twice that left."""
        remaining = max(0.0, expires_at - now)
        renew_at = expires_at - min(RENEW_MARGIN_SECONDS, remaining / 2)
        return cls(value, expires_at=expires_at, renew_at=renew_at, scopes=scopes)

    def due(self, now: float) -> bool:
        return now >= self.renew_at

    def __repr__(self) -> str:
        return f"AccessToken(expires_at={_rfc3339(self.expires_at)!r}, scopes={self.scopes!r})"


def _header_safe(value: str, where: str) -> str:
    """A token that can go in an ``Authorization`` header; otherwise an error that does not
    quote it (httpx would put an illegal header value into its exception text)."""
    if not _HEADER_SAFE.fullmatch(value):
        raise TwinEdgeError(
            f"{where} returned an access token with characters a header cannot carry",
            error="unexpected_response",
        )
    return value


class Credential:
    """Where the bearer token comes from. Subclasses: :class:`ApiKeyCredential`,
    :class:`ClientCredentials`, :class:`DesktopCredential`.

    ``source`` says how it was chosen (``"argument"``, ``"TWINEDGE_API_KEY"``…), for
    ``repr`` and the debug log.
    """

    #: Whether a rejected token (401 ``invalid_token``) can be replaced by a new one.
    renewable: ClassVar[bool] = False
    #: The issuer whose token endpoint the credential uses, if it uses one.
    issuer: str | None = None

    def __init__(self, *, source: str) -> None:
        self.source = source

    def token(self, http: httpx.Client) -> AccessToken:
        """A token for the next request (cached while fresh)."""
        raise NotImplementedError

    async def token_async(self, http: httpx.AsyncClient) -> AccessToken:
        """:meth:`token` for the async client."""
        raise NotImplementedError

    def renew(self, rejected: AccessToken, http: httpx.Client) -> AccessToken | None:
        """A replacement for a token the API rejected, or ``None`` when there is none."""
        return None

    async def renew_async(
        self, rejected: AccessToken, http: httpx.AsyncClient
    ) -> AccessToken | None:
        return None

    def secrets(self) -> tuple[str, ...]:
        """Every secret this credential holds, so error texts can be scrubbed of them."""
        return ()


# -- API keys --------------------------------------------------------------------------------

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KEY_SHAPE = re.compile(r"te_[0-9A-Za-z]{38}")
_KEY_PREFIX_LENGTH = 12  # the key's public ``prefix`` (DESIGN.md "API key format")


def _checksum(text: str) -> str:
    """CRC32 of ``text`` in base62, most significant digit first, padded to 6 with ``0``."""
    value = zlib.crc32(text.encode("ascii"))
    digits = ""
    while value:
        value, remainder = divmod(value, 62)
        digits = _BASE62[remainder] + digits
    return digits.rjust(6, "0")


def _check_api_key(api_key: str, source: str) -> str:
    """The key without surrounding whitespace, or :class:`ConfigurationError` saying what is
    wrong with it (without quoting it). TwinEdge keys check themselves: ``te_`` + 32
    random base62 characters + a 6-character CRC32 checksum of the first 35."""
    key = api_key.strip()
    where = "" if source == "argument" else f" (from {source})"
    if not key:
        raise ConfigurationError(f"The API key{where} is empty")
    if not _KEY_SHAPE.fullmatch(key):
        raise ConfigurationError(
            f"The API key{where} is not a TwinEdge API key: those are te_ followed by 38 "
            f"letters and digits ({len(key)} characters given). Was it copied completely?"
        )
    if _checksum(key[:35]) != key[35:]:
        raise ConfigurationError(
            f"The API key{where} has a wrong checksum: a typo, or a partial copy. "
            "Copy it again from where you stored it."
        )
    return key


class ApiKeyCredential(Credential):
    """A TwinEdge API key (``te_…``), checked offline and sent as the bearer token.

    A key's scopes are fixed when it is created; a 401 means it is revoked or expired,
    so it is raised, never retried.
    """

    def __init__(self, api_key: str, *, source: str = "argument") -> None:
        super().__init__(source=source)
        self._token = AccessToken(_check_api_key(api_key, source), expires_at=float("inf"))

    @property
    def prefix(self) -> str:
        """The key's public prefix (its first 12 characters, as key lists show it)."""
        return self._token.value[:_KEY_PREFIX_LENGTH]

    def token(self, http: httpx.Client) -> AccessToken:
        return self._token

    async def token_async(self, http: httpx.AsyncClient) -> AccessToken:
        return self._token

    def secrets(self) -> tuple[str, ...]:
        return (self._token.value,)

    def __repr__(self) -> str:
        return f"ApiKeyCredential(prefix={self.prefix!r}, source={self.source!r})"


# -- renewing credentials ----------------------------------------------------------------------


class _RenewingCredential(Credential):
    """A cached access token, fetched again when due; one fetch at a time.

    Sync callers share ``_lock`` (threads); async callers share ``_async_lock`` (tasks
    of one event loop). Inside the lock the cache is checked again, so callers that
    queued behind a renewal use its result instead of renewing again.
    """

    renewable = True

    def __init__(self, *, source: str, clock: ClockFunction | None) -> None:
        super().__init__(source=source)
        self._clock: ClockFunction = clock or time.time
        self._cached: AccessToken | None = None
        self._lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None

    # What subclasses provide: one fetch, sync and async.
    def _fetch(self, http: httpx.Client) -> AccessToken:
        raise NotImplementedError

    async def _fetch_async(self, http: httpx.AsyncClient) -> AccessToken:
        raise NotImplementedError

    def _fresh(self) -> AccessToken | None:
        cached = self._cached
        if cached is not None and not cached.due(self._clock()):
            return cached
        return None

    def _store(self, fetched: AccessToken, why: str) -> AccessToken:
        self._cached = fetched
        logger.debug("%s: %s; got %r", self, why, fetched)
        return fetched

    def _reusable_after(self, rejected: AccessToken) -> AccessToken | None:
        """The cached token, when another caller already replaced ``rejected`` with it."""
        cached = self._fresh()
        return cached if cached is not None and cached.value != rejected.value else None

    def _replacement(self, fetched: AccessToken, rejected: AccessToken) -> AccessToken | None:
        # The source handed back the very token the API refused: retrying is pointless.
        return None if fetched.value == rejected.value else fetched

    def _get_async_lock(self) -> asyncio.Lock:
        if self._async_lock is None:
            import asyncio

            self._async_lock = asyncio.Lock()
        return self._async_lock

    def token(self, http: httpx.Client) -> AccessToken:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        with self._lock:
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            return self._store(self._fetch(http), "token due")

    async def token_async(self, http: httpx.AsyncClient) -> AccessToken:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        async with self._get_async_lock():
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            return self._store(await self._fetch_async(http), "token due")

    def renew(self, rejected: AccessToken, http: httpx.Client) -> AccessToken | None:
        with self._lock:
            reusable = self._reusable_after(rejected)
            if reusable is not None:
                return reusable
            fetched = self._store(self._fetch(http), "the API rejected the token")
            return self._replacement(fetched, rejected)

    async def renew_async(
        self, rejected: AccessToken, http: httpx.AsyncClient
    ) -> AccessToken | None:
        async with self._get_async_lock():
            reusable = self._reusable_after(rejected)
            if reusable is not None:
                return reusable
            fetched = self._store(await self._fetch_async(http), "the API rejected the token")
            return self._replacement(fetched, rejected)

    def secrets(self) -> tuple[str, ...]:
        cached = self._cached
        return (cached.value,) if cached is not None else ()


def resolve_issuer(issuer: str | None, environ: Mapping[str, str] | None = None) -> str:
    """``issuer``, else ``$TWINEDGE_ISSUER``, else TwinEdge's; checked (HTTPS, or loopback)."""
    if issuer:
        return checked_root_url(issuer, name="issuer")
    env = os.environ if environ is None else environ
    from_env = env.get(ISSUER_ENV, "").strip()
    if from_env:
        return checked_root_url(from_env, name=ISSUER_ENV)
    return DEFAULT_ISSUER


def _scope_list(scopes: Sequence[str] | str | None) -> tuple[str, ...]:
    if scopes is None:
        return ()
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    result: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip() or any(c.isspace() for c in item.strip()):
            raise ConfigurationError("scopes must be scope names such as 'read:telemetry'")
        if item.strip() not in result:
            result.append(item.strip())
    return tuple(result)


class ClientCredentials(_RenewingCredential):
    """A client id and secret (a service account), exchanged for access tokens at
    ``{issuer}/oauth/token`` with ``grant_type=client_credentials`` (RFC 6749 §4.4).

    ``scopes`` are optional: without them the server grants the client's default
    scopes. A token is cached and renewed before it expires; a token the API rejects
    (revoked) is replaced once per request.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        scopes: Sequence[str] | str | None = None,
        issuer: str | None = None,
        clock: ClockFunction | None = None,
        source: str = "argument",
    ) -> None:
        super().__init__(source=source, clock=clock)
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigurationError("client_id is empty")
        if not isinstance(client_secret, str) or not client_secret.strip():
            raise ConfigurationError("client_secret is empty")
        self.client_id = client_id.strip()
        self._client_secret = client_secret.strip()
        self.scopes = _scope_list(scopes)
        self.issuer = resolve_issuer(issuer)
        self.token_url = f"{self.issuer}/oauth/token"

    def _form(self) -> dict[str, str]:
        # client_secret_post, as the seed shows it; the server supports Basic too, but a
        # form spares the RFC 6749 §2.3.1 form-encoding that Basic needs and many get wrong.
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        return form

    def _request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        return http.build_request(
            "POST", self.token_url, data=self._form(), headers={"Accept": "application/json"}
        )

    def _parse(self, response: httpx.Response, sent_at: float) -> AccessToken:
        secrets = (self._client_secret, *super().secrets())
        if response.is_error:
            raise error_from_response(response, secrets=secrets, token_endpoint=True)
        body = json_object(response)
        value = body.get("access_token")
        token_type = body.get("token_type", "Bearer")
        if not isinstance(value, str) or not value:
            raise TwinEdgeError(
                f"{self.token_url} answered without an access_token",
                error="unexpected_response",
                status=response.status_code,
            )
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise TwinEdgeError(
                f"{self.token_url} issued a token of type {str(token_type)[:40]!r}, not Bearer",
                error="unexpected_response",
                status=response.status_code,
            )
        lifetime = body.get("expires_in")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = _DEFAULT_LIFETIME_SECONDS
        scope_text = body.get("scope")
        granted = tuple(scope_text.split()) if isinstance(scope_text, str) else self.scopes
        # Expiry counts from when the request was sent: the safe side of the round trip.
        return AccessToken.issued(
            _header_safe(value, self.token_url),
            now=sent_at,
            expires_at=sent_at + float(lifetime),
            scopes=granted,
        )

    def _fetch(self, http: httpx.Client) -> AccessToken:
        sent_at = self._clock()
        failure: TwinEdgeError | None = None
        try:
            response = http.send(self._request(http))
        except httpx.TransportError as exc:
            failure = network_error(exc, self.token_url, self.secrets())
        else:
            return self._parse(response, sent_at)
        # Unchained: httpx's error holds the request, whose body is the client secret.
        raise failure

    async def _fetch_async(self, http: httpx.AsyncClient) -> AccessToken:
        sent_at = self._clock()
        failure: TwinEdgeError | None = None
        try:
            response = await http.send(self._request(http))
        except httpx.TransportError as exc:
            failure = network_error(exc, self.token_url, self.secrets())
        else:
            return self._parse(response, sent_at)
        raise failure

    def secrets(self) -> tuple[str, ...]:
        return (self._client_secret, *super().secrets())

    def __repr__(self) -> str:
        scopes = f", scopes={list(self.scopes)!r}" if self.scopes else ""
        return (
            f"ClientCredentials(client_id={self.client_id!r}{scopes}, issuer={self.issuer!r}, "
            f"source={self.source!r})"
        )


# -- TwinEdge Desktop ------------------------------------------------------------------------

_INSTALL_HINT = (
    "install TwinEdge Desktop or set TWINEDGE_API_KEY "
    "(or TWINEDGE_CLIENT_ID and TWINEDGE_CLIENT_SECRET)"
)
_SIGNED_OUT = re.compile(r"not signed in|twinedge-desktop login|sign in again", re.IGNORECASE)
# A keychain that is locked, absent or broken: the person may well be signed in, and
# `login` would fail the same way. The app's sentence says how to unlock or start it.
_KEYCHAIN = re.compile(r"keychain|keyring|secret service|d-bus", re.IGNORECASE)
_TOO_OLD = re.compile(r"unrecognized arguments|invalid choice", re.IGNORECASE)


def _first_lines(data: bytes, secrets: Sequence[str] = ()) -> str:
    text = data.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # The message is usually the last line (argparse prints usage first); keep two.
    return scrub(" ".join(lines[-2:]), secrets)


def _parse_expiry(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


class DesktopCredential(_RenewingCredential):
    """The current sign-in of TwinEdge Desktop, through ``twinedge-desktop token --json``.

    The command prints ``{"access_token", "expires_at", "scopes", "profile", "api_base",
    "issuer"}`` (``expires_at`` RFC 3339 UTC) and answers from the keychain without a
    request while its token is fresh; the SDK runs it again when the token is due. After
    a 401 it runs ``token --json --rejected -`` with the refused token on stdin, so the app
    renews it (under its cross-process lock) unless it already holds another one.

    ``api_base`` and ``issuer`` name the server the token was issued for: the client sends
    it only to that API (:attr:`api_root`, known once the app has answered). A desktop app
    too old to say is trusted as before, with the client's ``base_url``.

    ``command`` is the program to run (a name looked up on ``PATH``, or a path);
    ``profile`` a desktop profile other than the current one; ``timeout`` bounds each
    run. When the program is missing, :class:`CredentialUnavailable` is raised at once.
    """

    def __init__(
        self,
        *,
        command: str = DESKTOP_COMMAND,
        profile: str | None = None,
        timeout: float = DESKTOP_TIMEOUT_SECONDS,
        clock: ClockFunction | None = None,
        source: str = "argument",
    ) -> None:
        super().__init__(source=source, clock=clock)
        found = shutil.which(command)
        if found is None:
            raise CredentialUnavailable(
                f"No TwinEdge credentials found: {_INSTALL_HINT}. "
                f"(`{command}` is not on PATH, and none of those variables is set.)"
            )
        if not timeout > 0:
            raise ConfigurationError("timeout must be a positive number of seconds")
        self.command = found
        self.profile = profile
        self.timeout = float(timeout)
        self.signed_in_profile: str | None = None  # what the app said, once it has answered
        # The API the token was issued for, as the app said (its profile's ``api_base``,
        # without the trailing /v1): ``server_known`` once an app that says it answered;
        # ``api_root`` None then means the profile has no API address.
        self.server_known = False
        self.api_root: str | None = None

    def _arguments(self, rejected: bool = False) -> list[str]:
        arguments = [self.command, "token", "--json"]
        if self.profile:
            arguments += ["--profile", self.profile]
        if rejected:
            arguments += ["--rejected", "-"]  # the token on stdin: never in the process list
        return arguments

    def _run(self, rejected: str | None = None) -> AccessToken:
        import subprocess  # only this credential needs it: keeps `import twinedge` light

        shown = "twinedge-desktop token --json" + (" --rejected -" if rejected else "")
        completed: subprocess.CompletedProcess[bytes] | None = None
        failure = ""
        try:
            completed = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
                self._arguments(rejected=rejected is not None),
                input=(rejected + "\n").encode() if rejected is not None else b"",
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            failure = (
                f"`{shown}` did not answer within {self.timeout:g} s (is the keychain locked "
                "or waiting for a password?). Unlock it and try again, or set TWINEDGE_API_KEY."
            )
        except OSError as exc:
            failure = (
                f"TwinEdge Desktop could not be started ({self.command}: {exc.strerror or exc}): "
                f"{_INSTALL_HINT}."
            )
        # Raised outside the except blocks: TimeoutExpired carries what the program had
        # printed so far (perhaps the token), and would travel along as __context__.
        if completed is None:
            raise CredentialUnavailable(failure)
        cached = super().secrets()
        if completed.returncode != 0:
            said = _first_lines(completed.stderr, cached) or f"exit status {completed.returncode}"
            if _TOO_OLD.search(said) and rejected is not None and "--rejected" in said:
                # An app from before `--rejected`: ask for its token the old way (it may
                # hand back the refused one; the client then raises the 401 with advice).
                return self._run()
            if _TOO_OLD.search(said):
                raise CredentialUnavailable(
                    f"This TwinEdge Desktop is too old for the SDK (it has no `{shown}`): "
                    "update TwinEdge Desktop, or set TWINEDGE_API_KEY."
                )
            if _KEYCHAIN.search(said):
                raise CredentialUnavailable(
                    "TwinEdge Desktop cannot read its sign-in from the system keychain, so "
                    "there is no token to use until the keychain is unlocked (or running). "
                    f"It said: {said} Or set TWINEDGE_API_KEY."
                )
            if _SIGNED_OUT.search(said):
                raise CredentialUnavailable(
                    "TwinEdge Desktop is not signed in: run `twinedge-desktop login`"
                    f"{' --profile ' + self.profile if self.profile else ''}, or set "
                    f"TWINEDGE_API_KEY. (It said: {said})"
                )
            raise CredentialUnavailable(f"`{shown}` failed: {said}")
        return self._parse(completed.stdout, shown)

    def _parse(self, stdout: bytes, shown: str) -> AccessToken:
        malformed = CredentialUnavailable(
            f"`{shown}` printed something other than the expected JSON "
            '{"access_token", "expires_at", "scopes", "profile"}: update TwinEdge Desktop, '
            "or set TWINEDGE_API_KEY."
        )
        # Raised outside the except block: a JSONDecodeError keeps the whole output (the
        # token) in its .doc, and as the error's __context__ it would travel with it.
        body: object = None
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            body = json.loads(stdout)
        if not isinstance(body, dict):
            raise malformed
        value = body.get("access_token")
        expires_at = _parse_expiry(body.get("expires_at"))
        scopes = body.get("scopes")
        profile = body.get("profile")
        if not isinstance(value, str) or not value or expires_at is None:
            raise malformed
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            scopes = []
        if isinstance(profile, str):
            self.signed_in_profile = profile
        self._read_server(body)
        return AccessToken.issued(
            _header_safe(value, shown),
            now=self._clock(),
            expires_at=expires_at,
            scopes=tuple(scopes),
        )

    def _read_server(self, body: dict[str, object]) -> None:
        """Where the token may be used, from ``api_base`` and ``issuer`` (when the app says)."""
        if "api_base" not in body:
            return  # an app from before these fields: nothing known
        api_base, issuer = body.get("api_base"), body.get("issuer")
        root: str | None = None
        if isinstance(api_base, str) and api_base.strip():
            try:
                root = api_root(api_base)
            except ConfigurationError as exc:
                raise CredentialUnavailable(
                    "TwinEdge Desktop's profile names an API address the SDK will not send a "
                    f"token to ({exc.description})."
                ) from None
        self.api_root = root
        self.issuer = issuer.rstrip("/") if isinstance(issuer, str) and issuer else None
        self.server_known = True

    def _fetch(self, http: httpx.Client) -> AccessToken:
        return self._run()

    async def _fetch_async(self, http: httpx.AsyncClient) -> AccessToken:
        import asyncio

        # A thread, not asyncio's subprocess API: that works on every event loop
        # (Windows' selector loop and Qt's qasync loop have no subprocess support).
        return await asyncio.to_thread(self._run)

    def renew(self, rejected: AccessToken, http: httpx.Client) -> AccessToken | None:
        """After a 401: the app renews the refused token (or hands over the one another
        process already renewed); None when it can only give the refused one back."""
        with self._lock:
            reusable = self._reusable_after(rejected)
            if reusable is not None:
                return reusable
            fetched = self._store(self._run(rejected.value), "the API rejected the token")
            return self._replacement(fetched, rejected)

    async def renew_async(
        self, rejected: AccessToken, http: httpx.AsyncClient
    ) -> AccessToken | None:
        import asyncio

        async with self._get_async_lock():
            reusable = self._reusable_after(rejected)
            if reusable is not None:
                return reusable
            fetched = await asyncio.to_thread(self._run, rejected.value)
            return self._replacement(self._store(fetched, "the API rejected the token"), rejected)

    def __repr__(self) -> str:
        profile = self.profile or self.signed_in_profile
        shown = f", profile={profile!r}" if profile else ""
        return f"DesktopCredential(command={self.command!r}{shown}, source={self.source!r})"


# -- the chain --------------------------------------------------------------------------------


def default_credential(
    *,
    issuer: str | None = None,
    scopes: Sequence[str] | str | None = None,
    environ: Mapping[str, str] | None = None,
    clock: ClockFunction | None = None,
) -> Credential:
    """The first credential configured, in this order:

    1. ``TWINEDGE_API_KEY``: an API key;
    2. ``TWINEDGE_CLIENT_ID`` and ``TWINEDGE_CLIENT_SECRET``: client credentials
       (``scopes`` apply here; an API key's or a sign-in's scopes are fixed);
    3. TwinEdge Desktop's current sign-in (``twinedge-desktop`` on ``PATH``).

    Raises :class:`ConfigurationError` when only one of the client id and secret is set
    (a half-configured CI job should fail, not quietly use someone's desktop sign-in),
    and :class:`CredentialUnavailable` when nothing is available, naming what to do.
    """
    env = os.environ if environ is None else environ
    api_key = env.get(API_KEY_ENV, "").strip()
    if api_key:
        chosen: Credential = ApiKeyCredential(api_key, source=API_KEY_ENV)
    else:
        client_id = env.get(CLIENT_ID_ENV, "").strip()
        client_secret = env.get(CLIENT_SECRET_ENV, "").strip()
        if client_id and client_secret:
            chosen = ClientCredentials(
                client_id,
                client_secret,
                scopes=scopes,
                issuer=resolve_issuer(issuer, env),
                clock=clock,
                source=f"{CLIENT_ID_ENV} + {CLIENT_SECRET_ENV}",
            )
        elif client_id or client_secret:
            present, missing = (
                (CLIENT_ID_ENV, CLIENT_SECRET_ENV)
                if client_id
                else (CLIENT_SECRET_ENV, CLIENT_ID_ENV)
            )
            raise ConfigurationError(f"{present} is set but {missing} is not: set both, or neither")
        else:
            chosen = DesktopCredential(clock=clock, source=DESKTOP_COMMAND)
    if scopes is not None and not isinstance(chosen, ClientCredentials):
        logger.debug("scopes %r ignored: %r has fixed scopes", scopes, chosen)
    logger.debug("credential chain chose %r", chosen)
    return chosen
