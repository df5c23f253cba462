"""The API keys table view: badges drawn as pills, sizes fitted to the content, and
no repaint for rows that arrive below what is shown.

:class:`KeysTableView` is the view the API Keys page shows; :class:`KeysDelegate`
draws the "expires" and "status" badges.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from twinedge_desktop.ui.common.list_page import measure_columns, select_row_on_tab_in, share_room
from twinedge_desktop.ui.common.style import ToneKind, is_dark, monospace_font, tone
from twinedge_desktop.ui.keys.model import BADGE_ROLE, Badge, Column, KeysTableModel

# The columns that are hidden, in this order, when the table is too narrow for them all
# beside a readable name (the window's minimum size): what identifies a key (name), says
# whether it works (status, expiry) and what it may do (scopes) stays longest.
GIVE_WAY = (Column.PREFIX, Column.CREATED, Column.LAST_USED, Column.SCOPES)

# The view gets a badge back from the model as its string (through QVariant): these are
# keyed by Badge, a StrEnum, so the string finds its entry.
_BADGE_TEXT = {
    Badge.EXPIRED: "expired",
    Badge.EXPIRING: "expiring soon",
    Badge.REVOKED: "revoked",
    Badge.REMINDER: "revoke pending",
    Badge.DAMAGED: "damaged",
}
_BADGE_TONE: dict[str, ToneKind] = {
    Badge.EXPIRED: "error",
    Badge.REVOKED: "error",
    Badge.EXPIRING: "warning",
    Badge.REMINDER: "warning",
    Badge.DAMAGED: "error",
}
# Pills whose label is the badge's own word, not the cell's text.
_LABELLED_BY_BADGE = frozenset({Badge.REMINDER, Badge.DAMAGED})


def pill_colors(palette: QPalette, badge: str, selected: bool) -> tuple[QColor, QColor]:
    """A badge's text colour and fill on ``palette``, on a plain or a selected row.

    On a plain row, a translucent wash of the accent over the row. On a selected row the
    row is the Highlight colour, against which the accents (chosen for the window and base
    colours) do not read, so the pill is filled with the palette's Base colour, opaque:
    the accent keeps its contrast of at least 4.5:1 on it (style.tone()'s promise).
    """
    accent = tone(palette, _BADGE_TONE[badge])
    if selected:
        return accent, QColor(palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Base))
    fill = QColor(accent)
    fill.setAlpha(56 if is_dark(palette) else 24)
    return accent, fill


class KeysDelegate(QStyledItemDelegate):
    """Draws the "expires" and "status" badges as tinted pills that follow the palette
    (:func:`pill_colors`: readable on a selected row too).

    Set only on those two columns: a Python delegate costs a Python call per painted
    cell, which the other five columns do not need. Each distinct pill (label, colours,
    size, font) is drawn once into a pixmap and then copied: a table shows the same
    few pills on every row, and antialiased shapes and text cost more to draw than to copy.
    """

    _PILL_CACHE_LIMIT = 256

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pills: dict[tuple[object, ...], QPixmap] = {}
        self._tones: dict[tuple[int, str, bool], tuple[QColor, QColor]] = {}

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        badge = index.data(BADGE_ROLE)
        if badge not in _BADGE_TONE:
            super().paint(painter, option, index)
            return
        column = index.column()
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        # The cell's background, selection and focus, as any other cell.
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        accent, fill = self._tone(palette, str(badge), selected)
        # The expiry pill names the badge beside the date; the status pill is the status,
        # except a reminder's, which says only what is pending (the row is active), and a
        # damaged entry's, which says "damaged" (the name column says why).
        shown_alone = column == Column.EXPIRES or badge in _LABELLED_BY_BADGE
        label = _BADGE_TEXT[Badge(badge)] if shown_alone else text
        rect = opt.rect.adjusted(4, 3, -4, -3)
        metrics = opt.fontMetrics
        elide = Qt.TextElideMode.ElideRight
        if column == Column.EXPIRES:
            # Relative time, then the pill.
            text = metrics.elidedText(text, elide, rect.width())
            role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            painter.save()
            painter.setPen(palette.color(role))
            painter.drawText(
                rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text
            )
            painter.restore()
            rect.setLeft(rect.left() + metrics.horizontalAdvance(text) + 8)
        if metrics.horizontalAdvance(label) + 14 > rect.width():
            label = metrics.elidedText(label, elide, rect.width() - 14)  # a narrow column
        width = min(rect.width(), metrics.horizontalAdvance(label) + 14)
        if not label or width <= 0 or rect.height() <= 0:
            return
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        pill = self._pill(label, accent, fill, QSize(width, rect.height()), opt.font, ratio)
        painter.drawPixmap(rect.left(), rect.top(), pill)

    def _tone(self, palette: QPalette, badge: str, selected: bool) -> tuple[QColor, QColor]:
        """The badge's text colour and fill for this palette (see :func:`pill_colors`)."""
        cache_key = (palette.cacheKey(), badge, selected)
        found = self._tones.get(cache_key)
        if found is None:
            found = self._tones[cache_key] = pill_colors(palette, badge, selected)
        return found

    def _pill(
        self, label: str, accent: QColor, fill: QColor, size: QSize, font: QFont, ratio: float
    ) -> QPixmap:
        cache_key = (
            label,
            accent.rgba(),
            fill.rgba(),
            size.width(),
            size.height(),
            font.key(),
            ratio,
        )
        pixmap = self._pills.get(cache_key)
        if pixmap is not None:
            return pixmap
        if len(self._pills) >= self._PILL_CACHE_LIMIT:
            self._pills.clear()  # column widths were dragged about: start again
        pixmap = QPixmap(size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        pill = QRectF(0, 0, size.width(), size.height())
        pill_painter = QPainter(pixmap)
        try:
            pill_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            pill_painter.setFont(font)
            pill_painter.setPen(Qt.PenStyle.NoPen)
            pill_painter.setBrush(fill)
            pill_painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            pill_painter.setPen(accent)
            pill_painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), label)
        finally:
            pill_painter.end()
        self._pills[cache_key] = pixmap
        return pixmap

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        if index.column() == Column.EXPIRES and index.data(BADGE_ROLE) in _BADGE_TONE:
            size.setWidth(size.width() + option.fontMetrics.horizontalAdvance("expiring soon") + 30)
        return size


