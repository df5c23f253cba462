"""The main window: navigation, shortcuts, services, profiles, messages, geometry."""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence

from tests.unit.ui.fakes import FakeKeychainError, FakeServices, user_info
from tests.unit.ui.waiting import expect, until
from twinedge_desktop import __version__
from twinedge_desktop.auth.session import SessionState
from twinedge_desktop.config import AppPaths, Profile, ProfileStore, sandbox_profile
from twinedge_desktop.logging_setup import CHATTY_LOGGERS, FLOODING_LOGGERS, configure_logging
from twinedge_desktop.ui.account.session_controller import SessionController
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.shell.main_window import (
    DEFAULT_WINDOW,
    ComingPage,
    MainWindow,
    default_window_size,
)


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
def window(
    qtbot: Any, messages: Any, store: ProfileStore, settings: QSettings, opened: list[str]
) -> MainWindow:
    runner = TaskRunner(messages)
    controller = SessionController(
        runner, messages, open_browser=lambda url: opened.append(url) is None
    )
    widget = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(widget)
    widget.attach_runtime(runner, controller)
    return widget


def test_before_the_runtime_the_window_shows_a_starting_state(
    qtbot: Any, messages: Any, store: ProfileStore, settings: QSettings
) -> None:
    shell = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(shell)
    assert shell.account_container.currentWidget() is shell.starting_view
    assert shell.session_label.text() == "Starting…"
    assert not shell.sign_in_action.isEnabled()
    shell.sign_in_action.trigger()  # disabled: nothing happens, nothing fails
    shell.sign_in()  # even called directly it waits for the runtime
    shell.page_actions["keys"].trigger()  # navigation works at once
    assert shell.current_page == "keys"


def test_title_navigation_and_shortcuts(window: MainWindow) -> None:
    assert window.windowTitle() == "TwinEdge Desktop — Local sandbox"
    names = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert names == ["API Keys", "Token Inspector", "Account"]
    assert window.current_page == "account"  # first start: the sign-in page
    shortcuts = {
        name: [s.toString() for s in action.shortcuts()]
        for name, action in window.page_actions.items()
    }
    assert shortcuts == {
        "keys": ["Ctrl+1"],
        "inspector": ["Ctrl+2", "Ctrl+Shift+I"],
        "account": ["Ctrl+3"],
    }
    assert window.sign_in_action.shortcut().toString() == "Ctrl+L"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert window.refresh_action.shortcut().toString() == "F5"
    window.page_actions["inspector"].trigger()
    assert window.current_page == "inspector"
    assert window.pages.currentWidget() is window.inspector_page
    window.page_actions["keys"].trigger()
    assert window.pages.currentWidget() is window.keys_page
    # Before services exist, both feature pages are honest placeholders.
    assert isinstance(window.keys_page, ComingPage)
    assert window.navigation.accessibleName() == "Pages"
    assert window.profile_switcher.accessibleName() == "Profile"
    assert "Help" in [a.text().replace("&", "") for a in window.menuBar().actions()]


def test_every_action_has_a_distinct_shortcut(window: MainWindow) -> None:
    seen: dict[str, str] = {}
    for action in window.actions():
        for sequence in action.shortcuts():
            key = sequence.toString()
            assert key not in seen, f"{key} is used by {seen[key]!r} and {action.text()!r}"
            seen[key] = action.text()
    for key in ("Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+L", "Ctrl+Shift+I", "Ctrl+Q", "F5"):
        assert key in seen


async def test_services_bind_the_session_and_restore(window: MainWindow, messages: Any) -> None:
    services = FakeServices()
    window.attach_services(services, None)  # type: ignore[arg-type]
    session = services.sessions["sandbox"]
    assert window._controller.restoring
    await until(lambda: not window._controller.restoring)
    assert session.calls == ["restore"]
    assert window.session_label.text() == "Signed out — Local sandbox"
    if importlib.util.find_spec("twinedge_desktop.ui.keys.page") is not None:
        assert not isinstance(window.keys_page, ComingPage)
    assert isinstance(window.inspector_page, ComingPage)  # no inspector given


