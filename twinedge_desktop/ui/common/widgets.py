"""Small widgets shared by the pages: a message banner, an inline message, labels, a centred
column.

Kept apart from the pages so the window's first paint needs only these (no
asyncio, no services).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.ui.common.messages import MessageLevel
from twinedge_desktop.ui.common.style import ToneKind, icon, set_role, tone


def centered_column(page: QWidget, content: QWidget, *, max_width: int) -> None:
    """Lay ``content`` out as a column of at most ``max_width``, centred, at the top.

    The column takes the full width up to its maximum (rather than its size hint),
    so word-wrapped labels get their real width and height.
    """
    content.setMaximumWidth(max_width)
    content.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(content, 100)
    row.addStretch(1)
    outer = QVBoxLayout(page)
    outer.setContentsMargins(32, 28, 32, 28)
    outer.addLayout(row)
    outer.addStretch(1)


def label(text: str = "", role: str | None = None, *, wrap: bool = True) -> QLabel:
    """A selectable, word-wrapped label with an optional look (see ``style.set_role``)."""
    from PySide6.QtCore import Qt  # not at import: see shell/main_window.py's note on Qt

    widget = QLabel(text)
    widget.setWordWrap(wrap)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if role:
        set_role(widget, role)
    return widget


class Banner(QFrame):
    """A coloured box with an icon, a title, a message and optional buttons."""

    def __init__(self, level: MessageLevel, parent: QWidget | None = None) -> None:
        from PySide6.QtCore import Qt

        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("level", level)
        set_role(self, "banner")
        self._icon = QLabel()
        self._icon.setFixedSize(24, 24)
        self._icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.title = label(role="subheading")
        self.message = label()
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 4, 0, 0)
        self.buttons.addStretch(1)
        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(self.title)
        text.addWidget(self.message)
        text.addLayout(self.buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 12, 12, 12)
        row.setSpacing(10)
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        self.set_level(level)

    def set_level(self, level: MessageLevel) -> None:
        # The style sheet picks the colours by this property (style.py, "banner").
        self.setProperty("level", str(level))
        self._icon.setPixmap(icon(str(level)).pixmap(22, 22))
        self.style().unpolish(self)
        self.style().polish(self)

    def add_button(self, button: QPushButton) -> None:
        self.buttons.insertWidget(self.buttons.count() - 1, button)

    def set_text(self, title: str, message: str) -> None:
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.message.setText(message)


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
