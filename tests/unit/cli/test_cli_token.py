"""``twinedge-desktop token [--json]`` in-process: the SDK's format, and no request while fresh.

The real command is run (argument parsing, services, keychain entry, output); only
the keychain (a MemoryStore) and the network (a transport that fails every request)
are swapped, so "no request at all" is proven, not assumed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers.cli import FakeStdin
from tests.helpers.core_fixtures import FlakyStore, NoRequestsTransport
from tests.helpers.fake_auth_server import FakeAuthServer
from tests.helpers.logs import RedactedLog
from twinedge_desktop.auth.credentials import AccessToken, UserCredential, encode_entry
from twinedge_desktop.cli import main
from twinedge_desktop.config import CLOUD_PROFILE, AppPaths
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore

ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJl"


@pytest.fixture
def network() -> NoRequestsTransport:
    return NoRequestsTransport()


@pytest.fixture
def keychain(
    monkeypatch: pytest.MonkeyPatch, network: NoRequestsTransport
) -> Iterator[MemoryStore]:
    """The command's services get this keychain and the request-refusing network."""
    store = MemoryStore()
    original = CoreServices.create

    async def create(paths: Any, profiles: Any, **_: Any) -> CoreServices:
        return await original(
            paths,
            profiles,
            credential_store=store,
            http=httpx.AsyncClient(transport=network),
        )

    monkeypatch.setattr(CoreServices, "create", create)
    yield store


def store_sign_in(store: MemoryStore, expires_at: datetime) -> None:
    credential = UserCredential(CLOUD_PROFILE.client_id, "refresh-secret")
    access = AccessToken(ACCESS, expires_at, ("read:assets", "read:alerts"))
    store.set(f"session/{CLOUD_PROFILE.id}", encode_entry(CLOUD_PROFILE.issuer, credential, access))


def test_token_json_has_exactly_the_sdk_format_and_makes_no_request(
    keychain: MemoryStore, network: NoRequestsTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    expires = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    store_sign_in(keychain, expires)
    assert main(["token", "--json"]) == 0
    out, err = capsys.readouterr()
    assert out.endswith("\n") and out.count("\n") == 1  # one document, one line
    document = json.loads(out)
    # The four documented keys first and unchanged, then where the token may be used.
    assert list(document) == [
        "access_token", "expires_at", "scopes", "profile", "api_base", "issuer",
    ]  # fmt: skip
    assert document["api_base"] == CLOUD_PROFILE.api_base
    assert document["issuer"] == CLOUD_PROFILE.issuer
    assert document["access_token"] == ACCESS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["expires_at"])
    assert datetime.fromisoformat(document["expires_at"].replace("Z", "+00:00")) == expires
    assert document["scopes"] == ["read:assets", "read:alerts"]
    assert document["profile"] == CLOUD_PROFILE.id
    assert network.requests == []
    assert "refresh-secret" not in out + err and ACCESS not in err


