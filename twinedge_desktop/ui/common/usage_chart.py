"""A key's use per day as a picture: requests and errors as bars, drawn with QPainter.

Shown in the key's details (API Keys) and beside an unusual-activity finding (Health),
so it lives here rather than in either feature. A person should read it at a glance:
one bar per UTC day, oldest on the left; the part of a bar that failed (answers of 400
and above) in the palette's error tone at its foot; a y axis with round numbers and
light grid lines; a date under every seventh day, counted back from the last, so the
newest day is always labelled; a legend; the day under the pointer (or the keyboard's
current day, Left/Right/Home/End) highlighted with its numbers in a tooltip.

For screen readers the widget's accessible description is one sentence with the totals,
the busiest day and how many days had traffic (:func:`usage_summary`); the day a person
moves to with the keyboard is its accessible name's second half.

Colours come from the widget's palette at paint time (Highlight for requests, the error
tone of ``style.tone`` for errors, PlaceholderText for the axis text, Mid for the grid),
so the chart follows a light/dark switch without being told.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from twinedge_desktop.api.models import DayUsage, KeyUsage
from twinedge_desktop.ui.common.style import is_dark, tone

_PAD = 6  # around the plot, in pixels
_LEGEND_SWATCH = 10
_LABEL_EVERY = 7  # a date under every seventh day, counted back from the newest


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ (whole) at or above ``value``; 1 for 0.

    The y axis ends there, so its three labels (0, half, top) are round numbers.
    """
    if value <= 1:
        return 1
    magnitude: int = 10 ** len(str(value)) // 10  # the power of ten at or below value
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0):
        top = step * magnitude
        if top >= value and top.is_integer():
            return int(top)
    return 10 * magnitude


def day_text(day: DayUsage) -> str:
    """One day's numbers, for a tooltip or a screen reader."""
    requests = f"{day.requests:,} request{'' if day.requests == 1 else 's'}"
    if not day.requests:
        return f"{day.date:%a %Y-%m-%d}: no requests"
    errors = f"{day.errors:,} failed ({100 * day.errors / day.requests:.0f} %)"
    return f"{day.date:%a %Y-%m-%d}: {requests}, {errors}"


def usage_summary(usage: KeyUsage) -> str:
    """The chart in one sentence: totals, the busiest day, the days with traffic."""
    days = usage.days
    if not days:
        return "No usage was reported."
    span = f"{len(days)} days to {days[-1].date:%Y-%m-%d}"
    requests, errors = usage.requests, usage.errors
    if not requests:
        return f"No requests in the {span}."
    busiest = max(days, key=lambda day: day.requests)
    used = sum(1 for day in days if day.requests)
    return (
        f"{requests:,} requests in the {span}, {errors:,} failed "
        f"({100 * errors / requests:.1f} %); busiest {busiest.date:%Y-%m-%d} with "
        f"{busiest.requests:,}; used on {used} of {len(days)} days."
    )


def _axis_number(value: float) -> str:
    """An axis label: "1,500"; from 100,000 on, thousands: "150k"."""
    if value >= 100_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


