"""Show a new API key once: masked, copyable as a secret, with ready-to-use snippets.

:class:`CopyOncePanel` is the content (also a step of the rotation flow);
:class:`CopyOnceDialog` adds "Done" (enabled only once the person confirms they
stored the key) and asks before closing otherwise, because the key cannot be
shown again. When either closes, :meth:`CopyOncePanel.wipe` empties every widget
that displayed the secret and drops every reference this code held to it (the
clipboard keeps only a digest; see :mod:`twinedge_desktop.ui.common.clipboard`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.models import CreatedApiKey, Me
from twinedge_desktop.timefmt import format_duration
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.text import escape

if TYPE_CHECKING:
    from twinedge_desktop.api.keys import ApiKeysService

DEFAULT_API_BASE = "https://api.twinedgeai.com/v1"
MASK = "•"
NOT_SHOWN_AGAIN = "You will not be able to see this key again."


def snippets(secret: str, api_base: str) -> list[tuple[str, str]]:
    """The seed's recommended ways to use a key: environment variable, .env, curl."""
    base = api_base.rstrip("/")
    return [
        ("Shell", f"export TWINEDGE_API_KEY={secret}"),
        (".env", f"TWINEDGE_API_KEY={secret}"),
        ("curl", f'curl -H "Authorization: Bearer {secret}" "{base}/assets"'),
    ]


def masked(secret: str, visible_prefix: str) -> str:
    """The secret with everything after its public prefix replaced by bullets."""
    keep = visible_prefix if secret.startswith(visible_prefix) else ""
    return keep + MASK * (len(secret) - len(keep))


class CopyOncePanel(QWidget):
    """The new key, its snippets, Copy, Test and the "I have stored it" confirmation.

    Signals:
        acknowledged_changed(bool): the person ticked (or unticked) "I have stored this key".
    """

    acknowledged_changed = Signal(bool)

    def __init__(
        self,
        created: CreatedApiKey,
        service: ApiKeysService,
        runner: TaskRunner,
        clipboard: SecretClipboard,
        clear_after_seconds: int,
        parent: QWidget | None = None,
        *,
        api_base: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._created: CreatedApiKey | None = created
        self._secret: str | None = created.secret
        self._prefix = created.key.prefix
        self._service = service
        self._runner = runner
        self._clipboard = clipboard
        self._clear_after = clear_after_seconds
        self._api_base = api_base or DEFAULT_API_BASE
        self._snippet_texts = snippets(created.secret, self._api_base)

        warning = InlineMessage("warning")
        warning.show_message(
            f"Copy your new key now and store it somewhere safe. {NOT_SHOWN_AGAIN}"
        )
        title = QLabel(f"<b>{escape(created.key.name)}</b> · {escape(created.key.prefix)}…")
        title.setAccessibleName("New key")

        self.key_edit = QLineEdit(created.secret)
        self.key_edit.setReadOnly(True)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setFont(monospace_font())
        self.key_edit.setAccessibleName("New API key (secret)")
        self.key_edit.setMinimumWidth(self.key_edit.fontMetrics().horizontalAdvance("M" * 44))
        self.reveal_button = QPushButton("&Show")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setAccessibleName("Show the key")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setAccessibleName("Copy the key to the clipboard")
        self.copy_button.setDefault(True)
        self.countdown = QLabel()
        self.countdown.setAccessibleName("Clipboard status")
        self.countdown.setForegroundRole(self.countdown.foregroundRole().PlaceholderText)

        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.reveal_button)
        key_row.addWidget(self.copy_button)

        self.snippet_edits: list[QLineEdit] = []
        self.snippet_buttons: list[QPushButton] = []
        snippet_box = QGroupBox("Use it")
        snippet_form = QFormLayout(snippet_box)
        for index, (label, _text) in enumerate(self._snippet_texts):
            edit = QLineEdit()
            edit.setReadOnly(True)
            edit.setFont(monospace_font())
            edit.setAccessibleName(f"{label} snippet")
            button = QPushButton("Copy")
            button.setAccessibleName(f"Copy the {label} snippet")
            button.clicked.connect(lambda _=False, i=index: self._copy_snippet(i))
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(button)
            snippet_form.addRow(f"{label}:", row)
            self.snippet_edits.append(edit)
            self.snippet_buttons.append(button)

        self.test_button = QPushButton("&Test key")
        self.test_button.setAccessibleName("Test the key against the API")
        self.test_result = InlineMessage("success")
        self.test_result.setObjectName("testResult")
        self.test_error = InlineMessage("error")
        self.test_error.setObjectName("testError")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)

        self.ack_box = QCheckBox("I have stored this key in a safe &place")
        self.ack_box.setAccessibleName("I have stored this key in a safe place")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(warning)
        layout.addWidget(title)
        layout.addLayout(key_row)
        layout.addWidget(self.countdown)
        layout.addWidget(snippet_box)
        layout.addLayout(test_row)
        layout.addWidget(self.test_result)
        layout.addWidget(self.test_error)
        layout.addWidget(self.ack_box)

        self.reveal_button.toggled.connect(self._set_revealed)
        self.copy_button.clicked.connect(self.copy_key)
        self.test_button.clicked.connect(self.test_key)
        self.ack_box.toggled.connect(self.acknowledged_changed)
        self._clipboard.remaining_changed.connect(self._show_remaining)
        self._clipboard.finished.connect(self._show_finished)
        self._set_revealed(False)

    @property
    def acknowledged(self) -> bool:
        return self.ack_box.isChecked()

    @property
    def holds_secret(self) -> bool:
        return self._secret is not None

    def copy_key(self) -> None:
        if self._secret is not None:
            self._clipboard.copy(self._secret, self._clear_after)

    def _copy_snippet(self, index: int) -> None:
        if self._secret is not None:
            self._clipboard.copy(self._snippet_texts[index][1], self._clear_after)

    def test_key(self) -> None:
        if self._secret is None:
            return
        self.test_button.setEnabled(False)
        self.test_result.clear_message()
        self.test_error.clear_message()
        self._runner.start(
            self._test(self._secret), owner=self, on_error=self._test_failed, name="test-api-key"
        )

    async def _test(self, secret: str) -> None:
        me: Me = await self._service.test_key(secret)
        del secret
        self.test_button.setEnabled(True)
        scopes = ", ".join(me.scopes) or "no scopes"
        self.test_result.show_message(
            f"The key works: the API accepted it for organisation {me.org} with {scopes}."
        )

    def _test_failed(self, exc: BaseException) -> bool:
        self.test_button.setEnabled(self._secret is not None)
        self.test_error.show_message(f"The key did not work: {error_message(exc)}")
        return True

    def _set_revealed(self, revealed: bool) -> None:
        secret = self._secret
        self.reveal_button.setText("&Hide" if revealed else "&Show")
        self.reveal_button.setAccessibleName("Hide the key" if revealed else "Show the key")
        self.key_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )
        for edit, (_label, text) in zip(self.snippet_edits, self._snippet_texts, strict=True):
            if secret is None:
                edit.clear()
            elif revealed:
                edit.setText(text)
            else:
                edit.setText(text.replace(secret, masked(secret, self._prefix)))
            edit.setCursorPosition(0)

    def _show_remaining(self, seconds: int) -> None:
        if seconds > 0:
            self.countdown.setText(
                f"Copied. The clipboard will be cleared in {format_duration(seconds)}."
            )
        elif self._clipboard.active:
            self.countdown.setText("Copied. The clipboard will be cleared when you quit.")

    def _show_finished(self, cleared: bool) -> None:
        self.countdown.setText(
            "The key was removed from the clipboard."
            if cleared
            else "The clipboard holds something else now; it was left as it is."
        )

    def wipe(self) -> None:
        """Forget the secret: empty every widget that showed it and drop our references."""
        self._runner.cancel_owned_by(self)
        self._secret = None
        self._created = None
        self._snippet_texts = [(label, "") for label, _ in self._snippet_texts]
        self.key_edit.clear()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        for edit in self.snippet_edits:
            edit.clear()
        for button in (
            self.copy_button,
            self.reveal_button,
            self.test_button,
            *self.snippet_buttons,
        ):
            button.setEnabled(False)


