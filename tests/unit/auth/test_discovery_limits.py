"""Discovery against servers that misbehave: it ends quickly, says why, and still falls back.

Real loopback servers (tests/helpers/hostile_server.py) through the app's real client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers.hostile_server import Document, Endless, HostileServer, Trickle, hostile_server
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.discovery import discover
from twinedge_desktop.auth.errors import DiscoveryError

RFC8414 = "/.well-known/oauth-authorization-server"
OPENID = "/.well-known/openid-configuration"
BOUND = 20.0


@pytest.fixture
async def real_http() -> AsyncIterator[httpx.AsyncClient]:
    http = build_http_client(trust_env=False)
    yield http
    await http.aclose()


def metadata(server: HostileServer) -> Document:
    document = {
        "issuer": server.base_url,
        "authorization_endpoint": server.url("/oauth/authorize"),
        "token_endpoint": server.url("/oauth/token"),
    }
    return Document(json.dumps(document).encode())


async def test_trickling_metadata_ends_at_the_deadline_without_trying_elsewhere(
    real_http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("twinedge_desktop.api.http.DOCUMENT_TIMEOUT_SECONDS", 1.0)
    with hostile_server({RFC8414: Trickle(interval=0.1)}) as server:
        with pytest.raises(DiscoveryError) as caught:
            await asyncio.wait_for(discover(real_http, server.base_url), BOUND)
        asked = list(server.requests)
    assert str(caught.value) == (
        f"The authorization server metadata at {server.url(RFC8414)} did not arrive within 1 s; "
        "stopped waiting. Check the issuer address and your connection."
    )
    assert asked == [RFC8414]


async def test_endless_metadata_at_both_addresses_stops_at_the_cap(
    real_http: httpx.AsyncClient,
) -> None:
    server = hostile_server({RFC8414: Endless(), OPENID: Endless()})
    with server, pytest.raises(DiscoveryError) as caught:
        await asyncio.wait_for(discover(real_http, server.base_url), BOUND)
    assert str(caught.value) == (
        f"No authorization server metadata was found at {server.base_url} (larger than 1 MiB, "
        "larger than 1 MiB). Check the issuer address."
    )


async def test_an_html_page_at_the_first_address_still_falls_back_to_openid(
    real_http: httpx.AsyncClient,
) -> None:
    with hostile_server({}) as server:
        server.routes[RFC8414] = Document(b"<html>sign in to the wifi</html>", content_type="html")
        server.routes[OPENID] = metadata(server)
        found = await asyncio.wait_for(discover(real_http, server.base_url), BOUND)
    assert found.issuer == server.base_url
    assert found.token_endpoint == server.url("/oauth/token")
