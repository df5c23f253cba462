"""A new sign-in replaces the old one: at the server (its refresh token revoked) and in every
process (a window that adopts someone else's sign-in describes that person, not the last).

Real sandbox over loopback, real sign-in forms; two sessions share one credential store and
one lock directory, as two processes share the keychain and the data directory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.core.helpers import FormBrowser
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.vault import MemoryStore


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client()
    yield client
    await client.aclose()


def stored_refresh_token(store: MemoryStore, session: Session) -> str:
    raw = store.get(f"session/{session.profile.id}")
    assert raw is not None
    token = json.loads(raw)["refresh_token"]
    assert isinstance(token, str)
    return token


async def refresh_status(base_url: str, refresh_token: str) -> tuple[int, str]:
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{base_url}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": "twinedge-desktop",
            },
        )
    return answer.status_code, str(answer.json().get("error", ""))


async def whose(base_url: str, token: str) -> str:
    async with httpx.AsyncClient() as client:
        me = await client.get(f"{base_url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    return str(me.json()["email"])


async def test_a_window_adopting_someone_elses_sign_in_describes_that_person(
    sandbox: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    store, locks = MemoryStore(), tmp_path / "data"
    profile = sandbox_profile(sandbox.base_url)
    window = Session(profile, http, store, lock_dir=locks)
    await window.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
    assert window.info is not None and window.info.email == "engineer@example.com"
    before = window.info

    terminal = Session(profile, http, store, lock_dir=locks)  # `twinedge-desktop login`
    await terminal.sign_in_with_browser(
        open_browser=FormBrowser(email="viewer@example.com"), timeout=30
    )
    await window.sync_with_keychain()  # the window comes to the front

    assert window.state is SessionState.SIGNED_IN
    info = window.info
    assert info is not None
    assert info.email == "viewer@example.com" and info.subject != before.subject
    assert info.name != before.name  # asked afresh, not carried over from the engineer
    assert await whose(sandbox.base_url, await window.access_token()) == "viewer@example.com"
    await window.aclose()
    await terminal.aclose()


async def test_adopting_on_the_next_token_also_describes_the_new_person(
    sandbox: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """Not only when the window syncs: a renewal that finds the entry replaced adopts it
    under the lock, then asks /me."""
    store, locks = MemoryStore(), tmp_path / "data"
    profile = sandbox_profile(sandbox.base_url)
    window = Session(profile, http, store, lock_dir=locks)
    await window.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
    terminal = Session(profile, http, store, lock_dir=locks)
    await terminal.sign_in_with_browser(
        open_browser=FormBrowser(email="viewer@example.com"), timeout=30
    )
    rejected = await window.access_token()  # the engineer's, still fresh in the window
    token = await window.handle_unauthorized(rejected)  # as after a 401: looks at the entry
    assert await whose(sandbox.base_url, token) == "viewer@example.com"
    assert window.info is not None and window.info.email == "viewer@example.com"
    await window.aclose()
    await terminal.aclose()


async def test_a_new_sign_in_revokes_the_refresh_token_it_replaces(
    sandbox: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    store, locks = MemoryStore(), tmp_path / "data"
    profile = sandbox_profile(sandbox.base_url)
    first = Session(profile, http, store, lock_dir=locks)
    await first.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
    await first.aclose()
    old_refresh = stored_refresh_token(store, first)

    # Another process signs in anew (here: as someone else) over the stored sign-in.
    second = Session(profile, http, store, lock_dir=locks)
    await second.sign_in_with_browser(
        open_browser=FormBrowser(email="viewer@example.com"), timeout=30
    )
    assert await second.aclose() is None  # gives the background revocation its moment
    new_refresh = stored_refresh_token(store, second)
    assert new_refresh != old_refresh

    assert await refresh_status(sandbox.base_url, old_refresh) == (400, "invalid_grant")
    assert (await refresh_status(sandbox.base_url, new_refresh))[0] == 200  # untouched


async def test_signing_in_again_in_the_same_window_revokes_the_previous_sign_in(
    sandbox: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    store = MemoryStore()
    window = Session(sandbox_profile(sandbox.base_url), http, store, lock_dir=tmp_path)
    await window.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
    old_refresh = stored_refresh_token(store, window)
    await window.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
    await window.aclose()
    assert await refresh_status(sandbox.base_url, old_refresh) == (400, "invalid_grant")
    assert window.state is SessionState.SIGNED_IN
