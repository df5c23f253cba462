"""The layout checks (tests/helpers/layout.py) find what they promise, and only that."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.helpers.layout import assert_layout_fits, layout_problems

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
