"""Layout checks for windows and dialogs: does every text fit, does every widget lie inside?

Used by the tests that open each page and dialog at the window's minimum size in
both themes. A problem is a sentence naming the widget (class, objectName or text)
and what is wrong, so a failing test says where to look.

What counts as a problem, for every widget visible in ``root``:
- it lies (more than ``TOLERANCE`` px) outside its parent, unless the parent is the
  viewport of a scroll area (content larger than a viewport is what scrolling is for)
  or the widget is itself a scroll area's content;
- a label's text does not fit: a word-wrapped label needs more height than it has, an
  unwrapped one more width or height;
- a button (push, tool, check, radio) is narrower or lower than its minimum size hint,
  so its text or icon is cut;
- a line edit or combo box cannot show its placeholder or current text.

A widget that elides by design says so with ``widget.setProperty("elides", True)``.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QWidget,
)

TOLERANCE = 1
# A line edit or combo box's frame and padding, beyond its text (Fusion: ~ 12 px).
_FIELD_PADDING = 12


def describe(widget: QWidget) -> str:
    """A short name for a widget in a failure message."""
    name = type(widget).__name__
    if widget.objectName():
        name += f"#{widget.objectName()}"
    text = ""
    if isinstance(widget, QLabel | QAbstractButton):
        text = widget.text()
    elif isinstance(widget, QLineEdit):
        text = widget.placeholderText() or widget.text()
    if text:
        flat = " ".join(text.split())
        name += f" {flat[:40]!r}"
    return name


def _in_scroll_content(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    if parent is None:
        return False
    grand = parent.parentWidget()
    if isinstance(grand, QAbstractScrollArea) and grand.viewport() is parent:
        return True
    return isinstance(grand, QScrollArea) and grand.widget() is widget


def _outside_parent(widget: QWidget) -> str | None:
    parent = widget.parentWidget()
    if parent is None or _in_scroll_content(widget):
        return None
    bounds = parent.rect().adjusted(-TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE)
    geometry = QRect(widget.mapTo(parent, QPoint(0, 0)), widget.size())
    if bounds.contains(geometry):
        return None
    return (
        f"{describe(widget)} lies outside its parent {describe(parent)}: "
        f"{geometry.getRect()} not in {parent.rect().getRect()}"
    )


def _label_cut(label: QLabel) -> str | None:
    if not label.text() or label.property("elides"):
        return None
    rect = label.contentsRect()
    if label.wordWrap():
        needed = label.heightForWidth(label.width())
        if needed > label.height() + TOLERANCE:
            return f"{describe(label)} needs {needed} px of height, has {label.height()}"
        return None
    hint = label.minimumSizeHint()
    margins = label.width() - rect.width()
    if hint.width() > label.width() + TOLERANCE or hint.height() > label.height() + TOLERANCE:
        return (
            f"{describe(label)} is cut: needs {hint.width()}x{hint.height()}, "
            f"has {label.width()}x{label.height()} (margins {margins})"
        )
    return None


def _button_cut(button: QAbstractButton) -> str | None:
    if button.property("elides"):
        return None
    hint = button.minimumSizeHint()
    if hint.width() > button.width() + TOLERANCE or hint.height() > button.height() + TOLERANCE:
        return (
            f"{describe(button)} is cut: needs {hint.width()}x{hint.height()}, "
            f"has {button.width()}x{button.height()}"
        )
    return None


def _field_cut(field: QLineEdit | QComboBox) -> str | None:
    if field.property("elides"):
        return None
    if isinstance(field, QLineEdit):
        text = field.placeholderText() if not field.text() else ""
    else:
        text = field.currentText()
    if not text:
        return None
    needed = field.fontMetrics().horizontalAdvance(text) + _FIELD_PADDING
    if isinstance(field, QComboBox):
        needed += 20  # the drop-down arrow
    if needed > field.width() + TOLERANCE:
        return f"{describe(field)} shows {text!r} cut: needs {needed} px, has {field.width()}"
    return None


def layout_problems(root: QWidget) -> list[str]:
    """Every problem described in the module docstring, for ``root`` and what it shows."""
    problems: list[str] = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.isWindow():
            continue
        checks: list[str | None] = [_outside_parent(widget)]
        if isinstance(widget, QLabel):
            checks.append(_label_cut(widget))
        elif isinstance(widget, QAbstractButton):
            checks.append(_button_cut(widget))
        elif isinstance(widget, QLineEdit | QComboBox) and not _inside_other_control(widget):
            checks.append(_field_cut(widget))
        problems.extend(problem for problem in checks if problem)
    return problems


def _inside_other_control(widget: QWidget) -> bool:
    """A combo box's own line edit or a spin box's editor is checked through its owner."""
    parent = widget.parentWidget()
    if parent is None:
        return False
    return isinstance(parent, QComboBox) or type(parent).__name__.endswith(
        ("SpinBox", "DateEdit", "DateTimeEdit")
    )


def assert_layout_fits(root: QWidget) -> None:
    """Fail with every problem found, one per line."""
    problems = layout_problems(root)
    assert not problems, f"{describe(root)} at {root.width()}x{root.height()}:\n" + "\n".join(
        problems
    )
