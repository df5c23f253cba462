"""The TwinEdge scope catalogue, from the product's authentication page.

One table shared by the sandbox (what it grants), the token inspector (what a
scope means) and the window (checklists and chips), so a scope is described
the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    description: str
    resource: str  # "assets", "telemetry", "alerts", or "admin"
    access: str  # "read", "write", or "full"


SCOPES: tuple[Scope, ...] = (
    Scope("read:assets", "Read asset data", "assets", "read"),
    Scope("write:assets", "Create/update assets", "assets", "write"),
    Scope("read:telemetry", "Read sensor data", "telemetry", "read"),
    Scope("write:telemetry", "Ingest telemetry", "telemetry", "write"),
    Scope("read:alerts", "View alerts", "alerts", "read"),
    Scope("write:alerts", "Create/manage alerts", "alerts", "write"),
    Scope("admin", "Full access", "admin", "full"),
)

SCOPES_BY_NAME: dict[str, Scope] = {scope.name: scope for scope in SCOPES}
ALL_SCOPE_NAMES: tuple[str, ...] = tuple(scope.name for scope in SCOPES)
READ_SCOPES: tuple[str, ...] = tuple(s.name for s in SCOPES if s.access == "read")
WRITE_SCOPES: tuple[str, ...] = tuple(s.name for s in SCOPES if s.access == "write")
RESOURCES: tuple[str, ...] = ("assets", "telemetry", "alerts")


def describe(scope_name: str) -> str | None:
    """The seed's meaning of a scope, or None for a scope TwinEdge does not define."""
    scope = SCOPES_BY_NAME.get(scope_name)
    return scope.description if scope else None


def parse_scope_string(value: str | None) -> list[str]:
    """Split an OAuth `scope` string (space-separated) keeping order, dropping repeats."""
    seen: dict[str, None] = {}
    for part in (value or "").split():
        seen.setdefault(part, None)
    return list(seen)
