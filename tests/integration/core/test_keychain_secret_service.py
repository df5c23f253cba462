"""The vault against a real Secret Service (gnome-keyring on a private D-Bus session)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.keychain import PrivateSecretService
from tests.integration.core.helpers import FormBrowser
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import KeychainUnavailable, open_system_store

pytestmark = pytest.mark.keychain


def test_real_secret_service_round_trip(secret_service: PrivateSecretService) -> None:
    store = open_system_store("twinedge-desktop-test")
    assert store.is_persistent
    assert store.backend_name == "Secret Service (GNOME Keyring)"
    store.set("session/x", '{"refresh_token":"abc"}')
    assert store.get("session/x") == '{"refresh_token":"abc"}'
    # It really is in gnome-keyring: secret-tool (libsecret) sees the same item.
    found = subprocess.run(
        ["secret-tool", "lookup", "service", "twinedge-desktop-test", "username", "session/x"],
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", **secret_service.env},
        timeout=10,
        check=False,
    )
    assert found.stdout.decode() == '{"refresh_token":"abc"}'
    store.delete("session/x")
    store.delete("session/x")
    assert store.get("session/x") is None


def test_locked_keychain_gives_the_clear_error(locked_secret_service: PrivateSecretService) -> None:
    with pytest.raises(KeychainUnavailable) as info:
        open_system_store()
    assert info.value.reason == "locked"
    assert "keychain is locked" in info.value.user_message
    assert "Unlock your keyring" in info.value.user_message


def test_never_unlocked_keychain_gives_the_clear_error(
    never_unlocked_secret_service: PrivateSecretService,
) -> None:
    with pytest.raises(KeychainUnavailable) as info:
        open_system_store()
    assert info.value.reason == "prompt-dismissed"
    assert "prompt was dismissed" in info.value.user_message
    assert "Unlock your keyring" in info.value.user_message


def test_bus_without_secret_service_gives_the_clear_error(
    bus_without_secret_service: PrivateSecretService,
) -> None:
    with pytest.raises(KeychainUnavailable) as info:
        open_system_store()
    assert info.value.reason == "no-secret-service"
    assert "no Secret Service is running" in info.value.user_message
    assert "gnome-keyring" in info.value.user_message


def test_no_session_bus_gives_the_clear_error(no_session_bus: dict[str, str]) -> None:
    with pytest.raises(KeychainUnavailable) as info:
        open_system_store()
    assert info.value.reason == "no-dbus"
    assert "no D-Bus session bus" in info.value.user_message


async def test_sign_in_is_kept_in_the_real_keychain_and_restored(
    secret_service: PrivateSecretService, sandbox: Any, tmp_path: Path
) -> None:
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "l")
    profile = sandbox_profile(sandbox.base_url)
    first = await CoreServices.create(paths, ProfileStore.load(paths.profiles_file))
    try:
        assert first.keychain_error is None
        info = await first.session_for(profile).sign_in_with_browser(
            open_browser=FormBrowser(), timeout=30
        )
        assert info.keychain == "Secret Service (GNOME Keyring)"
    finally:
        await first.aclose()
    second = await CoreServices.create(paths, ProfileStore.load(paths.profiles_file))
    try:
        session = second.session_for(profile)
        assert await session.restore() is True  # from gnome-keyring, no browser
        assert session.info is not None and session.info.email == "engineer@example.com"
        await session.sign_out()
        assert second.credential_store.get(f"session/{profile.id}") is None
    finally:
        await second.aclose()


async def test_locked_keychain_stops_sign_in_before_the_browser_unless_the_person_chooses(
    locked_secret_service: PrivateSecretService, sandbox: Any, tmp_path: Path
) -> None:
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "l")
    services = await CoreServices.create(paths, ProfileStore.load(paths.profiles_file))
    try:
        assert services.keychain_error is not None
        session = services.session_for(sandbox_profile(sandbox.base_url))
        browser = FormBrowser()
        with pytest.raises(KeychainUnavailable):
            await session.sign_in_with_browser(open_browser=browser, timeout=30)
        assert browser.authorize_urls == []  # never sent the person to a useless sign-in
        services.continue_without_keychain()
        info = await session.sign_in_with_browser(open_browser=browser, timeout=30)
        assert info.keychain == "not stored (this session only)"
    finally:
        await services.aclose()
