"""Requests to the TwinEdge API: bearer injection, one refresh on 401, retries, typed errors.

Retry rules (why each is safe):
- 401 ``invalid_token``: the token may have expired a moment ago; refresh once
  (shared with every concurrent caller) and retry once.
- 429: the server did not process the request; wait ``Retry-After`` (bounded)
  and retry, for any method.
- Connection errors, timeouts and 5xx: retried only for idempotent requests
  (GET, HEAD, PUT, DELETE, and POST carrying an ``Idempotency-Key``), with
  capped exponential backoff and jitter.

Every attempt has a whole-attempt deadline (:data:`ATTEMPT_DEADLINE_SECONDS`: httpx's
timeouts are per read, so a server trickling bytes would otherwise hold a request
forever) and its body is read to at most :data:`MAX_RESPONSE_BYTES`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from twinedge_desktop.api.errors import (
    ApiError,
    BadRequest,
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    ValidationFailed,
    _clean,
    transport_problem,
)
from twinedge_desktop.api.http import (
    EXCHANGE_DEADLINE_SECONDS,
    MAX_RESPONSE_BYTES,
    send_bounded,
)
from twinedge_desktop.redaction import register_secret

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_ATTEMPTS = 4  # network / 5xx attempts for idempotent requests
MAX_RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 30.0  # never sleep longer than this on the server's word
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
REQUEST_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# One attempt, whole (api/http.py says why 30 s); a trickling server now fails, and is
# retried like any timeout, instead of holding the request for ever.
ATTEMPT_DEADLINE_SECONDS = EXCHANGE_DEADLINE_SECONDS
# Requests one ApiClient has on the wire at once; more callers wait their turn here.
# Matches the shared client's pool (api/http.py MAX_CONNECTIONS): with hundreds of
# requests queued inside httpx's connection pool, its bookkeeping on every
# connection release walks the whole queue on the event loop (stalls of 50-100 ms
# with 200 concurrent calls); an asyncio.Semaphore keeps that queue short.
MAX_IN_FLIGHT = 16


class TokenSource(Protocol):
    """What the client needs from a session."""

    async def access_token(self) -> str: ...

    async def handle_unauthorized(self, rejected_token: str) -> str: ...


Sleep = Callable[[float], Awaitable[None]]


def backoff_delay(attempt: int) -> float:
    """Capped exponential backoff with "equal jitter": half fixed, half random."""
    ceiling: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
    jitter: float = random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
    return ceiling / 2 + jitter


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "inf", "nan", "1e999" are not a wait a person (or a sleep) can honour.
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _www_authenticate(response: httpx.Response) -> dict[str, str]:
    header = response.headers.get("WWW-Authenticate", "")
    params: dict[str, str] = {}
    import re

    for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header):
        params[key.lower()] = quoted or bare
    return params


def error_from_response(response: httpx.Response) -> ApiError:
    """The typed error for an unsuccessful response (no secret ever reaches its text)."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    challenge = _www_authenticate(response)
    error = body.get("error") if isinstance(body.get("error"), str) else challenge.get("error")
    description = body.get("error_description") or challenge.get("error_description")
    field = body.get("field") if isinstance(body.get("field"), str) else None
    detail = f" ({_clean(description, 200)})" if description else ""
    common: dict[str, Any] = {"status": status, "error": error, "description": description}
    if status == 401:
        if error == "invalid_client":
            return InvalidClient(**common)
        return InvalidToken(
            "Your access is no longer valid (the token or key is invalid, expired or revoked)."
            + detail,
            **common,
        )
    if status == 403:
        needed = challenge.get("scope")
        need = f" It needs: {_clean(needed, 120)}." if needed else ""
        return InsufficientScope(
            "You do not have permission for this: your token or key lacks the required scope."
            + need
            + detail,
            required_scopes=tuple(needed.split()) if needed else (),
            **common,
        )
    if status == 404:
        return NotFound("Not found: it may have been deleted already." + detail, **common)
    if status == 422:
        where = f" in “{_clean(field, 60)}”" if field else ""
        text = _clean(description, 200) if description else "a value is not valid"
        return ValidationFailed(
            f"The server did not accept the request{where}: {text}.",
            field=field,
            status=status,
            error=error,
            description=description,
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        when = f" Try again in {max(1, round(retry_after))} s." if retry_after is not None else ""
        return RateLimited(
            "Too many requests: the TwinEdge server asked us to slow down." + when,
            retry_after=retry_after,
            **common,
        )
    if status >= 500:
        return ServerError(
            f"The TwinEdge server had a problem (HTTP {status}). Try again in a moment.", **common
        )
    if status == 400 and error == "invalid_grant":
        return InvalidGrant(**common)
    if 400 <= status < 500:
        return BadRequest(
            f"The server did not accept the request (HTTP {status}){detail}.", **common
        )
    return ApiError(f"Unexpected answer from the server (HTTP {status}).", **common)


class ApiClient:
    """Requests against one API base URL on the shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        tokens: TokenSource | None,
        *,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = MAX_ATTEMPTS,
        max_retry_after: float = MAX_RETRY_AFTER,
        max_in_flight: int = MAX_IN_FLIGHT,
        attempt_deadline: float = ATTEMPT_DEADLINE_SECONDS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._http = http
        self._attempt_deadline = attempt_deadline
        self._max_response_bytes = max_response_bytes
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        bearer: str | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> httpx.Response:
        """Send a request and return the successful response, or raise a typed ApiError.

        ``bearer`` sends that credential as-is (testing an API key): no refresh on 401.
        """
        method = method.upper()
        all_headers = {"Accept": "application/json", **(headers or {})}
        idempotent = method in IDEMPOTENT_METHODS or (
            method == "POST" and any(k.lower() == "idempotency-key" for k in all_headers)
        )
        attempt = 0
        rate_limited = 0
        refreshed = False
        while True:
            attempt += 1
            if bearer is not None:
                token = bearer
            elif self._tokens is not None:
                token = await self._tokens.access_token()
            else:
                token = ""
            send_headers = dict(all_headers)
            if token:
                # Whatever its source (a session, a key being tested), a credential sent
                # from here is hidden wherever it turns up later, bare or not.
                register_secret(token)
                send_headers["Authorization"] = f"Bearer {token}"
            try:
                # Only the request itself holds a slot: never a backoff sleep or a refresh.
                async with self._in_flight:
                    response = await self._send(
                        method,
                        self.url(path),
                        params=params,
                        json=json,
                        headers=send_headers,
                        timeout=timeout if timeout is not None else REQUEST_TIMEOUT,
                    )
            except (TimeoutError, httpx.TimeoutException, httpx.TransportError) as exc:
                if idempotent and attempt < self._max_attempts:
                    delay = backoff_delay(attempt)
                    log.info(
                        "%s %s: %s; retry %d in %.2f s",
                        method,
                        path,
                        type(exc).__name__,
                        attempt,
                        delay,
                    )
                    await self._sleep(delay)
                    continue
                if isinstance(exc, TimeoutError | httpx.TimeoutException):
                    raise NetworkError(
                        "The TwinEdge server did not answer in time. Check your connection and try "
                        "again."
                    ) from None
                raise NetworkError(
                    f"The TwinEdge server could not be reached: {transport_problem(exc)}. Check "
                    "your connection and try again."
                ) from None
            status = response.status_code
            if status < 400:
                return response
            if (
                status == 401
                and bearer is None
                and self._tokens is not None
                and not refreshed
                and _error_code(response) in (None, "invalid_token")
            ):
                refreshed = True
                attempt -= 1  # the refresh retry is not a network retry
                await self._tokens.handle_unauthorized(token)
                continue
            if status == 429 and rate_limited < MAX_RATE_LIMIT_RETRIES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is None:
                    retry_after = backoff_delay(rate_limited + 1)
                if retry_after <= self._max_retry_after:
                    rate_limited += 1
                    attempt -= 1
                    log.info("%s %s: rate limited; waiting %.2f s", method, path, retry_after)
                    await self._sleep(retry_after)
                    continue
            if status >= 500 and idempotent and attempt < self._max_attempts:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                delay = (
                    min(retry_after, self._max_retry_after)
                    if retry_after is not None
                    else backoff_delay(attempt)
                )
                log.info("%s %s: HTTP %d; retry %d in %.2f s", method, path, status, attempt, delay)
                await self._sleep(delay)
                continue
            raise error_from_response(response)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        json: Any,
        headers: Mapping[str, str],
        timeout: httpx.Timeout | float,
    ) -> httpx.Response:
        """One attempt within the attempt deadline, its body read whole but capped.

        Raises ``TimeoutError`` when the deadline passes, :class:`FetchTooLarge` for a
        body over the cap (not retried: the same server would send it again).
        """
        request = self._http.build_request(
            method, url, params=params, json=json, headers=headers, timeout=timeout
        )
        return await send_bounded(
            self._http,
            request,
            deadline=self._attempt_deadline,
            max_bytes=self._max_response_bytes,
            what="The TwinEdge server's answer",
        )


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return _www_authenticate(response).get("error")
