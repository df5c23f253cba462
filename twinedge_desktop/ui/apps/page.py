"""The OAuth Applications page: list, filter, register, edit, rotate the secret, delete, try.

The window's shell builds one :class:`AppsPage` (``ui/apps/__init__.py``) and binds it to
the session whenever that changes (:meth:`AppsPage.bind`). Only a person's sign-in may
manage applications (the API refuses API keys and client tokens), so the page says so
instead of asking the server when the session is another kind. Every request runs through
the :class:`~twinedge_desktop.ui.common.tasks.TaskRunner`; errors are shown where they
happen (inside the dialog, or on the page) and the message bridge gets the rest. Dialogs
are opened with ``open()`` and report through signals.

"Try it" (``try_it.py``) is a window of its own, not modal, one per application: the
person can rotate a secret on the page while the playground shows both secrets working.
It asks the shell, through :attr:`AppsPage.inspect_token_requested`, to open a token in
the Token Inspector (a feature never imports another).

Signals:
    sign_in_requested(): the signed-out state's "Sign in" button was pressed.
    inspect_token_requested(str): open this access token in the Token Inspector.
    loading_changed(bool): a load started (True) or ended (False).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.apps import CreatedOAuthApp, NewClientSecret, OAuthApp
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import Preferences
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.timefmt import Clock, utc_now
from twinedge_desktop.ui.apps.dialogs import (
    DeleteAppDialog,
    EditAppDialog,
    RegisterAppDialog,
    RotateSecretDialog,
)
from twinedge_desktop.ui.apps.model import (
    OBJECT_ROLE,
    TYPE_SHORT,
    AppsFilterProxy,
    AppsTableModel,
    Column,
)
from twinedge_desktop.ui.apps.secret import ShownSecret, show_client_secret
from twinedge_desktop.ui.apps.table import AppsTableView
from twinedge_desktop.ui.apps.try_it import TryItDialog
from twinedge_desktop.ui.apps.widgets import busy_bar
from twinedge_desktop.ui.common import style
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.list_page import (
    centered_view,
    let_delete_through_empty_filter,
    load_error_view,
    page_action,
    refresh_banner,
    return_focus_to_list,
    same_person,
    select_source_index,
    selected_object,
    service_or_no_api,
    show_load_failure,
)
from twinedge_desktop.ui.common.messages import MessageBridge
from twinedge_desktop.ui.common.page import SessionBinding
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message

if TYPE_CHECKING:
    from twinedge_desktop.api.apps import OAuthAppsService
    from twinedge_desktop.auth.playground import Playground
    from twinedge_desktop.auth.session import Session, SessionInfo

PlaygroundFactory = Callable[[], Awaitable["Playground"]]
TIME_REFRESH_MS = 60_000
SIGNED_OUT_TEXT = "Sign in to manage your OAuth applications."
SIGNED_OUT_HINT = (
    "Register the applications that sign people in with TwinEdge, and service accounts, "
    "then try their flows here."
)
NOT_A_PERSON_TEXT = "OAuth applications are managed as a person."
NOT_A_PERSON_HINT = (
    "You are signed in with an API key or as a service account; the API lets only a "
    "person's sign-in (with your browser) register and change applications."
)


class PageState(IntEnum):
    """What the page shows; the value is the view's index in the page's stack."""

    SIGNED_OUT = 0
    LIST = 1
    EMPTY = 2
    ERROR = 3


class AppsPage(QWidget):
    """The signed-in person's OAuth applications (an admin's: the organisation's)."""

    sign_in_requested = Signal()
    inspect_token_requested = Signal(str)
    loading_changed = Signal(bool)

    def __init__(
        self,
        runner: TaskRunner,
        messages: MessageBridge,
        preferences: Preferences,
        parent: QWidget | None = None,
        *,
        open_browser: Callable[[str], bool],
        clipboard: SecretClipboard | None = None,
        clock: Clock = utc_now,
        service_for: Callable[[Session], OAuthAppsService] | None = None,
        playground_for: Callable[[Session], PlaygroundFactory] | None = None,
    ) -> None:
        """``service_for`` gives :meth:`bind` the applications service of a session and
        ``playground_for`` the way to make its playground; a page built without them is
        bound through :meth:`set_service` alone (tests)."""
        super().__init__(parent)
        self.setAccessibleName("OAuth applications")
        self._runner = runner
        self._messages = messages
        self._preferences = preferences
        self._open_browser = open_browser
        self._clock = clock
        self._service_for = service_for
        self._playground_for = playground_for
        self._binding: SessionBinding | None = None
        self._service: OAuthAppsService | None = None
        self._playground: PlaygroundFactory | None = None
        self._info: SessionInfo | None = None
        self._generation = 0
        self._loading = False
        self._load_owner = QObject(self)  # lets a refresh cancel the previous load only
        self.load_task: asyncio.Task[None] | None = None
        self.clipboard = clipboard or SecretClipboard(parent=self)
        self.secret_dialog: QDialog | None = None  # the last secret shown (tests)
        # The Try it windows, kept until Qt has destroyed them (pruned when found invalid).
        # Not tracked with a lambda on their signals: a lambda holding the page, connected to
        # a child's signal, can be the page's last Python reference, and freeing it while the
        # child is being destroyed destroys the page under it (a segfault, measured).
        self._try_its: list[TryItDialog] = []

        self.model = AppsTableModel(self, clock=clock)
        self.proxy = AppsFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_signed_out())
        self.stack.addWidget(self._build_list())
        self.stack.addWidget(self._build_empty())
        self.stack.addWidget(self._build_error())
        self.toolbar_widget = self._build_toolbar()
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar_widget)
        layout.addWidget(self.stack, 1)
        self._build_actions()
        # Ctrl+5 lands in the filter, as Ctrl+1 does on API Keys (Enter goes on to the list).
        self.setFocusProxy(self.filter_edit)

        self._time_timer = QTimer(self)
        self._time_timer.setInterval(TIME_REFRESH_MS)
        self._time_timer.timeout.connect(self.model.refresh_times)
        self._time_timer.start()
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._update_count)
        self.model.dataChanged.connect(self._update_actions)
        self._set_state(PageState.SIGNED_OUT)

    # -- construction --------------------------------------------------------------------

    def _build_toolbar(self) -> QWidget:
        self.register_button = QPushButton("&Register…")
        self.register_button.setAccessibleName("Register an application")
        self.register_button.setToolTip("Register an OAuth application (Ctrl+N)")
        self.register_button.setProperty("primary", True)
        self.register_button.setIcon(style.icon("add", QPalette.ColorRole.HighlightedText))
        self.try_button = QPushButton("&Try it…")
        self.try_button.setAccessibleName("Try the selected application's flows")
        self.try_button.setToolTip("Run the selected application's sign-in flows (Ctrl+T)")
        self.try_button.setIcon(style.icon("browser"))
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setAccessibleName("Edit the selected application")
        self.edit_button.setToolTip("Change its name, redirect URIs and scopes (Ctrl+E, Enter)")
        self.rotate_button = QPushButton("R&otate secret…")
        self.rotate_button.setAccessibleName("Rotate the selected application's secret")
        self.rotate_button.setToolTip("Make a new client secret (Ctrl+R)")
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setAccessibleName("Delete the selected application")
        self.delete_button.setToolTip("Delete the selected application (Delete)")
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.setAccessibleName("Refresh the list")
        self.refresh_button.setToolTip("Load the list again (F5)")
        self.refresh_button.setIcon(style.icon("refresh"))
        self.register_button.clicked.connect(self.register_app)
        self.try_button.clicked.connect(self.try_selected)
        self.edit_button.clicked.connect(self.edit_selected)
        self.rotate_button.clicked.connect(self.rotate_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.register_button,
            self.try_button,
            self.edit_button,
            self.rotate_button,
            self.delete_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, client ID, URI or scope (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        for clear_button in self.filter_edit.findChildren(QToolButton):
            # The line edit's own clear button: Qt sizes it inside the field (its icon is
            # drawn whole at 22×18, below the generic minimum tests/helpers/layout.py checks).
            clear_button.setProperty("elides", True)
        self.filter_edit.setAccessibleName("Filter applications")
        self.filter_edit.textChanged.connect(self.proxy.set_filter_text)
        self.filter_edit.returnPressed.connect(self._filter_entered)
        let_delete_through_empty_filter(self.filter_edit)  # Delete deletes when it is empty
        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("Show applications of type")
        self.type_combo.addItem("All types", None)
        for kind in ApplicationType:
            self.type_combo.addItem(TYPE_SHORT[kind], kind.value)
        self.type_combo.currentIndexChanged.connect(self._type_filter_changed)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Number of applications")
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.type_combo)
        filters.addWidget(self.count_label)

        toolbar = QWidget()
        column = QVBoxLayout(toolbar)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(buttons)
        column.addLayout(filters)
        return toolbar

    def _build_signed_out(self) -> QWidget:
        page, layout, self.signed_out_label, self.signed_out_hint = centered_view(
            SIGNED_OUT_TEXT, SIGNED_OUT_HINT
        )
        self.signed_out_label.setAccessibleName("Signed out")
        self.sign_in_button = QPushButton("&Sign in…")
        self.sign_in_button.setAccessibleName("Sign in")
        self.sign_in_button.setProperty("primary", True)
        self.sign_in_button.clicked.connect(self.sign_in_requested)
        layout.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return page

    def _build_list(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.refresh_banner = refresh_banner(self.refresh)
        self.banner = self.refresh_banner.message
        self.banner_retry = self.refresh_banner.retry_button
        self.progress = busy_bar("Loading applications")
        self.table = AppsTableView(self.proxy)
        self.table.horizontalHeader().setSortIndicator(Column.CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.activated.connect(self._activated)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._update_actions)
        selection.currentRowChanged.connect(self._update_actions)
        self.no_match = QLabel()
        self.no_match.setObjectName("noMatch")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setWordWrap(True)
        self.no_match.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.no_match.hide()
        layout.addLayout(self.refresh_banner.row)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.no_match)
        return page

    def _build_empty(self) -> QWidget:
        page, layout, _title, _text = centered_view(
            "No OAuth applications yet",
            "Register an application to let it sign people in with TwinEdge, or a service "
            "account for scripts and servers. Try it runs its flows right here.",
        )
        self.empty_register_button = QPushButton("Register your first application…")
        self.empty_register_button.setAccessibleName("Register your first application")
        self.empty_register_button.setProperty("primary", True)
        self.empty_register_button.clicked.connect(self.register_app)
        layout.addWidget(self.empty_register_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return page

    def _build_error(self) -> QWidget:
        self.error_view = load_error_view(
            "The OAuth applications could not be loaded", self.refresh
        )
        self.error_text = self.error_view.error_text
        self.retry_button = self.error_view.retry_button
        return self.error_view.page

    def _build_actions(self) -> None:
        action = functools.partial(page_action, self)
        self.register_action = action("Register application", "Ctrl+N", self.register_app)
        self.try_action = action("Try it", "Ctrl+T", self.try_selected)
        self.edit_action = action("Edit", "Ctrl+E", self.edit_selected)
        self.rotate_action = action("Rotate secret", "Ctrl+R", self.rotate_selected)
        self.delete_action = action("Delete", QKeySequence(Qt.Key.Key_Delete), self.delete_selected)
        self.filter_action = action("Filter", "Ctrl+F", self.focus_filter)
        self.refresh_action = action("Refresh", QKeySequence(Qt.Key.Key_F5), self.refresh)

    # -- session -------------------------------------------------------------------------

    @property
    def service(self) -> OAuthAppsService | None:
        return self._service

    @property
    def loading(self) -> bool:
        return self._loading

    def bind(self, binding: SessionBinding) -> None:
        """Show the applications of whoever ``binding`` says is signed in."""
        if binding == self._binding:
            return
        self._binding = binding
        session, info = binding.session, binding.info
        if session is None or info is None:
            self.set_service(None, None)
            return
        if info.kind is not CredentialKind.USER:
            self.set_service(None, info)
            return
        if self._service_for is None:
            raise RuntimeError("This applications page was built without a way to reach the API.")
        service = service_or_no_api(self._service_for, session, self.error_view)
        if service is None:
            self.set_service(None, None)
            self._set_state(PageState.ERROR)
            return
        playground = self._playground_for(session) if self._playground_for is not None else None
        self.set_service(service, info, playground=playground)

    def set_service(
        self,
        service: OAuthAppsService | None,
        info: SessionInfo | None,
        *,
        playground: PlaygroundFactory | None = None,
    ) -> None:
        """Show ``service``'s applications; None means nobody who may manage them (signed
        out, or ``info`` is an API key or a service account). Called on every change."""
        same = service is not None and same_person(self._info, info)
        self._service = service
        self._playground = playground
        self._info = info
        if service is None:
            self._cancel_load()
            self.model.clear()
            self._close_try_its()
            person = info is None or info.kind is CredentialKind.USER
            self.signed_out_label.setText(SIGNED_OUT_TEXT if person else NOT_A_PERSON_TEXT)
            self.signed_out_hint.setText(SIGNED_OUT_HINT if person else NOT_A_PERSON_HINT)
            self._set_state(PageState.SIGNED_OUT)
            return
        if not same or self.state is PageState.SIGNED_OUT:
            self.model.clear()
            self._close_try_its()
            self.refresh()
        else:
            self._update_actions()

    # -- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        """(Re)load the list; a load still running is cancelled."""
        service = self._service
        if service is None:
            return
        self._cancel_load()
        self._generation += 1
        self.load_task = self._runner.start(
            self._load(service, self._generation),
            owner=self._load_owner,
            on_error=functools.partial(self._load_failed, generation=self._generation),
            name="load-oauth-apps",
        )

    def _cancel_load(self) -> None:
        self._runner.cancel_owned_by(self._load_owner)
        self._set_loading(False)

    async def _load(self, service: OAuthAppsService, generation: int) -> None:
        self._set_loading(True)
        self.banner.clear_message()
        self.banner_retry.hide()
        if self.state is not PageState.LIST:
            self._set_state(PageState.LIST)  # the busy bar is above the (empty) list
        apps = await service.list_all()
        if generation != self._generation:
            return
        selected = self.selected_app()
        self.model.set_apps(apps)
        self._set_loading(False)
        self._set_state(PageState.LIST if apps else PageState.EMPTY)
        if selected is not None:
            self.select_app(selected.id)
        self._update_count()

    def _load_failed(self, exc: BaseException, generation: int) -> bool:
        if generation != self._generation:
            return True
        self._set_loading(False)
        list_shown = self.model.rowCount() > 0
        self._set_state(PageState.LIST if list_shown else PageState.ERROR)
        show_load_failure(
            error_message(exc),
            list_shown=list_shown,
            banner=self.refresh_banner,
            error=self.error_view,
        )
        return True

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)
        self.progress.setVisible(loading)
        self.refresh_button.setEnabled(self._service is not None and not loading)
        self._update_actions()

    # -- state and actions ---------------------------------------------------------------

    @property
    def state(self) -> PageState:
        return PageState(self.stack.currentIndex())

    def _set_state(self, state: PageState) -> None:
        self.stack.setCurrentIndex(state)
        self.toolbar_widget.setVisible(state is not PageState.SIGNED_OUT)
        self._update_actions()

    def selected_app(self) -> OAuthApp | None:
        return selected_object(self.table, OBJECT_ROLE, OAuthApp)

    def select_app(self, app_id: str) -> bool:
        row = self.model.row_of(app_id)
        if row is None:
            return False
        return select_source_index(self.table, self.proxy, self.model.index(row, 0))

    def _update_actions(self, *_args: object) -> None:
        signed_in = self._service is not None
        app = self.selected_app() if signed_in else None
        for widget in (self.register_button, self.register_action):
            widget.setEnabled(signed_in)
        for widget in (self.try_button, self.try_action, self.edit_button, self.edit_action):
            widget.setEnabled(app is not None)
        for widget in (self.delete_button, self.delete_action):
            widget.setEnabled(app is not None)
        rotatable = app is not None and app.is_confidential
        for widget in (self.rotate_button, self.rotate_action):
            widget.setEnabled(rotatable)
        self.rotate_button.setToolTip(
            "Make a new client secret (Ctrl+R)"
            if app is None or rotatable
            else "A public client has no secret to rotate: it uses PKCE."
        )

    def _update_count(self, *_args: object) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        if total == 0:
            self.count_label.setText("")
        elif shown == total:
            self.count_label.setText("1 application" if total == 1 else f"{total} applications")
        else:
            self.count_label.setText(f"{shown} of {total} shown")
        filtered = total > 0 and shown == 0
        if filtered:
            needle = self.filter_edit.text().strip()
            kind = self.type_combo.currentText()
            what = f"“{needle}”" if needle else ""
            if self.proxy.type_filter is not None:
                what = f"{what} among {kind} applications" if what else f"{kind} applications"
            self.no_match.setText(f"No application matches {what}.")
        self.no_match.setVisible(filtered)
        self._update_actions()

    def _type_filter_changed(self, _index: int) -> None:
        value = self.type_combo.currentData()
        self.proxy.set_type_filter(ApplicationType(value) if value else None)
        self._update_count()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _filter_entered(self) -> None:
        # From the filter to what it found, as in a search field's suggestions.
        if self.proxy.rowCount():
            self.table.setFocus(Qt.FocusReason.TabFocusReason)

    def _activated(self, index: QModelIndex) -> None:
        app = index.siblingAtColumn(0).data(OBJECT_ROLE)
        if isinstance(app, OAuthApp):
            self.edit_app(app)

    # -- dialogs -------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return_focus_to_list(dialog, self.table)
        dialog.open()

    def _holder_scopes(self) -> tuple[str, ...] | None:
        return self._info.scopes if self._info is not None else None

    def register_app(self) -> RegisterAppDialog | None:
        if self._service is None:
            return None
        dialog = RegisterAppDialog(self._service, self._runner, self._holder_scopes(), self)
        dialog.registered.connect(self._registered)
        self._open(dialog)
        return dialog

    def _registered(self, created: CreatedOAuthApp) -> None:
        self._add_app(created.app)
        app = created.app
        if created.client_secret is None:
            self._messages.info(
                f"Registered “{app.name}”, client ID {app.client_id}. A public client has no "
                "secret: it signs in with PKCE."
            )
            return
        self._show_secret(ShownSecret(app, created.client_secret, rotated=False))
        del created

    def _show_secret(self, shown: ShownSecret) -> None:
        binding = self._binding
        issuer = binding.profile.issuer if binding is not None and binding.profile else None
        service = self._service
        self.secret_dialog = show_client_secret(
            shown,
            self.clipboard,
            self._preferences.clipboard_clear_seconds,
            self,
            issuer=issuer,
            api_base=service.api_base if service is not None else None,
            clock=self._clock,
        )
        if self.secret_dialog is not None:
            return_focus_to_list(self.secret_dialog, self.table)

    def _add_app(self, app: OAuthApp) -> None:
        self.model.upsert(app)
        if self.state in (PageState.EMPTY, PageState.ERROR):
            self._set_state(PageState.LIST)
        if not self.select_app(app.id) and (
            self.filter_edit.text() or self.proxy.type_filter is not None
        ):
            # Filtered out: show it anyway.
            self.filter_edit.clear()
            self.type_combo.setCurrentIndex(0)
            self.select_app(app.id)
        self._update_count()

    def edit_selected(self) -> None:
        app = self.selected_app()
        if app is not None:
            self.edit_app(app)

    def edit_app(self, app: OAuthApp) -> EditAppDialog | None:
        if self._service is None:
            return None
        dialog = EditAppDialog(app, self._service, self._runner, self._holder_scopes(), self)
        dialog.updated.connect(self._updated)
        self._open(dialog)
        return dialog

    def _updated(self, app: OAuthApp) -> None:
        self.model.upsert(app)
        try_it = self.try_it_dialog(app.id)
        if try_it is not None:
            try_it.set_app(app)
        self._update_actions()

    def rotate_selected(self) -> None:
        app = self.selected_app()
        if app is not None:
            self.rotate_secret(app)

    def rotate_secret(self, app: OAuthApp) -> RotateSecretDialog | None:
        if self._service is None or not app.is_confidential:
            return None
        dialog = RotateSecretDialog(app, self._service, self._runner, self, clock=self._clock)
        dialog.rotated.connect(self._rotated)
        self._open(dialog)
        return dialog

    def _rotated(self, rotated: NewClientSecret) -> None:
        self._updated(rotated.app)
        self._show_secret(ShownSecret(rotated.app, rotated.client_secret, rotated=True))
        del rotated

    def delete_selected(self) -> None:
        app = self.selected_app()
        if app is not None:
            self.delete_app(app)

    def delete_app(self, app: OAuthApp) -> DeleteAppDialog | None:
        if self._service is None:
            return None
        dialog = DeleteAppDialog(app, self._service, self._runner, self)
        dialog.deleted.connect(self._deleted)
        self._open(dialog)
        return dialog

    def _deleted(self, app: OAuthApp) -> None:
        self.model.remove_app(app.id)
        try_it = self.try_it_dialog(app.id)
        if try_it is not None:
            try_it.app_deleted()
        if not self.model.rowCount():
            self._set_state(PageState.EMPTY)
        self._update_count()
        self._messages.info(
            f"Deleted “{app.name}”: its client ID no longer works and its sign-ins have ended."
        )

    # -- Try it --------------------------------------------------------------------------

    def try_selected(self) -> None:
        app = self.selected_app()
        if app is not None:
            self.try_app(app)

    def try_app(self, app: OAuthApp) -> TryItDialog | None:
        """Open (or bring forward) the playground of ``app``."""
        service, playground = self._service, self._playground
        if service is None:
            return None
        existing = self.try_it_dialog(app.id)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        if playground is None:
            self._messages.error("Try it needs the profile's authorization server; sign in again.")
            return None
        dialog = TryItDialog(
            app,
            service,
            self._runner,
            playground,
            self._open_browser,
            self.clipboard,
            self._preferences.clipboard_clear_seconds,
            self,
            clock=self._clock,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.inspect_token_requested.connect(self.inspect_token_requested)
        self._try_its = [*self._live_try_its(), dialog]
        dialog.show()
        return dialog

    def try_it_dialog(self, app_id: str) -> TryItDialog | None:
        """The open playground of an application, if any."""
        return next((d for d in self._live_try_its() if d.app.id == app_id and d.isVisible()), None)

    def _live_try_its(self) -> list[TryItDialog]:
        self._try_its = [d for d in self._try_its if shiboken6.isValid(d)]
        return self._try_its

    def _close_try_its(self) -> None:
        """Another person (or nobody) now: their playgrounds and secrets go."""
        for dialog in self._live_try_its():
            dialog.close()
