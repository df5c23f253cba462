"""Building blocks for the sandbox tests: PKCE pairs, authorization URLs, sign-in to tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.helpers.signin import complete_sign_in

CLIENT_ID = "twinedge-desktop"
REDIRECT_URI = "http://127.0.0.1:53682/callback"
ENGINEER = "engineer@example.com"
ADMIN = "admin@example.com"
VIEWER = "viewer@example.com"
TIMEOUT = 10.0
# One client for all tests: a new httpx client per request would build an SSL context
# each time (~40 ms). Each test's sandbox has its own port, so nothing leaks between tests.
HTTP = httpx.Client(timeout=TIMEOUT)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_url(base_url: str, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "read:assets write:assets",
        "state": "state-" + secrets.token_hex(4),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return f"{base_url}/oauth/authorize?" + urlencode(
        {k: v for k, v in params.items() if v is not None}
    )


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def get_code(
    base_url: str,
    *,
    email: str = ENGINEER,
    scope: str = "read:assets write:assets",
    redirect_uri: str = REDIRECT_URI,
) -> tuple[str, str]:
    """Sign in over HTTP; returns (code, verifier)."""
    verifier, challenge = pkce_pair()
    url = authorize_url(base_url, scope=scope, redirect_uri=redirect_uri, code_challenge=challenge)
    params = query(complete_sign_in(url, email=email))
    assert "code" in params, params
    return params["code"], verifier


def redeem(
    base_url: str, code: str, verifier: str | None, redirect_uri: str = REDIRECT_URI
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": CLIENT_ID,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return HTTP.post(f"{base_url}/oauth/token", data=data, timeout=TIMEOUT)


def user_tokens(
    base_url: str, *, email: str = ENGINEER, scope: str = "read:assets write:assets"
) -> dict[str, Any]:
    code, verifier = get_code(base_url, email=email, scope=scope)
    response = redeem(base_url, code, verifier)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def refresh(base_url: str, refresh_token: str, **extra: str) -> httpx.Response:
    return HTTP.post(
        f"{base_url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": CLIENT_ID,
            **extra,
        },
        timeout=TIMEOUT,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api(base_url: str, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    return HTTP.request(
        method,
        f"{base_url}{path}",
        headers={**bearer(token), **kwargs.pop("headers", {})},
        timeout=TIMEOUT,
        **kwargs,
    )


def service_token(base_url: str, secret: str, scope: str | None = None) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": "twinedge-service",
        "client_secret": secret,
    }
    if scope is not None:
        data["scope"] = scope
    return HTTP.post(f"{base_url}/oauth/token", data=data, timeout=TIMEOUT)


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str) and body["error_description"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith(("Bearer", "Basic"))
    return body
