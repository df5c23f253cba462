"""Try it: an OAuth playground for one registered application.

The person picks a flow the application's type allows (the seed's "Supported Flows":
Authorization Code with the client secret for web applications, with or without PKCE;
Authorization Code + PKCE for SPAs and mobile/desktop apps; Client Credentials for
service accounts), sees the authorization URL built parameter by parameter with why
each is there, and opens it in the system browser. When the chosen redirect URI points
at this computer (``http://127.0.0.1…``, ``[::1]`` or ``localhost``), the code comes back
to a loopback listener of the playground's own (``auth/playground.open_listener``);
otherwise the person pastes the address the browser landed on, and a bad one is explained
(no code, the wrong state, an error parameter…). Then the code is exchanged (secret or
verifier), the tokens refreshed, or a service's token requested. Every exchange is shown
as its request and response with secrets masked until revealed, can be copied as ``curl``,
and the access token can be opened in the Token Inspector (through the page and the
shell: :attr:`TryItDialog.inspect_token_requested`).

The engine is ``twinedge_desktop.auth.playground`` (no Qt); this module only shows it.

Secrets: the client secret is asked for when a step needs it (web and service apps), held
in its masked field only, and cleared with every code, verifier and token when the window
closes (:meth:`TryItDialog.done`). Nothing of it goes to settings, logs or the window title.

Signals:
    inspect_token_requested(str): open this access token in the Token Inspector.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.apps import OAuthApp
from twinedge_desktop.api.errors import NotFound
from twinedge_desktop.auth.oauth import ClientAuthMethod, TokenResponse
from twinedge_desktop.auth.pkce import new_state
from twinedge_desktop.auth.playground import (
    AppCredentials,
    AuthorizationRequest,
    Callback,
    CallbackError,
    LoopbackRedirect,
    Playground,
    TokenExchange,
    check_callback_params,
    loopback_redirect,
    open_listener,
)
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.timefmt import Clock, format_duration, utc_now
from twinedge_desktop.ui.apps.model import TYPE_SHORT
from twinedge_desktop.ui.apps.widgets import busy_bar
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message

if TYPE_CHECKING:
    from twinedge_desktop.api.apps import OAuthAppsService
    from twinedge_desktop.auth.loopback import LoopbackListener

log = logging.getLogger(__name__)

# How long a listener waits for the browser before it gives up (the person can stop sooner).
LISTEN_TIMEOUT = 600.0
# The window's preferred width, in average characters: the parameters table then gives
# each reason (the longest ~130 characters) two lines beside a value column of VALUE_CHARS.
# Measured at the default font: ~ 900 px; a smaller screen gets its room (DialogBody).
PREFERRED_CHARS = 132
VALUE_CHARS = 26
GONE_TEXT = (
    "This application no longer exists: it was deleted, so its client ID is refused "
    "(invalid_client) and every token issued to it was revoked."
)
ASK_FOR_IT_TEXT = (
    "Enter the client secret: it was shown once, when the application was registered or "
    "its secret rotated. It stays in this window only."
)
CLIENT_REFUSED_TEXT = (
    "The authorization server refused the client (invalid_client): check the client "
    "secret. A secret replaced by a rotation works only until its grace period ends."
)
LISTENER_DONE = "TwinEdge Desktop's playground received the code. You can close this tab."


class Flow(Enum):
    """A flow of the seed's "Supported Flows" table, as the playground runs it."""

    CODE_PKCE = "authorization_code_pkce"
    CODE = "authorization_code"
    CLIENT_CREDENTIALS = "client_credentials"

    @property
    def uses_browser(self) -> bool:
        return self is not Flow.CLIENT_CREDENTIALS


def flows_for(kind: ApplicationType) -> tuple[Flow, ...]:
    """The flows an application of this type may use, the recommended one first."""
    if kind is ApplicationType.SERVICE:
        return (Flow.CLIENT_CREDENTIALS,)
    if kind is ApplicationType.WEB:
        return (Flow.CODE_PKCE, Flow.CODE)
    return (Flow.CODE_PKCE,)


def flow_title(flow: Flow, kind: ApplicationType) -> str:
    if flow is Flow.CLIENT_CREDENTIALS:
        return "Client Credentials"
    if flow is Flow.CODE:
        return "Authorization Code with the client secret (no PKCE)"
    if kind.is_confidential:
        return "Authorization Code + PKCE, with the client secret (recommended)"
    return "Authorization Code + PKCE"


def flow_note(flow: Flow, kind: ApplicationType) -> str:
    """One line on what the flow does, for the person choosing it."""
    if flow is Flow.CLIENT_CREDENTIALS:
        return "The service signs in as itself with its secret; no user, no refresh token."
    if flow is Flow.CODE:
        return (
            "The seed's web flow: the browser brings back a code that only the server holding "
            "the secret can exchange."
        )
    if kind.is_confidential:
        return (
            "The secret proves the server; PKCE also ties the code to this request (OAuth 2.1 "
            "recommends both)."
        )
    return "A public client has no secret: PKCE proves that whoever redeems the code started."


