"""Damaged list entries: the real ApiKeysService reads a server's list with broken entries
(an impossible expiry, a missing id, not even an object) and the page shows each as a row
that says what is wrong, sorts and filters it, offers it Details, and lets a damaged key
whose id is readable be revoked: the way out of the key that broke the list."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from tests.helpers.keys import ENGINEER_SCOPES, all_texts, session_info
from tests.helpers.waiting import settle, wait_signal
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.api.keys import ApiKeysService
from twinedge_desktop.config import Preferences
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.keys.model import BADGE_ROLE, Badge, Column
from twinedge_desktop.ui.keys.page import KeysPage, PageState

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

BASE = "https://api.example.test/v1"
BAD_EXPIRY = "9999-12-31T23:59:59-23:59"  # the year 10000 once in UTC: the incident's value


def entry(key_id: str, name: str, **changes: object) -> dict[str, object]:
    return {
        "id": key_id,
        "name": name,
        "prefix": f"te_{key_id[-9:]:0>9}",
        "scopes": ["read:assets"],
        "created_at": "2026-11-01T10:00:00Z",
        "expires_at": "2027-01-30T10:00:00Z",
        "last_used_at": None,
        "revoked_at": None,
        "created_by": "engineer@example.com",
        **changes,
    }


LIST = [
    entry("key_good", "healthy key"),
    entry("key_bad", "bad expiry", expires_at=BAD_EXPIRY),
    entry("key_old", "no creation time", created_at="yesterday"),
    {"name": "no id at all", "created_at": "2026-11-02T10:00:00Z", "scopes": ["read:alerts"]},
    ["not", "an", "object"],
]


class FakeApi:
    """The API's key endpoints, over httpx.MockTransport: the list above, and revocations."""

    def __init__(self) -> None:
        self.revoked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/v1/api-keys":
            return httpx.Response(200, json={"data": LIST, "next_cursor": None})
        if request.method == "DELETE" and path.startswith("/v1/api-keys/"):
            self.revoked.append(path.rsplit("/", 1)[-1])
            return httpx.Response(204)
        return httpx.Response(404, json={"error": "not_found"})


class StaticTokens:
    async def access_token(self) -> str:
        return "user-token"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token"


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
async def page(qtbot: Any, messages: Any, api: FakeApi) -> AsyncIterator[KeysPage]:
    http = build_http_client(transport=httpx.MockTransport(api), trust_env=False)
    service = ApiKeysService(ApiClient(http, BASE, StaticTokens(), sleep=_no_sleep))
    widget = KeysPage(TaskRunner(messages), messages, Preferences())
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    widget.set_service(service, session_info(ENGINEER_SCOPES))
    await settle(widget.load_task)
    yield widget
    await http.aclose()


def row_named(page: KeysPage, text: str) -> int:
    for row in range(page.proxy.rowCount()):
        if text in str(page.proxy.index(row, Column.NAME).data()):
            return row
    raise AssertionError(f"no row shows {text!r}")


