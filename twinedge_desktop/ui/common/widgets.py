"""Small widgets shared by the pages: a message banner, labels, a centred column.

Kept apart from the pages so the window's first paint needs only these (no
asyncio, no services).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from twinedge_desktop.ui.common.messages import MessageLevel
from twinedge_desktop.ui.common.style import icon, set_role

if TYPE_CHECKING:
    # Named for the type checker only: the window's first frame (centered_column) does not
    # need QPushButton, whose type costs ~0.5 ms to set up on its first import.
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QPushButton


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

    _level: MessageLevel | None = None  # until set_level (style events come before it)

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
        self._level = level
        self.setProperty("level", str(level))
        self._draw_icon()
        self.style().unpolish(self)
        self.style().polish(self)

    def _draw_icon(self) -> None:
        if self._level is None:
            return
        # A pixmap keeps the colour it was drawn in (the palette's text colour then), so
        # it is drawn again when the palette or style changes: switched to dark while
        # running, a banner built in light would show a dark "!" on dark red.
        self._icon.setPixmap(icon(str(self._level)).pixmap(22, 22))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # What changes the colours the pixmap was drawn in: the palette (View ▸ Theme, the
        # system's scheme), the style, or the platform's theme.
        from PySide6.QtCore import QEvent  # not for the first frame, which never changes theme

        changes = (QEvent.Type.PaletteChange, QEvent.Type.StyleChange, QEvent.Type.ThemeChange)
        if event.type() in changes:
            self._draw_icon()

    def add_button(self, button: QPushButton) -> None:
        self.buttons.insertWidget(self.buttons.count() - 1, button)

    def set_text(self, title: str, message: str) -> None:
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.message.setText(message)


def fit_to_contents(window: QWidget) -> None:
    """Grow ``window`` (a dialog) to the height its content needs at its current width,
    within the screen: a dialog grows with what it shows (an error, a warning) rather than
    squashing or cutting it. Never shrinks it, so what the person resized stays.

    Qt sets a window's minimum size from its layout, but not from word-wrapped labels
    (their height depends on the width), so text added after showing can be cut.
    """
    layout = window.layout()
    if layout is None:
        return
    layout.activate()
    width = window.width()
    needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
    needed = max(needed, layout.totalMinimumSize().height(), layout.sizeHint().height())
    screen = window.screen()
    if screen is not None:
        needed = min(needed, screen.availableGeometry().height() - 40)  # room for a title bar
    if needed > window.height():
        window.resize(width, needed)
