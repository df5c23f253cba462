"""Demo API keys with months of made-up usage, for ``--demo-data`` on a fresh data file.

Seven keys of ``engineer@example.com``, each showing one thing the app's key-health
checks look for (the seed's "Rotate keys every 90 days", "Revoke unused keys", "Set
expiration dates", "Restrict key scope", "Set up alerts for unusual activity"), and
one healthy key to compare with. Dates are backdated through storage relative to the
start time; the traffic is deterministic from :data:`DEMO_SEED`.

Only ever added to a data file this start created (state.open_state): a person's own
keys and history are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from twinedge_desktop import keyformat
from twinedge_desktop.sandbox.storage import Storage, sha256_hex
from twinedge_desktop.sandbox.usage import History, seed_history

DEMO_SEED = 2026
DEMO_OWNER_SUB = "user-123"
DEMO_OWNER_EMAIL = "engineer@example.com"
_DAY = 86400


@dataclass(frozen=True, slots=True)
class DemoKey:
    key_id: str
    name: str
    scopes: tuple[str, ...]
    created_days_ago: int
    expires_in_days: int | None  # None: never expires
    history: History
    shows: str  # what a health check should say about it


DEMO_KEYS: tuple[DemoKey, ...] = (
    DemoKey(
        "key_demo_historian",
        "Plant North historian",
        ("read:assets", "read:telemetry"),
        created_days_ago=130,
        expires_in_days=235,
        history=History(
            days=125,
            requests_per_day=420,
            error_rate=0.004,
            endpoints=("GET /v1/telemetry", "GET /v1/assets"),
        ),
        shows="older than 90 days: rotate it",
    ),
    DemoKey(
        "key_demo_dashboard",
        "Old shift dashboard",
        ("read:alerts",),
        created_days_ago=80,
        expires_in_days=100,
        history=History(
            days=38, end_days_ago=42, requests_per_day=90, endpoints=("GET /v1/alerts",)
        ),
        shows="unused for 42 days: revoke it",
    ),
    DemoKey(
        "key_demo_ci",
        "CI pipeline",
        ("read:assets",),
        created_days_ago=45,
        expires_in_days=None,
        history=History(days=44, requests_per_day=60, error_rate=0.01),
        shows="never expires: set an expiry",
    ),
    DemoKey(
        "key_demo_contractor",
        "Contractor access (Acme Controls)",
        ("read:assets", "read:alerts"),
        created_days_ago=60,
        expires_in_days=9,
        history=History(
            days=58,
            requests_per_day=35,
            error_rate=0.02,
            endpoints=("GET /v1/assets", "GET /v1/alerts"),
        ),
        shows="expires in 9 days: rotate or extend it",
    ),
    DemoKey(
        "key_demo_uploader",
        "Telemetry uploader",
        ("read:telemetry", "write:telemetry"),
        created_days_ago=50,
        expires_in_days=40,
        history=History(days=49, requests_per_day=150, endpoints=("GET /v1/telemetry",)),
        shows="write:telemetry but no write calls in 30 days: narrow its scopes",
    ),
    DemoKey(
        "key_demo_gateway",
        "Edge gateway 7",
        ("read:assets", "read:telemetry"),
        created_days_ago=70,
        expires_in_days=30,
        history=History(
            days=68,
            requests_per_day=300,
            error_rate=0.015,
            spike_days_ago=3,
            spike_factor=9.0,
            endpoints=("GET /v1/telemetry", "GET /v1/assets"),
        ),
        shows="a day at 9x its weekday volume, far above 5x its median: unusual activity",
    ),
    DemoKey(
        "key_demo_reporting",
        "Reporting service",
        ("read:assets", "read:telemetry"),
        created_days_ago=30,
        expires_in_days=60,
        history=History(
            days=29,
            requests_per_day=240,
            error_rate=0.01,
            endpoints=("GET /v1/assets", "GET /v1/telemetry"),
        ),
        shows="healthy",
    ),
)


def add_demo_data(storage: Storage, *, now: float, org: str, seed: int = DEMO_SEED) -> None:
    """Insert :data:`DEMO_KEYS` for the demo engineer with their history (secrets are
    generated and discarded: the demo keys are for looking at, not for calling)."""
    rows = []
    for demo in DEMO_KEYS:
        secret = keyformat.generate_key()
        rows.append(
            (
                demo.key_id,
                demo.name,
                keyformat.display_prefix(secret),
                sha256_hex(secret),
                " ".join(demo.scopes),
                now - demo.created_days_ago * _DAY,
                None if demo.expires_in_days is None else now + demo.expires_in_days * _DAY,
                DEMO_OWNER_SUB,
                DEMO_OWNER_EMAIL,
                org,
            )
        )
    storage.insert_api_keys(rows)
    for index, demo in enumerate(DEMO_KEYS):
        seed_history(storage, demo.key_id, demo.history, now=now, seed=seed + index)
