r"""The main window: navigation between the feature pages, the page stack and the geometry.

Built in three steps, so a person sees the window before anything slow happens: the
constructor makes the first frame (title, navigation, a "Restoring session…" place per
page, the status line); :meth:`MainWindow.build_chrome`, right after the first paint, the
menus, toolbar and actions (``actions.py``), the profile list and the message banner
(``message_view.py``); :meth:`MainWindow.attach_services`, once ``app.py`` has the
services, builds every page (``pages.py`` lists them) and binds them to the session.

Pages are :class:`~twinedge_desktop.ui.common.page.Page`\ s, each in a scrolling
:class:`~twinedge_desktop.ui.shell.frame.PageFrame` once built (a ``StartingView`` holds
its place until then): the window binds them, forwards F5,
and lends the current page's shortcuts to the whole window (``frame.py``); ``routes.py``
connects what pages ask of each other. Beside it: ``preferences.py`` (Theme, Preferences…),
``activation.py`` (profiles and sign-ins changed by other processes) and the account
feature's ``profiles.py`` (switch, add, rename, remove).

Signals:
    closed(): the window was closed (the app shuts down in order).
    first_painted(): the window has been painted once (slow startup work may begin).
    page_changed(str): the key of the page now shown ("keys", "inspector", "account"…).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from twinedge_desktop.config import ProfileStore
from twinedge_desktop.ui.common.messages import MessageBridge
from twinedge_desktop.ui.common.style import app_icon
from twinedge_desktop.ui.shell.frame import (
    MINIMUM_WINDOW_SIZE,
    Navigation,
    PageFrame,
    PageKeyboard,
    PageStack,
)
from twinedge_desktop.ui.shell.message_view import MessageView
from twinedge_desktop.ui.shell.pages import ACCOUNT, DEFAULT_PAGE, PAGES, SHORTCUT_NUMBERS
from twinedge_desktop.ui.shell.routes import PageRoutes, bring_forward

# ``Qt`` (the namespace of enums) is imported inside the methods that use it: importing it
# builds every one of its enum classes, ~35 ms that the first frame does not need.
if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QResizeEvent

    from twinedge_desktop.ui.account.profiles import ProfileSwitcher, ProfileSwitching
    from twinedge_desktop.ui.account.session_controller import SessionController
    from twinedge_desktop.ui.account.view import AccountView
    from twinedge_desktop.ui.common.page import Page, PageContext, PageInfo
    from twinedge_desktop.ui.shell.actions import WindowActions
    from twinedge_desktop.ui.shell.activation import ActivationSync
    from twinedge_desktop.ui.shell.preferences import PreferencesController

# The first window, before any size is remembered: room for all seven columns of the keys
# table and their names, but never more than most of the screen.
DEFAULT_WINDOW = QSize(1280, 800)
_PAGE_KEYS = [info.key for info in PAGES]


def default_window_size(available: QSize) -> QSize:
    """``DEFAULT_WINDOW``, shrunk to 90% of the ``available`` screen area when that is smaller."""
    return DEFAULT_WINDOW.boundedTo(
        QSize(available.width() * 9 // 10, available.height() * 9 // 10)
    )


class MainWindow(QMainWindow):
    """The one main window (see module docstring)."""

    closed = Signal()
    page_changed = Signal(str)
    first_painted = Signal()

    def __init__(
        self,
        *,
        messages: MessageBridge,
        profiles: ProfileStore,
        settings: QSettings,
        parent: QWidget | None = None,
        defer_chrome: bool = False,
    ) -> None:
        """Build the first frame, and the chrome too unless ``defer_chrome`` (``app.run``)."""
        super().__init__(parent)
        self._messages = messages
        self._profiles = profiles
        self._settings = settings
        self._pages: dict[str, Page] = {}
        self.window_actions: WindowActions | None = None
        self.painted = False
        self.setObjectName("MainWindow")
        self.setMinimumSize(MINIMUM_WINDOW_SIZE)

        self.navigation = Navigation(PAGES, SHORTCUT_NUMBERS)
        self._routes = PageRoutes(self.navigation.set_page_badge, partial(bring_forward, self))
        self.pages = PageStack(len(PAGES))  # "Restoring session…" until a page is built
        self.keyboard = PageKeyboard(self)
        self.navigation.currentRowChanged.connect(self._row_changed)

        self.session_label = QLabel("Starting…")
        self.session_label.setAccessibleName("Session status")
        self.statusBar().addPermanentWidget(self.session_label)
        self.message_view = MessageView(messages, self.statusBar())
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.message_view)
        column.addWidget(self.pages, 1)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addWidget(right, 1)
        self.setCentralWidget(central)

        self._restore_geometry()
        self.navigation.follow_window_width(self.width())
        self._update_title()
        if not defer_chrome:
            self.build_chrome()

    def build_chrome(self) -> None:
        """Menus, toolbar, actions, profile list and message banner (once), after the paint."""
        if self.window_actions is not None:
            return
        from twinedge_desktop.ui.account.profiles import ProfileSwitcher, ProfileSwitching
        from twinedge_desktop.ui.shell.actions import WindowActions
        from twinedge_desktop.ui.shell.activation import ActivationSync
        from twinedge_desktop.ui.shell.help import Help
        from twinedge_desktop.ui.shell.preferences import PreferencesController

        window_icon = app_icon()
        if window_icon is not None:
            self.setWindowIcon(window_icon)
        self.profile_switcher: ProfileSwitcher = ProfileSwitcher(self._profiles)
        self.profile_switching: ProfileSwitching = ProfileSwitching(
            self._profiles, self._messages, self
        )
        self.profile_switcher.profile_chosen.connect(self.profile_switching.switch_to)
        self.profile_switcher.add_requested.connect(self.profile_switching.add_profile)
        self.profile_switching.current_changed.connect(self.profiles_changed)
        self.profile_switching.removed.connect(
            lambda profile_id: self.on_account(lambda account: account.forget_profile(profile_id))
        )
        self.help: Help = Help(self, self._profiles, self._messages)
        actions = self.window_actions = WindowActions(self, self.help, PAGES)
        self.toolbar = actions.build_toolbar(self, self.profile_switcher)
        self.help_menu = actions.build_menus(self)
        self.preferences: PreferencesController = PreferencesController(
            self, self._profiles, self._messages, actions
        )
        self.activation: ActivationSync = ActivationSync(self, self._profiles, self._messages)
        state = self._settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        actions.claim_refresh_key(self.page(self.current_page))
        actions.follow_profile(self._profiles.current.builtin)
        if ACCOUNT.key in self._pages:
            actions.follow_session(self._controller)
        self.message_view.build()

    # --- pages ---------------------------------------------------------------------------
    def attach_services(self, context: PageContext) -> None:
        """Build the pages not built yet, then bind the current profile's session."""
        self.build_chrome()
        for info in PAGES:
            self.install_page(info, context)
        self.help.services = context.services
        self.profile_switching.attach(context.runner, context.services)
        self.activation.attach(context.runner, context.services)
        self.account.bind_current_profile()

    def install_page(self, info: PageInfo, context: PageContext) -> Page:
        """Build ``info``'s page in its place (once); ``app.py`` builds one per loop turn."""
        page = self._pages.get(info.key)
        if page is not None:
            return page
        page = info.build(context)
        if not isinstance(page, QWidget):
            raise TypeError(f"The {info.title} page is not a widget.")
        self.pages.hold(_PAGE_KEYS.index(info.key), page)
        self._pages[info.key] = page
        self._routes.page_installed(info, page)
        if info is ACCOUNT:
            self._controller.changed.connect(self._session_changed)
            self._controller.succeeded.connect(self._signed_in)
            self._session_changed()
        if info.key == self.current_page:
            self.keyboard.page_shown(page)
            if self.window_actions is not None:
                self.window_actions.claim_refresh_key(page)
        return page

    def place(self, key: str) -> QWidget:
        """The page ``key``'s place: a StartingView until the page is built, then its frame."""
        return self.pages.place(_PAGE_KEYS.index(key))

    def frame(self, key: str) -> PageFrame:
        """The scrolling place of the page ``key``, once it is built (RuntimeError before)."""
        return self.pages.frame(_PAGE_KEYS.index(key))

    def page(self, key: str) -> QWidget | None:
        """The page built for ``key``, or None before the services exist."""
        page = self._pages.get(key)
        return page if isinstance(page, QWidget) else None

    @property
    def account(self) -> AccountView:
        """The Account page, which speaks for the File menu's sign-in actions."""
        from twinedge_desktop.ui.account.view import AccountView

        page = self._pages.get(ACCOUNT.key)
        if not isinstance(page, AccountView):
            raise RuntimeError("The Account page is built with the services (attach_services).")
        return page

    @property
    def _controller(self) -> SessionController:
        return self.account.controller

    # --- navigation and actions ----------------------------------------------------------
    def show_page(self, key: str, *, focus: bool = False) -> None:
        """Show the page ``key``; ``focus`` (a keyboard jump, Ctrl+1…) also moves the
        keyboard focus into it."""
        self.navigation.setCurrentRow(_PAGE_KEYS.index(key))
        if focus:
            self.keyboard.focus_into(self.page(key))

    @property
    def current_page(self) -> str:
        return PAGES[max(0, self.navigation.currentRow())].key

    def _row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.pages.show_row(row)
        page = self.page(PAGES[row].key)
        self.keyboard.page_shown(page)
        if self.window_actions is not None:
            self.window_actions.claim_refresh_key(page)
        self.page_changed.emit(PAGES[row].key)

    def refresh(self) -> None:
        """F5: reload what the current page shows."""
        page = self._pages.get(self.current_page)
        if page is not None:
            page.refresh()

    def on_account(self, act: Callable[[AccountView], object], *, show: bool = False) -> None:
        """Let the Account page act (the File menu's sign-in actions) once it exists;
        ``show`` brings it to the front first, even while it does not yet."""
        if show:
            self.show_page(ACCOUNT.key)
        if ACCOUNT.key in self._pages:
            act(self.account)

    def show_sign_in(self) -> None:
        """Take the person to the sign-in (a page's "Sign in…")."""
        self.show_page(ACCOUNT.key)

    def open_profile_list(self) -> None:
        self.profile_switcher.setFocus()
        self.profile_switcher.showPopup()

    def profiles_changed(self) -> None:
        """The profiles (or the current one) changed, here or in another process."""
        self.profile_switcher.reload()
        self._update_title()
        self._actions.follow_profile(self._profiles.current.builtin)
        self.preferences.apply_theme()  # another window may have chosen another theme
        if ACCOUNT.key in self._pages:
            self.account.bind_current_profile()

    # --- the session ---------------------------------------------------------------------
    def _signed_in(self) -> None:
        self.show_page(ACCOUNT.key)
        # Bring the window back in front of the browser the person just used.
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    def _session_changed(self) -> None:
        controller = self._controller
        session = controller.session
        info = controller.signed_in_info
        if self.window_actions is not None:
            self.window_actions.follow_session(controller)
        self.session_label.setText(controller.status_text(self._profiles.current.name))
        self._update_title()
        from twinedge_desktop.ui.common.page import SessionBinding

        binding = SessionBinding(session.profile if session is not None else None, session, info)
        for page in self._pages.values():
            page.bind(binding)

    def _update_title(self) -> None:
        # Only the profile's name: never an account detail or anything secret.
        self.setWindowTitle(f"TwinEdge Desktop — {self._profiles.current.name}")

    @property
    def _actions(self) -> WindowActions:
        if self.window_actions is None:
            raise RuntimeError("The actions are built with the chrome (build_chrome).")
        return self.window_actions

    # --- geometry ------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(default_window_size(self.screen().availableGeometry().size()))
        # The toolbar's state is restored with the toolbar (build_chrome).
        page = self._settings.value("window/page", DEFAULT_PAGE)
        self.show_page(page if page in _PAGE_KEYS else DEFAULT_PAGE)

    def save_geometry(self) -> None:
        """Remember size, position and page (non-secret only)."""
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        self._settings.setValue("window/page", self.current_page)
        self._settings.sync()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.navigation.follow_window_width(self.width())

    def event(self, event: QEvent) -> bool:
        if not self.painted and event.type() == QEvent.Type.Paint:
            self.painted = True
            # After this paint has been handled: startup work then begins behind it.
            QTimer.singleShot(0, self, self.first_painted.emit)
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        super().closeEvent(event)
        # Emitted after the event: the app then shuts services down in order.
        QTimer.singleShot(0, self, self.closed.emit)
