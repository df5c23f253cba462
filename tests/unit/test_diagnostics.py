"""collect_diagnostics: versions, platform, keychain and endpoints, never a secret."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

import pytest

from twinedge_desktop import __version__
from twinedge_desktop.config import CLOUD_PROFILE, Profile, ProfileStore, sandbox_profile
from twinedge_desktop.diagnostics import NO_KEYCHAIN, collect_diagnostics

API_KEY = "te_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp" + "ABCDEF"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    store = ProfileStore.load(tmp_path / "profiles.json")
    store.put(sandbox_profile("http://127.0.0.1:8765"), make_current=True)
    return store


def _line(report: str, label: str) -> str:
    matches = [line for line in report.splitlines() if line.startswith(f"{label}: ")]
    assert len(matches) == 1, (label, report)
    return matches[0].removeprefix(f"{label}: ")


def test_reports_the_versions_actually_installed(store: ProfileStore) -> None:
    from PySide6 import QtCore

    report = collect_diagnostics(store, "Secret Service (GNOME Keyring)")

    assert report.splitlines()[0].startswith(f"TwinEdge Desktop {__version__} (")
    assert _line(report, "Python").startswith(platform.python_version())
    assert _line(report, "Qt").startswith(QtCore.qVersion())
    assert "PySide6 " in _line(report, "Qt")
    assert _line(report, "httpx") == metadata.version("httpx")
    assert _line(report, "keyring") == metadata.version("keyring")
    assert _line(report, "PyJWT") == metadata.version("PyJWT")
    assert _line(report, "Platform").startswith(platform.platform())


def test_names_the_keychain_backend_or_its_absence(store: ProfileStore) -> None:
    assert (
        _line(collect_diagnostics(store, "Secret Service (GNOME Keyring)"), "Keychain backend")
        == "Secret Service (GNOME Keyring)"
    )
    assert _line(collect_diagnostics(store, None), "Keychain backend") == NO_KEYCHAIN


def test_lists_every_profile_with_its_endpoints_and_marks_the_current(
    store: ProfileStore,
) -> None:
    report = collect_diagnostics(store, None)

    assert "* sandbox (Local sandbox)" in report
    assert "  cloud (TwinEdge Cloud)" in report
    assert f"    issuer: {CLOUD_PROFILE.issuer}" in report
    assert f"    API base: {CLOUD_PROFILE.api_base}" in report
    assert f"    audience: {CLOUD_PROFILE.audience}" in report
    assert "    issuer: http://127.0.0.1:8765" in report
    assert "    API base: http://127.0.0.1:8765/v1" in report
    assert "    client id: twinedge-desktop" in report


def test_credentials_in_profile_urls_do_not_appear(tmp_path: Path) -> None:
    store = ProfileStore.load(tmp_path / "profiles.json")
    store.put(
        Profile(
            id="corp",
            name="Corp",
            issuer="https://alice:hunter2pass@auth.corp.example:8443/realms/x",
            api_base=f"https://api.corp.example/v1?token={JWT}",
            audience=f"https://api.corp.example/?api_key={API_KEY}",
        )
    )

    report = collect_diagnostics(store, None)

    assert "hunter2pass" not in report
    assert "alice" not in report
    assert JWT not in report and JWT.split(".")[0] not in report
    assert API_KEY not in report
    # What is not secret stays readable.
    assert "    issuer: https://auth.corp.example:8443/realms/x" in report
    assert "https://api.corp.example/v1?token=[REDACTED]" in report


def test_secret_shaped_backend_name_is_redacted(store: ProfileStore) -> None:
    # The report as a whole goes through redact(): even a surprising input cannot leak.
    report = collect_diagnostics(store, f"odd backend Bearer {JWT}")
    assert JWT not in report
    assert "[REDACTED]" in report


def test_log_file_is_shown_relative_to_home(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    log_file = tmp_path / ".local" / "state" / "twinedge-desktop" / "log" / "twinedge-desktop.log"

    report = collect_diagnostics(store, None, log_file=log_file)

    assert _line(report, "Log file") == "~/.local/state/twinedge-desktop/log/twinedge-desktop.log"
    assert "Log file" not in collect_diagnostics(store, None)


def test_session_facts_name_ssh_wsl_and_proxies_without_their_values(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")
    monkeypatch.setenv("WSL_DISTRO_NAME", "Debian")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxyuser:proxypass@proxy.corp:3128")
    monkeypatch.delenv("https_proxy", raising=False)

    session = _line(collect_diagnostics(store, None), "Session")

    assert "over SSH" in session
    assert "WSL" in session
    assert "proxy variables HTTPS_PROXY" in session
    assert "proxypass" not in session and "proxy.corp" not in session
    assert "10.0.0.2" not in session


def test_quiet_session_says_so(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "XDG_SESSION_TYPE",
        "XDG_CURRENT_DESKTOP",
        "SSH_CONNECTION",
        "SSH_TTY",
        "WSL_DISTRO_NAME",
        "BROWSER",
        "https_proxy",
        "http_proxy",
        "all_proxy",
        "HTTPS_PROXY",
        "HTTP_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
    monkeypatch.setattr(platform, "release", lambda: "6.1.0-generic")

    assert _line(collect_diagnostics(store, None), "Session") == "nothing notable"