async def test_coming_pages_when_feature_modules_are_missing(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("twinedge_desktop.ui.") else real_find_spec(name),
    )
    window.attach_services(FakeServices(), object())  # type: ignore[arg-type]
    assert isinstance(window.keys_page, ComingPage)
    assert isinstance(window.inspector_page, ComingPage)


async def test_browser_sign_in_shows_the_account(window: MainWindow, opened: list[str]) -> None:
    services = FakeServices()
    window.attach_services(services, None)  # type: ignore[arg-type]
    session = services.sessions["sandbox"]
    await until(lambda: not window._controller.restoring)
    window.page_actions["keys"].trigger()
    waiting = expect(window._controller.waiting)
    window.sign_in_action.trigger()
    await waiting
    assert window.current_page == "account"
    assert opened == [session.authorization_url]
    assert window.session_label.text() == "Signing in to Local sandbox…"
    assert not window.sign_in_action.isEnabled()

    succeeded = expect(window._controller.succeeded)
    assert session.pending is not None
    session.pending.set_result(user_info())
    await succeeded
    assert window.account_container.currentWidget() is window.account_page
    assert window.account_page.email_value.text() == "engineer@example.com"
    assert window.session_label.text() == "Signed in as engineer@example.com — Local sandbox"
    assert window.sign_out_action.isEnabled()
    assert not window.sign_in_action.isVisible()
    # No secret or account detail in the title.
    assert window.windowTitle() == "TwinEdge Desktop — Local sandbox"

    window.sign_out_action.trigger()
    await until(lambda: session.state is SessionState.SIGNED_OUT)
    await until(lambda: window.account_container.currentWidget() is window.signin_page)


async def test_switching_profile_switches_session(window: MainWindow, store: ProfileStore) -> None:
    services = FakeServices()
    window.attach_services(services, None)  # type: ignore[arg-type]
    sandbox_session = services.sessions["sandbox"]
    sandbox_session.set_state(SessionState.SIGNED_IN, user_info())
    cloud_index = window.profile_switcher.findData("cloud")
    assert window.profile_switcher.itemText(cloud_index) == "TwinEdge Cloud"
    window.profile_switcher.setCurrentIndex(cloud_index)
    window.profile_switcher.activated.emit(cloud_index)
    assert store.current_id == "cloud"
    assert json.loads(store.path.read_text())["current"] == "cloud"
    assert window._controller.session is services.sessions["cloud"]
    assert window.windowTitle() == "TwinEdge Desktop — TwinEdge Cloud"
    await until(lambda: not window._controller.restoring)
    assert services.sessions["cloud"].calls == ["restore"]
    assert window.account_container.currentWidget() is window.signin_page
    # Back to the sandbox: its session is still signed in, nothing restored twice.
    window.switch_profile("sandbox")
    assert window.account_container.currentWidget() is window.account_page
    await until(lambda: not window._controller.restoring)
    assert sandbox_session.calls.count("restore") <= 1


async def test_keychain_unavailable_is_said_plainly_and_can_be_bypassed(
    window: MainWindow, messages: Any
) -> None:
    services = FakeServices(keychain_error=FakeKeychainError("No keychain: D-Bus is not running."))
    window.attach_services(services, None)  # type: ignore[arg-type]
    session = services.sessions["sandbox"]
    assert session.calls == []  # nothing to restore from a keychain that is not there
    page = window.signin_page
    assert not page.keychain_banner.isHidden()
    assert "D-Bus is not running" in page.keychain_banner.message.text()
    assert not page.sign_in_button.isEnabled()
    page.continue_button.click()
    assert services.continued_without_keychain
    assert page.keychain_banner.isHidden()
    assert page.sign_in_button.isEnabled()
    assert any("without the keychain" in text for _, text in messages.records)


def test_messages_reach_the_banner_and_status_bar(window: MainWindow, messages: Any) -> None:
    messages.error("The API is not reachable.")
    assert not window.message_banner.isHidden()
    assert window.message_banner.message.text() == "The API is not reachable."
    messages.error("token te_" + "A" * 38)
    assert "te_AAAA" not in window.message_banner.message.text()  # redacted by the bridge
    window.dismiss_message()
    assert window.message_banner.isHidden()
    messages.info("Signed out.")
    assert window.statusBar().currentMessage() == "Signed out."


