"""What the Health page shows, worked out from the keys and their usage, off the UI thread.

:func:`build_report` runs the Health rules (``twinedge_desktop.health.rules``, the one copy
of every rule) over every key and turns the findings into :class:`FindingRow`\\ s with the
texts the list paints, sorted and counted, so that the UI thread only swaps a list in.
No Qt here: the page runs it with ``asyncio.to_thread`` (10,000 keys: ~0.2 s of work
that would otherwise freeze the window), and tests call it directly.

:func:`keys_needing_usage` decides which keys' usage reports are worth a request: the API
has one report per key, so asking for every key of a large organisation costs one
request each. A key not used in the report's window has a report of zeros, which the
rules read exactly as no report (the key list's ``last_used_at`` and the report follow
the same record, DESIGN.md "Key usage"), so only keys used within the window are asked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from twinedge_desktop.api.models import UNKNOWN_TIME, ApiKey, DayUsage, KeyStatus, KeyUsage
from twinedge_desktop.health.rules import (
    WINDOW_DAYS,
    Action,
    Finding,
    FindingKind,
    check_keys,
    wants_reminder,
)

# A finding's identity for dismissals and reminders: the key and what was found.
FindingId = tuple[str, FindingKind]

TITLES: dict[FindingKind, str] = {
    FindingKind.OLDER_THAN_ROTATION: "Older than 90 days",
    FindingKind.UNUSED: "Unused",
    FindingKind.NEVER_EXPIRES: "Never expires",
    FindingKind.EXPIRES_SOON: "Expires soon",
    FindingKind.UNUSED_WRITE_ACCESS: "Write access it does not use",
    FindingKind.UNUSUAL_ACTIVITY: "Unusual activity",
}
# The action button: in the details (full) and on the list's row (short).
ACTION_LABELS: dict[Action, str] = {
    Action.ROTATE: "Rotate…",
    Action.REVOKE: "Revoke…",
    Action.REPLACE_WITH_EXPIRING_KEY: "Replace with an expiring key…",
    Action.ROTATE_NOW: "Rotate now…",
    Action.REPLACE_WITH_NARROWER_KEY: "Replace with a narrower key…",
    Action.REVIEW_USAGE: "Look at its usage…",
}
SHORT_ACTION_LABELS: dict[Action, str] = {
    Action.ROTATE: "Rotate…",
    Action.REVOKE: "Revoke…",
    Action.REPLACE_WITH_EXPIRING_KEY: "Replace…",
    Action.ROTATE_NOW: "Rotate now…",
    Action.REPLACE_WITH_NARROWER_KEY: "Narrow…",
    Action.REVIEW_USAGE: "Usage…",
}
# What cannot wait comes first: it may stop working, or someone may be using it now.
URGENT = frozenset({FindingKind.EXPIRES_SOON, FindingKind.UNUSUAL_ACTIVITY})
_ORDER = {
    kind: position
    for position, kind in enumerate(
        (
            FindingKind.UNUSUAL_ACTIVITY,
            FindingKind.EXPIRES_SOON,
            FindingKind.UNUSED,
            FindingKind.OLDER_THAN_ROTATION,
            FindingKind.UNUSED_WRITE_ACCESS,
            FindingKind.NEVER_EXPIRES,
        )
    )
}
# A day of margin: the report's days are UTC days, so a use 30 days and some hours ago can
# still fall inside its first day.
USAGE_LOOKBACK = timedelta(days=WINDOW_DAYS + 1)


# A usage report as one flat tuple of strings, numbers, dates and None (see pack_usage):
# (key id, last use, last address, number of endpoints, endpoint, count, ...,
#  day, requests, errors, ...).
PackedUsage = tuple[object, ...]
_HEAD = 4  # key id, last use, last address, number of endpoints


def pack_usage(usage: KeyUsage) -> PackedUsage:
    """``usage`` as one flat tuple of strings, numbers, dates and None, which the garbage
    collector stops tracking at the first collection that visits it (CPython untracks a
    tuple holding nothing it need follow; tuples nested in tuples took one collection per
    level, and a report reached the old generation still tracked). A :class:`KeyUsage` is
    31 tracked objects (a ``DayUsage`` per day); the 2,000 reports a check of 10,000 keys
    kept were 62,000 objects that every full collection walked, and accumulating them made
    those collections happen: on the UI thread, 17-28 ms each, two or three per check
    (measured with ``benchmarks/responsiveness.py`` and ``gc.callbacks``). Packed, no full
    collection walks them. Packing a report costs ~1.5 µs, unpacking ~10 µs."""
    flat: list[object] = [usage.key_id, usage.last_used_at, usage.last_used_ip]
    flat.append(len(usage.by_endpoint))
    for name, count in usage.by_endpoint:
        flat += (name, count)
    for day in usage.days:
        flat += (day.date, day.requests, day.errors)
    return tuple(flat)


def unpack_usage(packed: PackedUsage) -> KeyUsage:
    """The :class:`KeyUsage` :func:`pack_usage` packed (equal to it)."""
    key_id, last_used_at, last_used_ip, endpoints = packed[:_HEAD]
    assert isinstance(endpoints, int)
    days_at = _HEAD + 2 * endpoints
    names, counts = packed[_HEAD:days_at:2], packed[_HEAD + 1 : days_at : 2]
    dates, requests, errors = packed[days_at::3], packed[days_at + 1 :: 3], packed[days_at + 2 :: 3]
    return KeyUsage(
        key_id=key_id,  # type: ignore[arg-type]
        days=tuple(DayUsage(*day) for day in zip(dates, requests, errors, strict=True)),  # type: ignore[arg-type]
        by_endpoint=tuple(zip(names, counts, strict=True)),  # type: ignore[arg-type]
        last_used_at=last_used_at,  # type: ignore[arg-type]
        last_used_ip=last_used_ip,  # type: ignore[arg-type]
    )


def _unpacked(usage: KeyUsage | PackedUsage | None) -> KeyUsage | None:
    return unpack_usage(usage) if isinstance(usage, tuple) else usage


def _packed(usage: KeyUsage | PackedUsage | None) -> PackedUsage | None:
    return pack_usage(usage) if isinstance(usage, KeyUsage) else usage


def finding_token(finding_id: FindingId) -> str:
    """``key_id:kind``: a finding named in one string (a notification's reference)."""
    key_id, kind = finding_id
    return f"{key_id}:{kind.value}"


def parse_token(token: str) -> FindingId | None:
    key_id, _, kind = token.rpartition(":")
    try:
        return (key_id, FindingKind(kind)) if key_id else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One finding as the list shows it (texts worked out once, off the UI thread)."""

    key: ApiKey
    finding: Finding
    packed_usage: PackedUsage | None  # the key's usage report, packed: see pack_usage
    title: str
    key_text: str  # "Edge gateway 7 · te_AbCdEfGhI…"
    urgent: bool
    dismissed: bool
    search: str  # lower-cased key name, prefix and title: what the filter matches

    @property
    def id(self) -> FindingId:
        return (self.finding.key_id, self.finding.kind)

    @property
    def usage(self) -> KeyUsage | None:
        """The key's usage report (made anew from the packed one at each call)."""
        return None if self.packed_usage is None else unpack_usage(self.packed_usage)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.finding.action]

    @property
    def short_action_label(self) -> str:
        return SHORT_ACTION_LABELS[self.finding.action]

    @property
    def accessible_text(self) -> str:
        state = " (dismissed)" if self.dismissed else ""
        return (
            f"{self.key.name or self.key.prefix}: {self.title}{state}. {self.finding.reason} "
            f"Action: {self.action_label.rstrip('…')}."
        )


