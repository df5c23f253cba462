"""The Health page: every key of the signed-in person (of the organisation, for an admin)
checked against the seed's security practices, each finding with its reason and one action.

A check reads the key list (following its pages), then the usage report of each key used
in the last 30 days (a few at a time, :data:`USAGE_CONCURRENCY`; one request per key is
the API's only way), then runs the Health rules and builds the rows in a worker thread
(``report.build_report``): the window keeps painting throughout, also with 10,000 keys
(``benchmarks/responsiveness.py`` measures it). A check runs when the page is first shown,
or :data:`FIRST_CHECK_DELAY_MS` after sign-in if it is not (the reminders need it), then
every :data:`RECHECK_INTERVAL_MS` while the app runs, and on F5 / "Check again".

Actions that belong to the API Keys page (rotate, revoke, replace with an expiring or a
narrower key, look at the usage) are asked for with a
:class:`~twinedge_desktop.ui.common.key_actions.KeyActionRequest` (``key_action_requested``);
the shell hands it to that page, and tells this one of keys changed there (``key_updated``).

Dismissed findings are remembered per profile, organisation and person; a dismissal lasts
until the finding goes away (a check no longer finds it), so a finding that comes back is
news again. Reminders: after each check, a desktop notification for each key that expires
within 7 days or shows unusual activity (``rules.wants_reminder``), at most one per key and
day, also across restarts and across several windows (``store.HealthSettings``), unless
``Preferences.notifications_enabled`` is off. Clicking one brings the window forward with
this page and the finding selected (``show_requested``).

Keyboard: F5 check again, Ctrl+O scan a folder, Ctrl+F filter, Enter the selected finding's
action, Ctrl+D dismiss or bring back, Ctrl+I the key's details.

Signals:
    attention_changed(int, str): keys needing attention, and the sentence saying so.
    show_requested(): bring the window forward with this page (a notification was clicked).
    key_action_requested(KeyActionRequest): start a flow of the API Keys page.
    sign_in_requested(): the signed-out state's "Sign in" button was pressed.
    checked(HealthReport): a check finished and is shown.
    keys_read(int): a check has read the key list (how many keys); the check keeps them
        until the next one. With many keys, a moment for the app to move long-lived objects
        out of the garbage collector's full passes (``gc.freeze()``), before the usage
        reports and the findings make those passes happen during the check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.errors import (
    ApiError,
    InsufficientScope,
    InvalidToken,
    NetworkError,
    NotFound,
)
from twinedge_desktop.api.models import ApiKey, KeyStatus
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import Preferences
from twinedge_desktop.health.rules import Action, FindingKind
from twinedge_desktop.timefmt import Clock, relative_time, utc_now
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.key_actions import KeyAction, KeyActionRequest
from twinedge_desktop.ui.common.list_page import (
    centered_view,
    load_error_view,
    page_action,
    same_person,
    service_or_no_api,
)
from twinedge_desktop.ui.common.messages import MessageBridge
from twinedge_desktop.ui.common.page import SessionBinding
from twinedge_desktop.ui.common.style import icon, set_role
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.usage_chart import UsageChart
from twinedge_desktop.ui.common.widgets import label
from twinedge_desktop.ui.health.findings import FindingsModel, FindingsView
from twinedge_desktop.ui.health.notifications import NotificationsUnavailable, Notifier
from twinedge_desktop.ui.health.report import (
    FindingId,
    FindingRow,
    HealthReport,
    PackedUsage,
    build_report,
    finding_token,
    keys_needing_usage,
    local_day,
    pack_usage,
    parse_token,
    summary_text,
)
from twinedge_desktop.ui.health.store import HealthSettings, Owner

if TYPE_CHECKING:
    from datetime import date, datetime

    from twinedge_desktop.api.keys import ApiKeysService
    from twinedge_desktop.auth.session import Session, SessionInfo
    from twinedge_desktop.ui.health.scan_dialog import KeysToMatch, ScanDialog

log = logging.getLogger(__name__)

FIRST_CHECK_DELAY_MS = 15_000  # after sign-in, when the page is not shown: startup comes first
RECHECK_INTERVAL_MS = 4 * 3600 * 1000
TIME_REFRESH_MS = 60_000  # "checked 3 min ago"
USAGE_CONCURRENCY = 8  # usage requests on the wire at once (the client allows 16 in all)
PROGRESS_INTERVAL = 0.25  # seconds between progress texts (each one repaints the header)
# Between the steps of showing a check's findings (see HealthPage._show_report): long
# enough for the event loop to repaint the window in between, short enough not to be seen.
STEP_PAUSE = 0.005
WORKER_PAUSE = 0.0005  # seconds the rules' worker thread gives the UI thread between batches


def _let_the_ui_thread_run() -> None:
    """Sleep a moment (in the worker): the UI thread takes the interpreter meanwhile."""
    time.sleep(WORKER_PAUSE)


@dataclasses.dataclass(frozen=True)
class _CheckResult:
    """What a check worked out in the worker thread, ready for the page to keep."""

    report: HealthReport
    keys: dict[str, ApiKey]  # every key listed, by id
    # Kept for checking a key again alone (key_updated): only where the check found
    # something, and packed (pack_usage): nothing here for the garbage collector to walk.
    usage: dict[str, PackedUsage]


def _work_out_check(
    keys: list[ApiKey],
    usage: dict[str, PackedUsage],
    now: datetime,
    dismissed: frozenset[FindingId],
    unread: frozenset[str],
) -> _CheckResult:
    """Run in a worker thread: the report, and the lookups the page keeps (10,000 keys:
    ~2 ms more that the UI thread does not spend)."""
    report = build_report(keys, usage, now, dismissed, unread, pause=_let_the_ui_thread_run)
    return _CheckResult(
        report=report,
        keys={key.id: key for key in keys if key.id},
        usage={row.key.id: row.packed_usage for row in report.rows if row.packed_usage is not None},
    )


class HealthState(IntEnum):
    """What the page shows; the value is the view's index in the page's stack.

    The first check of a person shows REPORT from its start, the list empty and saying
    "Checking…": when the findings arrive only the list fills, and the page is not laid
    out anew (switching views with 10,000 rows cost ~10 ms of the UI thread, measured).
    """

    SIGNED_OUT = 0
    REPORT = 1
    ALL_GOOD = 2
    ERROR = 3
    NOT_A_PERSON = 4  # an API key or a service signed in: the API lists keys to people only


# Why the keys cannot be checked in an API-key or service session.
NOT_A_PERSON_REASON = {
    CredentialKind.API_KEY: "You are signed in with an API key",
    CredentialKind.SERVICE: "You are signed in as a service account (client credentials)",
}


def key_action_for(row: FindingRow) -> KeyActionRequest:
    """The API Keys page's flow for ``row``'s action."""
    finding, key = row.finding, row.key
    action = finding.action
    if action in (Action.ROTATE, Action.ROTATE_NOW):
        return KeyActionRequest(KeyAction.ROTATE, key)
    if action is Action.REVOKE:
        return KeyActionRequest(KeyAction.REVOKE, key)
    if action is Action.REPLACE_WITH_NARROWER_KEY:
        return KeyActionRequest(KeyAction.REPLACE, key, finding.narrower_scopes, finding.reason)
    if action is Action.REPLACE_WITH_EXPIRING_KEY:
        return KeyActionRequest(KeyAction.REPLACE, key, key.scopes, finding.reason)
    return KeyActionRequest(KeyAction.SHOW_DETAILS, key)


async def read_usage(
    service: ApiKeysService,
    keys: list[ApiKey],
    on_progress: Callable[[int], None],
    concurrency: int = USAGE_CONCURRENCY,
) -> tuple[dict[str, PackedUsage], set[str]]:
    """The usage reports of ``keys``, ``concurrency`` requests at a time (workers pulling
    from one list: 10,000 keys are never 10,000 tasks at once). A key the server no longer
    shows (404) is skipped; one whose report fails otherwise is counted as unread. A
    refused sign-in or an unreachable server ends the check: every other key would fail
    the same way. The reports are kept packed (:func:`~.report.pack_usage`): thousands of
    them unpacked made the garbage collector's full passes on the UI thread."""
    reports: dict[str, PackedUsage] = {}
    unread: set[str] = set()
    pending = iter(keys)
    done = 0

    async def worker() -> None:
        nonlocal done
        for key in pending:  # one shared iterator: each key is taken once
            try:
                reports[key.id] = pack_usage(await service.usage(key.id))
            except NotFound:
                pass
            except (InvalidToken, InsufficientScope, NetworkError):
                raise
            except ApiError as exc:
                log.info("The usage of one key could not be read: %s", exc.user_message)
                unread.add(key.id)
            done += 1
            on_progress(done)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(keys)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return reports, unread


