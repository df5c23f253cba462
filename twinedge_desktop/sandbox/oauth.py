"""The authorization server: discovery, JWKS, authorize (pages), token and revocation.

OAuth 2.0 (RFC 6749) with PKCE S256 only (RFC 7636), native-app loopback
redirects on any port (RFC 8252 §7.3), the ``iss`` authorization response
parameter (RFC 9207), revocation (RFC 7009) and metadata (RFC 8414).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit

import jwt
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from twinedge_desktop.oauth_apps_rules import ApplicationType, redirect_uri_matches
from twinedge_desktop.sandbox.pages import error_page, render
from twinedge_desktop.sandbox.problems import Problem, invalid_request
from twinedge_desktop.sandbox.state import (
    ACCESS_TOKEN_SECONDS,
    CODE_SECONDS,
    ORG_ID,
    REFRESH_REUSE_GRACE_SECONDS,
    REFRESH_TOKEN_SECONDS,
    PendingAuthorization,
    SandboxState,
)
from twinedge_desktop.sandbox.storage import (
    Client,
    RefreshTokenRow,
    User,
    sha256_hex,
    verify_password,
)
from twinedge_desktop.sandbox.validation import printable_excerpt
from twinedge_desktop.scopes import ALL_SCOPE_NAMES, SCOPES_BY_NAME, parse_scope_string
from twinedge_desktop.timefmt import format_duration

CSRF_COOKIE = "twinedge_sandbox_csrf"
_PKCE_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def state_of(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


# -- discovery and keys ---------------------------------------------------------------


def metadata(request: Request) -> JSONResponse:
    state = state_of(request)
    base = state.issuer
    return JSONResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": list(ALL_SCOPE_NAMES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
            "authorization_response_iss_parameter_supported": True,
            "service_documentation": f"{base}/",
            # TwinEdge extension (RFC 8414 §2 allows more fields): where this issuer's API
            # is, since the tokens' audience names production's API, not this address.
            "api_base_url": state.api_base_url,
        }
    )


def jwks(request: Request) -> JSONResponse:
    state = state_of(request)
    return JSONResponse(state.keys.jwks(state.clock.now()), headers={"Cache-Control": "max-age=60"})


# -- redirect URIs ----------------------------------------------------------------------


def redirect_uri_allowed(client: Client, redirect_uri: str) -> bool:
    """Exact match, except that a loopback template matches the same URI on any port.

    A template (``http://127.0.0.1:{port}/callback``) is a pattern, not a URI: the
    literal text of it never matches. Registered applications follow the shared rules
    (``oauth_apps_rules``: exact, and any port for a native app's loopback URI).
    """
    if client.application_type is not None:
        return redirect_uri_matches(
            ApplicationType(client.application_type), client.redirect_uris, redirect_uri
        )
    if "{" not in redirect_uri and redirect_uri in client.redirect_uris:
        return True
    try:
        parts = urlsplit(redirect_uri)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "http" or parts.query or parts.fragment or "@" in parts.netloc:
        return False
    if port is None or not 0 < port < 65536:
        return False
    host = parts.netloc.rsplit(":", 1)[0]
    if host not in _LOOPBACK_HOSTS:
        return False
    concrete = f"http://{host}:{port}{parts.path}"
    return concrete == redirect_uri and any(
        concrete == template.format(port=port) for template in client.redirect_uris
    )


def _redirect(redirect_uri: str, params: Mapping[str, str | None]) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(
        f"{redirect_uri}{separator}{query}",
        status_code=303,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _redirect_error(
    state: SandboxState, redirect_uri: str, client_state: str | None, error: str, description: str
) -> RedirectResponse:
    return _redirect(
        redirect_uri,
        {
            "error": error,
            "error_description": description,
            "state": client_state,
            "iss": state.issuer,
        },
    )


# -- authorize -----------------------------------------------------------------------------


def _single(multi: list[tuple[str, str]], name: str) -> str | None:
    """The one value of a query parameter; ValueError if it is repeated (RFC 6749 §3.1)."""
    values = [value for key, value in multi if key == name]
    if len(values) > 1:
        raise ValueError(name)
    return values[0] if values else None


async def authorize(request: Request) -> Response:
    """Validate the request; errors about the client or redirect URI show a page, never
    redirect. Then show the sign-in page."""
    state = state_of(request)
    state.forget_stale()
    multi = request.query_params.multi_items()
    try:
        client_id = _single(multi, "client_id")
        redirect_uri = _single(multi, "redirect_uri")
    except ValueError as repeated:
        return error_page(
            state.issuer, "Invalid request", f"The parameter {repeated} is given more than once."
        )
    client = state.storage.client(client_id) if client_id else None
    if client is None:
        return error_page(
            state.issuer,
            "Unknown application",
            "This sign-in request names an application the sandbox does not know.",
            detail=f"client_id: {client_id}" if client_id else "client_id is missing.",
        )
    if "authorization_code" not in client.grant_types or not redirect_uri:
        return error_page(
            state.issuer,
            "Invalid redirect",
            "The application did not name a redirect URI it registered for browser sign-in.",
        )
    if not redirect_uri_allowed(client, redirect_uri):
        return error_page(
            state.issuer,
            "Invalid redirect",
            "The redirect URI is not registered for this application, so the sandbox "
            "will not send you there.",
            detail=f"redirect_uri: {redirect_uri}",
        )

    client_state: str | None
    try:
        client_state = _single(multi, "state")
        response_type = _single(multi, "response_type")
        scope_text = _single(multi, "scope")
        challenge = _single(multi, "code_challenge")
        method = _single(multi, "code_challenge_method")
    except ValueError as repeated:
        first_state = request.query_params.get("state")
        return _redirect_error(
            state, redirect_uri, first_state, "invalid_request", f"{repeated} given more than once"
        )

    if response_type != "code":
        return _redirect_error(
            state,
            redirect_uri,
            client_state,
            "unsupported_response_type",
            "response_type must be code",
        )
    if challenge is None:
        if client.is_public:
            return _redirect_error(
                state,
                redirect_uri,
                client_state,
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            )
        if method is not None:
            return _redirect_error(
                state,
                redirect_uri,
                client_state,
                "invalid_request",
                "code_challenge_method without code_challenge",
            )
    else:
        if method != "S256":
            return _redirect_error(
                state,
                redirect_uri,
                client_state,
                "invalid_request",
                "code_challenge_method must be S256 (plain is not supported)",
            )
        if not _S256_CHALLENGE.fullmatch(challenge):
            return _redirect_error(
                state,
                redirect_uri,
                client_state,
                "invalid_request",
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
            )
    requested = parse_scope_string(scope_text)
    if not requested and client.application_type is not None:
        requested = list(client.scopes)  # a registered app asks for its own scopes by default
    unknown = [name for name in requested if name not in SCOPES_BY_NAME]
    if unknown:
        return _redirect_error(
            state,
            redirect_uri,
            client_state,
            "invalid_scope",
            f"unknown scope: {' '.join(unknown)}",
        )

    pending = PendingAuthorization(
        request_id=secrets.token_urlsafe(18),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=tuple(requested),
        state=client_state,
        code_challenge=challenge,
        csrf_token=secrets.token_urlsafe(24),
        created_at=state.clock.now(),
    )
    state.pending[pending.request_id] = pending
    return _signin_page(state, client, pending, email="", error=None)


def _csrf_cookie_name(pending: PendingAuthorization) -> str:
    # One cookie per sign-in, so two sign-ins in two tabs of one browser both work.
    return f"{CSRF_COOKIE}_{pending.request_id}"


def _set_csrf_cookie(response: Response, pending: PendingAuthorization) -> Response:
    response.set_cookie(
        _csrf_cookie_name(pending),
        pending.csrf_token,
        max_age=900,
        path=f"/oauth/authorize/{pending.request_id}",
        httponly=True,
        samesite="strict",
    )
    return response


def _signin_page(
    state: SandboxState,
    client: Client,
    pending: PendingAuthorization,
    *,
    email: str,
    error: str | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    response = render(
        "signin.html",
        issuer=state.issuer,
        status=status,
        headers=headers,
        client_name=client.name,
        action=f"/oauth/authorize/{pending.request_id}/signin",
        csrf_token=pending.csrf_token,
        email=email,
        error=error,
        attempt_limit=state.signin_attempts.limit,
        attempt_every=format_duration(state.signin_attempts.seconds_per_attempt),
    )
    return _set_csrf_cookie(response, pending)


def granted_to(client: Client, user: User, requested: tuple[str, ...]) -> tuple[str, ...]:
    """What a sign-in grants: :func:`granted_scopes` within the client's own scopes, so a
    registered app's tokens never carry more than the app may have."""
    return tuple(name for name in granted_scopes(user, requested) if name in client.scopes)


def granted_scopes(user: User, requested: tuple[str, ...]) -> tuple[str, ...]:
    """Requested ∩ the user's scopes (an admin may be granted any); nothing requested =
    everything the user has."""
    if not requested:
        return user.scopes
    if "admin" in user.scopes:
        return requested
    return tuple(name for name in requested if name in user.scopes)


def _csrf_ok(request: Request, form: FormData, pending: PendingAuthorization) -> bool:
    sent = form.get("csrf_token")
    cookie = request.cookies.get(_csrf_cookie_name(pending), "")
    return (
        isinstance(sent, str)
        and hmac.compare_digest(sent.encode(), pending.csrf_token.encode())
        and hmac.compare_digest(cookie.encode(), pending.csrf_token.encode())
    )


def _expired_page(state: SandboxState) -> Response:
    return error_page(
        state.issuer,
        "Sign-in expired",
        "This sign-in page is no longer valid (it expired or was already used).",
    )


def _forged_page(state: SandboxState) -> Response:
    return error_page(
        state.issuer,
        "Security check failed",
        "The form's security token did not match this browser session. "
        "Start the sign-in again from the application.",
        status=403,
    )


async def _form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise invalid_request("the body must be application/x-www-form-urlencoded")
    return await request.form(max_files=0, max_fields=50)


async def signin(request: Request) -> Response:
    state = state_of(request)
    state.forget_stale()
    pending = state.pending.get(str(request.path_params["request_id"]))
    if pending is None:
        return _expired_page(state)
    client = state.storage.client(pending.client_id)
    if client is None:
        return _expired_page(state)
    try:
        form = await _form(request)
    except Problem:
        return _forged_page(state)
    if not _csrf_ok(request, form, pending):
        return _forged_page(state)
    email = form.get("email")
    password = form.get("password")
    email_text = email if isinstance(email, str) else ""
    # Wrong passwords are limited per account (limits.SignInAttempts): checked one at a
    # time per account, so parallel guesses cannot slip past the count.
    account = email_text.strip().lower()[:320]
    attempts = state.signin_attempts
    async with attempts.turn(account):
        wait = attempts.paused_for(account, state.clock.now())
        if wait is not None:
            return _signin_page(
                state,
                client,
                pending,
                email=email_text[:200],
                error="Too many wrong passwords for this email address. Sign-in for it is "
                f"paused; try again in {format_duration(wait)}.",
                status=429,
                headers={"Retry-After": str(wait)},
            )
        user = state.storage.user_by_email(email_text) if email_text else None
        # PBKDF2 takes tens of milliseconds: off the loop, so other requests keep flowing.
        if (
            user is None
            or not isinstance(password, str)
            or not await asyncio.to_thread(verify_password, password, user.password_hash)
        ):
            attempts.failed(account, state.clock.now())
            return _signin_page(
                state,
                client,
                pending,
                email=email_text[:200],
                error="Email or password is incorrect.",
                status=400,
            )
        attempts.succeeded(account)
    if state.pending.get(pending.request_id) is not pending:  # expired meanwhile
        return _expired_page(state)
    granted = granted_to(client, user, pending.scopes)
    if not granted:
        state.pending.pop(pending.request_id, None)
        return _redirect_error(
            state,
            pending.redirect_uri,
            pending.state,
            "invalid_scope",
            "none of the requested scopes is available to this user",
        )
    pending.user_sub = user.sub
    pending.csrf_token = secrets.token_urlsafe(24)  # a new token once signed in
    response = render(
        "consent.html",
        issuer=state.issuer,
        client_name=client.name,
        user_name=user.name,
        user_email=user.email,
        granted=[SCOPES_BY_NAME[name] for name in granted],
        not_granted=[name for name in pending.scopes if name not in granted],
        registered_by=client.registered_by,
        redirect_uri=pending.redirect_uri,
        action=f"/oauth/authorize/{pending.request_id}/consent",
        csrf_token=pending.csrf_token,
    )
    return _set_csrf_cookie(response, pending)


async def consent(request: Request) -> Response:
    state = state_of(request)
    state.forget_stale()
    pending = state.pending.get(str(request.path_params["request_id"]))
    if pending is None or pending.user_sub is None:
        return _expired_page(state)
    try:
        form = await _form(request)
    except Problem:
        return _forged_page(state)
    if not _csrf_ok(request, form, pending):
        return _forged_page(state)
    if state.pending.get(pending.request_id) is not pending:  # decided meanwhile
        return _expired_page(state)
    decision = form.get("decision")
    if decision not in ("allow", "deny"):
        return error_page(state.issuer, "Invalid request", "Choose Allow or Deny.")
    state.pending.pop(pending.request_id, None)
    if decision == "deny":
        return _redirect_error(
            state, pending.redirect_uri, pending.state, "access_denied", "the user denied access"
        )
    user = state.storage.user_by_sub(pending.user_sub)
    client = state.storage.client(pending.client_id)
    if user is None or client is None:  # e.g. the app was deleted during the sign-in
        return _expired_page(state)
    code = secrets.token_urlsafe(32)
    now = state.clock.now()
    state.storage.insert_code(
        sha256_hex(code),
        client_id=pending.client_id,
        redirect_uri=pending.redirect_uri,
        sub=user.sub,
        scopes=granted_to(client, user, pending.scopes),
        code_challenge=pending.code_challenge,
        expires_at=now + CODE_SECONDS,
        family_id=secrets.token_hex(12),
    )
    return _redirect(
        pending.redirect_uri, {"code": code, "state": pending.state, "iss": state.issuer}
    )


# -- client authentication ---------------------------------------------------------------


def _form_single(form: FormData, name: str) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise invalid_request(f"{name} is given more than once")
    if not values:
        return None
    value = values[0]
    if not isinstance(value, str):
        raise invalid_request(f"{name} must be a text field")
    return value


def _invalid_client(description: str, *, basic: bool) -> Problem:
    headers = {"WWW-Authenticate": 'Basic realm="TwinEdge"'} if basic else None
    return Problem(401, "invalid_client", description, headers=headers)


def authenticate_client(request: Request, form: FormData) -> Client:
    """The client of a token or revocation request: HTTP Basic or form credentials for
    confidential clients, ``client_id`` alone for public ones."""
    state = state_of(request)
    form_id = _form_single(form, "client_id")
    form_secret = _form_single(form, "client_secret")
    header = request.headers.get("authorization")
    basic = False
    client_id, secret = form_id, form_secret
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "basic":
            raise _invalid_client(
                "use HTTP Basic or form parameters for client authentication", basic=True
            )
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _invalid_client("malformed Basic credentials", basic=True) from None
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise _invalid_client("malformed Basic credentials", basic=True)
        if form_secret is not None:
            raise invalid_request("use one client authentication method, not two")
        basic = True
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if form_id is not None and form_id != client_id:
            raise invalid_request("client_id differs from the Basic credentials")
    if not client_id:
        raise _invalid_client("client authentication is required (client_id)", basic=basic)
    client = state.storage.client(client_id)
    if client is None:
        raise _invalid_client("unknown client", basic=basic)
    if not client.is_public:
        if secret is None or client.secret_hash is None:
            raise _invalid_client("this client must authenticate with its secret", basic=basic)
        if not _secret_matches(state, client, secret):
            raise _invalid_client("client authentication failed", basic=basic)
    return client


def _secret_matches(state: SandboxState, client: Client, secret: str) -> bool:
    """The current secret, or a registered app's previous one during its grace period."""
    presented = sha256_hex(secret)
    if client.secret_hash is not None and hmac.compare_digest(presented, client.secret_hash):
        return True
    previous, until = client.previous_secret_hash, client.previous_secret_expires_at
    return (
        previous is not None
        and until is not None
        and state.clock.now() < until
        and hmac.compare_digest(presented, previous)
    )


# -- token endpoint -------------------------------------------------------------------------


def _issue(
    state: SandboxState,
    *,
    client: Client,
    sub: str,
    scopes: tuple[str, ...],
    family_id: str | None,
    with_refresh: bool,
    grant_scopes: tuple[str, ...] | None = None,
    rotated_from: str | None = None,
) -> JSONResponse:
    """A token response. The access token carries ``scopes``; a refresh token carries the
    grant's scopes, ``grant_scopes`` when a refresh narrowed the access token (RFC 6749 §6:
    a new refresh token has the scope of the one it replaces). ``rotated_from`` is the
    hash of the refresh token this response replaces; it is linked to the new one."""
    now = int(state.clock.now())
    jti = secrets.token_urlsafe(16)
    claims = {
        "iss": state.issuer,
        "sub": sub,
        "aud": state.audience,
        "org": ORG_ID,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + ACCESS_TOKEN_SECONDS,
        "jti": jti,
        "client_id": client.client_id,
    }
    access_token = state.keys.sign(claims)
    state.storage.insert_access_token(
        jti,
        family_id=family_id,
        client_id=client.client_id,
        sub=sub,
        expires_at=now + ACCESS_TOKEN_SECONDS,
    )
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": " ".join(scopes),
    }
    if with_refresh and family_id is not None:
        refresh = secrets.token_urlsafe(32)
        refresh_hash = sha256_hex(refresh)
        state.storage.insert_refresh_token(
            refresh_hash,
            family_id=family_id,
            client_id=client.client_id,
            sub=sub,
            scopes=grant_scopes if grant_scopes is not None else scopes,
            issued_at=now,
            expires_at=now + REFRESH_TOKEN_SECONDS,
            access_jti=jti,
        )
        if rotated_from is not None:
            state.storage.set_refresh_successor(rotated_from, refresh_hash)
        body["refresh_token"] = refresh
    return JSONResponse(body, headers=_NO_STORE)


def _invalid_grant(description: str) -> Problem:
    return Problem(400, "invalid_grant", description)


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, challenge)


