"""The Health rules: every API key checked against the seed's "Security Best Practices".

Pure functions over :class:`~twinedge_desktop.api.models.ApiKey` and
:class:`~twinedge_desktop.api.models.KeyUsage` (no Qt, no I/O, no clock of their own),
so the Health page can run them off the UI thread and tests can pin every boundary.
Each finding has a kind, one sentence naming the numbers, and one action:

=============================  =========================================  ====================
kind                           when (``now`` given by the caller)         action
=============================  =========================================  ====================
``OLDER_THAN_ROTATION``        created more than 90 days ago              rotate
                               (exactly 90 days is not yet "older than")
``UNUSED``                     last used 30 days ago or more; or never    revoke
                               used and created 30 days ago or more
``NEVER_EXPIRES``              no expiry                                  replace with an
                                                                          expiring key
``EXPIRES_SOON``               expires within 14 days (14 days exactly    rotate now
                               included; already expired: no findings)
``UNUSED_WRITE_ACCESS``        ``write:*`` or ``admin``, 30+ days old,    replace with a
                               used, and no call but GET/HEAD/OPTIONS in  narrower key (named)
                               a report of 30 days or more
``UNUSUAL_ACTIVITY``           a day above 5x the median of the key's     look at its usage
                               days with traffic (30 days), or more than
                               20 % errors over 20 requests or more
=============================  =========================================  ====================

Decisions, and why:

- **Median of the days with traffic**, not of all days. A report includes every day,
  also those before the key existed and the weekends of a weekday job: a key created
  ten days ago, or used only on Mondays, has a median of 0 over all 30 days, which
  would make any busy day "unusual" (or, guarded, hide every spike). The days on
  which the key was used are what a normal day of use looks like. A day is unusual
  when it is *above* 5x that median (exactly 5x is not); no traffic at all: no check.
- **Error rate only from 20 requests** in the window: below that (less than one
  request a day) one failing retry loop or one bad minute decides the rate; "one
  failed request out of two" is not unusual. Above 20 %, exactly 20 % is not.
- **Reads are GET, HEAD and OPTIONS** (RFC 9110's safe methods the API could name);
  every other method is a write. ``by_endpoint`` covers the whole report, so a report
  of more than 30 days counts older writes too (the rule errs towards keeping
  access). Keys younger than 30 days are not judged: they have not had 30 days to
  write. A key with no traffic at all is left to ``UNUSED`` (revoke says more).
- **The narrower key**: the key's own ``read:*`` scopes plus the read scope of every
  resource it read (an ``admin`` key reading ``/v1/assets`` needs ``read:assets``);
  when that is empty, the read scopes matching its write scopes (all of them for
  ``admin``), so the advice always names a key that can be created.
- Revoked, expired, damaged (expiry or revocation unreadable) and id-less keys get no
  findings; a rule needing a field the server sent unreadable is skipped, never guessed
  (a stand-in creation time would make every such key "older than 90 days").
- Usage may be missing for a key (not fetched, or refused): then only the rules that
  need none run (age, never used since creation, expiry).
- **Reminders** (a desktop notification while the app runs, :func:`wants_reminder`): only
  for what cannot wait until the person next opens the app's Health page, a key that
  expires within 7 days (7 days exactly included) and unusual activity. The other
  findings stand for weeks; a notification a day about them would teach people to
  ignore the notifications.

Cost (``benchmarks/health_rules.py``, this shared 2-core machine): ~11 µs per key with a
30-day report, 10,000 keys in ~0.11 s, about a sixth of what reading those 10,000 reports
from JSON costs (``json.loads`` + :meth:`KeyUsage.from_json`, ~66 µs each), which the
Health page pays anyway. Fetching them is the real cost: one request per key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from twinedge_desktop.api.models import ApiKey, DayUsage, KeyStatus, KeyUsage
from twinedge_desktop.scopes import READ_SCOPES
from twinedge_desktop.timefmt import format_duration

ROTATE_AFTER = timedelta(days=90)  # "Rotate keys every 90 days"
UNUSED_AFTER = timedelta(days=30)  # "Revoke unused keys"
EXPIRY_WARNING = timedelta(days=14)
WINDOW_DAYS = 30  # the "30 days" of the usage rules
SPIKE_FACTOR = 5
ERROR_RATE_PERCENT = 20
MIN_REQUESTS_FOR_ERROR_RATE = 20
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REMINDER_EXPIRY = timedelta(days=7)  # a reminder, beyond the Health page, from here on

# The resource each read endpoint belongs to, for the narrower key's scopes.
_RESOURCE_OF_PATH = {"/v1/assets": "assets", "/v1/telemetry": "telemetry", "/v1/alerts": "alerts"}


class FindingKind(Enum):
    """What a rule found; in the order the rules run (and findings are listed)."""

    OLDER_THAN_ROTATION = "older_than_rotation"
    UNUSED = "unused"
    NEVER_EXPIRES = "never_expires"
    EXPIRES_SOON = "expires_soon"
    UNUSED_WRITE_ACCESS = "unused_write_access"
    UNUSUAL_ACTIVITY = "unusual_activity"


class Action(Enum):
    """The one thing to do about a finding."""

    ROTATE = "rotate"
    REVOKE = "revoke"
    REPLACE_WITH_EXPIRING_KEY = "replace_with_expiring_key"
    ROTATE_NOW = "rotate_now"
    REPLACE_WITH_NARROWER_KEY = "replace_with_narrower_key"
    REVIEW_USAGE = "review_usage"


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding about one key. ``narrower_scopes`` is set for
    :attr:`Action.REPLACE_WITH_NARROWER_KEY` only: the scopes the replacement needs."""

    key_id: str
    kind: FindingKind
    action: Action
    reason: str
    narrower_scopes: tuple[str, ...] = ()


