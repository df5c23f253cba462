"""The API Keys page's entry points for other pages (Health): rotate, revoke, replace and
details, each opening its flow; keys changed here are told; the details show the usage."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.helpers.keys import (
    ENGINEER_SCOPES,
    NOW,
    FakeKeysService,
    all_texts,
    fixed_clock,
    make_key,
    session_info,
    usage_report,
)
from tests.helpers.layout import assert_layout_fits
from tests.helpers.waiting import settle, until, wait_signal
from twinedge_desktop.api.errors import ServerError
from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.config import Preferences
from twinedge_desktop.ui.common.key_actions import KeyAction, KeyActionRequest
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.create import CreateKeyDialog
from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.keys.dialogs.rotate import RotateKeyDialog
from twinedge_desktop.ui.keys.page import KeysPage

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def collect_on_the_main_thread() -> Iterator[None]:
    gc.collect()  # the details read usage through the runner; see tests/helpers/health.py
    yield
    gc.collect()


@pytest.fixture
def service() -> FakeKeysService:
    return FakeKeysService()


@pytest.fixture
async def page(qtbot: Any, messages: Any, service: FakeKeysService) -> KeysPage:
    widget = KeysPage(TaskRunner(messages), messages, Preferences(), clock=fixed_clock)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


async def load(page: KeysPage, service: FakeKeysService) -> None:
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await settle(page.load_task)


def opened(page: KeysPage, kind: type) -> list[Any]:
    return [d for d in page.findChildren(kind) if d.isVisible()]


async def test_each_request_opens_its_flow_on_the_lists_copy_of_the_key(
    page: KeysPage, service: FakeKeysService
) -> None:
    key = make_key("gateway", last_used_days_ago=1)
    service.keys.append(key)
    await load(page, service)
    stale = replace(key, last_used_at=None)  # the asking page's copy may be older
    rotate = page.perform_key_action(KeyActionRequest(KeyAction.ROTATE, stale))
    assert isinstance(rotate, RotateKeyDialog) and rotate.isVisible()
    assert rotate._old == key  # the list's copy, with its last use
    rotate.reject()
    revoke = page.perform_key_action(KeyActionRequest(KeyAction.REVOKE, stale))
    assert isinstance(revoke, RevokeKeyDialog) and opened(page, RevokeKeyDialog) == [revoke]
    revoke.reject()
    details = page.perform_key_action(KeyActionRequest(KeyAction.SHOW_DETAILS, stale))
    assert isinstance(details, KeyDetailsDialog)
    await settle(details.usage_task)
    details.reject()


async def test_replace_prefills_the_create_dialog_and_reminds_to_revoke_the_old_key(
    page: KeysPage, service: FakeKeysService
) -> None:
    old = make_key(
        "Telemetry uploader", scopes=("read:telemetry", "write:telemetry"), expires_in_days=None
    )
    service.keys.append(old)
    await load(page, service)
    changed: list[ApiKey] = []
    page.key_changed.connect(changed.append)
    dialog = page.perform_key_action(
        KeyActionRequest(
            KeyAction.REPLACE, old, ("read:telemetry",), "It holds write:telemetry but…"
        )
    )
    assert isinstance(dialog, CreateKeyDialog)
    assert dialog.windowTitle() == "Replace API key"
    assert dialog.form.selected_scopes() == ("read:telemetry",)
    assert dialog.form.expiry_combo.currentData() == 90
    assert dialog.form.name().startswith("Telemetry uploader (rotated ")
    note = dialog.findChild(type(dialog.error), "replaceNote")
    assert note is not None and note.text().startswith("Replaces “Telemetry uploader” (te_")
    assert "It holds write:telemetry but…" in note.text()
    dialog.submit()
    await wait_signal(dialog.finished)
    await settle()
    (call,) = service.create_calls
    assert call.scopes == ("read:telemetry",)
    assert call.expires_at is not None and call.expires_at - NOW == timedelta(days=90)
    # The new key is in the list (and told), and the old one carries the reminder to revoke.
    assert [k.name for k in changed] == [call.name]
    reminder = page.model.reminder_for(old.id)
    assert reminder is not None and reminder.startswith("Replaced on ")


async def test_revoking_tells_the_other_pages(page: KeysPage, service: FakeKeysService) -> None:
    key = make_key("idle", last_used_days_ago=60)
    service.keys.append(key)
    await load(page, service)
    changed: list[ApiKey] = []
    page.key_changed.connect(changed.append)
    dialog = page.perform_key_action(KeyActionRequest(KeyAction.REVOKE, key))
    assert isinstance(dialog, RevokeKeyDialog)
    dialog.submit()
    await until(lambda: bool(changed))
    assert changed[0].id == key.id and changed[0].revoked_at is not None


async def test_nothing_opens_when_signed_out_or_for_a_key_no_longer_active(
    page: KeysPage, service: FakeKeysService
) -> None:
    key = make_key("k")
    assert page.perform_key_action(KeyActionRequest(KeyAction.ROTATE, key)) is None
    assert page.perform_key_action(KeyActionRequest(KeyAction.REPLACE, key)) is None
    service.keys.append(replace(key, revoked_at=NOW))
    await load(page, service)
    assert page.perform_key_action(KeyActionRequest(KeyAction.ROTATE, key)) is None
    assert page.perform_key_action(KeyActionRequest(KeyAction.REVOKE, key)) is None


# -- the details' usage ---------------------------------------------------------------------


async def test_details_show_the_chart_the_endpoints_and_the_last_use(
    page: KeysPage, service: FakeKeysService, qtbot: Any
) -> None:
    key = make_key("gateway", last_used_days_ago=0.1)
    service.keys.append(key)
    endpoints = {f"GET /v1/thing{i}": 100 - i for i in range(8)}
    service.usage_reports[key.id] = usage_report(
        key.id, [300] * 29 + [2700], [1] * 30, endpoints, last_used_days_ago=0.1
    )
    await load(page, service)
    dialog = page.show_details(key)
    assert dialog.chart.accessibleDescription() == "Loading usage…"
    await settle(dialog.usage_task)
    assert service.usage_calls == [key.id]
    assert dialog.chart.days[-1].requests == 2700
    assert dialog.chart.accessibleDescription().startswith("11,400 requests in the 30 days")
    lines = dialog.endpoints.text().splitlines()
    assert lines[0] == "Calls by endpoint:"
    assert lines[1:3] == ["100  GET /v1/thing0", "99  GET /v1/thing1"]
    assert lines[-1] == "187  to 2 other endpoints"  # the busiest six, then the rest counted
    assert dialog.last_use.text().startswith("Last used 2 hours ago (")
    assert dialog.last_use.text().endswith(" from 192.0.2.10.")
    dialog.resize(dialog.minimumSizeHint())
    await settle()
    assert_layout_fits(dialog)
    dialog.reject()


async def test_details_say_when_the_usage_cannot_be_read_and_try_again(
    page: KeysPage, service: FakeKeysService
) -> None:
    key = make_key("gateway")
    service.keys.append(key)
    service.fail["usage"] = ServerError(status=502)
    await load(page, service)
    dialog = page.show_details(key)
    await settle(dialog.usage_task)
    assert dialog.usage_error.isVisible() and dialog.usage_retry.isVisible()
    assert dialog.usage_error.text().startswith("The usage could not be read:")
    assert "gateway" in all_texts(dialog)  # the rest of the dialog stays as it was
    dialog.usage_retry.click()
    await settle(dialog.usage_task)
    assert dialog.usage_error.isHidden() and dialog.usage is not None
    assert dialog.last_use.text() == "Not used in these 30 days, as far as the server recorded."
    dialog.reject()


async def test_details_without_a_service_have_no_usage_section(qtbot: Any) -> None:
    dialog = KeyDetailsDialog(make_key("k"), clock=fixed_clock)
    qtbot.addWidget(dialog)
    assert not hasattr(dialog, "chart")
