"""Profiles made in the window from the real sandbox's issuer (review 2, item 11).

The whole window with its real services (DesktopApp, a MemoryStore keychain) and the real
sandbox over loopback: Add profile… reads the sandbox's metadata, a browser sign-in (the
scripted form driver) signs in, and the profile learns its API's audience from the token,
saved in profiles.json, so the inspector checks ``aud`` for it.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from PySide6.QtCore import QSettings

from tests.helpers.signin import async_complete_sign_in
from tests.helpers.waiting import expect, until
from twinedge_desktop.app import DesktopApp
from twinedge_desktop.config import AppPaths, Profile, ProfileStore
from twinedge_desktop.services import CoreServices
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.inspector.page import InspectorPage
from twinedge_desktop.ui.keys.page import KeysPage
from twinedge_desktop.vault import MemoryStore

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support propagateSizeHints", r"This plugin does not support raise"
)
NETWORK_TIMEOUT = 20.0
API_AUDIENCE = "https://api.twinedgeai.com"  # the sandbox's tokens name the real API


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()


class ScriptedBrowser:
    """Opens the sign-in link as a person would: the sandbox's form, then the callback."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def __call__(self, url: str) -> bool:
        async def drive() -> None:
            callback = await async_complete_sign_in(url)
            async with httpx.AsyncClient(timeout=10.0) as client:
                await client.get(callback)

        task = asyncio.ensure_future(drive())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return True


@pytest.fixture
def keychain() -> MemoryStore:
    """The keychain the window and "another process" (a second CoreServices) share."""
    return MemoryStore()


@pytest.fixture
async def app(
    qtbot: Any, messages: Any, isolated_app_home: Path, keychain: MemoryStore
) -> AsyncIterator[DesktopApp]:
    paths = AppPaths.default()
    profiles = ProfileStore.load(paths.profiles_file)
    desktop = DesktopApp(
        paths=paths,
        profiles=profiles,
        messages=messages,
        runner=TaskRunner(messages),
        settings=QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat),
        credential_store=keychain,
        open_browser=ScriptedBrowser(),
    )
    qtbot.addWidget(desktop.window)
    await desktop.start()
    await until(lambda: not desktop.controller.restoring, NETWORK_TIMEOUT)
    yield desktop
    await desktop.aclose()


def saved_profile(app: DesktopApp, profile_id: str) -> dict[str, Any]:
    data = json.loads(AppPaths.default().profiles_file.read_text())
    (profile,) = [p for p in data["profiles"] if p["id"] == profile_id]
    return dict(profile)


async def test_a_profile_added_from_the_sandbox_learns_its_audience_at_sign_in(
    app: DesktopApp, sandbox: Any
) -> None:
    window = app.window
    profile = await add_sandbox_profile(app, sandbox)
    assert window.windowTitle() == f"TwinEdge Desktop — {profile.name}"
    assert profile.name.endswith(f":{sandbox.base_url.rsplit(':', 1)[1]}")  # the port, too
    assert saved_profile(app, profile.id)["audience"] is None  # no token yet
    inspector = window.page("inspector")
    assert isinstance(inspector, InspectorPage)
    assert "learns it from its first sign-in" in inspector.against_label.text()

    signed_in = expect(app.controller.succeeded, NETWORK_TIMEOUT)
    window.window_actions.sign_in.trigger()  # type: ignore[union-attr]
    await signed_in
    await until(lambda: saved_profile(app, profile.id).get("audience") is not None, NETWORK_TIMEOUT)
    assert saved_profile(app, profile.id)["audience"] == API_AUDIENCE
    assert f"audience {API_AUDIENCE}." in inspector.against_label.text()


async def add_sandbox_profile(app: DesktopApp, sandbox: Any) -> Profile:
    dialog = app.window.profile_switching.add_profile()
    assert dialog is not None
    dialog.issuer.setText(sandbox.base_url)
    added = expect(dialog.profile_created, NETWORK_TIMEOUT)
    dialog.ok_button.click()
    (profile,) = await added
    await until(lambda: app.controller.can_sign_in, NETWORK_TIMEOUT)  # its keychain read
    return cast(Profile, profile)


async def test_a_sign_in_made_by_another_process_teaches_the_window_the_audience(
    app: DesktopApp, sandbox: Any, keychain: MemoryStore
) -> None:
    profile = await add_sandbox_profile(app, sandbox)
    assert app.controller.signed_in_info is None
    # Another process signs in to the same profile (its own services, the same keychain);
    # it saves only the sign-in, not the profile.
    other = await CoreServices.create(
        AppPaths.default(),
        ProfileStore.load(AppPaths.default().profiles_file),
        credential_store=keychain,
    )
    try:
        browser = ScriptedBrowser()
        session = other.session_for(profile)
        await asyncio.wait_for(session.sign_in_with_browser(open_browser=browser), NETWORK_TIMEOUT)
    finally:
        await other.aclose()
    assert saved_profile(app, profile.id)["audience"] is None

    app.window.account.refresh()  # F5 on the Account page: the saved sign-in is read again
    await until(lambda: app.controller.signed_in_info is not None, NETWORK_TIMEOUT)
    await until(lambda: saved_profile(app, profile.id).get("audience") is not None, NETWORK_TIMEOUT)
    assert saved_profile(app, profile.id)["audience"] == API_AUDIENCE


async def test_a_profile_whose_server_names_no_api_finds_it_from_the_tokens_audience(
    app: DesktopApp, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Add profile… with no API address, for a server whose metadata names none (no
    ``api_base_url``): after sign-in the window tries the token's audience, as ``login
    --issuer`` does, and the API pages work (issue 15: "the window's Add profile… does the
    same"). Here the sandbox names itself as its tokens' audience."""
    from twinedge_desktop.sandbox.state import SandboxState

    monkeypatch.setattr(SandboxState, "audience", property(lambda state: state.base_url))
    monkeypatch.setattr(SandboxState, "api_base_url", property(lambda state: None))
    profile = await add_sandbox_profile(app, sandbox)
    assert saved_profile(app, profile.id)["api_base"] is None  # nothing named the API yet

    signed_in = expect(app.controller.succeeded, NETWORK_TIMEOUT)
    app.window.window_actions.sign_in.trigger()  # type: ignore[union-attr]
    await signed_in
    await until(lambda: saved_profile(app, profile.id).get("api_base") is not None, NETWORK_TIMEOUT)
    assert saved_profile(app, profile.id)["api_base"] == f"{sandbox.base_url}/v1"
    assert saved_profile(app, profile.id)["audience"] == sandbox.base_url
    keys = app.window.page("keys")
    assert isinstance(keys, KeysPage)
    await until(lambda: keys.service is not None, NETWORK_TIMEOUT)  # the keys page has an API
