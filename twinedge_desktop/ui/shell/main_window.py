"""The main window: navigation to API Keys, Token Inspector and Account, and the profile switcher.

The window is built and shown before any service exists (fast first paint, with
a visible "Starting…/Restoring session…" state); ``app.py`` then hands it the
services with :meth:`MainWindow.attach_services`. The API Keys and Token
Inspector pages come from their own modules, imported only then; until those
modules exist the window shows an honest "coming" page instead.

Signals:
    closed(): the window was closed (the app shuts down in order).
    first_painted(): the window has been painted once (slow startup work may begin).
    page_changed(str): "keys", "inspector" or "account".
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop import APP_NAME, __version__
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import ConfigError, ProfileStore
from twinedge_desktop.ui.common.messages import MessageBridge
from twinedge_desktop.ui.common.style import app_icon, icon, set_role
from twinedge_desktop.ui.common.widgets import centered_column

# ``Qt`` (the namespace of enums) is imported inside the methods that use it: its
# first use builds every one of its enum classes, ~40 ms that the first frame does
# not need (it is paid right after the paint instead).
if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent

    from twinedge_desktop.config import Profile
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.account.session_controller import SessionController
    from twinedge_desktop.ui.common.tasks import TaskRunner

log = logging.getLogger(__name__)

PAGES = ("keys", "inspector", "account")
HOMEPAGE = "https://api.twinedgeai.com"  # pyproject.toml's [project.urls] Homepage
LICENCE = "MIT"
_PAGE_TITLES = {"keys": "API Keys", "inspector": "Token Inspector", "account": "Account"}
_PAGE_ROLE = 0x0100  # Qt.ItemDataRole.UserRole, by value (see the note on Qt above)
_PAGE_ICONS = {"keys": "key", "inspector": "inspect", "account": "account"}
_COMING = {
    "keys": "Listing, creating (with scopes and expiry), copying once, revoking and rotating "
    "API keys is being built and arrives in a coming version.",
    "inspector": "Decoding a JWT, explaining its claims and verifying it against the "
    "issuer's keys is being built and arrives in a coming version.",
}


# The first window, before any size is remembered: room for all seven columns of the keys
# table and their names, but never more than most of the screen.
DEFAULT_WINDOW = QSize(1280, 800)


def default_window_size(available: QSize) -> QSize:
    """``DEFAULT_WINDOW``, shrunk to 90% of the ``available`` screen area when that is smaller."""
    return DEFAULT_WINDOW.boundedTo(
        QSize(available.width() * 9 // 10, available.height() * 9 // 10)
    )


class ComingPage(QWidget):
    """An honest placeholder for a page that is not there yet: no fake data."""

    def __init__(self, page: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(f"{_PAGE_TITLES[page]} — coming soon")
        set_role(title, "heading")
        text = QLabel(_COMING[page])
        text.setWordWrap(True)
        set_role(text, "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addStretch(1)


class StartingView(QWidget):
    """What the Account page shows in the first moments, before anything is loaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setSpacing(12)
        # Plain labels (nothing here is worth selecting): the first frame stays cheap.
        heading = QLabel("Restoring session…")
        set_role(heading, "heading")
        detail = QLabel("Opening your system keychain and connecting. One moment.")
        detail.setWordWrap(True)
        set_role(detail, "muted")
        layout.addWidget(heading)
        layout.addWidget(detail)
        centered_column(self, column, max_width=620)


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
        """Build the window's shell, and its chrome unless ``defer_chrome``.

        The shell is the first frame a person sees: title, navigation and the
        "Restoring session…" state. The chrome (menus, toolbar, actions, profile
        switcher, message banner) is what the shell does not need to be painted;
        ``app.run()`` defers it to :meth:`build_chrome` right after the first paint.
        """
        super().__init__(parent)
        self._runner_: TaskRunner | None = None
        self._controller_: SessionController | None = None
        self._messages = messages
        self._profiles = profiles
        self._settings = settings
        self._services: CoreServices | None = None
        self._restore_tried: set[str] = set()
        self._bound_key: tuple[Any, ...] | None = None
        self.keys_page: QWidget = ComingPage("keys")
        self.inspector_page: QWidget = ComingPage("inspector")
        self._dialogs: list[QWidget] = []
        self.painted = False
        self.chrome_built = False
        self._pending_messages: list[tuple[str, str]] = []
        # Where the rotating log file is; app.py sets it once logging is configured.
        self.log_file: Path | None = None

        self.setObjectName("MainWindow")
        self.setMinimumSize(QSize(760, 520))

        # The sign-in and account pages arrive with attach_runtime(), after the first paint.
        self.account_container = QStackedWidget()
        self.starting_view = StartingView()
        self.account_container.addWidget(self.starting_view)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        set_role(self.navigation, "navigation")
        self.navigation.setAccessibleName("Pages")
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setFixedWidth(196)
        self.navigation.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.pages = QStackedWidget()
        self.pages.setAccessibleName("Page")
        for number, page in enumerate(PAGES, start=1):
            item = QListWidgetItem(icon(_PAGE_ICONS[page]), _PAGE_TITLES[page])
            item.setToolTip(f"{_PAGE_TITLES[page]} (Ctrl+{number})")
            item.setData(_PAGE_ROLE, page)
            self.navigation.addItem(item)
        self.pages.addWidget(self.keys_page)
        self.pages.addWidget(self.inspector_page)
        self.pages.addWidget(self.account_container)
        self.navigation.currentRowChanged.connect(self._row_changed)

        right = QWidget()
        self._right_layout = QVBoxLayout(right)
        self._right_layout.setContentsMargins(0, 0, 0, 0)
        self._right_layout.setSpacing(0)
        self._right_layout.addWidget(self.pages, 1)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addWidget(right, 1)
        self.setCentralWidget(central)

        self.session_label = QLabel("Starting…")
        self.session_label.setAccessibleName("Session status")
        self.statusBar().addPermanentWidget(self.session_label)
        messages.posted.connect(self.show_message)

        self._restore_geometry()
        self._update_title()
        if not defer_chrome:
            self.build_chrome()

    def build_chrome(self) -> None:
        """Menus, toolbar, actions, profile switcher and message banner (once).

        Called by the constructor, or by ``app.run()`` right after the first paint so
        the first frame does not wait for these ~20 widgets, their icons and styles.
        """
        if self.chrome_built:
            return
        from PySide6.QtWidgets import QPushButton

        from twinedge_desktop.ui.account.profiles import ProfileSwitcher
        from twinedge_desktop.ui.common.widgets import Banner

        self.chrome_built = True
        window_icon = app_icon()
        if window_icon is not None:
            self.setWindowIcon(window_icon)

        self.message_banner = Banner("error")
        self.message_banner.setVisible(False)
        close_banner = QPushButton("Dismiss")
        close_banner.setAccessibleName("Dismiss message")
        close_banner.clicked.connect(self.dismiss_message)
        self.message_banner.add_button(close_banner)
        banner_holder = QWidget()
        banner_layout = QVBoxLayout(banner_holder)
        banner_layout.setContentsMargins(16, 12, 16, 0)
        banner_layout.addWidget(self.message_banner)
        self._banner_holder = banner_holder
        banner_holder.setVisible(False)
        self._right_layout.insertWidget(0, banner_holder)

        self.profile_switcher = ProfileSwitcher(self._profiles)
        self.profile_switcher.profile_chosen.connect(self.switch_profile)
        self.profile_switcher.add_requested.connect(self.add_profile)
        self._build_actions()
        self._build_toolbar()
        self._build_menus()

        for action in (
            self.sign_in_action,
            self.service_action,
            self.api_key_action,
            self.sign_out_action,
            self.copy_link_action,
            self.cancel_action,
        ):
            action.setEnabled(False)
        self.sign_out_action.setVisible(False)
        state = self._settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        self._claim_refresh_key()
        pending, self._pending_messages = self._pending_messages, []
        for level, text in pending:
            self.show_message(level, text)

    # --- runtime (after the first paint) -------------------------------------------------
    def attach_runtime(self, runner: TaskRunner, controller: SessionController) -> None:
        """Hand the window its task runner and session controller; builds the sign-in pages.

        Separate from the constructor so the window can be painted before asyncio, the
        task runner and the sign-in machinery are even imported (fast first paint).
        """
        from twinedge_desktop.ui.account.account_page import AccountPage
        from twinedge_desktop.ui.account.signin_page import SignInPage

        self.build_chrome()
        self._runner_ = runner
        self._controller_ = controller
        self.signin_page = SignInPage(controller)
        self.account_page = AccountPage()
        self.account_container.addWidget(self.signin_page)
        self.account_container.addWidget(self.account_page)
        controller.changed.connect(self._session_changed)
        controller.succeeded.connect(self._signed_in)
        self.signin_page.service_sign_in_requested.connect(self.service_sign_in)
        self.signin_page.api_key_requested.connect(self.use_api_key)
        self.signin_page.continue_without_keychain_requested.connect(self.continue_without_keychain)
        self.account_page.sign_out_requested.connect(self.sign_out)
        self._session_changed()

    @property
    def has_runtime(self) -> bool:
        return self._controller_ is not None

    @property
    def _controller(self) -> SessionController:
        if self._controller_ is None:
            raise RuntimeError("attach_runtime() has not been called yet")
        return self._controller_

    @property
    def _runner(self) -> TaskRunner:
        if self._runner_ is None:
            raise RuntimeError("attach_runtime() has not been called yet")
        return self._runner_

    def _copy_link(self) -> None:
        if self.has_runtime:
            self.signin_page.copy_link()

    def _cancel_sign_in(self) -> None:
        if self.has_runtime:
            self._controller.cancel_sign_in()

    # --- construction ------------------------------------------------------------------
    def _action(
        self, text: str, slot: Any, shortcuts: tuple[str, ...] = (), icon_name: str | None = None
    ) -> QAction:
        from PySide6.QtGui import QAction, QKeySequence  # the chrome's, after the first paint

        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setToolTip(f"{text.rstrip('…')} ({shortcuts[0]})")
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        self.sign_in_action = self._action(
            "Sign in with browser", self.sign_in, ("Ctrl+L",), "sign-in"
        )
        self.service_action = self._action(
            "Service account sign-in…", self.service_sign_in, ("Ctrl+Shift+S",), "service"
        )
        self.api_key_action = self._action(
            "Use an API key…", self.use_api_key, ("Ctrl+Shift+K",), "key"
        )
        self.sign_out_action = self._action(
            "Sign out", self.sign_out, ("Ctrl+Shift+L",), "sign-out"
        )
        self.cancel_action = self._action("Cancel sign-in", self._cancel_sign_in)
        self.copy_link_action = self._action(
            "Copy sign-in link", self._copy_link, ("Ctrl+Shift+C",), "copy"
        )
        self.quit_action = self._action("Quit", self.close, ("Ctrl+Q",))
        self.quit_action.setMenuRole(self.quit_action.MenuRole.QuitRole)
        self.page_actions = {
            "keys": self._action("API Keys", lambda: self.show_page("keys"), ("Ctrl+1",), "key"),
            "inspector": self._action(
                "Token Inspector",
                lambda: self.show_page("inspector"),
                ("Ctrl+2", "Ctrl+Shift+I"),
                "inspect",
            ),
            "account": self._action(
                "Account", lambda: self.show_page("account"), ("Ctrl+3",), "account"
            ),
        }
        self.refresh_action = self._action("Refresh", self.refresh, ("F5",), "refresh")
        self.switch_profile_action = self._action(
            "Switch profile…", self._open_profile_list, ("Ctrl+P",), "server"
        )
        self.add_profile_action = self._action(
            "Add profile…", self.add_profile, ("Ctrl+Shift+N",), "add"
        )
        self.about_action = self._action("About TwinEdge Desktop", self.about)
        self.about_action.setMenuRole(self.about_action.MenuRole.AboutRole)
        self.diagnostics_action = self._action(
            "Copy diagnostics", self.copy_diagnostics, icon_name="copy"
        )
        self.log_location_action = self._action("Show log file location…", self.show_log_location)
        self.open_log_folder_action = self._action("Open log folder", self.open_log_folder)

    def _build_toolbar(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QToolBar

        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        set_role(toolbar, "toolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        label = QLabel("  Profile ")
        label.setBuddy(self.profile_switcher)
        toolbar.addWidget(label)
        toolbar.addWidget(self.profile_switcher)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.refresh_action)
        self.toolbar_sign_in = toolbar.addAction(self.sign_in_action)
        toolbar.addAction(self.sign_out_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.sign_in_action, self.service_action, self.api_key_action):
            file_menu.addAction(action)
        file_menu.addAction(self.copy_link_action)
        file_menu.addAction(self.sign_out_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        profile_menu = bar.addMenu("&Profile")
        profile_menu.addAction(self.switch_profile_action)
        profile_menu.addAction(self.add_profile_action)
        view_menu = bar.addMenu("&View")
        for page in PAGES:
            view_menu.addAction(self.page_actions[page])
        view_menu.addSeparator()
        view_menu.addAction(self.refresh_action)
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addAction(self.diagnostics_action)
        self.help_menu.addAction(self.log_location_action)
        self.help_menu.addAction(self.open_log_folder_action)
        self.help_menu.addSeparator()
        self.help_menu.addAction(self.about_action)

    # --- services ----------------------------------------------------------------------
    def attach_services(self, services: CoreServices, inspector: Any | None = None) -> None:
        """Hand the window its services once they exist (after the first paint)."""
        self._services = services
        self._install_pages(inspector)
        if services.keychain_error is not None:
            self.signin_page.set_keychain_problem(services.keychain_error.user_message)
        self.bind_current_profile(restore=services.keychain_error is None)

    def _install_pages(self, inspector: Any | None) -> None:
        self.install_keys_page()
        self.install_inspector_page(inspector)

    def install_keys_page(self) -> None:
        """Replace the "coming" page by the API Keys page, if this build has it (once)."""
        # The feature pages are imported only now, off the startup path, and only if
        # their modules exist; their own errors are not hidden.
        import importlib.util

        if not isinstance(self.keys_page, ComingPage):
            return
        if importlib.util.find_spec("twinedge_desktop.ui.keys.page") is not None:
            from twinedge_desktop.ui.keys.page import KeysPage  # type: ignore[import-not-found,unused-ignore]
            from twinedge_desktop.ui.keys.reminders import RevokeReminders

            page = KeysPage(
                self._runner,
                self._messages,
                self._profiles.preferences,
                reminders=RevokeReminders(self._settings),
            )
            self._replace_page("keys", page)

    def install_inspector_page(self, inspector: Any | None) -> None:
        """Replace the "coming" page by the Token Inspector, if this build has it (once)."""
        import importlib.util

        if not isinstance(self.inspector_page, ComingPage) or inspector is None:
            return
        if importlib.util.find_spec("twinedge_desktop.ui.inspector.page") is not None:
            from twinedge_desktop.ui.inspector.page import InspectorPage  # type: ignore[import-not-found,unused-ignore]

            self._replace_page("inspector", InspectorPage(inspector, self._runner, self._messages))

    def _replace_page(self, page: str, widget: QWidget) -> None:
        index = PAGES.index(page)
        old = self.pages.widget(index)
        if old is not None:
            self.pages.removeWidget(old)
            old.deleteLater()
        self.pages.insertWidget(index, widget)
        if page == "keys":
            self.keys_page = widget
        else:
            self.inspector_page = widget
        self.pages.setCurrentIndex(max(0, self.navigation.currentRow()))
        self._claim_refresh_key()

    def bind_current_profile(self, *, restore: bool = True) -> None:
        services = self._services
        if services is None or not self.has_runtime:
            return
        profile = self._profiles.current
        session = services.session_for(profile)
        previous = self._controller.session
        if previous is not None and previous is not session and self._controller.restoring:
            # Its restore is cancelled by the switch: try again when it is chosen again.
            self._restore_tried.discard(previous.profile.id)
        self._controller.set_session(session)
        self.profile_switcher.reload()
        self._update_title()
        if restore and profile.id not in self._restore_tried and session.state.name == "SIGNED_OUT":
            self._restore_tried.add(profile.id)
            self._controller.restore()

    def switch_profile(self, profile_id: str) -> None:
        """Make ``profile_id`` current (saved) and bind its session."""
        try:
            self._profiles.get(profile_id)
        except ConfigError as exc:
            self._messages.error(str(exc))
            return
        self._profiles.current_id = profile_id
        self._save_profiles()
        self.bind_current_profile(
            restore=self._services is not None and self._services.keychain_error is None
        )

    def _save_profiles(self) -> None:
        try:
            self._profiles.save()
        except OSError as exc:
            self._messages.warning(f"Could not save the profile list: {exc.strerror or exc}")

    def add_profile(self) -> None:
        services = self._services
        if services is None:
            self._messages.warning("Still starting up: try again in a moment.")
            return
        http = services.http

        async def discover(issuer: str) -> Any:
            from twinedge_desktop.auth.discovery import discover as run_discovery

            return await run_discovery(http, issuer)

        from twinedge_desktop.ui.account.profiles import AddProfileDialog

        dialog = AddProfileDialog(discover, self._runner, self)
        dialog.profile_created.connect(self._profile_created)
        self._open_dialog(dialog)

    def _profile_created(self, profile: Profile) -> None:
        self._profiles.put(profile, make_current=True)
        self._save_profiles()
        self._messages.info(f"Added the profile {profile.name}.")
        self.bind_current_profile(
            restore=self._services is not None and self._services.keychain_error is None
        )

    def _open_profile_list(self) -> None:
        self.profile_switcher.setFocus()
        self.profile_switcher.showPopup()

    def continue_without_keychain(self) -> None:
        if self._services is None:
            return
        self._services.continue_without_keychain()
        self.signin_page.set_keychain_problem(None)
        self._messages.info("Continuing without the keychain: you stay signed in until you quit.")

    # --- actions -----------------------------------------------------------------------
    def show_page(self, page: str) -> None:
        self.navigation.setCurrentRow(PAGES.index(page))

    @property
    def current_page(self) -> str:
        return PAGES[max(0, self.navigation.currentRow())]

    def _row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        self._claim_refresh_key()
        self.page_changed.emit(PAGES[row])

    def _claim_refresh_key(self) -> None:
        # A page with its own F5 action gets the key: two actions on one key in one
        # window are ambiguous to Qt and then neither fires.
        if not self.chrome_built:
            return  # build_chrome() claims it
        widget = self.pages.currentWidget()
        from PySide6.QtGui import QKeySequence

        f5 = QKeySequence("F5")
        page_has_own = widget is not None and any(
            action.shortcut() == f5 for action in widget.actions()
        )
        self.refresh_action.setShortcuts([] if page_has_own else [f5])
        self.refresh_action.setVisible(not page_has_own)  # no second Refresh button

    def sign_in(self) -> None:
        self.show_page("account")
        if not self.has_runtime:
            return
        if self._controller.state_name == "SIGNED_IN":
            self._messages.info("You are already signed in. Sign out first to switch accounts.")
            return
        self._controller.sign_in_with_browser()

    def service_sign_in(self) -> None:
        from twinedge_desktop.ui.account.dialogs import ServiceSignInDialog

        self.show_page("account")
        if not self.has_runtime:
            return
        dialog = ServiceSignInDialog(parent=self)
        dialog.submitted.connect(self._controller.sign_in_with_client_credentials)
        self._open_dialog(dialog)

    def use_api_key(self) -> None:
        from twinedge_desktop.ui.account.dialogs import ApiKeyDialog

        self.show_page("account")
        if not self.has_runtime:
            return
        dialog = ApiKeyDialog(self)
        dialog.submitted.connect(self._controller.use_api_key)
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: QWidget) -> None:
        from PySide6.QtCore import Qt

        # open(), not exec(): no nested event loop inside the qasync loop.
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self._forget_dialog(dialog))
        dialog.open()  # type: ignore[attr-defined]

    def _forget_dialog(self, dialog: QWidget) -> None:
        if dialog in self._dialogs:
            self._dialogs.remove(dialog)

    def sign_out(self) -> None:
        if not self.has_runtime or self._controller.state_name != "SIGNED_IN":
            return
        self._controller.sign_out()

    def refresh(self) -> None:
        """F5: reload what the current page shows."""
        page = self.current_page
        widget = self.pages.currentWidget()
        if page in ("keys", "inspector"):
            refresh = getattr(widget, "refresh", None)
            if callable(refresh):
                refresh()
            return
        if not self.has_runtime:
            return
        session = self._controller.session
        if session is None:
            return
        if session.state.name == "SIGNED_IN":
            self._runner.start(self._refresh_token(), owner=self, name="refresh-token")
        elif not self._controller.signing_in:
            self._controller.restore()

    async def _refresh_token(self) -> None:
        session = self._controller.session
        if session is not None:
            await session.access_token()
            self._session_changed()

    def about(self) -> None:
        """Help ▸ About: version, licence and links."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setObjectName("about")
        box.setWindowTitle(f"About {APP_NAME}")
        box.setIconPixmap(icon("shield").pixmap(48, 48))
        box.setText(f"<b>{APP_NAME}</b> {__version__}")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setInformativeText(
            "Sign in to the TwinEdge industrial API, manage API keys and inspect tokens.<br><br>"
            f"Licence: {LICENCE}<br>"
            f'Website: <a href="{HOMEPAGE}">{HOMEPAGE}</a><br>'
            "Help ▸ Copy diagnostics puts what a bug report needs on the clipboard."
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.about_box = box
        box.open()

    def diagnostics_text(self) -> str:
        """The redacted report behind Help ▸ Copy diagnostics (no secret, ever)."""
        from twinedge_desktop.diagnostics import collect_diagnostics

        services = self._services
        if services is None:
            backend: str | None = "not opened yet (the app is still starting)"
        elif services.keychain_error is not None:
            backend = None  # collect_diagnostics says "none available"
        else:
            backend = str(services.credential_store.backend_name)
        return collect_diagnostics(self._profiles, backend, log_file=self.log_file)

    def copy_diagnostics(self) -> None:
        """Help ▸ Copy diagnostics: versions, platform, keychain, endpoints; redacted."""
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(self.diagnostics_text())
        self._messages.info(
            "Diagnostics copied to the clipboard (versions, platform, keychain, endpoints; "
            "no tokens or keys). Paste them into your bug report."
        )

    def show_log_location(self) -> None:
        """Help ▸ Show log file location: the path, selectable, and a way to open its folder."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setObjectName("log-location")
        box.setWindowTitle("Log file")
        if self.log_file is None:
            box.setText("The log file is not set up yet (the app is still starting).")
        else:
            from twinedge_desktop.logging_setup import BACKUP_COUNT, MAX_LOG_BYTES

            box.setText(str(self.log_file))
            box.setInformativeText(
                f"Rotated at {MAX_LOG_BYTES // 1_000_000} MB ({BACKUP_COUNT} old files kept). "
                "Tokens, keys and codes are redacted before anything is written. Add --debug "
                "to the command line for more detail."
            )
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            open_folder = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
            open_folder.clicked.connect(self.open_log_folder)
        box.addButton(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.log_location_box = box
        box.open()

    def open_log_folder(self) -> bool:
        """Help ▸ Open log folder, in the system's file manager."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if self.log_file is None:
            self._messages.warning("The log file is not set up yet: try again in a moment.")
            return False
        folder = self.log_file.parent
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            return True
        self._messages.warning(f"Could not open a file manager. The log folder is {folder}")
        return False

    # --- reacting to the session -------------------------------------------------------
    def _signed_in(self) -> None:
        self.show_page("account")
        # Bring the window back in front of the browser the person just used.
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    def _session_changed(self) -> None:
        controller = self._controller
        state = controller.state_name
        session = controller.session
        info = controller.info if state == "SIGNED_IN" else None
        signed_in = info is not None
        if signed_in:
            self.account_page.set_info(info, session.profile if session else None)
            if (
                controller.keychain_problem is not None
                and info is not None
                and info.kind is CredentialKind.USER
            ):
                self.account_page.keychain_value.setText(
                    f"{info.keychain} — not saved: {controller.keychain_problem}"
                )
            self.account_container.setCurrentWidget(self.account_page)
        else:
            self.account_page.set_info(None, None)
            self.account_container.setCurrentWidget(self.signin_page)
        busy = controller.signing_in or controller.busy or controller.restoring
        self.sign_in_action.setVisible(not signed_in)
        self.sign_in_action.setEnabled(session is not None and not busy)
        self.service_action.setEnabled(session is not None and not busy and not signed_in)
        self.api_key_action.setEnabled(session is not None and not busy and not signed_in)
        self.sign_out_action.setVisible(signed_in)
        self.sign_out_action.setEnabled(signed_in and not controller.busy)
        self.copy_link_action.setEnabled(controller.authorization_url is not None)
        self.cancel_action.setEnabled(controller.signing_in)
        self.account_page.sign_out_button.setEnabled(signed_in and not controller.busy)
        self.session_label.setText(self._status_text(state, info, session))
        self._update_title()
        self._bind_pages(session, info)

    def _status_text(self, state: str, info: Any, session: Any) -> str:
        where = session.profile.name if session is not None else self._profiles.current.name
        if info is not None:
            who = info.email or info.name or info.subject or "signed in"
            return f"Signed in as {who} — {where}"
        if self._controller.signing_in:
            return f"Signing in to {where}…"
        if self._controller.restoring or state == "RESTORING":
            return f"Restoring session — {where}"
        if state == "NONE":
            return "Starting…"
        return f"Signed out — {where}"

    def _bind_pages(self, session: Any, info: Any) -> None:
        key = (id(session), id(info))
        if key == self._bound_key or self._services is None:
            return
        self._bound_key = key
        set_service = getattr(self.keys_page, "set_service", None)
        if callable(set_service):
            service = self._services.api_keys_for(session) if info is not None else None
            set_service(service, info)
        set_context = getattr(self.inspector_page, "set_context", None)
        if callable(set_context):
            profile = session.profile if session is not None else None
            token = session.access_token if info is not None else None
            set_context(profile, token)

    def _update_title(self) -> None:
        # Only the profile's name: never an account detail or anything secret.
        self.setWindowTitle(f"TwinEdge Desktop — {self._profiles.current.name}")

    # --- messages ----------------------------------------------------------------------
    def show_message(self, level: str, text: str) -> None:
        if not self.chrome_built:  # shown as soon as the banner and status bar exist
            self._pending_messages.append((level, text))
            return
        if level == "info":
            self.statusBar().showMessage(text, 8000)
            return
        self.message_banner.set_level(level)
        self.message_banner.set_text("Something went wrong" if level == "error" else "", text)
        self.message_banner.setVisible(True)
        self._banner_holder.setVisible(True)
        self.message_banner.setAccessibleDescription(text)

    def dismiss_message(self) -> None:
        self.message_banner.setVisible(False)
        self._banner_holder.setVisible(False)

    # --- geometry ----------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(default_window_size(self.screen().availableGeometry().size()))
        # The toolbar's state is restored with the toolbar (build_chrome).
        page = self._settings.value("window/page", "account")
        self.show_page(page if page in PAGES else "account")

    def save_geometry(self) -> None:
        """Remember size, position and page (non-secret only)."""
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        self._settings.setValue("window/page", self.current_page)
        self._settings.sync()

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
