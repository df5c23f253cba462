"""``--sandbox`` in the window: demo data on a fresh data file, the sandbox's service client on
the Account page, and a second window on the same data file told why it has no sandbox."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from tests.helpers.waiting import until
from twinedge_desktop.app import DesktopApp
from twinedge_desktop.config import SANDBOX_PROFILE_ID, AppPaths, ProfileStore
from twinedge_desktop.redaction import redact
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.vault import MemoryStore

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
async def apps(isolated_app_home: Path) -> AsyncIterator[list[DesktopApp]]:
    made: list[DesktopApp] = []
    yield made
    for app in made:
        await app.aclose()  # the windows go with qtbot


def _app(messages: Any) -> DesktopApp:
    paths = AppPaths.default()
    return DesktopApp(
        paths=paths,
        profiles=ProfileStore.load(paths.profiles_file),
        messages=messages,
        runner=TaskRunner(messages),
        settings=QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat),
        credential_store=MemoryStore(),
        start_sandbox=True,
        open_browser=lambda url: False,
    )


async def test_the_sandbox_window_shows_its_service_client_and_a_second_window_says_why_not(
    qtbot: Any, messages: Any, apps: list[DesktopApp]
) -> None:
    first = _app(messages)
    apps.append(first)
    qtbot.addWidget(first.window)
    await first.start()
    sandbox = first.sandbox
    assert sandbox is not None and sandbox.demo_data_added  # a fresh file: demo keys
    assert first.profiles.current_id == SANDBOX_PROFILE_ID
    # The toolbar's profile list and the title say so too (not the profile before it).
    assert first.window.profile_switcher.currentData() == SANDBOX_PROFILE_ID
    assert first.window.windowTitle() == "TwinEdge Desktop — Local sandbox"
    card = first.window.account.signin_page.sandbox_card
    assert card.client_id.text() == sandbox.service_client_id
    assert card.secret.text() == sandbox.service_client_secret
    assert card.secret.echoMode() == card.secret.EchoMode.Password  # masked
    secret = sandbox.service_client_secret
    assert secret not in repr(first.sandbox_access())
    assert redact(f"secret is {secret}") != f"secret is {secret}"  # never logged bare
    # How to sign in is not only in a status line that fades: the card stays on the page.
    await until(lambda: not first.controller.restoring)
    assert card.isVisibleTo(first.window.account.signin_page)

    second = _app(messages)
    apps.append(second)
    qtbot.addWidget(second.window)
    await second.start()  # no exception: the window works without a sandbox
    assert second.sandbox is None
    assert second.sandbox_problem is not None and "already runs it" in second.sandbox_problem
    assert ("warning", second.sandbox_problem) in messages.records
    await until(lambda: second.window.page("account") is not None)
