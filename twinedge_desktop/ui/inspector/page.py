"""The Token Inspector page: paste or drop a token, see what it is, verify it, compare two.

The window's shell builds one :class:`InspectorPage` and binds it to the session
(:meth:`InspectorPage.bind`: the profile to verify against, the signed-in session's
token for "Inspect my current token"). Decoding is instant (synchronous, no
network); verification runs through the :class:`TaskRunner` shortly after the
text stops changing, on Ctrl+Enter, or at once after Paste, a drop or "Inspect my
current token". The clipboard is read only when the person presses Paste (or
Ctrl+V): never silently.

What is not verified does not look like a fact: until the signature verified and no check
failed, the scope chips and the expiry countdown are dimmed and marked "unverified"; a
valid verdict says which checks were not made (no issuer, no audience) and how to make
them, never "every check passed" then.

An API key is opaque: **Test** asks the API who it is (``GET /v1/me`` with the key, through
the services' API-keys client) and shows the owner, organisation and scopes, or the
server's typed refusal (revoked, expired, unknown).

After sign-out (or a switch to another person), a token the page loaded from the session
("Inspect my current token", "My current token") is cleared from both tabs: a signed-out
session's token does not linger on screen.

Signals:
    inspected(object): an :class:`InspectionReport` was shown (decode-only or verified).
    key_tested(object): Test finished; the :class:`~twinedge_desktop.api.models.Me` the API
        described, or the exception it raised.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.config import Profile
from twinedge_desktop.timefmt import Clock, utc_now
from twinedge_desktop.tokens import (
    Finding,
    InspectionReport,
    Severity,
    TokenInspector,
    TokenKind,
    VerdictStatus,
)
from twinedge_desktop.ui.common.messages import MessageBridge
from twinedge_desktop.ui.common.page import SessionBinding
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.text import expiry_text
from twinedge_desktop.ui.inspector.models import (
    ComparisonModel,
    Difference,
    ExplanationModel,
    FindingsModel,
    compare_values,
)
from twinedge_desktop.ui.inspector.widgets import (
    VERDICT_COLORS,
    VERDICT_TITLES,
    BannerState,
    Chip,
    FlowLayout,
    TokenEdit,
)

if TYPE_CHECKING:
    from twinedge_desktop.api.models import Me
    from twinedge_desktop.auth.session import Session

TokenSource = Callable[[], Awaitable[str]]
# Asks the API who an API key is (GET /v1/me with the key), for a profile's session.
KeyTester = Callable[["Session", str], Awaitable["Me"]]
AUTO_VERIFY_DELAY_MS = 600  # after the last keystroke: verification fetches keys, so not per key
UNVERIFIED_TEXT = "Unverified: the token says so, nothing has confirmed it yet"
INVALID_TEXT = "Not to be trusted: the token failed a check"
# Findings whose words depend on the clock ("expires in 59 min 12 s"): said again each second.
LIVE_CHECKS = ("exp", "nbf", "iat")
EMPTY_TEXT = "Paste a token, drop one here, or inspect your current token."


class VerdictBanner(QFrame):
    """The one-glance answer: a coloured band with the verdict and the failed checks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictBanner")
        self.title = QLabel()
        self.title.setObjectName("verdictTitle")
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        self.status = BannerState.EMPTY
        self.show_state(BannerState.EMPTY, EMPTY_TEXT)

    def show_state(self, status: BannerState, detail: str) -> None:
        self.status = status
        color = VERDICT_COLORS[status]
        self.setStyleSheet(
            f"QFrame#verdictBanner {{ background: {color}; border-radius: 8px; }}"
            "QFrame#verdictBanner QLabel { color: #ffffff; background: transparent; }"
            "QLabel#verdictTitle { font-size: 17px; font-weight: 700; }"
        )
        self.title.setText(VERDICT_TITLES[status])
        self.detail.setText(detail)
        self.setAccessibleName(f"Verdict: {self.title.text()}. {detail}")