def _authorization_code_grant(state: SandboxState, client: Client, form: FormData) -> Response:
    code = _form_single(form, "code")
    redirect_uri = _form_single(form, "redirect_uri")
    verifier = _form_single(form, "code_verifier")
    if not code:
        raise invalid_request("code is required")
    code_hash = sha256_hex(code)
    row = state.storage.code(code_hash)
    if row is None or row.client_id != client.client_id:
        raise _invalid_grant("the authorization code is invalid")
    now = state.clock.now()
    if not state.storage.mark_code_used(code_hash, now):
        # RFC 6749 §4.1.2: a code used twice revokes what was issued with it.
        state.storage.revoke_family(row.family_id, now)
        raise _invalid_grant("the authorization code was already used")
    if now >= row.expires_at:
        raise _invalid_grant("the authorization code has expired")
    if redirect_uri != row.redirect_uri:
        raise _invalid_grant("redirect_uri does not match the authorization request")
    if row.code_challenge is not None:
        if verifier is None:
            raise _invalid_grant("code_verifier is required (PKCE)")
        if not _PKCE_PATTERN.fullmatch(verifier) or not _pkce_matches(verifier, row.code_challenge):
            raise _invalid_grant("code_verifier does not match the code_challenge")
    elif verifier is not None:
        raise _invalid_grant("code_verifier sent for a code issued without a challenge")
    return _issue(
        state,
        client=client,
        sub=row.sub,
        scopes=row.scopes,
        family_id=row.family_id,
        with_refresh=True,
    )


