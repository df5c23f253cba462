"""OAuth applications under ``/v1/oauth-apps`` (DESIGN.md "Turn 2 additions").

People register their own applications here; a registered app works at
``/oauth/authorize`` and ``/oauth/token`` at once, because ``Storage.client`` finds it.

- Only a *user's* access token may manage apps; an API key or a client token gets
  403 ``insufficient_scope``. Owners see and change their own apps, admins every app of
  their organisation; anyone else gets 404, as if the app did not exist.
- The rules on names, redirect URIs and scopes are ``twinedge_desktop.oauth_apps_rules``,
  the same code the client's editor runs. A bad redirect URI is 422
  ``invalid_redirect_uri`` with ``field: "redirect_uris"`` (RFC 7591 §3.2.2); every other
  bad value 422 ``invalid_request`` with the ``field`` it concerns.
- An app's scopes must be within its owner's (unless the owner is an admin); narrowing
  them revokes the app's access tokens and the refresh tokens that carry a removed scope.
- Secrets (``web`` and ``service``): 43 base62 characters from ``secrets`` (≈256 bits),
  returned once; only their SHA-256 and last four characters are stored. A new secret
  leaves the previous one working for 24 hours (``previous_secret_expires_at``), or
  not at all with ``{"revoke_previous": true}``. Rotating again during a grace period
  replaces the previous secret with the one that was current.
- ``Idempotency-Key`` on create (and on a new secret): a replay within 10 minutes
  returns the identical response, so a response lost on the way yields one app (or one
  secret) when the client retries (``sandbox/idempotency.py``, shared with API keys).
  Replays live in memory only; a deleted app's are dropped with it, and its create is
  then handled as new.
- ``limit`` and ``cursor`` are read as every list's (``validation.page_window``): plain
  digits, each once, and only cursors this sandbox issued for this list.
- Deleting an app removes its client id at once (``invalid_client``) and revokes every
  token issued to it.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from twinedge_desktop.oauth_apps_rules import (
    ApplicationType,
    check_redirect_uris,
    name_problem,
    normalized_name,
    parse_application_type,
    scopes_beyond,
    scopes_problem,
    unique_scopes,
)
from twinedge_desktop.sandbox.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Caller, authenticate
from twinedge_desktop.sandbox.idempotency import WhenGone, forget_secrets_of, idempotent_request
from twinedge_desktop.sandbox.oauth import state_of
from twinedge_desktop.sandbox.problems import Problem, insufficient_scope, validation
from twinedge_desktop.sandbox.state import SandboxState, rfc3339
from twinedge_desktop.sandbox.storage import OAuthAppRow, sha256_hex
from twinedge_desktop.sandbox.validation import next_page_cursor, page_window, read_json

SECRET_GRACE_SECONDS = 24 * 3600
SECRET_LENGTH = 43  # base62: 43 × log2(62) ≈ 256 bits
SECRET_HINT_LENGTH = 4
_SECRET_ALPHABET = string.digits + string.ascii_letters
_CREATE_FIELDS = frozenset({"name", "application_type", "redirect_uris", "scopes"})
_UPDATE_FIELDS = frozenset({"name", "redirect_uris", "scopes"})
_SECRET_FIELDS = frozenset({"revoke_previous"})
_APPS_LISTING = "oauth-apps"


# -- who may do what ---------------------------------------------------------------------


def _manager(request: Request) -> Caller:
    """The caller, when it is a person's access token (the only credential that manages apps)."""
    caller = authenticate(request)
    if caller.kind != "user":
        raise insufficient_scope(
            "OAuth applications can be managed only with a signed-in user's access token "
            "(not with an API key or a client token)"
        )
    return caller


def _visible_app(state: SandboxState, caller: Caller, app_id: str) -> OAuthAppRow:
    row = state.storage.oauth_app_by_id(app_id)
    if (
        row is None
        or row.org != caller.org
        or (row.owner_sub != caller.sub and not caller.is_admin)
    ):
        raise Problem(404, "not_found", "No OAuth application with this id")
    return row


def _owner_scopes(state: SandboxState, caller: Caller, row: OAuthAppRow | None) -> tuple[str, ...]:
    """What an app's scopes must stay within: the caller's own token when the caller owns
    (or is creating) the app, else the owner's account (an admin changing someone's app
    cannot hand that person more than they have)."""
    if row is None or row.owner_sub == caller.sub:
        return caller.scopes
    owner = state.storage.user_by_sub(row.owner_sub)
    return owner.scopes if owner is not None else ()


def _require_within(scopes: tuple[str, ...], holder: tuple[str, ...], whose: str) -> None:
    beyond = scopes_beyond(scopes, holder)
    if beyond:
        raise insufficient_scope(
            f"An application's scopes must be within {whose}; not included: " + " ".join(beyond),
            scope=" ".join(beyond),
        )