class UsageChart(QWidget):
    """Requests and errors per day (see the module docstring). Give it a report with
    :meth:`set_usage`; without one it shows :attr:`placeholder` ("Loading…", an error).

    Signals:
        current_day_changed(int): the day under the pointer or chosen with the keyboard
            (an index into the report's days; -1: none).
    """

    current_day_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._days: tuple[DayUsage, ...] = ()
        self._top = 1
        self._current = -1
        self._placeholder = ""
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Requests and errors per day")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    # -- data ------------------------------------------------------------------------

    def set_usage(self, usage: KeyUsage | None) -> None:
        self._days = usage.days if usage is not None else ()
        self._top = nice_ceiling(max((day.requests for day in self._days), default=0))
        self._set_current(-1)
        self.setAccessibleDescription(usage_summary(usage) if usage is not None else "")
        self.update()

    def set_placeholder(self, text: str) -> None:
        """What to show instead of bars (loading, an error); "" for none."""
        self._placeholder = text
        if text:
            self.setAccessibleDescription(text)
        self.update()

    @property
    def days(self) -> tuple[DayUsage, ...]:
        return self._days

    @property
    def current_day(self) -> int:
        return self._current

    @property
    def axis_top(self) -> int:
        """The y axis' top value (a round number at or above the busiest day)."""
        return self._top

    # -- geometry (also what tests sample) ------------------------------------------------

    def plot_rect(self) -> QRectF:
        """Where the bars are drawn: inside the axis labels, the legend and the dates."""
        metrics = QFontMetrics(self.font())
        widest = max(metrics.horizontalAdvance(_axis_number(self._top * f)) for f in (0.5, 1))
        left = widest + 2 * _PAD
        top = metrics.height() + 2 * _PAD  # the legend
        bottom = metrics.height() + _PAD  # the dates
        return QRectF(
            left, top, max(1.0, self.width() - left - _PAD), max(1.0, self.height() - top - bottom)
        )

    def bar_slot(self, index: int) -> QRectF:
        """The column of day ``index``: where the pointer picks it."""
        plot = self.plot_rect()
        width = plot.width() / max(1, len(self._days))
        return QRectF(plot.left() + index * width, plot.top(), width, plot.height())

    def bar_rect(self, index: int, value: int | None = None) -> QRectF:
        """Day ``index``'s bar for ``value`` requests (its own count when None)."""
        slot = self.bar_slot(index)
        plot = self.plot_rect()
        count = self._days[index].requests if value is None else value
        height = plot.height() * count / self._top
        gap = min(slot.width() * 0.3, 6.0) if slot.width() >= 3 else 0.0
        return QRectF(slot.left() + gap / 2, plot.bottom() - height, slot.width() - gap, height)

    def day_at(self, point: QPoint | QPointF) -> int:
        """The day whose column holds ``point`` (-1: outside the plot)."""
        plot = self.plot_rect()
        if not self._days or not plot.adjusted(0, -_PAD, 0, _PAD).contains(QPointF(point)):
            return -1
        index = int((point.x() - plot.left()) / (plot.width() / len(self._days)))
        return index if 0 <= index < len(self._days) else -1

    # -- colours ---------------------------------------------------------------------------

    def request_color(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Highlight)

    def error_color(self) -> QColor:
        return tone(self.palette(), "error")

    def _current_color(self) -> QColor:
        base = self.request_color()
        return base.lighter(125) if is_dark(self.palette()) else base.darker(125)

    # -- painting ----------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(520, 190)

    def minimumSizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(240, 4 * metrics.height() + 60)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.PlaceholderText)
        grid = palette.color(QPalette.ColorRole.Mid)
        metrics = QFontMetrics(self.font())
        plot = self.plot_rect()
        self._paint_legend(painter, metrics, text)
        # Grid and y labels: 0, half, top.
        for fraction in (0.0, 0.5, 1.0):
            y = round(plot.bottom() - plot.height() * fraction)
            painter.setPen(
                QPen(grid, 1, Qt.PenStyle.SolidLine if fraction == 0 else Qt.PenStyle.DotLine)
            )
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            label = _axis_number(self._top * fraction)
            painter.setPen(text)
            box = QRectF(0, y - metrics.height() / 2, plot.left() - _PAD, metrics.height())
            painter.drawText(
                box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label
            )
        if self._placeholder or not self._days:
            painter.setPen(text)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._placeholder or "No usage reported.")  # fmt: skip
            return
        if self._current >= 0:
            band = QColor(self.request_color())
            band.setAlpha(40)
            painter.fillRect(self.bar_slot(self._current), band)
        requests_color, errors_color = self.request_color(), self.error_color()
        for index, day in enumerate(self._days):
            if not day.requests:
                continue
            bar = self.bar_rect(index)
            painter.fillRect(
                bar, self._current_color() if index == self._current else requests_color
            )
            if day.errors:
                painter.fillRect(self.bar_rect(index, day.errors), errors_color)
        if not any(day.requests for day in self._days):
            painter.setPen(text)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No requests in these days")
        self._paint_dates(painter, metrics, text, plot)

    def _paint_legend(self, painter: QPainter, metrics: QFontMetrics, text: QColor) -> None:
        x = float(self.plot_rect().left())
        y = float(_PAD)
        for label, color in (("Requests", self.request_color()), ("Errors", self.error_color())):
            swatch = QRectF(
                x, y + (metrics.height() - _LEGEND_SWATCH) / 2, _LEGEND_SWATCH, _LEGEND_SWATCH
            )
            painter.fillRect(swatch, color)
            x += _LEGEND_SWATCH + 4
            painter.setPen(text)
            width = metrics.horizontalAdvance(label)
            painter.drawText(
                QRectF(x, y, width + 2, metrics.height()), Qt.AlignmentFlag.AlignVCenter, label
            )
            x += width + 3 * _PAD
        if self._days:
            span = f"{len(self._days)} days, UTC"
            width = metrics.horizontalAdvance(span)
            box = QRectF(self.width() - _PAD - width - 2, y, width + 2, metrics.height())
            if box.left() > x:
                painter.drawText(
                    box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, span
                )

    def _paint_dates(
        self, painter: QPainter, metrics: QFontMetrics, text: QColor, plot: QRectF
    ) -> None:
        painter.setPen(text)
        last = len(self._days) - 1
        previous_right = -math.inf
        for index in range(last, -1, -_LABEL_EVERY):
            day = self._days[index].date
            label = f"{day:%b} {day.day}"
            width = metrics.horizontalAdvance(label)
            centre = self.bar_slot(index).center().x()
            left = min(max(centre - width / 2, plot.left()), self.width() - _PAD - width)
            if left + width + _PAD > previous_right and previous_right != -math.inf:
                continue  # would overlap the label to its right
            painter.drawText(QRectF(left, plot.bottom() + 2, width + 2, metrics.height()),
                             Qt.AlignmentFlag.AlignLeft, label)  # fmt: skip
            previous_right = left

    # -- the current day: pointer, keyboard, tooltip ---------------------------------------

    def _set_current(self, index: int) -> None:
        if index == self._current:
            return
        self._current = index
        name = "Requests and errors per day"
        if 0 <= index < len(self._days):
            name += f"; {day_text(self._days[index])}"
        self.setAccessibleName(name)
        self.current_day_changed.emit(index)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._set_current(self.day_at(event.position()))
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if not self.hasFocus():
            self._set_current(-1)
        super().leaveEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._set_current(-1)
        super().focusOutEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.day_at(event.pos())
            if index >= 0:
                QToolTip.showText(event.globalPos(), day_text(self._days[index]), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._days:
            super().keyPressEvent(event)
            return
        last = len(self._days) - 1
        current = self._current if self._current >= 0 else last
        moves = {
            Qt.Key.Key_Left: max(0, current - 1) if self._current >= 0 else last,
            Qt.Key.Key_Right: min(last, current + 1),
            Qt.Key.Key_Home: 0,
            Qt.Key.Key_End: last,
        }
        target = moves.get(Qt.Key(event.key()))
        if target is None:
            super().keyPressEvent(event)
            return
        self._set_current(target)
        slot = self.bar_slot(target)
        QToolTip.showText(
            self.mapToGlobal(slot.center().toPoint()), day_text(self._days[target]), self
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.update()
        super().changeEvent(event)
