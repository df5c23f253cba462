"""Add profile… refuses a name another profile has (review 2, item 11), after discovery,
when it knows whether the issuer's own profile is being updated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.session_fakes import server_metadata
from tests.helpers.waiting import expect, until
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.config import Profile, ProfileStore, sandbox_profile
from twinedge_desktop.ui.account.profiles import AddProfileDialog
from twinedge_desktop.ui.common.tasks import TaskRunner


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    profiles = ProfileStore.load(tmp_path / "profiles.json")
    profiles.put(sandbox_profile("http://127.0.0.1:8765"))
    profiles.put(Profile(id="auth-example-com", name="Staging", issuer="https://auth.example.com"))
    return profiles


async def discover(issuer: str) -> ServerMetadata:
    return server_metadata(issuer)


async def test_a_name_in_use_is_refused_but_the_issuers_own_profile_keeps_its_name(
    qtbot: Any, messages: Any, store: ProfileStore
) -> None:
    dialog = AddProfileDialog(discover, TaskRunner(messages), store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.issuer.setText("https://auth.other.example")
    dialog.name.setText(" local sandbox ")
    dialog.ok_button.click()
    await until(lambda: "already named" in dialog.status.text())
    assert "Another profile is already named Local sandbox" in dialog.status.text()
    assert dialog.isVisible() and dialog.ok_button.isEnabled()

    dialog.issuer.setText("https://auth.example.com")  # Staging's own issuer: updated, kept
    dialog.name.setText("Staging")
    created = expect(dialog.profile_created)
    dialog.ok_button.click()
    (profile,) = await created
    assert profile.id == "auth-example-com" and profile.name == "Staging"
