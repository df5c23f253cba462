"""Plain dataclasses for what the API returns: strict about types, lenient about extras."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (``Z`` or offset) as an aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 timestamp, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """An aware datetime as RFC 3339 UTC with a ``Z`` (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _scopes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple):
        return tuple(str(s) for s in value)
    return ()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as the server describes it (never the secret itself)."""

    id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApiKey:
        created = parse_time(data["created_at"])
        if created is None:
            raise ValueError("created_at is required")
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            prefix=str(data.get("prefix") or ""),
            scopes=_scopes(data.get("scopes")),
            created_at=created,
            expires_at=parse_time(data.get("expires_at")),
            last_used_at=parse_time(data.get("last_used_at")),
            revoked_at=parse_time(data.get("revoked_at")),
            created_by=str(data.get("created_by") or ""),
        )

    def status(self, now: datetime) -> str:
        """``"revoked"``, ``"expired"`` or ``"active"`` at ``now`` (revocation wins)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class CreatedApiKey:
    """A key just created: the only time the full secret is available."""

    key: ApiKey
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"CreatedApiKey(key={self.key!r}, secret='{self.key.prefix}…')"


@dataclass(frozen=True)
class Me:
    """Who the caller is, from ``GET /v1/me``. ``kind``: "user", "client" or "api_key"."""

    sub: str
    org: str
    email: str | None
    name: str | None
    scopes: tuple[str, ...]
    kind: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Me:
        kind = (
            data.get("kind")
            or data.get("type")
            or data.get("token_type")
            or data.get("principal_type")
        )
        return cls(
            sub=str(data.get("sub") or ""),
            org=str(data.get("org") or ""),
            email=(str(data["email"]) if data.get("email") else None),
            name=(str(data["name"]) if data.get("name") else None),
            scopes=_scopes(data.get("scopes", data.get("scope"))),
            kind=_normalise_kind(str(kind or "")),
        )


def _normalise_kind(kind: str) -> str:
    lowered = kind.lower().replace("-", "_").replace(" ", "_")
    if lowered in ("api_key", "apikey", "key"):
        return "api_key"
    if lowered in ("client", "service", "client_credentials", "client_token"):
        return "client"
    if lowered in ("user", "user_token"):
        return "user"
    return lowered or "unknown"