def _requested_scopes(requested_text: str | None) -> tuple[str, ...]:
    """The scopes a token request names; ``invalid_scope`` for a name TwinEdge does not define."""
    requested = parse_scope_string(requested_text)
    unknown = [name for name in requested if name not in SCOPES_BY_NAME]
    if unknown:
        shown = printable_excerpt(" ".join(unknown), 80)
        raise Problem(400, "invalid_scope", f"unknown scope: {shown}")
    return tuple(requested)


def _refresh_scopes(grant: tuple[str, ...], form: FormData) -> tuple[str, ...]:
    """RFC 6749 §6: the scopes of a refreshed access token.

    ``scope`` omitted (or empty: §3.1 treats a parameter without a value as omitted)
    means the original grant; any subset of the grant may be asked for; more than the
    grant, or a name TwinEdge does not define, is ``invalid_scope``. Checked before the
    refresh token is spent, so a typo never costs the sign-in.
    """
    requested = _requested_scopes(_form_single(form, "scope"))
    if not requested:
        return grant
    beyond = [name for name in requested if name not in grant]
    if beyond:
        raise Problem(
            400,
            "invalid_scope",
            "a refresh can ask only for scopes of the original grant; not granted: "
            + " ".join(beyond),
        )
    return requested


def _within_reuse_grace(state: SandboxState, row: RefreshTokenRow, now: float) -> bool:
    """Whether presenting the spent refresh token ``row`` again is a retry of a lost
    response rather than a replay.

    The rule (docs/contracts.md, "Refresh-token reuse grace"): the same client presents
    it within :data:`REFRESH_REUSE_GRACE_SECONDS` of its rotation, and the token it was
    rotated into has never been used (nor revoked). Then whoever lost the response is
    the only one who could have used the successor, and nobody has. OAuth 2.0 Security
    BCP (RFC 9700 §4.14.2) asks for reuse detection; Okta ("grace period for token
    rotation", 0-60 s) and Auth0 ("reuse interval": only the previous token, while the
    newest is unused) both allow exactly this retry window.
    """
    if row.used_at is None or now - row.used_at > REFRESH_REUSE_GRACE_SECONDS:
        return False
    if row.replaced_by is None:
        return False
    successor = state.storage.refresh_token(row.replaced_by)
    return successor is not None and successor.used_at is None and successor.revoked_at is None