class HealthPage(QWidget):
    """The Health page (see module docstring)."""

    attention_changed = Signal(int, str)
    show_requested = Signal()
    key_action_requested = Signal(object)
    sign_in_requested = Signal()
    checked = Signal(object)
    keys_read = Signal(int)

    def __init__(
        self,
        runner: TaskRunner,
        messages: MessageBridge,
        preferences: Callable[[], Preferences],
        parent: QWidget | None = None,
        *,
        store: HealthSettings | None = None,
        notifier: Notifier | None = None,
        clock: Clock = utc_now,
        service_for: Callable[[Session], ApiKeysService] | None = None,
    ) -> None:
        """``preferences`` gives the preferences as they are now (they may change while the
        app runs: the notifications setting is read at each reminder); ``store`` keeps
        dismissals and reminder days (None: for this run only);
        ``notifier`` shows reminders (None: no reminders); ``service_for`` gives :meth:`bind`
        the keys service of a signed-in session (without it, use :meth:`set_service`)."""
        super().__init__(parent)
        self.setAccessibleName("Key health")
        self._runner = runner
        self._messages = messages
        self._preferences = preferences
        self._store = store
        self._notifier = notifier
        self._clock = clock
        self._service_for = service_for
        self._binding: SessionBinding | None = None
        self._service: ApiKeysService | None = None
        self._info: SessionInfo | None = None
        self._report: HealthReport | None = None
        self._keys: dict[str, ApiKey] = {}
        self._usage: dict[str, PackedUsage] = {}
        # Keys changed on the API Keys page since the last check (each checked again then).
        self._changed_since_check: set[str] = set()
        self._dismissed: set[FindingId] = set()
        self._reminded: dict[str, date] = {}  # without a store: this run's reminders
        self._check_owner = QObject(self)  # lets a new check cancel the previous one only
        self.check_task: asyncio.Task[None] | None = None
        self._notifications_warned = False
        self.scan_dialog: ScanDialog | None = None

        self.model = FindingsModel(self)
        self._counted: tuple[int, int] | None = None  # _counts of the rows as they are
        self._details_held = False  # _show_details waits (see _show_report)
        self._details_shown: FindingRow | None = None  # the row the details show
        self.model.modelReset.connect(self._forget_counts)  # before the views hear of it
        self.stack = QStackedWidget()
        for build in (
            self._build_signed_out,
            self._build_report,
            self._build_all_good,
            self._build_error,
            self._build_not_a_person,
        ):
            self.stack.addWidget(build())
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_header())
        layout.addWidget(self.stack, 1)
        self._build_actions()

        self._first_check = QTimer(self)
        self._first_check.setSingleShot(True)
        self._first_check.timeout.connect(self._check_if_unchecked)
        self._recheck = QTimer(self)
        self._recheck.setInterval(RECHECK_INTERVAL_MS)
        self._recheck.timeout.connect(self.refresh)
        self._times = QTimer(self)
        self._times.setInterval(TIME_REFRESH_MS)
        self._times.timeout.connect(self._update_summary)
        self._times.start()
        if notifier is not None:
            notifier.activated.connect(self._notification_clicked)
        self._set_state(HealthState.SIGNED_OUT)

    # -- construction ----------------------------------------------------------------------

    def _build_header(self) -> QWidget:
        header = QWidget()
        self.header = header
        column = QVBoxLayout(header)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        self.summary = label("", "heading", wrap=True)
        self.summary.setAccessibleName("Summary")
        self.detail = label("", "muted", wrap=True)
        self.detail.setAccessibleName("Last check")
        self.check_button = QPushButton("Check &again")
        self.check_button.setAccessibleName("Check the keys again")
        self.check_button.setToolTip("Read the keys and their usage again (F5)")
        self.check_button.setIcon(icon("refresh"))
        self.check_button.clicked.connect(self.refresh)
        self.scan_button = QPushButton("&Scan a folder…")
        self.scan_button.setAccessibleName("Scan a folder for API keys")
        self.scan_button.setToolTip(
            "Look for TwinEdge API keys in a folder and its git history (Ctrl+O)"
        )
        self.scan_button.setIcon(icon("inspect"))
        self.scan_button.clicked.connect(self.open_scan)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.summary)
        texts.addWidget(self.detail)
        row = QHBoxLayout()
        row.addLayout(texts, 1)
        row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.scan_button, 0, Qt.AlignmentFlag.AlignTop)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.progress.setAccessibleName("Checking")
        self.progress_label = label("", "muted", wrap=False)
        self.progress_label.setProperty("elides", True)  # a count and a path: never wraps
        # Its text changes while checking; with its size hint ignored, a new text repaints the
        # label only, and never lays out the whole window again.
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label, 1)
        progress_row.addWidget(self.progress)
        self.progress.setFixedWidth(140)
        self.banner = InlineMessage("error")
        self.banner.setObjectName("checkBanner")
        column.addLayout(row)
        column.addLayout(progress_row)
        column.addWidget(self.banner)
        self._set_progress(None)
        return header

    def _build_signed_out(self) -> QWidget:
        view = centered_view("Sign in to check the health of your API keys.")
        self.signed_out_label = view.heading
        self.sign_in_button = QPushButton("&Sign in…")
        self.sign_in_button.setAccessibleName("Sign in")
        self.sign_in_button.setProperty("primary", True)
        self.sign_in_button.clicked.connect(self.sign_in_requested)
        view.layout.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignCenter)
        view.layout.addStretch(2)
        return view.page

    def _build_report(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by key name or prefix (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter findings")
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.show_dismissed_box = QCheckBox("Show dis&missed")
        self.show_dismissed_box.setAccessibleName("Show dismissed findings")
        self.show_dismissed_box.toggled.connect(self._filter_changed)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter_edit, 1)
        filter_row.addWidget(self.show_dismissed_box)
        self.view = FindingsView()
        self.view.placeholder = (
            "Checking every key against the security practices: age, use, expiry, scopes "
            "and unusual activity…"
        )
        self.view.setModel(self.model)
        self.view.action_requested.connect(self.request_action)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._show_details)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self._build_details())
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addLayout(filter_row)
        layout.addWidget(self.splitter, 1)
        return page

    def _build_details(self) -> QWidget:
        card = QFrame()
        card.setObjectName("card")
        set_role(card, "card")
        column = QVBoxLayout(card)
        column.setContentsMargins(12, 10, 12, 10)
        self.details_title = label("", "subheading")
        self.details_key = label("")
        self.details_key.setTextFormat(Qt.TextFormat.PlainText)  # the key's name is anyone's
        self.details_key.setAccessibleName("Key")
        self.details_reason = label("")
        self.details_reason.setTextFormat(Qt.TextFormat.PlainText)
        self.details_reason.setAccessibleName("Reason")
        self.details_chart = UsageChart()
        self.details_chart.setMinimumHeight(130)
        self.action_button = QPushButton("")
        self.action_button.setProperty("primary", True)
        self.action_button.clicked.connect(self._act_on_current)
        self.key_details_button = QPushButton("Key &details…")
        self.key_details_button.setAccessibleName("Show the key's details and usage")
        self.key_details_button.setToolTip("The key's details and its usage (Ctrl+I)")
        self.key_details_button.clicked.connect(self.show_key_details)
        self.dismiss_button = QPushButton("&Dismiss")
        self.dismiss_button.setToolTip("Hide this finding until it changes (Ctrl+D)")
        self.dismiss_button.clicked.connect(self.toggle_dismissed)
        # The buttons right under the reason: at the window's smallest they stay in sight,
        # and the chart (for unusual activity) scrolls below them.
        title_row = QHBoxLayout()
        title_row.addWidget(self.details_title, 1)
        title_row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.action_button)
        buttons.addWidget(self.key_details_button)
        buttons.addStretch(1)
        column.addLayout(title_row)
        column.addWidget(self.details_key)
        column.addWidget(self.details_reason)
        column.addLayout(buttons)
        column.addWidget(self.details_chart)
        column.addStretch(1)
        self.details_card = card
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(card)
        scroll.setAccessibleName("Finding")
        self.details_scroll = scroll
        return scroll

    def _build_all_good(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        badge = QLabel()
        badge.setPixmap(icon("shield").pixmap(48, 48))
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.all_good_text = label(
            "Every key has an expiry, is in use, is younger than 90 days, uses the access it "
            "has, and behaved as usual over the last 30 days.",
            "muted",
        )
        self.all_good_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.all_good_dismissed = QPushButton("Show dismissed findings")
        self.all_good_dismissed.clicked.connect(lambda: self._show_dismissed(True))
        layout.addWidget(badge)
        layout.addWidget(self.all_good_text)
        layout.addWidget(self.all_good_dismissed, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return page

    def _build_error(self) -> QWidget:
        self.error_view = load_error_view("The keys could not be checked", self.refresh)
        self.error_text = self.error_view.error_text
        self.retry_button = self.error_view.retry_button
        self.retry_button.setAccessibleName("Check again")
        return self.error_view.page

    def _build_not_a_person(self) -> QWidget:
        view = centered_view("Checking key health needs a person's sign-in")
        self.not_a_person_text = label("")
        self.not_a_person_text.setObjectName("notAPerson")
        self.not_a_person_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.not_a_person_text.setAccessibleName("Why the keys cannot be checked")
        self.person_sign_in_button = QPushButton("&Sign in as a person…")
        self.person_sign_in_button.setAccessibleName("Sign in as a person")
        self.person_sign_in_button.setProperty("primary", True)
        self.person_sign_in_button.clicked.connect(self.sign_in_requested)
        view.layout.addWidget(self.not_a_person_text)
        view.layout.addWidget(self.person_sign_in_button, 0, Qt.AlignmentFlag.AlignCenter)
        view.layout.addStretch(2)
        return view.page

    def _build_actions(self) -> None:
        action = functools.partial(page_action, self)
        self.refresh_action = action("Check again", "F5", self.refresh)
        self.scan_action = action("Scan a folder…", "Ctrl+O", self.open_scan)
        self.filter_action = action("Filter", "Ctrl+F", self.focus_filter)
        self.dismiss_action = action("Dismiss", "Ctrl+D", self.toggle_dismissed)
        self.details_action = action("Key details", "Ctrl+I", self.show_key_details)

    # -- binding -------------------------------------------------------------------------

    @property
    def service(self) -> ApiKeysService | None:
        return self._service

    @property
    def report(self) -> HealthReport | None:
        return self._report

    @property
    def keys(self) -> list[ApiKey]:
        """Every key of the last check (revoked and expired too), as it is now here."""
        return list(self._keys.values())

    def bind(self, binding: SessionBinding) -> None:
        """Check the keys of whoever ``binding`` says is signed in (none when nobody is)."""
        if binding == self._binding:
            return
        self._binding = binding
        if binding.session is None or binding.info is None:
            self.set_service(None, None)
            return
        if self._service_for is None:
            raise RuntimeError("This Health page was built without a way to reach the API.")
        service = service_or_no_api(self._service_for, binding.session, self.error_view)
        if service is None:
            self.set_service(None, None)
            self._set_state(HealthState.ERROR)
            return
        self.set_service(service, binding.info)

    def set_service(self, service: ApiKeysService | None, info: SessionInfo | None) -> None:
        """Check ``service``'s keys; None means signed out. Called on every session change."""
        # The same person in the same profile, signed in the same way (a refreshed token):
        # keep the findings. An API key of that person's is not them (see NOT_A_PERSON).
        same = (
            service is not None
            and same_person(self._info, info)
            and self._info is not None
            and info is not None
            and self._info.kind is info.kind
        )
        self._service = service
        self._info = info
        if same:
            return
        self._runner.cancel_owned_by(self._check_owner)
        self._first_check.stop()
        self._recheck.stop()
        self._report = None
        self._keys = {}
        self._usage = {}
        self._changed_since_check = set()
        self._dismissed = set()
        self._reminded = {}
        self.model.set_rows(())
        self.banner.clear_message()
        self._set_progress(None)
        if service is None:
            self._set_state(HealthState.SIGNED_OUT)
            self._announce(0)
            return
        if not self.person_signed_in:
            # The API refuses the key list to API keys and service tokens (403): say so
            # rather than run a check that can only fail (and a Try again that cannot help).
            self.not_a_person_text.setText(self.not_a_person_explanation())
            self._set_state(HealthState.NOT_A_PERSON)
            self._announce(0)
            return
        self._set_state(HealthState.REPORT)  # empty, "Checking…", until the findings arrive
        self._update_summary()
        if self.isVisible():
            self.refresh()
        else:
            self._first_check.start(FIRST_CHECK_DELAY_MS)

    @property
    def person_signed_in(self) -> bool:
        """Whether a person (not an API key, not a service) is signed in."""
        return self._info is not None and self._info.kind is CredentialKind.USER

    def not_a_person_explanation(self) -> str:
        """What the page says in an API-key or service session: why, and what to do."""
        return (
            f"{self._not_a_person_reason()}. Only a person's sign-in can list API keys and "
            "read their usage: sign in as yourself to check them. Scan a folder (Ctrl+O) "
            "works in this session too."
        )

    def _not_a_person_reason(self) -> str:
        info = self._info
        who = NOT_A_PERSON_REASON.get(info.kind, "") if info is not None else ""
        return who or "This session is not a person's sign-in"

    def _owner(self) -> Owner | None:
        info = self._info
        if info is None or not info.subject:
            return None
        return (info.profile_id, info.org or "", info.subject)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Shown before the delayed first check: check now, the person is looking.
        QTimer.singleShot(0, self, self._check_if_unchecked)

    def _check_if_unchecked(self) -> None:
        if (
            self._service is not None
            and self.person_signed_in
            and self._report is None
            and not self.checking
        ):
            self.refresh()

    # -- checking ------------------------------------------------------------------------

    @property
    def checking(self) -> bool:
        return self.check_task is not None and not self.check_task.done()

    def refresh(self) -> None:
        """Check every key again (a running check is cancelled first)."""
        service = self._service
        if service is None or not self.person_signed_in:
            return
        self._first_check.stop()
        self._runner.cancel_owned_by(self._check_owner)
        self.check_task = self._runner.start(
            self._check(service),
            owner=self._check_owner,
            on_error=functools.partial(self._check_failed, service=service),
            name="check-key-health",
        )
        self._recheck.start()  # the next one, counted from now

    async def _check(self, service: ApiKeysService) -> None:
        self.banner.clear_message()
        self.check_button.setEnabled(False)
        self.refresh_action.setEnabled(False)
        loop = asyncio.get_running_loop()
        shown_at = 0.0

        def progress(text: str, done: int | None = None, total: int | None = None) -> None:
            nonlocal shown_at
            now = loop.time()
            if done is not None and done not in (0, total) and now - shown_at < PROGRESS_INTERVAL:
                return
            shown_at = now
            self._set_progress(text, done, total)

        try:
            progress("Reading your keys…")
            keys: list[ApiKey] = []
            async for page in service.list_pages():
                keys.extend(page)
                progress(f"Reading your keys… {len(keys):,} so far")
            self.keys_read.emit(len(keys))
            owner = self._owner()
            if owner is not None and self._store is not None:
                try:
                    self._dismissed = await asyncio.to_thread(self._store.dismissed, owner)
                except OSError as exc:  # the check goes on; dismissals of this run count
                    log.warning("Could not read the dismissed findings: %s", exc)
            now = self._clock()
            wanted = keys_needing_usage(keys, now)
            total = len(wanted)
            progress(f"Reading the usage of {total:,} keys used lately…", 0, total)
            usage, unread = await read_usage(
                service,
                wanted,
                lambda done: progress(f"Reading usage: {done:,} of {total:,} keys", done, total),
            )
            progress(f"Checking {len(keys):,} keys…")
            checked = await asyncio.to_thread(
                functools.partial(
                    _work_out_check,
                    keys,
                    usage,
                    now,
                    frozenset(self._dismissed),
                    frozenset(unread),
                )
            )
            report = checked.report
            self._set_progress(None)
            self._keys = checked.keys
            self._usage = checked.usage
            self._changed_since_check = set()
            await self._show_report(report)
        finally:
            if shiboken6.isValid(self):  # not when cancelled because the page is gone
                self.check_button.setEnabled(True)
                self.refresh_action.setEnabled(True)
        if report.settled and owner is not None and self._store is not None:
            self._dismissed -= report.settled
            await asyncio.to_thread(self._store.forget_dismissals, owner, report.settled)
        self.checked.emit(report)
        await self._remind(report)

    def _check_failed(self, exc: BaseException, service: ApiKeysService) -> bool:
        if not shiboken6.isValid(self) or service is not self._service:
            return True  # a check for a session that is gone
        self._set_progress(None)
        text = error_message(exc)
        if self._report is not None:
            self.banner.show_message(f"Checking again failed: {text}")
            self._set_state(self.state)
        else:
            self.error_text.show_message(text)
            self.retry_button.show()  # hidden while the profile had no API address
            self._set_state(HealthState.ERROR)
        return True

    def _set_progress(
        self, text: str | None, done: int | None = None, total: int | None = None
    ) -> None:
        busy = text is not None
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.progress_label.setText(text or "")
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done or 0)
        else:
            self.progress.setRange(0, 0)

    # -- showing a report ------------------------------------------------------------------

    async def _show_report(self, report: HealthReport) -> None:
        """Show a check's findings in three steps, with a pause between them in which the
        window repaints: the list; then the selection and its details (the chart); then
        the summary, the badge and the page's state. With 10,000 findings they were one
        stall of 17-22 ms (a single repaint of all of it after ~8 ms of work); apart,
        each is a few milliseconds (``benchmarks/responsiveness.py``)."""
        current = self.current_row()
        keep = current.id if current else None
        self._report = report
        self._details_held = True  # the model's reset would show the details at once
        try:
            self.model.set_rows(report.rows)
        finally:
            self._details_held = False
        # Counted in the worker, as _counts would count these rows.
        self._counted = (report.attention, report.dismissed)
        await asyncio.sleep(STEP_PAUSE)
        self._select(keep)
        await asyncio.sleep(STEP_PAUSE)
        self._after_rows_changed(keep)

    def _select(self, keep: FindingId | None) -> None:
        """Make ``keep`` the current row if it is shown, else the first row (if any)."""
        kept = keep is not None and self.select_finding(keep, reveal=False)
        if not kept and self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))

    def _after_rows_changed(self, keep: FindingId | None) -> None:
        self._select(keep)
        self._show_details()
        self._update_summary()
        has_findings = bool(self.model.all_rows())
        shown = self.model.rowCount() or self.model.filter_text or self.model.show_dismissed
        self._set_state(HealthState.REPORT if has_findings and shown else HealthState.ALL_GOOD)

    def _counts(self) -> tuple[int, int]:
        """(keys needing attention, findings dismissed) as the rows are now (counted once
        per change of the rows: 10,000 rows are ~3 ms on the UI thread)."""
        if self._counted is None:
            rows = self.model.all_rows()
            attention = len({row.key.id for row in rows if not row.dismissed})
            self._counted = (attention, sum(1 for row in rows if row.dismissed))
        return self._counted

    def _forget_counts(self) -> None:
        self._counted = None

    def _update_summary(self) -> None:
        if self._service is None:
            return
        report = self._report
        if report is None:
            self.summary.setText("Checking your keys…")
            self.detail.setText("")
            return
        attention, dismissed = self._counts()
        self.summary.setText(summary_text(attention))
        admin = self._info is not None and "admin" in self._info.scopes
        whose = "of the organisation" if admin else ""
        active = f"{report.checked:,} active key{'s' if report.checked != 1 else ''}"
        parts = [
            f"{active} {whose} checked {relative_time(report.checked_at, self._clock())}".replace(
                "  ", " "
            )
        ]
        changed = len(self._changed_since_check)
        if changed:
            parts.append(
                f"{changed:,} key{'s' if changed != 1 else ''} changed here since, and "
                "checked again then"
            )
        if dismissed:
            parts.append(f"{dismissed:,} finding{'s' if dismissed != 1 else ''} dismissed")
        if report.usage_unread:
            parts.append(
                f"the usage of {report.usage_unread:,} keys could not be read, so their "
                "activity was not checked"
            )
        self.detail.setText("; ".join(parts) + ".")
        self.all_good_dismissed.setVisible(bool(dismissed))
        self._announce(attention)

    def _announce(self, attention: int) -> None:
        self.attention_changed.emit(attention, summary_text(attention))

    @property
    def attention(self) -> int:
        return self._counts()[0] if self._report is not None else 0

    @property
    def state(self) -> HealthState:
        return HealthState(self.stack.currentIndex())

    def _set_state(self, state: HealthState) -> None:
        self.stack.setCurrentIndex(state)
        signed_in = state is not HealthState.SIGNED_OUT
        checks = signed_in and state is not HealthState.NOT_A_PERSON
        self.check_button.setVisible(checks)
        self.refresh_action.setEnabled(checks and self.check_button.isEnabled())
        self.scan_button.setVisible(signed_in)
        self.summary.setVisible(checks)
        self.detail.setVisible(checks)  # empty while checking: no relayout when it fills
        self._update_actions()

    def _update_actions(self) -> None:
        row = self.current_row()
        for widget in (self.dismiss_action, self.details_action):
            widget.setEnabled(row is not None)
        self.scan_action.setEnabled(self._service is not None)

    # -- selection and details ----------------------------------------------------------------

    def current_row(self) -> FindingRow | None:
        if not hasattr(self, "view"):
            return None
        return self.view.row_for(self.view.currentIndex())

    def select_finding(self, finding_id: FindingId, *, reveal: bool = True) -> bool:
        """Make ``finding_id`` the current row; ``reveal`` clears a filter that hides it and
        shows dismissed findings if it is one. False when there is no such finding."""
        row = self.model.row_of(finding_id)
        found = self.model.find(finding_id)
        if row is None and found is not None and reveal:
            if self.filter_edit.text():
                self.filter_edit.clear()
            if found.dismissed:
                self._show_dismissed(True)
            row = self.model.row_of(finding_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.view.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()

    def _show_details(self) -> None:
        if self._details_held:
            return
        row = self.current_row()
        self.details_card.setVisible(row is not None)
        self._update_actions()
        if row is None or row is self._details_shown:
            # The same row (rows are immutable: a change is a new one): texts and chart
            # are up to date, and drawing the chart again costs a few milliseconds.
            self._details_shown = row
            return
        self._details_shown = row
        self.details_title.setText(row.title + (" (dismissed)" if row.dismissed else ""))
        scopes = ", ".join(row.key.scopes) or "no scopes"
        self.details_key.setText(f"{row.key_text} — {scopes}")
        self.details_reason.setText(row.finding.reason)
        self.action_button.setText(row.action_label)
        self.action_button.setAccessibleName(row.action_label.rstrip("…"))
        self.dismiss_button.setText("Bring &back" if row.dismissed else "&Dismiss")
        self.dismiss_button.setAccessibleName(
            "Bring the finding back" if row.dismissed else "Dismiss the finding"
        )
        chart = row.finding.kind is FindingKind.UNUSUAL_ACTIVITY and row.packed_usage is not None
        self.details_chart.setVisible(chart)
        self.details_chart.set_usage(row.usage if chart else None)

    # -- actions -----------------------------------------------------------------------------

    def request_action(self, row: FindingRow) -> KeyActionRequest:
        """Ask the API Keys page (through the shell) for ``row``'s action."""
        request = key_action_for(row)
        self.key_action_requested.emit(request)
        return request

    def _act_on_current(self) -> None:
        row = self.current_row()
        if row is not None:
            self.request_action(row)

    def show_key_details(self) -> None:
        row = self.current_row()
        if row is not None:
            self.key_action_requested.emit(KeyActionRequest(KeyAction.SHOW_DETAILS, row.key))

    def focus_filter(self) -> None:
        if self.state is HealthState.REPORT:
            self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.filter_edit.selectAll()

    def _filter_changed(self, *_args: object) -> None:
        keep = self.current_row()
        self.model.set_filter(self.filter_edit.text(), self.show_dismissed_box.isChecked())
        self._after_rows_changed(keep.id if keep else None)

    def _show_dismissed(self, show: bool) -> None:
        self.show_dismissed_box.setChecked(show)

    def toggle_dismissed(self) -> None:
        """Dismiss the current finding (remembered), or bring a dismissed one back."""
        row = self.current_row()
        owner = self._owner()
        if row is None:
            return
        dismissed = not row.dismissed
        if dismissed:
            self._dismissed.add(row.id)
        else:
            self._dismissed.discard(row.id)
        position = self.view.currentIndex().row()
        self.model.replace_row(dataclasses.replace(row, dismissed=dismissed))
        if self.model.row_of(row.id) is None and self.model.rowCount():
            # Hidden now: go on with the finding that took its place.
            next_row = min(position, self.model.rowCount() - 1)
            self.view.setCurrentIndex(self.model.index(next_row, 0))
            keep = self.current_row()
            self._after_rows_changed(keep.id if keep else None)
        else:
            self._after_rows_changed(row.id)
        if owner is not None and self._store is not None:
            self._runner.start(
                asyncio.to_thread(
                    self._store.set_dismissed, owner, row.id, dismissed, local_day(self._clock())
                ),
                owner=self,
                name="remember-dismissal",
            )

    # -- keys changed elsewhere (the API Keys page) ---------------------------------------------

    def key_updated(self, key: ApiKey) -> None:
        """``key`` changed (revoked, created, read afresh): check it again, alone."""
        if self._report is None or not key.id:
            return
        now = self._clock()
        old = self._keys.get(key.id)
        was_active = old is not None and old.status(now) is KeyStatus.ACTIVE
        is_active = key.status(now) is KeyStatus.ACTIVE
        if was_active != is_active:  # created, revoked: the summary's count follows
            self._report = dataclasses.replace(
                self._report, checked=self._report.checked + (1 if is_active else -1)
            )
        self._changed_since_check.add(key.id)
        self._keys[key.id] = key
        usage = {key.id: self._usage[key.id]} if key.id in self._usage else {}
        single = build_report([key], usage, now, frozenset(self._dismissed))
        keep = self.current_row()
        rows = [row for row in self.model.all_rows() if row.key.id != key.id]
        rows.extend(single.rows)
        order = {row.id: position for position, row in enumerate(self._report.rows)}
        rows.sort(key=lambda row: (row.dismissed, order.get(row.id, len(order)), row.key.name))
        self.model.set_rows(rows)
        self._after_rows_changed(keep.id if keep else None)
        if self.scan_dialog is not None:
            self.scan_dialog.key_updated(key)

    # -- reminders ---------------------------------------------------------------------------

    async def _remind(self, report: HealthReport) -> None:
        notifier = self._notifier
        if notifier is None or not report.reminders:
            return
        if not self._preferences().notifications_enabled:
            return
        owner = self._owner()
        today = local_day(self._clock())
        wanted = [reminder.finding_id[0] for reminder in report.reminders]
        if owner is not None and self._store is not None:
            try:
                claimed = set(
                    await asyncio.to_thread(self._store.claim_reminders, owner, wanted, today)
                )
            except OSError as exc:  # no reminder rather than one in every window
                log.warning("Could not note today's reminders, so none is shown: %s", exc)
                return
        else:
            claimed = {key_id for key_id in wanted if self._reminded.get(key_id) != today}
            self._reminded.update(dict.fromkeys(claimed, today))
        for position, reminder in enumerate(report.reminders):
            key_id = reminder.finding_id[0]
            if key_id not in claimed:
                continue
            try:
                await notifier.notify(
                    finding_token(reminder.finding_id), reminder.title, reminder.body
                )
            except NotificationsUnavailable as exc:
                if not self._notifications_warned:
                    self._notifications_warned = True
                    log.info("No desktop notifications: %s", exc)
                # Not shown: give back this claim and the ones not tried yet.
                unshown = [r.finding_id[0] for r in report.reminders[position:]]
                await self._release(owner, [k for k in unshown if k in claimed], today)
                return

    async def _release(self, owner: Owner | None, key_ids: Iterable[str], today: date) -> None:
        released = list(key_ids)
        if owner is not None and self._store is not None:
            await asyncio.to_thread(self._store.release_reminders, owner, released, today)
        else:
            for key_id in released:
                self._reminded.pop(key_id, None)

    def _notification_clicked(self, token: str) -> None:
        self.open_finding(token)

    def open_finding(self, token: str) -> bool:
        """Bring the window forward with this page and the finding ``token`` names selected
        (a clicked notification). False when the finding is gone (it is said so)."""
        self.show_requested.emit()
        finding_id = parse_token(token)
        if finding_id is not None and self.select_finding(finding_id):
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        key = self._keys.get(finding_id[0]) if finding_id else None
        name = f"“{key.name}”" if key is not None else "that key"
        self._messages.info(f"The finding about {name} is no longer there: it was resolved.")
        return False

    # -- scan a folder -------------------------------------------------------------------------

    def open_scan(self) -> ScanDialog | None:
        """The "Scan a folder" dialog (one at a time; a second call brings it forward)."""
        if self._service is None:
            return None
        from twinedge_desktop.ui.health.scan_dialog import ScanDialog

        if self.scan_dialog is not None:
            self.scan_dialog.raise_()
            self.scan_dialog.activateWindow()
            return self.scan_dialog
        dialog = ScanDialog(self._runner, self._scan_keys, self._clock, self)
        dialog.key_action_requested.connect(self.key_action_requested)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._scan_closed)
        self.scan_dialog = dialog
        dialog.show()
        return dialog

    def _scan_closed(self) -> None:
        self.scan_dialog = None

    async def _scan_keys(self) -> KeysToMatch:
        """The person's keys to match a scan's hits with, read now: the last check's list
        may be hours old, and a key created since (in a terminal, say) would be called
        "not one of yours". When they cannot be read, the last check's list, said so;
        without one, none (every hit is then to be treated as active)."""
        from twinedge_desktop.ui.health.scan_dialog import KeysToMatch

        service = self._service
        if service is None:
            return KeysToMatch(None, "Signed out: the keys found could not be matched.")
        if not self.person_signed_in:
            return KeysToMatch(
                None,
                f"{self._not_a_person_reason()}: the keys found cannot be matched with "
                "yours (a person's sign-in can). Treat every key found as active.",
            )
        try:
            return KeysToMatch(await service.list_all())
        except ApiError as exc:
            why = error_message(exc)
        report = self._report
        if report is not None and self._keys:
            when = relative_time(report.checked_at, self._clock())
            return KeysToMatch(
                self.keys,
                f"Your keys could not be read now: {why} They were matched with the list "
                f"of the last check, {when}.",
            )
        return KeysToMatch(
            None, f"Your keys could not be read: {why} Treat every key found as active."
        )