class KeysTableView(QTableView):
    """The keys table: one row per key, badges as pills, column widths that fit the content,
    and columns that give way on a narrow window (:meth:`fit_columns`).

    It also skips one repaint Qt would do for nothing. While 10,000 keys load a page at
    a time, each batch added at the end makes ``QTableView`` lay out again and repaint
    every visible cell (about 15 ms with this model, whose every cell is a call into
    Python), though none of them changed. When the only change since the last layout is
    rows inserted after the last visible row, this view updates its scroll bars and
    leaves the cells as painted (unless the rows shifted: scrolled to the end, Qt keeps
    the last row at the bottom). Any other change (a reset, a sort, removed rows, a cell
    changed, a style, font or palette change) takes the usual path.
    tests/unit/ui/keys/test_keys_table.py compares the window's pixels with a full repaint
    after each of these.
    """

    # The column fitted to what it shows; the others have known widest values (a prefix is
    # always 12 characters, the relative times' longest is "59 minutes ago", the badges'
    # labels are fixed), set once in __init__.
    MEASURED = (Column.SCOPES,)
    FIT_CHARS = 56

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._only_rows_below = False  # since the last layout: rows added below the view
        self._other_change = False  # since the last layout: anything else
        self._watched: QAbstractItemModel | None = None
        # Measures the content once the model's changes of one event-loop turn are in.
        self._measure_timer = QTimer(self)
        self._measure_timer.setSingleShot(True)
        self._measure_timer.setInterval(0)
        self._measure_timer.timeout.connect(self.measure_content)
        self.setModel(model)

        self.setAccessibleName("API keys")
        badges = KeysDelegate(self)
        self.setItemDelegateForColumn(Column.EXPIRES, badges)
        self.setItemDelegateForColumn(Column.STATUS, badges)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures 10,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        # Widths for the usual content, so that all seven columns fit the default window
        # with room for names; longer values are elided and shown whole in tooltips.
        text = self.fontMetrics()
        mono = QFontMetrics(monospace_font())
        pad = 20

        def width(sample: str) -> int:
            return text.horizontalAdvance(sample) + pad

        def pill(label: str) -> int:
            return text.horizontalAdvance(label) + 14

        widths = {
            Column.PREFIX: mono.horizontalAdvance("te_XXXXXXXXX…") + pad,
            Column.SCOPES: width("read:assets, read:alerts"),
            # The widest times timefmt.relative_time gives (minutes are its longest unit).
            Column.CREATED: width("59 minutes ago"),
            # A badge comes only with a date within two weeks, or a past one.
            Column.EXPIRES: max(
                width("in 729 days"),
                width("in 13 days") + 8 + pill("expiring soon"),
                width("59 minutes ago") + 8 + pill("expired"),
            ),
            Column.LAST_USED: width("59 minutes ago"),
            Column.STATUS: pill("revoke pending") + pad,
        }
        for column, size in widths.items():
            header.resizeSection(column, size)
        header.setMinimumSectionSize(width("Name"))
        # What each column takes when shown (the person may drag them wider or narrower).
        self._widths: dict[Column, int] = dict(widths)
        self._dragged: set[Column] = set()  # columns the person sized: theirs is kept
        self.name_minimum = width("Line 3 telemetry collect")
        # What the text columns' content needs (measure_columns), each at most FIT_CHARS
        # average characters wide: a key with every scope is elided rather than squeeze
        # the name (its tooltip lists them all).
        self._content: dict[Column, int] = {}
        self._content_cap = text.averageCharWidth() * self.FIT_CHARS + pad
        header.sectionResized.connect(self._remember_width)

    # -- columns that give way ------------------------------------------------------------

    def _remember_width(self, section: int, _old: int, new: int) -> None:
        column = Column(section)
        if column is not Column.NAME and new > 0 and not self._fitting:
            self._widths[column] = new
            self._dragged.add(column)

    _fitting = False

    def measure_content(self) -> None:
        """Measure what the text columns show (the top rows and the visible ones: see
        :func:`~twinedge_desktop.ui.common.list_page.measure_columns`) and fit the columns
        again when that changed. Widths only grow while there are rows (a filter keystroke
        must not make the columns jump); an empty list starts again."""
        if self.model() is None or self.model().rowCount() == 0:
            self._content = {}
            return
        measured = measure_columns(self, self.MEASURED)
        grown = {
            Column(c): max(min(w, self._content_cap), self._content.get(Column(c), 0))
            for c, w in measured.items()
        }
        if grown != self._content:
            self._content = grown
            self.fit_columns()

    def column_widths(self, available: int) -> tuple[dict[Column, int], set[Column]]:
        """The width of each column but the name, and the columns hidden, for a viewport
        ``available`` px wide.

        Each column gets its usual width (or the one the person dragged it to); when that
        leaves the name more than its minimum, the spare room goes first to the text
        columns whose content is wider (up to :attr:`FIT_CHARS` characters), and the name
        stretches over the rest. When even the usual widths do not fit beside a readable
        name, the columns that give way (:data:`GIVE_WAY`, first to last) are hidden: at
        the window's minimum size the name keeps its room and nothing scrolls sideways;
        every value stays in the key's Details.
        """
        shown = [c for c in Column if c is not Column.NAME]
        needed = self.name_minimum + sum(self._widths[c] for c in shown)
        hidden: set[Column] = set()
        for column in GIVE_WAY:
            if needed <= available:
                break
            hidden.add(column)
            needed -= self._widths[column]
        base: dict[Column, int] = {c: self._widths[c] for c in shown if c not in hidden}
        wanted = {c: w for c, w in self._content.items() if c not in self._dragged}
        return share_room(base, wanted, available - needed), hidden

    def fit_columns(self) -> None:
        """Size and show or hide the columns for the viewport's width (:meth:`column_widths`)."""
        header = self.horizontalHeader()
        widths, hidden = self.column_widths(self.viewport().width())
        self._fitting = True
        try:
            for column in GIVE_WAY:
                if header.isSectionHidden(column) != (column in hidden):
                    header.setSectionHidden(column, column in hidden)
            for column, size in widths.items():
                if header.sectionSize(column) != size:
                    header.resizeSection(column, size)
        finally:
            self._fitting = False

    def hidden_columns(self) -> list[Column]:
        header = self.horizontalHeader()
        return [c for c in Column if header.isSectionHidden(c)]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def hold_scroll_bar(self, hold: bool) -> None:
        """Keep the vertical scroll bar shown (while rows arrive): when it appears on
        its own, the cells narrow and the view lays out and repaints twice more."""
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOn if hold else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )

    def setModel(self, model: QAbstractItemModel | None) -> None:
        if self._watched is not None:
            for signal, slot in self._model_signals(self._watched):
                signal.disconnect(slot)
        super().setModel(model)
        self._watched = model
        self._layout_needed()
        self._measure_timer.start()  # rows the model has already
        if model is not None:
            # Connected after QTableView's own: the view and its headers see a change first.
            for signal, slot in self._model_signals(model):
                signal.connect(slot)

    def _model_signals(self, model: QAbstractItemModel) -> list[tuple[Any, Any]]:
        # Measured when the keys change, not when a filter or a sort shows others: a filter
        # keystroke must not pay for it (measuring ~100 rows costs ~1 ms here), and the
        # keys model filters by resetting itself.
        source = model.sourceModel() if isinstance(model, QAbstractProxyModel) else model
        measure: list[tuple[Any, Any]] = (
            [(source.keys_changed, self._measure_timer.start)]
            if isinstance(source, KeysTableModel)
            else [
                (signal, self._measure_timer.start)
                for signal in (model.modelReset, model.rowsInserted, model.dataChanged)
            ]
        )
        return [(model.rowsInserted, self._rows_inserted), *measure] + [
            (signal, self._layout_needed)
            for signal in (
                model.modelReset,
                model.layoutChanged,
                model.rowsRemoved,
                model.rowsMoved,
                model.columnsInserted,
                model.columnsRemoved,
                model.columnsMoved,
            )
        ]

    def _rows_inserted(self, parent: QModelIndex, first: int, _last: int) -> None:
        # The vertical header already counts the new rows: if the viewport was not full,
        # the new rows show and the last visible row is one of them (or -1 if still not full).
        last_visible = self.rowAt(self.viewport().height() - 1)
        if parent.isValid() or last_visible == -1 or first <= last_visible:
            self._layout_needed()
        elif not self._other_change:
            self._only_rows_below = True

    def _layout_needed(self, *_args: Any) -> None:
        self._other_change = True
        self._only_rows_below = False

    def doItemsLayout(self) -> None:
        # Qt calls this (from its delayed-layout timer) after any change to the rows.
        quiet = self._only_rows_below and not self._other_change
        self._only_rows_below = self._other_change = False
        if not quiet:
            super().doItemsLayout()
            return
        offsets = (self.horizontalOffset(), self.verticalOffset())
        self.updateGeometries()  # the scroll bar follows the new row count
        if (self.horizontalOffset(), self.verticalOffset()) != offsets:
            # Scrolled to the end, Qt keeps the last row at the bottom edge: when the
            # scroll range grows the rows shift, and every cell is drawn again.
            self.viewport().update()

    def dataChanged(
        self,
        topLeft: QModelIndex | QPersistentModelIndex,
        bottomRight: QModelIndex | QPersistentModelIndex,
        roles: Any = (),
    ) -> None:
        # While a layout is pending, Qt leaves changed cells to it ("updated later
        # anyway"): that layout must then repaint.
        if self._only_rows_below:
            self._layout_needed()
        super().dataChanged(topLeft, bottomRight, list(roles))

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        select_row_on_tab_in(self)

    def reset(self) -> None:
        # Also needed for QTableView's own doItemsLayout(): when rows go, it turns the
        # vertical header's updates off until that runs.
        self._layout_needed()
        super().reset()

    _RELAYOUT_EVENTS = frozenset(
        {
            QEvent.Type.FontChange,
            QEvent.Type.StyleChange,
            QEvent.Type.PaletteChange,
            QEvent.Type.LayoutDirectionChange,
            QEvent.Type.LocaleChange,
        }
    )

    def changeEvent(self, event: QEvent) -> None:
        # These relayout through doItemsLayout() too.
        if event.type() in self._RELAYOUT_EVENTS:
            self._layout_needed()
        super().changeEvent(event)
