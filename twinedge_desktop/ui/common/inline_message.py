"""An inline error, warning or note beside what it is about (forms, dialogs, lists).

Apart from ``widgets.py``, which the window's first frame imports: only the pages need it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

from twinedge_desktop.ui.common.style import ToneKind, tone


class InlineMessage(QLabel):
    """A wrapped label for an inline error, warning or note; hidden when empty.

    The accessible name says what kind of message it is, so a screen reader
    announces "Error: …" rather than bare text.
    """

    def __init__(self, kind: ToneKind = "error", parent: QWidget | None = None) -> None:
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
