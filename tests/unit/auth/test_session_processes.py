"""One sign-in, many processes: sessions that share one keychain entry (fake server).

Each ``Session`` built here stands for a process (the window, ``twinedge-desktop token``,
the SDK): they share only what processes share, the credential store and the lock
directory. The real thing (processes, gnome-keyring, the sandbox) is in
tests/e2e/test_many_processes.py; these make each rule cheap and exact.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import filelock
import httpx
import pytest

from tests.helpers.core_fixtures import FlakyStore, NoRequestsTransport
from tests.helpers.fake_auth_server import Browser, FakeAuthServer
from twinedge_desktop.api.errors import NetworkError
from twinedge_desktop.auth.errors import SignedOut
from twinedge_desktop.auth.locking import SignInBusy, lock_file_for
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import Profile
from twinedge_desktop.vault import KEYCHAIN_SERVICE, MemoryStore


class Clock:
    """A settable clock shared by the sessions (their processes agree on the time)."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lock_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def stored(store: MemoryStore, profile: Profile) -> dict[str, Any] | None:
    raw = store.get(f"session/{profile.id}")
    return json.loads(raw) if raw else None


def refreshes(server: FakeAuthServer) -> list[dict[str, str]]:
    return [r for r in server.token_requests if r["grant_type"] == "refresh_token"]


def process(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    clock: Clock,
    lock_dir: Path,
    **options: Any,
) -> Session:
    return Session(profile, http, store, clock=clock, lock_dir=lock_dir, **options)


async def signed_in_window(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
    **options: Any,
) -> Session:
    window = process(profile, http, store, clock, lock_dir, **options)
    await window.sign_in_with_browser(open_browser=Browser(server), timeout=10)
    return window


