"""The inspector's texts that follow the clock, and a pasted API key kept masked (review 2,
item 12). A settable clock drives both the page and the token inspector."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.helpers.token_fixtures import AUDIENCE, ISSUER, public_jwk, standard_claims
from tests.helpers.waiting import until
from twinedge_desktop.config import Profile
from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.tokens import Severity, TokenInspector
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.inspector.page import InspectorPage
from twinedge_desktop.ui.inspector.widgets import BannerState

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
PROFILE = Profile(id="test", name="Test issuer", issuer=ISSUER, audience=AUDIENCE)
START = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
WAIT = 10.0


class Clock:
    """One settable clock for the page (datetime) and the inspector (seconds)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def http(key: rsa.RSAPrivateKey) -> AsyncIterator[httpx.AsyncClient]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/oauth-authorization-server":
            return httpx.Response(
                200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/.well-known/jwks.json"}
            )
        if request.url.path == "/.well-known/jwks.json":
            return httpx.Response(200, json={"keys": [public_jwk(key, "key-1")]})
        return httpx.Response(404)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def page(
    qtbot: Any, http: httpx.AsyncClient, messages: Any, clock: Clock
) -> Iterator[InspectorPage]:
    inspector = TokenInspector(http, clock=clock.seconds)
    widget = InspectorPage(inspector, TaskRunner(messages), messages, clock=clock)
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.set_context(PROFILE, None)
    yield widget


async def finish(page: InspectorPage) -> None:
    for task in (page.last_task, page.verification):
        if task is not None:
            await asyncio.wait_for(asyncio.shield(task), WAIT)


def exp_finding(page: InspectorPage) -> tuple[Severity, str]:
    (finding,) = [f for f in page.findings_model.rows() if f.check == "exp"]
    return finding.severity, finding.message


def claim_detail(page: InspectorPage, name: str) -> str:
    (row,) = [r for r in page.claims_model.rows() if r.name == name]
    return row.detail


async def test_the_exp_finding_and_the_countdown_say_the_same_time_as_it_passes(
    page: InspectorPage, key: rsa.RSAPrivateKey, clock: Clock
) -> None:
    claims = standard_claims(now=START.timestamp())  # issued now, expires in an hour
    page.token_edit.setPlainText(jwt.encode(claims, key, "RS256", headers={"kid": "key-1"}))
    page.verify()
    await finish(page)
    assert page.banner.status is BannerState.VALID
    assert exp_finding(page) == (
        Severity.OK,
        "Not expired: expires in 1 h (2026-12-04 22:00:00 UTC).",
    )
    assert page.countdown_label.text() == "Expires in 1 h"

    clock.now = START + timedelta(minutes=3, seconds=49)
    page.update_countdown()  # the page's one-second timer
    assert page.countdown_label.text() == "Expires in 56 min 11 s"
    assert exp_finding(page) == (
        Severity.OK,
        "Not expired: expires in 56 min 11 s (2026-12-04 22:00:00 UTC).",
    )
    assert claim_detail(page, "exp").endswith("expires in 56 min 11 s")
    assert claim_detail(page, "iat").endswith("issued 3 min 49 s ago")
    assert page.banner.status is BannerState.VALID  # the same verdict, still verified

    # Expired while shown: within the 60 s leeway it warns; past it, the token fails, and the
    # verdict says so (checked again), not only the countdown.
    clock.now = START + timedelta(hours=1, seconds=10)
    page.update_countdown()
    await finish(page)
    severity, message = exp_finding(page)
    assert severity is Severity.WARNING and message.startswith("Expired 10 s ago")
    assert page.countdown_label.text() == "Expired 10 s ago"
    clock.now = START + timedelta(hours=1, minutes=2)
    page.update_countdown()
    await finish(page)
    severity, message = exp_finding(page)
    assert severity is Severity.ERROR and message.startswith("Expired 2 min ago")
    assert page.banner.status is BannerState.INVALID
    assert "Expired 2 min ago" in page.banner.detail.text()
    clock.now += timedelta(seconds=5)
    page.update_countdown()
    assert exp_finding(page)[1].startswith("Expired 2 min 5 s ago")
    assert "Expired 2 min 5 s ago" in page.banner.detail.text()  # the banner follows too
    assert page.countdown_label.text() == "Expired 2 min 5 s ago"


