"""No keychain at start, then one: "Try the keychain again" uses it without a restart.

A real private D-Bus session with no Secret Service when the window starts (the person's
keyring daemon was not running); gnome-keyring is then started on that bus, as the person
would start or unlock theirs, and the sign-in page's button re-opens the system store.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture import registers the fixture
    PrivateSecretService,
    bus_without_secret_service_fixture,
)
from tests.helpers.waiting import until
from twinedge_desktop.app import DesktopApp
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.ui.common.tasks import TaskRunner

pytestmark = [pytest.mark.keychain, pytest.mark.qt_log_ignore(r"This plugin does not support")]
TIMEOUT = 20.0


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
async def app(
    sandbox: Any, qtbot: Any, messages: Any, isolated_app_home: Path
) -> AsyncIterator[DesktopApp]:
    paths = AppPaths.default()
    profiles = ProfileStore.load(paths.profiles_file)
    profiles.put(sandbox_profile(sandbox.base_url), make_current=True)
    desktop = DesktopApp(
        paths=paths,
        profiles=profiles,
        messages=messages,
        runner=TaskRunner(messages),
        settings=QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat),
        open_browser=lambda url: False,  # no credential store given: the system keychain
    )
    qtbot.addWidget(desktop.window)
    yield desktop
    await desktop.aclose()


async def test_the_keychain_can_be_tried_again_without_a_restart(
    app: DesktopApp, bus_without_secret_service: PrivateSecretService, messages: Any
) -> None:
    await app.start()
    assert app.services is not None and app.services.keychain_error is not None
    page = app.window.account.signin_page
    actions = app.window.window_actions
    assert actions is not None
    assert not page.keychain_banner.isHidden()
    assert not page.sign_in_button.isEnabled() and not actions.sign_in.isEnabled()

    page.retry_keychain_button.click()  # still nothing there: said again, nothing else
    await until(lambda: page.retry_keychain_button.isEnabled(), TIMEOUT)
    assert not page.keychain_banner.isHidden()
    assert "no Secret Service" in page.keychain_banner.message.text()

    bus_without_secret_service._start_keyring()  # the person starts (or unlocks) theirs
    page.retry_keychain_button.click()
    await until(lambda: page.keychain_banner.isHidden(), TIMEOUT)
    assert app.services.keychain_error is None
    assert app.services.credential_store.is_persistent
    assert app.services.credential_store.backend_name == "Secret Service (GNOME Keyring)"
    await until(lambda: not app.controller.restoring, TIMEOUT)
    assert page.sign_in_button.isEnabled() and actions.sign_in.isEnabled()
    assert any("Using the keychain (Secret Service" in text for _, text in messages.records)
