"""The window, end to end: sign in through real Chromium, then a second start restores.

Real parts everywhere: the window (offscreen) with its real services, the sandbox
over loopback, real headless Chromium as ``$BROWSER`` (tests/helpers/browser_signin.py)
and a real Secret Service (gnome-keyring on a private D-Bus session,
tests/helpers/keychain.py). The two app instances run in this process one after
the other; the second finds the refresh token in the keychain and signs in
without a browser, as a person restarting the app would.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture import registers the fixture
    PrivateSecretService,
    secret_service_fixture,
)
from tests.helpers.waiting import expect, until
from twinedge_desktop.app import DesktopApp
from twinedge_desktop.auth.kinds import SessionState
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.vault import open_system_store

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keychain, pytest.mark.qt]

REPO = Path(__file__).resolve().parents[2]
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
SIGN_IN_TIMEOUT = 90.0


@pytest.fixture
def paths(isolated_app_home: Path) -> AppPaths:
    return AppPaths.default()


def _make_app(paths: AppPaths, base_url: str, messages: Any) -> DesktopApp:
    profiles = ProfileStore.load(paths.profiles_file)
    profiles.put(sandbox_profile(base_url), make_current=True)
    settings = QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
    return DesktopApp(
        paths=paths,
        profiles=profiles,
        messages=messages,
        runner=TaskRunner(messages),
        settings=settings,
    )


@pytest.fixture
async def started(qtbot: Any) -> AsyncIterator[list[DesktopApp]]:
    """Apps started by the test, closed in order afterwards (tasks, HTTP client)."""
    apps: list[DesktopApp] = []
    yield apps
    for app in apps:
        await app.aclose()
        app.window.deleteLater()


async def test_sign_in_with_chromium_then_restart_restores(
    qtbot: Any,
    sandbox: Any,
    secret_service: PrivateSecretService,
    paths: AppPaths,
    messages: Any,
    started: list[DesktopApp],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    browser_log = tmp_path / "browser.log"
    monkeypatch.setenv("BROWSER", f"{sys.executable} {BROWSER_HELPER} %s")
    monkeypatch.setenv("TWINEDGE_TEST_BROWSER_LOG", str(browser_log))

    first = _make_app(paths, sandbox.base_url, messages)
    started.append(first)
    qtbot.addWidget(first.window)
    await first.start()
    assert first.services is not None and first.services.keychain_error is None
    await until(lambda: first.controller.state is SessionState.SIGNED_OUT, timeout=20)
    await until(lambda: not first.controller.restoring, timeout=20)
    page = first.window.account.signin_page
    assert page.stack.currentWidget() is page.signed_out_view
    assert page.sign_in_button.isEnabled()

    waiting = expect(first.controller.waiting, timeout=20)
    succeeded = expect(first.controller.succeeded, timeout=SIGN_IN_TIMEOUT)
    failed = expect(first.controller.failed, timeout=SIGN_IN_TIMEOUT)
    page.sign_in_button.click()
    await waiting
    assert page.stack.currentWidget() is page.waiting_view
    try:
        await succeeded
    except TimeoutError:
        log = browser_log.read_text() if browser_log.exists() else "(no browser log)"
        pytest.fail(
            f"sign-in did not complete; last failure {first.controller.last_failure}; {log}"
        )
    failed.close()  # type: ignore[attr-defined]

    window = first.window
    assert window.current_page == "account"
    assert window.account.currentWidget() is window.account.account_page
    assert window.account.account_page.email_value.text() == "engineer@example.com"
    assert window.account.account_page.org_value.text() == "org-456"
    assert "Read asset data" in window.account.account_page.scopes_value.text()
    assert window.account.account_page.keychain_value.text() == "Secret Service (GNOME Keyring)"
    assert window.account.account_page.expiry_value.text().startswith("Expires in ")
    assert window.session_label.text() == "Signed in as engineer@example.com — Local sandbox"
    # The refresh token is in the (private) keychain, never in the app's files.
    stored = open_system_store().get("session/sandbox")
    assert stored is not None and "refresh_token" in stored
    for path in paths.config_dir.parent.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite3":
            assert "refresh_token" not in path.read_text(errors="replace"), path

    # Help ▸ Copy diagnostics with a real signed-in session: endpoints and the keychain,
    # never a token.
    access_token = await first.controller.session.access_token()  # type: ignore[union-attr]
    refresh_token = json.loads(stored)["refresh_token"]
    first.window.window_actions.diagnostics.trigger()  # type: ignore[union-attr]
    diagnostics = QGuiApplication.clipboard().text()
    assert f"issuer: {sandbox.base_url}" in diagnostics
    assert "Keychain backend: Secret Service (GNOME Keyring)" in diagnostics
    for secret in (access_token, refresh_token, access_token.split(".")[2]):
        assert secret not in diagnostics

    # Quit and start again: the session comes back from the keychain, without a browser.
    first.window.close()
    await first.aclose()
    started.remove(first)
    monkeypatch.setenv("BROWSER", str(tmp_path / "no-browser-expected"))
    second = _make_app(paths, sandbox.base_url, messages)
    started.append(second)
    qtbot.addWidget(second.window)
    await second.start()
    await until(lambda: second.controller.state is SessionState.SIGNED_IN, timeout=20)
    assert second.window.account.currentWidget() is second.window.account.account_page
    assert second.window.account.account_page.email_value.text() == "engineer@example.com"
    assert not (tmp_path / "no-browser-expected").exists()
    assert [r for r in messages.records if r[0] == "error"] == []

    # Sign out: revoked at the server and forgotten in the keychain.
    second.window.window_actions.sign_out.trigger()  # type: ignore[union-attr]
    await until(lambda: second.controller.state is SessionState.SIGNED_OUT, timeout=20)
    assert open_system_store().get("session/sandbox") is None
