"""Test-wide setup: Qt offscreen, a qasync loop for Qt tests, and isolated app directories.

Async tests run on pytest-asyncio's plain asyncio loop, except tests that touch
Qt (marked ``qt``, under ``tests/**/ui/``, or using ``qtbot``): those run on a
qasync loop over the one QApplication, so coroutines and widgets share a loop
exactly as in the app.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

# Before anything imports Qt: no display is needed for unit tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")


def _wants_qt_loop(item: pytest.Item) -> bool:
    if item.get_closest_marker("qt") is not None:
        return True
    if "/ui/" in str(item.path).replace(os.sep, "/"):
        return True
    return "qtbot" in getattr(item, "fixturenames", ())


def _qasync_loop() -> asyncio.AbstractEventLoop:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    if _wants_qt_loop(item):
        return {"qasync": _qasync_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.fixture(autouse=True)
def isolated_app_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own config/data/log directories: never a person's real files.

    And its own runtime directory: the sign-in locks live in the user's runtime directory
    (auth/locking.py), and tests of other runs on the same machine must not share them.
    """
    home = tmp_path_factory.mktemp("twinedge-home")
    monkeypatch.setenv("TWINEDGE_DESKTOP_HOME", str(home))
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)  # what the XDG spec (and Qt) require of a runtime directory
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return home


@pytest.fixture(autouse=True)
def logging_left_as_found() -> Iterator[None]:
    """Each test leaves the logging module's global state as it found it.

    A command run in-process calls ``configure_logging``, which sets levels on named
    loggers (``httpx`` at WARNING, say) and installs its handlers on the root logger:
    without this, a later test that needs httpx's DEBUG lines passed or failed by the
    order tests ran in. Restored: every logger's level and ``disabled`` flag, the root
    level, handlers the app installed (closed), ``logging.disable`` and warning capture.
    pytest's own capture handlers are left to pytest.
    """
    import logging

    from twinedge_desktop.logging_setup import _OWNED

    root = logging.getLogger()
    manager = logging.Logger.manager
    levels = {
        name: (logger.level, logger.disabled)
        for name, logger in list(manager.loggerDict.items())
        if isinstance(logger, logging.Logger)
    }
    root_level, root_handlers = root.level, list(root.handlers)
    disabled_below = manager.disable
    yield
    for name, logger in list(manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            logger.level, logger.disabled = levels.get(name, (logging.NOTSET, False))
    for handler in list(root.handlers):
        if getattr(handler, _OWNED, False) and handler not in root_handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(root_level)
    logging.disable(disabled_below)
    logging.captureWarnings(False)
    manager._clear_cache()  # type: ignore[attr-defined]  # effective levels were cached


@pytest.fixture
def messages(qtbot: Any) -> Iterator[Any]:
    """A MessageBridge that records what it posts, as (level, text) pairs in ``.records``."""
    from twinedge_desktop.ui.common.messages import MessageBridge

    bridge = MessageBridge()
    records: list[tuple[str, str]] = []
    bridge.posted.connect(lambda level, text: records.append((level, text)))
    bridge.records = records  # type: ignore[attr-defined]
    yield bridge


# Shared fixtures (the running sandbox, sign-in helpers) live in tests/helpers.
pytest_plugins = ["tests.helpers.sandbox"]
