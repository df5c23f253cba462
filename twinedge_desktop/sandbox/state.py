"""The sandbox's state: configuration, clock, storage, signing keys and the seeded demo org."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from twinedge_desktop.sandbox.datafile import DataFile, open_data_file
from twinedge_desktop.sandbox.limits import (
    SIGNIN_ATTEMPT_LIMIT,
    SIGNIN_ATTEMPT_WINDOW,
    SignInAttempts,
    TokenBuckets,
)
from twinedge_desktop.sandbox.signing import KeyRing
from twinedge_desktop.sandbox.storage import Client, Storage, User, hash_password, sha256_hex
from twinedge_desktop.scopes import READ_SCOPES, WRITE_SCOPES

ORG_ID = "org-456"
DESKTOP_CLIENT_ID = "twinedge-desktop"
SERVICE_CLIENT_ID = "twinedge-service"
DEFAULT_DEMO_PASSWORD = "twinedge-demo"  # noqa: S105 (the published demo password)

# The API's audience, the same in production and in the sandbox (DESIGN.md): the seed's
# own validation code (jwt.decode(..., audience="https://api.twinedgeai.com")) accepts
# sandbox tokens unchanged. The sandbox's API address is in its metadata (api_base_url).
# config.CLOUD_PROFILE.audience holds the same value (a test keeps them equal).
API_AUDIENCE = "https://api.twinedgeai.com"

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
# A spent refresh token presented again this soon, while its successor is unused, is a
# lost response being retried, not a replay (docs/contracts.md, "Refresh-token reuse grace").
REFRESH_REUSE_GRACE_SECONDS = 60
CODE_SECONDS = 60
IDEMPOTENCY_SECONDS = 600
PENDING_AUTHORIZATION_SECONDS = 900
DEFAULT_RATE_LIMIT = 100_000  # per window and caller: never in the way of people or the benchmark
DEFAULT_RATE_WINDOW = 60
MAX_BODY_BYTES = 64 * 1024
# In-memory tables a caller can grow: at most this many entries each, oldest dropped.
MAX_PENDING_AUTHORIZATIONS = 10_000
MAX_IDEMPOTENT_RESPONSES = 10_000

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
    """A create's answer kept for replays (sandbox/idempotency.py)."""

    owner: str
    body_fingerprint: str
    status: int
    body: bytes = field(repr=False)  # holds the new secret; emptied when it stops working
    created_at: float
    resource_id: str | None = None  # what it created: a replay once that is gone is refused
    headers: dict[str, str] = field(default_factory=dict)


_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


class BoundedDict(dict[_Key, _Value]):
    """A dict of at most ``capacity`` entries in insertion order: adding one more drops the
    oldest, and :meth:`drop_older_than` forgets expired entries from the front.

    Both cost O(1) per entry dropped, where the old sweep walked every entry on every
    request (and the dicts could grow without limit: one per ``GET /oauth/authorize``).
    """

    def __init__(self, capacity: int, created_at: Callable[[_Value], float]) -> None:
        super().__init__()
        self.capacity = capacity
        self._created_at = created_at

    def __setitem__(self, key: _Key, value: _Value) -> None:
        if key not in self:
            while len(self) >= self.capacity:
                del self[next(iter(self))]
        super().__setitem__(key, value)

    def drop_older_than(self, oldest_kept: float) -> None:
        # Entries are in creation order, except around a test's clock shift: a fresh
        # entry at the front only delays dropping the stale ones behind it.
        while self:
            first = next(iter(self))
            if self._created_at(self[first]) >= oldest_kept:
                return
            del self[first]


def _pending_table() -> BoundedDict[str, PendingAuthorization]:
    return BoundedDict(MAX_PENDING_AUTHORIZATIONS, lambda pending: pending.created_at)


