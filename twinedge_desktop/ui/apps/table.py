"""The applications table view: one row per application, a row always selected when focused,
the short columns fitted to their content and the redirect URIs stretched over the rest."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt, QTimer
from PySide6.QtGui import QFocusEvent, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from twinedge_desktop.ui.apps.model import Column
from twinedge_desktop.ui.common.list_page import measure_columns, select_row_on_tab_in, share_room
from twinedge_desktop.ui.common.style import monospace_font


class AppsTableView(QTableView):
    """Read-only rows, single selection, column widths for the usual content, widened to
    what the rows show where the window has room (:meth:`column_widths`); longer values
    are elided and shown whole in tooltips."""

    # Beyond this many average characters a column's content is elided (a client id is 39,
    # "read:assets, read:telemetry, read:alerts" 40).
    FIT_CHARS = 48
    STRETCHED = Column.REDIRECT_URIS

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._measure_timer = QTimer(self)
        self._measure_timer.setSingleShot(True)
        self._measure_timer.setInterval(0)
        self._measure_timer.timeout.connect(self.measure_content)
        self.setModel(model)
        for signal in (
            model.modelReset,
            model.layoutChanged,
            model.rowsInserted,
            model.rowsRemoved,
            model.dataChanged,
        ):
            signal.connect(self._measure_timer.start)
        self._measure_timer.start()  # rows the model had already
        self.setAccessibleName("OAuth applications")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The redirect URIs take the room a wide window has; the name keeps a readable width
        # in a narrow one (the table scrolls sideways there).
        header.setSectionResizeMode(Column.REDIRECT_URIS, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        text = self.fontMetrics()
        mono = QFontMetrics(monospace_font())
        pad = 20
        widths = {
            Column.NAME: text.horizontalAdvance("Plant dashboard (dev)") + pad,
            Column.TYPE: text.horizontalAdvance("Mobile/desktop") + pad,
            Column.CLIENT_ID: mono.horizontalAdvance("client-0123456789abcdef") + pad,
            Column.REDIRECT_URIS: text.horizontalAdvance("https://app.example.com/callback") + pad,
            Column.SCOPES: text.horizontalAdvance("read:assets, read:alerts") + pad,
            Column.CREATED: text.horizontalAdvance("59 minutes ago") + pad,
            Column.SECRET: text.horizontalAdvance("none (public client)") + pad,
        }
        for column, size in widths.items():
            header.resizeSection(column, size)
        header.setMinimumSectionSize(text.horizontalAdvance("Name") + pad)
        self._defaults: dict[Column, int] = {
            c: w for c, w in widths.items() if c is not self.STRETCHED
        }
        self.stretched_minimum = widths[self.STRETCHED]
        self._content: dict[Column, int] = {}
        self._content_cap = text.averageCharWidth() * self.FIT_CHARS + pad
        self._dragged: set[Column] = set()
        self._fitting = False
        header.sectionResized.connect(self._remember_width)

    def _remember_width(self, section: int, _old: int, new: int) -> None:
        column = Column(section)
        if column is not self.STRETCHED and new > 0 and not self._fitting:
            self._defaults[column] = new
            self._dragged.add(column)

    def measure_content(self) -> None:
        """Measure what the short columns show and fit them again when that changed (widths
        only grow while there are rows: filtering must not make them jump)."""
        if self.model().rowCount() == 0:
            self._content = {}
            return
        measured = measure_columns(self, list(self._defaults))
        grown = {
            Column(c): max(min(w, self._content_cap), self._content.get(Column(c), 0))
            for c, w in measured.items()
        }
        if grown != self._content:
            self._content = grown
            self.fit_columns()

    def column_widths(self, available: int) -> dict[Column, int]:
        """Every column's width but the redirect URIs' for a viewport ``available`` px wide:
        its usual width (or the person's), plus a share of what the redirect URIs leave
        beyond their minimum for the columns whose content is wider. The redirect URIs
        stretch over the rest; a narrow window scrolls sideways rather than cut them all."""
        room = available - self.stretched_minimum - sum(self._defaults.values())
        wanted = {c: w for c, w in self._content.items() if c not in self._dragged}
        return share_room(self._defaults, wanted, room)

    def fit_columns(self) -> None:
        header = self.horizontalHeader()
        self._fitting = True
        try:
            for column, size in self.column_widths(self.viewport().width()).items():
                if header.sectionSize(column) != size:
                    header.resizeSection(column, size)
        finally:
            self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        select_row_on_tab_in(self)
