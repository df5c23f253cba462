"""The Health page's list: one row per finding, each with its action as a button.

:class:`FindingsModel` holds the :class:`~twinedge_desktop.ui.health.report.FindingRow`\\ s
of the last check and exposes those that pass the filter (text, "show dismissed"), worked
out with one list comprehension and a reset, as the keys model does (10,000 keys stay a
few milliseconds a keystroke). :class:`FindingsView` paints each row as a card of fixed
height (uniform sizes: the view never asks 10,000 rows their height): what was found, the
key and the one action as a button on the first line; the reason under them, across the
whole width, on up to two lines (:data:`REASON_LINES`), a stripe in the finding's tone on
the left. At the window's smallest size (a list ~560 px wide) the longest reason the rules
write (~145 characters) fits in two lines; a longer one ends in "…" (whole in the details
below the list and in the tooltip). Clicking the button, Enter, or a double-click asks for
the action; Ctrl+D dismisses (or brings back) the current finding.

Signals (FindingsView):
    action_requested(FindingRow): the row's action button (or Enter) was pressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPaintDevice,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QTextLayout,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from twinedge_desktop.ui.common.style import tone
from twinedge_desktop.ui.health.report import FindingId, FindingRow

ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1
ModelIndex = QModelIndex | QPersistentModelIndex

_PAD = 8
_STRIPE = 4
_BUTTON_PAD = 12
REASON_LINES = 2  # the reason's lines in a row: the rest is elided


def wrapped_lines(
    text: str, font: QFont, width: int, lines: int, device: QPaintDevice | None = None
) -> list[str]:
    """``text`` word-wrapped to ``width`` pixels in at most ``lines`` lines, the last one
    elided when the rest does not fit on it. Only the rows on screen are painted, so this
    runs for a dozen rows at a time, whatever the number of findings (~20 µs a row)."""
    if width <= 0 or lines <= 0:
        return []
    layout = QTextLayout(text, font, device) if device is not None else QTextLayout(text, font)
    shown: list[str] = []
    end = 0
    layout.beginLayout()
    try:
        while len(shown) < lines - 1:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            end = line.textStart() + line.textLength()
            shown.append(text[line.textStart() : end].rstrip())
    finally:
        layout.endLayout()
    rest = text[end:].strip()
    if rest:
        metrics = QFontMetrics(font, device) if device is not None else QFontMetrics(font)
        shown.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
    return shown


class FindingsModel(QAbstractListModel):
    """The rows of the last check, filtered (see module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[FindingRow] = []
        self._shown: list[FindingRow] = []
        self._text = ""
        self._show_dismissed = False

    # -- Qt ------------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        row = self._shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{row.key_text} — {row.title}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.finding.reason
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return row.accessible_text
        if role == ROW_ROLE:
            return row
        return None

    # -- rows ----------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[FindingRow]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._shown = [row for row in self._all if self._passes(row)]
        self.endResetModel()

    def replace_row(self, row: FindingRow) -> None:
        """Put ``row`` in place of the row with its id (dismissed or back), refiltered."""
        self._all = [row if old.id == row.id else old for old in self._all]
        self.set_rows(self._all)

    def set_filter(self, text: str, show_dismissed: bool) -> None:
        text = text.strip().casefold()
        if (text, show_dismissed) == (self._text, self._show_dismissed):
            return
        self._text, self._show_dismissed = text, show_dismissed
        self.set_rows(self._all)

    def _passes(self, row: FindingRow) -> bool:
        if row.dismissed and not self._show_dismissed:
            return False
        return not self._text or self._text in row.search

    def all_rows(self) -> list[FindingRow]:
        return list(self._all)

    def shown_rows(self) -> list[FindingRow]:
        return list(self._shown)

    def row_at(self, row: int) -> FindingRow:
        return self._shown[row]

    def row_of(self, finding_id: FindingId) -> int | None:
        for position, row in enumerate(self._shown):
            if row.id == finding_id:
                return position
        return None

    def find(self, finding_id: FindingId) -> FindingRow | None:
        return next((row for row in self._all if row.id == finding_id), None)

    @property
    def filter_text(self) -> str:
        return self._text

    @property
    def show_dismissed(self) -> bool:
        return self._show_dismissed


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold


class FindingDelegate(QStyledItemDelegate):
    """Paints a row as a card (see module docstring); the geometry is shared with the view
    through :meth:`button_rect`, so what is painted is what is clicked."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hovered_button = -1  # the row whose button the pointer is over

    def row_height(self, font: QFont) -> int:
        metrics = QFontMetrics(font)
        first_line = self._button_height(metrics)
        return first_line + REASON_LINES * metrics.lineSpacing() + 2 * _PAD + _PAD // 2

    @staticmethod
    def _button_height(metrics: QFontMetrics) -> int:
        return metrics.height() + _PAD

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(200, self.row_height(option.font))

    def button_rect(self, rect: QRect, font: QFont, label: str) -> QRect:
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(label) + 2 * _BUTTON_PAD
        # On the first line: the reason under it gets the row's whole width.
        return QRect(
            rect.right() - _PAD - width, rect.top() + _PAD, width, self._button_height(metrics)
        )

    def reason_rect(self, rect: QRect, font: QFont, device: QPaintDevice | None = None) -> QRect:
        """Where a row in ``rect`` paints its reason: under the first line, across the
        row's width (only the stripe and the margins taken)."""
        metrics = QFontMetrics(font, device) if device is not None else QFontMetrics(font)
        left = rect.left() + _STRIPE + _PAD
        return QRect(
            left,
            rect.top() + _PAD + self._button_height(QFontMetrics(font)) + _PAD // 2,
            max(0, rect.right() - _PAD - left),
            REASON_LINES * metrics.lineSpacing(),
        )

    def reason_lines(
        self, row: FindingRow, rect: QRect, font: QFont, device: QPaintDevice | None = None
    ) -> list[str]:
        """The lines of ``row``'s reason as painted in ``rect`` (at most REASON_LINES)."""
        width = self.reason_rect(rect, font, device).width()
        return wrapped_lines(row.finding.reason, font, width, REASON_LINES, device)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if not isinstance(row, FindingRow):
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        font: QFont = option.font
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        try:
            card = rect.adjusted(0, 0, 0, -1)
            background = palette.color(
                QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base
            )
            if selected:
                background.setAlpha(48)
            painter.fillRect(card, background)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.drawLine(card.bottomLeft(), card.bottomRight())
            accent = (
                palette.color(QPalette.ColorRole.PlaceholderText)
                if row.dismissed
                else tone(palette, "error" if row.urgent else "warning")
            )
            painter.fillRect(QRect(card.left(), card.top(), _STRIPE, card.height()), accent)
            if state & QStyle.StateFlag.State_HasFocus:
                focus = QPen(palette.color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DotLine)
                painter.setPen(focus)
                painter.drawRect(card.adjusted(_STRIPE + 1, 1, -1, -1))
            button = self.button_rect(rect, font, row.short_action_label)
            self._paint_button(painter, palette, font, button, row, index.row())
            painter.setFont(font)
            metrics = painter.fontMetrics()  # of the device painted on (its resolution)
            text_left = card.left() + _STRIPE + _PAD
            text_width = max(0, button.left() - _PAD - text_left)
            first = QRect(text_left, button.top(), text_width, button.height())
            text_color = palette.color(
                QPalette.ColorRole.PlaceholderText if row.dismissed else QPalette.ColorRole.Text
            )
            painter.setFont(_bold(font))
            bold_metrics = painter.fontMetrics()
            title = row.title + (" (dismissed)" if row.dismissed else "")
            title_width = min(bold_metrics.horizontalAdvance(title) + 2, text_width)
            painter.setPen(accent)
            painter.drawText(
                QRect(first.left(), first.top(), title_width, first.height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                bold_metrics.elidedText(title, Qt.TextElideMode.ElideRight, title_width),
            )
            painter.setFont(font)
            painter.setPen(text_color)
            rest = QRect(first.left() + title_width + _PAD, first.top(), 0, first.height())
            rest.setRight(first.right())
            painter.drawText(
                rest,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                metrics.elidedText(row.key_text, Qt.TextElideMode.ElideMiddle, rest.width()),
            )
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            reason = self.reason_rect(rect, font, painter.device())
            lines = self.reason_lines(row, rect, font, painter.device())
            line_rect = QRect(reason.left(), reason.top(), reason.width(), metrics.lineSpacing())
            for text in lines:
                painter.drawText(
                    line_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text
                )
                line_rect.translate(0, metrics.lineSpacing())
        finally:
            painter.restore()

    def _paint_button(
        self,
        painter: QPainter,
        palette: QPalette,
        font: QFont,
        button: QRect,
        row: FindingRow,
        position: int,
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = palette.color(QPalette.ColorRole.Button)
        if position == self.hovered_button:
            fill = palette.color(QPalette.ColorRole.Midlight)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(button).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(palette.color(QPalette.ColorRole.ButtonText))
        painter.setFont(font)
        painter.drawText(button, int(Qt.AlignmentFlag.AlignCenter), row.short_action_label)


class FindingsView(QListView):
    """The findings list (see module docstring).

    Signals:
        action_requested(FindingRow): the row's action, by its button, Enter or a double-click.
        dismiss_requested(FindingRow): Ctrl+D on a row (dismiss it, or bring it back).
    """

    action_requested = Signal(object)
    dismiss_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = ""  # said in the empty list (while the first check runs)
        self.delegate = FindingDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setUniformItemSizes(True)  # one height for every row: none is asked its size
        # Laid out in batches between events, not all at once: a first showing of 10,000
        # rows took ~25 ms in one go (the view asks the model's row count twice a row).
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setAccessibleName("Findings")
        self.doubleClicked.connect(self._activated)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.placeholder and model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            try:
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(
                    self.viewport().rect().adjusted(24, 24, -24, -24),
                    int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                    self.placeholder,
                )
            finally:
                painter.end()

    def row_for(self, index: QModelIndex) -> FindingRow | None:
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row if isinstance(row, FindingRow) else None

    def button_rect(self, index: QModelIndex) -> QRect:
        """Where the action button of ``index``'s row is (viewport coordinates)."""
        row = self.row_for(index)
        if row is None:
            return QRect()
        return self.delegate.button_rect(
            self.visualRect(index), self.font(), row.short_action_label
        )

    def _button_hit(self, point: QPoint) -> QModelIndex:
        index = self.indexAt(point)
        if index.isValid() and self.button_rect(index).contains(point):
            return index
        return QModelIndex()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hit = self._button_hit(event.position().toPoint())
        row = hit.row() if hit.isValid() else -1
        if row != self.delegate.hovered_button:
            self.delegate.hovered_button = row
            self.viewport().update()
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if hit.isValid() else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if self.delegate.hovered_button != -1:
            self.delegate.hovered_button = -1
            self.viewport().update()
        super().leaveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        hit = self._button_hit(event.position().toPoint())
        super().mouseReleaseEvent(event)
        if hit.isValid() and event.button() == Qt.MouseButton.LeftButton:
            row = self.row_for(hit)
            if row is not None:
                self.action_requested.emit(row)

    def _activated(self, index: QModelIndex) -> None:
        if self._button_hit(self.viewport().mapFromGlobal(self.cursor().pos())).isValid():
            return  # the release on the button already asked for it
        row = self.row_for(index)
        if row is not None:
            self.action_requested.emit(row)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.row_for(self.currentIndex())
        if row is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.action_requested.emit(row)
            return
        if (
            row is not None
            and event.key() == Qt.Key.Key_D
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        ):
            self.dismiss_requested.emit(row)
            return
        super().keyPressEvent(event)
