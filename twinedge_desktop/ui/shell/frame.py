"""How the shell holds pages: the navigation list, a scrolling frame per page, the keyboard.

- :class:`Navigation`: the page list on the left. Below :data:`COMPACT_BELOW` pixels of
  window width it shows icons only (titles in tooltips and for screen readers), so at
  the minimum window size a page gets ~740 of the 800 pixels instead of ~600.
- :class:`PageFrame`: every page sits in one. A page that cannot shrink to the window's
  minimum size scrolls inside it instead of being squeezed below its own minimum (where
  Qt overlaps and cuts its widgets): every page, present and future, stays usable at
  :data:`MINIMUM_WINDOW_SIZE`.
- :class:`PageStack`: one place per page, in navigation order. Until a page is built
  its place is a :class:`StartingView` ("Restoring session…"), which makes its labels
  only when it is first shown; the built page then takes the place in its PageFrame.
  So the first frame makes one StartingView's labels and no PageFrame, not five of each
  (measured: 5.5 ms less before the first paint, see benchmarks/startup.py).
- :class:`PageKeyboard`: a page's own shortcuts (its ``QAction``s with a widget
  context, such as Ctrl+N and Ctrl+F on API Keys) work as soon as the page is shown,
  wherever the keyboard focus is in the window (the navigation list after a click, the
  toolbar…): while a page is current its actions are also the window's. Going to a page
  from the keyboard (Ctrl+1…) also moves the focus into it (to its ``focusProxy()`` when
  it sets one, else its first focusable widget), so its keys work at once too.

Imported for the window's first frame: only QtWidgets classes already loaded, no ``Qt``
namespace at import (see main_window.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.ui.common.style import icon, set_role
from twinedge_desktop.ui.common.widgets import centered_column

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from twinedge_desktop.ui.common.page_info import PageInfo

# The smallest window every page must be usable at (a laptop with scaling, a tiled window).
MINIMUM_WINDOW_SIZE = QSize(800, 520)
NAVIGATION_WIDTH = 196
COMPACT_NAVIGATION_WIDTH = 56
COMPACT_BELOW = 1000  # window width (px) below which the navigation shows icons only


class Navigation(QListWidget):
    """The page list: "icon title" rows, or icons only in a narrow window."""

    def __init__(
        self,
        pages: Sequence[PageInfo],
        shortcut_numbers: Mapping[str, int],
        parent: QWidget | None = None,
    ) -> None:
        """``shortcut_numbers``: each page's Ctrl+<number>, named in its tooltip."""
        super().__init__(parent)
        self.setObjectName("navigation")
        set_role(self, "navigation")
        self.setAccessibleName("Pages")
        self.setIconSize(QSize(20, 20))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self._keys = [page.key for page in pages]
        self._titles = [page.title for page in pages]
        self._shortcuts = [f"Ctrl+{shortcut_numbers[page.key]}" for page in pages]
        self._badges: dict[int, tuple[int, str]] = {}
        for page, shortcut in zip(pages, self._shortcuts, strict=True):
            item = QListWidgetItem(icon(page.icon), page.title)
            item.setToolTip(f"{page.title} ({shortcut})")
            self.addItem(item)
        self.compact = True  # set_compact below applies the full width first
        self.set_compact(False)

    def title(self, row: int) -> str:
        return self._titles[row]

    def set_badge(self, row: int, count: int | None, text: str = "") -> None:
        """Show ``count`` on the page's entry ("Health (3)"; the number alone when compact),
        with ``text`` saying what it counts ("3 keys need attention") in its tooltip and for
        screen readers; None or 0 removes it. The shell passes on what a page reports."""
        if count:
            self._badges[row] = (count, text or f"{count:,} need attention")
        else:
            self._badges.pop(row, None)
        self._show_item(row)
        if self.compact:
            self._fit_compact_width()

    def set_page_badge(self, key: str, count: int | None, text: str = "") -> None:
        """:meth:`set_badge` for the page ``key``."""
        self.set_badge(self._keys.index(key), count, text)

    def _show_item(self, row: int) -> None:
        title, badge = self._titles[row], self._badges.get(row)
        item = self.item(row)
        shortcut = self._shortcuts[row]
        if badge is None:
            item.setText("" if self.compact else title)
            item.setToolTip(f"{title} ({shortcut})")
            item.setData(11, title)  # ItemDataRole.AccessibleTextRole
            return
        count, text = badge
        item.setText(f"{count:,}" if self.compact else f"{title} ({count:,})")
        item.setToolTip(f"{title}: {text} ({shortcut})")
        item.setData(11, f"{title}, {text}")

    def follow_window_width(self, width: int) -> None:
        """Icons only below :data:`COMPACT_BELOW` px of window width, titles above."""
        self.set_compact(width < COMPACT_BELOW)

    def set_compact(self, compact: bool) -> None:
        if compact == self.compact:
            return
        self.compact = compact
        for row in range(len(self._titles)):
            self._show_item(row)  # the title stays what a screen reader says
        if compact:
            self._fit_compact_width()
        else:
            self.setFixedWidth(NAVIGATION_WIDTH)

    def _fit_compact_width(self) -> None:
        # As wide as an icon row needs (its padding comes from the style sheet), so the
        # list never scrolls sideways.
        needed = self.sizeHintForColumn(0) + 2 * self.frameWidth() + 2
        self.setFixedWidth(max(COMPACT_NAVIGATION_WIDTH, needed))


