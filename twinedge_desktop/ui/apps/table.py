"""The applications table view: one row per application, a row always selected when focused."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, Qt
from PySide6.QtGui import QFocusEvent, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from twinedge_desktop.ui.apps.model import Column
from twinedge_desktop.ui.common.style import monospace_font


class AppsTableView(QTableView):
    """Read-only rows, single selection, column widths for the usual content (longer values
    are elided and shown whole in tooltips)."""

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
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

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        # Tabbing in makes a row current but selects nothing, and the page's actions
        # (Delete, Ctrl+R, Ctrl+T, Enter) act on the selected application: select it.
        selection = self.selectionModel()
        model = self.model()
        if selection is None or model is None or selection.hasSelection():
            return
        current = self.currentIndex()
        if not current.isValid() and model.rowCount() > 0:
            current = model.index(0, 0)
        if current.isValid():
            selection.setCurrentIndex(
                current,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