class InspectorPage(QWidget):
    """Decode, explain, verify and compare tokens; test API keys. Built once by the window."""

    inspected = Signal(object)
    key_tested = Signal(object)

    def __init__(
        self,
        inspector: TokenInspector,
        runner: TaskRunner,
        messages: MessageBridge,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
        key_tester: KeyTester | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("inspectorPage")
        self._clock = clock  # for the expiry countdown
        self._inspector = inspector
        self._runner = runner
        self._messages = messages
        self._key_tester = key_tester
        self._profile: Profile | None = None
        self._session: Session | None = None
        self._current_token: TokenSource | None = None
        self._loaded: dict[QPlainTextEdit, str] = {}  # fields holding the session's token
        self._decoded_text = ""  # what the field held when it was last decoded
        self._verify_task: asyncio.Task[InspectionReport] | None = None
        self._test_task: asyncio.Task[Any] | None = None
        self.last_task: asyncio.Task[Any] | None = None  # the newest task started (for tests)
        self._generation = 0
        # (token text, outcome of its time checks) it was last checked again for.
        self._rechecked: tuple[str, tuple[Severity, ...]] | None = None
        self.report: InspectionReport | None = None
        self._binding: SessionBinding | None = None
        self.setAcceptDrops(True)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Inspector views")
        self.tabs.addTab(self._build_inspect_tab(), "Inspect")
        self.tabs.addTab(self._build_compare_tab(), "Compare two tokens")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        heading = QLabel("Token Inspector")
        heading.setProperty("role", "heading")
        layout.addWidget(heading)
        layout.addWidget(self.tabs)

        self._auto_verify = QTimer(self)
        self._auto_verify.setSingleShot(True)
        self._auto_verify.setInterval(AUTO_VERIFY_DELAY_MS)
        self._auto_verify.timeout.connect(self.verify)
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self.update_countdown)

        # The page's own keys, as actions: the window lends them to itself while this page
        # is shown, so they work wherever the focus is (ui/shell/frame.py).
        self.verify_action = self._page_action(
            "Verify", [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")], self.submit
        )
        # Ctrl+V outside the token field pastes into it (inside, the field pastes itself).
        self.paste_action = self._page_action(
            "Paste token", [QKeySequence(QKeySequence.StandardKey.Paste)], self.paste_from_clipboard
        )

        self.set_context(None, None)
        self._show_report(None)

    def _page_action(
        self, text: str, keys: list[QKeySequence], slot: Callable[[], object]
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcuts(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    # --- construction ---------------------------------------------------------------
    def _build_inspect_tab(self) -> QWidget:
        page = QWidget()
        self.token_edit = TokenEdit()
        self.token_edit.setPlaceholderText(
            "Paste a JWT (or Bearer …, or a te_ API key) here, or drop one"
        )
        self.token_edit.setAccessibleName("Token")
        self.token_edit.setAccessibleDescription(
            "The token to inspect; its header, payload and signature are shown in colour"
        )
        self.token_edit.setFixedHeight(76)  # four lines of a token: room for the rest
        self.highlighter = self.token_edit.highlighter
        self.token_edit.textChanged.connect(self._edited)
        self.token_edit.dropped.connect(self.verify)
        self.token_edit.submitted.connect(self.submit)
        # A pasted (or typed, or dropped) API key is a secret: it is shown masked in its own
        # field, in the token field's place, until the person asks to see it (DESIGN.md:
        # secret widgets are masked by default). The token field still holds the text.
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setFont(monospace_font())
        self.key_edit.setAccessibleName("API key (hidden)")
        self.key_edit.setAccessibleDescription("The API key to test, masked; Show key reveals it")
        self.key_edit.textEdited.connect(self._key_edited)
        self.key_edit.returnPressed.connect(self.submit)
        key_hint = QLabel("An API key is a secret: it stays hidden unless you show it.")
        key_hint.setProperty("role", "muted")
        key_hint.setWordWrap(True)
        self.key_box = QWidget()
        key_layout = QVBoxLayout(self.key_box)
        key_layout.setContentsMargins(0, 0, 0, 0)
        key_layout.addWidget(self.key_edit)
        key_layout.addWidget(key_hint)
        key_layout.addStretch(1)
        self.input_stack = QStackedWidget()
        self.input_stack.addWidget(self.token_edit)
        self.input_stack.addWidget(self.key_box)
        self.input_stack.setFixedHeight(76)
        self.show_key_button = QPushButton("Show key")
        self.show_key_button.setCheckable(True)
        self.show_key_button.setAccessibleName("Show the API key")
        self.show_key_button.toggled.connect(self._reveal_key)
        self.show_key_button.hide()

        self.paste_button = QPushButton("Paste")
        self.paste_button.setToolTip("Read a token from the clipboard (Ctrl+V)")
        self.paste_button.setAccessibleName("Paste token from clipboard")
        self.paste_button.clicked.connect(self.paste_from_clipboard)
        self.current_button = QPushButton("Inspect my current token")
        self.current_button.setAccessibleName("Inspect my current token")
        self.current_button.clicked.connect(self.inspect_current_token)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setProperty("primary", True)
        self.verify_button.setToolTip("Verify the signature and claims now (Ctrl+Enter)")
        self.verify_button.setAccessibleName("Verify token")
        self.verify_button.clicked.connect(self.verify)
        self.test_button = QPushButton("Test key")
        self.test_button.setProperty("primary", True)
        self.test_button.setToolTip(
            "Ask the API who this key is and what it may do (GET /v1/me with the key)"
        )
        self.test_button.setAccessibleName("Test the API key")
        self.test_button.clicked.connect(self.test_key)
        self.test_button.hide()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setAccessibleName("Clear token")
        self.clear_button.clicked.connect(self.token_edit.clear)
        self.current_reason = QLabel()
        self.current_reason.setProperty("role", "muted")
        self.current_reason.setWordWrap(True)

        # One row under the field: every button keeps its label at the window's minimum size.
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.paste_button, self.current_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_key_button)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.verify_button)

        self.against_label = QLabel()
        self.against_label.setWordWrap(True)
        self.against_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_source_edit = QLineEdit()
        self.key_source_edit.setPlaceholderText(
            "Keys: the issuer's JWKS, or a JWKS URL, file or PEM"
        )
        self.key_source_edit.setToolTip(
            "Where the verification keys come from: the issuer's published JWKS unless you "
            "give a JWKS URL, a JWKS file or a PEM key"
        )
        self.key_source_edit.setAccessibleName("Verification key source")
        self.key_source_edit.setClearButtonEnabled(True)
        self.key_source_edit.editingFinished.connect(self._schedule_verify)
        browse = QPushButton("Browse…")
        browse.setAccessibleName("Choose a JWKS or PEM file")
        browse.clicked.connect(self._browse_key_file)
        self.leeway_spin = QSpinBox()
        self.leeway_spin.setRange(0, 3600)
        self.leeway_spin.setValue(60)
        self.leeway_spin.setSuffix(" s")
        self.leeway_spin.setAccessibleName("Clock leeway in seconds")
        self.leeway_spin.setToolTip("Allowance for clock differences when checking exp, nbf, iat")
        self.leeway_spin.valueChanged.connect(self._leeway_changed)
        # The verification's settings: not shown for an API key (nothing to verify).
        self.verification_settings = QWidget()
        keys_row = QHBoxLayout(self.verification_settings)
        keys_row.setContentsMargins(0, 0, 0, 0)
        keys_row.addWidget(self.key_source_edit, 1)
        keys_row.addWidget(browse)
        leeway_label = QLabel("Leeway")
        leeway_label.setBuddy(self.leeway_spin)
        keys_row.addWidget(leeway_label)
        keys_row.addWidget(self.leeway_spin)

        self.banner = VerdictBanner()

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.countdown_label = QLabel()
        self.countdown_label.setProperty("role", "countdown")
        self.countdown_label.setAccessibleName("Time until the token expires")
        self.chips_box = QWidget()
        self.chips = FlowLayout(self.chips_box)
        self.chips_box.setAccessibleName("Scopes")
        # Says that the chips and the countdown are the token's claims, not facts, until
        # the signature verified and nothing failed.
        self.trust_label = QLabel()
        self.trust_label.setObjectName("trustLabel")
        self.trust_label.setWordWrap(True)
        self.trust_label.setProperty("role", "muted")
        summary = QGridLayout()
        summary.setColumnStretch(0, 1)
        summary.addWidget(self.summary_label, 0, 0)
        summary.addWidget(self.countdown_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        summary.addWidget(self.trust_label, 1, 0, 1, 2)
        summary.addWidget(self.chips_box, 2, 0, 1, 2)

        self.claims_model = ExplanationModel(self)
        self.header_model = ExplanationModel(self)
        self.findings_model = FindingsModel(self)
        self.claims_view = _table(self.claims_model, "Claims", stretch=(1, 2))
        self.header_view = _table(self.header_model, "Header", stretch=(1, 2))
        self.findings_view = _table(self.findings_model, "Findings")
        self.raw_json = QPlainTextEdit()
        self.raw_json.setReadOnly(True)
        self.raw_json.setFont(monospace_font())
        self.raw_json.setAccessibleName("Decoded JSON")
        copy_json = QPushButton("Copy JSON")
        copy_json.setAccessibleName("Copy decoded JSON")
        copy_json.clicked.connect(self.copy_json)
        raw_page = QWidget()
        raw_layout = QVBoxLayout(raw_page)
        raw_layout.setContentsMargins(0, 6, 0, 0)
        raw_layout.addWidget(self.raw_json)
        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        copy_row.addWidget(copy_json)
        raw_layout.addLayout(copy_row)
        self.details = QTabWidget()
        self.details.setAccessibleName("Token details")
        self.details.addTab(self.findings_view, "Findings")
        self.details.addTab(self.claims_view, "Claims")
        self.details.addTab(self.header_view, "Header")
        self.details.addTab(raw_page, "JSON")

        self.details.setMinimumHeight(120)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.input_stack)
        layout.addLayout(buttons)
        layout.addWidget(self.current_reason)
        layout.addWidget(self.against_label)
        layout.addWidget(self.verification_settings)
        layout.addWidget(self.banner)
        layout.addLayout(summary)
        layout.addWidget(self.details, 1)
        return page

    def _build_compare_tab(self) -> QWidget:
        page = QWidget()
        self.compare_a = TokenEdit()
        self.compare_b = TokenEdit()
        self.compare_model = ComparisonModel(self)
        columns = QSplitter(Qt.Orientation.Horizontal)
        for name, edit in (("A", self.compare_a), ("B", self.compare_b)):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            row = QHBoxLayout()
            label = QLabel(f"Token {name}")
            label.setProperty("role", "subheading")
            row.addWidget(label)
            row.addStretch(1)
            paste = QPushButton("Paste")
            paste.setAccessibleName(f"Paste token {name} from clipboard")
            paste.clicked.connect(lambda _=False, target=edit: self._paste_into(target))
            row.addWidget(paste)
            if name == "A":
                self.compare_current_button = QPushButton("My current token")
                self.compare_current_button.setAccessibleName("Use my current token as token A")
                self.compare_current_button.clicked.connect(self._compare_current)
                row.addWidget(self.compare_current_button)
            box_layout.addLayout(row)
            edit.setAccessibleName(f"Token {name}")
            edit.setPlaceholderText(f"Token {name}: paste or drop")
            edit.setFixedHeight(80)
            edit.textChanged.connect(self.update_comparison)
            box_layout.addWidget(edit)
            columns.addWidget(box)
        self.compare_summary = QLabel("Paste two tokens to compare them claim by claim.")
        self.compare_summary.setWordWrap(True)
        self.compare_view = _table(self.compare_model, "Comparison", stretch=(1, 2, 3))
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(columns)
        layout.addWidget(self.compare_summary)
        layout.addWidget(self.compare_view, 1)
        return page

    # --- context from the shell ------------------------------------------------------
    def bind(self, binding: SessionBinding) -> None:
        """Verify against ``binding``'s profile; offer its session's token when signed in.

        Signed out, or someone else signed in: a token this page loaded from the session
        is cleared (the person's own pastes stay).
        """
        if binding == self._binding:
            return
        previous, self._binding = self._binding, binding
        if (
            previous is not None
            and previous.info is not None
            and not _same_sign_in(previous, binding)
        ):
            self._forget_session_tokens()
        self._session = binding.session
        session = binding.session if binding.info is not None else None
        self.set_context(binding.profile, session.access_token if session is not None else None)

    def _forget_session_tokens(self) -> None:
        for field, token in list(self._loaded.items()):
            if field.toPlainText() == token:
                field.clear()
        self._loaded.clear()

    def refresh(self) -> None:
        """F5: verify the token in the field again (the issuer's keys are fetched anew if due)."""
        self._schedule_verify()

    def set_context(self, profile: Profile | None, current_token: TokenSource | None) -> None:
        """The profile to verify against, and how to get the signed-in session's token."""
        self._profile = profile
        self._current_token = current_token
        signed_in = current_token is not None
        for button in (self.current_button, self.compare_current_button):
            button.setEnabled(signed_in)
        reason = "" if signed_in else "Sign in to inspect your current token."
        self.current_button.setToolTip(reason or "Load and verify the signed-in session's token")
        self.compare_current_button.setToolTip(reason or "Use the signed-in session's token as A")
        self.current_reason.setText(reason)
        self.current_reason.setVisible(not signed_in)
        if profile is None:
            self.against_label.setText(
                "Verifying against: no profile — give a key source below to verify signatures."
            )
        else:
            # A profile made from an issuer learns its audience from its first sign-in.
            audience = (
                profile.audience or "not checked (the profile learns it from its first sign-in)"
            )
            self.against_label.setText(
                f"Verifying against {profile.name}: issuer {profile.issuer}, audience {audience}. "
                "Algorithm allow-list: RS256."
            )
        if self.token_edit.toPlainText().strip():
            self._text_changed()

    # --- actions --------------------------------------------------------------------
    def paste_from_clipboard(self) -> None:
        """Read the clipboard (only now, because the person asked) and verify what it holds."""
        self._paste_into(self.token_edit)
        if self.token_edit.toPlainText().strip():
            self.verify()

    def _paste_into(self, target: QPlainTextEdit) -> None:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self._messages.info("The clipboard holds no text to inspect.")
            return
        target.setPlainText(text)

    def inspect_token(self, token: str) -> None:
        """Show ``token`` (another page's, e.g. Try it's access token) and verify it."""
        self.token_edit.setPlainText(token)
        self.verify()

    def inspect_current_token(self) -> None:
        source = self._current_token
        if source is None:
            return
        self.last_task = self._runner.start(
            self._load_current(source, self.token_edit, verify=True),
            owner=self,
            name="inspector-current-token",
        )

    def _compare_current(self) -> None:
        source = self._current_token
        if source is not None:
            self.last_task = self._runner.start(
                self._load_current(source, self.compare_a, verify=False),
                owner=self,
                name="inspector-compare-current",
            )

    async def _load_current(
        self, source: TokenSource, target: QPlainTextEdit, *, verify: bool
    ) -> None:
        self.current_button.setEnabled(False)
        try:
            token = await source()
        finally:
            self.current_button.setEnabled(self._current_token is not None)
        if source is not self._current_token:
            return  # signed out (or another session) meanwhile: that token is not shown
        target.setPlainText(token)
        self._loaded[target] = token  # cleared again when the session ends
        if verify:
            self.verify()

    # --- API keys ---------------------------------------------------------------------
    def test_key(self) -> None:
        """Ask the API who the API key in the field is (``GET /v1/me`` with the key)."""
        report = self.report
        if report is None or report.kind is not TokenKind.API_KEY:
            return
        if report.verdict.status is not VerdictStatus.API_KEY:
            return  # a mistyped key: the findings say why; the server would only refuse it
        session, profile = self._session, self._profile
        if self._key_tester is None or session is None or profile is None:
            self._show_key_result(False, "No profile to test the key against.", None)
            return
        if not profile.api_base:
            self._show_key_result(
                False,
                f"The profile {profile.name} has no API address, so the key cannot be tested.",
                None,
            )
            return
        if self._test_task is not None and not self._test_task.done():
            self._test_task.cancel()
        key = self.token_edit.toPlainText().strip().removeprefix("Bearer ").strip()
        self.banner.show_state(
            BannerState.CHECKING, f"Asking {profile.name}'s API who this key is…"
        )
        self.test_button.setEnabled(False)
        self._test_task = self._runner.start(
            self._test(session, key, self._generation),
            owner=self,
            on_error=self._test_failed(self._generation),
            name="inspector-test-key",
        )
        self.last_task = self._test_task

    async def _test(self, session: Session, key: str, generation: int) -> Me:
        assert self._key_tester is not None
        try:
            me = await self._key_tester(session, key)
        finally:
            self.test_button.setEnabled(True)
        if generation == self._generation:
            self._show_me(me)
        self.key_tested.emit(me)
        return me

    def _test_failed(self, generation: int) -> Callable[[BaseException], bool]:
        def failed(exc: BaseException) -> bool:
            self.key_tested.emit(exc)
            if generation == self._generation:
                self._show_key_result(False, f"The key did not work: {error_message(exc)}", None)
            return True  # said on the page, where the key is

        return failed

    def _show_me(self, me: Me) -> None:
        who = f"{me.name} <{me.email}>" if me.name and me.email else me.email or me.sub or "?"
        kind = {"api_key": "an API key", "user": "a person's token", "client": "a client token"}
        detail = (
            f"The API accepted it: {kind.get(me.kind, me.kind)} of {who}, organization "
            f"{me.org or '—'}. It may use the scopes below. Its expiry is set on the key "
            "(the API does not tell the key itself)."
        )
        self._show_key_result(True, detail, me.scopes)

    def _show_key_result(self, works: bool, detail: str, scopes: tuple[str, ...] | None) -> None:
        """Test's answer: the key ``works`` (the API accepted it) or not, and why."""
        from twinedge_desktop.scopes import describe

        self.banner.show_state(BannerState.KEY_WORKS if works else BannerState.KEY_REFUSED, detail)
        self.chips.clear()
        for name in scopes or ():
            self.chips.add(Chip(name, describe(name)))  # the server said so: facts
        self.chips_box.setVisible(bool(scopes))
        self.trust_label.setVisible(False)

    def submit(self) -> None:
        """Ctrl+Enter: verify a token now, or test an API key (only ever when asked: testing
        sends the key to the profile's API)."""
        if self.report is not None and self.report.kind is TokenKind.API_KEY:
            self.test_key()
        else:
            self.verify()

    def verify(self) -> None:
        """Verify the token in the field now (cancelling a verification still running).
        An API key is not sent anywhere from here (see :meth:`submit`)."""
        self._auto_verify.stop()
        text = self.token_edit.toPlainText()
        if not text.strip():
            return
        if self.report is not None and self.report.kind is TokenKind.API_KEY:
            return  # a key has no signature; Test (or Ctrl+Enter) sends it, never a paste
        if self._verify_task is not None and not self._verify_task.done():
            self._verify_task.cancel()
        self._generation += 1
        generation = self._generation
        self.banner.show_state(BannerState.CHECKING, self._checking_text())
        self._verify_task = self._runner.start(
            self._verify(text, generation), owner=self, name="inspector-verify"
        )
        self.last_task = self._verify_task

    @property
    def verification(self) -> asyncio.Task[InspectionReport] | None:
        """The verification running or last run (awaitable; cancelled when superseded)."""
        return self._verify_task

    def _checking_text(self) -> str:
        source = self.key_source_edit.text().strip()
        if source:
            return "Checking the signature with the key source you gave…"
        if self._profile is not None:
            return f"Fetching {self._profile.name}'s published keys and checking the signature…"
        return "Checking…"

    async def _verify(self, text: str, generation: int) -> InspectionReport:
        profile = self._profile
        source = self.key_source_edit.text().strip() or None
        report = await self._inspector.inspect(
            text,
            issuer=profile.issuer if profile else None,
            audience=profile.audience if profile else None,
            jwks_source=source,
            leeway=self.leeway_spin.value(),
        )
        if generation == self._generation:  # a newer edit or verification supersedes this one
            self._show_report(report)
        return report

    def copy_json(self) -> None:
        QGuiApplication.clipboard().setText(self.raw_json.toPlainText())
        self._messages.info("Copied the decoded header and claims.")

    def _browse_key_file(self) -> None:
        dialog = QFileDialog(self, "Choose a JWKS or PEM file")
        dialog.setNameFilters(["Keys (*.json *.jwks *.pem *.crt *.pub)", "All files (*)"])
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._key_file_chosen)
        dialog.open()  # not exec(): the event loop keeps running

    def _key_file_chosen(self, path: str) -> None:
        self.key_source_edit.setText(path)
        self._schedule_verify()

    def _schedule_verify(self) -> None:
        if self.token_edit.toPlainText().strip():
            self.verify()

    def _leeway_changed(self, _value: int) -> None:
        self._text_changed()

    def _edited(self) -> None:
        # QPlainTextEdit also says "changed" when only the colours change (the highlighter
        # redoes them when the theme switches): a verdict or a key test must not be lost.
        if self.token_edit.toPlainText() != self._decoded_text:
            self._text_changed()

    def _text_changed(self) -> None:
        """Instant decode; verification follows once typing pauses."""
        self._decoded_text = self.token_edit.toPlainText()
        self._generation += 1  # results of an older verification no longer apply
        if self._verify_task is not None and not self._verify_task.done():
            self._verify_task.cancel()
        text = self.token_edit.toPlainText()
        if not text.strip():
            self._auto_verify.stop()
            self._show_report(None)
            return
        profile = self._profile
        report = self._inspector.decode_only(
            text,
            issuer=profile.issuer if profile else None,
            audience=profile.audience if profile else None,
            leeway=self.leeway_spin.value(),
        )
        self._show_report(report)
        if report.kind is TokenKind.JWS:
            self._auto_verify.start()

    # --- display --------------------------------------------------------------------
    def _show_report(self, report: InspectionReport | None) -> None:
        self.report = report
        self.chips.clear()
        if report is None:
            self.banner.show_state(BannerState.EMPTY, EMPTY_TEXT)
            for model in (self.claims_model, self.header_model):
                model.set_rows([])
            self.findings_model.set_rows([])
            self.summary_label.setText("")
            self.raw_json.setPlainText("")
            self.countdown_label.setText("")
            self._countdown.stop()
            self.trust_label.hide()
            self.chips_box.hide()
            self.test_button.hide()
            self._follow_key(False)
            self.verify_button.show()
            self.against_label.show()
            self.verification_settings.show()
            return
        self.banner.show_state(BannerState.of(report.verdict.status), self._verdict_detail(report))
        self.findings_model.set_rows(report.findings)
        self.claims_model.set_rows(report.claim_explanations)
        self.header_model.set_rows(report.header_explanations)
        self.summary_label.setText(_summary(report))
        trusted = report.verdict.status is VerdictStatus.VALID
        for scope in report.scopes:
            chip = Chip(scope.name, scope.description)
            chip.set_unverified(not trusted)
            self.chips.add(chip)
        self.chips_box.setVisible(bool(report.scopes))
        claims_shown = bool(report.scopes) or report.expires_at is not None
        self.trust_label.setText(
            ""
            if trusted
            else INVALID_TEXT
            if report.verdict.status is VerdictStatus.INVALID
            else UNVERIFIED_TEXT
        )
        self.trust_label.setVisible(claims_shown and not trusted)
        self._dim(self.countdown_label, not trusted)
        self.raw_json.setPlainText(_raw_json(report))
        if report.expires_at is not None:
            self.update_countdown()
            self._countdown.start()
        else:
            self.countdown_label.setText("")
            self._countdown.stop()
        is_key = report.kind is TokenKind.API_KEY
        self._follow_key(is_key)
        for widget in (self.against_label, self.verification_settings):
            widget.setVisible(not is_key)
        self.test_button.setVisible(is_key)
        self.test_button.setEnabled(is_key and report.verdict.status is VerdictStatus.API_KEY)
        self.verify_button.setVisible(not is_key)
        self.inspected.emit(report)

    def _follow_key(self, is_key: bool) -> None:
        """Show an API key masked in its own field (the keyboard follows it there), anything
        else in the token field."""
        key_shown = self.input_stack.currentWidget() is self.key_box
        self.show_key_button.setVisible(is_key)
        if is_key:
            text = self.token_edit.toPlainText().strip()
            if self.key_edit.text() != text:
                self.key_edit.setText(text)  # setText: no textEdited, so no loop
            if not key_shown:
                self.show_key_button.setChecked(False)  # every new key starts hidden
                self._move_input(self.token_edit, self.key_box, self.key_edit)
        elif key_shown:
            self._move_input(self.key_box, self.token_edit, self.token_edit)
            self.key_edit.clear()

    def _move_input(self, old: QWidget, new: QWidget, focus: QWidget) -> None:
        focused = QApplication.focusWidget()
        typing = focused is not None and (focused is old or old.isAncestorOf(focused))
        self.input_stack.setCurrentWidget(new)
        if typing:  # the person was typing there: carry on in the new field, at the end
            focus.setFocus()
            if isinstance(focus, QLineEdit):
                focus.end(False)
            else:
                self.token_edit.moveCursor(QTextCursor.MoveOperation.End)

    def _key_edited(self, text: str) -> None:
        # Decoded as any edit: no longer a key, it goes back to the token field.
        self.token_edit.setPlainText(text)

    def _reveal_key(self, shown: bool) -> None:
        self.key_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )
        self.show_key_button.setText("Hide key" if shown else "Show key")
        self.key_edit.setAccessibleName("API key" if shown else "API key (hidden)")

    @staticmethod
    def _dim(label: QLabel, dimmed: bool) -> None:
        """Draw ``label`` in the muted colour while what it says is not confirmed."""
        from PySide6.QtGui import QPalette

        label.setForegroundRole(
            QPalette.ColorRole.PlaceholderText if dimmed else QPalette.ColorRole.WindowText
        )
        label.setProperty("unverified", dimmed)

    def _verdict_detail(self, report: InspectionReport) -> str:
        """The banner's text: what failed, or what passed and what was not checked (and how
        to check it). "Every check passed" only when every check was made."""
        verdict = report.verdict
        # The banner's title already says "Valid" / "Invalid": drop it from the headline.
        headline = verdict.headline.split(": ", 1)[-1]
        headline = headline[:1].upper() + headline[1:]
        not_checked = [f"• Not checked: {u.what} — {u.how}" for u in verdict.unchecked]
        if verdict.status is VerdictStatus.INVALID and verdict.failed_checks:
            failed = [f.message for f in report.findings if f.severity is Severity.ERROR]
            return "\n".join([headline, *(f"• {m}" for m in failed[:4]), *not_checked[:2]])
        if verdict.status is VerdictStatus.UNVERIFIED and self._auto_verify.isActive():
            return "Decoded; checking the signature shortly…"
        if verdict.status is VerdictStatus.API_KEY:
            return f"{headline} Test asks the API who it is and what it may do."
        if verdict.status is VerdictStatus.VALID and verdict.all_checks_made:
            signature = next((f.message for f in report.findings_for("signature")), "")
            return f"Every check passed. {signature}".strip()
        return "\n".join([headline, *not_checked])

    def update_countdown(self) -> None:
        """Every second while a token with an expiry is shown: the countdown, and the texts
        that say how long ago or until when (the exp finding, the time claims), from the
        same clock reading, so the page never says two different times."""
        report = self.report
        expires = report.expires_at if report is not None else None
        now = self._clock()
        self.countdown_label.setText("" if expires is None else expiry_text(expires, now))
        if report is not None:
            self._follow_clock(report, now)

    def _follow_clock(self, report: InspectionReport, now: datetime) -> None:
        """Say the report's time findings and claims as of ``now``, with the core's own checks
        (tokens.verify.check_claims, tokens.explain.explain_claims).

        When a finding's outcome changes (the token expired while shown, or left the
        leeway), the verdict changes with it: the token is checked again, once per report.
        """
        from twinedge_desktop.tokens.explain import explain_claims
        from twinedge_desktop.tokens.verify import check_claims

        claims, leeway = report.claims, report.leeway_seconds
        if claims is None or leeway is None:
            return
        live = check_claims(
            claims,
            now=now.timestamp(),
            leeway=leeway,
            issuer=None,  # only the time checks are taken from here
            audience=None,
            skew=report.clock_skew_seconds,
        )
        shown = self.findings_model.rows()
        updates: dict[int, Finding] = {}
        for check in LIVE_CHECKS:
            rows = [row for row, finding in enumerate(shown) if finding.check == check]
            fresh = [finding for finding in live if finding.check == check]
            if [shown[row].severity for row in rows] != [f.severity for f in fresh]:
                # At most once per token and outcome: exp passes, then warns (within the
                # leeway), then fails; a clock that disagrees with the report's does not loop.
                outcome = (self._decoded_text, tuple(f.severity for f in live))
                if self._rechecked != outcome:
                    self._rechecked = outcome
                    self._check_again()
                return
            updates.update(zip(rows, fresh, strict=True))
        for row, finding in updates.items():
            self.findings_model.replace_row(row, finding)
        for row, explanation in enumerate(explain_claims(claims, now.timestamp())):
            if row < self.claims_model.rowCount():
                self.claims_model.replace_row(row, explanation)
        if self.banner.status is BannerState.of(report.verdict.status):
            live_report = replace(report, findings=tuple(self.findings_model.rows()))
            detail = self._verdict_detail(live_report)
            if detail != self.banner.detail.text():
                self.banner.show_state(self.banner.status, detail)

    def _check_again(self) -> None:
        """The token's time checks changed their outcome while it was shown: check it anew
        (decoded at once; verified again when it was, the issuer's keys from the cache)."""
        verified = self.report is not None and self.report.verified
        self._text_changed()
        if verified:
            self.verify()

    def update_comparison(self) -> None:
        for edit in (self.compare_a, self.compare_b):
            if self._inspector.decode_only(edit.toPlainText()).kind is TokenKind.API_KEY:
                self._move_key_to_decode(edit)
                return
        a_text, b_text = self.compare_a.toPlainText(), self.compare_b.toPlainText()
        if not a_text.strip() or not b_text.strip():
            self.compare_model.set_rows([])
            self.compare_summary.setText("Paste two tokens to compare them claim by claim.")
            return
        a = self._inspector.decode_only(a_text)
        b = self._inspector.decode_only(b_text)
        rows = compare_values(a.header, b.header, "header.") + compare_values(a.claims, b.claims)
        self.compare_model.set_rows(rows)
        differing = [r.name for r in rows if r.difference is not Difference.SAME]
        kinds = f"A: {a.kind.value}, B: {b.kind.value}"
        if a.claims is None or b.claims is None:
            self.compare_summary.setText(f"Only decoded tokens can be compared ({kinds}).")
        elif differing:
            self.compare_summary.setText(
                f"{len(differing)} of {len(rows)} differ: {', '.join(differing)}."
            )
        else:
            self.compare_summary.setText("The two tokens carry identical headers and claims.")

    def _move_key_to_decode(self, edit: TokenEdit) -> None:
        """An API key pasted to compare is a secret, and not a token: it goes to the Decode
        tab, masked there, where Test checks it (DESIGN.md: secret widgets are masked)."""
        key = edit.toPlainText().strip()
        edit.clear()  # the next textChanged compares what is left
        self.tabs.setCurrentIndex(0)
        self.token_edit.setPlainText(key)
        self._messages.info(
            "That is an API key, not a token to compare: it is on the Decode tab, hidden, "
            "where Test (Ctrl+Enter) checks it."
        )

    # --- Qt events ------------------------------------------------------------------
    def dragEnterEvent(self, event: Any) -> None:
        self.token_edit.dragEnterEvent(event)

    def dropEvent(self, event: Any) -> None:
        self.token_edit.dropEvent(event)


