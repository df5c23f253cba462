"""The main window: navigation, pages, shortcuts, services, profiles, messages, geometry."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QLabel

from tests.helpers.session_fakes import FakeServices, user_info
from tests.helpers.waiting import expect, until
from tests.unit.ui.shell.conftest import Attach
from twinedge_desktop import __version__
from twinedge_desktop.app import _PRELOAD
from twinedge_desktop.auth.kinds import SessionState
from twinedge_desktop.config import AppPaths, Profile, ProfileStore
from twinedge_desktop.logging_setup import CHATTY_LOGGERS, FLOODING_LOGGERS, configure_logging
from twinedge_desktop.tokens import TokenInspector
from twinedge_desktop.ui.account.view import AccountView
from twinedge_desktop.ui.apps.page import AppsPage
from twinedge_desktop.ui.common.page import PageContext
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.health.page import HealthPage
from twinedge_desktop.ui.inspector.page import InspectorPage
from twinedge_desktop.ui.keys.page import KeysPage, PageState
from twinedge_desktop.ui.shell.frame import StartingView
from twinedge_desktop.ui.shell.main_window import DEFAULT_WINDOW, MainWindow, default_window_size
from twinedge_desktop.ui.shell.pages import PAGES
from twinedge_desktop.vault import KeychainUnavailable

STARTING_TEXT = ["Restoring session…", "Opening your system keychain and connecting. One moment."]


def _places(window: MainWindow) -> list[Any]:
    return [window.place(info.key) for info in PAGES]


def _starting_text(window: MainWindow, *, on_screen: bool = False) -> list[str]:
    """The labels of the current page's place: those the window shows, or (``on_screen``)
    those visible now, the window being on screen."""
    place = window.pages.currentWidget()
    labels = place.findChildren(QLabel)
    return [
        label.text()
        for label in labels
        if (label.isVisible() if on_screen else label.isVisibleTo(window))
    ]


def test_before_the_services_the_window_shows_a_starting_state(window: MainWindow) -> None:
    assert isinstance(window.place(window.current_page), StartingView)
    assert window.session_label.text() == "Starting…"
    assert not window.window_actions.sign_in.isEnabled()
    window.window_actions.sign_in.trigger()  # disabled: nothing happens, nothing fails
    window.on_account(lambda account: account.sign_in(), show=True)  # waits for the page
    assert window.current_page == "account"
    window.window_actions.pages["keys"].trigger()  # type: ignore[union-attr]
    assert window.current_page == "keys"
    # No page is built before the services exist; each place says the app is starting.
    assert [window.page(info.key) for info in PAGES] == [None] * len(PAGES) == [None] * 5
    assert all(isinstance(window.place(info.key), StartingView) for info in PAGES)
    # Each page shown says so (its labels are made when it is first shown).
    for info in PAGES:
        window.show_page(info.key)
        assert _starting_text(window) == STARTING_TEXT, info.key
    with pytest.raises(RuntimeError, match="attach_services"):
        _ = window.account
    with pytest.raises(RuntimeError, match="attach_services"):
        window.frame("keys")


def test_title_navigation_and_shortcuts(window: MainWindow) -> None:
    actions = window.window_actions
    assert actions is not None
    assert window.windowTitle() == "TwinEdge Desktop — Local sandbox"
    names = [window.navigation.title(i) for i in range(window.navigation.count())]
    assert names == ["API Keys", "OAuth Applications", "Token Inspector", "Account", "Health"]
    tips = [window.navigation.item(i).toolTip() for i in range(window.navigation.count())]
    # OAuth Applications sits beside API Keys; the numbers people knew stay theirs.
    assert tips == [
        "API Keys (Ctrl+1)",
        "OAuth Applications (Ctrl+5)",
        "Token Inspector (Ctrl+2)",
        "Account (Ctrl+3)",
        "Health (Ctrl+4)",
    ]
    assert window.current_page == "account"  # first start: the sign-in page
    shortcuts = {
        name: [s.toString() for s in action.shortcuts()] for name, action in actions.pages.items()
    }
    assert shortcuts == {
        "keys": ["Ctrl+1"],
        "apps": ["Ctrl+5"],
        "inspector": ["Ctrl+2", "Ctrl+Shift+I"],
        "account": ["Ctrl+3"],
        "health": ["Ctrl+4", "Ctrl+Shift+H"],
    }
    assert window.window_actions.sign_in.shortcut().toString() == "Ctrl+L"
    assert actions.quit.shortcut().toString() == "Ctrl+Q"
    assert actions.refresh.shortcut().toString() == "F5"
    actions.pages["inspector"].trigger()
    assert window.current_page == "inspector"
    assert window.pages.currentIndex() == 2
    actions.pages["apps"].trigger()
    assert window.current_page == "apps"
    assert window.pages.currentIndex() == 1
    actions.pages["keys"].trigger()
    assert window.pages.currentIndex() == 0
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
    for key in ("Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4", "Ctrl+L", "Ctrl+Shift+I", "Ctrl+Q", "F5"):
        assert key in seen


async def test_services_build_every_page_bind_the_session_and_restore(
    window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    context = attach(services)
    session = services.sessions["sandbox"]
    assert window.account.controller.restoring
    await until(lambda: not window.account.controller.restoring)
    assert session.calls == ["restore"]
    assert window.session_label.text() == "Signed out — Local sandbox"
    keys, apps, inspector, account, health = (window.page(info.key) for info in PAGES)
    assert isinstance(keys, KeysPage) and isinstance(inspector, InspectorPage)
    assert isinstance(apps, AppsPage)
    assert isinstance(account, AccountView) and account is window.account
    assert isinstance(health, HealthPage)
    # Each page in its own scrolling place, in navigation order.
    frames = [window.frame(info.key) for info in PAGES]
    assert [frame.widget() for frame in frames] == [keys, apps, inspector, account, health]
    assert [window.pages.indexOf(frame) for frame in frames] == [0, 1, 2, 3, 4]
    assert window.pages.currentWidget() is window.frame("account")
    assert window.pages.count() == len(PAGES)
    assert not window.findChildren(StartingView)  # every place has its page
    # Each page comes from the module startup imports in a worker thread (app._PRELOAD).
    assert [type(window.page(info.key)).__module__ for info in PAGES] == [
        info.module for info in PAGES
    ]
    assert {info.module for info in PAGES} <= set(_PRELOAD)
    assert keys.state is PageState.SIGNED_OUT  # bound: nobody is signed in
    assert not inspector.current_button.isEnabled()
    # Building a page again keeps the one there.
    assert window.install_page(PAGES[0], context) is keys

    session.set_state(SessionState.SIGNED_IN, user_info())
    # The keys page and the Health page each got the person's keys.
    assert services.api_keys_calls == ["sandbox", "sandbox"]
    assert services.oauth_apps_calls == ["sandbox"]  # and the apps page their applications
    assert inspector.current_button.isEnabled()
    await until(lambda: keys.state is PageState.EMPTY)


async def test_a_pages_sign_in_button_takes_the_person_to_the_sign_in(
    window: MainWindow, attach: Attach
) -> None:
    attach()
    keys = window.page("keys")
    assert isinstance(keys, KeysPage)
    window.show_page("keys")
    keys.sign_in_button.click()
    assert window.current_page == "account"
    assert window.account.currentWidget() is window.account.signin_page


async def test_browser_sign_in_shows_the_account(
    window: MainWindow, attach: Attach, opened: list[str]
) -> None:
    services = FakeServices()
    attach(services)
    session = services.sessions["sandbox"]
    await until(lambda: not window.account.controller.restoring)
    window.show_page("keys")
    waiting = expect(window.account.controller.waiting)
    window.window_actions.sign_in.trigger()
    await waiting
    assert window.current_page == "account"
    assert opened == [session.authorization_url]
    assert window.session_label.text() == "Signing in to Local sandbox…"
    assert not window.window_actions.sign_in.isEnabled()

    succeeded = expect(window.account.controller.succeeded)
    assert session.pending is not None
    session.pending.set_result(user_info())
    await succeeded
    assert window.account.currentWidget() is window.account.account_page
    assert window.account.account_page.email_value.text() == "engineer@example.com"
    assert window.session_label.text() == "Signed in as engineer@example.com — Local sandbox"
    assert window.window_actions.sign_out.isEnabled()
    assert not window.window_actions.sign_in.isVisible()
    # No secret or account detail in the title.
    assert window.windowTitle() == "TwinEdge Desktop — Local sandbox"

    window.window_actions.sign_out.trigger()
    await until(lambda: session.state is SessionState.SIGNED_OUT)
    await until(lambda: window.account.currentWidget() is window.account.signin_page)


async def test_switching_profile_switches_session(
    window: MainWindow, attach: Attach, store: ProfileStore
) -> None:
    services = FakeServices()
    attach(services)
    sandbox_session = services.sessions["sandbox"]
    sandbox_session.set_state(SessionState.SIGNED_IN, user_info())
    cloud_index = window.profile_switcher.findData("cloud")
    assert window.profile_switcher.itemText(cloud_index) == "TwinEdge Cloud"
    window.profile_switcher.setCurrentIndex(cloud_index)
    window.profile_switcher.activated.emit(cloud_index)
    assert store.current_id == "cloud"
    assert json.loads(store.path.read_text())["current"] == "cloud"
    assert window.account.controller.session is services.sessions["cloud"]
    assert window.windowTitle() == "TwinEdge Desktop — TwinEdge Cloud"
    await until(lambda: not window.account.controller.restoring)
    assert services.sessions["cloud"].calls == ["restore"]
    assert window.account.currentWidget() is window.account.signin_page
    # Back to the sandbox: its session is still signed in, nothing restored twice.
    window.profile_switching.switch_to("sandbox")
    assert window.account.currentWidget() is window.account.account_page
    await until(lambda: not window.account.controller.restoring)
    assert sandbox_session.calls.count("restore") <= 1


async def test_keychain_unavailable_is_said_plainly_and_can_be_bypassed(
    window: MainWindow, attach: Attach, messages: Any
) -> None:
    services = FakeServices(
        keychain_error=KeychainUnavailable("no-dbus", "No keychain: D-Bus is not running.")
    )
    attach(services)
    session = services.sessions["sandbox"]
    assert session.calls == []  # nothing to restore from a keychain that is not there
    page = window.account.signin_page
    assert not page.keychain_banner.isHidden()
    assert "D-Bus is not running" in page.keychain_banner.message.text()
    assert not page.sign_in_button.isEnabled()
    page.continue_button.click()
    assert services.continued_without_keychain
    assert page.keychain_banner.isHidden()
    assert page.sign_in_button.isEnabled()
    assert any("without the keychain" in text for _, text in messages.records)


def test_messages_reach_the_banner_and_status_bar(window: MainWindow, messages: Any) -> None:
    banner = window.message_view.banner
    assert banner is not None
    messages.error("The API is not reachable.")
    assert not banner.isHidden()
    assert banner.message.text() == "The API is not reachable."
    assert banner.title.text() == "Something went wrong"
    messages.error("token te_" + "A" * 38)
    assert "te_AAAA" not in banner.message.text()  # redacted by the bridge
    window.message_view.dismiss()
    assert banner.isHidden() and window.message_view.isHidden()
    messages.info("Signed out.")
    assert window.statusBar().currentMessage() == "Signed out."
    assert window.message_view.isHidden()  # information never raises the banner
    messages.warning("The profile list could not be saved.")
    assert banner.property("level") == "warning" and not banner.title.isVisibleTo(banner)


def test_geometry_and_page_are_remembered(
    qtbot: Any, window: MainWindow, messages: Any, store: ProfileStore, settings: QSettings
) -> None:
    window.resize(800, 590)  # within the offscreen screen (800×600)
    window.show_page("inspector")
    window.save_geometry()
    text = Path(settings.fileName()).read_text()
    assert "geometry" in text and "inspector" in text
    again = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (800, 590)
    assert again.current_page == "inspector"
    settings.setValue("window/page", "a page from another version")
    third = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(third)
    assert third.current_page == "account"


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


async def test_f5_goes_to_the_page_that_has_its_own_and_reloads_the_others(
    window: MainWindow, attach: Attach, monkeypatch: pytest.MonkeyPatch
) -> None:
    attach()
    refresh = window.window_actions.refresh  # type: ignore[union-attr]
    keys, inspector = window.page("keys"), window.page("inspector")
    assert isinstance(keys, KeysPage) and isinstance(inspector, InspectorPage)
    window.show_page("keys")  # the keys page has its own F5 (Refresh beside its list)
    assert refresh.shortcuts() == []
    assert not refresh.isVisible()
    window.show_page("account")
    assert [s.toString() for s in refresh.shortcuts()] == ["F5"]
    assert refresh.isVisible()
    # Elsewhere, the window's Refresh reloads the page shown.
    reloaded: list[str] = []
    monkeypatch.setattr(inspector, "refresh", lambda: reloaded.append("inspector"))
    window.show_page("inspector")
    assert [s.toString() for s in refresh.shortcuts()] == ["F5"]
    refresh.trigger()
    assert reloaded == ["inspector"]
    window.show_page("account")
    restores = window.account.controller.session.calls  # type: ignore[union-attr]
    await until(lambda: not window.account.controller.restoring)
    refresh.trigger()  # signed out: F5 reads the saved sign-in again
    await until(lambda: restores.count("restore") == 2)


async def test_add_profile_from_discovery(
    window: MainWindow, attach: Attach, store: ProfileStore, messages: Any
) -> None:
    assert window.profile_switching.add_profile() is None  # before the services: says so
    assert messages.records[-1] == ("warning", "Still starting up: try again in a moment.")
    services = FakeServices()
    attach(services)
    dialog = window.profile_switching.add_profile()
    assert dialog is not None and dialog.isVisible()
    created = Profile(id="auth-example-com", name="Example", issuer="https://auth.example.com")
    dialog.profile_created.emit(created)
    assert store.current_id == "auth-example-com"
    assert json.loads(store.path.read_text())["current"] == "auth-example-com"
    assert messages.records[-1] == ("info", "Added the profile Example.")
    assert window.profile_switcher.currentText() == "Example"
    assert window.account.controller.session is services.sessions["auth-example-com"]
    names = [window.profile_switcher.itemText(i) for i in range(window.profile_switcher.count())]
    assert names[:2] == ["TwinEdge Cloud", "Local sandbox"]
    assert names[-1] == "Add profile…"
    dialog.close()


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
    window.window_actions.about.trigger()  # type: ignore[union-attr]
    box = window.help.about_box
    assert box is not None
    qtbot.waitUntil(box.isVisible, timeout=2000)
    assert __version__ in box.text()
    assert "Licence: MIT" in box.informativeText()
    assert 'href="https://api.twinedgeai.com"' in box.informativeText()
    box.close()


async def test_copy_diagnostics_after_sign_in_has_endpoints_and_no_secret(
    window: MainWindow, attach: Attach, messages: Any, store: ProfileStore, tmp_path: Path
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
    attach(services)
    session = services.sessions["sandbox"]
    await until(lambda: not window.account.controller.restoring)
    session.set_state(SessionState.SIGNED_IN, user_info())
    token = await session.access_token()
    window.help.log_file = tmp_path / "logs" / "twinedge-desktop.log"

    window.window_actions.diagnostics.trigger()
    text = QGuiApplication.clipboard().text()
    assert text == window.help.diagnostics_text()
    assert f"TwinEdge Desktop {__version__}" in text
    assert "Keychain backend: Secret Service (GNOME Keyring)" in text
    assert "issuer: http://127.0.0.1:8765" in text
    assert "issuer: https://auth.corp.example" in text
    assert "API base: https://api.corp.example" in text
    assert str(window.help.log_file.name) in text
    assert password not in text and "admin" not in text
    assert token not in text
    assert ("info", messages.records[-1][1]) == messages.records[-1]
    assert "Diagnostics copied to the clipboard" in messages.records[-1][1]


def test_diagnostics_before_services_and_without_keychain(
    window: MainWindow, attach: Attach
) -> None:
    assert "Keychain backend: not opened yet" in window.help.diagnostics_text()
    attach(FakeServices(keychain_error=KeychainUnavailable("no-dbus", "No keychain.")))
    assert "Keychain backend: none available" in window.help.diagnostics_text()


def test_log_location_is_the_real_log_file(
    window: MainWindow, qtbot: Any, tmp_path: Path, restore_logging: None
) -> None:
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    window.help.log_file = configure_logging(paths, False, console=False)
    logging.getLogger("twinedge_desktop.test").warning("a line for the log file")
    for handler in logging.getLogger().handlers:
        handler.flush()

    window.window_actions.log_location.trigger()  # type: ignore[union-attr]
    box = window.help.log_location_box
    assert box is not None
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
    assert not window.help.open_log_folder()  # not configured yet: says so
    assert messages.records[-1][0] == "warning"
    window.help.log_file = tmp_path / "logs" / "twinedge-desktop.log"
    window.window_actions.open_log_folder.trigger()  # type: ignore[union-attr]
    assert [u.toLocalFile() for u in opened_urls] == [str(tmp_path / "logs")]


async def test_keychain_problem_is_shown_on_the_account_page(
    window: MainWindow, attach: Attach
) -> None:
    services = FakeServices()
    attach(services)
    session = services.sessions["sandbox"]
    session.keychain_problem = KeychainUnavailable("locked", "The keychain is locked.")
    session.set_state(SessionState.SIGNED_IN, user_info())
    text = window.account.account_page.keychain_value.text()
    assert text.startswith("Secret Service (GNOME Keyring) — not saved:")
    assert "The keychain is locked." in text


# --- the first frame --------------------------------------------------------------------
def test_deferred_chrome_paints_the_shell_first_then_builds_the_rest(
    qtbot: Any, messages: Any, store: ProfileStore, settings: QSettings
) -> None:
    shell = MainWindow(messages=messages, profiles=store, settings=settings, defer_chrome=True)
    qtbot.addWidget(shell)
    # The first frame: title, navigation and the "Restoring session…" state, no chrome yet.
    assert shell.windowTitle() == "TwinEdge Desktop — Local sandbox"
    assert shell.navigation.count() == len(PAGES) == 5
    assert isinstance(shell.place(shell.current_page), StartingView)
    assert shell.session_label.text() == "Starting…"
    assert shell.window_actions is None and not shell.message_view.built
    messages.warning("Could not save the profile list.")  # before the banner exists
    messages.info("Loaded.")
    with qtbot.waitSignal(shell.first_painted, timeout=5000):
        shell.show()
    assert shell.painted
    assert _starting_text(shell, on_screen=True) == STARTING_TEXT
    # Only the place shown made its labels; another one makes them before it is shown, so
    # they are on screen with it (not a loop turn later).
    assert [isinstance(place, StartingView) and place.filled for place in _places(shell)] == [
        info.key == shell.current_page for info in PAGES
    ]
    shell.show_page("keys")
    assert _starting_text(shell, on_screen=True) == STARTING_TEXT

    shell.build_chrome()
    shell.build_chrome()  # once only
    assert shell.window_actions is not None
    assert len([a for a in shell.menuBar().actions() if a.text()]) == 4
    assert not shell.window_actions.sign_in.isEnabled()
    # The messages posted before the banner existed are shown now, in order.
    banner = shell.message_view.banner
    assert banner is not None and not banner.isHidden()
    assert banner.message.text() == "Could not save the profile list."
    assert shell.statusBar().currentMessage() == "Loaded."
    shell.window_actions.pages["keys"].trigger()  # type: ignore[union-attr]
    assert shell.current_page == "keys"


async def test_attach_services_builds_a_deferred_chrome(
    qtbot: Any,
    messages: Any,
    store: ProfileStore,
    settings: QSettings,
    inspector: TokenInspector,
) -> None:
    shell = MainWindow(messages=messages, profiles=store, settings=settings, defer_chrome=True)
    qtbot.addWidget(shell)
    shell.attach_services(
        PageContext(
            runner=TaskRunner(messages),
            messages=messages,
            profiles=store,
            settings=settings,
            services=FakeServices(),  # type: ignore[arg-type]
            token_inspector=inspector,
            open_browser=lambda url: True,
            show_sign_in=shell.show_sign_in,
        )
    )
    assert shell.window_actions is not None
    assert shell.account.currentWidget() is shell.account.signin_page
    await until(lambda: not shell.account.controller.restoring)


@pytest.mark.qt_log_ignore(r"This plugin does not support raise")  # offscreen: no windows
async def test_the_health_page_reports_a_count_and_asks_the_keys_page_for_actions(
    window: MainWindow, attach: Attach
) -> None:
    from PySide6.QtCore import Qt

    from tests.helpers.keys import make_key
    from twinedge_desktop.ui.common.key_actions import KeyAction, KeyActionRequest
    from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog

    attach()
    keys, health = window.page("keys"), window.page("health")
    assert isinstance(keys, KeysPage) and isinstance(health, HealthPage)
    item = window.navigation.item([info.key for info in PAGES].index("health"))
    # The count a page reports is on its navigation entry, and said to screen readers.
    window.navigation.set_compact(False)
    health.attention_changed.emit(3, "3 keys need attention")
    assert item.text() == "Health (3)"
    window.navigation.set_compact(True)  # a narrow window: the icon and the number
    assert item.text() == "3"
    window.navigation.set_compact(False)
    assert item.toolTip() == "Health: 3 keys need attention (Ctrl+4)"
    assert item.data(Qt.ItemDataRole.AccessibleTextRole) == "Health, 3 keys need attention"
    health.attention_changed.emit(0, "No key needs attention")
    assert (item.text(), item.toolTip()) == ("Health", "Health (Ctrl+4)")
    # A clicked notification brings the window forward on that page.
    window.show_page("keys")
    health.show_requested.emit()
    assert window.current_page == "health"
    # A key action the Health page asks for opens on the keys page (the page stays).
    key = make_key("gateway")
    health.key_action_requested.emit(KeyActionRequest(KeyAction.SHOW_DETAILS, key))
    details = [d for d in keys.findChildren(KeyDetailsDialog) if d.isVisible()]
    assert len(details) == 1 and window.current_page == "health"
    details[0].reject()


def test_routes_connect_pages_in_whatever_order_they_are_built(qtbot: Any) -> None:
    from PySide6.QtCore import QObject, Signal

    from twinedge_desktop.ui.common.page import PageInfo
    from twinedge_desktop.ui.shell.routes import PageRoutes

    class Asker(QObject):
        key_action_requested = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.updated: list[object] = []

        def key_updated(self, key: object) -> None:
            self.updated.append(key)

    class Doer(QObject):
        key_changed = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.performed: list[object] = []

        def perform_key_action(self, request: object) -> object:
            self.performed.append(request)
            return None

    def info(key: str) -> PageInfo:
        return PageInfo(key, key, "key", "x", lambda context: None)  # type: ignore[arg-type,return-value]

    for order in ("asker first", "doer first"):
        routes = PageRoutes(lambda *args: None, lambda key: None)
        asker, doer = Asker(), Doer()
        pages = [(info("a"), asker), (info("d"), doer)]
        for page_info, page in pages if order == "asker first" else pages[::-1]:
            routes.page_installed(page_info, page)  # type: ignore[arg-type]
        asker.key_action_requested.emit("rotate k")
        doer.key_changed.emit("k changed")
        assert (doer.performed, asker.updated) == (["rotate k"], ["k changed"]), order


@pytest.mark.qt_log_ignore(r"This plugin does not support raise")  # offscreen: no windows
async def test_try_its_access_token_opens_in_the_token_inspector(
    window: MainWindow, attach: Attach, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The apps page asks; the shell (the only one that knows both pages) routes it."""
    attach()
    apps, inspector = window.page("apps"), window.page("inspector")
    assert isinstance(apps, AppsPage) and isinstance(inspector, InspectorPage)
    verified: list[str] = []
    monkeypatch.setattr(
        inspector, "verify", lambda: verified.append(inspector.token_edit.toPlainText())
    )
    window.show_page("apps")
    apps.inspect_token_requested.emit("header.payload.signature")
    assert window.current_page == "inspector"
    assert verified == ["header.payload.signature"]
