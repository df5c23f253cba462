"""Everything the API says about one key (never its secret), with Rotate and Revoke, and
how the key was used: a 30-day chart of requests and errors, the endpoints it called (by
count), its last use and the address it came from (``GET /v1/api-keys/{id}/usage``).

The usage is read when the dialog opens, through the page's task runner (the dialog owns
the task: closing it cancels the request); until then the chart says "Loading usage…",
and a failure is shown in its place with "Try again", leaving the rest of the dialog as
it is.

A damaged entry shows what could be read, "unreadable" for the rest and why; it can be
revoked when its id is known (the way out of a key whose bad data broke the list), never
rotated. Close is the default button: Enter closes, it never starts a revocation.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.models import ApiKey, KeyStatus, KeyUsage
from twinedge_desktop.scopes import describe
from twinedge_desktop.timefmt import Clock, absolute_time, relative_time, utc_now
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.usage_chart import UsageChart
from twinedge_desktop.ui.common.widgets import label
from twinedge_desktop.ui.keys.model import (
    UNREADABLE,
    Badge,
    Column,
    can_revoke,
    can_rotate,
    display_text,
    expiry_badge,
    key_status,
)

UsageLoader = Callable[[], Coroutine[Any, Any, KeyUsage]]
SHOWN_ENDPOINTS = 6  # the busiest; the rest are counted in one line


class KeyDetailsDialog(QDialog):
    """Read-only details. Open with ``open()``.

    Signals:
        rotate_requested(ApiKey), revoke_requested(ApiKey): the person chose an action;
            the dialog closes and the page starts that flow.
    """

    rotate_requested = Signal(object)
    revoke_requested = Signal(object)

    def __init__(
        self,
        key: ApiKey,
        parent: QWidget | None = None,
        *,
        reminder: str | None = None,
        clock: Clock = utc_now,
        actions_reason: str = "",
        load_usage: UsageLoader | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        """``actions_reason``: why Rotate and Revoke are off whatever the key (an API-key
        session, say), for their tooltips; "" when they follow the key. ``load_usage``
        reads the key's usage report (with ``runner``); without one the dialog has no
        usage section."""
        super().__init__(parent)
        self.setWindowTitle("API key details")
        self.setAccessibleName("API key details")
        self._key = key
        self._clock = clock
        self._load_usage = load_usage
        self._runner = runner
        self.usage: KeyUsage | None = None
        now = clock()
        status = key_status(key, now)

        form = QFormLayout()

        def row(label: str, text: str, *, mono: bool = False) -> QLabel:
            value = QLabel(text)
            value.setTextFormat(value.textFormat().PlainText)
            value.setWordWrap(True)
            value.setTextInteractionFlags(value.textInteractionFlags().TextSelectableByMouse)
            value.setAccessibleName(label)
            if mono:
                value.setFont(monospace_font())
            form.addRow(f"{label}:", value)
            return value

        def when(field: str, none_text: str) -> str:
            if field in key.unreadable:
                return UNREADABLE
            value = getattr(key, field)
            if value is None:
                return none_text
            return f"{relative_time(value, now)} ({absolute_time(value)})"

        if key.problem:
            row("Damaged", f"The server's entry could not be read in full: {key.problem}")
        row("Name", key.name or f"({UNREADABLE})")
        row("Key", display_text(key, Column.PREFIX, now), mono=True)
        row("ID", key.id or f"({UNREADABLE})", mono=True)
        scopes = (
            "\n".join(f"{s} — {describe(s) or 'unknown scope'}" for s in key.scopes) or "(none)"
        )
        row("Scopes", UNREADABLE if "scopes" in key.unreadable else scopes)
        row("Status", status.value)
        row("Created", f"{when('created_at', '')} by {key.created_by or 'unknown'}")
        badge = expiry_badge(key, now)
        expires = when("expires_at", "never")
        if badge is Badge.EXPIRING:
            expires += " — expires within 14 days"
        row("Expires", expires)
        row("Last used", when("last_used_at", "never"))
        if key.revoked_at is not None:
            row("Revoked", when("revoked_at", ""))

        note = InlineMessage("warning")
        if reminder and status is KeyStatus.ACTIVE:
            note.show_message(reminder)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.rotate_button = self.buttons.addButton(
            "R&otate…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.revoke_button = self.buttons.addButton(
            "&Revoke…", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.rotate_button.setAccessibleName("Rotate key")
        self.revoke_button.setAccessibleName("Revoke key")
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        for button in (self.rotate_button, self.revoke_button):
            button.setAutoDefault(False)  # Enter closes; it never starts a flow
        self.rotate_button.setEnabled(not actions_reason and can_rotate(key, now))
        self.revoke_button.setEnabled(not actions_reason and can_revoke(key))
        if actions_reason:
            for button in (self.rotate_button, self.revoke_button):
                button.setToolTip(f"{actions_reason}.")
        elif key.problem:
            self.rotate_button.setToolTip(
                "A damaged entry cannot be rotated: its scopes and expiry are not all known."
            )
            if not key.id:
                self.revoke_button.setToolTip("Without a readable id, the key cannot be revoked.")

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(note)
        shows_usage = load_usage is not None and runner is not None
        if shows_usage:
            column.addWidget(self._build_usage(), 1)
        else:
            column.addStretch(1)
        # The chart wants room for 30 days of bars beside the endpoints it lists.
        self.body = DialogBody(content, self, preferred_width=640 if shows_usage else 480)
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.buttons)
        self.buttons.rejected.connect(self.reject)
        self.rotate_button.clicked.connect(self._rotate)
        self.revoke_button.clicked.connect(self._revoke)
        close.setFocus()
        if load_usage is not None and runner is not None:
            self.reload_usage()

    # -- usage -----------------------------------------------------------------------------

    def _build_usage(self) -> QWidget:
        section = QWidget()
        column = QVBoxLayout(section)
        column.setContentsMargins(0, 8, 0, 0)
        heading = label("Usage, last 30 days", "subheading", wrap=False)
        self.chart = UsageChart()
        self.chart.setMinimumHeight(150)
        self.chart.set_placeholder("Loading usage…")
        self.endpoints = label("")
        self.endpoints.setTextFormat(Qt.TextFormat.PlainText)  # endpoint names are the server's
        self.endpoints.setAccessibleName("Endpoints called")
        self.endpoints.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.endpoints.setMinimumWidth(190)
        self.last_use = label("")
        self.last_use.setTextFormat(Qt.TextFormat.PlainText)
        self.last_use.setAccessibleName("Last use")
        self.usage_error = InlineMessage("error")
        self.usage_error.setObjectName("usageError")
        self.usage_retry = QPushButton("Try &again")
        self.usage_retry.setAccessibleName("Load the usage again")
        self.usage_retry.clicked.connect(self.reload_usage)
        self.usage_retry.hide()
        row = QHBoxLayout()
        row.addWidget(self.chart, 3)
        row.addWidget(self.endpoints, 1)
        error_row = QHBoxLayout()
        error_row.addWidget(self.usage_error, 1)
        error_row.addWidget(self.usage_retry)
        column.addWidget(heading)
        column.addLayout(row, 1)
        column.addWidget(self.last_use)
        column.addLayout(error_row)
        return section

    def reload_usage(self) -> None:
        """Read the usage report (again); a running read is cancelled first."""
        if self._load_usage is None or self._runner is None:
            return
        self._runner.cancel_owned_by(self)
        self.usage_error.clear_message()
        self.usage_retry.hide()
        self.chart.set_placeholder("Loading usage…")
        self.usage_task = self._runner.start(
            self._read_usage(self._load_usage),
            owner=self,
            on_error=self._usage_failed,
            name="load-key-usage",
        )

    async def _read_usage(self, load: UsageLoader) -> None:
        self.show_usage(await load())

    def show_usage(self, usage: KeyUsage) -> None:
        """Draw ``usage``: the chart, the endpoints by count, the last use and address."""
        self.usage = usage
        self.chart.set_placeholder("")
        self.chart.set_usage(usage)
        calls = usage.by_endpoint
        lines = [f"{count:,}  {name}" for name, count in calls[:SHOWN_ENDPOINTS] if count]
        rest = sum(count for _name, count in calls[SHOWN_ENDPOINTS:])
        if rest:
            lines.append(f"{rest:,}  to {len(calls) - SHOWN_ENDPOINTS} other endpoints")
        self.endpoints.setText(
            "Calls by endpoint:\n" + "\n".join(lines) if lines else "No calls in these days."
        )
        if usage.last_used_at is None:
            last = "Not used in these 30 days, as far as the server recorded."
        else:
            now = self._clock()
            last = (
                f"Last used {relative_time(usage.last_used_at, now)} "
                f"({absolute_time(usage.last_used_at)})"
            )
            last += f" from {usage.last_used_ip}." if usage.last_used_ip else "."
        self.last_use.setText(last)

    def _usage_failed(self, exc: BaseException) -> bool:
        self.chart.set_placeholder("No usage to show.")
        self.usage_error.show_message(f"The usage could not be read: {error_message(exc)}")
        self.usage_retry.show()
        return True

    def _rotate(self) -> None:
        self.accept()
        self.rotate_requested.emit(self._key)

    def _revoke(self) -> None:
        self.accept()
        self.revoke_requested.emit(self._key)
