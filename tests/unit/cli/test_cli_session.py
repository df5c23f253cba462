"""``keys``, ``apps`` and ``scan`` act as the signed-in *person* (cli/session.py).

The real commands run in-process; only the keychain (a MemoryStore) and the network (a
transport that fails every request and counts them) are swapped. A stored sign-in that
is not a person's is refused with a sentence before anything is asked of the server,
which would answer 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.core_fixtures import NoRequestsTransport
from twinedge_desktop import keyformat
from twinedge_desktop.auth.credentials import (
    AccessToken,
    Credential,
    ServiceCredential,
    UserCredential,
    encode_entry,
)
from twinedge_desktop.cli import main
from twinedge_desktop.config import CLOUD_PROFILE
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore


@pytest.fixture
def network() -> NoRequestsTransport:
    return NoRequestsTransport()


@pytest.fixture
def keychain(
    monkeypatch: pytest.MonkeyPatch, network: NoRequestsTransport
) -> Iterator[MemoryStore]:
    store = MemoryStore()
    original = CoreServices.create

    async def create(paths: Any, profiles: Any, **_: Any) -> CoreServices:
        return await original(
            paths, profiles, credential_store=store, http=httpx.AsyncClient(transport=network)
        )

    monkeypatch.setattr(CoreServices, "create", create)
    yield store


def _store(store: MemoryStore, credential: Credential) -> None:
    access = AccessToken("at-fresh-0123456789", datetime.now(UTC) + timedelta(hours=1))
    store.set(f"session/{CLOUD_PROFILE.id}", encode_entry(CLOUD_PROFILE.issuer, credential, access))


def _leaky_file(tmp_path: Path) -> Path:
    leaky = tmp_path / "settings.env"
    leaky.write_text(f"TWINEDGE_API_KEY={keyformat.generate_key()}\n")
    return leaky


COMMANDS = {
    "keys list": (["keys", "list"], "API keys"),
    "keys create": (["keys", "create", "ci", "--scope", "read:assets"], "API keys"),
    "keys revoke": (["keys", "revoke", "key_123", "--yes"], "API keys"),
    "apps list": (["apps", "list"], "OAuth applications"),
    "apps delete": (["apps", "delete", "app_1", "--yes"], "OAuth applications"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_service_sign_in_is_refused_before_any_request(
    keychain: MemoryStore,
    network: NoRequestsTransport,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    args, purpose = COMMANDS[command]
    _store(keychain, ServiceCredential("svc", "svc-secret-0123456789", ("read:assets",)))
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "Profile 'cloud' is signed in as a service client, and "
        f"{purpose} are managed only with a person's sign-in (the server would refuse this "
        "one). Run: twinedge-desktop login\n"
    )
    assert network.requests == []


def test_scan_says_why_it_cannot_match_keys_for_a_service_sign_in(
    keychain: MemoryStore,
    network: NoRequestsTransport,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _store(keychain, ServiceCredential("svc", "svc-secret-0123456789", ("read:assets",)))
    assert main(["scan", str(_leaky_file(tmp_path))]) == 1  # an unmatched key still fails it
    captured = capsys.readouterr()
    assert "Keys cannot be matched to yours: Profile 'cloud' is signed in as a service" in (
        captured.out + captured.err
    )
    assert network.requests == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_nobody_signed_in_says_what_to_run(
    keychain: MemoryStore,
    network: NoRequestsTransport,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    args, _ = COMMANDS[command]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "Not signed in to TwinEdge Cloud (profile 'cloud'). Run: twinedge-desktop login\n"
    )
    assert network.requests == []


def test_a_persons_sign_in_goes_on_to_the_server(
    keychain: MemoryStore, network: NoRequestsTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check lets a person through: the request is made (here the network is down)."""
    _store(keychain, UserCredential(CLOUD_PROFILE.client_id, "rt-person-0123456789"))
    assert main(["apps", "list"]) == 1
    assert any(request.url.path == "/v1/oauth-apps" for request in network.requests)
    assert "could not be reached" in capsys.readouterr().err