def _same_sign_in(before: SessionBinding, after: SessionBinding) -> bool:
    """Whether ``after`` is still the sign-in ``before`` showed (the same person, renewed)."""
    if after.info is None or before.info is None or before.session is not after.session:
        return False
    return (before.info.kind, before.info.subject) == (after.info.kind, after.info.subject)


def _table(model: Any, name: str, stretch: tuple[int, ...] = ()) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(True)
    view.setAlternatingRowColors(True)
    view.setStyleSheet("QTableView::item { padding: 4px 6px; }")
    view.verticalHeader().setVisible(False)
    # Rows grow to fit wrapped explanations (scope lists, dates): tables here are short.
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    header = view.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    return view


def _summary(report: InspectionReport) -> str:
    if report.kind is TokenKind.API_KEY:
        return (
            f"TwinEdge API key {report.key_prefix}… — opaque: Test asks the API who it is "
            "and what it may do."
        )
    claims = report.claims or {}
    if not claims:
        alg = report.algorithm or "?"
        return f"{report.kind.value.upper()} · alg {alg}" if report.header else ""
    who = claims.get("sub", "no subject")
    parts = [f"Subject {who}"]
    if "org" in claims:
        parts.append(f"organization {claims['org']}")
    if "client_id" in claims:
        parts.append(f"client {claims['client_id']}")
    line = " · ".join(str(p) for p in parts)
    issuer = claims.get("iss", "no issuer")
    audience = claims.get("aud", "no audience")
    leeway = f" · leeway {report.leeway_seconds} s" if report.leeway_seconds is not None else ""
    return f"{line}\nIssued by {issuer} for {audience} · {report.algorithm or '?'}{leeway}"


def _raw_json(report: InspectionReport) -> str:
    document: dict[str, Any] = {"header": report.header}
    if report.claims is not None:
        document["payload"] = report.claims
    elif report.payload_text is not None:
        document["payload_text"] = report.payload_text
    if report.header is None and report.kind is not TokenKind.API_KEY:
        return ""
    if report.kind is TokenKind.API_KEY:
        document = {"api_key_prefix": report.key_prefix}
    return json.dumps(document, indent=2, ensure_ascii=False)
