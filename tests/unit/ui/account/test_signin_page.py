"""The sign-in page's states: restoring, signed out, waiting, failures, keychain problem."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from tests.helpers.session_fakes import FakeSession, user_info
from tests.helpers.waiting import expect, until
from twinedge_desktop.api.errors import NetworkError
from twinedge_desktop.auth.errors import SignInDenied, SignInTimedOut, StateMismatch
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.ui.account.session_controller import SessionController
from twinedge_desktop.ui.account.signin_page import SignInPage
from twinedge_desktop.ui.common.tasks import TaskRunner


@pytest.fixture
def controller(messages: Any) -> SessionController:
    return SessionController(
        TaskRunner(messages), messages, open_browser=lambda url: False, sign_in_timeout=300
    )


@pytest.fixture
def session() -> FakeSession:
    return FakeSession(sandbox_profile("http://127.0.0.1:8765"))


@pytest.fixture
def page(qtbot: Any, controller: SessionController) -> SignInPage:
    widget = SignInPage(controller)
    qtbot.addWidget(widget)
    return widget


def test_before_services_the_page_says_it_is_restoring(page: SignInPage) -> None:
    assert page.stack.currentWidget() is page.restoring_view
    assert page.restoring_title.text() == "Restoring session…"


async def test_signed_out_offers_browser_first_and_the_other_ways(
    page: SignInPage, controller: SessionController, session: FakeSession
) -> None:
    controller.set_session(session)
    assert page.stack.currentWidget() is page.signed_out_view
    assert page.title.text() == "Sign in to Local sandbox"
    assert page.sign_in_button.isEnabled()
    assert page.sign_in_button.text() == "Sign in with your browser"
    assert page.service_button.isEnabled() and page.api_key_button.isEnabled()
    assert page.failure_banner.isHidden()
    assert page.keychain_banner.isHidden()
    for button in (page.sign_in_button, page.service_button, page.api_key_button):
        assert button.accessibleName()


async def test_waiting_state_shows_time_left_copy_link_and_cancel(
    page: SignInPage, controller: SessionController, session: FakeSession
) -> None:
    controller.set_session(session)
    waiting = expect(controller.waiting)
    page.sign_in_button.click()
    await waiting
    assert page.stack.currentWidget() is page.waiting_view
    # The app's one duration format (twinedge_desktop.timefmt), counted down.
    assert re.fullmatch(r"Time left: (5 min|4 min 5\d s)", page.remaining_label.text())
    deadline = controller.deadline
    assert deadline is not None
    controller.deadline = time.monotonic() - 5  # past it: never a negative time left
    page._update_remaining()
    assert page.remaining_label.text() == "Time left: 0 s"
    controller.deadline = deadline
    assert "Local sandbox" in page.waiting_detail.text()
    assert page.copy_link_button.isEnabled()

    page.copy_link_button.click()
    assert QGuiApplication.clipboard().text() == session.authorization_url
    assert page.copy_link_button.text() == "Copied"

    page.cancel_button.click()
    assert page.stack.currentWidget() is page.signed_out_view
    await until(lambda: session.pending is not None and session.pending.cancelled())


@pytest.mark.parametrize(
    ("error", "title"),
    [
        (SignInDenied(), "Sign-in was declined"),
        (SignInTimedOut(), "Sign-in timed out"),
        (StateMismatch(), "Sign-in was stopped for your safety"),
        (
            NetworkError("Could not connect to the sign-in server."),
            "Could not reach the sign-in server",
        ),
    ],
)
async def test_each_failure_shows_its_message_and_a_retry(
    page: SignInPage,
    controller: SessionController,
    session: FakeSession,
    error: Exception,
    title: str,
) -> None:
    controller.set_session(session)
    waiting = expect(controller.waiting)
    page.sign_in_button.click()
    await waiting
    failed = expect(controller.failed)
    assert session.pending is not None
    session.pending.set_exception(error)
    await failed
    assert page.stack.currentWidget() is page.signed_out_view
    assert not page.failure_banner.isHidden()
    assert page.failure_banner.title.text() == title
    assert page.failure_banner.message.text().startswith(str(error))
    assert page.retry_button.isEnabled()

    # No view here: the page asks for a retry; the browser sign-in repeats when it is asked.
    page.retry_requested.connect(controller.sign_in_with_browser)
    waiting = expect(controller.waiting)
    page.retry_button.click()
    await waiting
    assert page.stack.currentWidget() is page.waiting_view
    assert session.calls == ["browser", "browser"]


async def test_keychain_problem_blocks_sign_in_until_the_person_chooses(
    page: SignInPage, controller: SessionController, session: FakeSession
) -> None:
    controller.set_session(session)
    page.set_keychain_problem("No Secret Service is running (no D-Bus session).")
    assert not page.keychain_banner.isHidden()
    assert "No Secret Service is running" in page.keychain_banner.message.text()
    assert "never writes tokens to a file" in page.keychain_banner.message.text()
    assert not page.sign_in_button.isEnabled()
    chosen = []
    page.continue_without_keychain_requested.connect(lambda: chosen.append(True))
    page.continue_button.click()
    assert chosen == [True]
    page.set_keychain_problem(None)
    assert page.keychain_banner.isHidden()
    assert page.sign_in_button.isEnabled()


async def test_restoring_view_while_restore_runs(
    page: SignInPage, controller: SessionController, session: FakeSession
) -> None:
    session.restore_result = user_info()
    controller.set_session(session)
    controller.restore()
    assert page.stack.currentWidget() is page.restoring_view
    await until(lambda: not controller.restoring)
