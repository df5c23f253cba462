"""Every secret is registered for redaction where it enters the process.

Each test starts from an empty registry, lets one source hand the process a secret,
then logs that secret *bare* through the app's real logging setup
(``tests/helpers/logs.py``). The fake server's tokens are opaque (``at-…``, ``rt-…``):
no pattern can recognise them, so only registration hides them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers.fake_auth_server import Browser, FakeAuthServer
from tests.helpers.logs import RedactedLog
from tests.helpers.recording import record_code_verifiers
from twinedge_desktop.auth.credentials import AccessToken, UserCredential, encode_entry
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.loopback import LoopbackListener
from twinedge_desktop.auth.playground import (
    AppCredentials,
    Playground,
    build_authorization_request,
    check_callback_params,
)
from twinedge_desktop.auth.session import Session
from twinedge_desktop.config import Profile
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.redaction import forget_all_secrets
from twinedge_desktop.vault import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _entry(store: MemoryStore, profile: Profile) -> dict[str, str]:
    import json

    raw = store.get(f"session/{profile.id}")
    assert raw is not None
    data: dict[str, str] = json.loads(raw)
    return data


async def test_a_browser_sign_in_hides_its_tokens_its_verifier_and_its_code(
    session: Session,
    fake_server: FakeAuthServer,
    store: MemoryStore,
    profile: Profile,
    redacted_log: RedactedLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifiers = record_code_verifiers(monkeypatch)
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)

    (exchange,) = fake_server.token_requests
    entry = _entry(store, profile)
    assert exchange["code_verifier"] == verifiers[0]
    assert entry["access_token"].startswith("at-") and entry["refresh_token"].startswith("rt-")
    assert redacted_log.hides(entry["access_token"])
    assert redacted_log.hides(entry["refresh_token"])
    assert redacted_log.hides(verifiers[0])
    assert redacted_log.hides(exchange["code"])


async def test_a_token_response_is_hidden_also_when_nothing_is_stored(
    session: Session,
    fake_server: FakeAuthServer,
    store: MemoryStore,
    redacted_log: RedactedLog,
) -> None:
    # No refresh token: nothing goes to the keychain, so only the token response can
    # have registered the access token.
    fake_server.issue_refresh_tokens = False
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    assert store.keys() == []
    token = await session.access_token()
    assert token.startswith("at-") and redacted_log.hides(token)


async def test_a_renewal_hides_the_new_tokens(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    redacted_log: RedactedLog,
) -> None:
    clock = Clock()
    session = Session(profile, http, store, clock=clock)
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    forget_all_secrets()  # only what the renewal brings counts
    clock.now += timedelta(hours=2)

    renewed = await session.access_token()

    assert session.refresh_count == 1
    assert redacted_log.hides(renewed)
    assert redacted_log.hides(_entry(store, profile)["refresh_token"])


async def test_a_sign_in_read_back_from_the_keychain_is_hidden(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, redacted_log: RedactedLog
) -> None:
    # Written by another process: this one has never seen these values.
    access = AccessToken("at-stored-by-another-process", datetime.now(UTC) + timedelta(hours=1))
    credential = UserCredential(profile.client_id, "rt-stored-by-another-process")
    store.set(f"session/{profile.id}", encode_entry(profile.issuer, credential, access))

    restored = Session(profile, http, store)
    assert await restored.restore(describe=False)  # a fresh stored token: no request at all

    assert redacted_log.hides("at-stored-by-another-process")
    assert redacted_log.hides("rt-stored-by-another-process")


async def test_a_keychain_entry_for_another_server_is_hidden_too(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, redacted_log: RedactedLog
) -> None:
    credential = UserCredential(profile.client_id, "rt-of-some-other-server")
    store.set(f"session/{profile.id}", encode_entry("https://elsewhere.test", credential, None))

    assert not await Session(profile, http, store).restore()

    assert redacted_log.hides("rt-of-some-other-server")


async def test_client_credentials_hide_the_secret_and_the_token(
    session: Session, store: MemoryStore, profile: Profile, redacted_log: RedactedLog
) -> None:
    await session.sign_in_with_client_credentials("svc", "s3cret-service", ["read:assets"])

    assert redacted_log.hides("s3cret-service")
    assert redacted_log.hides(_entry(store, profile)["access_token"])


async def test_a_refused_client_secret_is_hidden_as_well(
    session: Session, fake_server: FakeAuthServer, redacted_log: RedactedLog
) -> None:
    from twinedge_desktop.auth.errors import SignInError

    # The fake server checks a secret sent in the form (client_secret_post).
    fake_server.metadata_overrides["token_endpoint_auth_methods_supported"] = ["client_secret_post"]
    with pytest.raises(SignInError, match="client id or secret not accepted"):
        await session.sign_in_with_client_credentials("svc", "wrong-service-secret")
    assert redacted_log.hides("wrong-service-secret")


async def test_an_api_key_in_use_is_hidden(
    session: Session, fake_server: FakeAuthServer, redacted_log: RedactedLog
) -> None:
    key = "opaque-api-key-0123456789"  # not te_-shaped: only registration can hide it
    fake_server.valid_access.add(key)
    await session.use_api_key(key)
    assert redacted_log.hides(key)


async def test_an_api_key_that_cannot_be_checked_is_hidden_all_the_same(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, redacted_log: RedactedLog
) -> None:
    from dataclasses import replace

    from twinedge_desktop.auth.errors import SignInError

    no_api = Session(replace(profile, api_base=None), http, store)
    with pytest.raises(SignInError, match="no API address"):
        await no_api.use_api_key("opaque-api-key-never-sent")
    assert redacted_log.hides("opaque-api-key-never-sent")


async def test_the_listener_hides_the_code_of_its_own_callback_only(
    redacted_log: RedactedLog,
) -> None:
    async with LoopbackListener(expected_state="the-state-of-this-sign-in") as listener:
        async with httpx.AsyncClient(timeout=10) as browser:
            forged = await browser.get(
                listener.redirect_uri,
                params={"code": "code-from-a-forged-callback", "state": "not-ours-at-all"},
            )
            real = await browser.get(
                listener.redirect_uri,
                params={"code": "code-of-the-real-callback", "state": "the-state-of-this-sign-in"},
            )
        params = await listener.wait_for_callback()
    assert forged.status_code == 400 and real.status_code == 303
    assert params["code"] == "code-of-the-real-callback"
    assert redacted_log.hides("code-of-the-real-callback")
    # A callback anyone on this computer can send does not fill the bounded registry.
    assert not redacted_log.hides("code-from-a-forged-callback")


def _metadata() -> ServerMetadata:
    return ServerMetadata.from_json(
        {
            "issuer": "https://auth.example.test",
            "authorization_endpoint": "https://auth.example.test/authorize",
            "token_endpoint": "https://auth.example.test/token",
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }
    )


async def test_the_playground_hides_what_it_is_given_and_what_it_receives(
    redacted_log: RedactedLog,
) -> None:
    def token_endpoint(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "access_token": "at-playground-answer",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "rt-playground-answer",
                "id_token": "id-playground-answer",
            },
        )

    request = build_authorization_request(
        _metadata(),
        client_id="client-1",
        application_type=ApplicationType.WEB,
        redirect_uri="https://app.example.com/callback",
    )
    assert request.code_verifier is not None
    assert redacted_log.hides(request.code_verifier)
    callback = check_callback_params(
        {"code": "code-pasted-in", "state": request.state, "iss": "https://auth.example.test"},
        request,
        _metadata(),
    )
    assert redacted_log.hides("code-pasted-in")

    transport = httpx.MockTransport(token_endpoint)
    async with httpx.AsyncClient(transport=transport) as http:
        playground = Playground(http, _metadata())
        credentials = AppCredentials("client-1", "typed-client-secret")
        exchange = await playground.exchange_code(credentials, callback, request)
        assert exchange.ok
        assert redacted_log.hides("typed-client-secret")
        for token in ("at-playground-answer", "rt-playground-answer", "id-playground-answer"):
            assert redacted_log.hides(token)
        forget_all_secrets()
        await playground.refresh(credentials, "rt-pasted-by-hand")
        assert redacted_log.hides("rt-pasted-by-hand")
