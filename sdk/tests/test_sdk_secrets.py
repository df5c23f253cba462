"""No secret in any ``repr``, log line or exception text: the API key, the client secret,
the access tokens. Checked for successful requests and for requests that failed while
carrying the secret (a server that echoes it, a refused connection, a timeout)."""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import Iterator

import httpx
import pytest
from sdk_helpers import FakeDesktop, MockApi, error_response, make_key

from twinedge import (
    AsyncTwinEdgeClient,
    ClientCredentials,
    NetworkError,
    TwinEdgeClient,
    TwinEdgeError,
)

CLIENT_SECRET = "cs_0123456789abcdefghijklmnop"


def _everything_about(exc: BaseException) -> str:
    """The text anyone could see of an exception: str, repr and the formatted traceback
    with its whole chain (causes and contexts)."""
    return "\n".join([str(exc), repr(exc), "".join(traceback.format_exception(exc, chain=True))])


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger (the SDK's, httpx's, httpcore's) at DEBUG."""
    caplog.set_level(logging.DEBUG)
    yield caplog


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(lines)


def _closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_reprs_show_what_is_in_use_but_no_secret(fake_desktop: FakeDesktop) -> None:
    key = make_key()
    api = MockApi()
    by_key = TwinEdgeClient(api_key=key, http_client=api.client())
    by_client = TwinEdgeClient(
        client_id="svc", client_secret=CLIENT_SECRET, http_client=api.client()
    )
    by_desktop = TwinEdgeClient(http_client=api.client())
    for client in (by_key, by_client, by_desktop):
        client.me()
    texts = [
        repr(by_key),
        repr(by_key.credential),
        repr(by_key.credential.token(api.client())),
        repr(by_client),
        repr(by_client.credential),
        repr(by_client.credential.token(api.client())),
        repr(by_desktop),
        repr(by_desktop.credential),
        repr(by_desktop.credential.token(api.client())),
    ]
    joined = "\n".join(texts)
    for secret in (key, CLIENT_SECRET, "access-token-1", fake_desktop.token):
        assert secret not in joined
    # …while still saying what is in use.
    assert key[:12] in repr(by_key.credential) and "svc" in repr(by_client)
    assert "DesktopCredential" in repr(by_desktop) and "expires_at" in texts[2]


def test_debug_logs_of_a_whole_session_hold_no_secret(
    all_logs: pytest.LogCaptureFixture,
) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if request.url.path == "/oauth/token":
            return api.issue()
        if calls["n"] == 2:
            return error_response(401, "invalid_token", "The access token was revoked")
        if calls["n"] == 4:
            return httpx.Response(429, headers={"Retry-After": "0"})
        if request.url.path == "/v1/alerts":
            return error_response(403, "insufficient_scope", "This needs the read:alerts scope")
        return httpx.Response(200, json={})

    api = MockApi(handler)
    client = TwinEdgeClient(client_id="svc", client_secret=CLIENT_SECRET, http_client=api.client())
    client.me()  # token 1, 401, token 2, retry
    client.assets.list()  # 429, retry
    with pytest.raises(TwinEdgeError):
        client.alerts.list()
    logged = _log_text(all_logs)
    assert "twinedge" in {record.name for record in all_logs.records}
    assert "rate limited" in logged and "the API rejected the token" in logged
    for secret in (CLIENT_SECRET, "access-token-1", "access-token-2"):
        assert secret not in logged


def test_a_server_that_echoes_the_secret_does_not_put_it_in_the_exception() -> None:
    key = make_key()

    def handler(request: httpx.Request) -> httpx.Response:
        sent = request.headers["authorization"].removeprefix("Bearer ")
        return error_response(
            401,
            "invalid_token",
            f"unknown key {sent}",
            {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{sent}"'},
        )

    client = TwinEdgeClient(api_key=key, http_client=MockApi(handler).client())
    with pytest.raises(TwinEdgeError) as caught:
        client.me()
    assert key not in _everything_about(caught.value)
    assert "unknown key [redacted]" in caught.value.description


def test_a_token_endpoint_that_echoes_the_client_secret_does_not_leak_it() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return error_response(401, "invalid_client", f"bad secret {CLIENT_SECRET}")

    client = TwinEdgeClient(
        client_id="svc", client_secret=CLIENT_SECRET, http_client=MockApi(handler).client()
    )
    with pytest.raises(TwinEdgeError) as caught:
        client.me()
    assert CLIENT_SECRET not in _everything_about(caught.value)


def test_a_truncated_token_response_does_not_carry_the_token_along() -> None:
    partial = '{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl", "tok'
    api = MockApi(
        lambda request: httpx.Response(
            200, content=partial.encode(), headers={"content-type": "application/json"}
        )
    )
    client = TwinEdgeClient(client_id="svc", client_secret=CLIENT_SECRET, http_client=api.client())
    with pytest.raises(TwinEdgeError, match="not JSON") as caught:
        client.me()
    assert caught.value.__context__ is None  # a JSONDecodeError would hold the body
    assert "c2lnbmF0dXJl" not in _everything_about(caught.value)


def test_a_refused_connection_while_sending_the_client_secret_leaks_nothing(
    all_logs: pytest.LogCaptureFixture,
) -> None:
    port = _closed_port()
    client = TwinEdgeClient(
        client_id="svc",
        client_secret=CLIENT_SECRET,
        base_url=f"http://127.0.0.1:{port}",
        issuer=f"http://127.0.0.1:{port}",
        timeout=5,
    )
    with pytest.raises(NetworkError) as caught:
        client.me()
    assert f"127.0.0.1:{port}" in str(caught.value) and caught.value.status is None
    assert "ConnectError" in str(caught.value)
    # Not chained: httpx's error holds the request, whose body is the client secret.
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert CLIENT_SECRET not in _everything_about(caught.value) + _log_text(all_logs)


def test_a_refused_connection_while_sending_an_api_key_leaks_nothing(
    all_logs: pytest.LogCaptureFixture,
) -> None:
    key = make_key()
    port = _closed_port()

    async def run() -> None:
        async with AsyncTwinEdgeClient(api_key=key, base_url=f"http://[::1]:{port}") as client:
            await client.assets.list()

    with pytest.raises(NetworkError) as caught:
        asyncio.run(run())
    assert key not in _everything_about(caught.value) + _log_text(all_logs)


def test_a_timeout_while_sending_an_api_key_leaks_nothing() -> None:
    key = make_key()

    def handler(request: httpx.Request) -> httpx.Response:
        # As h11 does for an illegal header: the value itself in the message.
        sent = request.headers["authorization"]
        raise httpx.ReadTimeout(f"timed out after sending {sent!r}", request=request)

    client = TwinEdgeClient(api_key=key, http_client=MockApi(handler).client())
    with pytest.raises(NetworkError, match="timed out") as caught:
        client.me()
    assert "ReadTimeout: timed out after sending 'Bearer [redacted]'" in str(caught.value)
    assert key not in _everything_about(caught.value)


def test_a_credential_object_passed_around_keeps_its_secret_private() -> None:
    credential = ClientCredentials("svc", CLIENT_SECRET)
    assert CLIENT_SECRET not in repr(credential) + str(credential)
    assert CLIENT_SECRET not in repr(vars(credential).get("client_id"))
