"""Registered apps' flows end to end through the playground's helpers, with real headless
Chromium signing in on the sandbox's pages and a real loopback listener receiving the code.

- native: registered with ``http://127.0.0.1/callback``, redirected to a listener on a port
  the OS picked; authorize → code → token → refresh (PKCE, no secret).
- web: ``client_secret_basic``, without PKCE, to the exact redirect URI registered.
- service: client credentials.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.integration.sandbox.flows import user_tokens
from twinedge_desktop.api.apps import ApplicationType, OAuthAppsService, new_idempotency_key
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.loopback import LoopbackListener
from twinedge_desktop.auth.oauth import ClientAuthMethod, TokenEndpointError
from twinedge_desktop.auth.playground import (
    AppCredentials,
    AuthorizationRequest,
    Callback,
    Playground,
    check_callback_params,
)
from twinedge_desktop.sandbox.embedded import RunningSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
BROWSER_TIMEOUT = 90.0


class StaticToken:
    """The engineer's access token, for managing apps (a TokenSource)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return self._token


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client(trust_env=False)
    yield client
    await client.aclose()


@pytest.fixture
def apps(sandbox: RunningSandbox, http: httpx.AsyncClient) -> OAuthAppsService:
    scopes = "read:assets write:assets read:telemetry read:alerts"
    token = user_tokens(sandbox.base_url, scope=scopes)["access_token"]
    return OAuthAppsService(ApiClient(http, f"{sandbox.base_url}/v1", StaticToken(token)))


@pytest.fixture
async def playground(sandbox: RunningSandbox, http: httpx.AsyncClient) -> Playground:
    return await Playground.for_issuer(http, sandbox.base_url)


async def sign_in_in_chromium(
    request: AuthorizationRequest,
    listener: LoopbackListener,
    playground: Playground,
    log: Path,
) -> Callback:
    """Open the authorization URL in headless Chromium, sign in and allow; the browser is
    redirected to ``listener``. Returns the checked callback."""
    env = {**os.environ, "TWINEDGE_TEST_BROWSER_LOG": str(log)}
    browser = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BROWSER_HELPER),
        request.url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        params = await asyncio.wait_for(listener.wait_for_callback(), BROWSER_TIMEOUT)
        callback = check_callback_params(params, request, playground.metadata)
        listener.finish(True, "The playground received the code.")
        _, stderr = await asyncio.wait_for(browser.communicate(), BROWSER_TIMEOUT)
    except BaseException:
        if browser.returncode is None:
            browser.kill()
            await browser.wait()
        raise
    assert browser.returncode == 0, stderr.decode() + await asyncio.to_thread(_text_of, log)
    return callback


def _text_of(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


async def me(http: httpx.AsyncClient, sandbox: RunningSandbox, token: str) -> dict[str, Any]:
    response = await http.get(
        f"{sandbox.base_url}/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_native_app_with_a_loopback_listener_in_chromium(
    sandbox: RunningSandbox,
    apps: OAuthAppsService,
    playground: Playground,
    http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    created = await apps.create(
        "Field tablet",
        ApplicationType.NATIVE,
        ["http://127.0.0.1/callback"],
        ["read:assets", "read:telemetry"],
        idempotency_key=new_idempotency_key(),
    )
    assert created.client_secret is None
    credentials = AppCredentials(created.app.client_id)
    async with LoopbackListener() as listener:
        # The listener's port was chosen by the OS: any port works for a native app.
        request = playground.authorization_request(
            client_id=created.app.client_id,
            application_type=ApplicationType.NATIVE,
            redirect_uri=listener.redirect_uri,
            scopes=["read:assets", "read:telemetry", "write:assets"],
        )
        assert request.uses_pkce
        callback = await sign_in_in_chromium(request, listener, playground, tmp_path / "b.log")
    exchange = await playground.exchange_code(credentials, callback, request)
    tokens = exchange.raise_for_error()
    # The app may not write, though the engineer may: the token only reads.
    assert tokens.scope == "read:assets read:telemetry" and tokens.refresh_token
    assert claims(tokens.access_token)["client_id"] == created.app.client_id
    who = await me(http, sandbox, tokens.access_token)
    assert (who["kind"], who["email"]) == ("user", "engineer@example.com")
    assert str(request.code_verifier) not in exchange.as_text()

    renewed = (await playground.refresh(credentials, tokens.refresh_token)).raise_for_error()
    assert renewed.refresh_token and renewed.refresh_token != tokens.refresh_token
    assert (await me(http, sandbox, renewed.access_token))["client_id"] == created.app.client_id
    # Refresh tokens rotate: once its successor has been used, the spent one is refused (and
    # ends the grant). Before that, the sandbox's reuse grace would answer it (a lost response).
    successor = (await playground.refresh(credentials, renewed.refresh_token)).raise_for_error()
    assert successor.refresh_token
    reused = await playground.refresh(credentials, tokens.refresh_token)
    assert isinstance(reused.error, TokenEndpointError) and reused.error.error == "invalid_grant"


async def test_web_app_with_client_secret_basic_in_chromium(
    sandbox: RunningSandbox,
    apps: OAuthAppsService,
    playground: Playground,
    http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    async with LoopbackListener() as listener:
        # A web app's redirect URI is matched exactly: register the listener's own.
        created = await apps.create(
            "Plant dashboard (dev)",
            ApplicationType.WEB,
            [listener.redirect_uri],
            ["read:assets", "read:alerts"],
            idempotency_key=new_idempotency_key(),
        )
        assert created.client_secret is not None
        request = playground.authorization_request(
            client_id=created.app.client_id,
            application_type=ApplicationType.WEB,
            redirect_uri=listener.redirect_uri,
            scopes=["read:alerts"],
            use_pkce=False,
        )
        assert "code_challenge" not in request.url
        callback = await sign_in_in_chromium(request, listener, playground, tmp_path / "b.log")
    credentials = AppCredentials(
        created.app.client_id, created.client_secret, ClientAuthMethod.BASIC
    )
    exchange = await playground.exchange_code(credentials, callback, request)
    tokens = exchange.raise_for_error()
    assert tokens.scope == "read:alerts"
    assert dict(exchange.request.headers)["authorization"].startswith("Basic ")
    assert created.client_secret not in exchange.as_text()
    assert created.client_secret not in exchange.as_curl()
    assert (await me(http, sandbox, tokens.access_token))["client_id"] == created.app.client_id
    renewed = await playground.refresh(credentials, str(tokens.refresh_token))
    assert renewed.ok, renewed.as_text()


async def test_service_app_with_client_credentials(
    sandbox: RunningSandbox,
    apps: OAuthAppsService,
    playground: Playground,
    http: httpx.AsyncClient,
) -> None:
    created = await apps.create(
        "Nightly export",
        ApplicationType.SERVICE,
        [],
        ["read:telemetry"],
        idempotency_key=new_idempotency_key(),
    )
    assert created.client_secret is not None
    exchange = await playground.client_credentials(
        AppCredentials(created.app.client_id, created.client_secret)
    )
    tokens = exchange.raise_for_error()
    assert tokens.scope == "read:telemetry" and tokens.refresh_token is None
    who = await me(http, sandbox, tokens.access_token)
    assert (who["kind"], who["sub"]) == ("client", created.app.client_id)
    telemetry = await http.get(
        f"{sandbox.base_url}/v1/telemetry",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
    )
    assert telemetry.status_code == 200
