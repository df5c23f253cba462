"""Browser sign-in against the real sandbox over loopback, driving its forms.

Covers RFC 8252 / RFC 9700 checks end to end: PKCE S256 accepted by a real
server, a callback with the wrong state ignored while the real one completes
(RFC 6749 §10.12), iss (RFC 9207) checked before any token request, error
redirects turned into messages, and the listener's port closed in every ending.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.helpers.recording import NoBrowser, record_code_verifiers
from tests.integration.core.helpers import FormBrowser, port_is_closed
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.errors import (
    IssuerMismatch,
    SignInCancelled,
    SignInDenied,
    SignInTimedOut,
)
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.vault import MemoryStore


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client()
    yield client
    await client.aclose()


@pytest.fixture
def session(sandbox: Any, http: httpx.AsyncClient) -> Session:
    return Session(sandbox_profile(sandbox.base_url), http, MemoryStore())


async def test_full_sign_in_through_the_sandbox_pages(session: Session, sandbox: Any) -> None:
    browser = FormBrowser()
    info = await session.sign_in_with_browser(open_browser=browser, timeout=30)
    await browser.finished()
    assert info.kind == "user"
    assert (info.email, info.org, info.subject) == ("engineer@example.com", "org-456", "user-123")
    assert "write:assets" in info.scopes and "admin" not in info.scopes  # what was granted
    assert info.access_expires_at is not None
    callback = browser.callback_urls[0]
    assert callback.startswith("http://127.0.0.1:") and "iss=" in callback
    # The browser ends on the code-free page, which says to go back to the app.
    (page,) = browser.pages
    assert str(page.url).endswith("/done") and "code=" not in str(page.url)
    assert "return to TwinEdge Desktop" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert port_is_closed(browser.listener_port)
    # The access token works at the API.
    token = await session.access_token()
    async with httpx.AsyncClient() as client:
        me = await client.get(
            f"{sandbox.base_url}/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
    assert me.status_code == 200 and me.json()["kind"] == "user"


async def test_the_authorization_request_uses_pkce_s256_and_a_strong_state(
    session: Session,
) -> None:
    browser = FormBrowser()
    await session.sign_in_with_browser(open_browser=browser, timeout=30)
    params = dict(httpx.URL(browser.authorize_urls[0]).params)
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(params["state"]) * 6 >= 128
    assert params["redirect_uri"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("tamper", "error", "words"),
    [
        (lambda p: {**p, "iss": "https://attacker.example"}, IssuerMismatch, "issuer"),
        (lambda p: {k: v for k, v in p.items() if k != "iss"}, IssuerMismatch, "issuer"),
    ],
    ids=["wrong-iss", "missing-iss"],
)
async def test_tampered_callbacks_are_rejected_before_any_token_request(
    session: Session,
    sandbox: Any,
    tamper: Any,
    error: type[Exception],
    words: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifiers = record_code_verifiers(monkeypatch)
    browser = FormBrowser(tamper=tamper)
    with pytest.raises(error, match=words):
        await session.sign_in_with_browser(open_browser=browser, timeout=30)
    await browser.finished()
    assert session.state is SessionState.SIGNED_OUT
    assert port_is_closed(browser.listener_port)
    assert "did not complete" in browser.pages[0].text
    # The code was never redeemed by the app: codes are single use, and a direct exchange
    # with the app's own verifier still succeeds, so no token request was made with it.
    code = dict(httpx.URL(browser.callback_urls[0]).params)["code"]
    redirect_uri = dict(httpx.URL(browser.authorize_urls[0]).params)["redirect_uri"]
    async with httpx.AsyncClient() as client:
        exchange = await client.post(
            f"{sandbox.base_url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": "twinedge-desktop",
                "code_verifier": verifiers[-1],
            },
        )
    assert exchange.status_code == 200, exchange.text


@pytest.mark.parametrize(
    "forged_query",
    ["code=forged&state=a-forged-state-that-is-long-enough", "code=forged", "error=access_denied"],
    ids=["wrong-state", "missing-state", "error-without-state"],
)
async def test_a_forged_callback_ahead_of_the_real_one_is_ignored(
    session: Session, forged_query: str
) -> None:
    """RFC 6749 §10.12: a callback that is not for this sign-in (any local process can send
    one) is answered with a 400 page and ignored; the real one still completes the sign-in."""
    forged_pages: list[httpx.Response] = []

    async def forge_then_sign_in(url: str) -> None:
        redirect_uri = dict(httpx.URL(url).params)["redirect_uri"]
        async with httpx.AsyncClient(timeout=15) as client:
            forged_pages.append(await client.get(f"{redirect_uri}?{forged_query}"))
        real(url)

    real = FormBrowser()
    tasks: list[asyncio.Task[None]] = []

    def open_browser(url: str) -> bool:
        tasks.append(asyncio.ensure_future(forge_then_sign_in(url)))
        return True

    info = await session.sign_in_with_browser(open_browser=open_browser, timeout=30)
    await asyncio.wait_for(asyncio.gather(*tasks), 20)
    await real.finished()
    (forged,) = forged_pages
    assert forged.status_code == 400
    assert "not for the sign-in" in forged.text and "Cache-Control" in forged.headers
    assert info.email == "engineer@example.com" and session.state is SessionState.SIGNED_IN
    assert real.pages[0].status_code == 200 and "Signed in" in real.pages[0].text
    assert port_is_closed(real.listener_port)


async def test_access_denied_gives_its_message(session: Session) -> None:
    browser = FormBrowser(decision="deny")
    with pytest.raises(SignInDenied, match="denied"):
        await session.sign_in_with_browser(open_browser=browser, timeout=30)
    await browser.finished()
    assert "error=access_denied" in browser.callback_urls[0]
    assert "denied" in browser.pages[0].text
    assert port_is_closed(browser.listener_port)


async def test_timeout_gives_its_message_and_closes_the_port(session: Session) -> None:
    browser = NoBrowser()
    with pytest.raises(SignInTimedOut, match="timed out"):
        await session.sign_in_with_browser(open_browser=browser, timeout=0.5)
    assert port_is_closed(browser.ports[0])


async def test_cancel_gives_its_message_and_closes_the_port(session: Session) -> None:
    browser = NoBrowser()
    task = asyncio.ensure_future(session.sign_in_with_browser(open_browser=browser, timeout=60))
    await asyncio.wait_for(browser.opened.wait(), 10)
    session.cancel_sign_in()
    with pytest.raises(SignInCancelled, match="cancelled"):
        await task
    assert port_is_closed(browser.ports[0])

    browser.opened.clear()
    task = asyncio.ensure_future(session.sign_in_with_browser(open_browser=browser, timeout=60))
    await asyncio.wait_for(browser.opened.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert port_is_closed(browser.ports[1])
    assert session.state is SessionState.SIGNED_OUT
