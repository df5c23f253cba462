"""The API Keys page: list, filter, create, copy once, revoke, rotate, export.

The window's shell builds one :class:`KeysPage` (see ``ui/keys/__init__.py``) and binds
it to the session whenever that changes (:meth:`KeysPage.bind`, which hands
:meth:`KeysPage.set_service` the signed-in person's keys service). Every network call
runs through the :class:`~twinedge_desktop.ui.common.tasks.TaskRunner`; errors are
shown where they happen (inline in dialogs, a banner or an error state on the page) and
the message bridge gets the rest. Dialogs are opened with ``open()`` and report through
signals: nothing here blocks the event loop.

Loading follows the API's cursor a page at a time and appends each page to the
model as it arrives, so the first rows show at once, a progress line counts
the rest and the window stays responsive with 10,000 keys.

Key management accepts only a person's access token (DESIGN.md): signed in with an API
key or as a service account, the page says so and what to do instead (sign in as a
person), loads nothing and offers no action that could only fail.

Laid out for the window's minimum size (800×520) as well as a large screen: the toolbar's
less used buttons move into a "More" menu when it is narrow (:mod:`.toolbar`), a filter
that matches nothing says so in the table's place.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QKeyEvent,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.models import ApiKey, CreatedApiKey, KeyStatus
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import Preferences
from twinedge_desktop.timefmt import Clock, absolute_time, utc_now
from twinedge_desktop.ui.common import style
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.key_actions import KeyAction, KeyActionRequest
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
from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog
from twinedge_desktop.ui.keys.dialogs.create import CreateKeyDialog
from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog
from twinedge_desktop.ui.keys.dialogs.form import DEFAULT_EXPIRY_DAYS
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.keys.dialogs.rotate import RotateKeyDialog, rotated_name
from twinedge_desktop.ui.keys.export import keys_to_csv
from twinedge_desktop.ui.keys.model import (
    OBJECT_ROLE,
    KeysFilterProxy,
    KeysTableModel,
    can_revoke,
    can_rotate,
    key_status,
)
from twinedge_desktop.ui.keys.reminders import RevokeReminders
from twinedge_desktop.ui.keys.table import KeysTableView
from twinedge_desktop.ui.keys.toolbar import OverflowToolbar

if TYPE_CHECKING:
    from twinedge_desktop.api.keys import ApiKeysService
    from twinedge_desktop.auth.session import Session, SessionInfo


class PageState(IntEnum):
    """What the page shows; the value is the view's index in the page's stack."""

    SIGNED_OUT = 0
    LIST = 1
    EMPTY = 2
    ERROR = 3
    NOT_A_PERSON = 4  # signed in with an API key or as a service: keys need a person


# Why the key actions are off in an API-key or service session (their tooltips say it).
NOT_A_PERSON_REASON = {
    CredentialKind.API_KEY: "You are signed in with an API key",
    CredentialKind.SERVICE: "You are signed in as a service account (client credentials)",
}
# The filter's hint, and the short one for a narrow toolbar (the tooltip has the long one).
FILTER_HINT = "Filter by name, prefix or scope (Ctrl+F)"
FILTER_HINT_SHORT = "Filter (Ctrl+F)"


TIME_REFRESH_MS = 60_000
# While loading, pages are added to the table a batch at a time: every addition lays the
# view out again (and repaints it, ~15 ms, when the new rows show), so not more often
# than this...
LOAD_FLUSH_SECONDS = 0.25
# ...and not in batches so large that adding them stalls the window on its own.
LOAD_FLUSH_ROWS = 1000


class KeysPage(QWidget):
    """The API keys of the signed-in person.

    Signals:
        sign_in_requested(): the signed-out state's "Sign in" button was pressed.
        loading_changed(bool): a load started (True) or ended (False).
        key_changed(ApiKey): a key changed here (created, revoked, read afresh), for the
            pages that show keys too (the Health page, through the shell).
    """

    sign_in_requested = Signal()
    loading_changed = Signal(bool)
    key_changed = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        messages: MessageBridge,
        preferences: Preferences,
        parent: QWidget | None = None,
        *,
        clipboard: SecretClipboard | None = None,
        reminders: RevokeReminders | None = None,
        clock: Clock = utc_now,
        service_for: Callable[[Session], ApiKeysService] | None = None,
    ) -> None:
        """``service_for`` gives :meth:`bind` the keys service of a signed-in session; a page
        built without it is bound through :meth:`set_service` alone (tests, benchmarks)."""
        super().__init__(parent)
        self._service_for = service_for
        self._binding: SessionBinding | None = None
        self.setAccessibleName("API keys")
        # Where "revoke later" reminders outlive the app; None keeps them for this run only.
        self._reminder_store = reminders
        self._runner = runner
        self._messages = messages
        self._preferences = preferences
        self._clock = clock
        self._service: ApiKeysService | None = None
        self._info: SessionInfo | None = None
        self._generation = 0
        self._loading = False
        self._load_owner = QObject(self)  # lets a refresh cancel the previous load only
        self.load_task: asyncio.Task[None] | None = None
        self.clipboard = clipboard or SecretClipboard(parent=self)

        self.model = KeysTableModel(self, clock=clock)
        self.proxy = KeysFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_signed_out())
        self.stack.addWidget(self._build_list())
        self.stack.addWidget(self._build_empty())
        self.stack.addWidget(self._build_error())
        self.stack.addWidget(self._build_not_a_person())

        self._build_actions()
        self.toolbar_widget = self._build_toolbar()
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar_widget)
        layout.addWidget(self.stack, 1)
        # Once every widget the filter looks at exists (it is called from now on).
        self.table.viewport().installEventFilter(self)

        self._time_timer = QTimer(self)
        self._time_timer.setInterval(TIME_REFRESH_MS)
        self._time_timer.timeout.connect(self.model.refresh_times)
        self._time_timer.start()
        # A filter change can remove rows in thousands of separate ranges: count once after.
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(0)
        self._count_timer.timeout.connect(self._update_count)
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._count_timer.start)
        self.model.dataChanged.connect(self._update_actions)
        # Filtering resets the model: keep the selected key selected across it.
        self._reselect: str | None = None
        self.proxy.modelAboutToBeReset.connect(self._remember_selection)
        self.proxy.modelReset.connect(self._restore_selection)
        self._set_state(PageState.SIGNED_OUT)

    # -- construction --------------------------------------------------------------------

    def _build_toolbar(self) -> OverflowToolbar:
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(FILTER_HINT)
        self.filter_edit.setToolTip(FILTER_HINT)
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter keys")
        self.filter_edit.textChanged.connect(self.proxy.set_filter_text)
        self.filter_edit.installEventFilter(self)  # Down goes on to the list
        let_delete_through_empty_filter(self.filter_edit)  # Delete revokes when it is empty
        self.show_revoked_box = QCheckBox("Show re&voked")
        self.show_revoked_box.setAccessibleName("Show revoked keys")
        self.show_revoked_box.toggled.connect(self.proxy.set_show_revoked)
        self.show_revoked_box.toggled.connect(self.show_revoked_action.setChecked)
        self.show_revoked_action.toggled.connect(self.show_revoked_box.setChecked)
        self.new_button = QPushButton("&New key…")
        self.new_button.setAccessibleName("Create a new API key")
        self.new_button.setToolTip("Create a new API key (Ctrl+N)")
        self.rotate_button = QPushButton("R&otate…")
        self.rotate_button.setAccessibleName("Rotate the selected key")
        self.rotate_button.setToolTip("Replace the selected key with a new one (Ctrl+R)")
        self.revoke_button = QPushButton("&Revoke…")
        self.revoke_button.setAccessibleName("Revoke the selected key")
        self.revoke_button.setToolTip("Revoke the selected key (Delete)")
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.setAccessibleName("Refresh the list")
        self.refresh_button.setToolTip("Load the list again (F5)")
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setAccessibleName("Export the list as CSV")
        self.export_button.setToolTip("Save the list (no secrets) as a CSV file")
        self.new_button.setProperty("primary", True)  # the app style sheet's main action
        self.new_button.setIcon(style.icon("add", QPalette.ColorRole.HighlightedText))
        self.refresh_button.setIcon(style.icon("refresh"))
        self.export_button.setIcon(style.icon("copy"))
        self.new_button.clicked.connect(self.create_key)
        self.rotate_button.clicked.connect(self.rotate_selected)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self.export_csv)
        toolbar = OverflowToolbar()
        # Room for the short hint, the field's padding and its clear button.
        short = self.filter_edit.fontMetrics().horizontalAdvance(FILTER_HINT_SHORT)
        toolbar.set_stretch_widget(self.filter_edit, short + 48)
        # In the row's order; the lowest priority goes into "More" first.
        toolbar.add_overflowing(self.show_revoked_box, self.show_revoked_action, priority=3)
        toolbar.add_fixed(self.new_button)
        toolbar.add_overflowing(self.rotate_button, self.rotate_action, priority=5)
        toolbar.add_overflowing(self.revoke_button, self.revoke_action, priority=4)
        toolbar.add_overflowing(self.refresh_button, self.refresh_action, priority=2)
        toolbar.add_overflowing(self.export_button, self.export_action, priority=1)
        self.more_button = toolbar.more_button
        return toolbar

    def _build_signed_out(self) -> QWidget:
        page, layout, self.signed_out_label, _hint = centered_view(
            "Sign in to manage API keys.",
            "API keys belong to your TwinEdge account; sign in to see and create them.",
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
        # The busy bar sits in the status line, beside its text: showing and hiding it
        # leaves the table's size alone (a resized table repaints every visible cell).
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFixedSize(120, 6)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Loading keys")
        self.progress_label = QLabel()
        self.progress_label.setAccessibleName("Loading progress")
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Number of keys")
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        status_row = QHBoxLayout()
        status_row.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignVCenter)
        status_row.addWidget(self.progress_label)
        status_row.addStretch(1)
        status_row.addWidget(self.count_label)

        self.table = KeysTableView(self.proxy)
        self.table.horizontalHeader().setSortIndicator(
            self.model.sort_column, self.model.sort_order
        )
        # After the indicator: enabling sorting sorts by it at once (newest first).
        self.table.setSortingEnabled(True)
        self.table.activated.connect(self._activated)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._update_actions)
        selection.currentRowChanged.connect(self._update_actions)
        # A filter that matches nothing says so where the rows would be.
        self.no_match_label = QLabel(self.table.viewport())
        self.no_match_label.setObjectName("noMatch")
        self.no_match_label.setTextFormat(Qt.TextFormat.PlainText)
        self.no_match_label.setWordWrap(True)
        self.no_match_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.no_match_label.setAccessibleName("No matching keys")
        self.no_match_label.hide()

        layout.addLayout(self.refresh_banner.row)
        layout.addLayout(status_row)
        layout.addWidget(self.table, 1)
        return page

    def _build_empty(self) -> QWidget:
        page, layout, _title, _text = centered_view(
            "No API keys yet",
            "API keys let scripts, services and devices call the TwinEdge API without you.\n"
            "Create one with just the scopes it needs.",
        )
        self.empty_create_button = QPushButton("Create your first key…")
        self.empty_create_button.setAccessibleName("Create your first API key")
        self.empty_create_button.setProperty("primary", True)
        self.empty_create_button.clicked.connect(self.create_key)
        layout.addWidget(self.empty_create_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return page

    def _build_error(self) -> QWidget:
        self.error_view = load_error_view("The API keys could not be loaded", self.refresh)
        self.error_text = self.error_view.error_text
        self.retry_button = self.error_view.retry_button
        return self.error_view.page

    def _build_not_a_person(self) -> QWidget:
        page, layout, _title, _hint = centered_view("Managing API keys needs a person's sign-in")
        self.not_a_person_text = QLabel()
        self.not_a_person_text.setObjectName("notAPerson")
        self.not_a_person_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.not_a_person_text.setWordWrap(True)
        self.not_a_person_text.setAccessibleName("Why API keys cannot be managed")
        self.person_sign_in_button = QPushButton("&Sign in as a person…")
        self.person_sign_in_button.setAccessibleName("Sign in as a person")
        self.person_sign_in_button.setProperty("primary", True)
        self.person_sign_in_button.clicked.connect(self.sign_in_requested)
        layout.addWidget(self.not_a_person_text)
        layout.addWidget(self.person_sign_in_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return page

    def _build_actions(self) -> None:
        action = functools.partial(page_action, self)
        self.new_action = action("&New key…", "Ctrl+N", self.create_key)
        self.revoke_action = action(
            "&Revoke…", QKeySequence(Qt.Key.Key_Delete), self.revoke_selected
        )
        self.rotate_action = action("R&otate…", "Ctrl+R", self.rotate_selected)
        self.filter_action = action("Filter", "Ctrl+F", self.focus_filter)
        self.refresh_action = action("Re&fresh", QKeySequence(Qt.Key.Key_F5), self.refresh)
        # For the toolbar's "More" menu (no shortcut of their own).
        self.export_action = QAction("&Export CSV…", self)
        self.export_action.triggered.connect(self.export_csv)
        self.show_revoked_action = QAction("Show re&voked keys", self)
        self.show_revoked_action.setCheckable(True)

    # -- session -------------------------------------------------------------------------

    @property
    def service(self) -> ApiKeysService | None:
        return self._service

    @property
    def loading(self) -> bool:
        return self._loading

    def bind(self, binding: SessionBinding) -> None:
        """Show the keys of whoever ``binding`` says is signed in (none when nobody is)."""
        if binding == self._binding:
            return
        self._binding = binding
        if binding.session is None or binding.info is None:
            self.set_service(None, None)
            return
        if self._service_for is None:
            raise RuntimeError("This keys page was built without a way to reach the API.")
        service = service_or_no_api(self._service_for, binding.session, self.error_view)
        if service is None:
            self.set_service(None, None)
            self._set_state(PageState.ERROR)
            return
        self.set_service(service, binding.info)

    def set_service(self, service: ApiKeysService | None, info: SessionInfo | None) -> None:
        """Show ``service``'s keys; None means signed out. Called on every session change."""
        # The same person in the same profile (a refreshed token, a new service object for
        # the same session): keep the list rather than reload 10,000 keys.
        same = service is not None and same_person(self._info, info)
        self._service = service
        self._info = info
        if service is None:
            self._cancel_load()
            self.model.clear()
            self.model.replace_reminders({})
            self._set_state(PageState.SIGNED_OUT)
            return
        if not self.person_signed_in:
            # The API refuses key management to API keys and service tokens (403): say so
            # rather than load a list that can only fail.
            self._cancel_load()
            self.model.clear()
            self.model.replace_reminders({})
            self.not_a_person_text.setText(self.not_a_person_explanation())
            self._set_state(PageState.NOT_A_PERSON)
            return
        if not same or self.state in (PageState.SIGNED_OUT, PageState.NOT_A_PERSON):
            self.model.clear()
            self.model.replace_reminders(self._stored_reminders())
            self.refresh()
        else:
            self._update_actions()

    @property
    def person_signed_in(self) -> bool:
        """Whether a person (not an API key, not a service) is signed in."""
        return self._info is not None and self._info.kind is CredentialKind.USER

    def not_a_person_explanation(self) -> str:
        """What the page says in an API-key or service session: why, and what to do."""
        info = self._info
        who = NOT_A_PERSON_REASON.get(info.kind, "") if info is not None else ""
        who = who or "This session is not a person's sign-in"
        return (
            f"{who}. Only a person's sign-in can list, create, rotate or revoke API keys: "
            "sign in as yourself to manage them. This session keeps working for the API."
        )

    def not_a_person_reason(self) -> str:
        """Why key management is off in this session, with what to do instead ("" when on)."""
        info = self._info
        if info is None or info.kind is CredentialKind.USER:
            return ""
        who = NOT_A_PERSON_REASON.get(info.kind, "This session is not a person's sign-in")
        return f"{who}: only a person's sign-in can manage API keys"

    # -- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        """(Re)load every page; the previous load, if any, is cancelled."""
        service = self._service
        if service is None or not self.person_signed_in:
            return
        self._cancel_load()
        self._generation += 1
        self.load_task = self._runner.start(
            self._load(service, self._generation),
            owner=self._load_owner,
            on_error=functools.partial(self._load_failed, generation=self._generation),
            name="load-api-keys",
        )

    def _cancel_load(self) -> None:
        self._runner.cancel_owned_by(self._load_owner)
        self._set_loading(False)

    async def _load(self, service: ApiKeysService, generation: int) -> None:
        self._set_loading(True)
        self.banner.clear_message()
        self.banner_retry.hide()
        if self.model.total_count() or self.state is not PageState.LIST:
            self._set_state(PageState.LIST)
        self.progress_label.setText("Loading keys…")
        first_page = True
        loaded = 0
        pending: list[ApiKey] = []
        loop = asyncio.get_running_loop()
        last_flush = loop.time()
        async for page in service.list_pages():
            if generation != self._generation:
                return
            loaded += len(page)
            if first_page:
                # A refresh replaces the rows only once fresh data is here: no blank flash.
                self.model.set_keys(page)
                first_page = False
                last_flush = loop.time()
            else:
                # Every insertion lays the view out (see LOAD_FLUSH_SECONDS); a few
                # batches a second look just as live and leave the loop free in between.
                pending.extend(page)
                if (
                    loop.time() - last_flush >= LOAD_FLUSH_SECONDS
                    or len(pending) >= LOAD_FLUSH_ROWS
                ):
                    self.model.append_keys(pending)
                    pending = []
                    last_flush = loop.time()
            self.progress_label.setText(f"Loading keys… {loaded:,} so far")
        if pending:
            self.model.append_keys(pending)
        if first_page:
            self.model.set_keys(())
        self._forget_settled_reminders()
        self._set_loading(False)
        self.progress_label.setText("")
        self._set_state(PageState.LIST if self.model.total_count() else PageState.EMPTY)
        self._update_count()

    def _load_failed(self, exc: BaseException, generation: int) -> bool:
        if generation != self._generation:
            return True
        self._set_loading(False)
        self.progress_label.setText("")
        list_shown = self.model.total_count() > 0
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
        self.table.hold_scroll_bar(loading)
        self._update_actions()

    # -- state and actions ---------------------------------------------------------------

    @property
    def state(self) -> PageState:
        return PageState(self.stack.currentIndex())

    def _set_state(self, state: PageState) -> None:
        self.stack.setCurrentIndex(state)
        self.toolbar_widget.setVisible(state is not PageState.SIGNED_OUT)
        self._update_actions()
        self._update_no_match()

    def selected_key(self) -> ApiKey | None:
        return selected_object(self.table, OBJECT_ROLE, ApiKey)

    def select_key(self, key_id: str) -> bool:
        row = self.model.row_of(key_id)
        if row is None:
            return False
        return select_source_index(self.table, self.proxy, self.model.index(row, 0))

    def _update_actions(self, *_args: object) -> None:
        signed_in = self._service is not None
        person = signed_in and self.person_signed_in
        key = self.selected_key() if person else None
        rotatable = key is not None and can_rotate(key, self._clock())
        revocable = key is not None and can_revoke(key)
        for widget in (
            self.new_button,
            self.new_action,
            self.refresh_button,
            self.refresh_action,
            self.export_button,
            self.export_action,
            self.filter_edit,
            self.show_revoked_box,
            self.show_revoked_action,
        ):
            widget.setEnabled(person)
        self.rotate_button.setEnabled(rotatable)
        self.rotate_action.setEnabled(rotatable)
        self.revoke_button.setEnabled(revocable)
        self.revoke_action.setEnabled(revocable)
        # Disabled for a reason the person cannot see: the tooltip says it.
        reason = self.not_a_person_reason()
        tips = {
            self.new_button: "Create a new API key (Ctrl+N)",
            self.rotate_button: "Replace the selected key with a new one (Ctrl+R)",
            self.revoke_button: "Revoke the selected key (Delete)",
        }
        for button, tip in tips.items():
            button.setToolTip(f"{reason}." if reason else tip)

    def _update_count(self, *_args: object) -> None:
        total = self.model.total_count()
        shown = self.proxy.rowCount()
        if total == 0:
            self.count_label.setText("")
        elif shown == total:
            self.count_label.setText(f"{total:,} keys" if total != 1 else "1 key")
        else:
            self.count_label.setText(f"{shown:,} of {total:,} keys shown")
        self._update_actions()
        self._update_no_match()

    def _update_no_match(self) -> None:
        """Say so when keys are loaded but the filter (or "show revoked") hides them all."""
        total = self.model.total_count()
        if self.state is not PageState.LIST or total == 0 or self.proxy.rowCount():
            self.no_match_label.hide()
            return
        text = self.filter_edit.text().strip()
        hidden_revoked = self.model.count_matching_hidden_revoked()
        if text:
            message = f"No keys match “{text}”."
            if hidden_revoked:
                message += (
                    f" {hidden_revoked:,} revoked key{'s' if hidden_revoked != 1 else ''} "
                    f"match{'es' if hidden_revoked == 1 else ''}: turn on “Show revoked” to see "
                    f"{'it' if hidden_revoked == 1 else 'them'}."
                )
            else:
                message += " Clear the filter to see every key."
        else:
            message = "Every key is revoked. Turn on “Show revoked” to see them."
        self.no_match_label.setText(message)
        self._place_no_match()
        self.no_match_label.show()

    def _place_no_match(self) -> None:
        viewport = self.table.viewport()
        self.no_match_label.setGeometry(viewport.rect().adjusted(16, 16, -16, -16))

    def _remember_selection(self) -> None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or self.selected_key() is None:
            self._reselect = None
            return
        # The row's identity, not the key's id: an entry whose id was unreadable has none.
        self._reselect = self.model.identity_at(self.proxy.mapToSource(index).row())

    def _restore_selection(self) -> None:
        key_id, self._reselect = self._reselect, None
        if key_id is not None:
            self.select_key(key_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._place_no_match()
            return False
        if watched is self.filter_edit and event.type() == QEvent.Type.Resize:
            # The whole hint where it fits, the short one where it would be cut.
            room = self.filter_edit.width() - 48
            fits = self.filter_edit.fontMetrics().horizontalAdvance(FILTER_HINT) <= room
            self.filter_edit.setPlaceholderText(FILTER_HINT if fits else FILTER_HINT_SHORT)
            return False
        if (
            watched is self.filter_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.state is PageState.LIST
        ):
            # From the filter to what it found, as in a search field's suggestions.
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        return super().eventFilter(watched, event)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _activated(self, index: QModelIndex) -> None:
        key = index.siblingAtColumn(0).data(OBJECT_ROLE)
        if isinstance(key, ApiKey):
            self.show_details(key)

    # -- dialogs -------------------------------------------------------------------------

    def _open(self, dialog: Any) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if isinstance(dialog, QDialog):
            return_focus_to_list(dialog, self.table)
        dialog.open()

    def show_details(self, key: ApiKey) -> KeyDetailsDialog:
        service = self._service
        dialog = KeyDetailsDialog(
            key,
            self,
            reminder=self.model.reminder_for(key.id) if key.id else None,
            clock=self._clock,
            actions_reason=self.not_a_person_reason(),
            load_usage=functools.partial(service.usage, key.id) if service and key.id else None,
            runner=self._runner,
        )
        dialog.rotate_requested.connect(self.rotate_key)
        dialog.revoke_requested.connect(self.revoke_key)
        self._open(dialog)
        return dialog

    def create_key(self) -> CreateKeyDialog | None:
        if self._service is None or not self.person_signed_in:
            return None
        dialog = CreateKeyDialog(
            self._service,
            self._runner,
            self._info.scopes if self._info is not None else None,
            self,
            clock=self._clock,
            existing_names=self.model.active_names(),
        )
        dialog.created.connect(self._key_created)
        self._open(dialog)
        return dialog

    def _key_created(self, created: CreatedApiKey) -> None:
        self._add_key(created.key)
        service = self._service
        if service is None:
            return
        dialog = CopyOnceDialog(
            created,
            service,
            self._runner,
            self.clipboard,
            self._preferences.clipboard_clear_seconds,
            self,
            api_base=service.api_base,
            clock=self._clock,
        )
        del created
        # A test uses the key: its row says so before Delete relies on "never used".
        dialog.panel.key_updated.connect(self._key_updated)
        self._open(dialog)

    def _add_key(self, key: ApiKey) -> None:
        self.model.upsert(key)
        self.key_changed.emit(key)
        if self.state in (PageState.EMPTY, PageState.ERROR):
            self._set_state(PageState.LIST)
        if not self.select_key(key.id) and self.filter_edit.text():
            self.filter_edit.clear()  # the new key is filtered out: show it anyway
            self.select_key(key.id)
        self._update_count()

    def revoke_selected(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.revoke_key(key)

    def revoke_key(self, key: ApiKey) -> RevokeKeyDialog | None:
        if self._service is None or not self.person_signed_in or not can_revoke(key):
            return None
        dialog = RevokeKeyDialog(key, self._service, self._runner, self, clock=self._clock)
        dialog.revoked.connect(self._key_revoked)
        self._open(dialog)
        return dialog

    def _key_revoked(self, key: ApiKey) -> None:
        # With revoked keys hidden, the row goes at once; shown, it stays, marked revoked.
        self.model.upsert(key, refilter=True)
        self.key_changed.emit(key)
        self.model.set_reminder(key.id, None)
        self._save_reminders()
        self._update_actions()
        self._messages.info(f"Revoked the API key “{key.name}” ({key.prefix}…).")

    def rotate_selected(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.rotate_key(key)

    def rotate_key(self, key: ApiKey) -> RotateKeyDialog | None:
        service = self._service
        if service is None or not self.person_signed_in or not can_rotate(key, self._clock()):
            return None
        dialog = RotateKeyDialog(
            key,
            service,
            self._runner,
            self._info.scopes if self._info is not None else None,
            self.clipboard,
            self._preferences.clipboard_clear_seconds,
            self,
            api_base=service.api_base,
            clock=self._clock,
            existing_names=self.model.active_names(),
        )
        dialog.created.connect(self._add_key)
        dialog.old_revoked.connect(self._key_revoked)
        dialog.revoke_later.connect(self._revoke_later)
        dialog.old_updated.connect(self._key_updated)
        dialog.new_updated.connect(self._key_updated)
        self._open(dialog)
        return dialog

    def _key_updated(self, key: ApiKey) -> None:
        """A key read afresh (its last use, or revoked elsewhere): its row, and the actions."""
        self.model.upsert(key, refilter=True)
        self.key_changed.emit(key)
        self._update_actions()

    def _revoke_later(self, old: ApiKey, reminder: str) -> None:
        self.model.set_reminder(old.id, reminder)
        self._save_reminders()
        self._messages.info(f"“{old.name}” is still active: revoke it once nothing uses it.")

    # -- actions other pages ask for (the Health page, through the shell) -------------------

    def perform_key_action(self, request: KeyActionRequest) -> QWidget | None:
        """Start the flow ``request`` names on its key, as the list has it now (fresher than
        the asking page's copy when loaded). Returns the dialog opened, or None when the
        flow cannot start (signed out; the key is no longer active, for a rotation)."""
        key = self.model.key_by_id(request.key.id) or request.key
        if request.action is KeyAction.ROTATE:
            return self.rotate_key(key)
        if request.action is KeyAction.REVOKE:
            return self.revoke_key(key)
        if request.action is KeyAction.REPLACE:
            return self.replace_key(key, request.scopes or key.scopes, request.why)
        return self.show_details(key)

    def replace_key(
        self, old: ApiKey, scopes: tuple[str, ...], why: str = ""
    ) -> CreateKeyDialog | None:
        """ "Create API key", pre-filled to replace ``old``: its name (marked as a
        replacement), ``scopes`` and the recommended expiry; ``why`` heads the dialog.
        Once created, the new key is shown once as usual and ``old`` gets the reminder to
        revoke it when nothing uses it any more."""
        dialog = self.create_key()
        if dialog is None:
            return None
        now = self._clock()
        dialog.setWindowTitle("Replace API key")
        dialog.form.prefill(rotated_name(old.name, now), scopes, DEFAULT_EXPIRY_DAYS)
        note = InlineMessage("warning")
        note.setObjectName("replaceNote")
        note.show_message(
            f"Replaces “{old.name}” ({old.prefix}…). {why}".strip()
            + " Once your applications use the new key, revoke the old one."
        )
        layout = dialog.layout()
        if isinstance(layout, QVBoxLayout):
            layout.insertWidget(0, note)

        def remind(created: CreatedApiKey) -> None:
            new = created.key
            self._revoke_later(
                old,
                f"Replaced on {absolute_time(now)} by “{new.name}” ({new.prefix}…). "
                "Revoke this key once your applications use the new one.",
            )

        dialog.created.connect(remind)
        return dialog

    # -- reminders -----------------------------------------------------------------------

    def _reminder_owner(self) -> tuple[str, str, str] | None:
        info = self._info
        if self._reminder_store is None or info is None or not info.subject:
            return None
        return info.profile_id, info.org or "", info.subject

    def _stored_reminders(self) -> dict[str, str]:
        owner = self._reminder_owner()
        if owner is None or self._reminder_store is None:
            return {}
        return self._reminder_store.load(*owner)

    def _save_reminders(self) -> None:
        owner = self._reminder_owner()
        if owner is not None and self._reminder_store is not None:
            self._reminder_store.save(*owner, self.model.reminders())

    def _forget_settled_reminders(self) -> None:
        """After a full load: a reminder whose key is revoked (elsewhere, say) or expired
        has nothing left to remind of. A key missing from the list is left alone: another
        session may see fewer keys than the one that rotated it."""
        now = self._clock()
        settled = [
            key_id
            for key_id in self.model.reminders()
            if (key := self.model.key_by_id(key_id)) is not None
            and key_status(key, now) is not KeyStatus.ACTIVE
        ]
        for key_id in settled:
            self.model.set_reminder(key_id, None)
        if settled:
            self._save_reminders()

    # -- export --------------------------------------------------------------------------

    def export_csv(self) -> QFileDialog | None:
        if not self.model.total_count():
            self._messages.info("There are no keys to export.")
            return None
        dialog = QFileDialog(self, "Export API keys as CSV", str(Path.home() / "api-keys.csv"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_csv_to(Path(path)))
        self._open(dialog)
        return dialog

    def export_csv_to(self, path: Path) -> asyncio.Task[None]:
        """Write every loaded key (revoked too, never a secret) to ``path`` off the UI thread."""
        text = keys_to_csv(self.model.all_keys(), self._clock())
        count = self.model.total_count()

        async def write() -> None:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8", newline="")
            self._messages.info(f"Exported {count:,} keys to {path}.")

        return self._runner.start(write(), owner=self, name="export-api-keys")
