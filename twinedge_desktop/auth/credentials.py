"""What a session holds to renew its access: one small strategy per credential kind,
and the keychain entry they are kept in.

- :class:`UserCredential`: a person's browser sign-in; renewed with its refresh
  token, which rotates (RFC 6749 §6, OAuth 2.0 Security BCP §4.14).
- :class:`ServiceCredential`: a confidential client; renewed with the client
  credentials grant (RFC 6749 §4.4); nothing rotates.
- :class:`ApiKeyCredential`: an API key for this run only; never stored, never renewed.

The session asks its strategy, never ``if kind is …``: how to renew, what the
server's refusal means, what to keep in the keychain, what to revoke at sign-out.

The keychain entry (version 2) keeps the current access token and its expiry
next to what renews it, so another process (``twinedge-desktop token``, the SDK)
uses a fresh token without any request. Version 1 entries (no access token) are
still read. The entry must stay under ``vault.MAX_ENTRY_BYTES`` (Windows
Credential Manager's limit): when the access token does not fit next to the
refresh token it is left out, and other processes renew instead of reusing it
(one request more, nothing lost).
"""

from __future__ import annotations

import json
import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from twinedge_desktop.api.errors import InvalidToken
from twinedge_desktop.auth.errors import SignedOut
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.auth.oauth import OAuthClient, TokenEndpointError, TokenResponse
from twinedge_desktop.config import Profile
from twinedge_desktop.redaction import register_secret
from twinedge_desktop.vault import MAX_ENTRY_BYTES

log = logging.getLogger(__name__)

ENTRY_VERSION = 2
READABLE_ENTRY_VERSIONS = (1, 2)
# Renew this long before the access token expires, so a request never races expiry
# (and a token handed to a script by ``token`` has at least this long to live).
REFRESH_MARGIN = timedelta(seconds=60)

OAuthFactory = Callable[[str, str | None], Awaitable[OAuthClient]]
"""``await oauth(client_id, client_secret)``: an OAuth client for the profile's server
(discovery happens on first use, so a fresh stored token needs no request at all)."""


def unverified_claims(token: str) -> dict[str, Any]:
    """JWT claims for display only (the token came straight from the token endpoint).

    Opaque tokens, which any standards-compliant server may issue, give {}.
    """
    if token.count(".") != 2:
        return {}
    try:
        import jwt

        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:  # not a JWT after all: that is allowed
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass
class AccessToken:
    """An access token with what is known about it; ``repr`` never shows the token."""

    value: str = field(repr=False)
    expires_at: datetime | None
    scopes: tuple[str, ...] | None = None  # granted, when the server said or the JWT shows

    def is_fresh(self, now: datetime) -> bool:
        """Usable now, with :data:`REFRESH_MARGIN` to spare; unknown expiry counts as fresh
        (the token is used until the API answers 401)."""
        return self.expires_at is None or self.expires_at - REFRESH_MARGIN > now


def access_from(tokens: TokenResponse, now: datetime, requested: tuple[str, ...]) -> AccessToken:
    """The access token of a token response, with its expiry (``expires_in``, else the JWT's
    ``exp``) and granted scopes (``scope``, else the JWT's, else as requested: RFC 6749 §5.1)."""
    claims = unverified_claims(tokens.access_token)
    expires: datetime | None = None
    if tokens.expires_in is not None:
        expires = now + timedelta(seconds=tokens.expires_in)
    else:
        exp = claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            try:
                expires = datetime.fromtimestamp(exp, UTC)
            except (OverflowError, ValueError, OSError):  # not a time datetime can hold
                expires = None
    if tokens.scope is not None:
        scopes = tuple(tokens.scope.split())
    elif isinstance(claims.get("scope"), str):
        scopes = tuple(str(claims["scope"]).split())
    else:
        scopes = requested
    return AccessToken(tokens.access_token, expires, scopes)


# -- the strategies ---------------------------------------------------------------------------


class Credential(ABC):
    """How one kind of sign-in renews, is stored, is refused and is revoked."""

    kind: ClassVar[CredentialKind]
    # Whether ``GET /v1/me`` describes this sign-in's person (name, e-mail) at sign-in.
    described_by_api: ClassVar[bool] = False
    # Whether a renewal spends what renewed it (a rotating refresh token): then a lost
    # answer may have cost the sign-in, and the session retries within the server's grace.
    rotates: ClassVar[bool] = False
    client_id: str
    # Names one sign-in for its whole life (kept in the entry across renewals), so another
    # process can tell "renewed" from "signed in anew, maybe as someone else". None for
    # entries written before it existed.
    sign_in_id: str | None

    @property
    @abstractmethod
    def stored(self) -> bool:
        """Whether this credential lives in the keychain entry (and so is shared by processes)."""

    @abstractmethod
    def entry_fields(self) -> dict[str, str]:
        """What the keychain entry keeps to renew later (secret values included)."""

    @abstractmethod
    async def renew(self, oauth: OAuthFactory) -> TokenResponse:
        """A new access token from the server. Raises :class:`SignedOut` when this
        credential can never be renewed (the session then ends with that reason)."""

    def absorb(self, tokens: TokenResponse) -> None:  # noqa: B027 - only rotation needs it
        """Take what a renewal changed (a rotated refresh token) into memory at once."""

    @abstractmethod
    def refusal(self, error: TokenEndpointError) -> SignedOut | None:
        """The reason the session ends when the server refuses this credential, or None
        when the error is not a refusal of the credential (retry later)."""

    @abstractmethod
    def revocations(self) -> list[tuple[str, str]]:
        """``(token, token_type_hint)`` pairs to revoke at sign-out, besides the access token."""

    @property
    def client_secret(self) -> str | None:
        return None

    @property
    def default_subject(self) -> str | None:
        """Who to name when the access token says nothing (an opaque token)."""
        return None


