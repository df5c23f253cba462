"""Show a new secret once: masked, copied as a secret, with ready-to-use snippets, and an
"I have stored it" gate before the dialog closes.

Shared by every secret the API shows only once: a new API key (``ui/keys``), an OAuth
application's client secret (``ui/apps``). The feature supplies the words and the
snippets; this module does the rest the same way for both:

- the secret in a read-only field, masked (bullets after its public prefix) until
  "Show", copied with "Copy" as a *concealed* secret through the page's
  :class:`~twinedge_desktop.ui.common.clipboard.SecretClipboard` (clipboard managers
  skip it; cleared after the person's delay, on quit, and when the page goes), with
  the countdown shown;
- the snippets, one tab each (:class:`Snippet`): masked with the secret, copied as a
  secret when they hold it, as plain text when they do not (an SDK form that reads the
  secret from the environment);
- "I have stored this … in a safe place": **Done** stays disabled until it is ticked,
  and until then Enter copies the secret instead of closing; Escape or the window's
  close button ask first, with **Go back** (the default) and **Close without storing**;
- when the dialog closes, :meth:`CopyOncePanel.wipe` empties every widget that showed
  the secret and drops every reference this code held to it.

API::

    panel = CopyOncePanel(
        secret,
        what="client secret",                       # "API key", "client secret": said in the texts
        heading="Grafana (web app) · client id 3f2a…",  # plain text: which secret
        visible_prefix="",                          # shown unmasked ("te_abc123" for keys)
        snippets=[Snippet("Shell", f"export GRAFANA_CLIENT_SECRET={secret}"), ...],
        clipboard=page_clipboard,                   # the page's SecretClipboard (outlives it)
        clear_after_seconds=preferences.clipboard_clear_seconds,
        note="",                                    # optional caveat above the snippets
    )
    panel.extras.addWidget(...)                     # optional: feature widgets above the checkbox
    dialog = CopyOnceDialog(panel, title="Your new client secret", parent=page)
    del secret                                      # the panel holds the only reference now
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()                                   # never exec(): coroutines may be running

    dialog.accepted / dialog.finished               # QDialog's signals; Done only when ticked
    panel.acknowledged_changed(bool)                # the checkbox, e.g. a wizard's "Next"
    panel.acknowledged, panel.holds_secret, panel.secret, panel.wipe()

A wizard can show the panel without the dialog (the key rotation's step 2): put it in
a layout, gate "Next" on ``acknowledged_changed``, ask with
:func:`ask_close_without_storing` before closing, and call :meth:`~CopyOncePanel.wipe`
when leaving the step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.timefmt import format_duration
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import monospace_font

MASK = "•"
# The longest snippet view before it scrolls on its own (the tallest seed form is 10 lines).
SNIPPET_MAX_LINES = 12
SNIPPET_MIN_LINES = 3


@dataclass(frozen=True, slots=True)
class Snippet:
    """One ready-to-use way to use the secret: a tab's label and the text to copy.

    ``text`` may hold the secret (it is masked on screen until "Show"); it is never in
    the ``repr``.
    """

    label: str
    text: str = field(repr=False)


def masked(secret: str, visible_prefix: str) -> str:
    """The secret with everything after its public prefix replaced by bullets."""
    keep = visible_prefix if visible_prefix and secret.startswith(visible_prefix) else ""
    return keep + MASK * (len(secret) - len(keep))


def not_shown_again(what: str) -> str:
    """The sentence every copy-once surface says: "You will not be able to see this … again"."""
    return f"You will not be able to see this {what} again."


class SnippetView(QPlainTextEdit):
    """A read-only, monospace, unwrapped view of one snippet, as tall as its lines (up to
    :data:`SNIPPET_MAX_LINES`; longer ones scroll) and as wide as its longest line: the
    dialog widens for it where the screen has room (see ``DialogBody``), and only where
    it has not does the line scroll sideways, with room kept for that scroll bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(monospace_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(True)  # Tab moves on, as in every other field of the dialog
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._lines = 1
        self._longest = 0  # px, the longest line

    def show_text(self, text: str) -> None:
        self.setPlainText(text)
        lines = text.split("\n")
        self._lines = max(1, len(lines))
        metrics = self.fontMetrics()
        self._longest = max((metrics.horizontalAdvance(line) for line in lines), default=0)
        self.updateGeometry()

    def _chrome(self) -> int:
        """The frame and document margins around the text, on one side and the other."""
        return 2 * self.frameWidth() + int(2 * self.document().documentMargin())

    def line_width(self) -> int:
        """The width that shows the longest line whole (and the cursor after it)."""
        scrolls = self._lines > SNIPPET_MAX_LINES
        bar = self.verticalScrollBar().sizeHint().width() if scrolls else 0
        return self._longest + self._chrome() + bar + 2

    def _height_for(self, lines: int, *, bar: bool) -> int:
        spacing = self.fontMetrics().lineSpacing()
        scroll_bar = self.horizontalScrollBar().sizeHint().height() if bar else 0
        return lines * spacing + self._chrome() + scroll_bar

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        # Room for the horizontal scroll bar only where a line is wider than the view.
        lines = min(self._lines, SNIPPET_MAX_LINES)
        return self._height_for(lines, bar=width < self.line_width())

    def sizeHint(self) -> QSize:
        lines = min(self._lines, SNIPPET_MAX_LINES)
        return QSize(self.line_width(), self._height_for(lines, bar=False))

    def minimumSizeHint(self) -> QSize:
        return QSize(160, self._height_for(min(self._lines, SNIPPET_MIN_LINES), bar=True))


class SnippetTabs(QTabWidget):
    """The snippets, a tab each. As tall as its tallest tab (``QTabWidget``'s own rule): a
    dialog whose height jumped with every tab chosen moved its buttons under the pointer."""


class CopyOncePanel(QWidget):
    """The secret, its snippets, Copy and the "I have stored it" confirmation (see module).

    Signals:
        acknowledged_changed(bool): the person ticked (or unticked) "I have stored this …".
    """

    acknowledged_changed = Signal(bool)

    def __init__(
        self,
        secret: str,
        *,
        what: str,
        heading: str,
        clipboard: SecretClipboard,
        clear_after_seconds: int,
        visible_prefix: str = "",
        snippets: Sequence[Snippet] = (),
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._secret: str | None = secret
        self._prefix = visible_prefix
        self._what = what
        self._clipboard = clipboard
        self._clear_after = clear_after_seconds
        self._snippets: list[Snippet] = list(snippets)

        self.warning = InlineMessage("warning")
        self.warning.setObjectName("copyOnceWarning")
        self.warning.show_message(
            f"Copy your new {what} now and store it somewhere safe. {not_shown_again(what)}"
        )
        self.heading = QLabel(heading)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.heading.setAccessibleName(f"New {what}")
        bold = QFont(self.heading.font())
        bold.setBold(True)
        self.heading.setFont(bold)

        self.key_edit = QLineEdit(secret)
        self.key_edit.setReadOnly(True)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setFont(monospace_font())
        self.key_edit.setAccessibleName(f"New {what} (secret)")
        # As wide as the secret where there is room; the field scrolls where there is not.
        self.key_edit.setMinimumWidth(120)
        self.reveal_button = QPushButton("&Show")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setAccessibleName(f"Show the {what}")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setAccessibleName(f"Copy the {what} to the clipboard")
        # Not setDefault() here: made while the panel has no dialog, it would be recorded
        # nowhere, and a later setDefault(True) by the dialog would then do nothing.
        self.countdown = QLabel()
        self.countdown.setAccessibleName("Clipboard status")
        self.countdown.setWordWrap(True)
        self.countdown.setForegroundRole(self.countdown.foregroundRole().PlaceholderText)

        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.reveal_button)
        key_row.addWidget(self.copy_button)

        self.snippet_note = InlineMessage("warning")
        self.snippet_note.setObjectName("snippetNote")
        self.snippet_note.show_message(note)
        self.snippet_tabs = SnippetTabs()
        self.snippet_tabs.setAccessibleName("Use it")
        self.snippet_tabs.setDocumentMode(True)
        self.snippet_tabs.setUsesScrollButtons(True)
        self.snippet_edits: list[SnippetView] = []
        self.snippet_buttons: list[QPushButton] = []
        for index, snippet in enumerate(self._snippets):
            view = SnippetView()
            view.setAccessibleName(f"{snippet.label} snippet")
            button = QPushButton("Copy sn&ippet")
            button.setAccessibleName(f"Copy the {snippet.label} snippet")
            button.clicked.connect(lambda _=False, i=index: self.copy_snippet(i))
            tab = QWidget()
            tab_layout = QHBoxLayout(tab)
            tab_layout.setContentsMargins(0, 6, 0, 0)
            tab_layout.addWidget(view, 1)
            tab_layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self.snippet_tabs.addTab(tab, snippet.label)
            self.snippet_edits.append(view)
            self.snippet_buttons.append(button)
        use_it = QLabel("<b>Use it</b>")
        use_it.setBuddy(self.snippet_tabs)

        # Features add their own widgets here (the keys' "Test key"), above the checkbox.
        self.extras = QVBoxLayout()
        self.extras.setContentsMargins(0, 0, 0, 0)

        self.ack_box = QCheckBox(f"I have stored this {what} in a safe &place")
        self.ack_box.setAccessibleName(f"I have stored this {what} in a safe place")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.warning)
        layout.addWidget(self.heading)
        layout.addLayout(key_row)
        layout.addWidget(self.countdown)
        if self._snippets:
            separator = QFrame()
            separator.setFrameShape(QFrame.Shape.HLine)
            separator.setFrameShadow(QFrame.Shadow.Sunken)
            layout.addWidget(separator)
            layout.addWidget(use_it)
            layout.addWidget(self.snippet_note)
            layout.addWidget(self.snippet_tabs, 1)
        else:
            use_it.hide()
            self.snippet_tabs.hide()
        layout.addLayout(self.extras)
        layout.addWidget(self.ack_box)

        self.reveal_button.toggled.connect(self._set_revealed)
        self.copy_button.clicked.connect(self.copy_key)
        self.ack_box.toggled.connect(self.acknowledged_changed)
        self._clipboard.remaining_changed.connect(self._show_remaining)
        self._clipboard.finished.connect(self._show_finished)
        self._set_revealed(False)

    # -- state ---------------------------------------------------------------------------

    @property
    def what(self) -> str:
        return self._what

    @property
    def acknowledged(self) -> bool:
        return self.ack_box.isChecked()

    @property
    def holds_secret(self) -> bool:
        return self._secret is not None

    @property
    def secret(self) -> str | None:
        """The secret until :meth:`wipe`, for a feature's own use of it (testing a key)."""
        return self._secret

    def snippet_text(self, index: int) -> str:
        """What "Copy snippet" copies for tab ``index`` ("" once wiped)."""
        return self._snippets[index].text

    # -- actions -------------------------------------------------------------------------

    def copy_key(self) -> None:
        """Copy the secret, concealed, and start the clearing countdown."""
        if self._secret is not None:
            self._clipboard.copy(self._secret, self._clear_after)

    def copy_snippet(self, index: int) -> None:
        """Copy a snippet: as a secret when it holds the secret, as plain text otherwise."""
        secret = self._secret
        if secret is None:
            return
        snippet = self._snippets[index]
        if secret in snippet.text:
            self._clipboard.copy(snippet.text, self._clear_after)
            return
        QGuiApplication.clipboard().setText(snippet.text)
        self.countdown.setText(f"Copied the {snippet.label} snippet (it holds no secret).")

    def _set_revealed(self, revealed: bool) -> None:
        secret = self._secret
        self.reveal_button.setText("&Hide" if revealed else "&Show")
        self.reveal_button.setAccessibleName(
            f"Hide the {self._what}" if revealed else f"Show the {self._what}"
        )
        self.key_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )
        for view, snippet in zip(self.snippet_edits, self._snippets, strict=True):
            if secret is None:
                view.show_text("")
            elif revealed:
                view.show_text(snippet.text)
            else:
                view.show_text(snippet.text.replace(secret, masked(secret, self._prefix)))

    def _show_remaining(self, seconds: int) -> None:
        if seconds > 0:
            self.countdown.setText(
                f"Copied. The clipboard will be cleared in {format_duration(seconds)}."
            )
        elif self._clipboard.active:
            self.countdown.setText("Copied. The clipboard will be cleared when you quit.")

    def _show_finished(self, cleared: bool) -> None:
        self.countdown.setText(
            f"The {self._what} was removed from the clipboard."
            if cleared
            else "The clipboard holds something else now; it was left as it is."
        )

    def wipe(self) -> None:
        """Forget the secret: empty every widget that showed it and drop our references."""
        self._secret = None
        self._snippets = [Snippet(snippet.label, "") for snippet in self._snippets]
        self.key_edit.clear()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        for view in self.snippet_edits:
            view.show_text("")
        for button in (self.copy_button, self.reveal_button, *self.snippet_buttons):
            button.setEnabled(False)


