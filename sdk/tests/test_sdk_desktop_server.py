"""The desktop sign-in's token goes only to the API it was issued for, and a 401 asks the
app to renew it (``token --json --rejected -``), with a fake ``twinedge-desktop``.

The real app against the real sandbox is in tests/e2e/test_sdk_desktop.py.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sdk_helpers import FakeDesktop, MockApi, error_response

from twinedge import AsyncTwinEdgeClient, ConfigurationError, TwinEdgeClient

SANDBOX = "http://127.0.0.1:8765"


def hosts(api: MockApi) -> list[str]:
    return [f"{r.url.scheme}://{r.url.netloc.decode()}" for r in api.requests]


def test_the_desktop_names_its_api_and_the_token_goes_there(fake_desktop: FakeDesktop) -> None:
    fake_desktop.names_server(f"{SANDBOX}/v1", issuer=SANDBOX)
    api = MockApi()
    client = TwinEdgeClient(http_client=api.client())
    client.me()
    assert hosts(api) == [SANDBOX] and api.requests[0].url.path == "/v1/me"
    assert client.base_url == SANDBOX and client.issuer == SANDBOX


@pytest.mark.parametrize(
    "chosen", [f"{SANDBOX}/v1", f"{SANDBOX}/", "HTTP://127.0.0.1:8765"], ids=["v1", "slash", "case"]
)
def test_an_explicit_base_url_for_the_same_api_is_fine(
    fake_desktop: FakeDesktop, chosen: str
) -> None:
    fake_desktop.names_server(f"{SANDBOX}/v1")
    api = MockApi()
    TwinEdgeClient(base_url=chosen, http_client=api.client()).me()
    assert len(api.requests) == 1


def test_an_explicit_base_url_for_another_server_is_refused_before_anything_is_sent(
    fake_desktop: FakeDesktop,
) -> None:
    """A sandbox token must never reach the production API (nor the other way round)."""
    fake_desktop.names_server(f"{SANDBOX}/v1")
    api = MockApi()
    client = TwinEdgeClient(base_url="https://api.twinedgeai.com", http_client=api.client())
    with pytest.raises(ConfigurationError) as caught:
        client.me()
    assert api.requests == []
    message = str(caught.value)
    assert "base_url is https://api.twinedgeai.com" in message and SANDBOX in message
    assert "server that did not issue it" in message
    assert fake_desktop.token not in message


def test_twinedge_api_url_for_another_server_is_refused_too(
    fake_desktop: FakeDesktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_desktop.names_server("https://api.twinedgeai.com/v1", issuer="https://auth.twinedgeai.com")
    monkeypatch.setenv("TWINEDGE_API_URL", SANDBOX)
    api = MockApi()
    with pytest.raises(ConfigurationError, match=r"TWINEDGE_API_URL is http://127\.0\.0\.1:8765"):
        TwinEdgeClient(http_client=api.client()).me()
    assert api.requests == []


def test_a_sign_in_only_profile_has_no_api_to_send_to(fake_desktop: FakeDesktop) -> None:
    fake_desktop.names_server(None, issuer="https://login.example.com")
    api = MockApi()
    with pytest.raises(ConfigurationError, match="has no API address"):
        TwinEdgeClient(http_client=api.client()).me()
    assert api.requests == []


def test_an_app_from_before_api_base_is_trusted_with_the_configured_url(
    fake_desktop: FakeDesktop,
) -> None:
    api = MockApi()
    TwinEdgeClient(base_url=SANDBOX, http_client=api.client()).me()
    assert hosts(api) == [SANDBOX]


def _refusing(token: str) -> MockApi:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == f"Bearer {token}":
            return error_response(401, "invalid_token", "The access token was revoked")
        return httpx.Response(200, json={"sub": "user-123"})

    return MockApi(handler)


def test_a_401_hands_the_refused_token_to_the_app_on_stdin_and_retries_once(
    fake_desktop: FakeDesktop,
) -> None:
    """The stored token is fresh by the clock but revoked at the server: without
    `--rejected` the app would print it again until it expires."""
    fake_desktop.names_server(f"{SANDBOX}/v1")
    refused = fake_desktop.token
    renewed = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZW5ld2VkIn0.bmV3"
    fake_desktop.renews_to(renewed)
    api = _refusing(refused)
    assert TwinEdgeClient(http_client=api.client()).me() == {"sub": "user-123"}
    assert fake_desktop.calls == ["token --json", "token --json --rejected -"]
    assert fake_desktop.rejected == refused  # on stdin, never in the process list
    assert api.bearers == [f"Bearer {refused}", f"Bearer {renewed}"]


def test_the_async_client_does_the_same(fake_desktop: FakeDesktop) -> None:
    fake_desktop.names_server(f"{SANDBOX}/v1")
    refused = fake_desktop.token
    renewed = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhc3luYyJ9.YXN5bmM"
    fake_desktop.renews_to(renewed)
    api = _refusing(refused)

    async def run() -> None:
        async with AsyncTwinEdgeClient(http_client=api.async_client()) as client:
            assert await client.me() == {"sub": "user-123"}

    asyncio.run(run())
    assert fake_desktop.calls == ["token --json", "token --json --rejected -"]
    assert api.bearers == [f"Bearer {refused}", f"Bearer {renewed}"]
