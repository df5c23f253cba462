"""The window's fixtures: a MainWindow on a store with the sandbox profile, and ``attach``,
which hands it fake services and builds its pages as app.py does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QSettings

from tests.helpers.session_fakes import FakeServices
from twinedge_desktop.config import ProfileStore, sandbox_profile
from twinedge_desktop.tokens import TokenInspector
from twinedge_desktop.ui.common.page import PageContext
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.shell.main_window import MainWindow

Attach = Callable[..., PageContext]


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    profiles = ProfileStore.load(tmp_path / "profiles.json")
    profiles.put(sandbox_profile("http://127.0.0.1:8765"), make_current=True)
    return profiles


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def opened() -> list[str]:
    return []


@pytest.fixture
def window(qtbot: Any, messages: Any, store: ProfileStore, settings: QSettings) -> MainWindow:
    widget = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
async def inspector() -> AsyncIterator[TokenInspector]:
    # The window's tests never verify a token: every request would fail, loudly.
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(599)))
    yield TokenInspector(client)
    await client.aclose()


@pytest.fixture
def attach(
    window: MainWindow,
    messages: Any,
    store: ProfileStore,
    settings: QSettings,
    opened: list[str],
    inspector: TokenInspector,
) -> Attach:
    """Hand ``window`` its services (fakes) and pages, as app.py does; returns the context."""

    def attach_services(services: FakeServices | None = None) -> PageContext:
        context = PageContext(
            runner=TaskRunner(messages),
            messages=messages,
            profiles=store,
            settings=settings,
            services=services or FakeServices(),  # type: ignore[arg-type]
            token_inspector=inspector,
            open_browser=lambda url: opened.append(url) is None,
            show_sign_in=window.show_sign_in,
        )
        window.attach_services(context)
        return context

    return attach_services
