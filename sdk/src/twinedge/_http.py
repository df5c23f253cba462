"""What the sync and async clients share, without I/O: URL rules, error mapping,
``Retry-After`` and the 429 retry budget, and scrubbing secrets out of text.

Kept free of ``asyncio`` and ``subprocess`` so ``import twinedge`` stays light.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import re
import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from twinedge.errors import (
    ConfigurationError,
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    NetworkError,
    RateLimited,
    TwinEdgeError,
)

DEFAULT_BASE_URL = "https://api.twinedgeai.com"
DEFAULT_ISSUER = "https://auth.twinedgeai.com"
BASE_URL_ENV = "TWINEDGE_API_URL"
ISSUER_ENV = "TWINEDGE_ISSUER"

# An error body longer than this is not the contract's {"error", "error_description"}:
# it is not parsed (a proxy's HTML page, say), so a huge body cannot cost memory twice.
_MAX_ERROR_BODY = 64 * 1024
_MAX_DESCRIPTION = 500

# Shapes of secrets that could reach an error text from a server or a subprocess:
# a TwinEdge API key (te_ + 38 base62), a JWT (three base64url parts, the first "eyJ").
_KEY_PATTERN = re.compile(r"te_[0-9A-Za-z]{20,}")
_JWT_PATTERN = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
REDACTED = "[redacted]"


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and the name ``localhost`` itself (not ``*.localhost``, which a
    resolver may send to DNS)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_root_url(url: str, *, name: str) -> str:
    """``url`` without a trailing slash, or :class:`ConfigurationError` when it is not
    HTTPS (plain HTTP only to this computer), or is malformed, or carries a user name,
    password, query or fragment."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not one
    except ValueError:
        raise ConfigurationError(f"{name} {text!r} is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigurationError(
            f"{name} must be an https:// URL such as {DEFAULT_BASE_URL}, not {text!r}"
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigurationError(
            f"{name} {text!r} uses plain HTTP to another computer, which would send your "
            "credential unencrypted. Use https://; plain http:// is allowed only for this "
            "computer (127.0.0.1, [::1], localhost), e.g. the local sandbox."
        )
    if "@" in parts.netloc:
        raise ConfigurationError(f"{name} must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{name} must not contain a query or a fragment")
    return text.rstrip("/")


def api_root(base_url: str) -> str:
    """The API's root, to which paths such as ``/v1/assets`` are appended.

    ``http://127.0.0.1:8765/v1`` (how the sandbox's metadata names its API) means the
    same as ``http://127.0.0.1:8765``: the trailing ``/v1`` is dropped, so the
    resource paths never become ``/v1/v1/...``.
    """
    root = checked_root_url(base_url, name="base_url")
    return root.removesuffix("/v1")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def resolve_url(root: str, path_or_url: str) -> str:
    """``root + path``; an absolute URL only when it is under ``root``, so a request can
    never carry the credential to another server."""
    if path_or_url.startswith("/") and not path_or_url.startswith("//"):
        return root + path_or_url
    if path_or_url.startswith(root + "/") or path_or_url == root:
        return path_or_url
    raise ConfigurationError(
        f"request() takes a path such as /v1/assets (or a URL under {root}); "
        f"{path_or_url[:200]!r} would send your credential elsewhere"
    )


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secrets and anything shaped like a key or a JWT replaced,
    control characters collapsed, and at most a few hundred characters kept."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _KEY_PATTERN.sub(REDACTED, text)
    text = _JWT_PATTERN.sub(REDACTED, text)
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > _MAX_DESCRIPTION:
        text = text[: _MAX_DESCRIPTION - 1] + "…"
    return text


# -- errors from responses -------------------------------------------------------------------

_BY_ERROR: dict[str, type[TwinEdgeError]] = {
    "invalid_token": InvalidToken,
    "insufficient_scope": InsufficientScope,
    "invalid_client": InvalidClient,
    "invalid_grant": InvalidGrant,
    "rate_limited": RateLimited,
}
_CHALLENGE_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _challenge(response: httpx.Response) -> dict[str, str]:
    """The ``key="value"`` parameters of a ``WWW-Authenticate: Bearer …`` header."""
    header = response.headers.get("www-authenticate", "")
    return {key.lower(): value for key, value in _CHALLENGE_PARAM.findall(header)}


def _error_body(response: httpx.Response) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type or len(response.content) > _MAX_ERROR_BODY:
        return {}
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(
    response: httpx.Response, *, secrets: Iterable[str] = (), token_endpoint: bool = False
) -> TwinEdgeError:
    """The typed error for an error response (status ≥ 400).

    The class follows the ``error`` code (body first, then ``WWW-Authenticate``), else
    the status: a 401 is :class:`InvalidToken` from the API and :class:`InvalidClient`
    from the token endpoint; 403 :class:`InsufficientScope`; 429 :class:`RateLimited`.
    """
    status = response.status_code
    body = _error_body(response)
    challenge = _challenge(response) if status in (401, 403) else {}
    error = body.get("error") if isinstance(body.get("error"), str) else challenge.get("error")
    raw_description = body.get("error_description")
    if not isinstance(raw_description, str) or not raw_description.strip():
        raw_description = challenge.get("error_description") or (
            f"HTTP {status} {response.reason_phrase}".strip()
        )
    description = scrub(raw_description, secrets)
    field = body.get("field") if isinstance(body.get("field"), str) else None
    error_code = scrub(error, secrets)[:64] if error else None

    by_status: dict[int, type[TwinEdgeError]] = {
        401: InvalidClient if token_endpoint else InvalidToken,
        403: InsufficientScope,
        429: RateLimited,
    }
    cls = _BY_ERROR.get(error_code or "") or by_status.get(status) or TwinEdgeError
    if status == 429:
        cls = RateLimited
    if cls is RateLimited:
        return RateLimited(
            description,
            error=error_code,
            status=status,
            field=field,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    if cls is InsufficientScope:
        scope = challenge.get("scope")
        return InsufficientScope(
            description,
            error=error_code,
            status=status,
            field=field,
            scope=scrub(scope, secrets) if scope else None,
        )
    if cls is TwinEdgeError and not error_code:
        error_code = f"http_{status}"
    return cls(description, error=error_code, status=status, field=field)


def is_invalid_token(response: httpx.Response) -> bool:
    """A 401 that says the bearer credential was rejected (the seed's "Handling 401
    errors"): ``invalid_token`` in the body or the challenge, or a 401 that names no error."""
    if response.status_code != 401:
        return False
    error = _error_body(response).get("error") or _challenge(response).get("error")
    return error in (None, "invalid_token")


def network_error(exc: httpx.TransportError, url: str, secrets: Iterable[str]) -> NetworkError:
    """A transport failure as a :class:`NetworkError` naming the server and httpx's error
    (its type and scrubbed text), never a secret. Raise it unchained (see callers)."""
    detail = scrub(str(exc), secrets)
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    said = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return NetworkError(f"The request to {origin_of(url)} {kind} ({said})")


_NOT_JSON = object()


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or a :class:`TwinEdgeError` saying what came instead."""
    # The error is raised outside the except block: a JSONDecodeError keeps the body in
    # its .doc (for a token response, the token) and would travel along as __context__.
    body: object = _NOT_JSON
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        body = response.json()
    if body is _NOT_JSON:
        raise TwinEdgeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"HTTP {response.status_code} with something that is not JSON",
            error="unexpected_response",
            status=response.status_code,
        )
    if not isinstance(body, dict):
        raise TwinEdgeError(
            f"{response.request.method} {response.request.url.path} answered with JSON that "
            "is not an object",
            error="unexpected_response",
            status=response.status_code,
        )
    return body


# -- 429: Retry-After and the retry budget ---------------------------------------------------


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """RFC 9110 ``Retry-After``: whole seconds or an HTTP-date; ``None`` when absent or
    unreadable (the caller then backs off on its own)."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; a naive one is read as such
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def check_retry_settings(attempts: int, max_wait: float) -> None:
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ConfigurationError("rate_limit_attempts must be a whole number ≥ 1")
    if not isinstance(max_wait, int | float) or not math.isfinite(max_wait) or max_wait < 0:
        raise ConfigurationError("rate_limit_max_wait must be a number of seconds ≥ 0")


class RateLimitBudget:
    """One request's allowance for 429 retries: at most ``attempts`` tries in all, and at
    most ``max_wait`` seconds of waiting in all.

    The wait is the server's ``Retry-After``; without one, 1, 2, 4… seconds. A wait
    that would overrun the budget is not started: the caller raises
    :class:`RateLimited` at once instead of sleeping in vain.
    """

    __slots__ = ("_attempts_left", "_backoff", "_wait_left")

    def __init__(self, attempts: int, max_wait: float) -> None:
        self._attempts_left = attempts - 1  # the first try is not a retry
        self._wait_left = float(max_wait)
        self._backoff = 1.0

    def next_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait before the next try, or ``None`` when the budget is spent."""
        if self._attempts_left <= 0:
            return None
        wait = retry_after_seconds(response.headers.get("retry-after"))
        if wait is None:
            wait = self._backoff
            self._backoff *= 2
        if wait > self._wait_left:
            return None
        self._attempts_left -= 1
        self._wait_left -= wait
        return wait


def user_agent(version: str) -> str:
    return f"twinedge-python/{version} httpx/{httpx.__version__}"