@dataclass(frozen=True, slots=True)
class Reminder:
    """A desktop notification to show: one per key (its most urgent finding)."""

    finding_id: FindingId
    title: str
    body: str


@dataclass(frozen=True)
class HealthReport:
    """One check of every key: the rows to show and what the summary says."""

    rows: tuple[FindingRow, ...]
    keys: tuple[ApiKey, ...]  # every key listed (revoked and expired too): for the scan
    checked: int  # active keys checked
    attention: int  # keys with at least one finding not dismissed
    dismissed: int  # findings dismissed
    usage_unread: int  # keys whose usage could not be read: their activity was not checked
    checked_at: datetime
    reminders: tuple[Reminder, ...] = ()
    # Dismissals of findings that are gone (the key is revoked or no longer has it): a
    # finding that comes back later is news again.
    settled: frozenset[FindingId] = field(default_factory=frozenset)

    @property
    def findings(self) -> int:
        return sum(1 for row in self.rows if not row.dismissed)


def keys_needing_usage(keys: Iterable[ApiKey], now: datetime) -> list[ApiKey]:
    """The active keys whose usage report can change a finding: used in the window (or
    whose last use the server sent unreadable), most recently used first."""
    since = now - USAGE_LOOKBACK
    wanted = [
        key
        for key in keys
        if key.id
        and key.status(now) is KeyStatus.ACTIVE
        and (
            "last_used_at" in key.unreadable
            or (key.last_used_at is not None and key.last_used_at >= since)
        )
    ]
    # Most recently used first (the likeliest to show unusual activity); unknown last.
    wanted.sort(key=lambda key: key.last_used_at or UNKNOWN_TIME, reverse=True)
    return wanted


def summary_text(attention: int) -> str:
    """ "3 keys need attention" (the page's heading and the navigation's tooltip)."""
    if attention == 0:
        return "No key needs attention"
    if attention == 1:
        return "1 key needs attention"
    return f"{attention:,} keys need attention"


def reminder_title(key: ApiKey, finding: Finding) -> str:
    name = f"“{key.name}”" if key.name else key.prefix + "…"
    if finding.kind is FindingKind.EXPIRES_SOON:
        return f"API key {name} expires soon"
    return f"API key {name}: {TITLES[finding.kind].lower()}"