def cell(page: KeysPage, row: int, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    return page.proxy.index(row, column).data(role)


def select_row(page: KeysPage, row: int) -> None:
    page.table.selectionModel().setCurrentIndex(
        page.proxy.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


async def test_every_entry_is_a_row_and_the_damaged_ones_say_why(page: KeysPage) -> None:
    assert page.state is PageState.LIST
    assert page.proxy.rowCount() == 5  # two entries without an id do not collide
    bad = row_named(page, "bad expiry")
    name = cell(page, bad, Column.NAME)
    assert name.startswith("bad expiry · damaged: expires_at:") and "9999-12-31" in name
    assert cell(page, bad, Column.STATUS) == "damaged"
    assert cell(page, bad, Column.STATUS, BADGE_ROLE) == Badge.DAMAGED
    assert cell(page, bad, Column.EXPIRES) == "unreadable"  # not "never"
    assert cell(page, bad, Column.EXPIRES, BADGE_ROLE) is None
    old = row_named(page, "no creation time")
    assert cell(page, old, Column.CREATED) == "unreadable"
    row_texts = [
        str(cell(page, old, column, role))
        for column in Column
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
    ]
    assert not any("1970" in text for text in row_texts)
    nameless = [r for r in range(5) if str(cell(page, r, Column.NAME)).startswith("damaged: ")]
    assert len(nameless) == 1  # "not an object": nothing readable, not even a name
    assert cell(page, row_named(page, "no id at all"), Column.STATUS) == "damaged"
    healthy = row_named(page, "healthy key")
    assert cell(page, healthy, Column.STATUS) == "active"
    assert page.count_label.text() == "5 keys"


async def test_damaged_rows_sort_and_filter(page: KeysPage, qtbot: Any) -> None:
    for column in Column:
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            page.table.sortByColumn(column, order)
            assert page.proxy.rowCount() == 5
    page.table.sortByColumn(Column.STATUS, Qt.SortOrder.AscendingOrder)
    statuses = [cell(page, r, Column.STATUS) for r in range(5)]
    assert statuses == ["active"] + ["damaged"] * 4
    qtbot.keyClicks(page.filter_edit, "damaged")
    assert page.proxy.rowCount() == 4
    page.filter_edit.clear()
    qtbot.keyClicks(page.filter_edit, "expires_at")
    assert page.proxy.rowCount() == 1 and row_named(page, "bad expiry") == 0


async def test_a_damaged_key_with_an_id_can_be_revoked_from_the_window(
    page: KeysPage, api: FakeApi
) -> None:
    select_row(page, row_named(page, "bad expiry"))
    assert page.revoke_button.isEnabled() and page.revoke_action.isEnabled()
    assert not page.rotate_button.isEnabled()  # its expiry policy is not known
    assert page.rotate_key(page.selected_key()) is None  # type: ignore[arg-type]
    page.revoke_selected()
    dialog = next(d for d in page.findChildren(RevokeKeyDialog) if d.isVisible())
    texts = " ".join(all_texts(dialog))
    assert "key_bad" in texts and "expires_at" in texts  # which key, and what is wrong
    dialog.submit()
    await wait_signal(dialog.finished)
    assert api.revoked == ["key_bad"]
    # Revoked keys are hidden: the row goes; the rest of the list works on.
    assert page.proxy.rowCount() == 4
    assert not any("bad expiry" in str(cell(page, r, Column.NAME)) for r in range(4))


async def test_an_entry_without_an_id_offers_details_only(page: KeysPage, api: FakeApi) -> None:
    row = row_named(page, "no id at all")
    select_row(page, row)
    key = page.selected_key()
    assert key is not None and key.id == ""
    assert not page.revoke_button.isEnabled() and not page.revoke_action.isEnabled()
    assert not page.rotate_button.isEnabled() and not page.rotate_action.isEnabled()
    page.revoke_action.trigger()  # Delete: nothing happens
    assert page.revoke_key(key) is None
    assert not [d for d in page.findChildren(RevokeKeyDialog) if d.isVisible()]
    page.table.setFocus()
    page.table.activated.emit(page.proxy.index(row, 0))  # Enter: the details
    details = next(d for d in page.findChildren(KeyDetailsDialog) if d.isVisible())
    texts = " ".join(all_texts(details))
    assert "Damaged:" in texts and "id: missing" in texts and "(unreadable)" in texts
    assert not details.revoke_button.isEnabled() and not details.rotate_button.isEnabled()
    assert api.revoked == []


async def test_an_entry_without_an_id_stays_selected_through_sorts_and_filters(
    page: KeysPage, qtbot: Any
) -> None:
    # Two entries have no id: each row is still itself (they do not share an identity).
    row = next(r for r in range(5) if str(cell(page, r, Column.NAME)).startswith("damaged: "))
    select_row(page, row)
    chosen = page.selected_key()
    assert chosen is not None and chosen.id == "" and "not an object" in str(chosen.problem)
    for column in Column:
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            page.table.sortByColumn(column, order)
            assert page.selected_key() is chosen, (column, order)
    qtbot.keyClicks(page.filter_edit, "damaged")  # a filter that keeps it: still selected
    assert page.selected_key() is chosen


async def test_details_of_a_damaged_key_never_show_the_stand_ins(
    qtbot: Any, page: KeysPage
) -> None:
    select_row(page, row_named(page, "no creation time"))
    key = page.selected_key()
    assert key is not None
    dialog = page.show_details(key)
    texts = [t for t in all_texts(dialog) if t]
    assert not any("1970" in t for t in texts)
    assert "unreadable by engineer@example.com" in texts
    assert dialog.revoke_button.isEnabled()  # its id is readable
    assert not dialog.rotate_button.isEnabled()


async def test_the_csv_says_damaged_and_why(page: KeysPage, tmp_path: Path) -> None:
    target = tmp_path / "keys.csv"
    await settle(page.export_csv_to(target))
    import csv

    rows = list(csv.DictReader(target.read_text(encoding="utf-8").splitlines()))
    by_name = {row["name"]: row for row in rows}
    assert by_name["no creation time"]["status"] == "damaged"
    assert by_name["no creation time"]["created_at"] == ""  # not 1970
    assert by_name["bad expiry"]["problem"].startswith("expires_at:")
    assert by_name["healthy key"]["problem"] == ""
    assert json.dumps(rows).count("1970") == 0


async def test_a_key_with_an_unreadable_name_is_confirmed_by_its_id(
    qtbot: Any, messages: Any
) -> None:
    from dataclasses import replace

    from tests.helpers.keys import FakeKeysService, fixed_clock, make_key

    used = make_key("", last_used_days_ago=1, key_id="key_unnamed")  # used yesterday
    key = replace(used, problem="name: a list, not text", unreadable=("name",))
    service = FakeKeysService(keys=[key])
    dialog = RevokeKeyDialog(key, service, TaskRunner(messages), clock=fixed_clock)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.typed_confirmation_required
    assert dialog.name_confirm.placeholderText() == "Type the key's id"
    assert not dialog.revoke_button.isEnabled()  # an empty name must not confirm it
    qtbot.keyClicks(dialog.name_confirm, "key_unnamed")
    assert dialog.revoke_button.isEnabled()
    dialog.submit()
    await wait_signal(dialog.finished)
    assert service.revoke_calls == ["key_unnamed"]
