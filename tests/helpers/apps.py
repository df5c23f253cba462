"""An in-memory OAuthAppsService, application factories and a scripted token endpoint, for
the OAuth Applications page's unit tests.

The fake follows the contract in DESIGN.md ("OAuth applications") closely enough for the
window: newest first, Idempotency-Key replays (the same key returns the same app and
secret; another body with it is a 422, as the sandbox says), a rotation's 24-hour grace,
delete of an unknown id answered False. The integration tests under tests/integration/ui
run the real service against the real sandbox.

:class:`TokenEndpoint` answers ``POST /oauth/token`` through ``httpx.MockTransport`` so the
real :class:`~twinedge_desktop.auth.playground.Playground` runs in unit tests: it checks
client authentication the way the sandbox does and records what it received.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from twinedge_desktop.api.apps import CreatedOAuthApp, NewClientSecret, OAuthApp
from twinedge_desktop.api.errors import NotFound, ValidationFailed
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.playground import Playground
from twinedge_desktop.oauth_apps_rules import ApplicationType

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ISSUER = "https://auth.example.test"
_numbers = itertools.count(1)


def fixed_clock() -> datetime:
    return NOW


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def make_app(
    name: str = "Plant dashboard",
    application_type: ApplicationType = ApplicationType.WEB,
    *,
    redirect_uris: Sequence[str] | None = None,
    scopes: Sequence[str] = ("read:assets",),
    created_days_ago: float = 3,
    secret_hint: str | None = "wxyz",
    previous_secret_hours_left: float | None = None,
    app_id: str | None = None,
) -> OAuthApp:
    number = next(_numbers)
    if redirect_uris is None:
        redirect_uris = (
            ()
            if application_type is ApplicationType.SERVICE
            else ("http://127.0.0.1/callback",)
            if application_type is ApplicationType.NATIVE
            else ("https://app.example.com/callback",)
        )
    previous = (
        NOW + timedelta(hours=previous_secret_hours_left)
        if previous_secret_hours_left is not None
        else None
    )
    return OAuthApp(
        id=app_id or f"app_{number:04d}",
        client_id=f"client-{number:020d}",
        name=name,
        application_type=application_type,
        redirect_uris=tuple(redirect_uris),
        scopes=tuple(scopes),
        created_at=NOW - timedelta(days=created_days_ago),
        created_by="engineer@example.com",
        secret_hint=secret_hint if application_type.is_confidential else None,
        previous_secret_expires_at=previous,
    )


@dataclass
class CreateCall:
    name: str
    application_type: ApplicationType
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    idempotency_key: str


@dataclass
class FakeAppsService:
    """In-memory applications; ``fail`` maps an operation to the exception its next call raises
    (``create_after``: the server registered it, then the answer was lost)."""

    apps: list[OAuthApp] = field(default_factory=list)
    fail: dict[str, BaseException] = field(default_factory=dict)
    create_calls: list[CreateCall] = field(default_factory=list)
    update_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rotate_calls: list[tuple[str, bool, str]] = field(default_factory=list)
    delete_calls: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)  # app id -> current secret
    list_gate: asyncio.Event | None = None
    api_base: str = "https://api.example.test/v1"
    _replays: dict[str, tuple[tuple[Any, ...], CreatedOAuthApp]] = field(default_factory=dict)
    _rotations: dict[str, tuple[tuple[Any, ...], NewClientSecret]] = field(default_factory=dict)

    def _maybe_fail(self, operation: str) -> None:
        exc = self.fail.pop(operation, None)
        if exc is not None:
            raise exc

    async def list_pages(self, *, page_size: int = 200) -> AsyncIterator[list[OAuthApp]]:
        await asyncio.sleep(0)
        if self.list_gate is not None:
            await self.list_gate.wait()
        self._maybe_fail("list")
        yield sorted(self.apps, key=lambda app: app.created_at, reverse=True)

    async def list_all(self, *, on_progress: Callable[[int], None] | None = None) -> list[OAuthApp]:
        return [app for page in [p async for p in self.list_pages()] for app in page]

    async def get(self, app_id: str) -> OAuthApp:
        await asyncio.sleep(0)
        self._maybe_fail("get")
        for app in self.apps:
            if app.id == app_id:
                return app
        raise NotFound(status=404, error="not_found")

    async def create(
        self,
        name: str,
        application_type: ApplicationType,
        redirect_uris: Sequence[str],
        scopes: Sequence[str],
        *,
        idempotency_key: str,
    ) -> CreatedOAuthApp:
        await asyncio.sleep(0)
        body = (name, application_type, tuple(redirect_uris), tuple(scopes))
        self.create_calls.append(CreateCall(*body, idempotency_key=idempotency_key))
        if idempotency_key in self._replays:
            first_body, first = self._replays[idempotency_key]
            if first_body != body:
                raise ValidationFailed(
                    "The server did not accept the request in “Idempotency-Key”: this "
                    "Idempotency-Key was already used with a different request body.",
                    status=422,
                    field="Idempotency-Key",
                )
            return first
        self._maybe_fail("create")
        secret = new_secret() if application_type.is_confidential else None
        app = replace(
            make_app(
                name,
                application_type,
                redirect_uris=tuple(redirect_uris),
                scopes=tuple(scopes),
                created_days_ago=0,
            ),
            secret_hint=secret[-4:] if secret else None,
        )
        self.apps.append(app)
        if secret is not None:
            self.secrets[app.id] = secret
        created = CreatedOAuthApp(app=app, client_secret=secret)
        self._replays[idempotency_key] = (body, created)
        self._maybe_fail("create_after")
        return created

    async def update(
        self,
        app: OAuthApp,
        *,
        name: str | None = None,
        redirect_uris: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
    ) -> OAuthApp:
        await asyncio.sleep(0)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if redirect_uris is not None:
            changes["redirect_uris"] = tuple(redirect_uris)
        if scopes is not None:
            changes["scopes"] = tuple(scopes)
        self.update_calls.append((app.id, changes))
        self._maybe_fail("update")
        current = await self.get(app.id)
        updated = replace(current, **changes)
        self.apps = [updated if a.id == app.id else a for a in self.apps]
        return updated

    async def rotate_secret(
        self, app_id: str, *, revoke_previous: bool = False, idempotency_key: str
    ) -> NewClientSecret:
        await asyncio.sleep(0)
        self.rotate_calls.append((app_id, revoke_previous, idempotency_key))
        if idempotency_key in self._rotations:
            first_body, first = self._rotations[idempotency_key]
            if first_body != (app_id, revoke_previous):
                raise ValidationFailed("different body", status=422, field="Idempotency-Key")
            return first
        self._maybe_fail("rotate")
        current = await self.get(app_id)
        secret = new_secret()
        until = None if revoke_previous else NOW + timedelta(hours=24)
        updated = replace(current, secret_hint=secret[-4:], previous_secret_expires_at=until)
        self.apps = [updated if a.id == app_id else a for a in self.apps]
        self.secrets[app_id] = secret
        rotated = NewClientSecret(app=updated, client_secret=secret)
        self._rotations[idempotency_key] = ((app_id, revoke_previous), rotated)
        self._maybe_fail("rotate_after")
        return rotated

    async def delete(self, app_id: str) -> bool:
        await asyncio.sleep(0)
        self.delete_calls.append(app_id)
        self._maybe_fail("delete")
        before = len(self.apps)
        self.apps = [app for app in self.apps if app.id != app_id]
        return len(self.apps) < before


def metadata() -> ServerMetadata:
    return ServerMetadata.from_json(
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/oauth/authorize",
            "token_endpoint": f"{ISSUER}/oauth/token",
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }
    )


@dataclass
class TokenEndpoint:
    """``POST /oauth/token`` for one client: ``secret`` (None: a public client, which must
    send ``client_id``), the codes it issued and the refresh tokens it will take. Every
    request's form is kept in ``requests`` (parsed, with the Basic credentials decoded)."""

    client_id: str
    secret: str | None = None
    codes: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    requests: list[dict[str, str]] = field(default_factory=list)
    client_known: bool = True
    _count: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def issue_code(self) -> str:
        code = f"code-{secrets.token_hex(12)}"
        self.codes.add(code)
        return code

    def _client(self, request: httpx.Request, form: dict[str, str]) -> tuple[str, str | None]:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            pair = base64.b64decode(header[6:]).decode()
            client_id, _, secret = pair.partition(":")
            return unquote(client_id), unquote(secret)
        return form.get("client_id", ""), form.get("client_secret")

    def handle(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        client_id, secret = self._client(request, form)
        self.requests.append({**form, "_client_id": client_id, "_secret": secret or ""})
        if not self.client_known or client_id != self.client_id or secret != self.secret:
            return _error(401, "invalid_client", "Unknown client or wrong secret")
        grant = form.get("grant_type")
        number = next(self._count)
        if grant == "authorization_code":
            code = form.get("code", "")
            if code not in self.codes:
                return _error(400, "invalid_grant", "The code is invalid or was used")
            self.codes.discard(code)
        elif grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.refresh_tokens:
                return _error(400, "invalid_grant", "The refresh token is invalid")
            self.refresh_tokens.discard(token)
        elif grant != "client_credentials":
            return _error(400, "unsupported_grant_type", "no")
        body: dict[str, Any] = {
            "access_token": f"eyJhbGciOiJSUzI1NiJ9.eyJuIjo{number}fQ.sig-{secrets.token_hex(8)}",
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": form.get("scope", "read:assets"),
        }
        if grant != "client_credentials":
            body["refresh_token"] = f"refresh-{number}-{secrets.token_hex(12)}"
            self.refresh_tokens.add(body["refresh_token"])
        return httpx.Response(200, json=body)

    def playground(self) -> tuple[Playground, httpx.AsyncClient]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return Playground(http, metadata()), http


def _error(status: int, error: str, description: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps({"error": error, "error_description": description}).encode(),
        headers={"Content-Type": "application/json"},
    )
