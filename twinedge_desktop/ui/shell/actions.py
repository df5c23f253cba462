"""The window's actions, its toolbar and its menus, and which actions the session allows.

Every action is added to the window, so its shortcut works even when the menu bar is
hidden. Built right after the first paint (``MainWindow.build_chrome``): the actions'
icons and the menus are not needed for the first frame. What the newer actions do lives
beside them: View ▸ Theme and Preferences… in ``preferences.py``, Rename and Remove
profile in the account feature's ``profiles.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QSizePolicy, QToolBar, QWidget

from twinedge_desktop.config import THEMES
from twinedge_desktop.ui.common.page import PageInfo
from twinedge_desktop.ui.common.style import icon, set_role
from twinedge_desktop.ui.shell.pages import SHORTCUT_NUMBERS

if TYPE_CHECKING:
    from twinedge_desktop.ui.account.session_controller import SessionController
    from twinedge_desktop.ui.account.view import AccountView
    from twinedge_desktop.ui.shell.help import Help
    from twinedge_desktop.ui.shell.main_window import MainWindow

REFRESH_KEY = "F5"
PREFERENCES_KEY = "Ctrl+,"
THEME_TITLES = {"system": "&System", "light": "&Light", "dark": "&Dark"}


def _action(
    window: QMainWindow,
    text: str,
    slot: Callable[[], object],
    shortcuts: Sequence[str] = (),
    icon_name: str | None = None,
) -> QAction:
    action = QAction(text, window)
    if icon_name:
        action.setIcon(icon(icon_name))
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setToolTip(f"{text.rstrip('…')} ({shortcuts[0]})")
    action.triggered.connect(slot)
    window.addAction(action)  # shortcuts work even when the menu bar is hidden
    return action


def page_shortcuts(pages: Sequence[PageInfo]) -> dict[str, tuple[str, ...]]:
    """Ctrl+<number> (``pages.SHORTCUT_NUMBERS``), then each page's own extra shortcuts."""
    return {
        page.key: (f"Ctrl+{SHORTCUT_NUMBERS[page.key]}", *page.extra_shortcuts) for page in pages
    }