def test_token_prints_only_the_token(
    keychain: MemoryStore, network: NoRequestsTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    store_sign_in(keychain, datetime.now(UTC) + timedelta(minutes=30))
    assert main(["token"]) == 0
    out, err = capsys.readouterr()
    assert out == ACCESS + "\n" and err == ""
    assert network.requests == []


def test_a_token_about_to_expire_is_renewed_not_printed(
    keychain: MemoryStore, network: NoRequestsTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    """Within a minute of expiry the stored token is not handed to a script: the command
    renews (here the network is down, so it says so, and keeps the sign-in)."""
    store_sign_in(keychain, datetime.now(UTC) + timedelta(seconds=30))
    before = keychain.get(f"session/{CLOUD_PROFILE.id}")
    assert main(["token", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and network.requests  # it tried (discovery first)
    assert "Error:" in err and "Traceback" not in err
    assert keychain.get(f"session/{CLOUD_PROFILE.id}") == before  # the sign-in is kept


def test_token_when_signed_out_fails_clearly(
    keychain: MemoryStore, network: NoRequestsTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Not signed in" in err
    assert network.requests == []


def test_a_renewal_the_keychain_refuses_is_printed_with_a_warning_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The token works (a script gets it), and the person learns on stderr that the next
    run will ask them to sign in again, because the renewed sign-in was not saved."""
    server = FakeAuthServer(issuer=CLOUD_PROFILE.issuer)
    server.refresh_tokens["refresh-secret"] = {"family": "f", "used": False, "scope": ""}
    store = FlakyStore()
    store_sign_in(store, datetime.now(UTC) - timedelta(minutes=5))  # expired: must renew
    store.failing = True
    original = CoreServices.create

    async def create(paths: Any, profiles: Any, **_: Any) -> CoreServices:
        return await original(
            paths,
            profiles,
            credential_store=store,
            http=httpx.AsyncClient(transport=httpx.MockTransport(server.handler)),
        )

    monkeypatch.setattr(CoreServices, "create", create)
    assert main(["token"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() in server.valid_access
    warnings = [line for line in err.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        "Warning: Your renewed sign-in to TwinEdge Cloud could not be saved in the system "
        "keychain (locked). The keychain still holds the previous one, which the server has "
        "already replaced, so the next start of TwinEdge Desktop (and `twinedge-desktop token`) "
        "will ask you to sign in again."
    ]
    assert "sign in again" in err and out.strip() not in err
    assert store.failed_writes >= 2  # at the renewal, and once more at exit


def test_the_printed_token_is_hidden_in_the_commands_own_log(
    keychain: MemoryStore,
    network: NoRequestsTransport,
    capsys: pytest.CaptureFixture[str],
    restored_logging: None,
) -> None:
    """An opaque token (no pattern knows it) that `token` printed never reaches the log
    file the command set up, bare or not."""
    opaque = "opaque-access-token-from-the-keychain"
    credential = UserCredential(CLOUD_PROFILE.client_id, "opaque-refresh-token-in-keychain")
    access = AccessToken(opaque, datetime.now(UTC) + timedelta(minutes=30), ("read:assets",))
    keychain.set(
        f"session/{CLOUD_PROFILE.id}", encode_entry(CLOUD_PROFILE.issuer, credential, access)
    )
    assert main(["token"]) == 0
    assert capsys.readouterr().out == opaque + "\n"
    log = RedactedLog(AppPaths.default().log_file)
    assert log.hides(opaque)
    assert log.hides("opaque-refresh-token-in-keychain")


def _with_server(monkeypatch: pytest.MonkeyPatch, store: MemoryStore) -> FakeAuthServer:
    server = FakeAuthServer(issuer=CLOUD_PROFILE.issuer)
    server.refresh_tokens["refresh-secret"] = {"family": "f", "used": False, "scope": ""}
    original = CoreServices.create

    async def create(paths: Any, profiles: Any, **_: Any) -> CoreServices:
        return await original(
            paths,
            profiles,
            credential_store=store,
            http=httpx.AsyncClient(transport=httpx.MockTransport(server.handler)),
        )

    monkeypatch.setattr(CoreServices, "create", create)
    return server


def test_rejected_renews_a_stored_token_the_api_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The SDK's 401: the stored token is still fresh by the clock, but the API refused it
    (revoked). `token --rejected -` renews instead of printing it again."""
    store = MemoryStore()
    store_sign_in(store, datetime.now(UTC) + timedelta(minutes=30))
    server = _with_server(monkeypatch, store)
    monkeypatch.setattr("sys.stdin", FakeStdin(ACCESS.encode() + b"\n"))
    assert main(["token", "--json", "--rejected", "-"]) == 0
    out, err = capsys.readouterr()
    renewed = json.loads(out)["access_token"]
    assert renewed != ACCESS and renewed in server.valid_access and err == ""
    assert [r["grant_type"] for r in server.token_requests] == ["refresh_token"]
    stored = json.loads(store.get(f"session/{CLOUD_PROFILE.id}") or "{}")
    assert stored["access_token"] == renewed  # shared with the other processes
    # Without --rejected, the renewed token is printed with no request.
    assert main(["token"]) == 0
    assert capsys.readouterr().out == renewed + "\n"
    assert len(server.token_requests) == 1


def test_rejected_prints_the_stored_token_when_another_process_already_renewed(
    keychain: MemoryStore,
    network: NoRequestsTransport,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_sign_in(keychain, datetime.now(UTC) + timedelta(minutes=30))
    monkeypatch.setattr("sys.stdin", FakeStdin(b"eyJhbGciOiJSUzI1NiJ9.eyJvbGQiOjF9.b2xk\n"))
    assert main(["token", "--rejected", "-"]) == 0
    assert capsys.readouterr().out == ACCESS + "\n"
    assert network.requests == []  # no renewal: the stored one is already another token


@pytest.mark.parametrize(
    ("stdin", "words"),
    [(b"", "needs the access token"), (b"\xff\xfe", "not UTF-8"), (b"x" * 70_000, "too long")],
)
def test_rejected_on_stdin_that_is_not_a_token_is_bad_usage(
    keychain: MemoryStore,
    network: NoRequestsTransport,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: bytes,
    words: str,
) -> None:
    store_sign_in(keychain, datetime.now(UTC) + timedelta(minutes=30))
    monkeypatch.setattr("sys.stdin", FakeStdin(stdin))
    assert main(["token", "--rejected", "-"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and words in err and network.requests == []