class CopyOnceDialog(QDialog):
    """The dialog around :class:`CopyOncePanel`. Open with ``open()``.

    The clipboard countdown carries on after the dialog closes: the
    :class:`SecretClipboard` belongs to the page, which outlives the dialog.
    """

    def __init__(
        self,
        created: CreatedApiKey,
        service: ApiKeysService,
        runner: TaskRunner,
        clipboard: SecretClipboard,
        clear_after_seconds: int,
        parent: QWidget | None = None,
        *,
        api_base: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your new API key")
        self.setAccessibleName("Your new API key")
        self._confirm: QMessageBox | None = None
        self.panel = CopyOncePanel(
            created, service, runner, clipboard, clear_after_seconds, self, api_base=api_base
        )
        # Wide enough for the whole curl line (the longest snippet), within reason.
        longest = max(len(edit.text()) for edit in self.panel.snippet_edits)
        mono = QFontMetrics(monospace_font())
        self.setMinimumWidth(min(1000, mono.horizontalAdvance("M" * longest) + 240))
        del created
        self.buttons = QDialogButtonBox()
        self.done_button = self.buttons.addButton("&Done", QDialogButtonBox.ButtonRole.AcceptRole)
        self.done_button.setAccessibleName("Done")
        self.done_button.setProperty("primary", True)
        self.done_button.setEnabled(False)
        self.done_button.setToolTip("Tick “I have stored this key” first.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addWidget(self.buttons)
        self.panel.acknowledged_changed.connect(self._acknowledged)
        self.buttons.accepted.connect(self.accept)
        self._acknowledged(False)
        self.panel.copy_button.setFocus()

    def _acknowledged(self, done: bool) -> None:
        self.done_button.setEnabled(done)
        self.done_button.setToolTip("" if done else "Tick “I have stored this key” first.")
        # Enter copies the key until it is stored, then closes the dialog.
        (self.done_button if done else self.panel.copy_button).setDefault(True)

    def accept(self) -> None:
        if self.panel.acknowledged:
            self.done(QDialog.DialogCode.Accepted)

    def reject(self) -> None:
        """Escape or the window's close button: ask first unless the key was stored."""
        if self.panel.acknowledged or not self.panel.holds_secret:
            self.done(QDialog.DialogCode.Rejected)
            return
        if self._confirm is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Close without storing the key?",
            NOT_SHOWN_AGAIN,
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText("Copy it first, or tick “I have stored this key” when you have.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(self._confirm_finished)
        self._confirm = box
        box.open()  # never exec(): this may run while coroutines are active

    @property
    def confirmation(self) -> QMessageBox | None:
        """The "You will not be able to see this key again" box, while it is open."""
        return self._confirm

    def _confirm_finished(self, result: int) -> None:
        box, self._confirm = self._confirm, None
        if box is not None:
            box.deleteLater()
        if result == QMessageBox.StandardButton.Close:
            self.done(QDialog.DialogCode.Rejected)

    def done(self, result: int) -> None:
        self.panel.wipe()
        super().done(result)
