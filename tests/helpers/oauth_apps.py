"""Plain-HTTP building blocks for tests of registered OAuth applications against the sandbox.

Deliberately independent of ``twinedge_desktop.api.apps`` and ``auth.playground``, so the
sandbox's contract tests do not lean on the client code they are meant to check.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx

from tests.helpers.signin import complete_sign_in

APPS = "/v1/oauth-apps"
TIMEOUT = 10.0
HTTP = httpx.Client(timeout=TIMEOUT)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_app(
    base_url: str,
    token: str,
    *,
    name: str = "Test app",
    application_type: str = "web",
    redirect_uris: list[str] | None = None,
    scopes: list[str] | None = None,
    idempotency_key: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {
        "name": name,
        "application_type": application_type,
        "scopes": scopes if scopes is not None else ["read:assets"],
    }
    if application_type != "service" or redirect_uris is not None:
        body["redirect_uris"] = (
            redirect_uris if redirect_uris is not None else ["https://app.example.com/callback"]
        )
    headers = bearer(token)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return HTTP.post(f"{base_url}{APPS}", json=body, headers=headers)


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    app: dict[str, Any] = response.json()
    return app


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    *,
    scope: str | None = "read:assets",
    code_challenge: str | None = None,
    state: str | None = None,
) -> str:
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state or "state-" + secrets.token_hex(4),
    }
    if scope is not None:
        params["scope"] = scope
    if code_challenge is not None:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    return f"{base_url}/oauth/authorize?" + urlencode(params)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sign_in_for_code(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    *,
    scope: str | None = "read:assets",
    pkce: bool = True,
    email: str = "engineer@example.com",
) -> tuple[str, str | None]:
    """Sign in on the sandbox's pages for ``client_id``; returns (code, verifier or None)."""
    verifier, challenge = pkce_pair() if pkce else (None, None)
    url = authorize_url(base_url, client_id, redirect_uri, scope=scope, code_challenge=challenge)
    params = query(complete_sign_in(url, email=email))
    assert "code" in params, params
    return params["code"], verifier


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def token_request(
    base_url: str,
    form: dict[str, str],
    *,
    client_id: str,
    secret: str | None = None,
    method: str = "basic",
) -> httpx.Response:
    """POST /oauth/token as ``client_id``: ``basic`` or ``post`` client authentication, or a
    public client (``secret`` None)."""
    headers: dict[str, str] = {}
    data = dict(form)
    if secret is None:
        data["client_id"] = client_id
    elif method == "basic":
        headers = basic(client_id, secret)
    else:
        data.update(client_id=client_id, client_secret=secret)
    return HTTP.post(f"{base_url}/oauth/token", data=data, headers=headers)


def exchange_code(
    base_url: str,
    code: str,
    redirect_uri: str,
    *,
    client_id: str,
    secret: str | None = None,
    verifier: str | None = None,
    method: str = "basic",
) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    return token_request(base_url, form, client_id=client_id, secret=secret, method=method)


def client_credentials(
    base_url: str, client_id: str, secret: str, *, scope: str | None = None, method: str = "basic"
) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return token_request(base_url, form, client_id=client_id, secret=secret, method=method)


def refresh(
    base_url: str,
    refresh_token: str,
    *,
    client_id: str,
    secret: str | None = None,
    method: str = "basic",
) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_request(base_url, form, client_id=client_id, secret=secret, method=method)
