"""Who is calling the API: a user access token, a client-credentials token or an API key.

:func:`identify` runs once per ``/v1`` request, in the gateway, before the rate limit:
the limit counts per *verified* principal (an API key, a token's subject and client),
so bogus credentials cannot each open a budget of their own, and a key's usage
(including its 429s) is recorded against the key. Handlers read the same answer
through :func:`twinedge_desktop.sandbox.api.authenticate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt

from twinedge_desktop import keyformat
from twinedge_desktop.sandbox.problems import invalid_token
from twinedge_desktop.sandbox.state import SandboxState
from twinedge_desktop.sandbox.storage import sha256_hex


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

    @property
    def principal(self) -> str:
        """The rate limit's key: the API key, the client, or the user *through* a client
        (one person's desktop app and script each get their own budget)."""
        if self.kind == "api_key":
            return f"key:{self.key_id}"
        if self.kind == "client":
            return f"client:{self.client_id}"
        return f"user:{self.sub}|{self.client_id}"


def bearer_credential(authorization: str | None) -> str:
    if not authorization:
        raise invalid_token(
            "This request needs an access token or API key (Authorization: Bearer …)"
        )
    scheme, _, credential = authorization.partition(" ")
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


def identify(state: SandboxState, authorization: str | None) -> Caller:
    """The caller behind an ``Authorization`` header; raises the contract's 401 Problem."""
    credential = bearer_credential(authorization)
    if credential.startswith(keyformat.KEY_PREFIX):
        return _api_key_caller(state, credential)
    return _token_caller(state, credential)