def check_keys(
    keys: Iterable[ApiKey], usage: Mapping[str, KeyUsage], now: datetime
) -> dict[str, tuple[Finding, ...]]:
    """Every key's findings, by key id (an empty tuple: nothing to do). ``usage`` maps a
    key id to its report; a key without one gets only the rules that need none."""
    return {key.id: check_key(key, usage.get(key.id), now) for key in keys if key.id}


def check_key(key: ApiKey, usage: KeyUsage | None, now: datetime) -> tuple[Finding, ...]:
    """The findings for one key at ``now`` (an aware UTC datetime), in rule order."""
    if not key.id or key.status(now) is not KeyStatus.ACTIVE:
        return ()
    unreadable = key.unreadable
    found: list[Finding] = []
    age = None if "created_at" in unreadable else now - key.created_at
    if age is not None and age > ROTATE_AFTER:
        found.append(
            Finding(
                key.id,
                FindingKind.OLDER_THAN_ROTATION,
                Action.ROTATE,
                f"It was created {_span(age)} ago, more than the 90 days after which a key "
                "should be replaced by a new one.",
            )
        )
    unused = _unused(key, usage, age, now)
    if unused is not None:
        found.append(unused)
    if key.expires_at is None:
        found.append(
            Finding(
                key.id,
                FindingKind.NEVER_EXPIRES,
                Action.REPLACE_WITH_EXPIRING_KEY,
                "It never expires, so if it leaks it works until someone revokes it; a key "
                "should expire within 90 days.",
            )
        )
    elif key.expires_at - now <= EXPIRY_WARNING:
        left = key.expires_at - now
        found.append(
            Finding(
                key.id,
                FindingKind.EXPIRES_SOON,
                Action.ROTATE_NOW,
                f"It expires in {_span(left)} (on {key.expires_at:%Y-%m-%d}), within the "
                "14 days it takes to replace it everywhere it is used.",
            )
        )
    if usage is not None:
        window = usage.days[-WINDOW_DAYS:]
        counts = [day.requests for day in window]  # read once for both rules
        narrower = _unused_write_access(key, usage, any(counts), age)
        if narrower is not None:
            found.append(narrower)
        unusual = _unusual_activity(key.id, window, counts)
        if unusual is not None:
            found.append(unusual)
    return tuple(found)


def wants_reminder(finding: Finding, key: ApiKey, now: datetime) -> bool:
    """Whether ``finding`` (about ``key``, found at or before ``now``) is worth a desktop
    notification: unusual activity, or an expiry within :data:`REMINDER_EXPIRY`."""
    if finding.kind is FindingKind.UNUSUAL_ACTIVITY:
        return True
    if finding.kind is FindingKind.EXPIRES_SOON and key.expires_at is not None:
        return timedelta(0) < key.expires_at - now <= REMINDER_EXPIRY
    return False


def _span(delta: timedelta) -> str:
    return format_duration(delta.total_seconds())