def test_geometry_and_page_are_remembered(
    qtbot: Any, window: MainWindow, messages: Any, store: ProfileStore, settings: QSettings
) -> None:
    window.resize(780, 590)  # within the offscreen screen (800×600)
    window.show_page("inspector")
    window.save_geometry()
    text = Path(settings.fileName()).read_text()
    assert "geometry" in text and "inspector" in text
    again = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (780, 590)
    assert again.current_page == "inspector"


def test_a_first_window_fits_the_screen(
    qtbot: Any, messages: Any, store: ProfileStore, settings: QSettings
) -> None:
    from PySide6.QtCore import QSize

    # Big enough for the keys table's seven columns; never bigger than most of the screen.
    assert default_window_size(QSize(2560, 1440)) == DEFAULT_WINDOW == QSize(1280, 800)
    assert default_window_size(QSize(1366, 768)) == QSize(1229, 691)
    first = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(first)
    available = first.screen().availableGeometry().size()  # 800×600 offscreen
    # Qt keeps the window at least as big as its contents need.
    assert first.size() == default_window_size(available).expandedTo(first.minimumSize())


def test_refresh_key_goes_to_a_page_with_its_own(window: MainWindow) -> None:
    from PySide6.QtGui import QAction

    own = QAction("Reload", window.keys_page)
    own.setShortcut(QKeySequence("F5"))
    window.keys_page.addAction(own)
    window.show_page("keys")
    assert window.refresh_action.shortcuts() == []
    assert not window.refresh_action.isVisible()
    window.show_page("account")
    assert [s.toString() for s in window.refresh_action.shortcuts()] == ["F5"]
    assert window.refresh_action.isVisible()