class WindowActions:
    """The window's actions: File (sign-in, Preferences), Profile (switch, add, rename,
    remove), View (pages, Theme, refresh), Help."""

    def __init__(self, window: MainWindow, help_: Help, pages: Sequence[PageInfo]) -> None:
        def add(
            text: str,
            slot: Callable[[], object],
            shortcuts: Sequence[str] = (),
            icon_name: str | None = None,
        ) -> QAction:
            return _action(window, text, slot, shortcuts, icon_name)

        def on_account(
            act: Callable[[AccountView], object], *, show: bool = False
        ) -> Callable[[], None]:
            return lambda: window.on_account(act, show=show)

        self.sign_in = add(
            "Sign in with browser",
            on_account(lambda account: account.sign_in(), show=True),
            ("Ctrl+L",),
            "sign-in",
        )
        self.service = add(
            "Service account sign-in…",
            on_account(lambda account: account.service_sign_in(), show=True),
            ("Ctrl+Shift+S",),
            "service",
        )
        self.api_key = add(
            "Use an API key…",
            on_account(lambda account: account.use_api_key(), show=True),
            ("Ctrl+Shift+K",),
            "key",
        )
        self.sign_out = add(
            "Sign out",
            on_account(lambda account: account.sign_out()),
            ("Ctrl+Shift+L",),
            "sign-out",
        )
        self.cancel = add("Cancel sign-in", on_account(lambda account: account.cancel_sign_in()))
        self.copy_link = add(
            "Copy sign-in link",
            on_account(lambda account: account.copy_sign_in_link()),
            ("Ctrl+Shift+C",),
            "copy",
        )
        self.quit = add("Quit", window.close, ("Ctrl+Q",))
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.preferences = add(
            "Preferences…", lambda: window.preferences.open_dialog(), (PREFERENCES_KEY,)
        )
        self.preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        shortcuts = page_shortcuts(pages)
        self.pages = {
            page.key: add(page.title, _go_to(window, page.key), shortcuts[page.key], page.icon)
            for page in pages
        }
        self.refresh = add("Refresh", window.refresh, (REFRESH_KEY,), "refresh")
        self.themes = QActionGroup(window)
        self.themes.setExclusive(True)
        self.theme: dict[str, QAction] = {}
        for choice in THEMES:
            action = QAction(THEME_TITLES[choice], self.themes)
            action.setCheckable(True)
            action.triggered.connect(partial(_choose_theme, window, choice))
            self.theme[choice] = action
        self.switch_profile = add(
            "Switch profile…", window.open_profile_list, ("Ctrl+P",), "server"
        )
        self.add_profile = add(
            "Add profile…", window.profile_switching.add_profile, ("Ctrl+Shift+N",), "add"
        )
        self.rename_profile = add(
            "&Rename profile…", lambda: window.profile_switching.rename_current()
        )
        self.remove_profile = add(
            "Re&move profile…", lambda: window.profile_switching.remove_current()
        )
        self.about = add("About TwinEdge Desktop", help_.about)
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self.diagnostics = add("Copy diagnostics", help_.copy_diagnostics, icon_name="copy")
        self.log_location = add("Show log file location…", help_.show_log_location)
        self.open_log_folder = add("Open log folder", help_.open_log_folder)
        self.sign_in_actions = (
            self.sign_in,
            self.service,
            self.api_key,
            self.sign_out,
            self.copy_link,
            self.cancel,
        )
        for action in self.sign_in_actions:
            action.setEnabled(False)  # until a session is bound
        self.sign_out.setVisible(False)

    def follow_session(self, controller: SessionController) -> None:
        """Enable what the bound session allows now, as the sign-in page does: sign in or
        out (not while no keychain can keep a sign-in), cancel, copy the link."""
        signed_in = controller.signed_in_info is not None
        self.sign_in.setVisible(not signed_in)
        self.sign_in.setEnabled(controller.can_sign_in and not signed_in)
        # Enabled while signed in too: their shortcuts then say why not (AccountView).
        self.service.setEnabled(signed_in or controller.can_sign_in)
        self.api_key.setEnabled(signed_in or controller.can_use_api_key)
        self.sign_out.setVisible(signed_in)
        self.sign_out.setEnabled(signed_in and not controller.busy)
        self.copy_link.setEnabled(controller.authorization_url is not None)
        self.cancel.setEnabled(controller.signing_in)

    def follow_profile(self, builtin: bool) -> None:
        """Built-in profiles (TwinEdge Cloud, the local sandbox) are not renamed or removed."""
        for action in (self.rename_profile, self.remove_profile):
            action.setEnabled(not builtin)
            action.setToolTip("" if not builtin else "Built-in profiles stay as they are")

    def show_theme(self, choice: str) -> None:
        """Tick ``choice`` in View ▸ Theme."""
        action = self.theme.get(choice)
        if action is not None:
            action.setChecked(True)

    def claim_refresh_key(self, page: QWidget | None) -> None:
        """Give F5 to ``page`` when it has its own F5 action; else to the window's Refresh.

        Two actions on one key in one window are ambiguous to Qt, and then neither fires.
        """
        f5 = QKeySequence(REFRESH_KEY)
        page_has_own = page is not None and any(a.shortcut() == f5 for a in page.actions())
        self.refresh.setShortcuts([] if page_has_own else [f5])
        self.refresh.setVisible(not page_has_own)  # no second Refresh button

    def build_toolbar(self, window: QMainWindow, profile_list: QWidget) -> QToolBar:
        """Profile list on the left; Refresh, Sign in / Sign out on the right."""
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        set_role(toolbar, "toolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        label = QLabel("  Profile ")
        label.setBuddy(profile_list)
        toolbar.addWidget(label)
        toolbar.addWidget(profile_list)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.refresh)
        toolbar.addAction(self.sign_in)
        toolbar.addAction(self.sign_out)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        return toolbar

    def build_menus(self, window: QMainWindow) -> QMenu:
        """File, Profile, View and Help; returns the Help menu."""
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.sign_in, self.service, self.api_key, self.copy_link, self.sign_out):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.preferences)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        self.profile_menu = bar.addMenu("&Profile")
        for action in (
            self.switch_profile,
            self.add_profile,
            self.rename_profile,
            self.remove_profile,
        ):
            self.profile_menu.addAction(action)
        view_menu = self.view_menu = bar.addMenu("&View")
        for action in self.pages.values():
            view_menu.addAction(action)
        view_menu.addSeparator()
        self.theme_menu = view_menu.addMenu("&Theme")
        for action in self.theme.values():
            self.theme_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.refresh)
        help_menu = bar.addMenu("&Help")
        for action in (self.diagnostics, self.log_location, self.open_log_folder):
            help_menu.addAction(action)
        help_menu.addSeparator()
        help_menu.addAction(self.about)
        return help_menu


def _go_to(window: MainWindow, key: str) -> Callable[[], None]:
    """Ctrl+1…: show the page and move the keyboard into it (its keys work at once)."""
    return lambda: window.show_page(key, focus=True)


def _choose_theme(window: MainWindow, choice: str, _checked: bool = False) -> None:
    window.preferences.set_theme(choice)
