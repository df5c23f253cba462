"""Words for a token's parts: what each header parameter and claim means, and times in human form.

The claim list follows TwinEdge's authentication page (``sub``, ``org``,
``scope``, ``exp``, ``iat``) plus the registered JWT claims its access tokens
carry (``iss``, ``aud``, ``jti``, ``client_id``, ``nbf``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from twinedge_desktop.scopes import describe, parse_scope_string
from twinedge_desktop.timefmt import format_duration
from twinedge_desktop.tokens.model import Explanation, ScopeInfo

HEADER_MEANINGS: dict[str, str] = {
    "alg": "Signing algorithm the token claims; the inspector uses its own allow-list instead",
    "typ": "Media type of the token (JWT, or at+jwt for an access token)",
    "kid": "Key id: which of the issuer's published keys signed the token",
    "cty": "Content type of the payload (used for nested tokens)",
    "enc": "Content encryption algorithm (encrypted tokens)",
    "zip": "Compression applied before encryption",
    "crit": "Extensions the receiver must understand, or reject the token",
    "jku": "URL of a key set, chosen by the token itself: never followed",
    "x5u": "URL of a certificate chain, chosen by the token itself: never followed",
    "x5c": "Certificate chain embedded in the token: never trusted",
    "jwk": "Public key embedded in the token: never trusted",
    "x5t": "SHA-1 thumbprint of the signing certificate",
    "x5t#S256": "SHA-256 thumbprint of the signing certificate",
    "b64": "Whether the payload is base64url-encoded (RFC 7797)",
}

CLAIM_MEANINGS: dict[str, str] = {
    "sub": "User ID: who the token speaks for",
    "org": "Organization ID",
    "scope": "Granted permissions (space-separated scopes)",
    "exp": "Expiration time: not accepted after this",
    "iat": "Issued at: when the token was minted",
    "nbf": "Not before: not accepted before this",
    "iss": "Issuer: the authorization server that minted the token",
    "aud": "Audience: the API the token is meant for",
    "jti": "Token id: unique per token, used to revoke it",
    "client_id": "The application the token was issued to",
    "azp": "Authorized party: the client the token was issued to",
    "email": "The user's e-mail address",
    "name": "The user's name",
    "auth_time": "When the user last signed in",
    "sid": "Sign-in session id",
    "scp": "Granted permissions (as a list)",
}

TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")


def relative_phrase(claim: str, when: float, now: float) -> str:
    """ "expires in 42 min", "expired 3 days ago", "issued 5 min ago"… for a time claim."""
    delta = when - now
    future = delta > 0
    span = format_duration(delta)  # the app's one duration format (timefmt)
    if claim == "exp":
        return f"expires in {span}" if future else f"expired {span} ago"
    if claim == "nbf":
        return f"valid from in {span}" if future else f"valid since {span} ago"
    if claim == "iat":
        return f"issued {span} from now (in the future)" if future else f"issued {span} ago"
    return f"in {span}" if future else f"{span} ago"


def to_datetime(value: Any) -> datetime | None:
    """A NumericDate as an aware UTC datetime, or None when it is not a usable number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def format_utc_and_local(when: datetime) -> str:
    """ "2026-11-27 23:15:00 UTC (00:15:00 CET local)"; just UTC when local time is UTC."""
    return _format_timestamp(when.timestamp())


@lru_cache(maxsize=512)
def _format_timestamp(timestamp: float) -> str:
    # Cached: the same token is decoded on every keystroke and verification, and strftime
    # with a local time-zone look-up is the costliest part of explaining a claim set.
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    utc = when.strftime("%Y-%m-%d %H:%M:%S UTC")
    try:
        local = when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except (OverflowError, OSError, ValueError):
        return utc
    return f"{utc} ({local} local)" if local and not local.endswith("UTC") else utc


def display_value(value: Any, limit: int = 400) -> str:
    """A claim value for a table cell: strings bare, everything else as compact JSON."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scope_infos(claims: Mapping[str, Any]) -> tuple[ScopeInfo, ...]:
    """The token's scopes (``scope`` string, or an ``scp`` list) with the seed's meanings."""
    raw = claims.get("scope")
    names: list[str]
    if isinstance(raw, str):
        names = parse_scope_string(raw)
    elif isinstance(claims.get("scp"), list):
        names = [str(s) for s in claims["scp"] if isinstance(s, str)]
    else:
        names = []
    return tuple(ScopeInfo(name, describe(name)) for name in names)


def explain_header(header: Mapping[str, Any]) -> tuple[Explanation, ...]:
    rows = []
    for name, value in header.items():
        meaning = HEADER_MEANINGS.get(name)
        rows.append(
            Explanation(
                name=name,
                value=display_value(value),
                meaning=meaning or "Header parameter the inspector does not know",
                known=meaning is not None,
            )
        )
    return tuple(rows)


def explain_claims(claims: Mapping[str, Any], now: float) -> tuple[Explanation, ...]:
    rows = []
    for name, value in claims.items():
        meaning = CLAIM_MEANINGS.get(name)
        detail = ""
        if name in TIME_CLAIMS:
            when = to_datetime(value)
            if when is None:
                detail = "not a valid NumericDate (seconds since 1970)"
            else:
                detail = (
                    f"{format_utc_and_local(when)}; {relative_phrase(name, when.timestamp(), now)}"
                )
        elif name == "scope" and isinstance(value, str):
            parts = []
            for info in scope_infos({"scope": value}):
                parts.append(
                    f"{info.name}: {info.description}" if info.known else f"{info.name}: unknown"
                )
            detail = "; ".join(parts) if parts else "no scopes"
        elif name == "aud" and isinstance(value, list):
            detail = f"{len(value)} audiences"
        rows.append(
            Explanation(
                name=name,
                value=display_value(value),
                meaning=meaning or "Claim the inspector does not know",
                detail=detail,
                known=meaning is not None,
            )
        )
    return tuple(rows)