async def test_add_profile_from_discovery(
    window: MainWindow, store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = FakeServices()
    window.attach_services(services, None)  # type: ignore[arg-type]
    created = Profile(id="auth-example-com", name="Example", issuer="https://auth.example.com")
    window._profile_created(created)
    assert store.current_id == "auth-example-com"
    assert window.profile_switcher.currentText() == "Example"
    assert window._controller.session is services.sessions["auth-example-com"]
    names = [window.profile_switcher.itemText(i) for i in range(window.profile_switcher.count())]
    assert names[:2] == ["TwinEdge Cloud", "Local sandbox"]
    assert names[-1] == "Add profile…"


# --- Help menu ------------------------------------------------------------------------
@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was after configure_logging()."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS + FLOODING_LOGGERS}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)


def test_help_menu_offers_diagnostics_log_and_about(window: MainWindow) -> None:
    texts = [a.text() for a in window.help_menu.actions() if not a.isSeparator()]
    assert texts == [
        "Copy diagnostics",
        "Show log file location…",
        "Open log folder",
        "About TwinEdge Desktop",
    ]


def test_about_shows_version_licence_and_link(window: MainWindow, qtbot: Any) -> None:
    window.about_action.trigger()
    box = window.about_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    assert __version__ in box.text()
    assert "Licence: MIT" in box.informativeText()
    assert 'href="https://api.twinedgeai.com"' in box.informativeText()
    box.close()


async def test_copy_diagnostics_after_sign_in_has_endpoints_and_no_secret(
    window: MainWindow, messages: Any, store: ProfileStore, tmp_path: Path
) -> None:
    # A profile typed with a password in its issuer URL, and a signed-in session.
    password = "hunter2-Secret-Passw0rd"
    store.put(
        Profile(
            id="corp",
            name="Corp",
            issuer=f"https://admin:{password}@auth.corp.example",
            api_base="https://api.corp.example",
        )
    )
    services = FakeServices()
    window.attach_services(services, None)  # type: ignore[arg-type]
    session = services.sessions["sandbox"]
    await until(lambda: not window._controller.restoring)
    session.set_state(SessionState.SIGNED_IN, user_info())
    token = await session.access_token()
    window.log_file = tmp_path / "logs" / "twinedge-desktop.log"

    window.diagnostics_action.trigger()
    text = QGuiApplication.clipboard().text()
    assert text == window.diagnostics_text()
    assert f"TwinEdge Desktop {__version__}" in text
    assert "Keychain backend: Secret Service (GNOME Keyring)" in text
    assert "issuer: http://127.0.0.1:8765" in text
    assert "issuer: https://auth.corp.example" in text
    assert "API base: https://api.corp.example" in text
    assert str(window.log_file.name) in text
    assert password not in text and "admin" not in text
    assert token not in text
    assert ("info", messages.records[-1][1]) == messages.records[-1]
    assert "Diagnostics copied to the clipboard" in messages.records[-1][1]


def test_diagnostics_before_services_and_without_keychain(
    window: MainWindow, messages: Any
) -> None:
    assert "Keychain backend: not opened yet" in window.diagnostics_text()
    services = FakeServices(keychain_error=FakeKeychainError("No keychain."))
    window.attach_services(services, None)  # type: ignore[arg-type]
    assert "Keychain backend: none available" in window.diagnostics_text()


def test_log_location_is_the_real_log_file(
    window: MainWindow, qtbot: Any, tmp_path: Path, restore_logging: None
) -> None:
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    window.log_file = configure_logging(paths, False, console=False)
    logging.getLogger("twinedge_desktop.test").warning("a line for the log file")
    for handler in logging.getLogger().handlers:
        handler.flush()

    window.log_location_action.trigger()
    box = window.log_location_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    shown = Path(box.text())
    assert shown == paths.log_file
    assert "a line for the log file" in shown.read_text()
    assert "redacted" in box.informativeText()
    box.close()


def test_open_log_folder_opens_the_folder_of_the_log(
    window: MainWindow, messages: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened_urls: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened_urls.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    assert not window.open_log_folder()  # not configured yet: says so
    assert messages.records[-1][0] == "warning"
    window.log_file = tmp_path / "logs" / "twinedge-desktop.log"
    window.open_log_folder_action.trigger()
    assert [u.toLocalFile() for u in opened_urls] == [str(tmp_path / "logs")]


async def test_keychain_problem_is_shown_on_the_account_page(window: MainWindow) -> None:
    services = FakeServices()
    window.attach_services(services, None)  # type: ignore[arg-type]
    session = services.sessions["sandbox"]
    session.keychain_problem = FakeKeychainError("The keychain is locked.")
    session.set_state(SessionState.SIGNED_IN, user_info())
    text = window.account_page.keychain_value.text()
    assert text.startswith("Secret Service (GNOME Keyring) — not saved:")
    assert "The keychain is locked." in text


# --- the first frame --------------------------------------------------------------------
def test_deferred_chrome_paints_the_shell_first_then_builds_the_rest(
    qtbot: Any, messages: Any, store: ProfileStore, settings: QSettings
) -> None:
    shell = MainWindow(messages=messages, profiles=store, settings=settings, defer_chrome=True)
    qtbot.addWidget(shell)
    # The first frame: title, navigation and the "Restoring session…" state, no chrome yet.
    assert not shell.chrome_built
    assert shell.windowTitle() == "TwinEdge Desktop — Local sandbox"
    assert shell.navigation.count() == 3
    assert shell.account_container.currentWidget() is shell.starting_view
    assert shell.session_label.text() == "Starting…"
    assert not hasattr(shell, "sign_in_action")
    messages.warning("Could not save the profile list.")  # before the banner exists
    with qtbot.waitSignal(shell.first_painted, timeout=5000):
        shell.show()
    assert shell.painted

    shell.build_chrome()
    shell.build_chrome()  # once only
    assert shell.chrome_built
    assert len([a for a in shell.menuBar().actions() if a.text()]) == 4
    assert not shell.sign_in_action.isEnabled()
    # The message posted before the banner existed is shown now.
    assert not shell.message_banner.isHidden()
    assert shell.message_banner.message.text() == "Could not save the profile list."
    shell.page_actions["keys"].trigger()
    assert shell.current_page == "keys"


def test_attach_runtime_builds_a_deferred_chrome(
    qtbot: Any, messages: Any, store: ProfileStore, settings: QSettings
) -> None:
    shell = MainWindow(messages=messages, profiles=store, settings=settings, defer_chrome=True)
    qtbot.addWidget(shell)
    runner = TaskRunner(messages)
    shell.attach_runtime(runner, SessionController(runner, messages, open_browser=lambda u: True))
    assert shell.chrome_built
    assert shell.account_container.currentWidget() is shell.signin_page