# -- JSON --------------------------------------------------------------------------------


def app_json(row: OAuthAppRow, now: float) -> dict[str, Any]:
    """The contract's ``OAuthApp`` (never a secret, never a hash)."""
    previous_until = row.previous_secret_expires_at
    if row.previous_secret_hash is None or previous_until is None or previous_until <= now:
        previous_until = None
    return {
        "id": row.id,
        "client_id": row.client_id,
        "name": row.name,
        "application_type": row.application_type,
        "redirect_uris": list(row.redirect_uris),
        "scopes": list(row.scopes),
        "created_at": rfc3339(row.created_at),
        "created_by": row.created_by,
        "secret_hint": row.secret_hint,
        "previous_secret_expires_at": rfc3339(previous_until),
    }


def _invalid_redirect_uri(description: str) -> Problem:
    return Problem(422, "invalid_redirect_uri", description, field="redirect_uris")


def _object(body: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise validation(None, "the body must be a JSON object")
    for key in body:
        if key not in allowed:
            if key == "application_type":
                raise validation(
                    key, "an application's type cannot be changed; register a new application"
                )
            if key in ("client_id", "id", "client_secret", "secret_hint", "created_by"):
                raise validation(key, f"{key} is set by the server")
            raise validation(key, f"unknown field {key!r}")
    return body


def _name(body: dict[str, Any]) -> str:
    value = body.get("name")
    if not isinstance(value, str):
        raise validation("name", "name is required and must be a string")
    problem = name_problem(value)
    if problem is not None:
        raise validation("name", f"name {problem}")
    return normalized_name(value)


def _application_type(body: dict[str, Any]) -> ApplicationType:
    application_type = parse_application_type(body.get("application_type"))
    if application_type is None:
        allowed = ", ".join(kind.value for kind in ApplicationType)
        raise validation("application_type", f"application_type must be one of: {allowed}")
    return application_type


def _redirect_uris(body: dict[str, Any], application_type: ApplicationType) -> tuple[str, ...]:
    value = body.get("redirect_uris")
    if value is None and not application_type.uses_redirect_uris:
        return ()
    if not isinstance(value, list) or not all(isinstance(uri, str) for uri in value):
        raise _invalid_redirect_uri("redirect_uris must be a list of URI strings")
    check = check_redirect_uris(application_type, value)
    problem = check.first_problem()
    if problem is not None:
        raise _invalid_redirect_uri(problem)
    return tuple(value)


def _scopes(body: dict[str, Any]) -> tuple[str, ...]:
    value = body.get("scopes")
    if not isinstance(value, list) or not all(isinstance(scope, str) for scope in value):
        raise validation("scopes", "scopes must be a list of scope names")
    scopes = unique_scopes(value)
    problem = scopes_problem(scopes)
    if problem is not None:
        raise validation("scopes", f"scopes: {problem}")
    return scopes


# -- secrets ------------------------------------------------------------------------


def _new_secret() -> tuple[str, str, str]:
    """(secret, its storage hash, its hint)."""
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    return secret, sha256_hex(secret), secret[-SECRET_HINT_LENGTH:]


# -- endpoints ---------------------------------------------------------------------------


async def list_apps(request: Request) -> JSONResponse:
    state = state_of(request)
    caller = _manager(request)
    limit, before = page_window(
        request.query_params,
        state.cursor_secret,
        _APPS_LISTING,
        default=DEFAULT_PAGE_SIZE,
        high=MAX_PAGE_SIZE,
    )
    rows = state.storage.list_oauth_apps(
        owner_sub=None if caller.is_admin else caller.sub,
        org=caller.org,
        before_seq=before,
        limit=limit + 1,
    )
    now = state.clock.now()
    next_cursor = next_page_cursor(
        state.cursor_secret, _APPS_LISTING, [row.seq for row in rows], limit
    )
    return JSONResponse(
        {"data": [app_json(row, now) for row in rows[:limit]], "next_cursor": next_cursor}
    )


async def create_app(request: Request) -> Response:
    state = state_of(request)
    caller = _manager(request)
    body = await read_json(request)
    # Nothing below awaits: the check for a replay and the insert cannot interleave with
    # another request on the sandbox's one event loop.
    idempotent = idempotent_request(request, owner=caller.sub, operation="oauth-apps", body=body)
    now = state.clock.now()
    replayed = idempotent.replay(
        state,
        now,
        why_gone=lambda app_id: _why_gone(state, app_id),
        when_gone=WhenGone.FORGET,
        what="application",
    )
    if replayed is not None:
        return replayed
    fields = _object(body, _CREATE_FIELDS)
    name = _name(fields)
    application_type = _application_type(fields)
    redirect_uris = _redirect_uris(fields, application_type)
    scopes = _scopes(fields)
    _require_within(scopes, _owner_scopes(state, caller, None), "your own")
    secret, secret_hash, hint = (
        _new_secret() if application_type.is_confidential else (None, None, None)
    )
    row = state.storage.insert_oauth_app(
        app_id="app_" + secrets.token_hex(8),
        client_id="client-" + secrets.token_hex(10),
        name=name,
        application_type=application_type.value,
        redirect_uris=redirect_uris,
        scopes=scopes,
        secret_hash=secret_hash,
        secret_hint=hint,
        created_at=now,
        owner_sub=caller.sub,
        created_by=caller.email or caller.sub,
        org=caller.org,
    )
    payload = app_json(row, now)
    if secret is not None:
        payload["client_secret"] = secret
    return idempotent.respond(
        state, now, payload, resource_id=row.id, location=f"/v1/oauth-apps/{row.id}"
    )


async def get_app(request: Request) -> JSONResponse:
    state = state_of(request)
    caller = _manager(request)
    row = _visible_app(state, caller, str(request.path_params["app_id"]))
    return JSONResponse(app_json(row, state.clock.now()))


async def update_app(request: Request) -> JSONResponse:
    state = state_of(request)
    caller = _manager(request)
    body = await read_json(request)
    row = _visible_app(state, caller, str(request.path_params["app_id"]))
    fields = _object(body, _UPDATE_FIELDS)
    application_type = ApplicationType(row.application_type)
    name = _name(fields) if "name" in fields else row.name
    redirect_uris = (
        _redirect_uris(fields, application_type) if "redirect_uris" in fields else row.redirect_uris
    )
    scopes = _scopes(fields) if "scopes" in fields else row.scopes
    # Only what is added must be within the owner's scopes: narrowing is always allowed.
    added = tuple(scope for scope in scopes if scope not in row.scopes)
    whose = "your own" if row.owner_sub == caller.sub else "its owner's"
    _require_within(added, _owner_scopes(state, caller, row), whose)
    state.storage.update_oauth_app(row.id, name=name, redirect_uris=redirect_uris, scopes=scopes)
    now = state.clock.now()
    if set(row.scopes) - set(scopes):
        state.storage.revoke_client_tokens(row.client_id, now, refresh_scopes_outside=scopes)
    updated = state.storage.oauth_app_by_id(row.id)
    assert updated is not None
    return JSONResponse(app_json(updated, now))


async def rotate_secret(request: Request) -> Response:
    state = state_of(request)
    caller = _manager(request)
    raw = await request.body()
    body: Any = await read_json(request) if raw.strip() else {}
    row = _visible_app(state, caller, str(request.path_params["app_id"]))
    idempotent = idempotent_request(
        request, owner=caller.sub, operation=f"oauth-app-secret:{row.id}", body=body
    )
    now = state.clock.now()
    replayed = idempotent.replay(
        state,
        now,
        why_gone=lambda app_id: _why_gone(state, app_id),
        when_gone=WhenGone.FORGET,
        what="secret",
    )
    if replayed is not None:
        return replayed
    fields = _object(body, _SECRET_FIELDS)
    revoke_previous = fields.get("revoke_previous", False)
    if not isinstance(revoke_previous, bool):
        raise validation("revoke_previous", "revoke_previous must be true or false")
    application_type = ApplicationType(row.application_type)
    if not application_type.is_confidential or row.secret_hash is None:
        raise validation(
            "application_type",
            f"a {application_type.value} application is a public client and has no secret",
        )
    secret, secret_hash, hint = _new_secret()
    state.storage.set_oauth_app_secret(
        row.id,
        secret_hash=secret_hash,
        secret_hint=hint,
        previous_secret_hash=None if revoke_previous else row.secret_hash,
        previous_secret_expires_at=None if revoke_previous else now + SECRET_GRACE_SECONDS,
    )
    updated = state.storage.oauth_app_by_id(row.id)
    assert updated is not None
    payload = {**app_json(updated, now), "client_secret": secret}
    return idempotent.respond(
        state, now, payload, resource_id=row.id, location=f"/v1/oauth-apps/{row.id}"
    )


async def delete_app(request: Request) -> Response:
    state = state_of(request)
    caller = _manager(request)
    row = _visible_app(state, caller, str(request.path_params["app_id"]))
    # Sign-ins already under way for the app fail at their next step: oauth.py looks the
    # client up again at sign-in, consent and token time.
    state.storage.delete_oauth_app(row.id, row.client_id, state.clock.now())
    # Its stored answers hold its secrets: dropped now; a replay of its create is new.
    forget_secrets_of(state, row.id)
    return Response(status_code=204)


def _why_gone(state: SandboxState, app_id: str) -> str | None:
    """Why an app created (or given a secret) under an Idempotency-Key no longer works."""
    return "has since been deleted" if state.storage.oauth_app_by_id(app_id) is None else None