class PageFrame(QScrollArea):
    """One page's place in the window: scrolls the page when the window is smaller than the
    page's own minimum size, and otherwise just holds it (see module docstring)."""

    def __init__(self, page: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        # No frame (0 = NoFrame | Plain, as an int: creating an enum class costs time).
        # QScrollArea's viewport already shows the window's colour.
        self.setFrameStyle(0)
        self.setWidget(page)

    def scrolls(self) -> tuple[bool, bool]:
        """Whether the page scrolls (horizontally, vertically) at the frame's size now."""
        return (
            self.horizontalScrollBar().maximum() > 0,
            self.verticalScrollBar().maximum() > 0,
        )


class StartingView(QWidget):
    """What a page's place shows in the first moments, before the services and pages exist.

    Empty until :meth:`fill` (see :class:`PageStack`): only a place that is shown makes
    its labels.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filled = False

    def fill(self) -> None:
        """Make the heading and the sentence (once)."""
        if self.filled:
            return
        self.filled = True
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setSpacing(12)
        # Plain labels (nothing here is worth selecting): the first frame stays cheap.
        heading = QLabel("Restoring session…")
        set_role(heading, "heading")
        detail = QLabel("Opening your system keychain and connecting. One moment.")
        detail.setWordWrap(True)
        set_role(detail, "muted")
        layout.addWidget(heading)
        layout.addWidget(detail)
        centered_column(self, column, max_width=620)


class PageStack(QStackedWidget):
    """The pages' places, one per navigation row (see module docstring)."""

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Page")
        for _row in range(count):
            self.addWidget(StartingView())

    def place(self, row: int) -> QWidget:
        """What the place of ``row`` holds: its StartingView, or the page in its PageFrame."""
        place = self.widget(row)
        if place is None:
            raise IndexError(f"No page at row {row}")
        return place

    def frame(self, row: int) -> PageFrame:
        """The PageFrame of ``row``'s page, once the page is built."""
        frame = self.place(row)
        if not isinstance(frame, PageFrame):
            raise RuntimeError("The pages are built with the services (attach_services).")
        return frame

    def show_row(self, row: int) -> None:
        """Show the place of ``row``; a StartingView makes its labels first, while still
        hidden, so they are shown with it (children added to a widget already visible
        would wait for a later turn of the event loop)."""
        place = self.place(row)
        if isinstance(place, StartingView):
            place.fill()
        self.setCurrentIndex(row)

    def hold(self, row: int, page: QWidget) -> PageFrame:
        """Put ``page``, in a new PageFrame, in the place of ``row``; the StartingView it
        replaces is deleted. The row shown stays shown, and no other place is shown even
        for a moment (showing a built page lays it out: milliseconds for a big one)."""
        starting = self.place(row)
        frame = PageFrame(page)
        self.insertWidget(row, frame)
        if self.currentWidget() is starting:
            self.setCurrentWidget(frame)
        self.removeWidget(starting)  # not the current one now: the stack shows what it showed
        shiboken6.delete(starting)
        return frame


class PageKeyboard:
    """A page's own shortcuts work as soon as the page is shown (see module docstring)."""

    def __init__(self, window: QWidget) -> None:
        self._window = window
        self._lent: list[QAction] = []

    def page_shown(self, page: QWidget | None) -> None:
        """``page`` is current now: its widget-context shortcuts become the window's."""
        if page is None and not self._lent:
            return  # the first frame (no page built yet): no need of the Qt namespace
        from PySide6.QtCore import Qt

        for action in self._lent:
            if shiboken6.isValid(action):
                self._window.removeAction(action)
        local = (Qt.ShortcutContext.WidgetShortcut, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._lent = (
            [
                action
                for action in page.actions()
                if action.shortcuts() and action.shortcutContext() in local
            ]
            if page is not None
            else []
        )
        for action in self._lent:
            self._window.addAction(action)

    @staticmethod
    def focus_into(page: QWidget | None) -> None:
        """Move the keyboard focus into ``page`` unless it is there already."""
        from PySide6.QtCore import Qt

        if page is None:
            return
        focused = QApplication.focusWidget()
        if focused is not None and (focused is page or page.isAncestorOf(focused)):
            return
        proxy = page.focusProxy()
        usable = proxy is not None and proxy.isVisibleTo(page) and proxy.isEnabled()
        target = proxy if usable else _first_focusable(page)
        if target is not None:
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)


def _first_focusable(page: QWidget) -> QWidget | None:
    from PySide6.QtCore import Qt

    widget = page.nextInFocusChain()
    while widget is not None and widget is not page:
        if (
            page.isAncestorOf(widget)
            and widget.isVisibleTo(page)
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            return widget
        widget = widget.nextInFocusChain()
    return None
