"""The keys table model and its filter proxy: roles, sorting, filtering, in-place updates, CSV."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo

from tests.helpers.keys import NOW, fixed_clock, make_key
from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.timefmt import relative_time
from twinedge_desktop.ui.keys.model import (
    BADGE_ROLE,
    OBJECT_ROLE,
    SORT_ROLE,
    Column,
    KeysFilterProxy,
    KeysTableModel,
)


def sample_keys() -> list[ApiKey]:
    return [
        make_key(
            "Zeta ingest", scopes=("write:telemetry",), created_days_ago=1, last_used_days_ago=0.5
        ),
        make_key(
            "alpha reader",
            scopes=("read:assets", "read:alerts"),
            created_days_ago=3,
            expires_in_days=5,
        ),
        make_key("Old one", created_days_ago=100, expires_in_days=-2),
        make_key("gone", created_days_ago=50, revoked=True),
        make_key(
            "forever",
            scopes=("admin",),
            created_days_ago=20,
            expires_in_days=None,
            last_used_days_ago=30,
        ),
    ]


@pytest.fixture
def model(qtbot: Any) -> KeysTableModel:
    m = KeysTableModel(clock=fixed_clock)
    m.set_keys(sample_keys())
    return m


@pytest.fixture
def proxy(model: KeysTableModel) -> KeysFilterProxy:
    p = KeysFilterProxy()
    p.setSourceModel(model)
    return p


def names(model: Any) -> list[str]:
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def test_model_passes_qtmodeltester(qtmodeltester: Any, model: KeysTableModel) -> None:
    qtmodeltester.check(model, force_py=True)


def test_proxy_passes_qtmodeltester(qtmodeltester: Any, proxy: KeysFilterProxy) -> None:
    proxy.set_show_revoked(True)
    qtmodeltester.check(proxy, force_py=True)


def test_empty_model_passes_qtmodeltester(qtmodeltester: Any, qtbot: Any) -> None:
    qtmodeltester.check(KeysTableModel(clock=fixed_clock), force_py=True)


def test_rows_start_in_api_order_newest_first(model: KeysTableModel) -> None:
    assert names(model) == ["Zeta ingest", "alpha reader", "forever", "gone", "Old one"]


def test_display_columns(model: KeysTableModel) -> None:
    row = model.row_of(model.all_keys()[1].id)
    assert row is not None
    key = model.key_at(row)
    assert model.index(row, Column.PREFIX).data() == f"{key.prefix}…"
    assert model.index(row, Column.SCOPES).data() == "read:assets, read:alerts"
    assert model.index(row, Column.CREATED).data() == "3 days ago"
    assert model.index(row, Column.EXPIRES).data() == "in 5 days"
    assert model.index(row, Column.LAST_USED).data() == "never"
    assert model.index(row, Column.STATUS).data() == "active"
    assert model.index(row, 0).data(OBJECT_ROLE) is key
    mono = model.index(row, Column.PREFIX).data(Qt.ItemDataRole.FontRole)
    assert QFontInfo(mono).fixedPitch()
    assert model.index(row, Column.NAME).data(Qt.ItemDataRole.FontRole) is None


def test_badges_and_statuses(model: KeysTableModel) -> None:
    by_name = {model.key_at(r).name: r for r in range(model.rowCount())}
    assert model.index(by_name["alpha reader"], Column.EXPIRES).data(BADGE_ROLE) == "expiring"
    assert model.index(by_name["Old one"], Column.EXPIRES).data(BADGE_ROLE) == "expired"
    assert model.index(by_name["Old one"], Column.STATUS).data() == "expired"
    assert model.index(by_name["Zeta ingest"], Column.EXPIRES).data(BADGE_ROLE) is None
    assert model.index(by_name["forever"], Column.EXPIRES).data() == "never"
    assert model.index(by_name["gone"], Column.STATUS).data() == "revoked"
    # A revoked key's expiry is not flagged: it no longer matters.
    assert model.index(by_name["gone"], Column.EXPIRES).data(BADGE_ROLE) is None


def test_times_are_said_the_apps_one_way(qtbot: Any) -> None:
    """The list's relative times are timefmt's (tests/unit/test_timefmt.py), counted in days
    up to two years, as the command line says them: no "1 month ago" here and "45 days" there."""
    model = KeysTableModel(clock=fixed_clock)
    model.set_keys(
        [
            make_key("a", created_days_ago=45, expires_in_days=13, last_used_days_ago=5 / 1440),
            make_key("b", created_days_ago=800, expires_in_days=None, last_used_days_ago=None),
        ]
    )
    rows = {model.key_at(r).name: r for r in range(model.rowCount())}
    texts = {
        name: [
            model.index(row, c).data() for c in (Column.CREATED, Column.EXPIRES, Column.LAST_USED)
        ]
        for name, row in rows.items()
    }
    assert texts == {
        "a": ["45 days ago", "in 13 days", "5 minutes ago"],
        "b": ["2 years ago", "never", "never"],
    }
    key = model.key_at(rows["a"])
    assert texts["a"][0] == relative_time(key.created_at, NOW)


@pytest.mark.parametrize(
    ("column", "order", "expected"),
    [
        (
            Column.NAME,
            Qt.SortOrder.AscendingOrder,
            ["alpha reader", "forever", "gone", "Old one", "Zeta ingest"],
        ),
        (
            Column.EXPIRES,
            Qt.SortOrder.AscendingOrder,
            ["Old one", "alpha reader", "Zeta ingest", "gone", "forever"],
        ),
        (
            Column.LAST_USED,
            Qt.SortOrder.DescendingOrder,
            ["Zeta ingest", "forever", "alpha reader", "gone", "Old one"],
        ),
        (
            Column.STATUS,
            Qt.SortOrder.AscendingOrder,
            ["forever", "alpha reader", "Zeta ingest", "Old one", "gone"],
        ),
        (
            Column.CREATED,
            Qt.SortOrder.AscendingOrder,
            ["Old one", "gone", "forever", "alpha reader", "Zeta ingest"],
        ),
    ],
)
def test_sorting_through_the_proxy_sorts_the_model(
    proxy: KeysFilterProxy,
    model: KeysTableModel,
    column: Column,
    order: Qt.SortOrder,
    expected: list[str],
) -> None:
    proxy.set_show_revoked(True)
    proxy.sort(column, order)
    assert names(proxy) == expected
    assert names(model) == expected
    # The sort role agrees with the order the rows are in.
    values = [model.index(r, column).data(SORT_ROLE) for r in range(model.rowCount())]
    assert values == sorted(values, reverse=order == Qt.SortOrder.DescendingOrder)


def test_sorting_keeps_persistent_indexes_on_their_key(model: KeysTableModel) -> None:
    from PySide6.QtCore import QPersistentModelIndex

    target = model.all_keys()[2]
    persistent = QPersistentModelIndex(model.index(2, Column.SCOPES))
    model.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    assert persistent.isValid()
    assert model.key_at(persistent.row()) == target
    assert persistent.column() == Column.SCOPES


def test_revoked_hidden_unless_asked(proxy: KeysFilterProxy) -> None:
    assert "gone" not in names(proxy)
    assert proxy.rowCount() == 4
    proxy.set_show_revoked(True)
    assert "gone" in names(proxy)
    assert proxy.rowCount() == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALPHA", ["alpha reader"]),
        ("write:tele", ["Zeta ingest"]),
        ("read:", ["alpha reader", "Old one"]),  # "gone" also matches but is revoked
        ("  admin ", ["forever"]),
        ("nothing like this", []),
    ],
)
def test_filter_over_name_prefix_and_scopes(
    proxy: KeysFilterProxy, text: str, expected: list[str]
) -> None:
    proxy.set_filter_text(text)
    assert names(proxy) == expected


def test_filter_matches_prefix(proxy: KeysFilterProxy, model: KeysTableModel) -> None:
    key = model.all_keys()[0]
    proxy.set_filter_text(key.prefix[:10])
    assert key.name in names(proxy)


def test_append_pages_in_api_order_and_out_of_it(qtbot: Any) -> None:
    model = KeysTableModel(clock=fixed_clock)
    keys = sorted(sample_keys(), key=lambda k: k.created_at, reverse=True)
    with qtbot.waitSignal(model.rowsInserted, timeout=1000):
        model.append_keys(keys[:2])
    model.append_keys(keys[2:])
    assert [k.id for k in model.all_keys()] == [k.id for k in keys]
    # Sorted by name, a later page is merged into place rather than appended.
    model.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    extra = make_key("beta", created_days_ago=200)
    model.append_keys([extra])
    assert names(model)[:3] == ["alpha reader", "beta", "forever"]
    # A key seen again (a page boundary shifted) is not duplicated.
    model.append_keys([extra])
    assert names(model).count("beta") == 1


def test_upsert_updates_the_row_in_place(model: KeysTableModel, qtbot: Any) -> None:
    from dataclasses import replace

    row = 1
    key = model.key_at(row)
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as blocker:
        model.upsert(replace(key, revoked_at=NOW))
    assert blocker.args[0].row() == row and blocker.args[1].row() == row
    assert model.rowCount() == 5
    assert model.index(row, Column.STATUS).data() == "revoked"


def test_upsert_inserts_new_key_at_sorted_place(model: KeysTableModel) -> None:
    newest = make_key("brand new", created_days_ago=0)
    model.upsert(newest)
    assert model.key_at(0) == newest
    assert model.row_of(newest.id) == 0
    assert model.row_of(model.key_at(3).id) == 3


def test_reminder_shows_on_the_old_row(model: KeysTableModel) -> None:
    key = model.key_at(0)
    model.set_reminder(key.id, "Rotated: revoke this key once nothing uses it.")
    assert model.index(0, Column.STATUS).data() == "active · revoke pending"
    assert model.index(0, Column.STATUS).data(BADGE_ROLE) == "reminder"
    assert "revoke this key" in model.index(0, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole)
    model.set_reminder(key.id, None)
    assert model.index(0, Column.STATUS).data() == "active"


def test_filtered_model_passes_qtmodeltester(qtmodeltester: Any, proxy: KeysFilterProxy) -> None:
    proxy.set_filter_text("read")
    qtmodeltester.check(proxy, force_py=True)


def test_changes_while_filtered(proxy: KeysFilterProxy, model: KeysTableModel) -> None:
    from dataclasses import replace

    proxy.set_filter_text("alpha")
    assert names(proxy) == ["alpha reader"]
    # A new key that does not match is loaded but not shown; one that matches is.
    model.upsert(make_key("zulu", created_days_ago=0))
    model.upsert(make_key("alpha two", created_days_ago=0))
    assert names(proxy) == ["alpha two", "alpha reader"]
    assert model.total_count() == 7 and "zulu" in [k.name for k in model.all_keys()]
    # Revoking a shown key keeps it in view, marked, until the filter changes.
    shown = model.key_at(1)
    model.upsert(replace(shown, revoked_at=NOW))
    assert names(proxy) == ["alpha two", "alpha reader"]
    assert proxy.index(1, Column.STATUS).data() == "revoked"
    proxy.set_filter_text("alph")
    assert names(proxy) == ["alpha two"]
    # Sorting keeps the filter.
    proxy.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    proxy.set_filter_text("")
    assert names(proxy) == ["alpha two", "forever", "Old one", "Zeta ingest", "zulu"]
    # A page arriving while sorted by name and filtered joins in sorted place.
    proxy.set_filter_text("er")
    late = [make_key("aardvark herd", created_days_ago=400), make_key("qqq")]
    model.append_keys(late)
    assert names(proxy) == ["aardvark herd", "forever"]
    assert model.has_key(late[1].id) and model.row_of(late[1].id) is None


def test_typing_on_gives_the_same_rows_as_filtering_afresh(qtbot: Any) -> None:
    words = ["alpha", "alpine", "alps", "beta", "alp gone", "gamma al"]
    keys = [
        make_key(w, revoked=w.endswith("gone"), created_days_ago=i) for i, w in enumerate(words)
    ]
    typed = KeysTableModel(clock=fixed_clock)
    typed.set_keys(keys)
    for show_revoked in (False, True):
        typed.set_filter("", show_revoked)
        for end in range(1, 5):
            needle = "alpi"[:end]
            typed.set_filter(needle, show_revoked)  # narrows the previous result
            fresh = KeysTableModel(clock=fixed_clock)
            fresh.set_keys(keys)
            fresh.set_filter(needle, show_revoked)
            assert names(typed) == names(fresh), needle
    typed.set_filter("al", False)
    assert names(typed) == ["alpha", "alpine", "alps", "gamma al"]


# Roles a view or an assistive tool asks for; the first seven are the delegate's.
_ASKED_ROLES = (
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.EditRole,
    BADGE_ROLE,
    SORT_ROLE,
    OBJECT_ROLE,
)


@pytest.mark.parametrize("through_proxy", [False, True])
def test_multi_data_answers_what_data_answers(
    model: KeysTableModel, proxy: KeysFilterProxy, through_proxy: bool
) -> None:
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan

    proxy.set_show_revoked(True)
    model.set_reminder(model.key_at(0).id, "Rotated: revoke later")
    viewed: Any = proxy if through_proxy else model
    for row in range(viewed.rowCount()):
        for column in Column:
            index = viewed.index(row, column)
            for role in _ASKED_ROLES:
                slot = QModelRoleData(int(role))
                slot.setData("stale")  # a role with no answer must come back empty
                viewed.multiData(index, QModelRoleDataSpan(slot))
                assert slot.data() == index.data(role), (row, column, role)


def test_painting_a_cell_through_the_proxy_is_one_call_into_the_model(
    model: KeysTableModel, proxy: KeysFilterProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    calls: list[str] = []
    original = KeysTableModel.multiData

    def counting_multi_data(self: KeysTableModel, index: Any, span: Any) -> None:
        calls.append("multiData")
        original(self, index, span)

    def counting_data(self: KeysTableModel, index: Any, role: int = 0) -> Any:
        calls.append("data")
        return None

    monkeypatch.setattr(KeysTableModel, "multiData", counting_multi_data)
    monkeypatch.setattr(KeysTableModel, "data", counting_data)
    option = QStyleOptionViewItem()
    QStyledItemDelegate().initStyleOption(option, proxy.index(0, Column.PREFIX))
    assert calls == ["multiData"]
    assert option.text == f"{model.key_at(0).prefix}…"
    assert QFontInfo(option.font).fixedPitch()


def test_relative_times_move_on_when_refreshed(qtbot: Any) -> None:
    now = [NOW]
    model = KeysTableModel(clock=lambda: now[0])
    model.set_keys([make_key("ci", created_days_ago=3, expires_in_days=20)])
    assert model.index(0, Column.CREATED).data() == "3 days ago"
    assert model.index(0, Column.EXPIRES).data(BADGE_ROLE) is None
    now[0] = NOW + timedelta(days=7)
    # Painted texts are kept until the periodic refresh, which announces the change.
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        model.refresh_times()
    assert model.index(0, Column.CREATED).data() == "10 days ago"
    assert model.index(0, Column.EXPIRES).data() == "in 13 days"
    assert model.index(0, Column.EXPIRES).data(BADGE_ROLE) == "expiring"
