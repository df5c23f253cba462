"""Small pieces the API-key dialogs share: inline messages, colours that follow the palette,
key summaries and the wording of API errors.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.ui.common.tasks import describe_error
from twinedge_desktop.ui.keys.model import absolute_time, display_prefix, relative_time


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def tone(palette: QPalette, kind: str) -> QColor:
    """A readable accent for ``kind`` ("error", "warning", "success") on this palette.

    Qt's palette has no warning/error roles, so the hue is fixed and the lightness
    follows the palette: darker tones on light backgrounds, lighter on dark ones.
    """
    dark = is_dark(palette)
    colours = {
        "error": ("#b3261e", "#f2b8b5"),
        "warning": ("#8a5a00", "#f5c26b"),
        "success": ("#1b6e3a", "#8fd6a4"),
    }
    light_hex, dark_hex = colours.get(kind, colours["warning"])
    return QColor(dark_hex if dark else light_hex)


def monospace_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class InlineMessage(QLabel):
    """A wrapped label for an inline error, warning or note; hidden when empty.

    The accessible name says what kind of message it is, so a screen reader
    announces "Error: …" rather than bare text.
    """

    def __init__(self, kind: str = "error", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kind = kind
        self._applying = False
        self._wanted = False  # shown once it has a parent, if it has a message
        self.setWordWrap(True)
        self.setTextFormat(self.textFormat().PlainText)
        self.setAccessibleName(kind.capitalize())
        self._apply_tone()
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setAccessibleDescription(text)
        self._wanted = bool(text)
        # Not yet in a layout, showing it would open it as a window of its own for a
        # moment, which takes the keyboard focus from the dialog: wait for the parent.
        if not self.isWindow():
            self.setVisible(self._wanted)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ParentChange and not self.isWindow():
            self.setVisible(self._wanted)
            # Placed into a widget already on screen, Qt's setParent() marks the label
            # hidden again after this event: apply the wish once more when it is done.
            QTimer.singleShot(0, self, self._apply_wanted)
        return super().event(event)

    def _apply_wanted(self) -> None:
        if not self.isWindow():
            self.setVisible(self._wanted)

    def clear_message(self) -> None:
        self.show_message("")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._applying:
            self._apply_tone()  # light/dark switch: recompute the accent

    def _apply_tone(self) -> None:
        self._applying = True  # setPalette() sends PaletteChange again
        try:
            palette = self.palette()
            palette.setColor(QPalette.ColorRole.WindowText, tone(palette, self._kind))
            self.setPalette(palette)
        finally:
            self._applying = False


def error_message(exc: BaseException) -> str:
    """What an API error means for the person, with what to do for retryable ones."""
    text = describe_error(exc)
    retry_after = getattr(exc, "retry_after", None)
    if getattr(exc, "status", None) == 429 and retry_after:
        text = f"{text} (wait about {round(float(retry_after))} s)"
    return text


def add_key_summary(form: QFormLayout, key: ApiKey, now: datetime) -> None:
    """Rows for name, prefix, scopes and last use: what a person checks before acting."""
    name = QLabel(key.name)
    name.setTextFormat(name.textFormat().PlainText)
    prefix = QLabel(display_prefix(key))
    prefix.setFont(monospace_font())
    scopes = QLabel(", ".join(key.scopes) or "(none)")
    scopes.setWordWrap(True)
    last = QLabel(last_use_text(key, now))
    for widget, label in ((name, "Name"), (prefix, "Key"), (scopes, "Scopes"), (last, "Last used")):
        widget.setTextInteractionFlags(widget.textInteractionFlags().TextSelectableByMouse)
        widget.setAccessibleName(label)
        form.addRow(f"{label}:", widget)


def last_use_text(key: ApiKey, now: datetime) -> str:
    if key.last_used_at is None:
        return "never used"
    return f"{relative_time(key.last_used_at, now)} ({absolute_time(key.last_used_at)})"


def escape(text: str) -> str:
    return html.escape(text, quote=False)