async def test_a_fresh_stored_token_is_used_with_no_request_at_all(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    shared = await window.access_token()
    clock.now += timedelta(minutes=50)  # 10 minutes of life left
    offline = NoRequestsTransport()
    async with httpx.AsyncClient(transport=offline) as no_network:
        terminal = process(profile, no_network, store, clock, lock_dir)
        assert await terminal.restore(describe=False) is True
        assert await terminal.access_token() == shared
    assert offline.requests == []  # no token request, no discovery, no /me
    assert terminal.info is not None and terminal.info.scopes == ("read:assets", "write:assets")


async def test_a_second_process_adopts_a_renewal_instead_of_reusing_the_spent_token(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    """The issue's first story: a terminal renews; an hour later the window must not
    present the refresh token the terminal already spent."""
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    terminal = process(profile, http, store, clock, lock_dir)
    assert await terminal.restore(describe=False)
    clock.now += timedelta(minutes=59, seconds=30)  # inside the refresh margin for both
    renewed_by_terminal = await terminal.access_token()
    assert len(refreshes(fake_server)) == 1
    # The window's own token is stale too; it adopts the terminal's with no request.
    assert await window.access_token() == renewed_by_terminal
    assert len(refreshes(fake_server)) == 1
    # An hour later the window renews with the refresh token the terminal stored.
    clock.now += timedelta(hours=1)
    renewed_by_window = await window.access_token()
    assert renewed_by_window in fake_server.valid_access
    assert fake_server.revoked_families == set()  # never a spent token presented
    # And the terminal, in turn, adopts the window's.
    assert await terminal.access_token() == renewed_by_window
    assert len(refreshes(fake_server)) == 2
    assert window.state is SessionState.SIGNED_IN and window.signed_out_reason is None


async def test_a_rejected_token_renewed_elsewhere_is_replaced_without_a_request(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    terminal = process(profile, http, store, clock, lock_dir)
    assert await terminal.restore(describe=False)
    rejected = await window.access_token()
    newer = await terminal.handle_unauthorized(rejected)  # the API said 401 to the terminal
    assert await window.handle_unauthorized(rejected) == newer
    assert len(refreshes(fake_server)) == 1


async def test_ten_processes_renewing_at_once_make_one_request(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    others = [process(profile, http, store, clock, lock_dir) for _ in range(9)]
    for other in others:
        assert await other.restore(describe=False)
    clock.now += timedelta(hours=1)
    fake_server.refresh_delay = 0.05  # keep the one renewal in flight while the others wait
    tokens = await asyncio.gather(*(s.access_token() for s in [window, *others]))
    assert len(set(tokens)) == 1 and tokens[0] in fake_server.valid_access
    assert len(refreshes(fake_server)) == 1
    assert fake_server.revoked_families == set()


async def test_an_entry_of_version_1_is_still_read_and_rewritten_as_version_2(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    entry = stored(store, profile)
    assert entry is not None
    old = {k: entry[k] for k in ("issuer", "kind", "client_id", "refresh_token")}
    store.set(f"session/{profile.id}", json.dumps({"v": 1, **old}))
    assert window.state is SessionState.SIGNED_IN  # (the window is not used further)
    restored = process(profile, http, store, clock, lock_dir)
    assert await restored.restore() is True
    assert refreshes(fake_server)[-1]["refresh_token"] == old["refresh_token"]
    rewritten = stored(store, profile)
    assert rewritten is not None and rewritten["v"] == 2 and "access_token" in rewritten


async def test_an_access_token_too_large_to_share_is_left_out_and_others_renew(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    """Windows Credential Manager keeps 2,560 bytes: access + refresh token may not fit.
    Then only what renews is stored, and another process renews (under the lock) rather
    than reuse a token it cannot see. Nothing is lost."""
    fake_server.access_token_bytes = 2000  # ~2,700 characters: over the limit with the rest
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    entry = stored(store, profile)
    assert entry is not None and "access_token" not in entry and entry["refresh_token"]
    terminal = process(profile, http, store, clock, lock_dir)
    assert await terminal.restore(describe=False) is True
    assert await terminal.access_token() in fake_server.valid_access
    assert len(refreshes(fake_server)) == 1
    clock.now += timedelta(hours=1)
    assert await window.access_token() in fake_server.valid_access  # adopted the rotation
    assert fake_server.revoked_families == set()


async def test_sign_out_elsewhere_ends_the_session_with_a_reason(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    changes: list[SessionState] = []
    window.add_listener(lambda: changes.append(window.state))
    await process(profile, http, store, clock, lock_dir).sign_out()  # `twinedge-desktop logout`
    before = len(fake_server.token_requests)
    clock.now += timedelta(hours=1)
    with pytest.raises(SignedOut, match="signed out in another"):
        await window.access_token()
    assert len(fake_server.token_requests) == before  # no stale token was sent
    assert window.state is SessionState.SIGNED_OUT and changes[-1] is SessionState.SIGNED_OUT
    assert window.signed_out_reason is not None
    assert "logout" in window.signed_out_reason.user_message


async def test_sync_with_keychain_notices_a_sign_out_at_once(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    await window.sync_with_keychain()
    assert window.state is SessionState.SIGNED_IN  # nothing changed: nothing happens
    await process(profile, http, store, clock, lock_dir).sign_out()
    await window.sync_with_keychain()
    assert window.state is SessionState.SIGNED_OUT
    assert window.signed_out_reason is not None


async def test_a_sign_in_elsewhere_is_adopted(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    clock.now += timedelta(minutes=30)
    again = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    newest = await again.access_token()
    clock.now += timedelta(minutes=29, seconds=30)  # the window's token is due, not the new one
    assert await window.access_token() == newest  # the new sign-in's token, no request
    assert refreshes(fake_server) == []


async def test_a_dropped_refresh_response_is_retried_with_the_same_token(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    """The server rotated but its answer was lost: the client retries with the refresh
    token it knows to be current, and the server's reuse grace answers the retry."""
    fake_server.reuse_grace = 60
    fake_server.now = clock.seconds
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    sent_first = stored(store, profile)
    fake_server.drop_refresh_responses = 1
    clock.now += timedelta(hours=1)
    token = await window.access_token()
    assert token in fake_server.valid_access and window.state is SessionState.SIGNED_IN
    presented = [r["refresh_token"] for r in refreshes(fake_server)]
    assert sent_first is not None and presented == [sent_first["refresh_token"]] * 2
    assert fake_server.dropped_refreshes == 1 and fake_server.grace_answers == 1
    assert fake_server.revoked_families == set()
    after = stored(store, profile)
    assert after is not None and after["access_token"] == token


@pytest.fixture
def quick_lost_answer_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The retry pauses after lost answers, shortened (the window is real time)."""
    monkeypatch.setattr("twinedge_desktop.auth.session.LOST_RESPONSE_RETRY_DELAYS", (0.01,))


async def test_two_lost_answers_in_a_row_are_retried_within_the_grace(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
    quick_lost_answer_retries: None,
) -> None:
    """Two answers lost in a row (issue: the message then said "still signed in", and a
    minute and a half later the server's grace had passed and the sign-in was gone). The
    same refresh token is presented again while the grace can answer it."""
    fake_server.reuse_grace = 60
    fake_server.now = clock.seconds
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    fake_server.drop_refresh_responses = 2
    clock.now += timedelta(hours=1)
    token = await window.access_token()
    assert token in fake_server.valid_access
    assert len(refreshes(fake_server)) == 3  # one request, two retries with the same token
    assert len({r["refresh_token"] for r in refreshes(fake_server)}) == 1
    assert fake_server.grace_answers == 2 and fake_server.revoked_families == set()
    assert window.state is SessionState.SIGNED_IN
    # The sign-in goes on: the next renewal uses what the grace answered with.
    clock.now += timedelta(hours=1)
    assert await window.access_token() in fake_server.valid_access
    assert fake_server.revoked_families == set()


async def test_answers_lost_for_longer_than_the_grace_are_reported_truthfully(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
    quick_lost_answer_retries: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("twinedge_desktop.auth.session.LOST_RESPONSE_RETRY_WINDOW", 0.2)
    fake_server.reuse_grace = 60
    fake_server.now = clock.seconds
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    entry_before = stored(store, profile)
    fake_server.drop_refresh_responses = 1000
    clock.now += timedelta(hours=1)
    with pytest.raises(NetworkError) as caught:
        await window.access_token()
    message = caught.value.user_message
    assert "could not be renewed" in message
    assert "may have renewed it without its answer" in message and "try again now" in message
    assert "still signed in" not in message  # that would not be true
    assert window.state is SessionState.SIGNED_IN and window.signed_out_reason is None
    assert stored(store, profile) == entry_before  # the saved sign-in is kept
    # After the server's grace the same token is a replay: the server ends the sign-in,
    # and the session says why it was lost.
    fake_server.drop_refresh_responses = 0
    clock.now += timedelta(minutes=2)
    with pytest.raises(SignedOut) as ended:
        await window.access_token()
    assert "Your sign-in was lost" in ended.value.user_message
    assert window.signed_out_reason is not None
    assert "answer never reached" in window.signed_out_reason.user_message


async def test_a_renewal_that_never_reached_the_server_is_not_retried_for_long(
    profile: Profile,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connection refused: the refresh token was not spent, so one quick retry, and the
    message that says so is true."""
    monkeypatch.setattr("twinedge_desktop.auth.session.TRANSPORT_RETRY_PAUSE", 0.0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake_server.handler)) as http:
        window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    refused: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        refused.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as down:
        terminal = process(profile, down, store, clock, lock_dir)
        terminal._metadata = window._metadata  # discovered earlier, as a window would have
        clock.now += timedelta(hours=1)
        with pytest.raises(NetworkError) as caught:
            await terminal.restore(describe=False)
    assert len(refused) == 2
    assert "You are still signed in: the server was not reached" in caught.value.user_message
    assert fake_server.revoked_families == set()


async def test_a_failed_keychain_write_keeps_the_rotated_token_and_saves_it_later(
    profile: Profile,
    http: httpx.AsyncClient,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    store = FlakyStore()
    window = await signed_in_window(
        profile, http, store, fake_server, clock, lock_dir, save_retry_delays=(0.05,)
    )
    changes: list[object] = []
    window.add_listener(lambda: changes.append(window.keychain_problem))
    spent = stored(store, profile)
    store.failing = True
    clock.now += timedelta(hours=1)
    token = await window.access_token()  # the refresh works; saving it does not
    assert token in fake_server.valid_access and window.state is SessionState.SIGNED_IN
    assert window.keychain_problem is not None and store.failed_writes >= 1
    assert "kept in memory" in window.keychain_problem.user_message
    assert stored(store, profile) == spent  # still the spent one
    assert window.unsaved_sign_in_message is not None
    # Retried on its timer while the keychain refuses; then it works again.
    await until(window, lambda: store.failed_writes >= 3)
    store.failing = False
    await until(window, lambda: window.keychain_problem is None)
    assert changes[-1] is None and window.unsaved_sign_in_message is None
    saved = stored(store, profile)
    assert saved is not None and saved["access_token"] == token
    # A restart once the write succeeded: the sign-in survives (the rotated token is there).
    clock.now += timedelta(hours=1)
    restarted = process(profile, http, store, clock, lock_dir)
    assert await restarted.restore() is True
    assert await restarted.access_token() in fake_server.valid_access
    assert fake_server.revoked_families == set()
    await window.aclose()


async def test_an_unsaved_rotation_is_saved_at_the_next_use(
    profile: Profile,
    http: httpx.AsyncClient,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    store = FlakyStore()
    window = await signed_in_window(
        profile, http, store, fake_server, clock, lock_dir, save_retry_delays=(3600,)
    )
    store.failing = True
    clock.now += timedelta(hours=1)
    await window.access_token()
    assert window.keychain_problem is not None
    store.failing = False
    await window.access_token()  # the next use wakes the (hour-long) retry timer
    await until(window, lambda: window.keychain_problem is None)
    assert window.unsaved_sign_in_message is None
    await window.aclose()


async def test_an_unsaved_rotation_at_exit_says_what_it_means(
    profile: Profile,
    http: httpx.AsyncClient,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    store = FlakyStore()
    window = await signed_in_window(profile, http, store, fake_server, clock, lock_dir)
    store.failing = True
    clock.now += timedelta(hours=1)
    await window.access_token()
    failed_before = store.failed_writes
    message = await window.aclose()
    assert store.failed_writes == failed_before + 1  # one last attempt at exit
    assert message is not None and "sign in again" in message and "keychain" in message
    assert "rt-" not in message and "at-" not in message


async def test_the_lock_wait_is_bounded_with_a_clear_message(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = await signed_in_window(
        profile, http, store, fake_server, clock, lock_dir, lock_wait=0.3
    )
    other_process = filelock.FileLock(
        str(lock_file_for(lock_dir, KEYCHAIN_SERVICE, f"session/{profile.id}"))
    )
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with other_process:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(5)
        clock.now += timedelta(hours=1)
        with pytest.raises(SignInBusy, match="Another TwinEdge Desktop process"):
            await window.access_token()
        assert window.state is SessionState.SIGNED_IN  # busy is not signed out
        assert refreshes(fake_server) == []
    finally:
        release.set()
        holder.join(5)
    assert await window.access_token() in fake_server.valid_access  # free again: it renews


async def test_a_stored_service_sign_in_shares_its_token_too(
    profile: Profile,
    http: httpx.AsyncClient,
    store: MemoryStore,
    fake_server: FakeAuthServer,
    clock: Clock,
    lock_dir: Path,
) -> None:
    window = process(profile, http, store, clock, lock_dir)
    await window.sign_in_with_client_credentials("svc", "s3cret-service", ["read:assets"])
    shared = await window.access_token()
    offline = NoRequestsTransport()
    async with httpx.AsyncClient(transport=offline) as no_network:
        terminal = process(profile, no_network, store, clock, lock_dir)
        assert await terminal.restore(describe=False) is True
        assert await terminal.access_token() == shared
    assert offline.requests == []


async def until(session: Session, condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until ``condition()`` holds, checked whenever the session notifies its listeners
    (it does on every save attempt); bounded by ``timeout``."""
    if condition():
        return
    met = asyncio.Event()
    remove = session.add_listener(lambda: met.set() if condition() else None)
    try:
        await asyncio.wait_for(met.wait(), timeout)
    finally:
        remove()
