"""The OAuth applications table model and its filter proxy (qtmodeltester, sort, filter)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt

from tests.helpers.apps import NOW, fixed_clock, make_app
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.ui.apps.model import (
    OBJECT_ROLE,
    SORT_ROLE,
    AppsFilterProxy,
    AppsTableModel,
    Column,
    secret_text,
)


def apps() -> list[Any]:
    return [
        make_app("Plant dashboard", ApplicationType.WEB, scopes=("read:assets", "read:alerts")),
        make_app(
            "Field tablet",
            ApplicationType.NATIVE,
            redirect_uris=("http://127.0.0.1/callback", "com.example.tablet:/cb"),
            created_days_ago=10,
        ),
        make_app(
            "Nightly export",
            ApplicationType.SERVICE,
            scopes=("read:telemetry",),
            created_days_ago=5,
        ),
        make_app(
            "Operator portal",
            ApplicationType.SPA,
            redirect_uris=("https://portal.example.com/cb",),
            created_days_ago=1,
        ),
    ]


def test_the_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    model = AppsTableModel(clock=fixed_clock)
    model.set_apps(apps())
    qtmodeltester.check(model, force_py=True)
    # Changes after the check (the tester watches every signal): insert, change, remove.
    model.upsert(make_app("New one"))
    first = model.app_at(0)
    model.upsert(replace(first, name="Renamed"))
    model.remove_app(first.id)
    model.refresh_times()
    assert model.rowCount() == 4


def test_the_filter_proxy_passes_qtmodeltester(qtmodeltester: Any) -> None:
    model = AppsTableModel(clock=fixed_clock)
    model.set_apps(apps())
    proxy = AppsFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    proxy.set_filter_text("plant")
    qtmodeltester.check(proxy, force_py=True)
    model.upsert(make_app("Plant twin"))  # matches: joins the view
    model.upsert(make_app("Elsewhere"))  # does not
    proxy.set_type_filter(ApplicationType.SERVICE)
    proxy.set_type_filter(None)
    proxy.set_filter_text("")
    model.remove_app(model.app_at(0).id)
    assert proxy.rowCount() == model.rowCount() == 5


def test_rows_show_what_a_person_needs_and_never_a_secret() -> None:
    model = AppsTableModel(clock=fixed_clock)
    web, native, service, spa = apps()
    model.set_apps([web, native, service, spa])

    def text(row: int, column: Column) -> str:
        value = model.index(row, column).data()
        assert isinstance(value, str)
        return value

    assert [text(r, Column.TYPE) for r in range(4)] == ["Web", "Mobile/desktop", "Service", "SPA"]
    assert text(0, Column.SECRET) == "…wxyz"
    assert text(1, Column.SECRET) == "none (public client)"
    assert text(1, Column.REDIRECT_URIS) == "http://127.0.0.1/callback (+1 more)"
    assert text(2, Column.REDIRECT_URIS) == "none (client credentials)"
    assert text(0, Column.SCOPES) == "read:assets, read:alerts"
    assert text(0, Column.CREATED) == "3 days ago"
    assert model.index(0, Column.NAME).data(OBJECT_ROLE) is web
    tooltip = model.index(1, Column.REDIRECT_URIS).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "http://127.0.0.1/callback\ncom.example.tablet:/cb"
    assert "PKCE" in model.index(1, Column.SECRET).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, Column.NAME).data(Qt.ItemDataRole.AccessibleTextRole) == (
        "Name: Plant dashboard"
    )


def test_the_secret_column_says_until_when_the_previous_secret_works() -> None:
    rotated = make_app("Rotated", previous_secret_hours_left=5)
    assert secret_text(rotated, NOW) == "…wxyz · old one ends in 5 hours"
    over = make_app("Over", previous_secret_hours_left=-1)
    assert secret_text(over, NOW) == "…wxyz"


def test_the_proxy_filters_by_text_and_type_and_sorts_by_the_sort_role() -> None:
    model = AppsTableModel(clock=fixed_clock)
    model.set_apps(apps())
    proxy = AppsFilterProxy()
    proxy.setSourceModel(model)

    def names() -> list[str]:
        return [proxy.app_at(row).name for row in range(proxy.rowCount())]

    proxy.sort(Column.CREATED, Qt.SortOrder.DescendingOrder)
    assert names() == ["Operator portal", "Plant dashboard", "Nightly export", "Field tablet"]
    proxy.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    assert names() == ["Field tablet", "Nightly export", "Operator portal", "Plant dashboard"]
    proxy.sort(Column.TYPE, Qt.SortOrder.AscendingOrder)
    assert names()[0] == "Plant dashboard" and names()[-1] == "Nightly export"
    assert isinstance(proxy.index(0, Column.CREATED).data(SORT_ROLE), float)

    proxy.set_filter_text("com.example.tablet")  # a redirect URI
    assert names() == ["Field tablet"]
    proxy.set_filter_text("READ:TELEMETRY")  # a scope, any case
    assert names() == ["Nightly export"]
    proxy.set_filter_text("mobile")  # the type's words
    assert names() == ["Field tablet"]
    proxy.set_filter_text("")
    proxy.set_type_filter(ApplicationType.SPA)
    assert names() == ["Operator portal"]
    proxy.set_filter_text("plant")
    assert names() == []
    proxy.set_type_filter(None)
    assert names() == ["Plant dashboard"]
    # A new app that matches joins the filtered view; a change in place keeps its row.
    model.upsert(make_app("Plant twin", ApplicationType.WEB))
    assert sorted(names()) == ["Plant dashboard", "Plant twin"]
