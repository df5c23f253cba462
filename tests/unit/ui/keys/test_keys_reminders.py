"""Rotation reminders outlive the app: kept per profile and person, dropped once settled."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from tests.helpers.keys import ENGINEER_SCOPES, FakeKeysService, fixed_clock, make_key, session_info
from tests.helpers.waiting import settle, until, wait_signal
from twinedge_desktop.config import Preferences
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.rotate import RotateKeyDialog, RotationStep
from twinedge_desktop.ui.keys.model import Column
from twinedge_desktop.ui.keys.page import KeysPage
from twinedge_desktop.ui.keys.reminders import RevokeReminders

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "window.ini"


def open_settings(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def test_reminders_round_trip_per_profile_and_person(settings_file: Path) -> None:
    store = RevokeReminders(open_settings(settings_file))
    store.save("sandbox", "org-1", "auth0|user/1", {"key_1": "Rotated: revoke me"})
    store.save("cloud", "org-1", "auth0|user/1", {"key_2": "Another"})
    store.save("sandbox", "org:2", "auth0|user/1", {"key_3": "In the other organisation"})
    again = RevokeReminders(open_settings(settings_file))  # as on the next start
    assert again.load("sandbox", "org-1", "auth0|user/1") == {"key_1": "Rotated: revoke me"}
    assert again.load("cloud", "org-1", "auth0|user/1") == {"key_2": "Another"}
    assert again.load("sandbox", "org:2", "auth0|user/1") == {"key_3": "In the other organisation"}
    assert again.load("sandbox", "org-1", "someone else") == {}
    again.save("sandbox", "org-1", "auth0|user/1", {})
    assert (
        RevokeReminders(open_settings(settings_file)).load("sandbox", "org-1", "auth0|user/1") == {}
    )


@pytest.mark.parametrize(
    ("stored", "warned"), [("{not json", True), ("[1, 2]", True), ('{"key_1": 5}', False)]
)
def test_damaged_reminders_are_ignored(
    settings_file: Path, stored: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    settings = open_settings(settings_file)
    store = RevokeReminders(settings)
    store.save("sandbox", "org-456", "user-1", {"key_1": "x"})
    name = next(k for k in settings.allKeys() if "revokeReminders" in k)
    settings.setValue(name, stored)
    assert store.load("sandbox", "org-456", "user-1") == {}
    assert ("Ignored unreadable rotation reminders" in caplog.text) == warned


def new_page(qtbot: Any, messages: Any, settings_file: Path) -> KeysPage:
    page = KeysPage(
        TaskRunner(messages),
        messages,
        Preferences(),
        reminders=RevokeReminders(open_settings(settings_file)),
        clock=fixed_clock,
    )
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    return page


def status_of(page: KeysPage, key_id: str) -> str:
    row = page.model.row_of(key_id)
    assert row is not None
    return str(page.model.index(row, Column.STATUS).data())


async def test_a_later_reminder_is_still_there_after_a_restart(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    old = make_key("pusher", scopes=("read:telemetry",))
    service = FakeKeysService(keys=[old])
    page = new_page(qtbot, messages, settings_file)
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await settle(page.load_task)
    assert page.select_key(old.id)
    page.rotate_selected()
    dialog = next(d for d in page.findChildren(RotateKeyDialog) if d.isVisible())
    dialog.next_step()
    await wait_signal(dialog.created)
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    dialog.next_step()
    dialog.next_step()  # goes on once the old key's last use is read
    await until(lambda: dialog.step is RotationStep.REVOKE)
    dialog.later_button.click()
    assert status_of(page, old.id) == "active · revoke pending"
    page.close()

    # The next run: a new page over the same settings, the same person signs in.
    again = new_page(qtbot, messages, settings_file)
    again.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await settle(again.load_task)
    assert status_of(again, old.id) == "active · revoke pending"
    assert "Revoke this key" in str(again.model.reminder_for(old.id))
    # Someone else signing in on this machine does not see it.
    again.set_service(service, session_info(ENGINEER_SCOPES, subject="user-2"))  # type: ignore[arg-type]
    await settle(again.load_task)
    assert status_of(again, old.id) == "active"


async def test_a_reminder_ends_when_its_key_is_revoked_here_or_elsewhere(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    revoked_here, revoked_elsewhere, deleted = (make_key(n) for n in ("a", "b", "c"))
    store = RevokeReminders(open_settings(settings_file))
    store.save(
        "sandbox",
        "org-456",
        "user-1",
        {k.id: "Rotated: revoke later" for k in (revoked_here, revoked_elsewhere, deleted)},
    )
    service = FakeKeysService(
        keys=[revoked_here, replace(revoked_elsewhere, revoked_at=revoked_elsewhere.created_at)]
    )
    page = new_page(qtbot, messages, settings_file)
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await settle(page.load_task)
    # The key revoked elsewhere is settled. The one missing from the list stays: another
    # session (another role, say) may simply not see it.
    kept = {k.id: "Rotated: revoke later" for k in (revoked_here, deleted)}
    assert page.model.reminders() == kept
    assert store.load("sandbox", "org-456", "user-1") == kept
    # Revoking from the app ends its reminder.
    dialog = page.revoke_key(revoked_here)
    assert dialog is not None
    dialog.submit()
    await wait_signal(dialog.finished)
    # Revoked keys are hidden: its row is gone; the model has it, revoked.
    assert page.model.row_of(revoked_here.id) is None
    revoked = page.model.key_by_id(revoked_here.id)
    assert revoked is not None and revoked.revoked_at is not None
    assert page.model.reminders() == {deleted.id: "Rotated: revoke later"}
    assert store.load("sandbox", "org-456", "user-1") == {deleted.id: "Rotated: revoke later"}


async def test_reminders_belong_to_one_organisation(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    key = make_key("pusher")
    store = RevokeReminders(open_settings(settings_file))
    store.save("sandbox", "org-456", "user-1", {key.id: "Rotated: revoke later"})
    page = new_page(qtbot, messages, settings_file)
    # The same person signs in to another organisation, whose list does not have the key.
    elsewhere = replace(session_info(ENGINEER_SCOPES), org="org-789")
    page.set_service(FakeKeysService(keys=[make_key("theirs")]), elsewhere)  # type: ignore[arg-type]
    await settle(page.load_task)
    assert page.model.reminders() == {}
    # Back in the first one, the reminder is still there.
    page.set_service(FakeKeysService(keys=[key]), session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await settle(page.load_task)
    assert status_of(page, key.id) == "active · revoke pending"
