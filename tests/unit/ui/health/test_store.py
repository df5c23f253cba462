"""What the Health page keeps between runs: dismissals per person, reminder days per key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.ui.health.store import HealthSettings

ME = ("sandbox", "org-456", "auth0|user/1")
OTHER = ("sandbox", "org-456", "someone else")
DAY = date(2030, 6, 1)
NEXT_DAY = date(2030, 6, 2)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "window.ini"


def test_dismissals_round_trip_per_owner(path: Path) -> None:
    store = HealthSettings(path)
    store.set_dismissed(ME, ("key/1|x", FindingKind.UNUSED), True, DAY)
    store.set_dismissed(ME, ("key_2", FindingKind.NEVER_EXPIRES), True, DAY)
    store.set_dismissed(OTHER, ("key_3", FindingKind.UNUSED), True, DAY)
    again = HealthSettings(path)  # as at the next start
    assert again.dismissed(ME) == {
        ("key/1|x", FindingKind.UNUSED),
        ("key_2", FindingKind.NEVER_EXPIRES),
    }
    assert again.dismissed(OTHER) == {("key_3", FindingKind.UNUSED)}
    again.set_dismissed(ME, ("key_2", FindingKind.NEVER_EXPIRES), False, DAY)
    again.forget_dismissals(ME, [("key/1|x", FindingKind.UNUSED)])
    assert HealthSettings(path).dismissed(ME) == set()
    assert HealthSettings(path).dismissed(OTHER) == {("key_3", FindingKind.UNUSED)}


def test_the_window_settings_file_keeps_its_other_entries(path: Path) -> None:
    window = QSettings(str(path), QSettings.Format.IniFormat)
    window.setValue("window/page", "keys")
    window.sync()
    store = HealthSettings.beside(window)
    assert store.path == path
    store.set_dismissed(ME, ("key_1", FindingKind.UNUSED), True, DAY)
    assert QSettings(str(path), QSettings.Format.IniFormat).value("window/page") == "keys"


def test_a_reminder_is_claimed_once_a_day(path: Path) -> None:
    store = HealthSettings(path)
    assert store.claim_reminders(ME, ["key_1", "key_2"], DAY) == ["key_1", "key_2"]
    assert store.claim_reminders(ME, ["key_1", "key_2", "key_3"], DAY) == ["key_3"]
    assert HealthSettings(path).claim_reminders(ME, ["key_1"], DAY) == []  # after a restart
    assert store.claim_reminders(OTHER, ["key_1"], DAY) == ["key_1"]  # someone else's
    assert store.reminded_on(ME, "key_1") == DAY
    assert store.claim_reminders(ME, ["key_1"], NEXT_DAY) == ["key_1"]
    # Yesterday's marks of keys not reminded of today were dropped on the way.
    assert store.reminded_on(ME, "key_2") is None
    assert store.reminded_on(ME, "key_1") == NEXT_DAY


def test_a_released_claim_can_be_claimed_again(path: Path) -> None:
    store = HealthSettings(path)
    assert store.claim_reminders(ME, ["key_1"], DAY) == ["key_1"]
    store.release_reminders(ME, ["key_1"], DAY)
    assert store.claim_reminders(ME, ["key_1"], DAY) == ["key_1"]


def test_unreadable_entries_are_skipped(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = HealthSettings(path)
    store.set_dismissed(ME, ("key_1", FindingKind.UNUSED), True, DAY)
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    group = next(k for k in settings.allKeys() if "dismissed" in k).rsplit("/", 1)[0]
    settings.setValue(f"{group}/key_2%3Ano_such_kind", "2030-06-01")
    settings.setValue(f"{group.replace('dismissed', 'reminded')}/key_3", "not a date")
    settings.sync()
    assert store.dismissed(ME) == {("key_1", FindingKind.UNUSED)}
    assert "unreadable dismissed finding" in caplog.text
    assert store.reminded_on(ME, "key_3") is None
