"""Session: browser sign-in checks, token lifecycle, keychain use, sign-out (fake server)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers.fake_auth_server import Browser, FakeAuthServer, s256
from tests.helpers.recording import NoBrowser, record_code_verifiers
from twinedge_desktop.api.errors import ApiError, InvalidToken
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.errors import (
    IssuerMismatch,
    SignedOut,
    SignInCancelled,
    SignInDenied,
    SignInError,
    SignInTimedOut,
)
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import Profile
from twinedge_desktop.redaction import RedactingFilter
from twinedge_desktop.vault import MAX_ENTRY_BYTES, KeychainUnavailable, MemoryStore


def port_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def stored(store: MemoryStore, profile: Profile) -> dict[str, Any] | None:
    raw = store.get(f"session/{profile.id}")
    return json.loads(raw) if raw else None


async def test_browser_sign_in_with_pkce_and_opaque_tokens(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore, profile: Profile
) -> None:
    browser = Browser(fake_server)
    shown: list[str] = []
    info = await session.sign_in_with_browser(
        open_browser=browser, on_authorization_url=shown.append, timeout=10
    )
    page = await browser.page()
    assert page.status_code == 200 and "Signed in" in page.text
    assert str(page.url).endswith("/done") and "code=" not in str(page.url)
    assert shown == browser.opened  # the caller can always show / copy the same URL
    assert session.state is SessionState.SIGNED_IN
    assert info.kind == "user" and info.email == "person@example.test"  # from /v1/me
    assert info.scopes == ("read:assets", "write:assets")
    assert info.keychain == "not stored (this session only)"  # a MemoryStore is not persistent
    # The token request carried the verifier matching the challenge, and the same redirect_uri.
    (exchange,) = fake_server.token_requests
    authorize = fake_server.authorize(browser.opened[0])
    assert s256(exchange["code_verifier"]) == authorize["code_challenge"]
    assert exchange["redirect_uri"] == authorize["redirect_uri"]
    assert exchange["client_id"] == "desktop-app"
    # The refresh token and the current access token with its expiry are stored (version 2),
    # so another process uses the access token while it is fresh; under the size limit.
    entry = stored(store, profile)
    assert entry is not None and entry["v"] == 2 and entry["refresh_token"].startswith("rt-")
    assert entry["access_token"] == await session.access_token()
    assert info.access_expires_at is not None
    assert entry["access_expires_at"] == int(info.access_expires_at.timestamp())
    assert entry["access_scope"] == "read:assets write:assets"
    raw = store.get(f"session/{profile.id}") or ""
    assert len(raw.encode()) < MAX_ENTRY_BYTES
    assert port_closed(browser.ports[0])


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"iss": "https://other.example"}, IssuerMismatch),
        ({"iss": None}, IssuerMismatch),
    ],
)
async def test_a_wrong_issuer_never_reaches_the_token_endpoint(
    session: Session,
    fake_server: FakeAuthServer,
    overrides: dict[str, str | None],
    error: type[SignInError],
) -> None:
    browser = Browser(fake_server, **overrides)
    with pytest.raises(error) as info:
        await session.sign_in_with_browser(open_browser=browser, timeout=10)
    assert fake_server.token_requests == []
    assert session.state is SessionState.SIGNED_OUT
    page = await browser.page()
    assert info.value.user_message.split(":")[0] in page.text
    assert port_closed(browser.ports[0])


async def test_a_forged_callback_ahead_of_the_real_one_does_not_end_the_sign_in(
    session: Session, fake_server: FakeAuthServer
) -> None:
    forged_pages: list[httpx.Response] = []
    real = Browser(fake_server)

    async def forge_first(url: str) -> None:
        redirect_uri = fake_server.authorize(url)["redirect_uri"]
        async with httpx.AsyncClient(timeout=10) as client:
            forged_pages.append(await client.get(f"{redirect_uri}?state=forged&code=x"))
        real(url)

    tasks: list[asyncio.Task[None]] = []

    def open_browser(url: str) -> bool:
        tasks.append(asyncio.ensure_future(forge_first(url)))
        return True

    info = await session.sign_in_with_browser(open_browser=open_browser, timeout=10)
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert forged_pages[0].status_code == 400 and "not for the sign-in" in forged_pages[0].text
    assert info.kind == "user" and session.state is SessionState.SIGNED_IN
    assert (await real.page()).status_code == 200
    assert [r["grant_type"] for r in fake_server.token_requests] == ["authorization_code"]


async def test_iss_may_be_absent_when_the_server_does_not_announce_it(
    profile: Profile, store: MemoryStore
) -> None:
    server = FakeAuthServer(iss_supported=False)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as http:
        session = Session(profile, http, store)
        info = await session.sign_in_with_browser(open_browser=Browser(server), timeout=10)
    assert info.kind == "user"


async def test_access_denied_and_other_errors_get_specific_messages(
    session: Session, fake_server: FakeAuthServer
) -> None:
    with pytest.raises(SignInDenied, match="denied"):
        await session.sign_in_with_browser(
            open_browser=Browser(fake_server, code=None, error="access_denied"), timeout=10
        )
    browser = Browser(
        fake_server,
        code=None,
        error="temporarily_unavailable",
        error_description="<b>busy</b> access_token=eyJhbGciOi.eyJzdWIiOiJ4In0.c2ln",
    )
    with pytest.raises(SignInError) as info:
        await session.sign_in_with_browser(open_browser=browser, timeout=10)
    assert "temporarily unavailable" in info.value.user_message
    assert "eyJzdWIiOiJ4In0" not in info.value.user_message  # redacted
    page = await browser.page()
    assert "<b>busy</b>" not in page.text and "&lt;b&gt;busy" in page.text  # escaped
    assert fake_server.token_requests == []


async def test_timeout_gives_its_message_and_closes_the_listener(session: Session) -> None:
    no_browser = NoBrowser()
    with pytest.raises(SignInTimedOut, match="timed out"):
        await session.sign_in_with_browser(open_browser=no_browser, timeout=0.2)
    assert port_closed(no_browser.ports[0])
    assert session.state is SessionState.SIGNED_OUT


async def test_cancelling_the_task_or_the_sign_in_closes_the_listener(session: Session) -> None:
    no_browser = NoBrowser()
    task = asyncio.ensure_future(session.sign_in_with_browser(open_browser=no_browser, timeout=30))
    await asyncio.wait_for(no_browser.opened.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert port_closed(no_browser.ports[-1])

    no_browser.opened.clear()
    task = asyncio.ensure_future(session.sign_in_with_browser(open_browser=no_browser, timeout=30))
    await asyncio.wait_for(no_browser.opened.wait(), 5)
    session.cancel_sign_in()
    with pytest.raises(SignInCancelled, match="cancelled"):
        await task
    assert port_closed(no_browser.ports[-1])
    assert session.state is SessionState.SIGNED_OUT


async def test_browser_that_fails_to_open_still_leaves_the_url_to_copy(
    session: Session, fake_server: FakeAuthServer
) -> None:
    shown: list[str] = []

    def broken(url: str) -> bool:
        raise OSError("no browser")

    with pytest.raises(SignInTimedOut):
        await session.sign_in_with_browser(
            open_browser=broken, on_authorization_url=shown.append, timeout=0.2
        )
    assert shown and shown[0].startswith(fake_server.issuer + "/authorize?")


async def test_server_without_s256_is_refused_before_any_listener(
    profile: Profile, store: MemoryStore
) -> None:
    server = FakeAuthServer(metadata_overrides={"code_challenge_methods_supported": ["plain"]})
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as http:
        session = Session(profile, http, store)
        with pytest.raises(SignInError, match="S256"):
            await session.sign_in_with_browser(open_browser=lambda url: True, timeout=5)


@pytest.mark.parametrize(
    ("override", "expected"), [("read:assets", ("read:assets",)), (None, None)]
)
async def test_granted_scope_may_differ_or_be_omitted(
    profile: Profile, store: MemoryStore, override: str | None, expected: tuple[str, ...] | None
) -> None:
    server = FakeAuthServer(scope_override=override, include_scope=override is not None)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as http:
        session = Session(profile, http, store)
        info = await session.sign_in_with_browser(open_browser=Browser(server), timeout=10)
    assert info.scopes == (expected or profile.scopes)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def _signed_in(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    server: FakeAuthServer,
    clock: Callable[[], datetime] | None = None,
) -> Session:
    session = Session(profile, http, store, **({"clock": clock} if clock else {}))
    await session.sign_in_with_browser(open_browser=Browser(server), timeout=10)
    return session


async def test_refresh_happens_before_expiry_with_a_margin(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    clock = Clock()
    session = await _signed_in(profile, http, store, fake_server, clock)
    first = await session.access_token()
    clock.now += timedelta(seconds=3000)
    assert await session.access_token() == first  # still well within its life
    clock.now += timedelta(seconds=3600 - 3000 - 30)  # 30 s left: inside the margin
    second = await session.access_token()
    assert second != first and session.refresh_count == 1


async def test_without_a_refresh_token_expiry_signs_out_with_a_reason(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    fake_server.issue_refresh_tokens = False  # allowed by RFC 6749 §5.1
    clock = Clock()
    session = await _signed_in(profile, http, store, fake_server, clock)
    assert session.info is not None and session.info.keychain == "not stored (this session only)"
    clock.now += timedelta(seconds=3600)
    with pytest.raises(SignedOut, match="expired"):
        await session.access_token()
    # The session says so itself, so the window shows "signed out" and why.
    assert session.state is SessionState.SIGNED_OUT and session.info is None
    assert session.signed_out_reason is not None and "expired" in str(session.signed_out_reason)
    assert [r["grant_type"] for r in fake_server.token_requests] == ["authorization_code"]


@pytest.mark.parametrize("expires_in", [10**20, 10**400, -5, 0])
async def test_an_absurd_expires_in_is_treated_as_unknown_not_a_crash(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    expires_in: float,
) -> None:
    fake_server.expires_in = expires_in  # type: ignore[assignment] - a hostile server
    clock = Clock()
    session = await _signed_in(profile, http, store, fake_server, clock)
    assert session.info is not None and session.info.access_expires_at is None
    # Unknown expiry: the token is used until the API says 401, then refreshed once.
    first = await session.access_token()
    assert await session.handle_unauthorized(first) != first


async def test_twenty_concurrent_401s_cause_exactly_one_refresh(
    session: Session, fake_server: FakeAuthServer
) -> None:
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    rejected = await session.access_token()
    fake_server.refresh_delay = 0.05  # keep the refresh in flight while the others arrive
    tokens = await asyncio.gather(*(session.handle_unauthorized(rejected) for _ in range(20)))
    refreshes = [r for r in fake_server.token_requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1 and session.refresh_count == 1
    assert len(set(tokens)) == 1 and tokens[0] != rejected
    # A late 401 for the old token does not refresh again.
    assert await session.handle_unauthorized(rejected) == tokens[0]
    assert session.refresh_count == 1


async def test_rotated_refresh_token_is_stored_before_it_is_used_again(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore, profile: Profile
) -> None:
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    presented: list[tuple[str, str | None]] = []

    def check(form: dict[str, str]) -> None:
        if form["grant_type"] == "refresh_token":
            entry = stored(store, profile)
            presented.append((form["refresh_token"], entry and entry["refresh_token"]))

    fake_server.on_token_request = check
    for _ in range(3):
        await session.handle_unauthorized(await session.access_token())
    assert len(presented) == 3
    # Every refresh token presented was already in the keychain, and each one differs.
    assert all(sent == in_store for sent, in_store in presented)
    assert len({sent for sent, _ in presented}) == 3


async def test_a_cancelled_caller_does_not_lose_the_rotated_token(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore, profile: Profile
) -> None:
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    before = stored(store, profile)
    fake_server.refresh_gate = asyncio.Event()
    rejected = await session.access_token()
    caller = asyncio.ensure_future(session.handle_unauthorized(rejected))
    await asyncio.wait_for(fake_server.refresh_arrived.wait(), 10)  # the refresh is at the server
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    joiner = asyncio.ensure_future(session.handle_unauthorized(rejected))  # joins the refresh
    fake_server.refresh_gate.set()
    fresh = await asyncio.wait_for(joiner, 10)
    after = stored(store, profile)
    assert before and after and after["refresh_token"] != before["refresh_token"]
    assert fresh in fake_server.valid_access
    assert session.refresh_count == 1


async def test_sign_out_while_a_refresh_is_in_flight_stays_signed_out(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore, profile: Profile
) -> None:
    """A refresh answered after sign-out must not sign the person back in or re-save a token."""
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    fake_server.refresh_gate = asyncio.Event()
    fake_server.revoke_status = 503  # revocation fails: only the local state protects us
    rejected = await session.access_token()
    caller = asyncio.ensure_future(session.handle_unauthorized(rejected))
    await asyncio.wait_for(fake_server.refresh_arrived.wait(), 10)
    await asyncio.wait_for(session.sign_out(), 10)
    assert session.state is SessionState.SIGNED_OUT and stored(store, profile) is None
    revoked_before = len(fake_server.revocations)
    fake_server.refresh_gate.set()  # now the server answers the refresh with new tokens
    with pytest.raises(SignedOut):
        await asyncio.wait_for(caller, 10)
    assert session.state is SessionState.SIGNED_OUT
    assert stored(store, profile) is None
    with pytest.raises(SignedOut):
        await session.access_token()
    # The refresh token the late answer carried is revoked at once (best effort).
    issued = [t for t, r in fake_server.refresh_tokens.items() if not r["used"]]
    late = [f["token"] for f in fake_server.revocations[revoked_before:]]
    assert issued and issued[-1] in late


async def test_sign_out_while_a_service_token_is_renewed_stays_signed_out(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore, profile: Profile
) -> None:
    await session.sign_in_with_client_credentials("svc", "s3cret-service", ["read:assets"])
    fake_server.refresh_gate = asyncio.Event()
    caller = asyncio.ensure_future(session.handle_unauthorized(await session.access_token()))
    await asyncio.wait_for(fake_server.refresh_arrived.wait(), 10)
    await asyncio.wait_for(session.sign_out(), 10)
    fake_server.refresh_gate.set()
    with pytest.raises(SignedOut):
        await asyncio.wait_for(caller, 10)
    assert session.state is SessionState.SIGNED_OUT and session.info is None
    assert stored(store, profile) is None


async def test_invalid_grant_on_refresh_signs_out_and_clears_the_keychain(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore, profile: Profile
) -> None:
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    fake_server.revoked_families.update(r["family"] for r in fake_server.refresh_tokens.values())
    changes: list[SessionState] = []
    session.add_listener(lambda: changes.append(session.state))
    with pytest.raises(SignedOut, match="Sign in again"):
        await session.handle_unauthorized(await session.access_token())
    assert session.state is SessionState.SIGNED_OUT and changes[-1] is SessionState.SIGNED_OUT
    assert stored(store, profile) is None
    assert session.signed_out_reason is not None
    with pytest.raises(SignedOut):
        await session.access_token()


async def test_restore_from_the_keychain_without_a_browser(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    await _signed_in(profile, http, store, fake_server)
    fresh = Session(profile, http, store)
    assert await fresh.restore() is True
    assert fresh.state is SessionState.SIGNED_IN and fresh.info is not None
    assert fresh.info.email == "person@example.test"
    assert await fresh.access_token() in fake_server.valid_access
    assert await Session(profile, http, MemoryStore()).restore() is False


async def test_restore_never_sends_a_token_saved_for_another_issuer(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    await _signed_in(profile, http, store, fake_server)
    moved = Profile(id=profile.id, name="x", issuer="https://elsewhere.example")
    before = len(fake_server.token_requests)
    assert await Session(moved, http, store).restore() is False
    assert len(fake_server.token_requests) == before


async def test_restore_never_sends_a_token_saved_for_another_client(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    """A refresh token is bound to the client it was issued to (RFC 6749 §6): presenting it
    as another client would only hand it to the server under the wrong name."""
    await _signed_in(profile, http, store, fake_server)
    other_client = Profile(
        id=profile.id, name=profile.name, issuer=profile.issuer, client_id="another-app"
    )
    before = len(fake_server.token_requests)
    assert await Session(other_client, http, store).restore() is False
    assert len(fake_server.token_requests) == before


async def test_restore_with_a_revoked_token_reports_signed_out(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    clock = Clock()
    await _signed_in(profile, http, store, fake_server, clock)
    fake_server.revoked_families.update(r["family"] for r in fake_server.refresh_tokens.values())
    clock.now += timedelta(hours=2)  # the stored access token has expired: restore renews
    fresh = Session(profile, http, store, clock=clock)
    assert await fresh.restore() is False
    assert isinstance(fresh.signed_out_reason, SignedOut)
    assert stored(store, profile) is None


@pytest.mark.parametrize("revoke_status", [200, 503])
async def test_sign_out_revokes_then_forgets_even_when_revocation_fails(
    session: Session,
    fake_server: FakeAuthServer,
    store: MemoryStore,
    profile: Profile,
    revoke_status: int,
) -> None:
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    entry = stored(store, profile)
    assert entry is not None
    fake_server.revoke_status = revoke_status
    await session.sign_out()
    hints = [(r["token_type_hint"], r["token"][:3]) for r in fake_server.revocations]
    assert hints == [("refresh_token", "rt-"), ("access_token", "at-")]
    assert all(r["client_id"] == "desktop-app" for r in fake_server.revocations)
    assert stored(store, profile) is None
    assert session.state is SessionState.SIGNED_OUT
    assert session.last_sign_out_revoked is (revoke_status == 200)


async def test_sign_out_of_a_restorable_session_revokes_the_stored_token(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    await _signed_in(profile, http, store, fake_server)
    entry = stored(store, profile)
    assert entry is not None
    await Session(profile, http, store).sign_out()  # a new process: nothing in memory
    # Both stored tokens: the access token is shared with every other process too.
    assert [r["token"] for r in fake_server.revocations] == [
        entry["refresh_token"],
        entry["access_token"],
    ]
    assert stored(store, profile) is None


async def test_client_credentials_session_and_restore(
    profile: Profile, http: httpx.AsyncClient, store: MemoryStore, fake_server: FakeAuthServer
) -> None:
    session = Session(profile, http, store)
    info = await session.sign_in_with_client_credentials("svc", "s3cret-service", ["read:assets"])
    assert info.kind == "service" and info.subject == "svc"
    request = fake_server.requests[-1]
    # RFC 6749 §2.3.1 HTTP Basic by default (metadata lists no auth methods).
    assert request.headers["Authorization"].startswith("Basic ")
    assert "client_secret" not in fake_server.token_requests[-1]
    restored = Session(profile, http, store)
    assert await restored.restore() is True
    assert restored.info is not None and restored.info.kind == "service"


async def test_api_key_session_is_never_stored_and_never_refreshed(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore
) -> None:
    fake_server.valid_access.add("te_key_for_test")
    info = await session.use_api_key("te_key_for_test")
    assert info.kind == "api_key" and info.email == "person@example.test"
    assert await session.access_token() == "te_key_for_test"
    assert store.keys() == []
    with pytest.raises(InvalidToken):
        await session.handle_unauthorized("te_key_for_test")


async def test_api_key_checked_against_a_non_json_answer_gives_a_typed_error(
    profile: Profile, store: MemoryStore
) -> None:
    portal = httpx.MockTransport(
        lambda request: httpx.Response(200, text="<html>Wi-Fi login</html>")
    )
    async with build_http_client(transport=portal, trust_env=False) as http:
        session = Session(profile, http, store)
        with pytest.raises(ApiError, match="expected form"):
            await session.use_api_key("te_key_for_test")
    assert session.state is SessionState.SIGNED_OUT


async def test_a_refresh_token_too_large_for_the_keychain_is_a_clear_error(
    session: Session, fake_server: FakeAuthServer, store: MemoryStore, profile: Profile
) -> None:
    fake_server.refresh_token_bytes = 3000  # over the 2,500-byte portable keychain limit
    with pytest.raises(KeychainUnavailable) as caught:
        await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    assert "too large" in caught.value.user_message and "rt-" not in str(caught.value)
    assert session.state is SessionState.SIGNED_OUT and stored(store, profile) is None
    # Not kept, so not left alive at the server either.
    assert [r["token_type_hint"] for r in fake_server.revocations] == ["refresh_token"]


async def test_a_rotated_refresh_token_too_large_to_save_keeps_the_session_and_says_so(
    session: Session, fake_server: FakeAuthServer
) -> None:
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    fake_server.refresh_token_bytes = 3000
    fresh = await session.handle_unauthorized(await session.access_token())
    assert fresh in fake_server.valid_access and session.state is SessionState.SIGNED_IN
    assert session.keychain_problem is not None
    assert "too large" in session.keychain_problem.user_message


async def test_no_secret_reaches_the_log(
    session: Session,
    fake_server: FakeAuthServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifiers = record_code_verifiers(monkeypatch)
    caplog.set_level(logging.DEBUG)
    await session.sign_in_with_browser(open_browser=Browser(fake_server), timeout=10)
    await session.handle_unauthorized(await session.access_token())
    await session.sign_out()
    secrets_used = [
        *fake_server.valid_access,
        *fake_server.refresh_tokens,
        *verifiers,
        *(r.get("code", "") for r in fake_server.token_requests if r.get("code")),
    ]
    assert secrets_used
    # The app's own log lines never carry a secret, even before redaction ...
    own = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("twinedge"))
    assert own and not [s for s in secrets_used if s in own]
    # ... and after the RedactingFilter every handler of the app has, nothing from any
    # library (httpx logs URLs, including this test's own browser visiting the callback).
    redacting = RedactingFilter()
    for record in caplog.records:
        redacting.filter(record)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert not [s for s in secrets_used if s in everything]
