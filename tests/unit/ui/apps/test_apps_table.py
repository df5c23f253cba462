"""The applications table's column widths: the short columns fit what they show, the
redirect URIs take what is left."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from tests.helpers.apps import fixed_clock, make_app
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.ui.apps.model import AppsTableModel, Column
from twinedge_desktop.ui.apps.table import AppsTableView

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def cut_texts(view: AppsTableView, column: Column) -> list[str]:
    """The texts of ``column`` its width elides (less the cell's own margins)."""
    cut = []
    for row in range(view.model().rowCount()):
        index = view.model().index(row, column)
        text = str(index.data())
        font = index.data(Qt.ItemDataRole.FontRole)
        metrics = QFontMetrics(font) if isinstance(font, QFont) else view.fontMetrics()
        if metrics.horizontalAdvance(text) > view.columnWidth(column) - 8:
            cut.append(text)
    return cut


def test_a_wide_table_fits_the_short_columns_and_the_uris_take_the_rest(qtbot: Any) -> None:
    # Review defect: at 1920×1080 the redirect URIs took ~850 px while the client ID, the
    # scopes and the secret (with its "old one ends …" note) were cut.
    model = AppsTableModel(clock=fixed_clock)
    model.set_apps(
        [
            make_app(
                "Plant dashboard",
                ApplicationType.WEB,
                scopes=("read:assets", "read:telemetry", "read:alerts"),
                previous_secret_hours_left=20,
            ),
            make_app("Field tablet", ApplicationType.NATIVE),
            make_app("Nightly export", ApplicationType.SERVICE, scopes=("read:telemetry",)),
        ]
    )
    view = AppsTableView(model)
    qtbot.addWidget(view)
    view.resize(1300, 300)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: cut_texts(view, Column.SCOPES) == [], timeout=2000)
    for column in (Column.NAME, Column.TYPE, Column.CLIENT_ID, Column.SCOPES, Column.SECRET):
        assert cut_texts(view, column) == [], column
    assert view.columnWidth(Column.REDIRECT_URIS) >= view.stretched_minimum
    assert view.horizontalScrollBar().maximum() == 0
    # Narrower, the short columns give back what the URIs need (below the usual widths
    # the table scrolls sideways, as before).
    wide = {c: view.columnWidth(c) for c in (Column.CLIENT_ID, Column.SCOPES, Column.SECRET)}
    view.resize(1150, 300)
    qtbot.waitUntil(lambda: view.columnWidth(Column.SCOPES) < wide[Column.SCOPES], timeout=2000)
    assert view.columnWidth(Column.REDIRECT_URIS) >= view.stretched_minimum
    view.resize(1300, 300)
    qtbot.waitUntil(lambda: view.columnWidth(Column.SCOPES) == wide[Column.SCOPES], timeout=2000)
