"""The TwinEdge API under ``/v1``: the caller, API keys and small sample data.

A caller is a user access token, a client-credentials access token or an API
key, each sent as ``Authorization: Bearer …``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from twinedge_desktop import keyformat
from twinedge_desktop.sandbox.oauth import state_of
from twinedge_desktop.sandbox.problems import (
    Problem,
    insufficient_scope,
    invalid_request,
    invalid_token,
    validation,
)
from twinedge_desktop.sandbox.state import (
    IDEMPOTENCY_SECONDS,
    IdempotentResponse,
    SandboxState,
    rfc3339,
)
from twinedge_desktop.sandbox.storage import ApiKeyRow, sha256_hex
from twinedge_desktop.scopes import SCOPES_BY_NAME

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_NAME_LENGTH = 64
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_CREATE_FIELDS = frozenset({"name", "scopes", "expires_at"})


@dataclass(frozen=True, slots=True)
class Caller:
    kind: str  # "user" | "client" | "api_key"
    sub: str
    org: str
    email: str | None
    name: str | None
    scopes: tuple[str, ...]
    client_id: str | None = None
    key_id: str | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise invalid_token(
            "This request needs an access token or API key (Authorization: Bearer …)"
        )
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise invalid_token("Use the Bearer scheme: Authorization: Bearer <token or API key>")
    return credential


def _api_key_caller(state: SandboxState, credential: str) -> Caller:
    if not keyformat.is_valid_key(credential):
        raise invalid_token("The API key is malformed (wrong length or checksum)")
    row = state.storage.api_key_by_hash(sha256_hex(credential))
    if row is None:
        raise invalid_token("The API key is not known")
    now = state.clock.now()
    if row.revoked_at is not None:
        raise invalid_token("The API key was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise invalid_token("The API key has expired")
    owner = state.storage.user_by_sub(row.owner_sub)
    if owner is None:
        raise invalid_token("The API key's owner no longer exists")
    state.storage.touch_api_key(row.id, now)
    return Caller(
        kind="api_key",
        sub=owner.sub,
        org=row.org,
        email=owner.email,
        name=owner.name,
        scopes=row.scopes,
        key_id=row.id,
    )


def _token_caller(state: SandboxState, credential: str) -> Caller:
    now = state.clock.now()
    try:
        claims = state.keys.verify(
            credential, now=now, audience=state.audience, issuer=state.issuer
        )
    except jwt.ExpiredSignatureError:
        raise invalid_token("The access token has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise invalid_token("The access token is invalid") from None
    jti, sub, scope, client_id = (
        claims.get("jti"),
        claims.get("sub"),
        claims.get("scope"),
        claims.get("client_id"),
    )
    if not all(isinstance(value, str) for value in (jti, sub, scope, client_id)):
        raise invalid_token("The access token is invalid")
    assert isinstance(jti, str) and isinstance(sub, str)  # narrowed above, for mypy
    assert isinstance(scope, str) and isinstance(client_id, str)
    issued = state.storage.access_token_state(jti)
    if issued is None:
        raise invalid_token("The access token is invalid")
    if issued[1] is not None:
        raise invalid_token("The access token was revoked")
    scopes = tuple(scope.split())
    org = str(claims.get("org") or "")
    client = state.storage.client(client_id)
    if client is not None and not client.is_public and sub == client_id:
        return Caller("client", sub, org, None, client.name, scopes, client_id=client_id)
    user = state.storage.user_by_sub(sub)
    if user is None:
        raise invalid_token("The access token's user no longer exists")
    return Caller("user", sub, org, user.email, user.name, scopes, client_id=client_id)


def authenticate(request: Request) -> Caller:
    state = state_of(request)
    credential = _bearer(request)
    if credential.startswith(keyformat.KEY_PREFIX):
        return _api_key_caller(state, credential)
    return _token_caller(state, credential)


# -- /v1/me and sample data ---------------------------------------------------------------------


async def me(request: Request) -> JSONResponse:
    caller = authenticate(request)
    return JSONResponse(
        {
            "sub": caller.sub,
            "org": caller.org,
            "email": caller.email,
            "name": caller.name,
            "scopes": list(caller.scopes),
            "kind": caller.kind,
            "client_id": caller.client_id,
            "key_id": caller.key_id,
        }
    )


_SAMPLES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "assets": (
        "read:assets",
        [
            {"id": "asset-001", "name": "Compressor 7", "site": "Plant North", "status": "running"},
            {"id": "asset-002", "name": "Pump P-12", "site": "Plant North", "status": "idle"},
            {"id": "asset-003", "name": "Chiller C-3", "site": "Plant South", "status": "fault"},
        ],
    ),
    "telemetry": (
        "read:telemetry",
        [
            {
                "asset_id": "asset-001",
                "metric": "pressure_bar",
                "value": 7.4,
                "at": "2026-01-05T10:00:00Z",
            },
            {
                "asset_id": "asset-001",
                "metric": "temperature_c",
                "value": 61.2,
                "at": "2026-01-05T10:00:00Z",
            },
            {
                "asset_id": "asset-002",
                "metric": "flow_m3h",
                "value": 12.9,
                "at": "2026-01-05T10:00:00Z",
            },
        ],
    ),
    "alerts": (
        "read:alerts",
        [
            {
                "id": "alert-100",
                "asset_id": "asset-003",
                "severity": "high",
                "message": "Chiller outlet temperature above limit",
                "state": "open",
            },
            {
                "id": "alert-101",
                "asset_id": "asset-001",
                "severity": "low",
                "message": "Vibration trending up",
                "state": "acknowledged",
            },
        ],
    ),
}


async def sample(request: Request) -> JSONResponse:
    resource = request.url.path.rsplit("/", 1)[-1]
    scope, data = _SAMPLES[resource]
    caller = authenticate(request)
    if not caller.has_scope(scope):
        raise insufficient_scope(f"This needs the {scope} scope", scope=scope)
    return JSONResponse({"data": data, "next_cursor": None})


# -- API keys ----------------------------------------------------------------------------------


def _user_caller(request: Request) -> Caller:
    caller = authenticate(request)
    if caller.kind != "user":
        raise insufficient_scope(
            "API keys can be managed only with a signed-in user's access token "
            "(not with an API key or a client token)"
        )
    return caller


def api_key_json(row: ApiKeyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "scopes": list(row.scopes),
        "created_at": rfc3339(row.created_at),
        "expires_at": rfc3339(row.expires_at),
        "last_used_at": rfc3339(row.last_used_at),
        "revoked_at": rfc3339(row.revoked_at),
        "created_by": row.created_by,
    }


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"k1:{seq}".encode()).rstrip(b"=").decode("ascii")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        version, _, number = text.partition(":")
        seq = int(number)
    except (binascii.Error, UnicodeError, ValueError):
        raise validation("cursor", "cursor is not one this server returned") from None
    if version != "k1" or seq < 1:
        raise validation("cursor", "cursor is not one this server returned")
    return seq


async def list_keys(request: Request) -> JSONResponse:
    state = state_of(request)
    caller = _user_caller(request)
    unknown = set(request.query_params) - {"limit", "cursor"}
    if unknown:
        name = sorted(unknown)[0]
        raise validation(name, f"unknown query parameter {name!r}")
    limit_text = request.query_params.get("limit")
    limit = DEFAULT_PAGE_SIZE
    if limit_text is not None:
        try:
            limit = int(limit_text)
        except ValueError:
            raise validation("limit", "limit must be a whole number from 1 to 200") from None
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise validation("limit", "limit must be a whole number from 1 to 200")
    cursor = request.query_params.get("cursor")
    before = _decode_cursor(cursor) if cursor else None
    rows = state.storage.list_api_keys(
        owner_sub=None if caller.is_admin else caller.sub,
        org=caller.org,
        before_seq=before,
        limit=limit + 1,
    )
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1].seq) if len(rows) > limit else None
    return JSONResponse({"data": [api_key_json(row) for row in page], "next_cursor": next_cursor})


def _parse_expiry(value: Any, now: float) -> float | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise validation("expires_at", "expires_at must be an RFC 3339 date-time string or null")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise validation("expires_at", "expires_at is not an RFC 3339 date-time") from None
    if moment.tzinfo is None or "T" not in value.upper():
        raise validation("expires_at", "expires_at needs a time and a UTC offset (e.g. Z)")
    timestamp = moment.timestamp()
    if timestamp <= now:
        raise validation("expires_at", "expires_at must be in the future")
    return timestamp


def _validate_create(body: Any, now: float) -> tuple[str, tuple[str, ...], float | None]:
    if not isinstance(body, dict):
        raise validation(None, "the body must be a JSON object")
    for name in body:
        if name not in _CREATE_FIELDS:
            raise validation(name, f"unknown field {name!r}")
    name = body.get("name")
    if not isinstance(name, str):
        raise validation("name", "name is required and must be a string")
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise validation("name", "name must be 1 to 64 characters")
    if _CONTROL_CHARACTERS.search(name):
        raise validation("name", "name must not contain control characters")
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not scopes:
        raise validation("scopes", "scopes must be a non-empty list of scope names")
    unique: dict[str, None] = {}
    for scope in scopes:
        if not isinstance(scope, str) or scope not in SCOPES_BY_NAME:
            raise validation("scopes", f"unknown scope {scope!r}")
        unique.setdefault(scope, None)
    return name, tuple(unique), _parse_expiry(body.get("expires_at"), now)


async def read_json(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Problem(
            415, "invalid_request", "the body must be JSON (Content-Type: application/json)"
        )
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("the body is not valid JSON") from None


async def create_key(request: Request) -> Response:
    state = state_of(request)
    caller = _user_caller(request)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise validation(
            "Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters"
        )
    body = await read_json(request)
    now = state.clock.now()
    fingerprint = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    if idempotency_key is not None:
        state.forget_stale()
        previous = state.idempotency.get((caller.sub, idempotency_key))
        if previous is not None and now - previous.created_at <= IDEMPOTENCY_SECONDS:
            if previous.body_fingerprint != fingerprint:
                raise validation(
                    "Idempotency-Key",
                    "this Idempotency-Key was already used with a different request body",
                )
            return Response(
                previous.body,
                status_code=previous.status,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true", "Cache-Control": "no-store"},
            )
    name, scopes, expires_at = _validate_create(body, now)
    if not caller.is_admin:
        beyond = [scope for scope in scopes if scope not in caller.scopes]
        if beyond:
            raise insufficient_scope(
                "A new key's scopes must be within your own; not yours: " + " ".join(beyond),
                scope=" ".join(beyond),
            )
    secret = keyformat.generate_key()
    key_id = "key_" + secrets.token_hex(8)
    state.storage.insert_api_keys(
        [
            (
                key_id,
                name,
                keyformat.display_prefix(secret),
                sha256_hex(secret),
                " ".join(scopes),
                now,
                expires_at,
                caller.sub,
                caller.email or caller.sub,
                caller.org,
            )
        ]
    )
    row = state.storage.api_key_by_id(key_id)
    assert row is not None
    payload = json.dumps({**api_key_json(row), "key": secret}, separators=(",", ":")).encode()
    if idempotency_key is not None:
        state.idempotency[(caller.sub, idempotency_key)] = IdempotentResponse(
            owner=caller.sub, body_fingerprint=fingerprint, status=201, body=payload, created_at=now
        )
    return Response(
        payload,
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/v1/api-keys/{key_id}", "Cache-Control": "no-store"},
    )


def _visible_key(state: SandboxState, caller: Caller, key_id: str) -> ApiKeyRow:
    row = state.storage.api_key_by_id(key_id)
    if (
        row is None
        or row.org != caller.org
        or (row.owner_sub != caller.sub and not caller.is_admin)
    ):
        raise Problem(404, "not_found", "No API key with this id")
    return row


async def get_key(request: Request) -> JSONResponse:
    state = state_of(request)
    caller = _user_caller(request)
    row = _visible_key(state, caller, str(request.path_params["key_id"]))
    return JSONResponse(api_key_json(row))


async def revoke_key(request: Request) -> Response:
    state = state_of(request)
    caller = _user_caller(request)
    row = _visible_key(state, caller, str(request.path_params["key_id"]))
    state.storage.revoke_api_key(row.id, state.clock.now())
    return Response(status_code=204)