def _idempotency_table() -> BoundedDict[tuple[str, str], IdempotentResponse]:
    return BoundedDict(MAX_IDEMPOTENT_RESPONSES, lambda response: response.created_at)


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
    # Authenticates list cursors, so only cursors this sandbox issued are read back.
    cursor_secret: bytes = field(repr=False, default_factory=lambda: secrets.token_bytes(32))
    data_file: DataFile | None = field(default=None, repr=False)
    demo_data_added: bool = False
    pending: BoundedDict[str, PendingAuthorization] = field(
        default_factory=_pending_table, repr=False
    )
    # Idempotent replays hold the created key's secret for 10 minutes, so they are kept
    # in memory only, never in the data file.
    idempotency: BoundedDict[tuple[str, str], IdempotentResponse] = field(
        default_factory=_idempotency_table, repr=False
    )
    # Requests per principal (limits.py); the test control /_sandbox/rate-limit sets it.
    rate: TokenBuckets = field(
        default_factory=lambda: TokenBuckets(DEFAULT_RATE_LIMIT, DEFAULT_RATE_WINDOW),
        repr=False,
    )
    # Wrong passwords per account (by the email typed, whether or not it exists).
    signin_attempts: SignInAttempts = field(
        default_factory=lambda: SignInAttempts(SIGNIN_ATTEMPT_LIMIT, SIGNIN_ATTEMPT_WINDOW),
        repr=False,
    )

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def audience(self) -> str:
        return API_AUDIENCE

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/v1"

    def forget_stale(self) -> None:
        now = self.clock.now()
        self.pending.drop_older_than(now - PENDING_AUTHORIZATION_SECONDS)
        self.idempotency.drop_older_than(now - IDEMPOTENCY_SECONDS)

    def close(self) -> None:
        """Close the data file and let another sandbox use it (idempotent)."""
        self.storage.close()
        if self.data_file is not None:
            self.data_file.release()


def open_state(
    *,
    data_path: str,
    base_url: str,
    test_controls: bool,
    demo_password: str,
    demo_data: bool = False,
) -> SandboxState:
    """Open (or create) the data file, seed the demo org and return the state.

    The demo users' password is set to ``demo_password`` on every start, and the
    service client gets a fresh random secret on every start: the secret lives in
    this process and the terminal that printed it, never in the data file.

    ``demo_data`` adds the demo API keys and their usage history (demo.py), only to a
    fresh data file: a person's own keys are never touched. Raises
    :class:`~twinedge_desktop.sandbox.datafile.DataFileInUse` when another sandbox
    holds the file; nothing in it has been changed then.
    """
    data_file = open_data_file(data_path)
    try:
        return _open_state(
            data_file,
            base_url=base_url,
            test_controls=test_controls,
            demo_password=demo_password,
            demo_data=demo_data,
        )
    except BaseException:
        data_file.release()
        raise


def _open_state(
    data_file: DataFile,
    *,
    base_url: str,
    test_controls: bool,
    demo_password: str,
    demo_data: bool,
) -> SandboxState:
    storage = Storage(data_file.path)
    try:
        return _seeded_state(
            storage,
            data_file,
            base_url=base_url,
            test_controls=test_controls,
            demo_password=demo_password,
            demo_data=demo_data,
        )
    except BaseException:
        storage.close()
        raise


def _seeded_state(
    storage: Storage,
    data_file: DataFile,
    *,
    base_url: str,
    test_controls: bool,
    demo_password: str,
    demo_data: bool,
) -> SandboxState:
    clock = Clock()
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
    keys.ensure_key(clock.now(), in_memory=data_file.path == ":memory:")
    storage.prune(clock.now())
    cursor_secret = storage.get_meta("cursor_secret")
    if cursor_secret is None:
        cursor_secret = secrets.token_hex(32)
        storage.set_meta("cursor_secret", cursor_secret)
    demo_data_added = False
    if demo_data and data_file.fresh:
        from twinedge_desktop.sandbox.demo import add_demo_data

        add_demo_data(storage, now=clock.now(), org=ORG_ID)
        demo_data_added = True
    return SandboxState(
        base_url=base_url.rstrip("/"),
        storage=storage,
        keys=keys,
        clock=clock,
        test_controls=test_controls,
        service_client_secret=service_secret,
        demo_password=demo_password,
        cursor_secret=bytes.fromhex(cursor_secret),
        data_file=data_file,
        demo_data_added=demo_data_added,
    )