AUTH_METHODS: tuple[tuple[ClientAuthMethod, str], ...] = (
    (ClientAuthMethod.BASIC, "HTTP Basic header (client_secret_basic)"),
    (ClientAuthMethod.POST, "In the form (client_secret_post)"),
)


class _OneLineDelegate(QStyledItemDelegate):
    """Cells on one line, elided (the tooltip has the whole value): the parameters table
    wraps only its reasons, and a URL broken over three lines made its row as tall."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText
        option.textElideMode = Qt.TextElideMode.ElideRight


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(label.foregroundRole().PlaceholderText)
    return label


class TryItDialog(QDialog):
    """The playground of one application (see the module docstring). Not modal: open it
    with ``show()``; one per application (the page keeps track)."""

    inspect_token_requested = Signal(str)

    def __init__(
        self,
        app: OAuthApp,
        service: OAuthAppsService,
        runner: TaskRunner,
        playground_factory: Callable[[], Awaitable[Playground]],
        open_browser: Callable[[str], bool],
        clipboard: SecretClipboard,
        clear_after_seconds: int,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        # The application's name only: never a secret or a token in a title.
        self.setWindowTitle(f"Try it — {app.name}")
        self.setAccessibleName("Try it")
        self.app = app
        self._service = service
        self._runner = runner
        self._factory = playground_factory
        self._open_browser = open_browser
        self._clipboard = clipboard
        self._clear_after = clear_after_seconds
        self._clock = clock
        self._playground: Playground | None = None
        self._request: AuthorizationRequest | None = None
        self._listener: LoopbackListener | None = None
        self._callback: Callback | None = None
        self._opened = False  # the request's URL went to the browser
        self._spent = False  # the request's code was exchanged (or the attempt made)
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self.exchanges: list[TokenExchange] = []
        self.gone = False
        self._busy = 0
        self._wiped = False
        self.last_task: asyncio.Task[object] | None = None  # the newest step started (tests)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 8, 0)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.header.setAccessibleName("Application")
        self.gone_banner = InlineMessage("error")
        self.gone_banner.setObjectName("goneBanner")
        self.error = InlineMessage("error")
        self.error.setObjectName("playgroundError")
        column.addWidget(self.header)
        column.addWidget(self.gone_banner)
        column.addWidget(self.error)
        self.flow_box = self._build_flow_box()
        column.addWidget(self.flow_box)
        column.addWidget(self._build_request_box())
        column.addWidget(self._build_callback_box())
        self.tokens_box = self._build_tokens_box()
        column.addWidget(self.tokens_box)
        column.addWidget(self._build_exchanges_box())
        column.addStretch(1)
        # The steps, in order, each box with its title; numbered for the flow shown.
        self._steps: tuple[tuple[QGroupBox, str], ...] = (
            (self.flow_box, "Flow and credentials"),
            (self.request_box, "Authorization request"),
            (self.callback_box, "Callback"),
            (self.tokens_box, "Tokens"),
        )

        self.progress = busy_bar("Working")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        # Wide enough for the parameters' reasons on two lines beside their values (the
        # screen permitting: DialogBody keeps the window within the screen's room).
        self.body = DialogBody(
            content, preferred_width=self.fontMetrics().averageCharWidth() * PREFERRED_CHARS
        )
        layout.addWidget(self.body, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.set_app(app)
        self.last_task = self._runner.start(
            self._prepare(), owner=self, on_error=self._show_error, name="try-it-prepare"
        )

    # -- construction --------------------------------------------------------------------

    def _build_flow_box(self) -> QGroupBox:
        box = QGroupBox("Flow and credentials")
        form = QFormLayout(box)
        self.flow_combo = QComboBox()
        self.flow_combo.setAccessibleName("Flow")
        self.flow_combo.setProperty("elides", True)  # long titles elide in a narrow window
        self.flow_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.flow_combo.setMinimumContentsLength(20)
        self.flow_note = _muted()
        flow_label = QLabel("&Flow:")
        flow_label.setBuddy(self.flow_combo)
        form.addRow(flow_label, self.flow_combo)
        form.addRow("", self.flow_note)

        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setFont(monospace_font())
        self.secret_edit.setPlaceholderText("Paste the client secret")
        self.secret_edit.setAccessibleName("Client secret")
        self.secret_edit.setAccessibleDescription("Kept only while this window is open")
        self.secret_edit.setProperty("elides", True)
        self.show_secret_button = QPushButton("Sho&w")
        self.show_secret_button.setCheckable(True)
        self.show_secret_button.setAccessibleName("Show the client secret")
        self.show_secret_button.setAutoDefault(False)
        self.show_secret_button.toggled.connect(self._show_secret_toggled)
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret_edit, 1)
        secret_row.addWidget(self.show_secret_button)
        self.secret_label = QLabel("Client &secret:")
        self.secret_label.setBuddy(self.secret_edit)
        self.secret_error = InlineMessage("error")
        self.secret_error.setObjectName("secretError")
        self.secret_note = _muted(
            "Asked for here, held in this window only, cleared when it closes."
        )
        self.auth_combo = QComboBox()
        self.auth_combo.setAccessibleName("How the secret is sent")
        for method, text in AUTH_METHODS:
            self.auth_combo.addItem(text, method.value)
        self.auth_label = QLabel("Se&nd it:")
        self.auth_label.setBuddy(self.auth_combo)
        form.addRow(self.secret_label, secret_row)
        form.addRow("", self.secret_error)
        form.addRow("", self.secret_note)
        form.addRow(self.auth_label, self.auth_combo)
        self.secret_edit.textChanged.connect(self.secret_error.clear_message)

        self.scope_grid = QGridLayout()
        self.scope_boxes: dict[str, QCheckBox] = {}
        form.addRow("Scopes:", self.scope_grid)

        self.redirect_combo = QComboBox()
        self.redirect_combo.setAccessibleName("Redirect URI")
        self.redirect_combo.setProperty("elides", True)
        self.redirect_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.redirect_combo.setMinimumContentsLength(20)
        self.redirect_note = _muted()
        self.redirect_label = QLabel("Re&direct URI:")
        self.redirect_label.setBuddy(self.redirect_combo)
        form.addRow(self.redirect_label, self.redirect_combo)
        form.addRow("", self.redirect_note)
        self.flow_combo.currentIndexChanged.connect(self._flow_changed)
        self.redirect_combo.currentIndexChanged.connect(self._redirect_changed)
        self._flow_form = form
        return box

    def _build_request_box(self) -> QGroupBox:
        box = QGroupBox("Authorization request")
        self.request_box = box
        layout = QVBoxLayout(box)
        self.build_button = QPushButton("&Build authorization URL")
        self.build_button.setAccessibleName("Build the authorization URL")
        self.build_button.clicked.connect(self.build_request)
        self.params_table = QTableWidget(0, 3)
        self.params_table.setAccessibleName("Authorization URL parameters")
        self.params_table.setHorizontalHeaderLabels(["Parameter", "Value", "Why"])
        self.params_table.verticalHeader().hide()
        self.params_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.params_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.params_table.setWordWrap(True)
        header = self.params_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(1, self.fontMetrics().averageCharWidth() * VALUE_CHARS)
        one_line = _OneLineDelegate(self.params_table)
        self.params_table.setItemDelegateForColumn(0, one_line)
        self.params_table.setItemDelegateForColumn(1, one_line)
        header.sectionResized.connect(self._fit_parameter_rows)  # wrapped reasons re-flow
        self.params_table.setMinimumHeight(120)
        self.params_table.hide()
        self.url_edit = QLineEdit()
        self.url_edit.setReadOnly(True)
        self.url_edit.setFont(monospace_font())
        self.url_edit.setAccessibleName("Authorization URL")
        self.url_edit.setProperty("elides", True)
        self.url_edit.hide()
        self.open_button = QPushButton("&Open in browser")
        self.open_button.setAccessibleName("Open the authorization URL in the browser")
        self.open_button.clicked.connect(self.open_in_browser)
        self.copy_url_button = QPushButton("Cop&y URL")
        self.copy_url_button.setAccessibleName("Copy the authorization URL")
        self.copy_url_button.clicked.connect(self.copy_url)
        row = QHBoxLayout()
        row.addWidget(self.build_button)
        row.addWidget(self.open_button)
        row.addWidget(self.copy_url_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.url_edit)
        layout.addWidget(self.params_table)
        return box

    def _build_callback_box(self) -> QGroupBox:
        box = QGroupBox("Callback")
        self.callback_box = box
        layout = QVBoxLayout(box)
        self.listen_status = QLabel()
        self.listen_status.setWordWrap(True)
        self.listen_status.setAccessibleName("Listener status")
        self.stop_button = QPushButton("Stop &listening")
        self.stop_button.setAccessibleName("Stop listening for the browser")
        self.stop_button.clicked.connect(self.stop_listening)
        listen_row = QHBoxLayout()
        listen_row.addWidget(self.listen_status, 1)
        listen_row.addWidget(self.stop_button)
        self.paste_edit = QLineEdit()
        self.paste_edit.setAccessibleName("The address the browser landed on")
        self.paste_edit.setPlaceholderText("https://app.example.com/callback?code=…&state=…")
        self.paste_edit.setProperty("elides", True)
        self.paste_label = QLabel("&Paste the address your browser landed on:")
        self.paste_label.setWordWrap(True)
        self.paste_label.setBuddy(self.paste_edit)
        self.use_button = QPushButton("&Use this address")
        self.use_button.setAccessibleName("Use the pasted address")
        self.use_button.clicked.connect(self.use_pasted)
        paste_row = QHBoxLayout()
        paste_row.addWidget(self.paste_edit, 1)
        paste_row.addWidget(self.use_button)
        self.callback_error = InlineMessage("error")
        self.callback_error.setObjectName("callbackError")
        self.callback_ok = InlineMessage("success")
        self.callback_ok.setObjectName("callbackOk")
        layout.addLayout(listen_row)
        layout.addWidget(self.paste_label)
        layout.addLayout(paste_row)
        layout.addWidget(self.callback_error)
        layout.addWidget(self.callback_ok)
        self.paste_edit.textChanged.connect(self.callback_error.clear_message)
        return box

    def _build_tokens_box(self) -> QGroupBox:
        box = QGroupBox("Tokens")
        layout = QVBoxLayout(box)
        self.exchange_button = QPushButton("E&xchange code")
        self.exchange_button.setAccessibleName("Exchange the code for tokens")
        self.exchange_button.clicked.connect(self.exchange_code)
        self.token_button = QPushButton("Request &token")
        self.token_button.setAccessibleName("Request a token with client credentials")
        self.token_button.clicked.connect(self.request_token)
        self.refresh_button = QPushButton("&Refresh tokens")
        self.refresh_button.setAccessibleName("Refresh the tokens")
        self.refresh_button.clicked.connect(self.refresh_tokens)
        self.inspect_button = QPushButton("Open in Token &Inspector")
        self.inspect_button.setAccessibleName("Open the access token in the Token Inspector")
        self.inspect_button.clicked.connect(self.open_in_inspector)
        row = QGridLayout()
        row.addWidget(self.exchange_button, 0, 0)
        row.addWidget(self.token_button, 0, 0)
        row.addWidget(self.refresh_button, 0, 1)
        row.addWidget(self.inspect_button, 0, 2)
        row.setColumnStretch(3, 1)
        self.token_status = QLabel("No tokens yet.")
        self.token_status.setWordWrap(True)
        self.token_status.setAccessibleName("Tokens")
        self.token_error = InlineMessage("error")
        self.token_error.setObjectName("tokenError")
        layout.addLayout(row)
        layout.addWidget(self.token_status)
        layout.addWidget(self.token_error)
        return box

    def _build_exchanges_box(self) -> QGroupBox:
        box = QGroupBox("Requests and responses")
        layout = QVBoxLayout(box)
        self.exchange_list = QListWidget()
        self.exchange_list.setAccessibleName("Token requests")
        lines = self.exchange_list.fontMetrics().lineSpacing()
        self.exchange_list.setMaximumHeight(lines * 4 + 12)
        self.exchange_list.currentRowChanged.connect(self._show_exchange)
        self.exchange_view = QPlainTextEdit()
        self.exchange_view.setReadOnly(True)
        self.exchange_view.setFont(monospace_font())
        self.exchange_view.setAccessibleName("Request and response")
        self.exchange_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.exchange_view.setMinimumHeight(lines * 8)
        self.reveal_box = QCheckBox("Re&veal secrets")
        self.reveal_box.setAccessibleName("Reveal secrets in the request and response")
        self.reveal_box.toggled.connect(self._show_exchange)
        self.curl_button = QPushButton("Copy as &curl")
        self.curl_button.setAccessibleName("Copy the request as a curl command")
        self.curl_button.clicked.connect(self.copy_curl)
        self.curl_note = _muted()
        self.curl_note.setAccessibleName("Copy status")
        row = QHBoxLayout()
        row.addWidget(self.reveal_box)
        row.addStretch(1)
        row.addWidget(self.curl_button)
        layout.addWidget(self.exchange_list)
        layout.addWidget(self.exchange_view)
        layout.addLayout(row)
        layout.addWidget(self.curl_note)
        self._clipboard.remaining_changed.connect(self._clipboard_remaining)
        return box

    # -- the application -----------------------------------------------------------------

    @property
    def authorization_request(self) -> AuthorizationRequest | None:
        """The authorization request built last (its URL, state and verifier), if any."""
        return self._request

    @property
    def listening(self) -> bool:
        """Whether a loopback listener waits for the browser's callback."""
        return self._listener is not None

    @property
    def kind(self) -> ApplicationType:
        return self.app.application_type

    @property
    def flow(self) -> Flow:
        value = self.flow_combo.currentData()
        return Flow(value) if value else flows_for(self.kind)[0]

    def set_app(self, app: OAuthApp) -> None:
        """Show ``app`` (again, after an edit): its flows, scopes and redirect URIs."""
        self.app = app
        self.setWindowTitle(f"Try it — {app.name}")
        self.header.setText(
            f"{app.name} · {app.application_type.label} ({TYPE_SHORT[app.application_type]}) · "
            f"client ID {app.client_id}"
        )
        chosen = self.flow_combo.currentData()
        self.flow_combo.blockSignals(True)
        self.flow_combo.clear()
        for flow in flows_for(app.application_type):
            self.flow_combo.addItem(flow_title(flow, app.application_type), flow.value)
        index = self.flow_combo.findData(chosen)
        self.flow_combo.setCurrentIndex(max(0, index))
        self.flow_combo.blockSignals(False)
        wanted = {s for s, box in self.scope_boxes.items() if box.isChecked()} or set(app.scopes)
        for box in self.scope_boxes.values():
            self.scope_grid.removeWidget(box)
            box.deleteLater()
        self.scope_boxes = {}
        for position, scope in enumerate(app.scopes):
            box = QCheckBox(scope)
            box.setAccessibleName(f"Ask for scope {scope}")
            box.setChecked(scope in wanted)
            self.scope_grid.addWidget(box, position // 3, position % 3)
            self.scope_boxes[scope] = box
        current = self.redirect_combo.currentText()
        self.redirect_combo.blockSignals(True)
        self.redirect_combo.clear()
        for uri in app.redirect_uris:
            self.redirect_combo.addItem(uri)
            self.redirect_combo.setItemData(
                self.redirect_combo.count() - 1, uri, Qt.ItemDataRole.ToolTipRole
            )
        index = self.redirect_combo.findText(current)
        self.redirect_combo.setCurrentIndex(max(0, index))
        self.redirect_combo.blockSignals(False)
        confidential = app.is_confidential
        for widget in (
            self.secret_label,
            self.secret_edit,
            self.show_secret_button,
            self.secret_note,
            self.auth_label,
            self.auth_combo,
        ):
            widget.setVisible(confidential)
        self._flow_changed()

    def app_deleted(self) -> None:
        """The application was deleted (here, or found gone): say so where it shows."""
        self.gone = True
        self.gone_banner.show_message(GONE_TEXT)

    # -- reactions -----------------------------------------------------------------------

    def _flow_changed(self, *_args: object) -> None:
        flow = self.flow
        self.flow_note.setText(flow_note(flow, self.kind))
        browser = flow.uses_browser
        for widget in (self.redirect_label, self.redirect_combo, self.redirect_note):
            widget.setVisible(browser)
        self.request_box.setVisible(browser)
        self.callback_box.setVisible(browser)
        self.exchange_button.setVisible(browser)
        self.token_button.setVisible(not browser)
        # Client credentials give no refresh token: no button that could never work.
        self.refresh_button.setVisible(browser)
        number = 0
        for box, title in self._steps:
            if not box.isHidden():
                number += 1
                box.setTitle(f"{number}. {title}")
        self._forget_request()
        self._redirect_changed()

    def _redirect_changed(self, *_args: object) -> None:
        target = self._loopback_target()
        uri = self.redirect_combo.currentText()
        if target is None:
            self.redirect_note.setText(
                "Your browser will be sent to this address; paste where it lands in step 3."
            )
        elif target.port is None:
            self.redirect_note.setText(
                "Points at this computer: the code comes back to a listener of TwinEdge "
                "Desktop on a free port (any port works for a native app, RFC 8252 §7.3)."
            )
        else:
            self.redirect_note.setText(
                f"Points at this computer: TwinEdge Desktop listens on port {target.port} "
                "for the code (stop your own server on that port first)."
            )
        self.redirect_combo.setToolTip(uri)
        self._forget_request()

    def _loopback_target(self) -> LoopbackRedirect | None:
        uri = self.redirect_combo.currentText()
        return loopback_redirect(self.kind, uri) if uri else None

    def _show_secret_toggled(self, shown: bool) -> None:
        self.secret_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )
        self.show_secret_button.setText("Hid&e" if shown else "Sho&w")
        self.show_secret_button.setAccessibleName(
            "Hide the client secret" if shown else "Show the client secret"
        )

    def _forget_request(self) -> None:
        """A changed flow or redirect URI starts the authorization over."""
        self._stop_listener()
        self._request = None
        self._callback = None
        self._opened = self._spent = False
        self.params_table.setRowCount(0)
        self.params_table.hide()
        self.url_edit.clear()
        self.url_edit.hide()
        self.callback_ok.clear_message()
        self.callback_error.clear_message()
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = self._busy == 0
        request = self._request
        listening = self._listener is not None
        browser = self.flow.uses_browser
        self.build_button.setEnabled(idle and browser and self.redirect_combo.count() > 0)
        self.open_button.setEnabled(request is not None)
        self.copy_url_button.setEnabled(request is not None)
        self.stop_button.setVisible(listening)
        pending = request is not None and not self._spent and self._callback is None
        paste = pending and not listening
        self.paste_edit.setEnabled(paste)
        self.use_button.setEnabled(paste)
        if not listening and request is None:
            self.listen_status.setText("Build the authorization URL first.")
        self.exchange_button.setEnabled(idle and self._callback is not None)
        self.token_button.setEnabled(idle)
        self.refresh_button.setEnabled(idle and self._refresh_token is not None)
        self.inspect_button.setEnabled(self._access_token is not None)
        self.curl_button.setEnabled(self.exchange_list.currentRow() >= 0)
        self.reveal_box.setEnabled(bool(self.exchanges))
        # Enter takes the next step.
        if not browser:
            following: QPushButton = self.token_button
        elif self._callback is not None:
            following = self.exchange_button
        elif pending and not self._opened:
            following = self.open_button
        elif paste:
            following = self.use_button
        elif self._refresh_token is not None:
            following = self.refresh_button
        else:
            following = self.build_button
        for button in (
            self.build_button,
            self.open_button,
            self.use_button,
            self.exchange_button,
            self.token_button,
            self.refresh_button,
        ):
            button.setDefault(button is following)

    # -- tasks ---------------------------------------------------------------------------

    def _start(self, coro: Awaitable[object], name: str) -> None:
        self._busy += 1
        self.progress.show()
        self._update_buttons()

        async def run() -> object:
            try:
                return await coro
            finally:
                self._busy -= 1
                if self._showing():
                    self.progress.setVisible(self._busy > 0)
                    self._update_buttons()

        self.last_task = self._runner.start(run(), owner=self, on_error=self._show_error, name=name)

    def _showing(self) -> bool:
        """Whether the window's widgets may be touched: a task that ends after :meth:`wipe`
        (or after Qt destroyed the window, which cancels its tasks) must leave them be."""
        return not self._wiped and shiboken6.isValid(self)

    def _show_error(self, exc: BaseException) -> bool:
        if not self._showing():
            return True
        self.error.show_message(error_message(exc))
        return True

    async def _prepare(self) -> None:
        """Find the authorization server and check that the application still exists."""
        await self._ensure_playground()
        try:
            await self._service.get(self.app.id)
        except NotFound:
            self.app_deleted()

    async def _ensure_playground(self) -> Playground:
        """The playground, made on first need (discovery is cached by the session)."""
        if self._playground is None:
            self._playground = await self._factory()
        return self._playground

    # -- 2. the authorization request ----------------------------------------------------

    def build_request(self) -> None:
        """Build the authorization URL (and start listening when the code can come back here)."""
        if self._busy or not self.flow.uses_browser or not self.redirect_combo.count():
            return
        self.error.clear_message()
        self._forget_request()
        self._start(self._build(), "try-it-build")

    async def _build(self) -> None:
        playground = await self._ensure_playground()
        registered = self.redirect_combo.currentText()
        scopes = tuple(scope for scope, box in self.scope_boxes.items() if box.isChecked())
        state = new_state()
        target = self._loopback_target()
        listener: LoopbackListener | None = None
        redirect_uri = registered
        if target is not None:
            try:
                listener, redirect_uri = await open_listener(target, state=state)
            except OSError as exc:
                where = f"port {target.port}" if target.port else target.host
                self.listen_status.setText(
                    f"TwinEdge Desktop cannot listen on {where} ({exc.strerror or exc}); "
                    "paste the address the browser lands on instead."
                )
        try:
            request = playground.authorization_request(
                client_id=self.app.client_id,
                application_type=self.kind,
                redirect_uri=redirect_uri,
                scopes=scopes,
                use_pkce=self.flow is Flow.CODE_PKCE,
                state=state,
            )
        except BaseException:
            if listener is not None:
                await listener.aclose()
            raise
        self._request = request
        self._show_parameters(request)
        if listener is not None:
            self._listener = listener
            self.listen_status.setText(
                f"Listening on {redirect_uri.split('?')[0]} for the browser. Open the URL."
            )
            self._runner.start(
                self._receive(listener, request, playground),
                owner=self,
                on_error=self._receive_failed,
                name="try-it-listen",
            )
        elif target is None:
            self.listen_status.setText(
                "The browser goes to the application's own address: paste below where it lands."
            )
        self.open_button.setFocus()
        self._show_next(self.open_button)

    def _show_parameters(self, request: AuthorizationRequest) -> None:
        self.url_edit.setText(request.url)
        self.url_edit.setCursorPosition(0)
        self.url_edit.show()
        table = self.params_table
        table.setRowCount(len(request.parameters))
        mono = monospace_font()
        for row, parameter in enumerate(request.parameters):
            name = QTableWidgetItem(parameter.name)
            name.setFont(mono)
            value = QTableWidgetItem(parameter.value)
            value.setFont(mono)
            value.setToolTip(parameter.value)
            why = QTableWidgetItem(parameter.reason)
            why.setToolTip(parameter.reason)
            for column, item in enumerate((name, value, why)):
                table.setItem(row, column, item)
        table.show()
        self._fit_parameter_rows()
        self._update_buttons()

    def _fit_parameter_rows(self, *_args: object) -> None:
        """Rows as tall as their wrapped reasons, and the table tall enough for every row
        (the window scrolls, not the table inside it), within reason."""
        table = self.params_table
        table.resizeRowsToContents()
        rows = sum(table.rowHeight(row) for row in range(table.rowCount()))
        frame = 2 * table.frameWidth() + table.horizontalHeader().height()
        table.setMinimumHeight(min(rows + frame + 4, 480))

    def open_in_browser(self) -> None:
        request = self._request
        if request is None:
            return
        self._opened = True
        self._update_buttons()
        if self._open_browser(request.url):
            self.callback_error.clear_message()
            if self._listener is None:
                self.paste_edit.setFocus()
        else:
            self.error.show_message(
                "No browser could be opened: copy the URL (Copy URL) and open it yourself."
            )

    def copy_url(self) -> None:
        if self._request is not None:
            # Not a secret: the state and challenge are useless without the verifier.
            QGuiApplication.clipboard().setText(self._request.url)
            self.curl_note.setText("Copied the authorization URL.")

    # -- 3. the callback -----------------------------------------------------------------

    async def _receive(
        self, listener: LoopbackListener, request: AuthorizationRequest, playground: Playground
    ) -> None:
        try:
            params = await asyncio.wait_for(listener.wait_for_callback(), LISTEN_TIMEOUT)
            try:
                callback = check_callback_params(params, request, playground.metadata)
            except CallbackError as exc:
                listener.finish(False, exc.user_message)
                if request is self._request:
                    self.callback_error.show_message(exc.user_message)
                return
            listener.finish(True, LISTENER_DONE)
            if request is self._request:
                self._accept_callback(callback, "The browser brought the code back here")
        finally:
            if self._listener is listener:
                self._listener = None
                if self._showing():
                    self.listen_status.setText("Not listening any more.")
                    self._update_buttons()
            # Closing the port is a task of its own, not the window's: closing the window
            # cancels the window's tasks, and a close cut short leaves its waits unawaited.
            self._runner.start(listener.aclose(), name="try-it-close-listener")

    def _receive_failed(self, exc: BaseException) -> bool:
        if not self._showing():
            return True
        if isinstance(exc, TimeoutError):
            self.callback_error.show_message(
                "The browser did not come back in time; build the URL again to retry."
            )
            return True
        text = error_message(exc)
        self.listen_status.setText(text)
        return True

    def stop_listening(self) -> None:
        self._stop_listener("Stopped listening; paste the address the browser lands on instead.")

    def _stop_listener(self, message: str | None = None) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel(message)  # its receiving task closes it
            if message:
                self.listen_status.setText(message)
        self._update_buttons()

    def use_pasted(self) -> None:
        """Check the pasted address against this request; say what is wrong with it."""
        request, playground = self._request, self._playground
        if request is None or playground is None:
            return
        try:
            callback = playground.parse_callback(self.paste_edit.text(), request)
        except CallbackError as exc:
            self.callback_error.show_message(exc.user_message)
            self.paste_edit.setFocus()
            return
        self.paste_edit.clear()  # it held the code
        self._accept_callback(callback, "The pasted address holds a code for this request")

    def _accept_callback(self, callback: Callback, how: str) -> None:
        self._callback = callback
        self.callback_error.clear_message()
        self.callback_ok.show_message(
            f"{how}: the state matches and the issuer is the expected one. Exchange the code "
            "within a minute (codes expire)."
        )
        self._update_buttons()
        self.exchange_button.setFocus()
        self._show_next(self.exchange_button)  # the code expires in 60 s: no hunting for it

    # -- 4. tokens -----------------------------------------------------------------------

    def _credentials(self) -> AppCredentials | None:
        """Who the requests act as; None (with the field pointed at) when a secret is missing."""
        if not self.app.is_confidential:
            return AppCredentials(self.app.client_id)
        secret = self.secret_edit.text().strip()
        if not secret:
            self.secret_error.show_message(ASK_FOR_IT_TEXT)
            self.secret_edit.setFocus()
            return None
        method = ClientAuthMethod(self.auth_combo.currentData())
        return AppCredentials(self.app.client_id, secret, method)

    def exchange_code(self) -> None:
        callback, request = self._callback, self._request
        if self._busy or callback is None or request is None:
            return
        credentials = self._credentials()
        if credentials is None:
            return
        self.token_error.clear_message()

        async def exchange() -> None:
            playground = await self._ensure_playground()
            self._callback = None  # single use, whatever the answer
            self._spent = True
            self.callback_ok.clear_message()
            self._record(await playground.exchange_code(credentials, callback, request))

        self._start(exchange(), "try-it-exchange")

    def refresh_tokens(self) -> None:
        refresh_token = self._refresh_token
        if self._busy or refresh_token is None:
            return
        credentials = self._credentials()
        if credentials is None:
            return
        self.token_error.clear_message()

        async def refresh() -> None:
            playground = await self._ensure_playground()
            self._record(await playground.refresh(credentials, refresh_token))

        self._start(refresh(), "try-it-refresh")

    def request_token(self) -> None:
        if self._busy or self.flow is not Flow.CLIENT_CREDENTIALS:
            return
        credentials = self._credentials()
        if credentials is None:
            return
        scopes = tuple(scope for scope, box in self.scope_boxes.items() if box.isChecked())
        self.token_error.clear_message()

        async def request() -> None:
            playground = await self._ensure_playground()
            self._record(await playground.client_credentials(credentials, scopes=scopes))

        self._start(request(), "try-it-client-credentials")

    def _record(self, exchange: TokenExchange) -> None:
        if not self._showing():
            return
        self.exchanges.append(exchange)
        response = exchange.response
        outcome = (
            f"HTTP {response.status} {response.reason}" if response is not None else "no response"
        )
        self.exchange_list.addItem(
            f"{len(self.exchanges)}. {exchange.grant_type} → {outcome} "
            f"({exchange.elapsed_seconds * 1000:.0f} ms)"
        )
        self.exchange_list.setCurrentRow(len(self.exchanges) - 1)
        if exchange.tokens is not None:
            self._took(exchange.tokens)
        else:
            self._exchange_failed(exchange)
        self._update_buttons()

    def _took(self, tokens: TokenResponse) -> None:
        self._access_token = tokens.access_token
        if tokens.refresh_token:
            self._refresh_token = tokens.refresh_token  # it rotates: keep the newest
        elif self.flow is Flow.CLIENT_CREDENTIALS:
            self._refresh_token = None
        lifetime = (
            f"expires in {format_duration(tokens.expires_in)}"
            if tokens.expires_in is not None
            else "lifetime not given"
        )
        scope = tokens.scope or "the application's scopes"
        refresh = (
            "a refresh token (it rotates: each refresh returns a new one)"
            if tokens.refresh_token
            else "no refresh token"
        )
        self.token_status.setText(f"Access token for {scope}, {lifetime}; {refresh}.")
        self.token_error.clear_message()
        self._show_next(self.token_status)

    def _show_next(self, widget: QWidget) -> None:
        """Scroll ``widget`` (the next step's button, a result) into view once the layout
        has taken in what just appeared: in a window shorter than its content, the next
        action must not wait below the fold."""
        QTimer.singleShot(0, self, lambda: self.body.ensure_visible(widget))

    def _exchange_failed(self, exchange: TokenExchange) -> None:
        error = exchange.error
        text = error_message(error) if error is not None else "The request failed."
        self.token_error.show_message(text)
        if error is not None and error.error == "invalid_client":
            self._runner.start(
                self._explain_invalid_client(), owner=self, name="try-it-check-client"
            )

    async def _explain_invalid_client(self) -> None:
        """invalid_client means an unknown client or a wrong secret: ask which."""
        try:
            await self._service.get(self.app.id)
        except NotFound:
            self.app_deleted()
            self.token_error.show_message(GONE_TEXT)
            return
        if self.app.is_confidential:
            self.token_error.show_message(CLIENT_REFUSED_TEXT)

    def open_in_inspector(self) -> None:
        if self._access_token is not None:
            self.inspect_token_requested.emit(self._access_token)

    # -- the exchanges -------------------------------------------------------------------

    def _show_exchange(self, *_args: object) -> None:
        row = self.exchange_list.currentRow()
        if 0 <= row < len(self.exchanges):
            reveal = self.reveal_box.isChecked()
            self.exchange_view.setPlainText(self.exchanges[row].as_text(reveal_secrets=reveal))
        else:
            self.exchange_view.clear()
        self.curl_button.setEnabled(row >= 0)

    def copy_curl(self) -> None:
        """The selected request as ``curl``: secrets as shell variables unless revealed, and
        then copied as a secret (concealed from clipboard managers, cleared after a while)."""
        row = self.exchange_list.currentRow()
        if not 0 <= row < len(self.exchanges):
            return
        reveal = self.reveal_box.isChecked()
        text = self.exchanges[row].as_curl(reveal_secrets=reveal)
        if reveal:
            self._clipboard.copy(text, self._clear_after)
        else:
            QGuiApplication.clipboard().setText(text)
            variables = [
                v
                for v in ("CLIENT_SECRET", "CODE", "CODE_VERIFIER", "REFRESH_TOKEN")
                if f"${v}" in text
            ]
            needs = f" Set {', '.join(variables)} first." if variables else ""
            self.curl_note.setText(
                f"Copied the curl command; its secrets are shell variables.{needs}"
            )

    def _clipboard_remaining(self, seconds: int) -> None:
        if not self._showing():
            return
        if seconds > 0 and self.reveal_box.isChecked():
            self.curl_note.setText(
                "Copied the curl command with its secrets, hidden from clipboard managers; "
                f"the clipboard is cleared in {format_duration(seconds)}."
            )

    # -- closing -------------------------------------------------------------------------

    def wipe(self) -> None:
        """Forget every secret this window held: the client secret, the request's verifier,
        the code, the tokens and the recorded exchanges (whose bodies hold tokens)."""
        if self._wiped:
            return
        self._wiped = True
        self._stop_listener()
        self._runner.cancel_owned_by(self)
        self.secret_edit.clear()
        self.paste_edit.clear()
        self.url_edit.clear()
        self.params_table.setRowCount(0)
        self.exchange_view.clear()
        self.exchange_list.clear()
        self.exchanges = []
        self._request = None
        self._callback = None
        self._access_token = None
        self._refresh_token = None

    def done(self, result: int) -> None:
        self.wipe()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.wipe()
        super().closeEvent(event)
