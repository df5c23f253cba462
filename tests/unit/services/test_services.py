"""CoreServices: one session per profile, the keychain choice, no silent fallback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.helpers.fake_auth_server import Browser, FakeAuthServer
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.config import AppPaths, Profile, ProfileStore
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import KeychainUnavailable, MemoryStore


def _paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "l")


async def _services(tmp_path: Path, server: FakeAuthServer, **kwargs: object) -> CoreServices:
    paths = _paths(tmp_path)
    http = build_http_client(transport=httpx.MockTransport(server.handler), trust_env=False)
    return await CoreServices.create(
        paths,
        ProfileStore.load(paths.profiles_file),
        http=http,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_one_session_per_profile_kept_across_renames_but_not_across_servers(
    tmp_path: Path, profile: Profile, fake_server: FakeAuthServer
) -> None:
    services = await _services(tmp_path, fake_server, credential_store=MemoryStore())
    session = services.session_for(profile)
    assert services.session_for(profile) is session
    renamed = replace(profile, name="Renamed", scopes=("read:assets",))
    assert services.session_for(renamed) is session and session.profile == renamed
    moved = replace(profile, issuer="https://other.example")
    assert services.session_for(moved) is not session
    await services.aclose()
    assert services.http.is_closed


async def test_no_keychain_means_an_error_to_show_not_a_silent_fallback(
    tmp_path: Path,
    profile: Profile,
    fake_server: FakeAuthServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = KeychainUnavailable("locked", "The system keychain is locked.")

    def unavailable(service: str = "twinedge-desktop") -> MemoryStore:
        raise reason

    monkeypatch.setattr("twinedge_desktop.services.open_system_store", unavailable)
    services = await _services(tmp_path, fake_server)
    assert services.keychain_error is reason
    session = services.session_for(profile)
    assert await session.restore() is False
    browser = Browser(fake_server)
    with pytest.raises(KeychainUnavailable):
        await session.sign_in_with_browser(open_browser=browser, timeout=5)
    assert browser.opened == []  # checked before sending the person to the browser
    services.continue_without_keychain()
    info = await session.sign_in_with_browser(open_browser=browser, timeout=10)
    assert info.keychain == "not stored (this session only)"
    assert services.credential_store.backend_name == "memory (this session only)"
    await services.aclose()


async def test_a_keychain_failure_while_saving_revokes_the_unsaved_refresh_token(
    tmp_path: Path, profile: Profile, fake_server: FakeAuthServer
) -> None:
    class Failing(MemoryStore):
        def set(self, key: str, value: str) -> None:
            raise KeychainUnavailable("locked", "The system keychain is locked.")

    services = await _services(tmp_path, fake_server, credential_store=Failing())
    with pytest.raises(KeychainUnavailable):
        await services.session_for(profile).sign_in_with_browser(
            open_browser=Browser(fake_server), timeout=10
        )
    assert [r["token_type_hint"] for r in fake_server.revocations] == ["refresh_token"]
    await services.aclose()


async def test_api_keys_need_an_api_address(
    tmp_path: Path, profile: Profile, fake_server: FakeAuthServer
) -> None:
    services = await _services(tmp_path, fake_server, credential_store=MemoryStore())
    with pytest.raises(SignInError, match="no API address"):
        services.api_keys_for(services.session_for(replace(profile, id="x", api_base=None)))
    await services.aclose()


def test_core_modules_never_import_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import twinedge_desktop.services, twinedge_desktop.cli.auth\n"
        "import twinedge_desktop.api.keys, twinedge_desktop.vault\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6') and sys.modules[m]]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_oauth_apps_are_served_like_api_keys(
    tmp_path: Path, profile: Profile, fake_server: FakeAuthServer
) -> None:
    services = await _services(tmp_path, fake_server, credential_store=MemoryStore())
    session = services.session_for(profile)
    apps = services.oauth_apps_for(session)
    assert apps.api_base == services.api_keys_for(session).api_base == profile.api_base
    with pytest.raises(SignInError, match="no API address, so OAuth applications cannot"):
        services.oauth_apps_for(services.session_for(replace(profile, id="x", api_base=None)))
    await services.aclose()
