"""Token lifecycle against the real sandbox: rotation, single-flight refresh, reuse, revocation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.errors import SignedOut
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore


def stored_refresh_token(services: CoreServices, session: Session) -> str:
    raw = services.credential_store.get(f"session/{session.profile.id}")
    assert raw is not None
    return str(json.loads(raw)["refresh_token"])


async def direct_refresh(base_url: str, refresh_token: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{base_url}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": "twinedge-desktop",
            },
        )


async def test_refresh_rotates_and_stores_the_new_refresh_token(
    services: CoreServices, session: Session
) -> None:
    first = stored_refresh_token(services, session)
    old_access = await session.access_token()
    new_access = await session.handle_unauthorized(old_access)
    second = stored_refresh_token(services, session)
    assert new_access != old_access and second != first
    assert session.refresh_count == 1
    # Restore in a "new process" from what the keychain holds: no browser needed.
    fresh = Session(session.profile, services.http, services.credential_store)
    assert await fresh.restore() is True
    assert fresh.info is not None and fresh.info.email == "engineer@example.com"


async def test_twenty_concurrent_401s_cause_exactly_one_refresh(
    services: CoreServices, session: Session, sandbox_controls: Any
) -> None:
    keys = services.api_keys_for(session)
    before = stored_refresh_token(services, session)
    # The server's clock jumps two hours: every token the app holds is now expired there,
    # while the app still believes it fresh, so all twenty calls meet a 401 together.
    sandbox_controls.shift_clock(7200)
    results = await asyncio.gather(*(keys.me() for _ in range(20)))
    assert {me.email for me in results} == {"engineer@example.com"}
    assert session.refresh_count == 1
    # Had two refreshes raced, the second would have re-used a spent refresh token and the
    # sandbox would have revoked the family; the stored one still works.
    after = stored_refresh_token(services, session)
    assert after != before
    assert (await direct_refresh(session.profile.issuer, after)).status_code == 200


async def test_refresh_token_reuse_signs_out_cleanly(
    services: CoreServices, session: Session, sandbox: Any, sandbox_controls: Any
) -> None:
    spent = stored_refresh_token(services, session)
    await session.handle_unauthorized(await session.access_token())  # rotates: `spent` is used
    # Someone replays the spent refresh token after the sandbox's 60 s reuse grace (which
    # forgives a client that lost the response): the sandbox revokes the whole family.
    sandbox_controls.shift_clock(61)
    replay = await direct_refresh(sandbox.base_url, spent)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    changes: list[SessionState] = []
    session.add_listener(lambda: changes.append(session.state))
    with pytest.raises(SignedOut) as info:
        await session.handle_unauthorized(await session.access_token())
    assert "Sign in again" in info.value.user_message
    assert session.state is SessionState.SIGNED_OUT and changes[-1] is SessionState.SIGNED_OUT
    assert services.credential_store.get(f"session/{session.profile.id}") is None
    with pytest.raises(SignedOut):
        await services.api_keys_for(session).me()


async def test_sign_out_revokes_at_the_server_then_forgets(
    services: CoreServices, session: Session, sandbox: Any
) -> None:
    refresh_token = stored_refresh_token(services, session)
    access_token = await session.access_token()
    await session.sign_out()
    assert session.last_sign_out_revoked is True
    assert session.state is SessionState.SIGNED_OUT
    assert services.credential_store.get(f"session/{session.profile.id}") is None
    refused = await direct_refresh(sandbox.base_url, refresh_token)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    async with httpx.AsyncClient() as client:
        me = await client.get(
            f"{sandbox.base_url}/v1/me", headers={"Authorization": f"Bearer {access_token}"}
        )
    assert me.status_code == 401


async def test_sign_out_forgets_locally_even_when_revocation_fails(
    services: CoreServices, session: Session, sandbox_controls: Any
) -> None:
    sandbox_controls.fault("/oauth/revoke", method="POST", count=5, status=503)
    await session.sign_out()
    assert session.last_sign_out_revoked is False
    assert services.credential_store.get(f"session/{session.profile.id}") is None


async def test_client_credentials_against_the_sandbox(sandbox: Any) -> None:
    async with build_http_client() as http:
        session = Session(sandbox_profile(sandbox.base_url), http, MemoryStore())
        info = await session.sign_in_with_client_credentials(
            sandbox.service_client_id, sandbox.service_client_secret, ["read:telemetry"]
        )
        assert info.kind == "service" and info.scopes == ("read:telemetry",)
        token = await session.access_token()
        response = await http.get(
            f"{sandbox.base_url}/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.json()["kind"] == "client"
