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
- a line edit or combo box cannot show its placeholder or current text;
- a text box (``QPlainTextEdit``, ``QTextEdit``: a snippet, say) scrolls sideways, its
  lines cut behind a horizontal scroll bar, though its window could still grow wider on
  this screen (narrower than the screen's room, ``dialog_body.screen_room``);
- a list's row (``QListView``, ``QListWidget``; not tables, whose cells elide by design
  and show the whole value in a tooltip) has text wider than the list shows.

And for ``root`` itself when it is a window: it is larger than the screen's available
geometry. :func:`window_off_screen` also checks where a window placed itself (its bottom
running off the screen, say).

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
    QListView,
    QPlainTextEdit,
    QScrollArea,
    QTextEdit,
    QWidget,
)

from twinedge_desktop.ui.common.dialog_body import screen_room

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


def _text_box_cut(box: QPlainTextEdit | QTextEdit) -> str | None:
    if box.property("elides"):
        return None
    bar = box.horizontalScrollBar()
    if bar.maximum() <= 0:
        return None
    window = box.window()
    room = screen_room(window)
    if window.width() + TOLERANCE >= room.width():
        return None  # as wide as the screen allows: scrolling sideways is all that is left
    return (
        f"{describe(box)} scrolls sideways ({bar.maximum()} px cut) in a window "
        f"{window.width()} px wide, though the screen has room for {room.width()}"
    )


def _list_row_cut(view: QListView) -> str | None:
    if view.property("elides"):
        return None
    model = view.model()
    if model is None:
        return None
    room = view.viewport().width()
    for row in range(model.rowCount(view.rootIndex())):
        index = model.index(row, view.modelColumn(), view.rootIndex())
        rect = view.visualRect(index)
        if not rect.isValid() or not view.viewport().rect().intersects(rect):
            continue  # scrolled out of sight
        text = index.data()
        if not text:
            continue
        needed = view.sizeHintForIndex(index).width()
        if view.wordWrap():
            needed = min(needed, room)
            if view.sizeHintForIndex(index).height() > rect.height() + TOLERANCE:
                return f"{describe(view)} row {row} {str(text)[:40]!r} is cut in height"
        if needed > room + TOLERANCE:
            return f"{describe(view)} row {row} {str(text)[:40]!r} needs {needed} px, has {room}"
    return None


def window_too_large(root: QWidget) -> str | None:
    """``root``, a window, is larger than its screen's available geometry; None when it
    fits (or is not a window)."""
    if not root.isWindow():
        return None
    available = root.screen().availableGeometry()
    # The window's own area: a window manager's frame is its business (the offscreen
    # platform reports a 2 px frame that no window could avoid at the screen's full size).
    size = root.size()
    if size.width() > available.width() + TOLERANCE or (
        size.height() > available.height() + TOLERANCE
    ):
        return (
            f"{describe(root)} is {size.width()}x{size.height()}, larger than the screen's "
            f"available {available.width()}x{available.height()}"
        )
    return None


def window_off_screen(root: QWidget) -> str | None:
    """``root``, a shown window where it placed itself, is too large for its screen or lies
    partly outside the screen's available geometry (its bottom runs off the screen, say).
    Not part of :func:`layout_problems`: a test that resizes a window after it was placed
    moves its edges, not the window."""
    too_large = window_too_large(root)
    if too_large:
        return too_large
    available = root.screen().availableGeometry()
    placed = root.geometry()
    if root.isVisible() and not available.adjusted(
        -TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE
    ).contains(placed):
        return (
            f"{describe(root)} at {placed.getRect()} lies partly outside the screen's "
            f"available {available.getRect()}"
        )
    return None


def layout_problems(root: QWidget) -> list[str]:
    """Every problem described in the module docstring, for ``root`` and what it shows."""
    problems: list[str] = []
    too_large = window_too_large(root)
    if too_large:
        problems.append(too_large)
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
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            checks.append(_text_box_cut(widget))
        elif isinstance(widget, QListView):
            checks.append(_list_row_cut(widget))
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
