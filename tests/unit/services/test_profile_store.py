"""ProfileStore: several processes write profiles.json; each save merges only its own changes.

Two ``ProfileStore`` objects on one file stand for two processes (the window and
``twinedge-desktop login``); tests/integration/core/test_profiles_processes.py runs
real processes at once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from twinedge_desktop.config import (
    CLOUD_PROFILE_ID,
    ConfigError,
    Profile,
    ProfileStore,
)


def profile(profile_id: str, issuer: str | None = None) -> Profile:
    return Profile(
        id=profile_id, name=profile_id.title(), issuer=issuer or f"https://{profile_id}.test"
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "profiles.json"


def on_disk(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_the_windows_memory_does_not_erase_a_profile_added_by_login(path: Path) -> None:
    """The issue's story: the window is open, `login --issuer …` adds a profile, then the
    window's next profile switch rewrote the file from its own memory."""
    seed = ProfileStore.load(path)
    seed.put(profile("sandbox"), make_current=True)
    seed.save()
    window = ProfileStore.load(path)
    login = ProfileStore.load(path)
    login.put(profile("acme"), make_current=True)
    login.save()
    window.current_id = CLOUD_PROFILE_ID  # a switch, as the window does it (attribute + save)
    window.save()
    saved = on_disk(path)
    assert [p["id"] for p in saved["profiles"]] == ["sandbox", "acme"]  # type: ignore[index,union-attr]
    assert saved["current"] == CLOUD_PROFILE_ID  # the window's own change wins where it made one
    assert "acme" in window.profiles  # and the window now knows the new profile


def test_each_process_keeps_its_own_changes_and_only_those(path: Path) -> None:
    seed = ProfileStore.load(path)
    for name in ("a", "b", "c"):
        seed.put(profile(name))
    seed.save()
    first, second = ProfileStore.load(path), ProfileStore.load(path)
    # First: renames a, removes b, changes a preference.
    first.put(replace(first.profiles["a"], name="Renamed A"))
    del first.profiles["b"]
    first.preferences.clipboard_clear_seconds = 90
    # Second: changes c, adds d, changes another preference, leaves a and b alone.
    second.put(replace(second.profiles["c"], client_id="other-client"))
    second.put(profile("d"), make_current=True)
    second.preferences.jwt_leeway_seconds = 5
    first.save()
    second.save()
    final = ProfileStore.load(path)
    assert sorted(p for p in final.profiles if p != CLOUD_PROFILE_ID) == ["a", "c", "d"]
    assert final.profiles["a"].name == "Renamed A"
    assert final.profiles["c"].client_id == "other-client"
    assert final.current_id == "d"
    assert (final.preferences.clipboard_clear_seconds, final.preferences.jwt_leeway_seconds) == (
        90,
        5,
    )


def test_a_profile_removed_elsewhere_stays_removed_and_current_falls_back(path: Path) -> None:
    seed = ProfileStore.load(path)
    seed.put(profile("old"), make_current=True)
    seed.save()
    window, other = ProfileStore.load(path), ProfileStore.load(path)
    del other.profiles["old"]
    other.current_id = CLOUD_PROFILE_ID
    other.save()
    window.preferences.sign_in_timeout_seconds = 120
    window.save()  # the window never touched "old": it does not bring it back
    assert "old" not in ProfileStore.load(path).profiles
    assert window.current_id == CLOUD_PROFILE_ID and "old" not in window.profiles


def test_changed_on_disk_and_reload_keep_unsaved_changes(path: Path) -> None:
    window = ProfileStore.load(path)
    window.save()
    assert window.changed_on_disk() is False
    login = ProfileStore.load(path)
    login.put(profile("acme"))
    login.save()
    assert window.changed_on_disk() is True
    window.put(profile("mine"))  # not saved yet
    assert window.reload() is True
    assert {"acme", "mine"} <= window.profiles.keys()
    assert window.changed_on_disk() is False
    assert window.reload() is False  # nothing new
    window.save()
    assert {"acme", "mine"} <= ProfileStore.load(path).profiles.keys()


def test_fields_and_keys_a_newer_version_wrote_are_kept(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "current": "x",
                "profiles": [
                    {**profile("x").to_json(), "future_field": 1},
                    {"id": "damaged", "name": "no issuer"},
                ],
                "preferences": {"clipboard_clear_seconds": 30, "future_pref": "on"},
                "future_key": [1, 2],
            }
        )
    )
    store = ProfileStore.load(path)
    assert "damaged" not in store.profiles  # skipped, not fatal
    store.put(profile("y"))
    store.save()
    saved = on_disk(path)
    assert saved["future_key"] == [1, 2]
    items = {p["id"]: p for p in saved["profiles"]}  # type: ignore[union-attr]
    assert items["x"]["future_field"] == 1 and "damaged" in items and "y" in items
    assert saved["preferences"]["future_pref"] == "on"  # type: ignore[index]


def test_a_damaged_file_is_kept_aside_when_a_save_replaces_it(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ConfigError):
        ProfileStore.load(path)
    store = ProfileStore(path=path)
    store.put(profile("fresh"), make_current=True)
    store.save()
    assert ProfileStore.load(path).current_id == "fresh"
    aside = list(path.parent.glob("profiles.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{not json"
