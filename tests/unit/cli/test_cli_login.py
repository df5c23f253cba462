"""``twinedge-desktop login --issuer`` in-process against the fake server: where the API is.

The real command runs (parsing, discovery, browser sign-in through the loopback
listener, profile saved); the fake server plays the authorization server and API,
a fake browser follows its redirect, the keychain is a MemoryStore.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers.fake_auth_server import API, ISSUER, Browser, FakeAuthServer
from twinedge_desktop.cli import auth as auth_cli
from twinedge_desktop.cli import main
from twinedge_desktop.config import AppPaths, ProfileStore, profile_id_for_issuer
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAuthServer]:
    fake = FakeAuthServer()
    original = CoreServices.create

    async def create(paths: Any, profiles: Any, **_: Any) -> CoreServices:
        return await original(
            paths,
            profiles,
            credential_store=MemoryStore(),
            http=httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)),
        )

    monkeypatch.setattr(CoreServices, "create", create)
    monkeypatch.setattr(auth_cli, "system_browser_opener", lambda enabled=True: Browser(fake))
    yield fake


def saved_profile() -> Any:
    store = ProfileStore.load(AppPaths.default().profiles_file)
    return store.current


def test_login_takes_the_api_from_the_servers_metadata(
    server: FakeAuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.metadata_overrides["api_base_url"] = API
    assert main(["login", "--issuer", ISSUER]) == 0
    err = capsys.readouterr().err
    profile = saved_profile()
    assert profile.id == profile_id_for_issuer(ISSUER) and profile.api_base == API
    assert "Pat Person <person@example.test>" in err  # /v1/me at the metadata's API
    assert "Note:" not in err


@pytest.mark.parametrize("api_from", ["metadata", "--api-url"])
def test_login_asks_for_discovery_and_me_once_each(
    server: FakeAuthServer, capsys: pytest.CaptureFixture[str], api_from: str
) -> None:
    """``login --issuer`` discovers to make the profile; the sign-in reuses that metadata,
    and the name printed is the one the sign-in's own /me brought (no second request)."""
    argv = ["login", "--issuer", ISSUER]
    if api_from == "metadata":
        server.metadata_overrides["api_base_url"] = API
    else:
        argv += ["--api-url", API]
    assert main(argv) == 0
    paths = [request.url.path for request in server.requests]
    assert paths.count("/.well-known/oauth-authorization-server") == 1, paths
    assert sum(path.endswith("/me") for path in paths) == 1, paths
    assert "Pat Person <person@example.test>" in capsys.readouterr().err


def test_a_typed_api_url_wins_over_the_metadata_with_a_note(
    server: FakeAuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.metadata_overrides["api_base_url"] = "https://gateway-unknown-here.test/v1"
    assert main(["login", "--issuer", ISSUER, "--api-url", API]) == 0
    err = capsys.readouterr().err
    assert saved_profile().api_base == API
    assert "Pat Person <person@example.test>" in err  # /v1/me at the typed API
    assert (
        "Note: the server names its API at https://gateway-unknown-here.test/v1; using "
        f"{API} from --api-url as you asked."
    ) in err
    assert not any("gateway-unknown-here" in str(request.url) for request in server.requests)


def test_login_takes_the_api_from_api_url_when_the_metadata_has_none(
    server: FakeAuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["login", "--issuer", ISSUER, "--api-url", API]) == 0
    assert saved_profile().api_base == API
    assert "Pat Person" in capsys.readouterr().err


def test_without_either_the_profile_is_sign_in_only(
    server: FakeAuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["login", "--issuer", ISSUER]) == 0  # opaque tokens: no audience to try
    assert saved_profile().api_base is None
    assert "Signed in to" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["login", "--api-url", API], "--api-url needs --issuer"),
        (["login", "--issuer", ISSUER, "--api-url", "http://api.example/v1"], "https://"),
    ],
)
def test_bad_api_url_usage_exits_2(
    server: FakeAuthServer, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert main(argv) == 2
    assert words in capsys.readouterr().err
    assert server.requests == []