# Keys checked between two pauses (~1.5 ms of work here): see build_report's ``pause``.
PAUSE_EVERY = 150


def build_report(
    keys: Collection[ApiKey],
    usage: Mapping[str, KeyUsage | PackedUsage],
    now: datetime,
    dismissed: Collection[FindingId] = (),
    usage_unread: Collection[str] = (),
    *,
    pause: Callable[[], None] | None = None,
) -> HealthReport:
    """Check ``keys`` at ``now`` with the usage reports there are; mark ``dismissed``
    findings; name the reminders worth a notification today and the dismissals settled.
    ``usage`` may hold reports packed (:func:`pack_usage`): each is unpacked for its
    batch of the rules only, and the rows keep them packed.

    ``pause`` is called every :data:`PAUSE_EVERY` keys. In a worker thread it should let
    the UI thread have the interpreter (``time.sleep`` for a moment): pure-Python work in
    one thread otherwise keeps it for 5 ms at a time (``sys.getswitchinterval``), and a UI
    thread that needs it for every callback of a repaint or a relayout waits that long
    each time: measured, single stalls of 50 ms while 10,000 keys were checked.
    """
    found: dict[str, tuple[Finding, ...]] = {}
    listed = list(keys)
    checked = 0
    for start in range(0, len(listed), PAUSE_EVERY):
        batch = listed[start : start + PAUSE_EVERY]
        batch_usage: dict[str, KeyUsage] = {}
        for key in batch:
            report = _unpacked(usage.get(key.id))
            if report is not None:
                batch_usage[key.id] = report
        found.update(check_keys(batch, batch_usage, now))
        checked += sum(1 for key in batch if key.id and key.status(now) is KeyStatus.ACTIVE)
        if pause is not None:
            pause()
    dismissed_set = set(dismissed)
    rows: list[FindingRow] = []
    reminders: list[Reminder] = []
    attention_keys: set[str] = set()
    by_id = {key.id: key for key in keys if key.id}
    for position, (key_id, findings) in enumerate(found.items()):
        if pause is not None and position % PAUSE_EVERY == PAUSE_EVERY - 1:
            pause()
        key = by_id[key_id]
        packed = _packed(usage.get(key_id))
        key_text = f"{key.name or '(no name)'} · {key.prefix}…"
        reminded = False
        for finding in sorted(findings, key=lambda f: _ORDER[f.kind]):
            is_dismissed = (key_id, finding.kind) in dismissed_set
            title = TITLES[finding.kind]
            rows.append(
                FindingRow(
                    key=key,
                    finding=finding,
                    packed_usage=packed,
                    title=title,
                    key_text=key_text,
                    urgent=finding.kind in URGENT,
                    dismissed=is_dismissed,
                    search=" ".join((key.name, key.prefix, title)).casefold(),
                )
            )
            if is_dismissed:
                continue
            attention_keys.add(key_id)
            if not reminded and wants_reminder(finding, key, now):
                reminders.append(
                    Reminder((key_id, finding.kind), reminder_title(key, finding), finding.reason)
                )
                reminded = True
    # Sorted by precomputed keys, in batches with pauses; the sort itself then compares
    # tuples in C (a few milliseconds for 10,000 rows).
    order: list[tuple[bool, int, str, int]] = []
    for position, row in enumerate(rows):
        if pause is not None and position % (4 * PAUSE_EVERY) == 4 * PAUSE_EVERY - 1:
            pause()
        order.append((row.dismissed, _ORDER[row.finding.kind], row.key.name.casefold(), position))
    order.sort()
    rows = [rows[entry[3]] for entry in order]
    reminders.sort(key=lambda reminder: (_ORDER[reminder.finding_id[1]], reminder.title))
    unread = set(usage_unread)
    settled = frozenset(
        (key_id, kind)
        for key_id, kind in dismissed_set
        if key_id in by_id
        and key_id not in unread
        and all(f.kind is not kind for f in found.get(key_id, ()))
    )
    return HealthReport(
        rows=tuple(rows),
        keys=tuple(keys),
        checked=checked,
        attention=len(attention_keys),
        dismissed=sum(1 for row in rows if row.dismissed),
        usage_unread=len(unread),
        checked_at=now,
        reminders=tuple(reminders),
        settled=settled,
    )


def local_day(moment: datetime) -> date:
    """The person's calendar day at ``moment``: "once a day" means their day."""
    return moment.astimezone().date()


__all__ = [
    "ACTION_LABELS",
    "TITLES",
    "FindingId",
    "FindingRow",
    "HealthReport",
    "PackedUsage",
    "Reminder",
    "build_report",
    "finding_token",
    "keys_needing_usage",
    "local_day",
    "pack_usage",
    "parse_token",
    "reminder_title",
    "summary_text",
    "unpack_usage",
]
