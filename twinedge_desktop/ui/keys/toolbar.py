"""The keys page's toolbar: a filter that keeps its room, and buttons that move into a
"More" menu, least used first, when the page is too narrow to show them all.

Why not a ``QToolBar``: its extension menu (») holds whatever happens not to fit, in
layout order, as a popup of buttons rather than a menu of actions, and the filter field
would be the first thing it hides. Here the order in which buttons go is chosen (Export
CSV, then Refresh, then Show revoked, then Revoke and Rotate; the filter and "New key"
always stay), each hidden button's action appears in the menu with its shortcut, and the
menu button is in the tab order with a mnemonic: every action stays reachable by keyboard.

Widths come from the widgets' own size hints (fonts and styles differ per desktop), and the
toolbar asks its layout for no more than the collapsed width, so the window can be made
narrow at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QSizePolicy, QWidget


@dataclass
class _Overflowing:
    widget: QWidget
    action: QAction
    priority: int  # the lowest goes into the menu first


class OverflowToolbar(QWidget):
    """A row: one stretching widget (the filter), widgets that always show, and widgets that
    go into the "More" menu (the lowest priority first) when the row is too narrow.

    Public: ``more_button``, ``menu``, :meth:`set_stretch_widget`, :meth:`add_fixed`,
    :meth:`add_overflowing`, :meth:`hidden_actions`.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._stretch: QWidget | None = None
        self._stretch_minimum = 0
        self._items: list[QWidget] = []  # in the row's order, the menu button excluded
        self._fixed: list[QWidget] = []
        self._overflowing: list[_Overflowing] = []
        self.menu = QMenu(self)
        self.menu.aboutToShow.connect(self._fill_menu)
        # A push button with a menu: in the tab order, opened with Space, its arrow drawn
        # beside the text (a tool button's overlaps it under the app's style sheet).
        self.more_button = QPushButton("&More")
        self.more_button.setAccessibleName("More actions")
        self.more_button.setToolTip("Actions that do not fit the toolbar")
        self.more_button.setMenu(self.menu)
        self.more_button.hide()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_stretch_widget(self, widget: QWidget, minimum_width: int) -> None:
        """The widget that takes the room left (first in the row), never narrower than
        ``minimum_width``."""
        self._stretch = widget
        self._stretch_minimum = minimum_width
        widget.setMinimumWidth(minimum_width)
        self._row.insertWidget(0, widget, 1)

    def add_fixed(self, widget: QWidget) -> None:
        """A widget that always shows."""
        self._fixed.append(widget)
        self._add(widget)

    def add_overflowing(self, widget: QWidget, action: QAction, priority: int) -> None:
        """A widget that moves into the menu as ``action`` when the row is too narrow;
        the lowest ``priority`` goes first."""
        self._overflowing.append(_Overflowing(widget, action, priority))
        self._add(widget)

    def _add(self, widget: QWidget) -> None:
        self._items.append(widget)
        self._row.addWidget(widget)
        self._row.removeWidget(self.more_button)
        self._row.addWidget(self.more_button)

    def hidden_actions(self) -> list[QAction]:
        """The actions now in the "More" menu, in the row's order."""
        return [item.action for item in self._overflowing if item.widget.isHidden()]

    # -- sizes ---------------------------------------------------------------------------

    def _width_of(self, widgets: list[QWidget]) -> int:
        spacing = max(0, self._row.spacing())
        return sum(widget.sizeHint().width() + spacing for widget in widgets)

    def _needed(self, shown: list[QWidget], with_menu: bool) -> int:
        margins = self._row.contentsMargins()
        width = margins.left() + margins.right() + self._stretch_minimum
        width += self._width_of(shown)
        if with_menu:
            width += self._width_of([self.more_button])
        return width

    def minimumSizeHint(self) -> QSize:
        # Everything that can go, gone: the window may be made this narrow.
        hint = super().minimumSizeHint()
        return QSize(self._needed(self._fixed, bool(self._overflowing)), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        everything = [item.widget for item in self._overflowing] + self._fixed
        return QSize(self._needed(everything, False), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange(event.size().width())

    def arrange(self, width: int | None = None) -> None:
        """Show as many overflowing widgets as ``width`` (default: the current) allows."""
        available = self.width() if width is None else width
        ranked = sorted(self._overflowing, key=lambda item: -item.priority)
        keep = len(ranked)
        while keep > 0:
            shown = self._fixed + [item.widget for item in ranked[:keep]]
            if self._needed(shown, keep < len(ranked)) <= available:
                break
            keep -= 1
        kept = {id(item) for item in ranked[:keep]}
        for item in self._overflowing:
            item.widget.setVisible(id(item) in kept)
        self.more_button.setVisible(keep < len(ranked))

    def _fill_menu(self) -> None:
        self.menu.clear()
        for action in self.hidden_actions():
            self.menu.addAction(action)
