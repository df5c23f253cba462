"""The app's last words: a renewed sign-in that could not be saved is said before it ends."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.helpers.waiting import until
from twinedge_desktop.app import DesktopApp, show_final_warnings
from twinedge_desktop.config import AppPaths, ProfileStore
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.vault import MemoryStore

UNSAVED = (
    "Your renewed sign-in to Local sandbox could not be saved in the system keychain (locked). "
    "The next start of TwinEdge Desktop will ask you to sign in again."
)


class ClosingServices:
    """What CoreServices.aclose answers when a rotated sign-in is still unsaved."""

    async def aclose(self) -> list[str]:
        return [UNSAVED]


def final_boxes() -> list[QMessageBox]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible() and UNSAVED in w.informativeText()
    ]


async def test_an_unsaved_sign_in_is_logged_and_shown_in_a_last_dialog(
    qtbot: Any, messages: Any, isolated_app_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = AppPaths.default()
    desktop = DesktopApp(
        paths=paths,
        profiles=ProfileStore.load(paths.profiles_file),
        messages=messages,
        runner=TaskRunner(messages),
        settings=QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat),
        credential_store=MemoryStore(),
        open_browser=lambda url: False,
    )
    qtbot.addWidget(desktop.window)
    desktop.services = ClosingServices()  # type: ignore[assignment]
    caplog.set_level(logging.INFO)
    warnings = await desktop.aclose()
    assert warnings == [UNSAVED]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [UNSAVED]

    # As in app.run(): the app, not its last window, decides when to quit.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    try:
        await _final_dialog(warnings)
    finally:
        app.setQuitOnLastWindowClosed(quit_on_close)


async def _final_dialog(warnings: list[str]) -> None:
    # The person closes the last dialog…
    shown = asyncio.ensure_future(show_final_warnings(warnings, timeout=30))
    await until(lambda: bool(final_boxes()))
    final_boxes()[0].button(QMessageBox.StandardButton.Ok).click()
    await asyncio.wait_for(shown, 5)
    # …or nobody is there: it closes itself after its bound, and the app can end.
    unattended = asyncio.ensure_future(show_final_warnings(warnings, timeout=0.2))
    await until(lambda: bool(final_boxes()))
    await asyncio.wait_for(unattended, 5)
