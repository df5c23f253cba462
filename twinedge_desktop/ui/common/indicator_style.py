"""Check boxes and radio buttons that read on both palettes: Fusion, with its indicators
drawn again (see :class:`IndicatorStyle`).

Apart from ``style.py``, which the window's first frame imports: QStyle's Python types
are set up only when the feature pages' looks are turned on, after the first paint
(``ThemeManager.use_app_style_sheet``).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption, QWidget


def mixed(first: QColor, second: QColor, first_share: float) -> QColor:
    """``first`` and ``second`` mixed, ``first_share`` (0–1) of the first."""
    rest = 1.0 - first_share
    return QColor.fromRgbF(
        first.redF() * first_share + second.redF() * rest,
        first.greenF() * first_share + second.greenF() * rest,
        first.blueF() * first_share + second.blueF() * rest,
    )


# How much of the text colour an indicator's edge has, the rest being the field's (Base).
# Measured in rendered pixels against the window (tests/unit/ui/common/
# test_theme_readability.py): 3.4:1 light, 4.7:1 dark, where WCAG 2.1 §1.4.11 asks 3:1 of a
# control's edge. Fusion draws the edge from the window colour, darker: 1.1:1 on the dark
# palette (1.7:1 light), which is why it disappeared.
INDICATOR_EDGE_TEXT_SHARE = 0.55


class IndicatorStyle(QProxyStyle):
    """Fusion, with check boxes and radio buttons drawn to read in both schemes.

    Fusion draws their edge a shade darker than the window, which on a dark window is
    darker still: unchecked boxes and radios vanished, and the chosen radio was a small
    translucent dot. Here the edge mixes the text and field colours (see
    :data:`INDICATOR_EDGE_TEXT_SHARE`) and "on" is the accent: a filled box with a mark in
    the accent's text colour, a radio with an accent ring and dot. Everything else, sizes
    included, is Fusion's, so no layout moves. Checkable items in lists and menus go
    through the same primitive (Fusion draws them with ``proxy()``).

    Cost: every primitive of the application crosses into Python once to be passed on.
    benchmarks/indicator_style.py, offscreen, against Fusion in the same run: a full repaint
    of a 40×7 table (about 460 primitives) 6.2–6.5 ms → 7.3–7.5 ms (×1.12–1.21); a dialog
    of 24 check boxes and radios 0.19 → 0.70 ms. Well inside a 16 ms frame; a C++ style
    plugin would avoid it, at the price of a compiled part in a pure-Python app.
    """

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element == QStyle.PrimitiveElement.PE_IndicatorCheckBox:
            _draw_check_box(option, painter)
        elif element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            _draw_radio_button(option, painter)
        else:
            super().drawPrimitive(element, option, painter, widget)


def _indicator_colours(option: QStyleOption) -> tuple[QColor, QColor, QColor, QColor]:
    """(field, edge, accent, mark on the accent) for ``option``'s state and palette."""
    state = option.state
    palette = option.palette
    enabled = bool(state & QStyle.StateFlag.State_Enabled)
    group = QPalette.ColorGroup.Active if enabled else QPalette.ColorGroup.Disabled
    base = palette.color(group, QPalette.ColorRole.Base)
    text = palette.color(group, QPalette.ColorRole.Text)
    field = base
    if state & QStyle.StateFlag.State_Sunken:
        field = mixed(text, base, 0.15)  # pressed
    edge = mixed(text, base, INDICATOR_EDGE_TEXT_SHARE)
    keyboard_focus = QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_KeyboardFocusChange
    if enabled and (state & keyboard_focus) == keyboard_focus:
        edge = palette.color(group, QPalette.ColorRole.Highlight)
    if enabled:
        accent = palette.color(group, QPalette.ColorRole.Highlight)
        mark = palette.color(group, QPalette.ColorRole.HighlightedText)
    else:
        accent, mark = edge, base
    return field, edge, accent, mark


def _draw_check_box(option: QStyleOption, painter: QPainter) -> None:
    field, edge, accent, mark = _indicator_colours(option)
    state = option.state
    on = bool(state & QStyle.StateFlag.State_On)
    partly = bool(state & QStyle.StateFlag.State_NoChange)
    box = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
    size = min(box.width(), box.height())
    box = QRectF(box.x(), box.y() + (box.height() - size) / 2, size, size)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(accent if (on or partly) else edge, 1.0))
    painter.setBrush(accent if (on or partly) else field)
    painter.drawRoundedRect(box, 2.5, 2.5)
    pen = QPen(mark, max(1.5, size * 0.14))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if partly:
        middle = box.center().y()
        painter.drawLine(
            QPointF(box.left() + size * 0.25, middle), QPointF(box.right() - size * 0.25, middle)
        )
    elif on:
        tick = QPainterPath()
        tick.moveTo(box.left() + size * 0.24, box.top() + size * 0.52)
        tick.lineTo(box.left() + size * 0.42, box.top() + size * 0.70)
        tick.lineTo(box.left() + size * 0.76, box.top() + size * 0.30)
        painter.drawPath(tick)
    painter.restore()


def _draw_radio_button(option: QStyleOption, painter: QPainter) -> None:
    field, edge, accent, _mark = _indicator_colours(option)
    on = bool(option.state & QStyle.StateFlag.State_On)
    rect = QRectF(option.rect)
    # The ring centred on pixel centres and a little over 1 px wide: an anti-aliased ring
    # between two pixels is drawn at half strength (2.1:1 instead of 3.4:1 on light).
    radius = min(rect.width(), rect.height()) / 2 - 0.5
    centre = rect.center()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(accent if on else edge, 1.5 if on else 1.25))
    painter.setBrush(field)
    painter.drawEllipse(centre, radius, radius)
    if on:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        dot = radius * 0.5
        painter.drawEllipse(centre, dot, dot)
    painter.restore()


__all__ = ["INDICATOR_EDGE_TEXT_SHARE", "IndicatorStyle", "mixed"]
