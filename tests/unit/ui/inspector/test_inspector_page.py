"""pytest-qt tests of the Token Inspector page (decoding, verification, paste, drop, compare)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QColor, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPlainTextEdit, QSpinBox, QTabBar

from tests.helpers.token_fixtures import AUDIENCE, ISSUER, public_jwk, standard_claims
from tests.helpers.waiting import settle
from twinedge_desktop.config import Profile
from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.tokens import TokenInspector
from twinedge_desktop.ui.common import style
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.inspector.models import Difference
from twinedge_desktop.ui.inspector.page import InspectorPage
from twinedge_desktop.ui.inspector.widgets import (
    PART_COLORS_DARK,
    PART_COLORS_LIGHT,
    UNKNOWN_SCOPE_COLOR,
    VERDICT_COLORS,
    BannerState,
)

PROFILE = Profile(id="test", name="Test issuer", issuer=ISSUER, audience=AUDIENCE)
WAIT = 10.0


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def requests_seen() -> list[httpx.Request]:
    return []


@pytest.fixture
async def http(
    key: rsa.RSAPrivateKey, requests_seen: list[httpx.Request]
) -> AsyncIterator[httpx.AsyncClient]:
    def handler(request: httpx.Request) -> httpx.Response:
        requests_seen.append(request)
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
def page(qtbot: Any, http: httpx.AsyncClient, messages: Any) -> Iterator[InspectorPage]:
    runner = TaskRunner(messages)
    widget = InspectorPage(TokenInspector(http), runner, messages)
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.set_context(PROFILE, None)
    yield widget


def mint(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    return jwt.encode(standard_claims(**claims), key, algorithm="RS256", headers={"kid": "key-1"})


async def finish(page: InspectorPage) -> None:
    """Wait (bounded) for the page's newest task and the verification it started."""
    if page.last_task is not None:
        await asyncio.wait_for(asyncio.shield(page.last_task), WAIT)
    if page.verification is not None:
        await asyncio.wait_for(asyncio.shield(page.verification), WAIT)


