"""A dialog's content that the dialog grows to show in full, and scrolls on a small screen.

Why: a dialog laid out directly in its window squeezes its content when something
appears (a validation message, a warning): Qt keeps the window's size and shrinks
the rest, so group boxes lose their rows and labels clip their text. Wrapped in a
:class:`DialogBody`, the content always gets the height it asks for; the window grows
to show it (up to what the screen has room for), and beyond that the body scrolls.

Use::

    body = DialogBody(content)          # content: a QWidget with a layout
    layout = QVBoxLayout(dialog)
    layout.addWidget(body, 1)
    layout.addWidget(buttons)           # buttons stay visible, outside the scrolling part

Tabbing through the content scrolls the focused widget into view (QScrollArea does).
The window never shrinks by itself (a message going away leaves the size alone, so
nothing jumps under the pointer); :meth:`DialogBody.fit_window` fits it on request
(a wizard's step changes, say).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

# What a dialog may take of the screen's free area: room for its title bar and for
# seeing what it belongs to.
SCREEN_SHARE = 0.9


def screen_room(widget: QWidget) -> QSize:
    """The largest size a window of ``widget`` should have on its screen."""
    screen = widget.screen()  # the primary screen until the window is placed on one
    available = screen.availableGeometry().size()
    return QSize(int(available.width() * SCREEN_SHARE), int(available.height() * SCREEN_SHARE))


class DialogBody(QScrollArea):
    """``content`` in a frameless scroll area whose size hint is the content's full size.

    ``preferred_width``: the width the content is laid out at for the hint (word-wrapped
    labels have no width of their own); the window may be made narrower or wider.
    """

    def __init__(
        self, content: QWidget, parent: QWidget | None = None, *, preferred_width: int = 520
    ) -> None:
        super().__init__(parent)
        self._preferred_width = preferred_width
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # The dialog's own background shows through: the content is part of the dialog.
        self.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)
        content.installEventFilter(self)
        self._grow_timer = QTimer(self)
        self._grow_timer.setSingleShot(True)
        self._grow_timer.setInterval(0)
        self._grow_timer.timeout.connect(self._grow_window)

    def content_size(self) -> QSize:
        """The size the content needs to show everything, at the preferred width or wider."""
        content = self.widget()
        if content is None:
            return QSize(0, 0)
        minimum = content.minimumSizeHint()
        width = max(self._preferred_width, minimum.width())
        layout = content.layout()
        if layout is not None and layout.hasHeightForWidth():
            height = layout.totalHeightForWidth(width)
        else:
            height = content.sizeHint().height()
        return QSize(width, max(height, minimum.height()))

    def sizeHint(self) -> QSize:
        needed = self.content_size()
        room = screen_room(self)
        hint = needed.boundedTo(room)
        if hint.height() < needed.height():
            # It will scroll: leave room for the scroll bar rather than cut the content.
            hint.setWidth(hint.width() + self.verticalScrollBar().sizeHint().width())
        return hint

    def minimumSizeHint(self) -> QSize:
        # As narrow as the content allows; as low as a few lines (the rest scrolls).
        content = self.widget()
        width = content.minimumSizeHint().width() if content is not None else 0
        return QSize(width + self.verticalScrollBar().sizeHint().width(), 120)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            # Something appeared or changed size: the window may need to grow.
            self.updateGeometry()
            self._grow_timer.start()
        return super().eventFilter(watched, event)

    def _grow_window(self) -> None:
        window = self.window()
        if not window.isVisible():
            return  # a window not yet shown takes its size hint when it is
        wanted = window.sizeHint().boundedTo(screen_room(window))
        grown = window.size().expandedTo(wanted)
        if grown != window.size():
            window.resize(grown)

    def fit_window(self, *, keep_width: bool = True) -> None:
        """Resize the window to its content: grow or shrink its height (and width, unless
        ``keep_width``), within the screen's room."""
        window = self.window()
        wanted = (
            window.sizeHint().boundedTo(screen_room(window)).expandedTo(window.minimumSizeHint())
        )
        if keep_width:
            wanted.setWidth(max(window.width(), wanted.width()))
        window.resize(wanted)

    def ensure_visible(self, widget: QWidget) -> None:
        """Scroll so that ``widget`` (inside the content) shows, e.g. a message just shown."""
        self.ensureWidgetVisible(widget, 0, 8)


__all__ = ["SCREEN_SHARE", "DialogBody", "screen_room"]