def type_text(qtbot: Any, text: str) -> None:
    """Each character to whatever has the keyboard focus then, as a keyboard sends it."""
    for character in text:
        qtbot.keyClicks(QApplication.focusWidget(), character)


def is_masked(field: QLineEdit, secret: str) -> bool:
    shown = field.displayText()
    return field.echoMode() is QLineEdit.EchoMode.Password and secret[4:] not in shown


async def test_a_pasted_api_key_is_masked_until_shown(page: InspectorPage, qtbot: Any) -> None:
    secret = generate_key()
    QGuiApplication.clipboard().setText(secret)
    page.paste_button.click()
    assert page.input_stack.currentWidget() is page.key_box
    assert not page.token_edit.isVisibleTo(page)  # the clear text is not on screen
    assert page.key_edit.text() == secret and is_masked(page.key_edit, secret)
    assert page.banner.status is BannerState.API_KEY and page.test_button.isVisibleTo(page)
    assert secret not in page.summary_label.text() + page.raw_json.toPlainText()

    page.show_key_button.click()  # Show key
    assert page.key_edit.displayText() == secret
    assert page.show_key_button.text() == "Hide key"
    page.show_key_button.click()
    assert is_masked(page.key_edit, secret)

    page.clear_button.click()
    assert page.input_stack.currentWidget() is page.token_edit
    assert page.key_edit.text() == "" and not page.show_key_button.isVisibleTo(page)


async def test_a_key_typed_into_the_token_field_moves_to_the_masked_field(
    page: InspectorPage, qtbot: Any
) -> None:
    secret = generate_key()
    page.show()
    page.activateWindow()
    await until(lambda: QApplication.activeWindow() is page)  # focus needs an active window
    page.token_edit.setFocus()
    type_text(qtbot, secret[:3])  # "te_": an API key from here on
    assert page.input_stack.currentWidget() is page.key_box
    assert QApplication.focusWidget() is page.key_edit  # the typing goes on there
    type_text(qtbot, secret[3:])
    assert page.token_edit.toPlainText() == secret and is_masked(page.key_edit, secret)
    assert page.report is not None and page.banner.status is BannerState.API_KEY
    page.show_key_button.click()
    page.token_edit.setPlainText("")  # emptied: the token field again; the next key starts hidden
    page.token_edit.setPlainText(secret)
    assert is_masked(page.key_edit, secret) and page.show_key_button.text() == "Show key"

    page.key_edit.setFocus()
    page.key_edit.selectAll()
    type_text(qtbot, "eyJ")  # no longer a key: back to the token field
    assert page.input_stack.currentWidget() is page.token_edit
    assert page.token_edit.toPlainText() == "eyJ"
    assert QApplication.focusWidget() is page.token_edit


async def test_an_api_key_pasted_to_compare_goes_to_decode_masked(
    page: InspectorPage, messages: Any
) -> None:
    """The Compare tab's fields show text in clear: an API key pasted there is moved to the
    Decode tab's masked field (and Test), never left on screen, and the person is told."""
    page.show()
    page.tabs.setCurrentIndex(1)
    secret = generate_key()
    page.compare_b.setPlainText(secret)
    assert page.compare_b.toPlainText() == ""
    assert page.tabs.currentIndex() == 0
    assert page.input_stack.currentWidget() is page.key_box
    assert page.key_edit.text() == secret and is_masked(page.key_edit, secret)
    assert any("API key" in text for _level, text in messages.records)
