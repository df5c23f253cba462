"""Profile ▸ Remove profile… against the real sandbox: the profile's sign-in is revoked at the
server and its keychain entry deleted, then the profile is gone from the file."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QWidget

from tests.helpers.signin import async_complete_sign_in
from twinedge_desktop.config import AppPaths, Profile, ProfileStore
from twinedge_desktop.services import CoreServices
from twinedge_desktop.ui.account.profiles import ProfileSwitching
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.vault import MemoryStore

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")
TIMEOUT = 30.0


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()


async def test_removing_a_profile_revokes_its_sign_in_and_deletes_the_keychain_entry(
    sandbox: Any, qtbot: Any, messages: Any, isolated_app_home: Path
) -> None:
    paths = AppPaths.default()
    store = ProfileStore.load(paths.profiles_file)
    lab = Profile(id="lab", name="Lab", issuer=sandbox.base_url, api_base=f"{sandbox.base_url}/v1")
    store.put(lab, make_current=True)
    store.save()
    keychain = MemoryStore()
    core = await CoreServices.create(paths, store, credential_store=keychain)
    try:
        session = core.session_for(lab)

        drivers: list[asyncio.Task[None]] = []  # the scripted browser, kept until it is done

        def browser(url: str) -> bool:
            async def drive() -> None:
                callback = await async_complete_sign_in(url)
                async with httpx.AsyncClient(timeout=10) as client:
                    await client.get(callback)

            drivers.append(asyncio.ensure_future(drive()))
            return True

        await asyncio.wait_for(session.sign_in_with_browser(open_browser=browser), TIMEOUT)
        entry = keychain.get("session/lab")
        assert entry is not None
        refresh_token = json.loads(entry)["refresh_token"]

        parent = QWidget()
        qtbot.addWidget(parent)
        switching = ProfileSwitching(store, messages, parent)
        switching.attach(TaskRunner(messages), core)
        await asyncio.wait_for(switching.remove("lab"), TIMEOUT)

        stored = keychain.keys()  # names only: a failure never prints the secret
        assert "session/lab" not in stored  # deleted from the keychain
        assert session.last_sign_out_revoked  # the server confirmed the revocation
        async with httpx.AsyncClient(timeout=10) as client:  # the old refresh token is dead
            answer = await client.post(
                f"{sandbox.base_url}/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": lab.client_id,
                },
            )
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
        data = json.loads(store.path.read_text())
        assert "lab" not in {p["id"] for p in data["profiles"]}
        assert data["current"] == "cloud"
    finally:
        await core.aclose()