def _unused(
    key: ApiKey, usage: KeyUsage | None, age: timedelta | None, now: datetime
) -> Finding | None:
    if "last_used_at" in key.unreadable:
        return None
    # The key list and the usage report follow the same record; whichever is newer counts.
    reported = usage.last_used_at if usage is not None else None
    uses = [when for when in (key.last_used_at, reported) if when is not None]
    if uses:
        idle = now - max(uses)
        if idle < UNUSED_AFTER:
            return None
        reason = (
            f"It was last used {_span(idle)} ago (on {max(uses):%Y-%m-%d}); a key unused for "
            "30 days or more is one nobody needs, or one nobody watches."
        )
    else:
        if age is None or age < UNUSED_AFTER:
            return None
        reason = (
            f"It has never been used in the {_span(age)} since it was created; a key unused "
            "for 30 days or more is one nobody needs, or one nobody watches."
        )
    return Finding(key.id, FindingKind.UNUSED, Action.REVOKE, reason)


def _method(endpoint: str) -> str:
    return endpoint.split(" ", 1)[0].upper()


def _unused_write_access(
    key: ApiKey, usage: KeyUsage, used_in_window: bool, age: timedelta | None
) -> Finding | None:
    writes = [scope for scope in key.scopes if scope.startswith("write:") or scope == "admin"]
    if not writes or age is None or age < UNUSED_AFTER or len(usage.days) < WINDOW_DAYS:
        return None
    if not used_in_window:
        return None  # no traffic at all: the UNUSED rule's business
    if any(_method(name) not in READ_METHODS for name, count in usage.by_endpoint if count):
        return None
    narrower = _narrower_scopes(key.scopes, usage)
    return Finding(
        key.id,
        FindingKind.UNUSED_WRITE_ACCESS,
        Action.REPLACE_WITH_NARROWER_KEY,
        f"It holds {' '.join(writes)} but made no write call in {len(usage.days)} days, only "
        f"reads; a key with {' '.join(narrower)} would do its work.",
        narrower_scopes=narrower,
    )


def _narrower_scopes(scopes: tuple[str, ...], usage: KeyUsage) -> tuple[str, ...]:
    wanted = [scope for scope in scopes if scope.startswith("read:")]
    for name, count in usage.by_endpoint:
        method, _, path = name.partition(" ")
        resource = _RESOURCE_OF_PATH.get(path.split("?", 1)[0])
        if count and resource is not None and method.upper() in READ_METHODS:
            wanted.append(f"read:{resource}")
    if not wanted:
        if "admin" in scopes:
            wanted = list(READ_SCOPES)
        wanted += ["read:" + scope.removeprefix("write:") for scope in scopes if "write:" in scope]
    ordered = [scope for scope in READ_SCOPES if scope in wanted]  # the catalogue's order
    return tuple(ordered + sorted(set(wanted) - set(ordered)))


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _unusual_activity(
    key_id: str, window: tuple[DayUsage, ...], counts: list[int]
) -> Finding | None:
    used = [count for count in counts if count]
    if not used:
        return None
    parts: list[str] = []
    median = _median(used)
    most = max(used)
    if most > SPIKE_FACTOR * median:
        busiest = window[counts.index(most)]
        parts.append(
            f"on {busiest.date:%Y-%m-%d} it made {busiest.requests:,} requests, "
            f"{busiest.requests / median:.1f} times its median of {median:,g} on the "
            f"{len(used)} days it was used in the last {len(window)}"
        )
    requests = sum(used)
    errors = sum(day.errors for day in window) if requests >= MIN_REQUESTS_FOR_ERROR_RATE else 0
    if errors * 100 > ERROR_RATE_PERCENT * requests:
        parts.append(
            f"{errors:,} of its {requests:,} requests in the last {len(window)} days failed "
            f"({100 * errors / requests:.0f} %, more than {ERROR_RATE_PERCENT} %)"
        )
    if not parts:
        return None
    sentence = " and ".join(parts)
    return Finding(
        key_id,
        FindingKind.UNUSUAL_ACTIVITY,
        Action.REVIEW_USAGE,
        sentence[0].upper() + sentence[1:] + "; look at who uses it and from where.",
    )


__all__ = [
    "EXPIRY_WARNING",
    "ROTATE_AFTER",
    "UNUSED_AFTER",
    "Action",
    "Finding",
    "FindingKind",
    "check_key",
    "check_keys",
    "wants_reminder",
]
