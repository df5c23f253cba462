"""PageStack: a StartingView per page until the page is built, then the page in a PageFrame."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QWidget

from twinedge_desktop.ui.shell.frame import PageFrame, PageStack, StartingView


class ShowRecorder(QObject):
    """Records the widgets it watches that are shown (a Show event), in order."""

    def __init__(self, widgets: list[QWidget]) -> None:
        super().__init__()
        self.shown: list[QWidget] = []
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            self.shown.append(watched)
        return False


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 0, 2), (1, 2, 0)])
def test_building_the_pages_in_any_order_shows_only_the_page_of_the_row_shown(
    qtbot: Any, order: tuple[int, ...]
) -> None:
    stack = PageStack(3)
    qtbot.addWidget(stack)
    stack.show_row(1)
    stack.show()
    qtbot.waitExposed(stack)
    assert isinstance(stack.currentWidget(), StartingView) and stack.currentIndex() == 1
    pages = [QLabel(f"page {row}") for row in range(3)]
    recorder = ShowRecorder([*pages, *(stack.place(row) for row in range(3))])
    for row in order:
        frame = stack.hold(row, pages[row])
        assert stack.place(row) is frame and frame.widget() is pages[row]
        assert stack.count() == 3 and stack.currentIndex() == 1
        # Only the row shown changes what is on screen: its page replaces its StartingView,
        # with no other place shown on the way (a built page would be laid out for nothing).
        assert recorder.shown == ([pages[row]] if row == 1 else []), (order, row)
        recorder.shown.clear()
    assert [stack.frame(row).widget() for row in range(3)] == pages
    assert not stack.findChildren(StartingView)  # each replaced one is deleted at once


def test_a_starting_view_makes_its_labels_when_it_is_first_shown(qtbot: Any) -> None:
    stack = PageStack(2)
    qtbot.addWidget(stack)
    first, second = stack.place(0), stack.place(1)
    assert isinstance(first, StartingView) and isinstance(second, StartingView)
    assert not first.findChildren(QLabel) and not second.findChildren(QLabel)
    stack.show_row(1)
    assert second.filled and not first.filled
    with pytest.raises(RuntimeError, match="attach_services"):
        stack.frame(1)
    assert isinstance(stack.hold(0, QWidget()), PageFrame)
