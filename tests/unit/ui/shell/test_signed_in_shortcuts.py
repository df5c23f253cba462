"""Ctrl+Shift+K (Use an API key…) and Ctrl+Shift+S (Service account…) while someone is
signed in (review 2, item 14): they say why they do nothing, in the status bar, instead
of doing nothing silently; signed out, they open their dialogs. Keys pressed as a person
presses them, on the whole window with fake services."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.helpers.session_fakes import FakeServices, user_info
from tests.helpers.waiting import until
from tests.unit.ui.shell.conftest import Attach
from twinedge_desktop.auth.kinds import SessionState
from twinedge_desktop.ui.account.dialogs import ApiKeyDialog, ServiceSignInDialog
from twinedge_desktop.ui.shell.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_dialogs(kind: type) -> list[Any]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


@pytest.mark.parametrize(
    ("key", "dialog", "to_do"),
    [
        (Qt.Key.Key_K, ApiKeyDialog, "to use an API key"),
        (Qt.Key.Key_S, ServiceSignInDialog, "to sign in as a service account"),
    ],
)
async def test_the_sign_in_shortcuts_say_why_while_signed_in(
    qtbot: Any,
    window: MainWindow,
    attach: Attach,
    messages: Any,
    key: Qt.Key,
    dialog: type,
    to_do: str,
) -> None:
    services = FakeServices()
    attach(services)
    await until(lambda: not window.account.controller.restoring)
    window.show()
    window.activateWindow()
    await until(lambda: QApplication.activeWindow() is window)  # window shortcuts need it

    services.sessions["sandbox"].set_state(SessionState.SIGNED_IN, user_info("sandbox"))
    qtbot.keyClick(QApplication.focusWidget() or window, key, CTRL_SHIFT)
    assert open_dialogs(dialog) == []  # nobody is signed out behind the person's back
    level, text = messages.records[-1]
    assert level == "info" and text == f"Sign out first (Ctrl+Shift+L) {to_do}."
    assert window.statusBar().currentMessage() == text
    assert window.session_label.text().startswith("Signed in as ")  # who, beside it

    services.sessions["sandbox"].set_state(SessionState.SIGNED_OUT)  # signed out: it opens
    qtbot.keyClick(QApplication.focusWidget() or window, key, CTRL_SHIFT)
    (opened,) = open_dialogs(dialog)
    opened.reject()