async def test_decodes_instantly_then_verifies_against_the_profile(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    page.token_edit.setPlainText(mint(key, scope="read:assets write:alerts nonsense"))
    assert page.report is not None and page.report.claims is not None  # before any network
    assert page.banner.status is BannerState.UNVERIFIED
    assert [c.text() for c in page.chips.widgets()] == ["read:assets", "write:alerts", "nonsense"]
    assert [c.property("known") for c in page.chips.widgets()] == [True, True, False]
    page.verify()
    await finish(page)
    assert page.banner.status is BannerState.VALID
    assert "key 'key-1'" in page.banner.detail.text()
    assert page.claims_model.rowCount() == len(standard_claims())
    raw = json.loads(page.raw_json.toPlainText())
    assert raw["payload"]["sub"] == "user-123" and raw["header"]["kid"] == "key-1"
    assert "Subject user-123" in page.summary_label.text()
    # The app's one duration format (twinedge_desktop.timefmt), as on the Account page.
    assert re.fullmatch(r"Expires in 5\d min( \d+ s)?", page.countdown_label.text())


async def test_expired_and_wrong_audience_show_the_failed_checks(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    now = time.time()
    page.token_edit.setPlainText(mint(key, aud="https://elsewhere", iat=now - 7200, exp=now - 3600))
    page.verify()
    await finish(page)
    assert page.banner.status is BannerState.INVALID
    detail = page.banner.detail.text()
    assert detail.startswith("Expired, wrong audience.")
    assert "Expired 1 h" in detail
    assert page.countdown_label.text() == "Expired 1 h ago"


async def test_typing_schedules_verification_and_a_newer_edit_supersedes(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    page.token_edit.setPlainText(mint(key))
    assert page._auto_verify.isActive()
    page.verify()
    first = page.verification
    page.token_edit.setPlainText("not a token")
    assert first is not None and (first.cancelled() or first.cancelling())
    assert page.banner.status is BannerState.UNREADABLE
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(first, WAIT)
    assert page.banner.status is BannerState.UNREADABLE  # the stale result never replaced it


async def test_paste_reads_the_clipboard_only_when_asked(
    qtbot: Any, http: httpx.AsyncClient, messages: Any, key: rsa.RSAPrivateKey
) -> None:
    token = mint(key)
    QGuiApplication.clipboard().setText(token)
    widget = InspectorPage(TokenInspector(http), TaskRunner(messages), messages)
    qtbot.addWidget(widget)
    widget.set_context(PROFILE, None)
    assert widget.token_edit.toPlainText() == ""  # nothing read on creation or context change
    qtbot.mouseClick(widget.paste_button, Qt.MouseButton.LeftButton)
    assert widget.token_edit.toPlainText() == token
    await finish(widget)
    assert widget.banner.status is BannerState.VALID


async def test_current_token_button_follows_the_session(
    page: InspectorPage, key: rsa.RSAPrivateKey, messages: Any
) -> None:
    assert not page.current_button.isEnabled()
    assert "Sign in" in page.current_button.toolTip()
    assert page.current_reason.text() == "Sign in to inspect your current token."
    token = mint(key)
    calls: list[str] = []

    async def current() -> str:
        calls.append("asked")
        return token

    page.set_context(PROFILE, current)
    assert page.current_button.isEnabled() and calls == []
    page.current_button.click()
    await finish(page)
    assert calls == ["asked"]
    assert page.token_edit.toPlainText() == token
    assert page.banner.status is BannerState.VALID

    async def signed_out() -> str:
        raise RuntimeError("Your session ended; sign in again.")

    page.set_context(PROFILE, signed_out)
    page.current_button.click()
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(asyncio.shield(page.last_task), WAIT)  # type: ignore[arg-type]
    await asyncio.sleep(0)  # let the runner's done-callback report it
    assert any(level == "error" and "session ended" in text for level, text in messages.records)
    page.set_context(None, None)
    assert not page.current_button.isEnabled()


async def test_ctrl_enter_verifies(qtbot: Any, page: InspectorPage, key: rsa.RSAPrivateKey) -> None:
    page.token_edit.setPlainText(mint(key))
    qtbot.keyClick(page.token_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert page.verification is not None
    assert not page._auto_verify.isActive()
    await finish(page)
    assert page.banner.status is BannerState.VALID


async def test_a_drop_replaces_the_token_and_verifies(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    page.token_edit.setPlainText("old text")
    mime = QMimeData()
    token = mint(key)
    mime.setText(f"Bearer {token}\n")
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    page.token_edit.dropEvent(event)
    assert page.token_edit.toPlainText() == f"Bearer {token}\n"
    await finish(page)
    assert page.banner.status is BannerState.VALID


async def test_explicit_key_source_is_used_instead_of_the_issuer(
    page: InspectorPage, key: rsa.RSAPrivateKey, requests_seen: list[httpx.Request]
) -> None:
    page.key_source_edit.setText(json.dumps({"keys": [public_jwk(key, "key-1")]}))
    page.token_edit.setPlainText(mint(key))
    page.verify()
    await finish(page)
    assert page.banner.status is BannerState.VALID
    assert requests_seen == []


def test_api_key_and_garbage(page: InspectorPage) -> None:
    secret = generate_key()
    page.token_edit.setPlainText(secret)
    assert page.banner.status is BannerState.API_KEY
    assert secret not in page.raw_json.toPlainText() + page.summary_label.text()
    assert secret[:12] in page.summary_label.text()
    page.token_edit.setPlainText("\x00garbage.")
    assert page.banner.status is BannerState.UNREADABLE
    page.token_edit.clear()
    assert page.banner.status is BannerState.EMPTY and page.report is None


def test_compare_two_tokens_claim_by_claim(page: InspectorPage, key: rsa.RSAPrivateKey) -> None:
    now = time.time()
    page.compare_a.setPlainText(mint(key, iat=now, exp=now + 3600, scope="read:assets"))
    page.compare_b.setPlainText(
        mint(key, iat=now + 3000, exp=now + 6600, scope="read:assets admin", jti="jti-2")
    )
    rows = {r.name: r for r in page.compare_model.rows()}
    assert rows["sub"].difference is Difference.SAME
    assert rows["exp"].difference is Difference.CHANGED
    assert rows["exp"].description == "changed: B is 50 min later"
    assert rows["scope"].description == "changed: B adds admin"
    assert rows["jti"].difference is Difference.CHANGED and rows["jti"].description == "changed"
    assert rows["header.alg"].difference is Difference.SAME
    assert rows["aud"].difference is Difference.SAME
    assert "differ" in page.compare_summary.text()


def test_models_pass_the_model_tester(
    qtmodeltester: Any, page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    page.token_edit.setPlainText(mint(key))
    page.compare_a.setPlainText(mint(key))
    page.compare_b.setPlainText(mint(key, sub="someone-else"))
    for model in (page.claims_model, page.header_model, page.findings_model, page.compare_model):
        assert model.rowCount() > 0
        qtmodeltester.check(model)


def test_every_control_has_an_accessible_name(page: InspectorPage) -> None:
    controls = page.findChildren(QAbstractButton) + page.findChildren(QLineEdit)
    controls += page.findChildren(QPlainTextEdit) + page.findChildren(QSpinBox)
    unnamed = [
        c for c in controls
        if not c.accessibleName() and not (isinstance(c, QAbstractButton) and c.text())
        # Qt's own parts: spin box editor, table corner, line edit clear button, tab scrollers.
        and not c.objectName().startswith("qt_")
        and not isinstance(c.parent(), QLineEdit | QTabBar)
    ]  # fmt: skip
    assert unnamed == []


def test_part_colours_follow_the_palette(page: InspectorPage) -> None:
    page.setPalette(style.build_palette("dark"))
    assert page.token_edit.highlighter._colors == PART_COLORS_DARK
    page.setPalette(style.build_palette("light"))
    assert page.token_edit.highlighter._colors == PART_COLORS_LIGHT


def _contrast(a: str, b: str) -> float:
    def luminance(hex_color: str) -> float:
        color = QColor(hex_color)
        channels = []
        for value in (color.redF(), color.greenF(), color.blueF()):
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_meaningful_colours_have_aa_contrast_in_both_schemes() -> None:
    light_base = style.colors("light")["base"]
    dark_base = style.colors("dark")["base"]
    assert min(_contrast(c, light_base) for c in PART_COLORS_LIGHT) >= 4.5
    assert min(_contrast(c, dark_base) for c in PART_COLORS_DARK) >= 4.5
    for background in [*VERDICT_COLORS.values(), UNKNOWN_SCOPE_COLOR]:
        assert _contrast("#ffffff", background) >= 4.5, background


async def test_the_expiry_counts_down_in_the_apps_one_format(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    issued = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    clock = [issued]
    page._clock = lambda: clock[0]
    token = mint(key, iat=issued.timestamp(), exp=(issued + timedelta(hours=1)).timestamp())
    page.token_edit.setPlainText(token)
    assert page.countdown_label.text() == "Expires in 1 h"
    clock[0] = issued + timedelta(seconds=0.5)
    page._countdown.timeout.emit()  # the page's one-second tick
    assert page.countdown_label.text() == "Expires in 59 min 59 s"
    clock[0] = issued + timedelta(hours=1, minutes=3)
    page._countdown.timeout.emit()
    assert page.countdown_label.text() == "Expired 3 min ago"
    page.token_edit.setPlainText(mint(key, exp=(clock[0] + timedelta(days=3)).timestamp()))
    assert page.countdown_label.text() == "Expires in 3 days"
    page.token_edit.clear()
    assert page.countdown_label.text() == ""


# --- issue 11: what is not verified does not look like a fact -------------------------------
async def test_unverified_and_invalid_claims_are_dimmed_and_marked(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    page.token_edit.setPlainText(mint(key, scope="read:assets write:alerts"))
    # Decoded, not verified yet: the chips and the countdown are the token's say-so.
    assert page.banner.status is BannerState.UNVERIFIED
    assert all(chip.unverified for chip in page.chips.widgets())
    assert all(chip.accessibleName().startswith("Unverified") for chip in page.chips.widgets())
    assert page.trust_label.isVisibleTo(page) and "Unverified" in page.trust_label.text()
    assert page.countdown_label.property("unverified") is True
    page.verify()
    await finish(page)
    assert page.banner.status is BannerState.VALID
    assert not any(chip.unverified for chip in page.chips.widgets())
    assert not page.trust_label.isVisibleTo(page)
    assert page.countdown_label.property("unverified") is False
    # A token that fails a check: its claims are not facts either.
    page.token_edit.setPlainText(mint(key, aud="https://elsewhere", scope="admin"))
    page.verify()
    await finish(page)
    assert page.banner.status is BannerState.INVALID
    assert all(chip.unverified for chip in page.chips.widgets())
    assert "failed a check" in page.trust_label.text()


async def test_a_valid_verdict_says_which_checks_were_not_made(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    # A profile without an audience: the signature verifies, the audience is not checked.
    page.set_context(Profile(id="test", name="Test issuer", issuer=ISSUER), None)
    page.token_edit.setPlainText(mint(key))
    page.verify()
    await finish(page)
    assert page.report is not None and not page.report.verdict.all_checks_made
    detail = page.banner.detail.text()
    assert "Every check passed" not in detail
    assert "the audience" in detail and "Not checked" in detail
    (unchecked,) = page.report.verdict.unchecked
    assert unchecked.how in detail  # how to make the check
    # With the audience known, every check is made and said so.
    page.set_context(PROFILE, None)
    page.verify()
    await finish(page)
    assert page.banner.detail.text().startswith("Every check passed.")


def _me(**fields: Any) -> Any:
    from twinedge_desktop.api.models import Me

    values: dict[str, Any] = {
        "sub": "user-123",
        "org": "org-456",
        "email": "engineer@example.com",
        "name": "Erin Engineer",
        "scopes": ("read:telemetry",),
        "kind": "api_key",
    }
    values.update(fields)
    return Me(**values)


async def test_an_api_key_can_be_tested_from_the_inspector(
    qtbot: Any, http: httpx.AsyncClient, messages: Any
) -> None:
    from twinedge_desktop.api.errors import InvalidToken
    from twinedge_desktop.config import sandbox_profile
    from twinedge_desktop.ui.common.page import SessionBinding

    tested: list[tuple[Any, str]] = []
    answers: list[Any] = [_me(), InvalidToken("The API key was revoked")]

    async def tester(session: Any, key: str) -> Any:
        tested.append((session, key))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    widget = InspectorPage(TokenInspector(http), TaskRunner(messages), messages, key_tester=tester)
    qtbot.addWidget(widget)
    profile = sandbox_profile("http://127.0.0.1:8765")
    session = object()
    widget.bind(SessionBinding(profile, session, None))  # type: ignore[arg-type]
    secret = generate_key()
    QGuiApplication.clipboard().setText(secret)
    widget.paste_button.click()  # a paste never sends a key anywhere
    assert tested == []
    assert widget.test_button.isVisibleTo(widget) and not widget.verify_button.isVisibleTo(widget)
    assert "Test" in widget.summary_label.text() and "API keys page" not in (
        widget.summary_label.text() + widget.banner.detail.text()
    )
    widget.test_button.click()
    await finish(widget)
    assert tested == [(session, secret)]
    assert widget.banner.status is BannerState.KEY_WORKS
    detail = widget.banner.detail.text()
    assert "Erin Engineer <engineer@example.com>" in detail and "org-456" in detail
    assert [chip.text() for chip in widget.chips.widgets()] == ["read:telemetry"]
    assert not any(chip.unverified for chip in widget.chips.widgets())  # the server said so
    assert secret not in detail + widget.summary_label.text()

    # Ctrl+Enter tests it again: the server's typed refusal is shown, not a dialog.
    qtbot.keyClick(widget.token_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert widget.last_task is not None
    await settle(widget.last_task, WAIT)  # it fails; the page says so
    assert widget.banner.status is BannerState.KEY_REFUSED
    assert "revoked" in widget.banner.detail.text()
    assert not [r for r in messages.records if r[0] == "error"]


def test_a_mistyped_key_is_not_sent(page: InspectorPage) -> None:
    key = generate_key()
    page.token_edit.setPlainText(key[:-1] + ("A" if key[-1] != "A" else "B"))
    assert page.test_button.isVisibleTo(page) and not page.test_button.isEnabled()


async def test_a_theme_switch_keeps_the_verdict(
    page: InspectorPage, key: rsa.RSAPrivateKey
) -> None:
    """The highlighter recolours the token when the palette changes, and the editor calls
    that a change: the verification must not be thrown away for it."""
    page.token_edit.setPlainText(mint(key))
    page.verify()
    await finish(page)
    assert page.banner.status is BannerState.VALID
    page.setPalette(style.build_palette("dark"))
    page.token_edit.highlighter.rehighlight()
    assert page.banner.status is BannerState.VALID
    assert not page._auto_verify.isActive()
    page.setPalette(style.build_palette("light"))
