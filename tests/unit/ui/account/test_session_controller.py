"""The session controller: sign-in flows, failures, restore and sign-out, on a fake session."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.helpers.session_fakes import FakeSession, user_info
from tests.helpers.waiting import expect, until
from twinedge_desktop.api.errors import NetworkError
from twinedge_desktop.auth.errors import (
    DiscoveryError,
    IssuerMismatch,
    SignedOut,
    SignInCancelled,
    SignInDenied,
    SignInError,
    SignInTimedOut,
    StateMismatch,
)
from twinedge_desktop.auth.session import SessionState
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.ui.account.session_controller import (
    SessionController,
    SignInFlow,
    classify_failure,
)
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.vault import KeychainUnavailable

WAIT_MS = 3000


@pytest.fixture
def opened() -> list[str]:
    return []


@pytest.fixture
def controller(messages: Any, opened: list[str]) -> SessionController:
    runner = TaskRunner(messages)

    def open_browser(url: str) -> bool:
        opened.append(url)
        return True

    return SessionController(runner, messages, open_browser=open_browser, sign_in_timeout=120)


@pytest.fixture
def session() -> FakeSession:
    return FakeSession(sandbox_profile("http://127.0.0.1:8765"))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (SignInDenied(), "denied"),
        (SignInTimedOut(), "timeout"),
        (StateMismatch(), "mismatch"),
        (IssuerMismatch(), "mismatch"),
        (NetworkError("Could not connect"), "network"),
        (DiscoveryError(), "network"),
        (KeychainUnavailable("locked", "The keychain is locked."), "keychain"),
        (SignedOut(), "signed_out"),
        (SignInCancelled(), "cancelled"),
        (SignInError("Something else"), "error"),
    ],
)
def test_each_failure_has_its_own_kind(error: BaseException, kind: str) -> None:
    assert classify_failure(error) == kind


async def test_browser_sign_in_waits_then_succeeds(
    controller: SessionController, session: FakeSession, opened: list[str]
) -> None:
    controller.set_session(session)
    waiting_wait = expect(controller.waiting)
    controller.sign_in_with_browser()
    waiting_args = await waiting_wait
    url, deadline = waiting_args
    assert url == session.authorization_url
    assert opened == [session.authorization_url]
    assert controller.signing_in
    assert deadline > 0
    assert controller.authorization_url == url

    assert session.pending is not None
    _signal_wait = expect(controller.succeeded)
    session.pending.set_result(user_info())
    await _signal_wait
    assert not controller.signing_in
    assert controller.authorization_url is None
    assert controller.state is SessionState.SIGNED_IN
    assert controller.last_failure is None


@pytest.mark.parametrize(
    ("error", "kind", "title"),
    [
        (SignInDenied(), "denied", "Sign-in was declined"),
        (SignInTimedOut(), "timeout", "Sign-in timed out"),
        (StateMismatch(), "mismatch", "Sign-in was stopped for your safety"),
        (NetworkError("Could not connect to 127.0.0.1"), "network", "Could not reach"),
    ],
)
async def test_browser_sign_in_failure_is_reported_with_its_kind(
    controller: SessionController,
    session: FakeSession,
    messages: Any,
    error: BaseException,
    kind: str,
    title: str,
) -> None:
    controller.set_session(session)
    _signal_wait = expect(controller.waiting)
    controller.sign_in_with_browser()
    await _signal_wait
    assert session.pending is not None
    failed_wait = expect(controller.failed)
    session.pending.set_exception(error)
    failed_args = await failed_wait
    got_kind, got_title, message = failed_args
    assert got_kind == kind
    assert got_title.startswith(title)
    assert message == str(error)
    assert controller.last_failure == (got_kind, got_title, message, SignInFlow.BROWSER)
    assert not controller.signing_in
    # Shown on the sign-in page with a retry, not as a second error message.
    assert [r for r in messages.records if r[0] == "error"] == []


async def test_cancel_stops_waiting_without_an_error(
    controller: SessionController, session: FakeSession, messages: Any
) -> None:
    controller.set_session(session)
    _signal_wait = expect(controller.waiting)
    controller.sign_in_with_browser()
    await _signal_wait
    controller.cancel_sign_in()
    assert not controller.signing_in
    await until(lambda: session.state is SessionState.SIGNED_OUT)
    assert session.pending is not None and session.pending.cancelled()
    assert controller.last_failure is None
    assert ("info", "Sign-in cancelled.") in messages.records
    assert not [r for r in messages.records if r[0] == "error"]


async def test_retry_after_failure_starts_a_new_sign_in(
    controller: SessionController, session: FakeSession
) -> None:
    controller.set_session(session)
    _signal_wait = expect(controller.waiting)
    controller.sign_in_with_browser()
    await _signal_wait
    assert session.pending is not None
    _signal_wait = expect(controller.failed)
    session.pending.set_exception(SignInDenied())
    await _signal_wait
    _signal_wait = expect(controller.waiting)
    controller.sign_in_with_browser()
    await _signal_wait
    assert controller.last_failure is None
    assert session.calls == ["browser", "browser"]


async def test_restore_signs_in_silently(
    controller: SessionController, session: FakeSession, opened: list[str]
) -> None:
    session.restore_result = user_info()
    controller.set_session(session)
    controller.restore()
    assert controller.restoring
    await until(lambda: controller.state is SessionState.SIGNED_IN)
    await until(lambda: not controller.restoring)
    assert opened == []  # no browser for a restore


async def test_restore_that_finds_a_revoked_session_says_so(
    controller: SessionController, session: FakeSession
) -> None:
    controller.set_session(session)
    session.signed_out_reason = SignedOut()
    failed_wait = expect(controller.failed)
    session.set_state(SessionState.SIGNED_OUT)
    failed_args = await failed_wait
    assert failed_args[0] == "signed_out"
    assert "Sign in again" in failed_args[2]


async def test_a_renewed_sign_in_the_keychain_could_not_save_is_shown_once(
    controller: SessionController, session: FakeSession, messages: Any
) -> None:
    withdrawn: list[str] = []
    messages.withdrawn.connect(withdrawn.append)
    controller.set_session(session)
    problem = (
        "The keychain is locked. Your renewed sign-in is kept in memory and keeps working; "
        "TwinEdge Desktop will try to save it again."
    )
    session.keychain_problem = KeychainUnavailable("locked", problem)
    session.set_state(SessionState.SIGNED_IN, user_info())
    session.set_state(SessionState.SIGNED_IN, user_info())  # same problem: no second warning
    warnings = [text for level, text in messages.records if level == "warning"]
    # The session's own sentence alone: it keeps the sign-in and saves it again by itself,
    # so "the next start will ask you to sign in again" is no longer said here.
    assert warnings == [problem]
    assert controller.keychain_problem == problem
    assert withdrawn == []
    # Saved after all (a retry, the next renewal): the warning is taken back.
    session.keychain_problem = None
    session.set_state(SessionState.SIGNED_IN, user_info())
    assert controller.keychain_problem is None
    assert withdrawn == [problem]


async def test_restore_network_failure_is_shown_on_the_page(
    controller: SessionController, session: FakeSession, messages: Any
) -> None:
    session.restore_error = NetworkError("Could not connect to the sign-in server.")
    controller.set_session(session)
    failed_wait = expect(controller.failed)
    controller.restore()
    failed_args = await failed_wait
    assert failed_args[0] == "network"
    assert not [r for r in messages.records if r[0] == "error"]


async def test_service_and_api_key_sign_in(
    controller: SessionController, session: FakeSession
) -> None:
    controller.set_session(session)
    _signal_wait = expect(controller.succeeded)
    controller.sign_in_with_client_credentials("twinedge-service", "s3cret", ["read:assets"])
    await _signal_wait
    assert session.calls == ["service:twinedge-service:read:assets"]
    assert controller.info is not None and controller.info.kind == "service"
    _signal_wait = expect(controller.succeeded)
    controller.use_api_key("te_" + "a" * 38)
    await _signal_wait
    assert controller.info is not None and controller.info.kind == "api_key"


async def test_sign_out_and_session_switch(
    controller: SessionController, session: FakeSession, messages: Any
) -> None:
    session.set_state(SessionState.SIGNED_IN, user_info())
    controller.set_session(session)
    controller.sign_out()
    await until(lambda: "sign_out" in session.calls)
    await until(lambda: not controller.busy)
    assert controller.state is SessionState.SIGNED_OUT
    assert any("Signed out" in text for _, text in messages.records)

    other = FakeSession(sandbox_profile("http://127.0.0.1:9999"))
    _signal_wait = expect(controller.changed)
    controller.set_session(other)
    await _signal_wait
    assert controller.session is other
    # The old session's changes no longer reach the controller.
    changes: list[int] = []
    controller.changed.connect(lambda: changes.append(1))
    session.set_state(SessionState.SIGNED_IN, user_info())
    await asyncio.sleep(0)
    assert changes == []


async def test_actions_before_services_exist_warn(
    controller: SessionController, messages: Any
) -> None:
    controller.sign_in_with_browser()
    assert messages.records == [("warning", "Still starting up: try again in a moment.")]
    assert controller.state is None
