"""The OAuth Applications page used from the keyboard alone, against the real sandbox.

Documented keys (README, "Keyboard"): Ctrl+N register, Ctrl+T Try it, Ctrl+E or Enter edit,
Ctrl+R rotate the secret, Delete delete, Ctrl+F filter; inside dialogs Tab / Shift+Tab /
Space / Enter / Escape and the mnemonics.

Every interaction is a key event sent to the widget that has the keyboard focus, as a
person's keyboard would: no mouse, no calls to dialog slots, no ``setChecked()``. The
keyboard driver and its helpers are the API Keys page's (test_keys_keyboard.py), so both
pages are held to the same standard; the offscreen platform has no window manager, so
after a dialog closes the test activates the page, as a window manager would.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.helpers.sandbox_signin import signed_in
from tests.helpers.waiting import settle, until
from tests.integration.ui.apps_support import NETWORK_TIMEOUT, make_apps_page
from tests.integration.ui.test_keys_keyboard import ALT, CTRL, Keyboard, activate, modal
from twinedge_desktop.ui.apps.dialogs import DeleteAppDialog, RegisterAppDialog
from twinedge_desktop.ui.apps.page import AppsPage, PageState
from twinedge_desktop.ui.common.copy_once import CopyOnceDialog

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

Key = Qt.Key
NAME = "Plant dashboard"
REDIRECT = "https://dashboard.example.com/callback"


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()


async def back_to_page(page: AppsPage, kb: Keyboard) -> None:
    """Every dialog is closed: activate the page (the window manager's part) and check the
    keyboard focus is inside it, else the page's shortcuts would be dead."""
    await until(lambda: QApplication.activeModalWidget() is None, NETWORK_TIMEOUT)
    await activate(page)
    focus = kb.focus()
    assert page.isAncestorOf(focus), f"focus went to {focus!r}"


async def test_register_and_delete_from_the_keyboard(
    sandbox: Any, qtbot: Any, messages: Any
) -> None:
    kb = Keyboard(qtbot)
    async with signed_in(sandbox.base_url) as signed:
        page = make_apps_page(qtbot, messages, signed)
        await settle(page.load_task)
        assert page.state is PageState.EMPTY
        await activate(page)

        # -- Ctrl+N: name, the type (Web, already chosen), a redirect URI, a scope, Enter. ---
        await kb.press(Key.Key_N, CTRL)
        register = await modal(kb, RegisterAppDialog, "Ctrl+N on the applications page")
        assert kb.focus() is register.form.name_edit
        await kb.type(NAME)
        await kb.press(Key.Key_Tab)
        assert kb.focus() is register.form.type_buttons[register.form.application_type()]
        await kb.tab_to(register.form.uris_edit)
        qtbot.keyClicks(register.form.uris_edit, REDIRECT)  # the focused editor, typed into
        await settle()
        assert register.form.redirect_uris() == (REDIRECT,)
        await kb.tab_to(register.form.scopes.boxes["read:assets"])
        await kb.press(Key.Key_Space)
        assert register.form.selected_scopes() == ("read:assets",)
        await kb.press(Key.Key_Return)  # Register is the default button

        # -- The secret, once: Copy has the focus; stored; Enter is Done. ---------------------
        shown = await modal(kb, CopyOnceDialog, "Enter in the register dialog", NETWORK_TIMEOUT)
        secret = shown.panel.secret
        assert secret is not None
        assert shown.panel.key_edit.echoMode() == QLineEdit.EchoMode.Password
        assert kb.focus() is shown.panel.copy_button
        await kb.press(Key.Key_Space)
        assert QGuiApplication.clipboard().text() == secret
        await kb.press(Key.Key_Return)  # not stored yet: Enter copies again, never closes
        assert shown.isVisible()
        await kb.press(Key.Key_P, ALT)  # "I have stored this client secret in a safe &place"
        await until(shown.panel.ack_box.isChecked)
        await kb.press(Key.Key_Return)
        await back_to_page(page, kb)

        app = page.selected_app()
        assert app is not None and app.name == NAME and app.redirect_uris == (REDIRECT,)
        (listed,) = await signed.core.oauth_apps_for(signed.session).list_all()
        assert listed.id == app.id

        # -- Delete: the typed name, Enter in the name field. -------------------------------
        await kb.tab_to(page.table)
        assert page.selected_app() == app  # tabbing into the list keeps (or makes) a selection
        await kb.press(Key.Key_Delete)
        delete = await modal(kb, DeleteAppDialog, "Delete on the selected application")
        assert kb.focus() is delete.name_confirm
        await kb.press(Key.Key_Return)  # nothing typed: Enter does nothing destructive
        assert delete.isVisible()
        await kb.type(NAME)
        await kb.press(Key.Key_Return)
        await until(lambda: page.model.rowCount() == 0, NETWORK_TIMEOUT)
        await back_to_page(page, kb)
        assert await signed.core.oauth_apps_for(signed.session).list_all() == []
        kb.check()