@dataclass(eq=False)
class UserCredential(Credential):
    """A person's sign-in: a refresh token, bound to the client it was issued to."""

    kind: ClassVar[CredentialKind] = CredentialKind.USER
    described_by_api: ClassVar[bool] = True
    rotates: ClassVar[bool] = True
    client_id: str
    refresh_token: str | None = field(default=None, repr=False)
    sign_in_id: str | None = None

    @property
    def stored(self) -> bool:
        # RFC 6749 §5.1 lets a server issue no refresh token: then nothing can be restored.
        return self.refresh_token is not None

    def entry_fields(self) -> dict[str, str]:
        assert self.refresh_token is not None
        return {
            "client_id": self.client_id,
            "refresh_token": self.refresh_token,
            **_sign_in_field(self.sign_in_id),
        }

    async def renew(self, oauth: OAuthFactory) -> TokenResponse:
        if self.refresh_token is None:
            raise SignedOut(
                "Your sign-in has expired, and this server does not let the app renew it "
                "on its own. Sign in again."
            )
        return await (await oauth(self.client_id, None)).refresh(self.refresh_token)

    def absorb(self, tokens: TokenResponse) -> None:
        # Rotation: the old token is spent the moment the server answered; only the new
        # one may ever be presented again. A server that does not rotate sends none.
        if tokens.refresh_token:
            self.refresh_token = tokens.refresh_token

    def refusal(self, error: TokenEndpointError) -> SignedOut | None:
        return SignedOut() if error.error == "invalid_grant" else None

    def revocations(self) -> list[tuple[str, str]]:
        return [(self.refresh_token, "refresh_token")] if self.refresh_token else []


@dataclass(eq=False)
class ServiceCredential(Credential):
    """A confidential client's id and secret and the scopes it asks for."""

    kind: ClassVar[CredentialKind] = CredentialKind.SERVICE
    client_id: str
    secret: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    sign_in_id: str | None = None

    @property
    def stored(self) -> bool:
        return True

    @property
    def client_secret(self) -> str | None:
        return self.secret

    @property
    def default_subject(self) -> str | None:
        return self.client_id

    def entry_fields(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.secret,
            "scope": " ".join(self.scopes),
            **_sign_in_field(self.sign_in_id),
        }

    async def renew(self, oauth: OAuthFactory) -> TokenResponse:
        return await (await oauth(self.client_id, self.secret)).client_credentials(self.scopes)

    def refusal(self, error: TokenEndpointError) -> SignedOut | None:
        if error.error in ("invalid_client", "unauthorized_client"):
            return SignedOut(
                "You have been signed out: the server no longer accepts the saved client "
                "credentials. Sign in again."
            )
        return None

    def revocations(self) -> list[tuple[str, str]]:
        return []  # the secret is revoked by rotating it at the server, not by sign-out


@dataclass(eq=False)
class ApiKeyCredential(Credential):
    """An API key used for this run: never written anywhere, nothing to renew or revoke."""

    kind: ClassVar[CredentialKind] = CredentialKind.API_KEY
    client_id: str = ""
    sign_in_id: str | None = None

    @property
    def stored(self) -> bool:
        return False

    def entry_fields(self) -> dict[str, str]:
        raise AssertionError("an API key is never stored")

    async def renew(self, oauth: OAuthFactory) -> TokenResponse:
        raise InvalidToken("The API key was not accepted (it is invalid, expired or revoked).")

    def refusal(self, error: TokenEndpointError) -> SignedOut | None:
        return None

    def revocations(self) -> list[tuple[str, str]]:
        return []


def new_sign_in_id() -> str:
    """A fresh id for a new sign-in (not a secret: it only tells sign-ins apart)."""
    import secrets

    return secrets.token_hex(8)


def _sign_in_field(sign_in_id: str | None) -> dict[str, str]:
    return {"sign_in": sign_in_id} if sign_in_id else {}


def _stored_sign_in_id(data: dict[str, Any]) -> str | None:
    value = data.get("sign_in")
    return value if isinstance(value, str) and value else None


def _user_from_entry(data: dict[str, Any], profile: Profile) -> Credential | None:
    refresh = data.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        return None
    return UserCredential(
        client_id=profile.client_id, refresh_token=refresh, sign_in_id=_stored_sign_in_id(data)
    )


