"""The paths around sign-in a new user hit (issue 11, part A), through the whole window.

Each test drives the window as a person would (its actions, buttons and keys) with fake
services; tests/integration/ui/test_account_sandbox.py walks the same paths against the
real sandbox.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.helpers.logs import has_traceback
from tests.helpers.session_fakes import FakeServices, user_info
from tests.helpers.waiting import expect, until
from tests.unit.ui.shell.conftest import Attach
from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.auth.kinds import CredentialKind, SessionState
from twinedge_desktop.keyformat import display_prefix, generate_key
from twinedge_desktop.ui.account.dialogs import ApiKeyDialog, ServiceSignInDialog
from twinedge_desktop.ui.keys.dialogs.create import CreateKeyDialog
from twinedge_desktop.ui.keys.page import KeysPage
from twinedge_desktop.ui.shell.main_window import MainWindow
from twinedge_desktop.vault import KeychainUnavailable

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def open_dialogs(kind: type) -> list[Any]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


async def activate(window: MainWindow) -> None:
    """Show and activate the window: window shortcuts need an active window. Awaited (no
    nested Qt loop inside the test's coroutine: the asyncio tasks must keep running)."""
    window.show()
    window.activateWindow()
    await until(lambda: QApplication.activeWindow() is window)


def press(qtbot: Any, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    """A key to whatever has the keyboard focus, as a person's keyboard sends it."""
    qtbot.keyClick(QApplication.focusWidget() or QApplication.activeWindow(), key, modifiers)


# --- 1. Try again after a failed service-account sign-in ---------------------------------
async def test_try_again_after_a_failed_service_sign_in_reopens_the_service_dialog(
    window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    session = services.sessions["sandbox"]
    await until(lambda: not window.account.controller.restoring)
    session.service_error = SignInError("The client secret is wrong (invalid_client).")

    window.window_actions.service.trigger()  # type: ignore[union-attr]
    (dialog,) = open_dialogs(ServiceSignInDialog)
    dialog.client_id.setText("twinedge-service")
    dialog.secret.setText("not-the-secret")
    dialog.scope_boxes["read:telemetry"].setChecked(True)
    failed = expect(window.account.controller.failed)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    await failed
    page = window.account.signin_page
    assert not page.failure_banner.isHidden()
    assert "invalid_client" in page.failure_banner.message.text()

    page.retry_button.click()
    # The service-account dialog again, filled in as before (but for the secret) and saying
    # why the last attempt failed; never a browser sign-in as a person.
    (again,) = open_dialogs(ServiceSignInDialog)
    assert again is not dialog
    assert again.client_id.text() == "twinedge-service"
    assert again.secret.text() == ""
    assert [n for n, box in again.scope_boxes.items() if box.isChecked()] == ["read:telemetry"]
    assert "invalid_client" in again.error.text()
    assert "browser" not in session.calls
    assert not window.account.controller.signing_in
    again.reject()


async def test_try_again_after_a_failed_api_key_reopens_the_key_dialog(
    window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    session = services.sessions["sandbox"]
    await until(lambda: not window.account.controller.restoring)

    async def refused(api_key: str) -> Any:
        raise SignInError("The API key was revoked.")

    session.use_api_key = refused  # type: ignore[method-assign]
    failed = expect(window.account.controller.failed)
    window.account.controller.use_api_key(generate_key())
    await failed
    window.account.signin_page.retry_button.click()
    (dialog,) = open_dialogs(ApiKeyDialog)
    assert dialog.key.text() == ""  # a key is pasted again, never kept
    assert "revoked" in dialog.error.text()
    assert "browser" not in session.calls
    dialog.reject()


# --- 2. An API-key session is named by the key --------------------------------------------
async def test_an_api_key_session_is_named_by_its_key_not_its_owner(
    window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    await until(lambda: not window.account.controller.restoring)
    key = generate_key()
    succeeded = expect(window.account.controller.succeeded)
    window.account.controller.use_api_key(key)
    await succeeded
    prefix = display_prefix(key)
    assert window.session_label.text() == f"Using the API key {prefix}… — Local sandbox"
    assert "engineer@example.com" not in window.session_label.text()
    page = window.account.account_page
    assert page.heading.text() == f"API key {prefix}…"
    assert page.expiry_value.text() != "does not expire"
    assert key not in window.session_label.text() + page.heading.text()  # the prefix only
    # Signed out: the prefix is forgotten with the session.
    window.window_actions.sign_out.trigger()  # type: ignore[union-attr]
    await until(lambda: window.account.controller.state is SessionState.SIGNED_OUT)
    assert window.account.controller.api_key_prefix is None


# --- 3. Copy sign-in link while signing in -------------------------------------------------
async def test_ctrl_shift_c_and_the_file_menu_copy_the_sign_in_link(
    qtbot: Any, window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    session = services.sessions["sandbox"]
    await until(lambda: not window.account.controller.restoring)
    actions = window.window_actions
    assert actions is not None and not actions.copy_link.isEnabled()
    await activate(window)
    QGuiApplication.clipboard().setText("something else")
    waiting = expect(window.account.controller.waiting)
    actions.sign_in.trigger()
    await waiting
    assert actions.copy_link.isEnabled()  # File ▸ Copy sign-in link, while signing in
    press(qtbot, Qt.Key.Key_C, CTRL | SHIFT)
    assert QGuiApplication.clipboard().text() == session.authorization_url
    QGuiApplication.clipboard().setText("something else")
    actions.copy_link.trigger()
    assert QGuiApplication.clipboard().text() == session.authorization_url
    window.account.controller.cancel_sign_in()
    assert not actions.copy_link.isEnabled()


# --- 4. A page's own keys work as soon as it is shown -------------------------------------
async def test_page_keys_work_right_after_ctrl_1_and_after_a_click_in_the_navigation(
    qtbot: Any, window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    await until(lambda: not window.account.controller.restoring)
    services.sessions["sandbox"].set_state(SessionState.SIGNED_IN, user_info())
    keys = window.page("keys")
    assert isinstance(keys, KeysPage)
    await until(lambda: not keys.loading)
    await activate(window)
    window.show_page("account")
    window.account.account_page.sign_out_button.setFocus()

    press(qtbot, Qt.Key.Key_1, CTRL)  # API Keys from the keyboard
    assert window.current_page == "keys"
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is keys.filter_edit

    # The navigation, clicked with the mouse: the focus stays in the list, the keys work.
    window.show_page("account")
    window.navigation.setFocus()
    rect = window.navigation.visualItemRect(window.navigation.item(0))
    qtbot.mouseClick(window.navigation.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page == "keys"
    assert QApplication.focusWidget() is window.navigation
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is keys.filter_edit
    window.navigation.setFocus()
    press(qtbot, Qt.Key.Key_N, CTRL)
    dialogs = open_dialogs(CreateKeyDialog)
    assert len(dialogs) == 1
    dialogs[0].reject()
    # Another page is current: the keys page's keys are no longer the window's.
    window.show_page("inspector")
    assert not any(a.shortcut().toString() == "Ctrl+N" for a in window.actions())


# --- 5. No keychain: one answer everywhere, and a way to try it again ---------------------
async def test_without_a_keychain_the_toolbar_agrees_with_the_page_and_the_keychain_can_be_retried(
    window: MainWindow, attach: Attach, messages: Any, caplog: Any
) -> None:
    cancelled = KeychainUnavailable(
        "prompt-dismissed",
        "The keychain's unlock prompt was dismissed, so the sign-in cannot be saved.",
    )
    services = FakeServices(keychain_error=cancelled)
    services.keychain_retries = [cancelled, None]  # still locked, then unlocked
    attach(services)
    session = services.sessions["sandbox"]
    page = window.account.signin_page
    actions = window.window_actions
    assert actions is not None
    assert not page.sign_in_button.isEnabled()
    assert not actions.sign_in.isEnabled()  # the toolbar's Sign in says the same as the page
    assert not actions.service.isEnabled()
    assert actions.api_key.isEnabled() and page.api_key_button.isEnabled()  # needs no keychain
    # Even if a sign-in slips through (a stale menu), no second banner and no traceback.
    window.account.controller.sign_in_with_browser()
    assert session.calls == []
    assert page.failure_banner.isHidden()
    assert not [r for r in caplog.records if has_traceback(r)]

    page.retry_keychain_button.click()
    assert not page.retry_keychain_button.isEnabled()  # opening it: no double click
    await until(lambda: page.retry_keychain_button.isEnabled())
    assert not page.keychain_banner.isHidden()  # still dismissed: still said
    assert not actions.sign_in.isEnabled()

    page.retry_keychain_button.click()
    await until(lambda: page.keychain_banner.isHidden())
    assert page.sign_in_button.isEnabled() and actions.sign_in.isEnabled()
    await until(lambda: session.calls == ["restore"])  # the saved sign-in is read now
    assert any("Using the keychain" in text for _, text in messages.records)


# --- 12. The Compare tab forgets the session's token after sign-out ------------------------
async def test_after_sign_out_no_page_keeps_the_previous_access_token(
    window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    session = services.sessions["sandbox"]
    await until(lambda: not window.account.controller.restoring)
    session.set_state(SessionState.SIGNED_IN, user_info())
    inspector = window.page("inspector")
    from twinedge_desktop.ui.inspector.page import InspectorPage

    assert isinstance(inspector, InspectorPage)
    inspector.compare_current_button.click()
    await until(lambda: inspector.compare_a.toPlainText() == "header.payload.signature")
    inspector.compare_b.setPlainText("a token the person pasted")
    inspector.current_button.click()
    await until(lambda: inspector.token_edit.toPlainText() == "header.payload.signature")

    window.window_actions.sign_out.trigger()  # type: ignore[union-attr]
    await until(lambda: session.state is SessionState.SIGNED_OUT)
    assert inspector.compare_a.toPlainText() == ""
    assert inspector.token_edit.toPlainText() == ""
    assert inspector.compare_b.toPlainText() == "a token the person pasted"  # theirs stays


async def test_a_renewed_token_of_the_same_person_stays_in_the_inspector(
    window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    session = services.sessions["sandbox"]
    await until(lambda: not window.account.controller.restoring)
    session.set_state(SessionState.SIGNED_IN, user_info())
    from twinedge_desktop.ui.inspector.page import InspectorPage

    inspector = window.page("inspector")
    assert isinstance(inspector, InspectorPage)
    inspector.compare_current_button.click()
    await until(lambda: inspector.compare_a.toPlainText() == "header.payload.signature")
    session.set_state(SessionState.SIGNED_IN, user_info())  # renewed: a new expiry
    assert inspector.compare_a.toPlainText() == "header.payload.signature"
    session.set_state(SessionState.SIGNED_IN, user_info(kind=CredentialKind.SERVICE))
    assert inspector.compare_a.toPlainText() == ""  # someone else: gone


def test_secret_fields_are_masked_in_every_sign_in_dialog(qtbot: Any) -> None:
    service = ServiceSignInDialog("twinedge-service")
    key = ApiKeyDialog()
    for dialog in (service, key):
        qtbot.addWidget(dialog)
    assert service.secret.echoMode() == QLineEdit.EchoMode.Password
    assert key.key.echoMode() == QLineEdit.EchoMode.Password
