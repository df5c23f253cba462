"""The sandbox's state: configuration, clock, storage, signing keys and the seeded demo org."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from twinedge_desktop.sandbox.signing import KeyRing
from twinedge_desktop.sandbox.storage import Client, Storage, User, hash_password, sha256_hex
from twinedge_desktop.scopes import READ_SCOPES, WRITE_SCOPES

ORG_ID = "org-456"
DESKTOP_CLIENT_ID = "twinedge-desktop"
SERVICE_CLIENT_ID = "twinedge-service"
DEFAULT_DEMO_PASSWORD = "twinedge-demo"  # noqa: S105 (the published demo password)

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
CODE_SECONDS = 60
IDEMPOTENCY_SECONDS = 600
PENDING_AUTHORIZATION_SECONDS = 900
DEFAULT_RATE_LIMIT = 100_000  # per window and caller: never in the way of people or the benchmark
DEFAULT_RATE_WINDOW = 60
MAX_BODY_BYTES = 64 * 1024

# The redirect URIs of the desktop app: a loopback listener on any port (RFC 8252 §7.3).
LOOPBACK_REDIRECT_TEMPLATES = (
    "http://127.0.0.1:{port}/callback",
    "http://[::1]:{port}/callback",
)


@dataclass(frozen=True, slots=True)
class DemoUser:
    sub: str
    email: str
    name: str
    scopes: tuple[str, ...]


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("user-123", "engineer@example.com", "Erin Engineer", READ_SCOPES + WRITE_SCOPES),
    DemoUser("user-001", "admin@example.com", "Ada Admin", ("admin",)),
    DemoUser("user-789", "viewer@example.com", "Victor Viewer", READ_SCOPES),
)


class Clock:
    """Real time plus an offset that test controls can set (``POST /_sandbox/clock``)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


def rfc3339(timestamp: float | None) -> str | None:
    """``2026-01-05T10:00:00Z``: RFC 3339, UTC, whole seconds."""
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


@dataclass
class PendingAuthorization:
    """An authorization request between the first GET and the consent decision."""

    request_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    csrf_token: str = field(repr=False)
    created_at: float
    user_sub: str | None = None


@dataclass
class IdempotentResponse:
    owner: str
    body_fingerprint: str
    status: int
    body: bytes = field(repr=False)  # holds a new key's secret
    created_at: float


@dataclass
class SandboxState:
    """Everything one running sandbox knows. Touched only from the server's loop thread."""

    base_url: str
    storage: Storage
    keys: KeyRing
    clock: Clock
    test_controls: bool
    # Secrets never appear in repr() (a log line, a debugger, an assertion message).
    service_client_secret: str = field(repr=False)
    demo_password: str = field(repr=False)
    pending: dict[str, PendingAuthorization] = field(default_factory=dict, repr=False)
    # Idempotent replays hold the created key's secret for 10 minutes, so they are kept
    # in memory only, never in the data file.
    idempotency: dict[tuple[str, str], IdempotentResponse] = field(default_factory=dict, repr=False)

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def audience(self) -> str:
        return self.base_url

    def forget_stale(self) -> None:
        now = self.clock.now()
        for request_id in [
            rid
            for rid, pending in self.pending.items()
            if now - pending.created_at > PENDING_AUTHORIZATION_SECONDS
        ]:
            del self.pending[request_id]
        for cache_key in [
            k for k, v in self.idempotency.items() if now - v.created_at > IDEMPOTENCY_SECONDS
        ]:
            del self.idempotency[cache_key]


def open_state(
    *,
    data_path: str,
    base_url: str,
    test_controls: bool,
    demo_password: str,
) -> SandboxState:
    """Open (or create) the data file, seed the demo org and return the state.

    The demo users' password is set to ``demo_password`` on every start, and the
    service client gets a fresh random secret on every start: the secret lives in
    this process and the terminal that printed it, never in the data file.
    """
    clock = Clock()
    storage = Storage(data_path)
    password_hash = hash_password(demo_password)
    for demo in DEMO_USERS:
        storage.upsert_user(
            User(demo.sub, demo.email, demo.name, ORG_ID, demo.scopes, password_hash)
        )
    storage.upsert_client(
        Client(
            client_id=DESKTOP_CLIENT_ID,
            name="TwinEdge Desktop",
            kind="public",
            secret_hash=None,
            scopes=READ_SCOPES + WRITE_SCOPES + ("admin",),
            redirect_uris=LOOPBACK_REDIRECT_TEMPLATES,
            grant_types=("authorization_code", "refresh_token"),
            org=ORG_ID,
        )
    )
    service_secret = secrets.token_urlsafe(32)
    storage.upsert_client(
        Client(
            client_id=SERVICE_CLIENT_ID,
            name="TwinEdge service account",
            kind="confidential",
            secret_hash=sha256_hex(service_secret),
            scopes=READ_SCOPES + WRITE_SCOPES,
            redirect_uris=(),
            grant_types=("client_credentials",),
            org=ORG_ID,
        )
    )
    keys = KeyRing(storage)
    keys.ensure_key(clock.now(), in_memory=data_path == ":memory:")
    storage.prune(clock.now())
    return SandboxState(
        base_url=base_url.rstrip("/"),
        storage=storage,
        keys=keys,
        clock=clock,
        test_controls=test_controls,
        service_client_secret=service_secret,
        demo_password=demo_password,
    )
