"""A dialog's content that the dialog resizes to show in full, and scrolls on a small screen.

Why: a dialog laid out directly in its window squeezes its content when something
appears (a validation message, a warning): Qt keeps the window's size and shrinks
the rest, so group boxes lose their rows and labels clip their text. Wrapped in a
:class:`DialogBody`, the content always gets the size it asks for; the window follows
it (within what the screen has room for), and beyond that the body scrolls.

Use::

    body = DialogBody(content)          # content: a QWidget with a layout
    layout = QVBoxLayout(dialog)
    layout.addWidget(body, 1)
    layout.addWidget(buttons)           # buttons stay visible, outside the scrolling part

How the window follows the content (measured against the review's shots: a rotation's
snippets cut at 582 px on a 1920 px screen, Create key and Register left tall after their
error went):

- width: the content's preferred width, or wider when the content asks for it (a snippet
  line, up to the screen's room), never narrower than the window is: a width that jumps
  back and forth under the pointer is worse than a little room to spare;
- height: what the content needs now, both ways: it grows when a message appears and
  shrinks back when it goes;
- never below what the person resized the window to (a resize that this class did not
  make, once the window is shown), and never beyond :func:`screen_room`.

Tabbing through the content scrolls the focused widget into view (QScrollArea does).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

# What a dialog may take of the screen's free area: room for its title bar and for
# seeing what it belongs to.
SCREEN_SHARE = 0.9
# The body's own minimum height when its content is taller (the rest scrolls).
MINIMUM_HEIGHT = 120


def screen_room(widget: QWidget) -> QSize:
    """The largest size a window of ``widget`` should have on its screen."""
    screen = widget.screen()  # the primary screen until the window is placed on one
    available = screen.availableGeometry().size()
    return QSize(int(available.width() * SCREEN_SHARE), int(available.height() * SCREEN_SHARE))


class DialogBody(QScrollArea):
    """``content`` in a frameless scroll area whose size hint is the content's full size.

    ``preferred_width``: the width the content is laid out at for the hint (word-wrapped
    labels have no width of their own) unless the content's own size hint is wider (a
    snippet's longest line); the window may be made narrower or wider.
    """

    def __init__(
        self, content: QWidget, parent: QWidget | None = None, *, preferred_width: int = 520
    ) -> None:
        super().__init__(parent)
        self._preferred_width = preferred_width
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._follow_content)
        # The sizes this class asked the window for: their resize events (which a window
        # system may deliver later, after resize() returned) are not the person's.
        self._requested: list[QSize] = []
        self._user_size = QSize(0, 0)  # the size the person gave the window, if any
        self._watched_window: QWidget | None = None
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # The dialog's own background shows through: the content is part of the dialog.
        self.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)
        content.installEventFilter(self)

    def content_size(self) -> QSize:
        """The size the content needs to show everything, at the preferred width or wider."""
        content = self.widget()
        if content is None:
            return QSize(0, 0)
        minimum = content.minimumSizeHint()
        # The content's own wish counts where it is wider (a snippet line), up to the room
        # a window has on this screen (beyond it, the snippet scrolls sideways).
        wished = min(content.sizeHint().width(), screen_room(self).width())
        width = max(self._preferred_width, minimum.width(), wished)
        # The widget's own (virtual) answers, not its layout's: a content widget may
        # size itself differently (a stack as tall as the page it shows).
        if content.hasHeightForWidth():
            height = content.heightForWidth(width)
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
        # As narrow as the content allows; as low as a few lines (the rest scrolls), or
        # the content's own height when that is less (no empty band under a short step).
        content = self.widget()
        width = content.minimumSizeHint().width() if content is not None else 0
        height = min(MINIMUM_HEIGHT, self.content_size().height())
        return QSize(width + self.verticalScrollBar().sizeHint().width(), height)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        window = self.window()
        if window is not self._watched_window:
            if self._watched_window is not None:
                self._watched_window.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched_window = window
            # Placed by Qt (centred over its parent), a tall window ran off the bottom of
            # the screen (Try it at y=140, 972 px tall on a 1080 px screen).
            self._keep_on_screen()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            # Something appeared, went or changed size: the window may need to follow.
            self.updateGeometry()
            self._fit_timer.start()
        elif (
            watched is self._watched_window
            and event.type() == QEvent.Type.Resize
            and isinstance(event, QResizeEvent)
            and self._watched_window.isVisible()
        ):
            window = self._watched_window
            if event.size() in self._requested:
                self._requested.remove(event.size())
            elif event.size() == event.oldSize().expandedTo(window.minimumSize()):
                pass  # the layout raised the window to its new minimum: nobody's choice
            else:
                self._user_size = event.size()  # the person's (or another caller's) choice
        return super().eventFilter(watched, event)

    @property
    def user_size(self) -> QSize:
        """The size the window was given by someone else than this class (0×0 if none)."""
        return QSize(self._user_size)

    def _resize_window(self, size: QSize) -> None:
        """Resize the window, moving it as little as needed to keep it on its screen: a
        dialog centred over the window, then widened for a snippet, ran off the right edge."""
        window = self.window()
        if size == window.size():
            return
        self._requested = [*self._requested[-3:], QSize(size)]
        placed = self._on_screen(QRect(window.geometry().topLeft(), size))
        if placed.topLeft() == window.geometry().topLeft():
            window.resize(size)
        else:
            window.setGeometry(placed)
        # Qt may have clamped it (to a minimum size its layout had not lowered yet): the
        # size the window took is this class's doing too.
        if window.size() != size:
            self._requested.append(window.size())

    def _on_screen(self, placed: QRect) -> QRect:
        """``placed`` (a window's geometry) moved as little as needed to lie within its
        screen's available geometry (as far as its size allows)."""
        window = self.window()
        if not window.isVisible():
            return placed
        available = window.screen().availableGeometry()
        # The window manager's frame (a title bar) goes above and around the window.
        frame = window.frameGeometry()
        inner = window.geometry()
        area = available.adjusted(
            inner.left() - frame.left(),
            inner.top() - frame.top(),
            inner.right() - frame.right(),
            inner.bottom() - frame.bottom(),
        )
        moved = QRect(placed)
        moved.moveRight(min(moved.right(), area.right()))
        moved.moveBottom(min(moved.bottom(), area.bottom()))
        moved.moveLeft(max(moved.left(), area.left()))
        moved.moveTop(max(moved.top(), area.top()))
        return moved

    def _keep_on_screen(self) -> None:
        window = self.window()
        placed = self._on_screen(window.geometry())
        if placed.topLeft() != window.geometry().topLeft():
            window.move(window.pos() + (placed.topLeft() - window.geometry().topLeft()))

    def _wanted_window_size(self) -> QSize:
        window = self.window()
        layout = window.layout()
        if layout is not None:
            layout.activate()  # the minimum size of what shows now, not of what showed
        room = screen_room(window)
        wanted = window.sizeHint().boundedTo(room).expandedTo(window.minimumSizeHint())
        # Never below the person's size (the screen's room permitting, as they chose it).
        return wanted.expandedTo(self._user_size)

    def _follow_content(self) -> None:
        window = self.window()
        if not window.isVisible():
            return  # a window not yet shown takes its size hint when it is
        wanted = self._wanted_window_size()
        # The width only grows (see the module's docstring); the height follows.
        wanted.setWidth(max(wanted.width(), window.width()))
        self._resize_window(wanted)

    def fit_window(self, *, keep_width: bool = True) -> None:
        """Resize the window to its content now: its height (and its width, unless
        ``keep_width``), within the screen's room and never below the person's size."""
        window = self.window()
        wanted = self._wanted_window_size()
        if keep_width:
            wanted.setWidth(max(window.width(), wanted.width()))
        self._resize_window(wanted)

    def ensure_visible(self, widget: QWidget) -> None:
        """Scroll so that ``widget`` (inside the content) shows, e.g. a message just shown."""
        self.ensureWidgetVisible(widget, 0, 8)


__all__ = ["MINIMUM_HEIGHT", "SCREEN_SHARE", "DialogBody", "screen_room"]
