"""Lost token responses against the real sandbox: its drop faults (the sandbox rotates the
refresh token, then drops the connection before answering) and its clock.

Two answers lost in a row used to end with "You are still signed in…" and, once the
sandbox's 60 s reuse grace had passed, "You have been signed out". Now the session retries
with the same refresh token while the grace can answer it; when it gives up, it says the
sign-in may be lost, and if it then is, says why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers.sandbox import SandboxControls
from tests.integration.core.helpers import FormBrowser
from twinedge_desktop.api.errors import NetworkError
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.errors import SignedOut
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.timefmt import utc_now
from twinedge_desktop.vault import MemoryStore

TOKEN = "/oauth/token"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client()
    yield client
    await client.aclose()


class Ahead:
    """The client's clock, kept as far ahead of real time as the sandbox's."""

    def __init__(self, controls: SandboxControls) -> None:
        self.controls = controls
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.shift

    def move(self, shift: timedelta) -> None:
        self.shift = shift
        self.controls.shift_clock(shift.total_seconds())


async def signed_in(
    sandbox: Any, http: httpx.AsyncClient, clock: Callable[[], datetime]
) -> Session:
    session = Session(sandbox_profile(sandbox.base_url), http, MemoryStore(), clock=clock)
    await session.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
    return session


async def accepted(base_url: str, token: str) -> bool:
    async with httpx.AsyncClient() as client:
        me = await client.get(f"{base_url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    return me.status_code == 200


async def test_two_dropped_answers_are_retried_and_the_sign_in_lives_on(
    sandbox: Any, sandbox_controls: SandboxControls, http: httpx.AsyncClient
) -> None:
    clock = Ahead(sandbox_controls)
    session = await signed_in(sandbox, http, clock)
    clock.move(timedelta(minutes=61))
    sandbox_controls.fault(TOKEN, method="POST", count=2, drop="after")
    token = await session.access_token()
    assert await accepted(sandbox.base_url, token)
    # Well after the grace, the next renewal works: nothing was revoked.
    sandbox_controls.clear_faults()
    clock.move(timedelta(hours=3))
    assert await accepted(sandbox.base_url, await session.access_token())
    assert session.state is SessionState.SIGNED_IN and session.signed_out_reason is None


async def test_giving_up_says_the_sign_in_may_be_lost_and_then_why_it_was(
    sandbox: Any,
    sandbox_controls: SandboxControls,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("twinedge_desktop.auth.session.LOST_RESPONSE_RETRY_DELAYS", (0.1,))
    monkeypatch.setattr("twinedge_desktop.auth.session.LOST_RESPONSE_RETRY_WINDOW", 1.0)
    clock = Ahead(sandbox_controls)
    session = await signed_in(sandbox, http, clock)
    clock.move(timedelta(minutes=61))
    sandbox_controls.fault(TOKEN, method="POST", count=1000, drop="after")
    with pytest.raises(NetworkError) as caught:
        await session.access_token()
    assert "may have renewed it without its answer" in caught.value.user_message
    assert "still signed in" not in caught.value.user_message
    assert session.state is SessionState.SIGNED_IN
    # The connection is back, but the sandbox's 60 s grace has passed: the old refresh
    # token is a replay now, and the sandbox ends the sign-in. The session says how.
    sandbox_controls.clear_faults()
    clock.move(timedelta(minutes=63))
    with pytest.raises(SignedOut, match="Your sign-in was lost"):
        await session.access_token()
    assert session.state is SessionState.SIGNED_OUT
