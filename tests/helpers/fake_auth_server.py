"""Fakes for the core's unit tests: a small OAuth server behind httpx.MockTransport,
and an in-memory keyring backend.

The real paths (the sandbox over loopback, gnome-keyring over D-Bus) are covered
by tests/integration/core; these fakes make edge cases cheap and exact.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

ISSUER = "https://auth.example.test"
API = "https://api.example.test/v1"


class InMemoryKeyring(KeyringBackend):
    """A keyring backend holding passwords in a dict (never chosen automatically)."""

    @properties.classproperty
    def priority(cls) -> float:
        # Registering a KeyringBackend subclass makes keyring consider it everywhere in
        # this process; raising here keeps it out of automatic backend detection.
        raise RuntimeError("test backend: only used when passed explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.calls: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append("get")
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set")
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append("delete")
        if (service, username) not in self.items:
            raise PasswordDeleteError("not found")
        del self.items[(service, username)]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class _Code:
    challenge: str
    redirect_uri: str
    scope: str
    client_id: str


@dataclass
class FakeAuthServer:
    """An RFC 6749/7009/8414-shaped server with rotating refresh tokens and reuse detection.

    Access tokens are opaque by default (any compliant server may issue them).
    """

    issuer: str = ISSUER
    iss_supported: bool = True
    expires_in: int | None = 3600
    scope_override: str | None = None
    include_scope: bool = True
    refresh_delay: float = 0.0
    issue_refresh_tokens: bool = True
    refresh_token_bytes: int = 24  # random bytes in each refresh token (some servers use KBs)
    # When set to an Event, a refresh request waits for it (after ``refresh_arrived`` is set),
    # so a test can act while a refresh is deterministically in flight.
    refresh_gate: asyncio.Event | None = None
    refresh_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    revoke_status: int = 200
    # Reuse grace (Okta's "grace period for token rotation", Auth0's "reuse interval"): a
    # spent refresh token presented again within this many seconds, while its successor has
    # never been used, gets a new pair instead of revoking the family. 0 = strict reuse rule.
    reuse_grace: float = 0.0
    # Drop the next N refresh responses after the server rotated (a lost response): the
    # client sees a transport error although its refresh token is now spent.
    drop_refresh_responses: int = 0
    dropped_refreshes: int = 0
    grace_answers: int = 0  # refreshes answered by the reuse grace (for assertions)
    access_token_bytes: int = 24  # random bytes in each access token (some servers use KBs)
    now: Any = None  # a clock (callable returning seconds) for the grace; default monotonic
    metadata_overrides: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    revoked_families: set[str] = field(default_factory=set)
    valid_access: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    revocations: list[dict[str, str]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    on_token_request: Any = None  # optional callback(form) run before answering

    # -- what a browser would do --------------------------------------------------------------

    def authorize(self, authorize_url: str) -> dict[str, str]:
        """Validate an authorization request like a server would; return its parameters."""
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        assert params["response_type"] == "code"
        assert params["code_challenge_method"] == "S256"
        assert len(params["state"]) >= 22  # >= 128 bits in base64url
        return params

    def issue_code(self, params: dict[str, str]) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = _Code(
            params["code_challenge"],
            params["redirect_uri"],
            params.get("scope", ""),
            params["client_id"],
        )
        return code

    def callback_url(self, authorize_url: str, **overrides: str | None) -> str:
        """The redirect a real server would send after "Allow", with optional tampering."""
        params = self.authorize(authorize_url)
        values: dict[str, str | None] = {
            "code": self.issue_code(params),
            "state": params["state"],
            "iss": self.issuer if self.iss_supported else None,
        }
        values.update(overrides)
        query = urlencode({k: v for k, v in values.items() if v is not None})
        return f"{params['redirect_uri']}?{query}"

    # -- HTTP ---------------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "revocation_endpoint": f"{self.issuer}/revoke",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["read:assets", "write:assets", "admin"],
        }
        if self.iss_supported:
            data["authorization_response_iss_parameter_supported"] = True
        data.update(self.metadata_overrides)
        return data

    def _now(self) -> float:
        import time

        return float(self.now()) if self.now is not None else time.monotonic()

    def _tokens(self, family: str | None, scope: str) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(self.access_token_bytes)
        self.valid_access.add(access)
        body: dict[str, Any] = {"access_token": access, "token_type": "bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if self.include_scope:
            body["scope"] = self.scope_override if self.scope_override is not None else scope
        if family is not None and self.issue_refresh_tokens:
            refresh = "rt-" + secrets.token_urlsafe(self.refresh_token_bytes)
            self.refresh_tokens[refresh] = {"family": family, "used": False, "scope": scope}
            body["refresh_token"] = refresh
        return body

    @staticmethod
    def _error(status: int, error: str, description: str = "") -> httpx.Response:
        return httpx.Response(status, json={"error": error, "error_description": description})

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        url = str(request.url)
        if url.startswith(self.issuer) and path.endswith("/.well-known/oauth-authorization-server"):
            return httpx.Response(200, json=self.metadata())
        if url == f"{self.issuer}/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.token_requests.append(form)
            if self.on_token_request is not None:
                self.on_token_request(form)
            return await self._token(form)
        if url == f"{self.issuer}/revoke":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.revocations.append(form)
            if self.revoke_status != 200:
                return self._error(self.revoke_status, "server_error")
            token = form["token"]
            if token in self.refresh_tokens:
                self.revoked_families.add(self.refresh_tokens[token]["family"])
            self.valid_access.discard(token)
            return httpx.Response(200)
        if url.startswith(API):
            return self._api(request)
        return httpx.Response(404, json={"error": "not_found"})

    async def _token(self, form: dict[str, str]) -> httpx.Response:
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None:
                return self._error(400, "invalid_grant", "unknown code")
            if s256(form.get("code_verifier", "")) != code.challenge:
                return self._error(400, "invalid_grant", "PKCE verification failed")
            if form.get("redirect_uri") != code.redirect_uri:
                return self._error(400, "invalid_grant", "redirect_uri mismatch")
            return httpx.Response(200, json=self._tokens(secrets.token_hex(4), code.scope))
        if grant == "refresh_token":
            self.refresh_arrived.set()
            if self.refresh_gate is not None:
                await asyncio.wait_for(self.refresh_gate.wait(), 10)
            if self.refresh_delay:
                await asyncio.sleep(self.refresh_delay)
            record = self.refresh_tokens.get(form.get("refresh_token", ""))
            if record is None or record["family"] in self.revoked_families:
                return self._error(400, "invalid_grant", "refresh token revoked")
            if record["used"]:
                successor = self.refresh_tokens.get(record.get("successor", ""))
                in_grace = (
                    self.reuse_grace > 0
                    and self._now() - record["used_at"] <= self.reuse_grace
                    and successor is not None
                    and not successor["used"]
                )
                if not in_grace:
                    self.revoked_families.add(record["family"])  # reuse: revoke the family
                    return self._error(400, "invalid_grant", "refresh token reused")
                # The answer was lost: the unused successor is retired, a new pair issued.
                successor["used"] = True
                successor["used_at"] = self._now()
                self.grace_answers += 1
            record["used"] = True
            record.setdefault("used_at", self._now())
            body = self._tokens(record["family"], record["scope"])
            record["successor"] = body.get("refresh_token", "")
            if self.drop_refresh_responses > 0:
                self.drop_refresh_responses -= 1
                self.dropped_refreshes += 1
                raise httpx.ReadError("connection dropped after the server rotated")
            return httpx.Response(200, json=body)
        if grant == "client_credentials":
            if self.refresh_gate is not None:  # a service session's renewal, held the same way
                self.refresh_arrived.set()
                await asyncio.wait_for(self.refresh_gate.wait(), 10)
            if form.get("client_secret") != "s3cret-service" and "client_secret" in form:
                return self._error(401, "invalid_client")
            return httpx.Response(200, json=self._tokens(None, form.get("scope", "")))
        return self._error(400, "unsupported_grant_type")

    def _api(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if token not in self.valid_access:
            return httpx.Response(
                401,
                json={"error": "invalid_token", "error_description": "expired"},
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if request.url.path.endswith("/me"):
            return httpx.Response(
                200,
                json={
                    "sub": "user-1",
                    "org": "org-9",
                    "email": "person@example.test",
                    "name": "Pat Person",
                    "scopes": ["read:assets"],
                    "kind": "user",
                },
            )
        return httpx.Response(200, json={"ok": True})


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content.decode())


class Browser:
    """Plays the browser: follows the server's redirect back to the loopback listener."""

    def __init__(self, server: FakeAuthServer, **overrides: str | None) -> None:
        self.server = server
        self.overrides = overrides
        self.opened: list[str] = []
        self.tasks: list[asyncio.Task[httpx.Response]] = []
        self.ports: list[int] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        callback = self.server.callback_url(url, **self.overrides)
        self.ports.append(httpx.URL(callback).port or 0)
        self.tasks.append(asyncio.ensure_future(self._visit(callback)))
        return True

    @staticmethod
    async def _visit(url: str) -> httpx.Response:
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as client:
            return await client.get(url)

    async def page(self) -> httpx.Response:
        return await asyncio.wait_for(self.tasks[-1], 10)