def _service_from_entry(data: dict[str, Any], profile: Profile) -> Credential | None:
    secret = data.get("client_secret")
    client_id = data.get("client_id")
    if not isinstance(secret, str) or not isinstance(client_id, str) or not client_id:
        return None
    return ServiceCredential(
        client_id,
        secret,
        tuple(str(data.get("scope") or "").split()),
        sign_in_id=_stored_sign_in_id(data),
    )


_FROM_ENTRY: dict[str, Callable[[dict[str, Any], Profile], Credential | None]] = {
    CredentialKind.USER.value: _user_from_entry,
    CredentialKind.SERVICE.value: _service_from_entry,
}


# -- the keychain entry ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSignIn:
    credential: Credential
    access: AccessToken | None


EntryProblem = Literal["absent", "unreadable", "foreign", "newer"]
# The entry's fields that hold secrets (every kind, every version).
SECRET_ENTRY_FIELDS = ("refresh_token", "client_secret", "access_token")


@dataclass(frozen=True)
class EntryRead:
    """One read of the keychain entry: its parsed JSON (for "did anyone change it?") and,
    when usable for this profile, the sign-in it holds; otherwise why not."""

    data: dict[str, Any] | None
    sign_in: StoredSignIn | None
    problem: EntryProblem | None

    def same_as(self, known: dict[str, Any] | None) -> bool:
        """Whether the entry is what this process last read or wrote (nobody changed it)."""
        return self.data == known


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def encode_entry(issuer: str, credential: Credential, access: AccessToken | None) -> str:
    """The entry's text. The access token is kept only with a known expiry (another process
    must be able to tell when it stops being fresh) and only when everything fits under
    ``MAX_ENTRY_BYTES``; otherwise it is left out and other processes renew instead."""
    base: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "issuer": issuer.rstrip("/"),
        "kind": credential.kind.value,
        **credential.entry_fields(),
    }
    if access is not None and access.expires_at is not None:
        with_access = dict(base)
        with_access["access_token"] = access.value
        # Whole seconds, rounded down: the stored token is never thought fresher than it is.
        with_access["access_expires_at"] = math.floor(access.expires_at.timestamp())
        if access.scopes is not None:
            with_access["access_scope"] = " ".join(access.scopes)
        text = _dumps(with_access)
        if len(text.encode("utf-8")) <= MAX_ENTRY_BYTES:
            return text
        log.info(
            "The access token does not fit in the keychain entry next to what renews it; "
            "keeping only the latter (other processes will renew instead of reusing it)"
        )
    return _dumps(base)


def read_entry(raw: str | None, profile: Profile) -> EntryRead:
    """Parse the entry for ``profile``; never raises (a damaged entry is a problem, not a crash)."""
    if raw is None:
        return EntryRead(None, None, "absent")
    try:
        data = json.loads(raw)
    except ValueError:
        return EntryRead(None, None, "unreadable")
    if not isinstance(data, dict):
        return EntryRead(None, None, "unreadable")
    # Read from the keychain, the secrets are in this process now, whatever else is wrong
    # with the entry (another server's, a newer version's): hide them from here on.
    for name in SECRET_ENTRY_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            register_secret(value)
    version = data.get("v")
    if isinstance(version, int) and not isinstance(version, bool) and version > ENTRY_VERSION:
        return EntryRead(data, None, "newer")  # a newer app wrote it: never overwrite blindly
    if version not in READABLE_ENTRY_VERSIONS:
        return EntryRead(data, None, "unreadable")
    if data.get("issuer") != profile.issuer.rstrip("/"):
        # Saved for another server (the profile was re-pointed): never send it elsewhere.
        return EntryRead(data, None, "foreign")
    kind = data.get("kind")
    if kind == CredentialKind.USER.value and data.get("client_id") != profile.client_id:
        # Issued to another client id: a refresh token is bound to its client (RFC 6749 §6).
        return EntryRead(data, None, "foreign")
    build = _FROM_ENTRY.get(str(kind))
    credential = build(data, profile) if build is not None else None
    if credential is None:
        return EntryRead(data, None, "unreadable")
    return EntryRead(data, StoredSignIn(credential, _stored_access(data)), None)


def _stored_access(data: dict[str, Any]) -> AccessToken | None:
    token = data.get("access_token")
    expires = data.get("access_expires_at")
    if not isinstance(token, str) or not token:
        return None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, ValueError, OSError):
        return None
    scope = data.get("access_scope")
    scopes = tuple(scope.split()) if isinstance(scope, str) else None
    return AccessToken(token, expires_at, scopes)


__all__ = [
    "ENTRY_VERSION",
    "REFRESH_MARGIN",
    "AccessToken",
    "ApiKeyCredential",
    "Credential",
    "EntryRead",
    "ServiceCredential",
    "StoredSignIn",
    "UserCredential",
    "access_from",
    "encode_entry",
    "new_sign_in_id",
    "read_entry",
    "unverified_claims",
]
