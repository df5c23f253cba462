"""The Health rules, case by case: every threshold on both sides of its boundary."""

# The table reads best with one case per line.
# ruff: noqa: E501

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from twinedge_desktop.api.models import UNKNOWN_TIME, ApiKey, DayUsage, KeyUsage
from twinedge_desktop.health.rules import (
    Action,
    Finding,
    FindingKind,
    check_key,
    check_keys,
    wants_reminder,
)

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


def key(
    *,
    age: timedelta = 40 * DAY,
    expires_in: timedelta | None = 60 * DAY,
    last_used: timedelta | None = DAY,
    scopes: tuple[str, ...] = ("read:assets",),
    **changes: object,
) -> ApiKey:
    base = ApiKey(
        id="key_1",
        name="k",
        prefix="te_AbCdEfGhI",
        scopes=scopes,
        created_at=NOW - age,
        expires_at=None if expires_in is None else NOW + expires_in,
        last_used_at=None if last_used is None else NOW - last_used,
        revoked_at=None,
        created_by="engineer@example.com",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def usage(
    requests: list[int] | None = None,
    errors: list[int] | None = None,
    endpoints: dict[str, int] | None = None,
    last_used: timedelta | None = DAY,
) -> KeyUsage:
    """A report ending today, oldest first (30 days of 100 requests unless told)."""
    counts = requests if requests is not None else [100] * 30
    failed = errors if errors is not None else [0] * len(counts)
    today = NOW.date()
    days = tuple(
        DayUsage(today - timedelta(days=len(counts) - 1 - index), count, failed[index])
        for index, count in enumerate(counts)
    )
    return KeyUsage(
        key_id="key_1",
        days=days,
        by_endpoint=tuple((endpoints or {"GET /v1/assets": sum(counts)}).items()),
        last_used_at=None if last_used is None else NOW - last_used,
        last_used_ip="192.0.2.10",
    )


def kinds(key_: ApiKey, usage_: KeyUsage | None = None) -> set[FindingKind]:
    return {finding.kind for finding in check_key(key_, usage_, NOW)}


def only(key_: ApiKey, usage_: KeyUsage | None = None) -> Finding:
    (finding,) = check_key(key_, usage_, NOW)
    return finding


K = FindingKind
CASES: list[tuple[str, ApiKey, KeyUsage | None, set[FindingKind]]] = [
    ("healthy", key(), usage(), set()),
    # Rotate keys every 90 days: "older than" 90 days.
    ("created exactly 90 days ago", key(age=90 * DAY), usage(), set()),
    ("created 90 days and a second ago", key(age=90 * DAY + SECOND), usage(), {K.OLDER_THAN_ROTATION}),
    # Revoke unused keys: 30 days or more.
    ("last used 30 days less a second ago", key(last_used=30 * DAY - SECOND), None, set()),
    ("last used exactly 30 days ago", key(last_used=30 * DAY), None, {K.UNUSED}),
    ("never used, created 30 days less a second ago", key(age=30 * DAY - SECOND, last_used=None), None, set()),
    ("never used, created exactly 30 days ago", key(age=30 * DAY, last_used=None), None, {K.UNUSED}),
    ("the usage report's newer last use counts", key(last_used=40 * DAY), usage(last_used=DAY), set()),
    ("the key list's newer last use counts", key(last_used=DAY), usage(last_used=40 * DAY), set()),
    # Set expiration dates.
    ("never expires", key(expires_in=None), None, {K.NEVER_EXPIRES}),
    ("expires in exactly 14 days", key(expires_in=14 * DAY), None, {K.EXPIRES_SOON}),
    ("expires in 14 days and a second", key(expires_in=14 * DAY + SECOND), None, set()),
    ("expires in a second", key(expires_in=SECOND), None, {K.EXPIRES_SOON}),
    # Revoked and expired keys have no findings, whatever else is true of them.
    ("expired this very moment", key(expires_in=timedelta(0), age=400 * DAY), None, set()),
    ("revoked", key(expires_in=None, age=400 * DAY, revoked_at=NOW - DAY), None, set()),
    # Restrict key scope: write access that is never used.
    ("write scope, only reads", key(scopes=("read:telemetry", "write:telemetry")), usage(endpoints={"GET /v1/telemetry": 3000}), {K.UNUSED_WRITE_ACCESS}),
    ("write scope, one write call", key(scopes=("write:telemetry",)), usage(endpoints={"GET /v1/telemetry": 2999, "POST /v1/telemetry": 1}), set()),
    ("write scope, HEAD and OPTIONS are reads", key(scopes=("write:assets",)), usage(endpoints={"HEAD /v1/assets": 1, "OPTIONS /v1/assets": 1, "GET /v1/assets": 5}), {K.UNUSED_WRITE_ACCESS}),
    ("write scope, key 30 days less a second old", key(age=30 * DAY - SECOND, scopes=("write:assets",)), usage(), set()),
    ("write scope, key exactly 30 days old", key(age=30 * DAY, scopes=("write:assets",)), usage(), {K.UNUSED_WRITE_ACCESS}),
    ("write scope, a 29-day report cannot tell", key(scopes=("write:assets",)), usage([100] * 29), set()),
    ("admin, only reads", key(scopes=("admin",)), usage(), {K.UNUSED_WRITE_ACCESS}),
    ("write scope, no traffic at all", key(scopes=("write:assets",), last_used=40 * DAY), usage([0] * 30, endpoints={}, last_used=40 * DAY), {K.UNUSED}),
    # Unusual activity: a day above 5x the median of the days with traffic.
    ("a day at exactly 5x the median", key(), usage([100] * 29 + [500]), set()),
    ("a day at 5x the median and one more", key(), usage([100] * 29 + [501]), {K.UNUSUAL_ACTIVITY}),
    ("median 0: no traffic, no spike check", key(last_used=None, age=10 * DAY), usage([0] * 30, endpoints={}, last_used=None), set()),
    ("a few days of use: their median, not 0", key(), usage([0] * 27 + [100, 100, 600]), {K.UNUSUAL_ACTIVITY}),
    ("a single day of use is its own median", key(), usage([0] * 29 + [10_000]), set()),
    ("only the last 30 days of a longer report", key(), usage([5000] + [100] * 30), set()),
    # Unusual activity: more than 20 % errors, from 20 requests.
    ("exactly 20 % errors", key(), usage([20] + [0] * 29, [4] + [0] * 29), set()),
    ("just over 20 % errors", key(), usage([100, 100], [21, 20]), {K.UNUSUAL_ACTIVITY}),
    ("one failed out of two is not unusual", key(), usage([2], [1]), set()),
    ("19 requests are too few to judge", key(), usage([19], [19]), set()),
    ("20 requests, 5 failed", key(), usage([20], [5]), {K.UNUSUAL_ACTIVITY}),
    # Several at once, in rule order.
    ("old, never expiring, idle", key(age=200 * DAY, expires_in=None, last_used=60 * DAY), None, {K.OLDER_THAN_ROTATION, K.UNUSED, K.NEVER_EXPIRES}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "key_", "usage_", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_table(
    case: str, key_: ApiKey, usage_: KeyUsage | None, expected: set[FindingKind]
) -> None:
    assert kinds(key_, usage_) == expected


def test_each_kind_has_its_one_action_and_a_sentence_with_the_numbers() -> None:
    old = only(key(age=130 * DAY), usage())
    assert (old.action, old.reason) == (
        Action.ROTATE,
        "It was created 130 days ago, more than the 90 days after which a key should be "
        "replaced by a new one.",
    )
    idle = only(key(last_used=42 * DAY), None)
    assert idle.action is Action.REVOKE
    assert idle.reason.startswith("It was last used 42 days ago (on 2030-04-20);")
    never = only(key(age=45 * DAY, last_used=None), None)
    assert never.reason.startswith("It has never been used in the 45 days since it was created")
    assert only(key(expires_in=None)).action is Action.REPLACE_WITH_EXPIRING_KEY
    soon = only(key(expires_in=9 * DAY))
    assert soon.action is Action.ROTATE_NOW
    assert soon.reason.startswith("It expires in 9 days (on 2030-06-10)")
    spike = only(key(), usage([300] * 27 + [2700, 300, 300]))
    assert spike.action is Action.REVIEW_USAGE
    assert spike.reason == (
        "On 2030-05-30 it made 2,700 requests, 9.0 times its median of 300 on the 30 days it "
        "was used in the last 30; look at who uses it and from where."
    )
    failing = only(key(), usage([100] * 30, [30] * 30))
    assert failing.reason == (
        "900 of its 3,000 requests in the last 30 days failed (30 %, more than 20 %); look at "
        "who uses it and from where."
    )
    both = only(key(), usage([0] * 26 + [100, 100, 100, 600], [0] * 26 + [50, 0, 0, 300]))
    assert both.reason.startswith(
        "On 2030-06-01 it made 600 requests, 6.0 times its median of 100 on the 4 days it was "
        "used in the last 30 and 350 of its 900 requests in the last 30 days failed (39 %"
    )


@pytest.mark.parametrize(
    ("scopes", "endpoints", "narrower"),
    [
        (("read:telemetry", "write:telemetry"), {"GET /v1/telemetry": 10}, ("read:telemetry",)),
        (("admin",), {"GET /v1/assets": 10, "GET /v1/alerts": 1}, ("read:assets", "read:alerts")),
        (("admin",), {"GET /v1/me": 10}, ("read:assets", "read:telemetry", "read:alerts")),
        (("write:alerts",), {"GET /v1/me": 10}, ("read:alerts",)),
        (("write:assets", "read:alerts"), {"GET /v1/assets": 3}, ("read:assets", "read:alerts")),
    ],
)
def test_the_narrower_key_is_named(
    scopes: tuple[str, ...], endpoints: dict[str, int], narrower: tuple[str, ...]
) -> None:
    finding = only(key(scopes=scopes), usage(endpoints=endpoints))
    assert finding.action is Action.REPLACE_WITH_NARROWER_KEY
    assert finding.narrower_scopes == narrower
    assert f"a key with {' '.join(narrower)} would do its work" in finding.reason
    writes = " ".join(s for s in scopes if s.startswith("write:") or s == "admin")
    assert finding.reason.startswith(f"It holds {writes} but made no write call in 30 days")


def test_without_usage_only_the_usage_free_rules_run() -> None:
    idle_writer = key(scopes=("write:assets",), expires_in=None, last_used=None, age=31 * DAY)
    assert kinds(idle_writer, None) == {K.UNUSED, K.NEVER_EXPIRES}


def test_fields_the_server_sent_unreadable_are_not_guessed() -> None:
    unknown_creation = key(
        created_at=UNKNOWN_TIME, last_used=None, unreadable=("created_at",), problem="bad"
    )
    assert kinds(unknown_creation) == set()  # not "older than 90 days", not "never used"
    unknown_use = key(last_used=None, age=100 * DAY, unreadable=("last_used_at",), problem="x")
    assert kinds(unknown_use) == {K.OLDER_THAN_ROTATION}
    unknown_expiry = key(expires_in=None, age=400 * DAY, unreadable=("expires_at",), problem="x")
    assert kinds(unknown_expiry) == set()  # damaged: it may have expired
    assert kinds(key(id="", age=400 * DAY, expires_in=None)) == set()


def test_check_keys_gives_every_key_its_findings_and_uses_its_own_usage() -> None:
    keys = [
        key(id="key_a", age=100 * DAY),
        key(id="key_b"),
        key(id="key_c", expires_in=None),
        key(id="", age=400 * DAY),
    ]
    reports = {"key_b": replace(usage([100] * 29 + [900]), key_id="key_b")}
    result = check_keys(keys, reports, NOW)
    assert {key_id: [f.kind for f in found] for key_id, found in result.items()} == {
        "key_a": [K.OLDER_THAN_ROTATION],
        "key_b": [K.UNUSUAL_ACTIVITY],
        "key_c": [K.NEVER_EXPIRES],
    }
    assert all(f.key_id == key_id for key_id, found in result.items() for f in found)


def test_a_days_date_is_what_the_report_says() -> None:
    report = usage([100] * 29 + [600])
    assert report.days[-1].date == date(2030, 6, 1)
    assert only(key(), report).reason.startswith("On 2030-06-01")


REMINDER_CASES: list[tuple[str, ApiKey, KeyUsage | None, bool]] = [
    ("expires in exactly 7 days", key(expires_in=7 * DAY), None, True),
    ("expires in 7 days and a second", key(expires_in=7 * DAY + SECOND), None, False),
    ("expires in a second", key(expires_in=SECOND), None, True),
    ("a spike", key(), usage([100] * 29 + [501]), True),
    ("failing requests", key(), usage([100, 100], [21, 20]), True),
    ("older than 90 days", key(age=200 * DAY), None, False),
    ("never expires", key(expires_in=None), None, False),
    ("unused", key(last_used=60 * DAY), None, False),
    ("write access never used", key(scopes=("write:assets",)), usage(), False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "key_", "usage_", "expected"), REMINDER_CASES, ids=[c[0] for c in REMINDER_CASES]
)
def test_reminders_only_for_what_cannot_wait(
    case: str, key_: ApiKey, usage_: KeyUsage | None, expected: bool
) -> None:
    (finding,) = check_key(key_, usage_, NOW)
    assert wants_reminder(finding, key_, NOW) is expected


def test_a_reminder_is_judged_at_the_time_asked() -> None:
    """Found 10 days before the expiry, a finding wants a reminder once 7 days are left."""
    expiring = key(expires_in=10 * DAY)
    (finding,) = check_key(expiring, None, NOW)
    assert not wants_reminder(finding, expiring, NOW)
    assert wants_reminder(finding, expiring, NOW + 3 * DAY)
    assert not wants_reminder(finding, expiring, NOW + 10 * DAY)  # expired: too late
