"""The layout checks (tests/helpers/layout.py) find what they promise, and only that."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.helpers.layout import (
    assert_layout_fits,
    layout_problems,
    window_off_screen,
    window_too_large,
)
from twinedge_desktop.ui.common.dialog_body import screen_room

LONG = "A sentence that is much too long to fit into a narrow window without wrapping"


def _shown(qtbot: QtBot, widget: QWidget, width: int, height: int) -> QWidget:
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_roomy_window_has_no_problems(qtbot: QtBot) -> None:
    window = QWidget()
    column = QVBoxLayout(window)
    column.addWidget(QLabel("Short"))
    wrapped = QLabel(LONG)
    wrapped.setWordWrap(True)
    column.addWidget(wrapped)
    column.addWidget(QPushButton("Create key"))
    field = QLineEdit()
    field.setPlaceholderText("Filter")
    column.addWidget(field)
    _shown(qtbot, window, 700, 300)
    assert_layout_fits(window)


def test_cut_labels_buttons_and_placeholders_are_found(qtbot: QtBot) -> None:
    window = QWidget()
    row = QHBoxLayout(window)
    label = QLabel(LONG)
    label.setMinimumWidth(1)
    label.setMaximumWidth(60)
    button = QPushButton("Export CSV…")
    button.setFixedWidth(30)
    field = QLineEdit()
    field.setPlaceholderText("Filter by name, prefix or scope")
    field.setFixedWidth(40)
    for widget in (label, button, field):
        row.addWidget(widget)
    _shown(qtbot, window, 300, 80)
    problems = "\n".join(layout_problems(window))
    assert "QLabel 'A sentence" in problems
    assert "QPushButton 'Export CSV…' is cut" in problems
    assert "QLineEdit 'Filter by name" in problems
    with pytest.raises(AssertionError):
        assert_layout_fits(window)


def test_a_wrapped_label_without_the_height_it_needs_is_found(qtbot: QtBot) -> None:
    window = QWidget()
    label = QLabel(LONG, window)
    label.setWordWrap(True)
    label.setGeometry(0, 0, 80, 20)
    _shown(qtbot, window, 200, 200)
    assert any("needs" in p and "of height" in p for p in layout_problems(window))


def test_a_widget_outside_its_parent_is_found(qtbot: QtBot) -> None:
    window = QWidget()
    button = QPushButton("OK", window)
    button.setGeometry(180, 0, 80, 30)
    _shown(qtbot, window, 200, 100)
    assert any("lies outside its parent" in p for p in layout_problems(window))


def test_content_larger_than_a_scroll_area_is_fine_and_elision_by_design_is_allowed(
    qtbot: QtBot,
) -> None:
    window = QWidget()
    column = QVBoxLayout(window)
    area = QScrollArea()
    content = QWidget()
    content.setMinimumSize(600, 600)
    area.setWidget(content)
    column.addWidget(area)
    elided = QLabel(LONG)
    elided.setMaximumWidth(50)
    elided.setMinimumWidth(1)
    elided.setProperty("elides", True)
    column.addWidget(elided)
    _shown(qtbot, window, 200, 200)
    assert layout_problems(window) == []


def test_a_text_box_cut_sideways_is_found_while_the_window_could_widen(qtbot: QtBot) -> None:
    window = QWidget()
    box = QPlainTextEdit("curl -H 'Authorization: Bearer te_…' https://api.example.test/v1")
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    QVBoxLayout(window).addWidget(box)
    _shown(qtbot, window, 200, 120)
    assert any("scrolls sideways" in p for p in layout_problems(window))
    # As wide as the screen allows, scrolling sideways is all that is left: not a problem.
    room = screen_room(window)
    box.setPlainText("x" * 2000)
    window.resize(room.width(), 120)
    qtbot.waitUntil(lambda: window.width() == room.width(), timeout=1000)
    assert not any("scrolls sideways" in p for p in layout_problems(window))


def test_a_window_larger_than_the_screen_or_running_off_it_is_found(qtbot: QtBot) -> None:
    window = QWidget()
    available = window.screen().availableGeometry()
    _shown(qtbot, window, 300, available.height() + 50)
    qtbot.waitUntil(lambda: window.height() > available.height(), timeout=1000)
    assert any("larger than the screen" in p for p in layout_problems(window))
    window.resize(300, 200)
    window.move(available.left() + 10, available.bottom() - 100)  # its bottom runs off
    qtbot.waitUntil(lambda: window.height() == 200, timeout=1000)
    assert window_too_large(window) is None
    problem = window_off_screen(window)
    assert problem is not None and "outside the screen" in problem
    window.move(available.left() + 10, available.top() + 10)
    qtbot.waitUntil(lambda: window_off_screen(window) is None, timeout=1000)


def test_a_list_row_wider_than_its_list_is_found(qtbot: QtBot) -> None:
    window = QWidget()
    rows = QListWidget()
    rows.addItems(["short", LONG])
    QVBoxLayout(window).addWidget(rows)
    _shown(qtbot, window, 160, 160)
    assert any("row 1" in p for p in layout_problems(window))
    window.resize(700, 160)
    qtbot.waitUntil(lambda: window.width() == 700, timeout=1000)
    assert not any("row 1" in p for p in layout_problems(window))
