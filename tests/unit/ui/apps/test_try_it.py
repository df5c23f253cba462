"""Try it, the OAuth playground of one application: flows per type, the explained URL, the
callback (pasted, or received by a real loopback listener), the token requests against a
scripted token endpoint (the real Playground over httpx.MockTransport), masking, curl,
and nothing left behind when the window closes."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import shiboken6
from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QWidget,
)

from tests.helpers.apps import ISSUER, FakeAppsService, TokenEndpoint, fixed_clock, make_app
from tests.helpers.layout import assert_layout_fits, window_off_screen
from tests.helpers.waiting import settle, until
from twinedge_desktop.api.apps import OAuthApp
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.ui.apps.try_it import (
    CLIENT_REFUSED_TEXT,
    GONE_TEXT,
    Flow,
    TryItDialog,
)
from twinedge_desktop.ui.common.clipboard import KDE_HINT_FORMAT, SecretClipboard
from twinedge_desktop.ui.common.tasks import TaskRunner

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

SECRET = "s3cr3t-Value-0123456789abcdefghijklmnopq"
WEB_REDIRECT = "https://app.example.com/callback"


class Harness:
    """A Try it window for ``app``, its fakes, and what it asked the browser to open."""

    def __init__(self, qtbot: Any, messages: Any, app: OAuthApp, *, exists: bool = True) -> None:
        self.host = QWidget()
        qtbot.addWidget(self.host)
        self.host.show()
        self.service = FakeAppsService(apps=[app] if exists else [])
        self.endpoint = TokenEndpoint(app.client_id, SECRET if app.is_confidential else None)
        self.playground, self.http = self.endpoint.playground()
        self.opened: list[str] = []
        self.clipboard = SecretClipboard(parent=self.host)
        self.runner = TaskRunner(messages)

        async def factory() -> Any:
            return self.playground

        self.dialog = TryItDialog(
            app,
            self.service,  # type: ignore[arg-type]
            self.runner,
            factory,
            self.opened.append,  # type: ignore[arg-type]
            self.clipboard,
            30,
            self.host,
            clock=fixed_clock,
        )
        self.dialog.show()

    def callback_url(self, **params: str) -> str:
        request = self.dialog.authorization_request
        assert request is not None
        values = {"code": self.endpoint.issue_code(), "state": request.state, "iss": ISSUER}
        values.update(params)
        values = {k: v for k, v in values.items() if v != "-"}
        return f"{request.redirect_uri}?{urlencode(values)}"

    async def build(self) -> None:
        self.dialog.build_request()
        await until(lambda: self.dialog.authorization_request is not None)
        await settle()

    async def step(self) -> None:
        """Wait for the step just started (a token request) to finish."""
        await settle(self.dialog.last_task)

    async def quiet(self) -> None:
        """Wait until nothing of the window runs (a listener closing its port, say): pytest-qt
        processes Qt events between the test and its fixtures' teardown, and a task left
        running would resume there, outside the test's loop."""
        await until(lambda: self.runner.pending == 0)


@pytest.fixture
async def harnesses(qtbot: Any, messages: Any) -> AsyncIterator[list[Harness]]:
    """The windows made by a test, closed afterwards on the test's loop, so their listeners
    close their ports before the loop ends."""
    made: list[Harness] = []
    yield made
    for harness in made:
        if shiboken6.isValid(harness.dialog):
            harness.dialog.close()
    await until(lambda: all(h.runner.pending == 0 for h in made))