class DiscardSecretBox(QMessageBox):
    """ "Close without storing the …?" with **Go back** (the default, and Escape) and
    **Close without storing**: two different words, never two look-alike buttons."""

    def __init__(self, what: str, informative: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(f"Close without storing the {what}?")
        self.setText(not_shown_again(what))
        self.setInformativeText(informative)
        self.close_button = self.addButton(
            "&Close without storing", QMessageBox.ButtonRole.DestructiveRole
        )
        self.close_button.setAccessibleName(f"Close without storing the {what}")
        self.close_button.setAutoDefault(False)  # Enter never throws the secret away
        self.back_button = self.addButton("&Go back", QMessageBox.ButtonRole.RejectRole)
        self.back_button.setAccessibleName(f"Go back to the {what}")
        self.setDefaultButton(self.back_button)
        self.setEscapeButton(self.back_button)

    def chose_close(self) -> bool:
        """Whether the person pressed "Close without storing" (once the box has finished)."""
        clicked: QAbstractButton | None = self.clickedButton()
        return clicked is self.close_button


def ask_close_without_storing(
    parent: QWidget, what: str, informative: str, on_close: Callable[[], object]
) -> DiscardSecretBox:
    """Open a :class:`DiscardSecretBox` over ``parent``; ``on_close()`` runs if the person
    closes without storing. Returns the box (open, deleted when it finishes)."""
    box = DiscardSecretBox(what, informative, parent)

    def finished(_result: int) -> None:
        chose_close = box.chose_close()
        box.deleteLater()
        if chose_close:
            on_close()

    box.finished.connect(finished)
    box.open()  # never exec(): this may run while coroutines are active
    box.back_button.setFocus()
    return box


class CopyOnceDialog(QDialog):
    """The dialog around a :class:`CopyOncePanel` (see module). Open with ``open()``.

    The clipboard countdown carries on after the dialog closes: the
    :class:`SecretClipboard` belongs to the page, which outlives the dialog.
    """

    def __init__(self, panel: CopyOncePanel, *, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._confirm: DiscardSecretBox | None = None
        self.panel = panel
        self.body = DialogBody(panel, self, preferred_width=640)
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.buttons = QDialogButtonBox()
        self.done_button = self.buttons.addButton("&Done", QDialogButtonBox.ButtonRole.AcceptRole)
        self.done_button.setAccessibleName("Done")
        self.done_button.setProperty("primary", True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.buttons)
        panel.acknowledged_changed.connect(self._acknowledged)
        self.buttons.accepted.connect(self.accept)
        self._acknowledged(False)
        panel.copy_button.setFocus()

    def _acknowledged(self, done: bool) -> None:
        self.done_button.setEnabled(done)
        what = self.panel.what
        self.done_button.setToolTip("" if done else f"Tick “I have stored this {what}” first.")
        # Enter copies the secret until it is stored, then closes the dialog.
        (self.done_button if done else self.panel.copy_button).setDefault(True)

    def accept(self) -> None:
        if self.panel.acknowledged:
            self.done(QDialog.DialogCode.Accepted)

    def reject(self) -> None:
        """Escape or the window's close button: ask first unless the secret was stored."""
        if self.panel.acknowledged or not self.panel.holds_secret:
            self.done(QDialog.DialogCode.Rejected)
            return
        if self._confirm is not None:
            return
        what = self.panel.what
        self._confirm = ask_close_without_storing(
            self,
            what,
            f"Copy it first, or tick “I have stored this {what}” when you have.",
            lambda: self.done(QDialog.DialogCode.Rejected),
        )
        self._confirm.finished.connect(self._confirm_finished)

    @property
    def confirmation(self) -> DiscardSecretBox | None:
        """The "You will not be able to see this … again" box, while it is open."""
        return self._confirm

    def _confirm_finished(self, _result: int) -> None:
        self._confirm = None

    def done(self, result: int) -> None:
        self.panel.wipe()
        super().done(result)


__all__ = [
    "MASK",
    "CopyOnceDialog",
    "CopyOncePanel",
    "DiscardSecretBox",
    "Snippet",
    "SnippetTabs",
    "SnippetView",
    "ask_close_without_storing",
    "masked",
    "not_shown_again",
]