def _refresh_token_grant(state: SandboxState, client: Client, form: FormData) -> Response:
    refresh = _form_single(form, "refresh_token")
    if not refresh:
        raise invalid_request("refresh_token is required")
    token_hash = sha256_hex(refresh)
    row = state.storage.refresh_token(token_hash)
    if row is None or row.client_id != client.client_id:
        raise _invalid_grant("the refresh token is invalid")
    now = state.clock.now()
    if row.revoked_at is not None:
        raise _invalid_grant("the refresh token was revoked")
    if now >= row.expires_at:
        raise _invalid_grant("the refresh token has expired")
    # Everything that can be refused without spending the token is checked first.
    scopes = _refresh_scopes(row.scopes, form)
    if state.storage.user_by_sub(row.sub) is None:
        raise _invalid_grant("the user no longer exists")
    if row.used_at is not None:
        if not _within_reuse_grace(state, row, now):
            # Re-use of a rotated refresh token: someone else may hold a copy. Revoke the
            # whole family (every refresh and access token of this sign-in).
            state.storage.revoke_family(row.family_id, now)
            raise _invalid_grant("the refresh token was already used; this session is revoked")
        # A retry after a lost response: the unused successor (and its access token) is
        # revoked and replaced, so at most one live refresh token remains in the family.
        assert row.replaced_by is not None  # checked by _within_reuse_grace
        state.storage.revoke_refresh_token(row.replaced_by, now)
    elif not state.storage.mark_refresh_used(token_hash, now):
        state.storage.revoke_family(row.family_id, now)
        raise _invalid_grant("the refresh token was already used; this session is revoked")
    return _issue(
        state,
        client=client,
        sub=row.sub,
        scopes=scopes,
        family_id=row.family_id,
        with_refresh=True,
        grant_scopes=row.scopes,
        rotated_from=token_hash,
    )