@pytest.fixture
async def closing() -> AsyncIterator[list[httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []
    yield clients
    for client in clients:
        await client.aclose()


@pytest.fixture
def make(
    qtbot: Any, messages: Any, harnesses: list[Harness], closing: list[httpx.AsyncClient]
) -> Any:
    def build(app: OAuthApp, **options: Any) -> Harness:
        harness = Harness(qtbot, messages, app, **options)
        harnesses.append(harness)
        closing.append(harness.http)
        return harness

    return build


@pytest.fixture
def clipboard() -> Iterator[Any]:
    board = QGuiApplication.clipboard()
    board.clear()
    yield board
    board.clear()


def widget_texts(root: QWidget) -> list[tuple[QWidget, str]]:
    """Every text a person could see or copy out of ``root``, with the widget showing it."""
    found: list[tuple[QWidget, str]] = [(root, root.windowTitle())]
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLineEdit | QLabel | QAbstractButton):
            found.append((widget, widget.text()))
        elif isinstance(widget, QPlainTextEdit):
            found.append((widget, widget.toPlainText()))
        elif isinstance(widget, QTableWidget):
            for row in range(widget.rowCount()):
                for column in range(widget.columnCount()):
                    item = widget.item(row, column)
                    found.append((widget, item.text() if item else ""))
        found += [(widget, widget.toolTip()), (widget, widget.accessibleName())]
    return found


def held_strings(root: object, depth: int = 6) -> list[str]:
    """Every string ``root`` reaches through its Python attributes, containers and
    dataclasses, ``depth`` levels down (Qt's own C++ state is checked through widget_texts)."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(value: object, level: int) -> None:
        if id(value) in seen or level > depth:
            return
        seen.add(id(value))
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, bytes | bytearray):
            found.append(bytes(value).decode("latin-1"))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key, level + 1)
                walk(item, level + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item, level + 1)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name, None), level + 1)
        elif hasattr(value, "__dict__") and type(value).__module__.startswith(
            ("twinedge_desktop", "tests")
        ):
            for item in vars(value).values():
                walk(item, level + 1)

    walk(root, 0)
    return found


def web_app(**options: Any) -> OAuthApp:
    return make_app(
        "Plant dashboard",
        ApplicationType.WEB,
        redirect_uris=(WEB_REDIRECT,),
        scopes=("read:assets", "read:alerts"),
        **options,
    )


# -- flows ---------------------------------------------------------------------------------


async def test_each_type_offers_its_flows(make: Any) -> None:
    web = make(web_app()).dialog
    assert [web.flow_combo.itemData(i) for i in range(web.flow_combo.count())] == [
        Flow.CODE_PKCE.value,
        Flow.CODE.value,
    ]
    assert web.secret_edit.isVisibleTo(web) and web.auth_combo.isVisibleTo(web)
    assert "Authorization Code + PKCE, with the client secret" in web.flow_combo.currentText()
    spa = make(make_app("Portal", ApplicationType.SPA)).dialog
    assert spa.flow_combo.count() == 1 and spa.flow is Flow.CODE_PKCE
    assert not spa.secret_edit.isVisibleTo(spa)
    assert "no secret" in spa.flow_note.text()
    service = make(make_app("Export", ApplicationType.SERVICE)).dialog
    assert service.flow is Flow.CLIENT_CREDENTIALS
    assert not service.request_box.isVisibleTo(service)
    assert not service.callback_box.isVisibleTo(service)
    assert service.token_button.isVisibleTo(service)
    assert not service.exchange_button.isVisibleTo(service)
    # The title names the application, nothing else.
    assert web.windowTitle() == "Try it — Plant dashboard"


# -- the authorization request and a pasted callback ---------------------------------------


async def test_the_url_is_explained_parameter_by_parameter_and_opened(make: Any) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    assert dialog.build_button.isDefault()
    assert "paste where it lands" in dialog.redirect_note.text()
    await harness.build()
    table = dialog.params_table
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert names == [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ]
    reasons = {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert "CSRF" in reasons["state"] and "PKCE" in reasons["code_challenge"]
    assert "registered redirect URI exactly" in reasons["redirect_uri"]
    request = dialog.authorization_request
    assert request is not None and dialog.url_edit.text() == request.url
    assert table.item(4, 1).text() == request.state
    assert dialog.open_button.isDefault()  # Enter takes the next step
    dialog.open_button.click()
    assert harness.opened == [request.url]
    assert dialog.use_button.isDefault()
    # Without PKCE (the seed's web flow), no challenge.
    dialog.flow_combo.setCurrentIndex(dialog.flow_combo.findData(Flow.CODE.value))
    assert dialog.authorization_request is None  # a new flow starts over
    await harness.build()
    assert "code_challenge" not in dialog.authorization_request.url  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("pasted", "words"),
    [
        ("", "Paste the whole address"),
        ("hello there", "not a callback address"),
        ("https://evil.example.com/callback?code=x&state=y", "not to this request's redirect URI"),
        ("{redirect}#code=abc&state={state}", "fragment"),
        ("{redirect}?foo=bar", "no code, state or error parameter"),
        ("{redirect}?code=abc&state=not-the-state&iss={iss}", "state is not this request's"),
        ("{redirect}?code=abc&iss={iss}", "has no state"),
        ("{redirect}?code=abc&state={state}", "no iss parameter"),
        ("{redirect}?code=abc&state={state}&iss=https://other.example", "mix-up"),
        (
            "{redirect}?error=access_denied&state={state}&iss={iss}",
            "Access was denied on the consent page",
        ),
        ("{redirect}?state={state}&iss={iss}", "neither a code nor an error"),
    ],
)
async def test_a_bad_pasted_callback_says_what_is_wrong(make: Any, pasted: str, words: str) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    await harness.build()
    request = dialog.authorization_request
    assert request is not None
    text = pasted.format(redirect=WEB_REDIRECT, state=request.state, iss=ISSUER)
    dialog.paste_edit.setText(text)
    dialog.use_button.click()
    assert words in dialog.callback_error.text()
    assert not dialog.exchange_button.isEnabled()
    assert dialog.paste_edit.text() == text  # nothing lost: fix it and try again


async def test_code_to_tokens_to_refresh_with_the_secret_asked_for_when_needed(
    make: Any, clipboard: Any
) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    await harness.build()
    dialog.paste_edit.setText(harness.callback_url())
    dialog.use_button.click()
    assert "state matches" in dialog.callback_ok.text()
    assert dialog.paste_edit.text() == ""  # it held the code
    assert dialog.exchange_button.isEnabled() and dialog.exchange_button.isDefault()
    # The secret is asked for only now, in its field.
    dialog.exchange_button.click()
    assert "Enter the client secret" in dialog.secret_error.text()
    assert harness.endpoint.requests == []
    dialog.secret_edit.setText(SECRET)
    assert dialog.secret_error.isHidden()
    dialog.exchange_button.click()
    await harness.step()
    (sent,) = harness.endpoint.requests
    assert sent["grant_type"] == "authorization_code" and sent["_secret"] == SECRET
    assert sent["code_verifier"] == dialog.authorization_request.code_verifier  # type: ignore[union-attr]
    assert "Access token for read:assets, expires in 1 h" in dialog.token_status.text()
    assert "a refresh token" in dialog.token_status.text()
    assert not dialog.exchange_button.isEnabled()  # codes are single use
    assert dialog.refresh_button.isEnabled() and dialog.refresh_button.isDefault()
    assert dialog.exchange_list.item(0).text().startswith("1. authorization_code → HTTP 200 OK")
    first = dialog.exchanges[0]
    assert first.tokens is not None
    # Masked on screen until revealed.
    shown = dialog.exchange_view.toPlainText()
    assert first.tokens.access_token not in shown and SECRET not in shown
    assert "authorization: Basic ••••" in shown
    dialog.reveal_box.setChecked(True)
    assert first.tokens.access_token in dialog.exchange_view.toPlainText()
    dialog.reveal_box.setChecked(False)
    # Refresh twice: each uses the newest refresh token (they rotate).
    dialog.refresh_button.click()
    await harness.step()
    dialog.refresh_button.click()
    await harness.step()
    refreshes = [r for r in harness.endpoint.requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 2 and all(e.ok for e in dialog.exchanges)
    assert refreshes[1]["refresh_token"] == dialog.exchanges[1].tokens.refresh_token  # type: ignore[union-attr]
    # Open the access token in the inspector: the page and the shell route it.
    asked: list[str] = []
    dialog.inspect_token_requested.connect(asked.append)
    dialog.inspect_button.click()
    assert asked == [dialog.exchanges[-1].tokens.access_token]  # type: ignore[union-attr]


async def test_copy_as_curl_hides_secrets_unless_revealed_then_copies_them_as_a_secret(
    make: Any, clipboard: Any
) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    await harness.build()
    dialog.paste_edit.setText(harness.callback_url())
    dialog.use_button.click()
    dialog.secret_edit.setText(SECRET)
    dialog.exchange_button.click()
    await harness.step()
    dialog.curl_button.click()
    masked = clipboard.text()
    assert masked.startswith("curl -sS -X POST")
    assert SECRET not in masked and "$CLIENT_SECRET" in masked and "$CODE" in masked
    assert "Set CLIENT_SECRET, CODE, CODE_VERIFIER first" in dialog.curl_note.text()
    assert not clipboard.mimeData().hasFormat(KDE_HINT_FORMAT)
    dialog.reveal_box.setChecked(True)
    dialog.curl_button.click()
    revealed = clipboard.text()
    assert f"-u {harness.dialog.app.client_id}:{SECRET}" in revealed
    assert "$CLIENT_SECRET" not in revealed and "$CODE" not in revealed
    assert clipboard.mimeData().hasFormat(KDE_HINT_FORMAT)  # concealed from managers
    assert "cleared in 30 s" in dialog.curl_note.text()
    assert harness.clipboard.active


async def test_client_secret_post_sends_it_in_the_form(make: Any) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    dialog.auth_combo.setCurrentIndex(1)
    await harness.build()
    dialog.paste_edit.setText(harness.callback_url())
    dialog.use_button.click()
    dialog.secret_edit.setText(SECRET)
    dialog.exchange_button.click()
    await harness.step()
    assert harness.endpoint.requests[0]["client_secret"] == SECRET
    assert "client_secret=••••" in dialog.exchange_view.toPlainText()


# -- loopback --------------------------------------------------------------------------------


async def test_a_native_app_gets_its_code_on_a_loopback_listener(make: Any) -> None:
    app = make_app(
        "Field tablet",
        ApplicationType.NATIVE,
        redirect_uris=("http://127.0.0.1/callback",),
        scopes=("read:assets",),
    )
    harness = make(app)
    dialog = harness.dialog
    assert "any port works for a native app" in dialog.redirect_note.text()
    await harness.build()
    assert dialog.listening
    request = dialog.authorization_request
    assert request is not None and request.redirect_uri.startswith("http://127.0.0.1:")
    assert not dialog.paste_edit.isEnabled()
    async with httpx.AsyncClient(timeout=5.0) as browser:
        # A callback with another state is not for this request: refused, still waiting.
        forged = harness.callback_url(state="forged")
        assert (await browser.get(forged)).status_code == 400
        await settle()
        assert dialog.listening and not dialog.exchange_button.isEnabled()
        answer = await browser.get(harness.callback_url(), follow_redirects=True)
        assert answer.status_code == 200 and "received the code" in answer.text
    await until(lambda: dialog.exchange_button.isEnabled())
    assert not dialog.listening
    assert "brought the code back here" in dialog.callback_ok.text()
    dialog.exchange_button.click()
    await harness.step()
    (sent,) = harness.endpoint.requests
    assert sent["_client_id"] == app.client_id and sent["_secret"] == ""  # public client
    assert sent["code_verifier"] == request.code_verifier
    assert sent["redirect_uri"] == request.redirect_uri
    await harness.quiet()


async def test_a_taken_port_falls_back_to_a_pasted_callback(make: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = make_app(
            "Dev dashboard", ApplicationType.WEB, redirect_uris=(f"http://127.0.0.1:{port}/cb",)
        )
        harness = make(app)
        dialog = harness.dialog
        assert f"listens on port {port}" in dialog.redirect_note.text()
        await harness.build()
        assert not dialog.listening
        assert f"cannot listen on port {port}" in dialog.listen_status.text()
        assert dialog.paste_edit.isEnabled()
        request = dialog.authorization_request
        assert request is not None and request.redirect_uri == f"http://127.0.0.1:{port}/cb"


async def test_a_web_apps_localhost_redirect_uri_is_received_on_its_port(make: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uri = f"http://localhost:{port}/auth/callback"
    harness = make(make_app("Local dev", ApplicationType.WEB, redirect_uris=(uri,)))
    dialog = harness.dialog
    await harness.build()
    assert dialog.listening
    assert dialog.authorization_request.redirect_uri == uri  # type: ignore[union-attr]
    async with httpx.AsyncClient(timeout=5.0) as browser:
        answer = await browser.get(harness.callback_url(), follow_redirects=True)
    assert answer.status_code == 200
    await until(lambda: dialog.exchange_button.isEnabled())
    await harness.quiet()


# -- client credentials ------------------------------------------------------------------------


async def test_a_service_gets_a_token_with_client_credentials(make: Any) -> None:
    app = make_app("Nightly export", ApplicationType.SERVICE, scopes=("read:telemetry",))
    harness = make(app)
    dialog = harness.dialog
    assert dialog.token_button.isDefault()
    dialog.token_button.click()
    assert "Enter the client secret" in dialog.secret_error.text()
    dialog.secret_edit.setText(SECRET)
    dialog.token_button.click()
    await harness.step()
    (sent,) = harness.endpoint.requests
    assert sent["grant_type"] == "client_credentials" and sent["scope"] == "read:telemetry"
    assert "no refresh token" in dialog.token_status.text()
    assert not dialog.refresh_button.isEnabled() and dialog.inspect_button.isEnabled()


# -- invalid_client: deleted, or the wrong secret -------------------------------------------------


async def test_a_deleted_app_is_said_to_be_gone_when_the_window_opens(make: Any) -> None:
    harness = make(web_app(), exists=False)
    await settle(harness.dialog.last_task)
    assert harness.dialog.gone and harness.dialog.gone_banner.text() == GONE_TEXT


async def test_invalid_client_tells_a_deleted_app_from_a_wrong_secret(make: Any) -> None:
    app = make_app("Nightly export", ApplicationType.SERVICE)
    harness = make(app)
    dialog = harness.dialog
    await settle(dialog.last_task)
    assert not dialog.gone
    dialog.secret_edit.setText("not-the-secret")
    dialog.token_button.click()
    await harness.step()
    await until(lambda: dialog.token_error.text() == CLIENT_REFUSED_TEXT)
    assert not dialog.gone
    # Deleted meanwhile (elsewhere): the next refusal says so.
    harness.service.apps.clear()
    harness.endpoint.client_known = False
    dialog.secret_edit.setText(SECRET)
    dialog.token_button.click()
    await harness.step()
    await until(lambda: dialog.gone)
    assert dialog.token_error.text() == GONE_TEXT
    assert "HTTP 401" in dialog.exchange_list.item(1).text()


# -- edits and closing ---------------------------------------------------------------------------


async def test_an_edited_app_updates_the_window(make: Any) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    edited = make_app(
        "Plant dashboard v2",
        ApplicationType.WEB,
        redirect_uris=(WEB_REDIRECT, "https://staging.example.com/callback"),
        scopes=("read:assets",),
        app_id=harness.dialog.app.id,
    )
    dialog.set_app(edited)
    assert dialog.windowTitle() == "Try it — Plant dashboard v2"
    assert list(dialog.scope_boxes) == ["read:assets"]
    assert dialog.redirect_combo.count() == 2


async def test_closing_forgets_every_secret_and_stops_listening(make: Any) -> None:
    app = make_app("Tablet", ApplicationType.NATIVE, redirect_uris=("http://127.0.0.1/callback",))
    native = make(app)
    await native.build()
    request = native.dialog.authorization_request
    assert request is not None
    web = make(web_app())
    await web.build()
    web.dialog.paste_edit.setText(web.callback_url())
    web.dialog.use_button.click()
    web.dialog.secret_edit.setText(SECRET)
    web.dialog.exchange_button.click()
    await web.step()
    tokens = web.dialog.exchanges[0].tokens
    assert tokens is not None
    # Nothing secret shows anywhere in the window before "Reveal" (the secret's own field
    # is in password mode: it shows bullets).
    assert web.dialog.secret_edit.echoMode() == QLineEdit.EchoMode.Password
    texts = "\n".join(
        text for widget, text in widget_texts(web.dialog) if widget is not web.dialog.secret_edit
    )
    for secret in (SECRET, tokens.access_token, str(tokens.refresh_token)):
        assert secret not in texts

    for harness in (native, web):
        harness.dialog.close()
    await settle()
    for harness in (native, web):
        dialog = harness.dialog
        assert dialog.exchanges == [] and dialog.authorization_request is None
        assert dialog.secret_edit.text() == "" and dialog.exchange_view.toPlainText() == ""
    # Nor does the window keep any of them in an attribute of its own (the tokens it
    # would refresh or inspect with, say): every string it can reach is free of them.
    held = held_strings(web.dialog)
    assert held, "the walk found no strings at all: it is not looking"
    for secret in (SECRET, tokens.access_token, str(tokens.refresh_token)):
        assert not [text for text in held if secret in text]
    # The listener's port is closed.
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(timeout=2.0) as browser:
            await browser.get(request.redirect_uri)
    await asyncio.sleep(0)


# -- fitting the screen and the flow (review defects, shots 44-47 and 54) --------------------


def step_titles(dialog: Any) -> list[str]:
    return [box.title() for box in dialog.findChildren(QGroupBox) if not box.isHidden()]


async def test_the_steps_are_numbered_for_the_flow_shown_and_a_service_has_no_refresh(
    make: Any,
) -> None:
    service = make(make_app("Nightly export", ApplicationType.SERVICE))
    assert step_titles(service.dialog) == [
        "1. Flow and credentials",
        "2. Tokens",
        "Requests and responses",
    ]
    assert service.dialog.refresh_button.isHidden()  # no refresh token in this flow
    web = make(web_app())
    assert step_titles(web.dialog) == [
        "1. Flow and credentials",
        "2. Authorization request",
        "3. Callback",
        "4. Tokens",
        "Requests and responses",
    ]
    assert not web.dialog.refresh_button.isHidden()


def in_view(dialog: Any, widget: QWidget) -> bool:
    """Whether ``widget`` shows whole in the window's scrolling body, scrolled as it is."""
    viewport = dialog.body.viewport()
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    return viewport.rect().contains(QRect(top_left, widget.size()))


async def test_the_window_fits_the_screen_and_the_next_action_is_in_view(
    make: Any, qtbot: Any
) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    await until(dialog.isVisible)
    await harness.build()
    qtbot.wait(50)
    assert window_off_screen(dialog) is None  # it opens on the screen, bottom included
    assert dialog.body.verticalScrollBar().maximum() > 0  # taller than the screen: it scrolls
    assert in_view(dialog, dialog.open_button)
    dialog.body.verticalScrollBar().setValue(0)  # the person scrolled back up
    dialog.paste_edit.setText(harness.callback_url())
    dialog.use_button.click()
    # The code expires in a minute: "Exchange code" comes into view at once.
    await until(lambda: in_view(dialog, dialog.exchange_button))
    assert dialog.exchange_button.hasFocus() or dialog.focusWidget() is dialog.exchange_button
    assert_layout_fits(dialog)


async def test_at_its_preferred_width_each_reason_takes_at_most_two_lines(
    make: Any, qtbot: Any
) -> None:
    harness = make(web_app())
    dialog = harness.dialog
    await harness.build()
    # The preferred width, whatever this (800 px) test screen allows.
    dialog.resize(dialog.body.content_size().width() + 40, 700)
    qtbot.wait(50)
    table = dialog.params_table
    line = table.fontMetrics().lineSpacing()
    for row in range(table.rowCount()):
        reason = table.item(row, 2).text()
        assert table.rowHeight(row) <= 2 * line + 12, (reason, table.columnWidth(2))
