"""The TwinEdge API under ``/v1``: the caller, API keys and small sample data.

A caller is a user access token, a client-credentials access token or an API
key, each sent as ``Authorization: Bearer …``.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from twinedge_desktop import keyformat
from twinedge_desktop.sandbox.callers import Caller, identify
from twinedge_desktop.sandbox.idempotency import WhenGone, forget_secrets_of, idempotent_request
from twinedge_desktop.sandbox.limits import context_of
from twinedge_desktop.sandbox.oauth import state_of
from twinedge_desktop.sandbox.problems import (
    Problem,
    insufficient_scope,
    validation,
)
from twinedge_desktop.sandbox.state import SandboxState, rfc3339
from twinedge_desktop.sandbox.storage import ApiKeyRow, sha256_hex
from twinedge_desktop.sandbox.validation import (
    display_name,
    next_page_cursor,
    page_window,
    parse_rfc3339,
    printable_excerpt,
    read_json,
)
from twinedge_desktop.scopes import SCOPES_BY_NAME

# Caller lives in callers.py and read_json in validation.py; re-exported for handlers.
__all__ = ["Caller", "authenticate", "read_json"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_NAME_LENGTH = 64
_CREATE_FIELDS = frozenset({"name", "scopes", "expires_at"})


def authenticate(request: Request) -> Caller:
    """The caller of an API request; raises the contract's 401 Problem.

    The gateway identified it already (once per request, before the rate limit:
    callers.py); outside the gateway (a handler called directly) it is done here.
    """
    context = context_of(request)
    if context is not None and (context.caller or context.auth_problem):
        if context.auth_problem is not None:
            raise context.auth_problem
        assert context.caller is not None
        return context.caller
    return identify(state_of(request), request.headers.get("authorization"))


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


def user_caller(request: Request) -> Caller:
    """The caller, who must be a signed-in user: key management is not for API keys or
    client tokens (403 ``insufficient_scope``)."""
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


_KEYS_LISTING = "api-keys"


async def list_keys(request: Request) -> JSONResponse:
    state = state_of(request)
    caller = user_caller(request)
    limit, before = page_window(
        request.query_params,
        state.cursor_secret,
        _KEYS_LISTING,
        default=DEFAULT_PAGE_SIZE,
        high=MAX_PAGE_SIZE,
    )
    rows = state.storage.list_api_keys(
        owner_sub=None if caller.is_admin else caller.sub,
        org=caller.org,
        before_seq=before,
        limit=limit + 1,
    )
    next_cursor = next_page_cursor(
        state.cursor_secret, _KEYS_LISTING, [row.seq for row in rows], limit
    )
    return JSONResponse(
        {"data": [api_key_json(row) for row in rows[:limit]], "next_cursor": next_cursor}
    )


def _parse_expiry(value: Any, now: float) -> float | None:
    if value is None:
        return None
    timestamp = parse_rfc3339(value, field="expires_at").timestamp()
    if timestamp <= now:
        raise validation("expires_at", "expires_at must be in the future")
    return timestamp


def _validate_create(body: Any, now: float) -> tuple[str, tuple[str, ...], float | None]:
    if not isinstance(body, dict):
        raise validation(None, "the body must be a JSON object")
    for field_name in body:
        if field_name not in _CREATE_FIELDS:
            shown = printable_excerpt(field_name)
            raise validation(field_name[:64], f"unknown field {shown!r}")
    name = display_name(body.get("name"), field="name", max_length=MAX_NAME_LENGTH)
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not scopes:
        raise validation("scopes", "scopes must be a non-empty list of scope names")
    unique: dict[str, None] = {}
    for scope in scopes:
        if not isinstance(scope, str) or scope not in SCOPES_BY_NAME:
            shown = printable_excerpt(scope) if isinstance(scope, str) else type(scope).__name__
            raise validation("scopes", f"unknown scope {shown!r}")
        unique.setdefault(scope, None)
    return name, tuple(unique), _parse_expiry(body.get("expires_at"), now)


async def create_key(request: Request) -> Response:
    state = state_of(request)
    caller = user_caller(request)
    body = await read_json(request)
    idempotent = idempotent_request(request, owner=caller.sub, operation="api-keys", body=body)
    now = state.clock.now()
    replayed = idempotent.replay(
        state,
        now,
        why_gone=lambda key_id: _why_unusable(state, key_id, now),
        when_gone=WhenGone.CONFLICT,
        what="key",
    )
    if replayed is not None:
        return replayed
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
    return idempotent.respond(
        state,
        now,
        {**api_key_json(row), "key": secret},
        resource_id=key_id,
        location=f"/v1/api-keys/{key_id}",
    )


def _why_unusable(state: SandboxState, key_id: str, now: float) -> str | None:
    """Why a created key no longer works, or None: an idempotent replay never hands out the
    secret of a key that no longer works (a 409 instead, docs/contracts.md)."""
    row = state.storage.api_key_by_id(key_id)
    if row is None or row.revoked_at is not None:
        return "has since been revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "has expired"
    return None


def visible_key(state: SandboxState, caller: Caller, key_id: str) -> ApiKeyRow:
    """The key ``key_id`` if the caller owns it or is an admin of its organisation; 404
    otherwise (whether it exists is not told)."""
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
    caller = user_caller(request)
    row = visible_key(state, caller, str(request.path_params["key_id"]))
    return JSONResponse(api_key_json(row))


async def revoke_key(request: Request) -> Response:
    state = state_of(request)
    caller = user_caller(request)
    row = visible_key(state, caller, str(request.path_params["key_id"]))
    state.storage.revoke_api_key(row.id, state.clock.now())
    # Replays of its create now answer 409; the copy of its secret is not needed anymore.
    forget_secrets_of(state, row.id)
    return Response(status_code=204)
