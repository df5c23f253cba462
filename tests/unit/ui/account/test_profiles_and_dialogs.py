"""Add profile (URL checks, discovery), and the service / API-key sign-in dialogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from tests.helpers.session_fakes import server_metadata
from tests.helpers.waiting import expect, until
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.errors import DiscoveryError
from twinedge_desktop.config import ProfileStore
from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.ui.account.dialogs import ApiKeyDialog, ServiceSignInDialog
from twinedge_desktop.ui.account.profiles import AddProfileDialog, check_url
from twinedge_desktop.ui.common.tasks import TaskRunner


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("https://auth.example.com/", "https://auth.example.com"),
        ("  https://auth.example.com/tenant ", "https://auth.example.com/tenant"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://[::1]:8765", "http://[::1]:8765"),
        ("http://localhost:9000", "http://localhost:9000"),
    ],
)
def test_acceptable_issuer_urls(text: str, normalised: str) -> None:
    assert check_url(text) == (normalised, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Enter the issuer URL"),
        ("auth.example.com", "full address"),
        ("ftp://auth.example.com", "full address"),
        ("http://auth.example.com", "must use HTTPS"),
        ("http://10.0.0.5", "must use HTTPS"),
        ("http://app.localhost:9000", "must use HTTPS"),  # only localhost itself is local
        ("http://[::1", "full address"),
        ("http://127.0.0.1:port", "full address"),
        ("https://auth.example.com/?tenant=1", "query"),
    ],
)
def test_rejected_issuer_urls(text: str, reason: str) -> None:
    value, problem = check_url(text)
    assert value is None
    assert problem is not None and reason in problem


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore.load(tmp_path / "profiles.json")


async def test_add_profile_discovers_and_creates(
    qtbot: Any, messages: Any, store: ProfileStore
) -> None:
    asked: list[str] = []

    async def discover(issuer: str) -> ServerMetadata:
        asked.append(issuer)
        return server_metadata(
            "https://auth.example.com", api_base_url="https://api.example.com/v1"
        )

    dialog = AddProfileDialog(discover, TaskRunner(messages), store)
    qtbot.addWidget(dialog)
    assert dialog.client_id.text() == "twinedge-desktop"  # the default client id
    dialog.issuer.setText("https://auth.example.com/")
    created = expect(dialog.profile_created)
    dialog.ok_button.click()
    (profile,) = await created
    assert asked == ["https://auth.example.com"]
    assert profile.issuer == "https://auth.example.com"
    assert profile.name == "auth.example.com"
    assert profile.client_id == "twinedge-desktop"
    # The core's one rule (auth.profiles.profile_for_issuer), as `login --issuer`: the API
    # the server's metadata names; the audience comes from the first access token.
    assert profile.api_base == "https://api.example.com/v1"
    assert profile.audience is None
    assert profile.id == "auth-example-com"


async def test_add_profile_prefers_a_typed_api_and_a_chosen_name(
    qtbot: Any, messages: Any, store: ProfileStore
) -> None:
    async def discover(issuer: str) -> ServerMetadata:
        return server_metadata(issuer)  # no api_base_url in this server's metadata

    dialog = AddProfileDialog(discover, TaskRunner(messages), store)
    qtbot.addWidget(dialog)
    dialog.issuer.setText("https://auth.example.com")
    dialog.api_base.setText("https://gateway.example.com/v1/")
    dialog.name.setText("  Staging  ")
    created = expect(dialog.profile_created)
    dialog.ok_button.click()
    (profile,) = await created
    assert profile.api_base == "https://gateway.example.com/v1"
    assert profile.name == "Staging"
    # No API address anywhere: the profile is made, sign-in only until one is known.
    dialog = AddProfileDialog(discover, TaskRunner(messages), store)
    qtbot.addWidget(dialog)
    dialog.issuer.setText("https://auth.example.com")
    created = expect(dialog.profile_created)
    dialog.ok_button.click()
    (profile,) = await created
    assert profile.api_base is None


async def test_add_profile_refuses_plain_http_and_shows_discovery_errors(
    qtbot: Any, messages: Any, store: ProfileStore
) -> None:
    async def discover(issuer: str) -> ServerMetadata:
        raise DiscoveryError("The server at that address does not publish OAuth metadata.")

    dialog = AddProfileDialog(discover, TaskRunner(messages), store)
    qtbot.addWidget(dialog)
    dialog.issuer.setText("http://auth.example.com")
    dialog.ok_button.click()
    assert "must use HTTPS" in dialog.status.text()
    dialog.issuer.setText("https://auth.example.com")
    dialog.client_id.setText("")
    dialog.ok_button.click()
    assert "client id" in dialog.status.text()
    dialog.client_id.setText("my-client")
    dialog.ok_button.click()
    assert not dialog.ok_button.isEnabled()  # busy while discovery runs
    await until(lambda: dialog.ok_button.isEnabled())
    assert dialog.status.text() == "The server at that address does not publish OAuth metadata."
    assert messages.records == []  # shown in the dialog, not twice


def test_service_dialog_masks_the_secret_and_submits(qtbot: Any) -> None:
    dialog = ServiceSignInDialog("twinedge-service")
    qtbot.addWidget(dialog)
    assert dialog.secret.echoMode() == QLineEdit.EchoMode.Password
    dialog.show_secret.setChecked(True)
    assert dialog.secret.echoMode() == QLineEdit.EchoMode.Normal
    dialog.show_secret.setChecked(False)
    submitted: list[tuple[Any, ...]] = []
    dialog.submitted.connect(lambda *args: submitted.append(args))
    dialog._submit()
    assert submitted == [] and "client secret" in dialog.error.text()
    dialog.secret.setText("s3cret-value")
    dialog.scope_boxes["read:telemetry"].setChecked(True)
    dialog._submit()
    assert submitted == [("twinedge-service", "s3cret-value", ["read:telemetry"])]
    assert dialog.secret.text() == ""  # cleared when the dialog closes


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("abc", "not a TwinEdge API key"),
        ("te_short", "wrong length"),
        (generate_key()[:-1] + "!", "characters"),
    ],
)
def test_api_key_dialog_explains_bad_keys(qtbot: Any, text: str, problem: str) -> None:
    dialog = ApiKeyDialog()
    qtbot.addWidget(dialog)
    assert dialog.key.echoMode() == QLineEdit.EchoMode.Password
    dialog.key.setText(text)
    dialog._submit()
    assert problem in dialog.error.text()


def test_api_key_dialog_checks_the_checksum_and_submits(qtbot: Any) -> None:
    dialog = ApiKeyDialog()
    qtbot.addWidget(dialog)
    key = generate_key()
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    dialog.key.setText(wrong)
    dialog._submit()
    assert "checksum" in dialog.error.text()
    submitted: list[str] = []
    dialog.submitted.connect(submitted.append)
    dialog.key.setText(key)
    dialog._submit()
    assert submitted == [key]
    assert dialog.key.text() == ""
