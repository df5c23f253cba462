"""The API client: bearer injection, one refresh on 401, retries, typed errors, HTTPS rule."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import truststore

from twinedge_desktop.api.client import (
    BACKOFF_CAP,
    ApiClient,
    backoff_delay,
    parse_retry_after,
)
from twinedge_desktop.api.errors import (
    ApiError,
    BadRequest,
    InsecureUrl,
    InsufficientScope,
    InvalidClient,
    InvalidToken,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from twinedge_desktop.api.http import build_http_client

BASE = "https://api.example.test/v1"
SECRET = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl"


class Tokens:
    """A TokenSource that counts refreshes."""

    def __init__(self) -> None:
        self.current = "token-1"
        self.refreshes = 0

    async def access_token(self) -> str:
        return self.current

    async def handle_unauthorized(self, rejected_token: str) -> str:
        self.refreshes += 1
        self.current = f"token-{self.refreshes + 1}"
        return self.current


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


Handler = Callable[[httpx.Request], httpx.Response]


def make(handler: Handler, tokens: Tokens | None = None) -> tuple[ApiClient, Sleeps, Tokens]:
    sleeps = Sleeps()
    tokens = tokens or Tokens()
    http = build_http_client(transport=httpx.MockTransport(handler), trust_env=False)
    return ApiClient(http, BASE, tokens, sleep=sleeps), sleeps, tokens


async def test_bearer_is_injected() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={})

    client, _, _ = make(handler)
    await client.request("GET", "/me")
    assert seen == ["Bearer token-1"]


async def test_401_invalid_token_refreshes_once_and_retries_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer token-1":
            return httpx.Response(
                401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}, json={}
            )
        return httpx.Response(200, json={"ok": 1})

    client, _, tokens = make(handler)
    response = await client.request("GET", "/me")
    assert response.json() == {"ok": 1}
    assert seen == ["Bearer token-1", "Bearer token-2"] and tokens.refreshes == 1


async def test_a_second_401_is_an_error_not_a_loop() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(401, json={"error": "invalid_token", "error_description": SECRET})

    client, _, tokens = make(handler)
    with pytest.raises(InvalidToken) as info:
        await client.request("GET", "/me")
    assert calls == 2 and tokens.refreshes == 1
    assert SECRET not in str(info.value)  # server text is redacted


async def test_an_explicit_bearer_is_never_refreshed() -> None:
    client, _, tokens = make(lambda r: httpx.Response(401, json={"error": "invalid_token"}))
    with pytest.raises(InvalidToken):
        await client.request("GET", "/me", bearer="te_some_key")
    assert tokens.refreshes == 0


@pytest.mark.parametrize(
    ("status", "body", "headers", "error_type", "words"),
    [
        (401, {"error": "invalid_client"}, {}, InvalidClient, "client"),
        (
            403,
            {"error": "insufficient_scope"},
            {"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="admin"'},
            InsufficientScope,
            "admin",
        ),
        (404, {"error": "not_found"}, {}, NotFound, "Not found"),
        (
            422,
            {"error": "invalid_request", "error_description": "too long", "field": "name"},
            {},
            ValidationFailed,
            "“name”: too long",
        ),
        (400, {"error": "invalid_scope"}, {}, BadRequest, "HTTP 400"),
        (418, {}, {}, BadRequest, "HTTP 418"),
    ],
)
async def test_errors_are_typed_and_readable(
    status: int,
    body: dict[str, str],
    headers: dict[str, str],
    error_type: type[ApiError],
    words: str,
) -> None:
    client, _, _ = make(lambda r: httpx.Response(status, json=body, headers=headers))
    with pytest.raises(error_type) as info:
        await client.request("POST", "/things", json={})
    assert words in info.value.user_message
    assert str(info.value) == info.value.user_message
    assert info.value.status == status
    if error_type is ValidationFailed:
        assert info.value.field == "name"


async def test_429_honours_retry_after_then_succeeds() -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "rate_limited"}),
        httpx.Response(200, json={}),
    ]
    client, sleeps, _ = make(lambda r: answers.pop(0))
    await client.request("POST", "/things", json={})  # safe to retry even without a key
    assert sleeps.calls == [2.0]


async def test_429_with_a_retry_after_beyond_the_bound_is_reported_not_slept() -> None:
    client, sleeps, _ = make(
        lambda r: httpx.Response(429, headers={"Retry-After": "3600"}, json={"error": "x"})
    )
    with pytest.raises(RateLimited) as info:
        await client.request("GET", "/things")
    assert sleeps.calls == [] and info.value.retry_after == 3600
    assert "3600 s" in info.value.user_message


async def test_429_retries_are_bounded() -> None:
    client, sleeps, _ = make(lambda r: httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(RateLimited):
        await client.request("GET", "/things")
    assert sleeps.calls == [1.0, 1.0, 1.0]


async def test_5xx_is_retried_for_idempotent_requests_with_capped_backoff() -> None:
    answers = [httpx.Response(503), httpx.Response(500), httpx.Response(200, json={})]
    client, sleeps, _ = make(lambda r: answers.pop(0))
    await client.request("GET", "/things")
    assert len(sleeps.calls) == 2 and all(0 < s <= BACKOFF_CAP for s in sleeps.calls)


async def test_5xx_is_not_retried_for_a_post_without_idempotency_key() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(500)

    client, sleeps, _ = make(handler)
    with pytest.raises(ServerError, match="HTTP 500"):
        await client.request("POST", "/things", json={})
    assert calls == 1 and sleeps.calls == []


async def test_connection_errors_retry_a_post_with_idempotency_key_with_the_same_key() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) < 3:
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return httpx.Response(201, json={})

    client, _, _ = make(handler)
    await client.request("POST", "/things", json={}, headers={"Idempotency-Key": "k-1"})
    assert keys == ["k-1", "k-1", "k-1"]


async def test_persistent_network_failure_is_a_network_error_after_bounded_attempts() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    client, sleeps, _ = make(handler)
    with pytest.raises(NetworkError, match="did not answer in time"):
        await client.request("DELETE", "/things/1")
    assert calls == 4 and len(sleeps.calls) == 3


def test_backoff_is_capped_and_grows() -> None:
    assert all(backoff_delay(n) <= BACKOFF_CAP for n in range(1, 30))
    assert backoff_delay(1) <= 0.25 < backoff_delay(5)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    # Not a number of seconds a person can wait: treated as absent, never inf or nan.
    for hostile in ("inf", "-inf", "nan", "1e999", "Infinity"):
        assert parse_retry_after(hostile) is None, hostile


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("header", ["inf", "1e999", "nan"])
async def test_a_hostile_retry_after_still_gives_a_typed_error(header: str, status: int) -> None:
    client, sleeps, _ = make(lambda r: httpx.Response(status, headers={"Retry-After": header}))
    with pytest.raises(ApiError) as info:
        await client.request("GET", "/things")
    assert info.value.status == status
    assert all(0 <= s <= 30 for s in sleeps.calls)


async def test_https_is_required_for_non_loopback_urls_before_anything_is_sent() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, json={})

    http = build_http_client(transport=httpx.MockTransport(handler), trust_env=False)
    client = ApiClient(http, "http://api.example.test/v1", Tokens())
    with pytest.raises(InsecureUrl):
        await client.request("GET", "/me")
    assert sent == []
    await ApiClient(http, "http://127.0.0.1:9/v1", Tokens()).request("GET", "/me")
    assert sent == ["http://127.0.0.1:9/v1/me"]


def test_http_client_uses_the_os_trust_store_and_environment_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = build_http_client()
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool._ssl_context, truststore.SSLContext)
    assert pool._ssl_context.verify_mode is ssl.CERT_REQUIRED
    assert client.timeout.connect is not None and client.timeout.read is not None
    # Environment proxy for the internet, never for loopback.
    remote = client._transport_for_url(httpx.URL("https://api.twinedgeai.com/v1/me"))
    assert remote is not client._transport
    local = client._transport_for_url(httpx.URL("http://127.0.0.1:8080/v1/me"))
    assert local is client._transport


async def test_a_credential_sent_is_hidden_bare_in_later_log_lines() -> None:
    from twinedge_desktop.redaction import forget_all_secrets, redact

    forget_all_secrets()
    opaque = "opaque-session-credential-42"  # no pattern knows this shape

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    client, _, _ = make(handler)
    try:
        await client.request("GET", "/me", bearer=opaque)
        assert redact(f"server echoed {opaque}") == "server echoed [REDACTED]"
    finally:
        forget_all_secrets()
