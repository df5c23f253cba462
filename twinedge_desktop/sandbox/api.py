"""The TwinEdge API under ``/v1``: the caller, API keys and small sample data.

A caller is a user access token, a client-credentials access token or an API
key, each sent as ``Authorization: Bearer …``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from twinedge_desktop import keyformat
from twinedge_desktop.sandbox.callers import Caller, identify
from twinedge_desktop.sandbox.limits import context_of
from twinedge_desktop.sandbox.oauth import state_of
from twinedge_desktop.sandbox.problems import (
    Problem,
    insufficient_scope,
    validation,
)
from twinedge_desktop.sandbox.state import (
    IDEMPOTENCY_SECONDS,
    IdempotentResponse,
    SandboxState,
    rfc3339,
)
from twinedge_desktop.sandbox.storage import ApiKeyRow, sha256_hex
from twinedge_desktop.sandbox.validation import (
    bounded_int,
    decode_cursor,
    display_name,
    encode_cursor,
    parse_json,
    parse_rfc3339,
    printable_excerpt,
    query_value,
    refuse_unknown_parameters,
)
from twinedge_desktop.scopes import SCOPES_BY_NAME

__all__ = ["Caller", "authenticate"]  # Caller lives in callers.py; re-exported for handlers

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_NAME_LENGTH = 64
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
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
_LIST_PARAMETERS = frozenset({"limit", "cursor"})


async def list_keys(request: Request) -> JSONResponse:
    state = state_of(request)
    caller = user_caller(request)
    params = request.query_params
    refuse_unknown_parameters(params, _LIST_PARAMETERS)
    limit = bounded_int(
        query_value(params, "limit"),
        field="limit",
        default=DEFAULT_PAGE_SIZE,
        low=1,
        high=MAX_PAGE_SIZE,
    )
    cursor = query_value(params, "cursor")
    before = decode_cursor(state.cursor_secret, _KEYS_LISTING, cursor) if cursor else None
    rows = state.storage.list_api_keys(
        owner_sub=None if caller.is_admin else caller.sub,
        org=caller.org,
        before_seq=before,
        limit=limit + 1,
    )
    page = rows[:limit]
    next_cursor = (
        encode_cursor(state.cursor_secret, _KEYS_LISTING, page[-1].seq)
        if len(rows) > limit
        else None
    )
    return JSONResponse({"data": [api_key_json(row) for row in page], "next_cursor": next_cursor})


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


async def read_json(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Problem(
            415, "invalid_request", "the body must be JSON (Content-Type: application/json)"
        )
    return parse_json(await request.body())


async def create_key(request: Request) -> Response:
    state = state_of(request)
    caller = user_caller(request)
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
            _refuse_replay_of_unusable_key(state, previous, now)
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
            owner=caller.sub,
            body_fingerprint=fingerprint,
            status=201,
            body=payload,
            created_at=now,
            key_id=key_id,
        )
    return Response(
        payload,
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/v1/api-keys/{key_id}", "Cache-Control": "no-store"},
    )


def _refuse_replay_of_unusable_key(
    state: SandboxState, previous: IdempotentResponse, now: float
) -> None:
    """A replay never hands out the secret of a key that no longer works.

    Chosen over answering the key without ``key``: a client retrying a create expects
    the secret, and a 409 tells it plainly that there is none to have (issue 15, #5).
    """
    if previous.key_id is None:
        return
    row = state.storage.api_key_by_id(previous.key_id)
    if row is None or row.revoked_at is not None:
        reason = "has since been revoked"
    elif row.expires_at is not None and row.expires_at <= now:
        reason = "has expired"
    else:
        return
    raise Problem(
        409,
        "conflict",
        f"The key created with this Idempotency-Key ({previous.key_id}) {reason}; its "
        "secret is not shown again. Create a new key with a new Idempotency-Key.",
    )


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
    for response in state.idempotency.values():
        if response.key_id == row.id:
            response.body = b""
    return Response(status_code=204)
