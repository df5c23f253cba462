"""The desktop link and the default chain, with a fake ``twinedge-desktop`` on PATH.

The fake prints the documented ``token --json`` format (or fails the ways the real
one does). The real app, signed in through a real browser into a private keychain,
is exercised in tests/e2e/test_sdk_desktop.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import httpx
import pytest
from sdk_helpers import FakeDesktop, MockApi, MutableClock, error_response, make_key, rfc3339

from twinedge import (
    ApiKeyCredential,
    AsyncTwinEdgeClient,
    ClientCredentials,
    ConfigurationError,
    CredentialUnavailable,
    DesktopCredential,
    InvalidToken,
    TwinEdgeClient,
    TwinEdgeError,
)


def test_with_nothing_configured_the_chain_uses_the_desktop_sign_in(
    fake_desktop: FakeDesktop,
) -> None:
    api = MockApi()
    client = TwinEdgeClient(http_client=api.client())
    assert isinstance(client.credential, DesktopCredential)
    assert client.credential.source == "twinedge-desktop"
    assert fake_desktop.calls == []  # nothing runs until a request needs a token
    client.assets.list()
    client.alerts.list()
    assert fake_desktop.calls == ["token --json"]
    assert api.bearers == [f"Bearer {fake_desktop.token}"] * 2
    assert "sandbox-127-0-0-1" in repr(client.credential)
    assert fake_desktop.token not in repr(client) + repr(client.credential)


def test_the_desktop_is_asked_again_when_its_token_is_due(fake_desktop: FakeDesktop) -> None:
    api = MockApi()
    clock = MutableClock()
    credential = DesktopCredential(clock=clock)
    client = TwinEdgeClient(credential=credential, http_client=api.client())
    client.me()
    clock.offset = 3500  # 100 s left: fresh
    client.me()
    assert len(fake_desktop.calls) == 1
    fake_desktop.token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJuZXcifQ.bmV3"
    fake_desktop.expires_at = rfc3339(time.time() + 7200)
    clock.offset = 3550  # 50 s left: due
    client.me()
    assert len(fake_desktop.calls) == 2
    assert api.bearers[-1] == f"Bearer {fake_desktop.token}"


def test_a_named_profile_is_passed_on(fake_desktop: FakeDesktop) -> None:
    api = MockApi()
    credential = DesktopCredential(profile="sandbox-127-0-0-1")
    TwinEdgeClient(credential=credential, http_client=api.client()).me()
    assert fake_desktop.calls == ["token --json --profile sandbox-127-0-0-1"]


def _reject(token: str) -> MockApi:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == f"Bearer {token}":
            return error_response(401, "invalid_token", "The access token was revoked")
        return httpx.Response(200, json={"sub": "user-123"})

    return MockApi(handler)


def test_after_a_401_the_desktop_is_asked_for_a_new_token(fake_desktop: FakeDesktop) -> None:
    api = _reject(fake_desktop.token)
    client = TwinEdgeClient(http_client=api.client())
    client.credential.token(api.client())  # the first token, then the app signs in again
    fake_desktop.token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2FpbiJ9.YWdhaW4"
    assert client.me() == {"sub": "user-123"}
    assert len(fake_desktop.calls) == 2 and len(api.requests) == 2


def test_when_the_desktop_hands_back_the_rejected_token_the_401_says_what_to_do(
    fake_desktop: FakeDesktop,
) -> None:
    api = _reject(fake_desktop.token)
    client = TwinEdgeClient(http_client=api.client())
    with pytest.raises(InvalidToken) as caught:
        client.me()
    assert "twinedge-desktop login" in str(caught.value)
    assert "sandbox-127-0-0-1" in str(caught.value)
    assert len(api.requests) == 1  # the same token again: no pointless retry
    assert len(fake_desktop.calls) == 2
    assert fake_desktop.token not in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("signed_out", "not signed in: run `twinedge-desktop login`"),
        ("too_old", "too old for the SDK"),
        ("garbage", "other than the expected JSON"),
        ("leaky_failure", "failed: Error: the server refused [redacted]"),
    ],
)
def test_desktop_failures_name_the_next_step_and_never_a_token(
    fake_desktop: FakeDesktop, mode: str, words: str
) -> None:
    fake_desktop.mode = mode
    client = TwinEdgeClient(http_client=MockApi().client())
    with pytest.raises(CredentialUnavailable) as caught:
        client.me()
    assert words in str(caught.value)
    assert "TWINEDGE_API_KEY" in str(caught.value) or mode == "leaky_failure"
    assert fake_desktop.token not in str(caught.value) + repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_a_desktop_that_does_not_answer_is_given_up_on(fake_desktop: FakeDesktop) -> None:
    fake_desktop.delay = 30
    client = TwinEdgeClient(
        credential=DesktopCredential(timeout=0.5), http_client=MockApi().client()
    )
    with pytest.raises(CredentialUnavailable, match=r"did not answer within 0\.5 s"):
        client.me()


def test_without_the_desktop_app_the_error_says_install_it_or_set_a_key() -> None:
    with pytest.raises(CredentialUnavailable) as caught:
        TwinEdgeClient()
    assert "install TwinEdge Desktop or set TWINEDGE_API_KEY" in str(caught.value)


def test_a_desktop_program_that_cannot_run_says_so(tmp_path: object) -> None:
    with pytest.raises(CredentialUnavailable, match="not on PATH"):
        DesktopCredential(command="/nonexistent/twinedge-desktop")


def test_the_environment_comes_before_the_desktop(
    fake_desktop: FakeDesktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_key()
    monkeypatch.setenv("TWINEDGE_CLIENT_ID", "svc")
    monkeypatch.setenv("TWINEDGE_CLIENT_SECRET", "service-secret-123")
    by_client = TwinEdgeClient(scopes=["read:alerts"])
    assert isinstance(by_client.credential, ClientCredentials)
    assert by_client.credential.source == "TWINEDGE_CLIENT_ID + TWINEDGE_CLIENT_SECRET"
    assert by_client.credential.scopes == ("read:alerts",)
    monkeypatch.setenv("TWINEDGE_API_KEY", key)
    by_key = TwinEdgeClient(scopes=["read:alerts"])  # scopes do not apply to a key: ignored
    assert isinstance(by_key.credential, ApiKeyCredential)
    assert by_key.credential.source == "TWINEDGE_API_KEY"
    assert fake_desktop.calls == []


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ("TWINEDGE_CLIENT_ID", "TWINEDGE_CLIENT_SECRET"),
        ("TWINEDGE_CLIENT_SECRET", "TWINEDGE_CLIENT_ID"),
    ],
)
def test_half_a_client_pair_fails_instead_of_falling_through_to_the_desktop(
    fake_desktop: FakeDesktop, monkeypatch: pytest.MonkeyPatch, present: str, missing: str
) -> None:
    monkeypatch.setenv(present, "value")
    with pytest.raises(ConfigurationError) as caught:
        TwinEdgeClient()
    assert f"{present} is set but {missing} is not" in str(caught.value)


def test_a_malformed_key_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWINEDGE_API_KEY", "te_tooShort")
    with pytest.raises(ConfigurationError, match=r"\(from TWINEDGE_API_KEY\)") as caught:
        TwinEdgeClient()
    assert "te_tooShort" not in str(caught.value)


def test_threads_share_one_desktop_run(fake_desktop: FakeDesktop) -> None:
    fake_desktop.delay = 0.3
    api = MockApi()
    client = TwinEdgeClient(http_client=api.client())
    barrier = threading.Barrier(8, timeout=10)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            barrier.wait()
            client.me()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(api.requests) == 8
    assert fake_desktop.calls == ["token --json"]


def test_tasks_share_one_desktop_run(fake_desktop: FakeDesktop) -> None:
    fake_desktop.delay = 0.3
    api = MockApi()

    async def run() -> None:
        async with AsyncTwinEdgeClient(http_client=api.async_client()) as client:
            assert isinstance(client.credential, DesktopCredential)
            await asyncio.gather(*(client.me() for _ in range(20)))

    asyncio.run(run())
    assert len(api.requests) == 20
    assert fake_desktop.calls == ["token --json"]


def test_an_expired_desktop_token_is_still_tried_once(fake_desktop: FakeDesktop) -> None:
    """The app refreshes on its own; a token it calls current is used, and the server
    decides (a 401 then names the next step)."""
    fake_desktop.expires_at = rfc3339(time.time() - 10)
    api = MockApi()
    TwinEdgeClient(http_client=api.client()).me()
    assert api.bearers == [f"Bearer {fake_desktop.token}"]


def test_a_token_a_header_cannot_carry_is_refused_without_quoting_it(
    fake_desktop: FakeDesktop,
) -> None:
    fake_desktop.token = "abc def\u00e9"
    client = TwinEdgeClient(http_client=MockApi().client())
    with pytest.raises(TwinEdgeError, match="characters a header cannot carry") as caught:
        client.me()
    assert "abc def" not in str(caught.value)


def test_the_choice_is_logged_at_debug_level_without_the_secret(
    fake_desktop: FakeDesktop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="twinedge")
    TwinEdgeClient()
    key = make_key()
    monkeypatch.setenv("TWINEDGE_API_KEY", key)
    TwinEdgeClient()
    chosen = [r.getMessage() for r in caplog.records if "credential chain chose" in r.getMessage()]
    assert chosen == [
        f"credential chain chose DesktopCredential(command={str(fake_desktop.path)!r}, "
        "source='twinedge-desktop')",
        f"credential chain chose ApiKeyCredential(prefix={key[:12]!r}, source='TWINEDGE_API_KEY')",
    ]
    assert all(record.levelno == logging.DEBUG for record in caplog.records)
    assert key not in caplog.text