def _client_credentials_grant(state: SandboxState, client: Client, form: FormData) -> Response:
    requested = _requested_scopes(_form_single(form, "scope"))
    if requested:
        scopes = tuple(name for name in requested if name in client.scopes)
    else:
        scopes = client.scopes
    if not scopes:
        raise Problem(
            400, "invalid_scope", "none of the requested scopes is allowed for this client"
        )
    return _issue(
        state,
        client=client,
        sub=client.client_id,
        scopes=scopes,
        family_id=None,
        with_refresh=False,
    )


_GRANTS = {
    "authorization_code": _authorization_code_grant,
    "refresh_token": _refresh_token_grant,
    "client_credentials": _client_credentials_grant,
}


async def token(request: Request) -> Response:
    state = state_of(request)
    form = await _form(request)
    grant_type = _form_single(form, "grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required")
    handler = _GRANTS.get(grant_type)
    if handler is None:
        raise Problem(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
    client = authenticate_client(request, form)
    if grant_type not in client.grant_types:
        raise Problem(400, "unauthorized_client", f"this client may not use the {grant_type} grant")
    return handler(state, client, form)


async def revoke(request: Request) -> Response:
    """RFC 7009: 200 whether or not the token was known; only the owning client's tokens
    are revoked."""
    state = state_of(request)
    form = await _form(request)
    token_value = _form_single(form, "token")
    _form_single(form, "token_type_hint")  # accepted; both kinds are looked up anyway
    client = authenticate_client(request, form)
    if not token_value:
        raise invalid_request("token is required")
    now = state.clock.now()
    row = state.storage.refresh_token(sha256_hex(token_value))
    if row is not None:
        if row.client_id == client.client_id:
            state.storage.revoke_family(row.family_id, now)
        return Response(status_code=200, headers=_NO_STORE)
    try:
        claims = state.keys.verify_ignoring_expiry(
            token_value, audience=state.audience, issuer=state.issuer
        )
    except (jwt.InvalidTokenError, ValueError):
        return Response(status_code=200, headers=_NO_STORE)
    jti = claims.get("jti")
    if isinstance(jti, str) and claims.get("client_id") == client.client_id:
        state.storage.revoke_access_token(jti, now)
    return Response(status_code=200, headers=_NO_STORE)
