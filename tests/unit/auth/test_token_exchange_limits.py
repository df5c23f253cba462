"""Token, revocation and ``/me`` exchanges against servers that misbehave: each ends at its
deadline or its byte cap with a sentence that says so, and the sign-in is never lost.

Real loopback servers (tests/helpers/hostile_server.py) through the app's real client.
The deadlines are lowered to 1 s; every wait is bounded by ``BOUND``, so an exchange
that is not bounded fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers.hostile_server import Document, Endless, HostileServer, Trickle, hostile_server
from twinedge_desktop.api.errors import FetchTooLarge, NetworkError
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.credentials import AccessToken, UserCredential, encode_entry
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.oauth import OAuthClient
from twinedge_desktop.auth.session import Session
from twinedge_desktop.config import Profile
from twinedge_desktop.vault import MemoryStore

RFC8414 = "/.well-known/oauth-authorization-server"
TOKEN = "/oauth/token"
REVOKE = "/oauth/revoke"
ME = "/v1/me"
BOUND = 20.0


@pytest.fixture(autouse=True)
def short_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("twinedge_desktop.auth.oauth.TOKEN_DEADLINE_SECONDS", 1.0)
    monkeypatch.setattr("twinedge_desktop.auth.oauth.REVOKE_DEADLINE_SECONDS", 1.0)
    monkeypatch.setattr("twinedge_desktop.auth.session.ME_DEADLINE_SECONDS", 1.0)
    monkeypatch.setattr("twinedge_desktop.services.ME_DEADLINE_SECONDS", 1.0)
    monkeypatch.setattr("twinedge_desktop.auth.session.TRANSPORT_RETRY_PAUSE", 0.0)
    monkeypatch.setattr("twinedge_desktop.auth.session.LOST_RESPONSE_RETRY_DELAYS", (0.1,))
    monkeypatch.setattr("twinedge_desktop.auth.session.LOST_RESPONSE_RETRY_WINDOW", 2.5)


@pytest.fixture
async def real_http() -> AsyncIterator[httpx.AsyncClient]:
    http = build_http_client(trust_env=False)
    yield http
    await http.aclose()


def _metadata(server: HostileServer) -> dict[str, object]:
    return {
        "issuer": server.base_url,
        "authorization_endpoint": server.url("/oauth/authorize"),
        "token_endpoint": server.url(TOKEN),
        "revocation_endpoint": server.url(REVOKE),
        "code_challenge_methods_supported": ["S256"],
    }


def _serve_metadata(server: HostileServer) -> None:
    server.routes[RFC8414] = Document(json.dumps(_metadata(server)).encode())


def _oauth(http: httpx.AsyncClient, server: HostileServer) -> OAuthClient:
    return OAuthClient(http, ServerMetadata.from_json(_metadata(server)), "svc", "svc-secret")


async def test_a_trickling_token_endpoint_ends_at_the_deadline(
    real_http: httpx.AsyncClient,
) -> None:
    with hostile_server({TOKEN: Trickle(interval=0.1, prefix=b'{"access_token": "')}) as server:
        with pytest.raises(NetworkError) as caught:
            await asyncio.wait_for(_oauth(real_http, server).client_credentials(), BOUND)
        assert server.finished(TOKEN)  # the client hung up; the server did not have to stop
    assert caught.value.user_message == (
        "The authorization server did not answer within 1 s; stopped waiting. Try again."
    )


async def test_an_endless_token_endpoint_stops_at_the_cap(real_http: httpx.AsyncClient) -> None:
    with hostile_server({TOKEN: Endless()}) as server:
        with pytest.raises(FetchTooLarge) as caught:
            await asyncio.wait_for(_oauth(real_http, server).client_credentials(), BOUND)
        assert server.finished(TOKEN)
        sent = server.sent[TOKEN]
    assert caught.value.user_message == (
        "The authorization server's answer is larger than 1 MiB; reading stopped there."
    )
    # Read up to the cap and a little more in flight (socket buffers), never without end.
    assert sent < 16 * 1024 * 1024


async def test_a_trickling_revocation_endpoint_is_given_up_at_its_deadline(
    real_http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with hostile_server({REVOKE: Trickle(interval=0.1)}) as server:
        confirmed = await asyncio.wait_for(
            _oauth(real_http, server).revoke("rt-to-revoke-0123", "refresh_token"), BOUND
        )
        assert server.finished(REVOKE)
    assert confirmed is False
    assert "Token revocation: the server did not answer within 1 s" in caplog.text


def _stored_sign_in(store: MemoryStore, profile: Profile, *, fresh: bool) -> None:
    expires = datetime.now(UTC) + (timedelta(hours=1) if fresh else timedelta(minutes=-5))
    access = AccessToken("at-stored-0123456789", expires, ("read:assets",))
    credential = UserCredential(profile.client_id, "rt-stored-0123456789")
    store.set(f"session/{profile.id}", encode_entry(profile.issuer, credential, access))


def _profile(server: HostileServer) -> Profile:
    return Profile(
        id="hostile",
        name="Hostile",
        issuer=server.base_url,
        client_id="twinedge-desktop",
        api_base=server.url("/v1"),
    )


async def test_a_renewal_against_a_trickling_token_endpoint_keeps_the_sign_in(
    real_http: httpx.AsyncClient,
) -> None:
    with hostile_server({TOKEN: Trickle(interval=0.1)}) as server:
        _serve_metadata(server)
        profile, store = _profile(server), MemoryStore()
        _stored_sign_in(store, profile, fresh=False)
        before = store.get(f"session/{profile.id}")
        session = Session(profile, real_http, store)
        with pytest.raises(NetworkError) as caught:
            await asyncio.wait_for(session.restore(describe=False), BOUND)
        # The lost answers were retried within the (shortened) grace window, then it gave up.
        assert server.requests.count(TOKEN) >= 2
    assert caught.value.user_message.startswith(
        "The sign-in could not be renewed: The authorization server did not answer within 1 s"
    )
    assert "may have renewed it without its answer" in caught.value.user_message
    assert store.get(f"session/{profile.id}") == before  # nothing lost


async def test_a_trickling_me_does_not_hold_up_a_restore(real_http: httpx.AsyncClient) -> None:
    with hostile_server({ME: Trickle(interval=0.1, prefix=b'{"sub": "')}) as server:
        profile, store = _profile(server), MemoryStore()
        _stored_sign_in(store, profile, fresh=True)
        session = Session(profile, real_http, store)
        assert await asyncio.wait_for(session.restore(describe=True), BOUND)
        assert server.finished(ME)
    assert session.info is not None and session.info.email is None  # went on without it


async def test_an_endless_me_does_not_hold_up_a_restore(real_http: httpx.AsyncClient) -> None:
    with hostile_server({ME: Endless()}) as server:
        profile, store = _profile(server), MemoryStore()
        _stored_sign_in(store, profile, fresh=True)
        session = Session(profile, real_http, store)
        assert await asyncio.wait_for(session.restore(describe=True), BOUND)
        assert server.finished(ME)
        assert server.sent[ME] < 16 * 1024 * 1024


async def test_login_probing_the_tokens_audience_gives_up_on_a_trickling_api(
    real_http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    import jwt

    from twinedge_desktop.services import find_api_from_audience

    caplog.set_level("INFO", logger="twinedge_desktop.services")

    with hostile_server({ME: Trickle(interval=0.1)}) as server:
        token = jwt.encode({"aud": server.base_url, "sub": "user-1"}, "k" * 32, algorithm="HS256")
        store = MemoryStore()
        profile = Profile(id="p", name="P", issuer=server.base_url, client_id="twinedge-desktop")
        access = AccessToken(token, datetime.now(UTC) + timedelta(hours=1))
        store.set(
            f"session/{profile.id}",
            encode_entry(
                profile.issuer, UserCredential(profile.client_id, "rt-0123456789"), access
            ),
        )
        session = Session(profile, real_http, store)
        assert await session.restore(describe=False)
        found = await asyncio.wait_for(find_api_from_audience(real_http, session), BOUND)
        assert server.finished(ME)
    assert found is None
    assert "did not arrive within 1 s" in caplog.text
