"""Plain dataclasses for what the API returns: strict about types, lenient about extras.

A list is only as good as its worst item unless each item is read on its own: one
key with an unreadable time (a server stored ``9999-12-31T23:59:59-23:59`` as the
year 10000) used to make every key list of the organisation fail. Now
:meth:`ApiKey.from_json` never raises: an entry it cannot read fully comes back
marked with :attr:`ApiKey.problem`, keeping whatever was readable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, TypeGuard

from twinedge_desktop.api.errors import clean_server_text

# RFC 3339 §5.6 date-time: full-date "T" full-time, with a mandatory offset. "t" and a
# space for the "T" are allowed by its §5.6 note; anything else ISO 8601 permits (week
# dates, no offset, "+0100", a 5-digit year) is not RFC 3339 and is refused.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_LONGEST_TIME = 64  # far longer than any RFC 3339 text; longer input is not parsed at all


class TimeFormatError(ValueError):
    """A time that is not an RFC 3339 date-time this app can represent (a sentence why)."""


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime; None and "" stay None.

    Strict: a time without an offset is refused (it could be any zone). Robust:
    every failure is a :class:`TimeFormatError` saying what is wrong, never an
    ``OverflowError`` or a bare ``ValueError`` from deep inside ``datetime``:
    a date that does not exist (``02-30``), an offset beyond ±23:59, a year that
    ``datetime`` cannot hold (0, or beyond 9999 once converted to UTC, such as
    ``9999-12-31T23:59:59-23:59``). A leap second (``:60``) is read as the last
    microsecond of the minute before it, as RFC 3339 §5.6 asks readers to cope with.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TimeFormatError(f"{_kind(value)} is not an RFC 3339 date-time")
    text = value.strip()
    match = _RFC3339.fullmatch(text) if len(text) <= _LONGEST_TIME else None
    if match is None:
        raise TimeFormatError(
            f"{_quoted(value)} is not an RFC 3339 date-time such as 2030-01-31T12:00:00Z"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction = (match.group(7) or "").ljust(6, "0")[:6]
    leap = second == 60
    if leap:
        second, fraction = 59, "999999"
    if match.group(8):
        offset = timedelta(0)
    else:
        offset_hours, offset_minutes = int(match.group(10)), int(match.group(11))
        if offset_hours > 23 or offset_minutes > 59:
            raise TimeFormatError(f"{_quoted(value)} has an offset beyond ±23:59")
        offset = timedelta(hours=offset_hours, minutes=offset_minutes)
        if match.group(9) == "-":
            offset = -offset
    try:
        local = datetime(
            year, month, day, hour, minute, second, int(fraction), tzinfo=timezone(offset)
        )
    except ValueError:
        raise TimeFormatError(f"{_quoted(value)} is not a date and time that exists") from None
    try:
        return local.astimezone(UTC)
    except (OverflowError, ValueError):
        raise TimeFormatError(
            f"{_quoted(value)} is outside the years 1-9999 once converted to UTC"
        ) from None


def _quoted(value: str) -> str:
    return "“" + clean_server_text(value, 40) + "”"


class KeyStatus(StrEnum):
    """An API key's status (:meth:`ApiKey.status`); a ``StrEnum``, so it is also the text
    the key list, the CSV export and ``keys list --json`` show."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    DAMAGED = "damaged"  # what decides the rest could not be read: never shown as active


def format_rfc3339(value: datetime) -> str:
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


# Stands in for a creation time the server's entry did not give in a readable form;
# such an entry lists "created_at" in ``unreadable`` and has a ``problem``.
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_FIELDS = ("created_at", "expires_at", "last_used_at", "revoked_at")
_TEXT_FIELDS = ("name", "prefix", "created_by")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as the server describes it (never the secret itself).

    ``problem`` is None for an entry read in full. Otherwise the server's entry was
    damaged and ``problem`` says how, field by field, for the person ("expires_at:
    “9999-12-31T23:59:59-23:59” is outside the years 1-9999 once converted to UTC");
    the fields named in ``unreadable`` hold stand-ins (None, "", or
    :data:`UNKNOWN_TIME` for ``created_at``), every other field is what the server said.
    ``id`` is "" when even the id was unreadable: such an entry can be shown, not acted on.
    """

    id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: str
    problem: str | None = None
    unreadable: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> ApiKey:
        """Read one entry of the API's key list (or a create answer). Never raises.

        Each field is read on its own, so one bad value costs only that value: the
        entry comes back with ``problem`` set and the rest of what the server said.
        """
        if not isinstance(data, Mapping):
            return cls._unreadable_entry(f"the entry is {_kind(data)}, not an object")
        problems: list[str] = []
        unreadable: list[str] = []
        key_id = data.get("id")
        if isinstance(key_id, int) and not isinstance(key_id, bool):
            key_id = str(key_id)
        if not isinstance(key_id, str) or not key_id:
            problems.append(
                "id: missing" if key_id in (None, "") else f"id: {_kind(key_id)}, not text"
            )
            unreadable.append("id")
            key_id = ""
        times: dict[str, datetime | None] = {}
        for name in _TIME_FIELDS:
            try:
                times[name] = parse_time(data.get(name))
            except TimeFormatError as exc:
                problems.append(f"{name}: {exc}")
                unreadable.append(name)
                times[name] = None
        if times["created_at"] is None and "created_at" not in unreadable:
            problems.append("created_at: missing")
            unreadable.append("created_at")
        texts: dict[str, str] = {}
        for name in _TEXT_FIELDS:
            value = data.get(name)
            if value is None or isinstance(value, str | int | float):
                texts[name] = "" if value is None else str(value)
            else:
                problems.append(f"{name}: {_kind(value)}, not text")
                unreadable.append(name)
                texts[name] = ""
        return cls(
            id=key_id,
            name=texts["name"],
            prefix=texts["prefix"],
            scopes=_scopes(data.get("scopes")),
            created_at=times["created_at"] or UNKNOWN_TIME,
            expires_at=times["expires_at"],
            last_used_at=times["last_used_at"],
            revoked_at=times["revoked_at"],
            created_by=texts["created_by"],
            problem=_sentence(problems),
            unreadable=tuple(unreadable),
        )

    @classmethod
    def _unreadable_entry(cls, problem: str) -> ApiKey:
        """An entry of which nothing could be read: shown as a damaged row, nothing more."""
        return cls(
            id="",
            name="",
            prefix="",
            scopes=(),
            created_at=UNKNOWN_TIME,
            expires_at=None,
            last_used_at=None,
            revoked_at=None,
            created_by="",
            problem=problem,
            unreadable=("id", *_TIME_FIELDS, *_TEXT_FIELDS, "scopes"),
        )

    @property
    def damaged(self) -> bool:
        """True when the server's entry could not be read in full (see ``problem``)."""
        return self.problem is not None

    def status(self, now: datetime) -> KeyStatus:
        """Revoked, expired, active or damaged at ``now``.

        Revocation wins. ``"damaged"`` when what decides the rest (the expiry or the
        revocation time) was unreadable: such a key must not be shown as active.
        """
        if self.revoked_at is not None:
            return KeyStatus.REVOKED
        if "revoked_at" in self.unreadable or "expires_at" in self.unreadable:
            return KeyStatus.DAMAGED
        if self.expires_at is not None and self.expires_at <= now:
            return KeyStatus.EXPIRED
        return KeyStatus.ACTIVE


def _kind(value: object) -> str:
    names = {list: "a list", dict: "an object", str: "text", bool: "true or false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "unknown")


def _sentence(problems: list[str]) -> str | None:
    if not problems:
        return None
    return "; ".join(problems)


# -- key usage ------------------------------------------------------------------------------

# The API reports at most 90 days; a document with more entries than a year is not one.
MAX_USAGE_DAYS = 366
# Endpoint names are "METHOD /v1/path" (routes, not raw paths); a report names a handful.
MAX_USAGE_ENDPOINTS = 1_000
_USAGE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
# A count no server could have counted (and that would make sums meaningless).
_MAX_COUNT = 2**53


class UsageFormatError(ValueError):
    """A usage report that is not in the contract's form; the text says where and why."""


@dataclass(frozen=True, slots=True)
class DayUsage:
    """One UTC day of a key's use: requests made with it, and how many answered >= 400."""

    date: date
    requests: int
    errors: int


@dataclass(frozen=True, slots=True)
class KeyUsage:
    """``GET /v1/api-keys/{id}/usage``: a key's daily use, oldest day first, days without use
    included as zeros; ``by_endpoint`` over the same days, as (``"GET /v1/assets"``, count)
    pairs, busiest first."""

    key_id: str
    days: tuple[DayUsage, ...]
    by_endpoint: tuple[tuple[str, int], ...]
    last_used_at: datetime | None
    last_used_ip: str | None

    @property
    def requests(self) -> int:
        return sum(day.requests for day in self.days)

    @property
    def errors(self) -> int:
        return sum(day.errors for day in self.days)

    @classmethod
    def from_json(cls, data: object, *, key_id: str) -> KeyUsage:
        """Read a usage report for ``key_id``, strictly: the numbers feed advice a person acts
        on, so a damaged report is refused whole (:class:`UsageFormatError`, naming the
        field), never half read."""
        if not isinstance(data, Mapping):
            raise UsageFormatError(f"the report is {_kind(data)}, not an object")
        reported = data.get("key_id")
        if reported != key_id:
            raise UsageFormatError(f"key_id: {_quoted(str(reported))} is not the key asked for")
        raw_days = data.get("days")
        if not isinstance(raw_days, list):
            raise UsageFormatError(f"days: {_kind(raw_days)}, not a list")
        if len(raw_days) > MAX_USAGE_DAYS:
            raise UsageFormatError(f"days: {len(raw_days):,} entries, more than {MAX_USAGE_DAYS}")
        days = tuple(_day_usage(entry, index) for index, entry in enumerate(raw_days))
        for index in range(1, len(days)):
            if days[index].date <= days[index - 1].date:
                raise UsageFormatError(f"days[{index}]: the days are not in order, oldest first")
        raw_endpoints = data.get("by_endpoint")
        if not isinstance(raw_endpoints, Mapping):
            raise UsageFormatError(f"by_endpoint: {_kind(raw_endpoints)}, not an object")
        if len(raw_endpoints) > MAX_USAGE_ENDPOINTS:
            raise UsageFormatError(
                f"by_endpoint: {len(raw_endpoints):,} endpoints, more than {MAX_USAGE_ENDPOINTS:,}"
            )
        by_endpoint = tuple(
            sorted(
                (
                    (str(name), _count(count, f"by_endpoint[{_quoted(str(name))}]"))
                    for name, count in raw_endpoints.items()
                ),
                key=lambda pair: (-pair[1], pair[0]),
            )
        )
        try:
            last_used_at = parse_time(data.get("last_used_at"))
        except TimeFormatError as exc:
            raise UsageFormatError(f"last_used_at: {exc}") from None
        address = data.get("last_used_ip")
        if address is not None and (not isinstance(address, str) or len(address) > 64):
            raise UsageFormatError("last_used_ip: not an IP address")
        return cls(
            key_id=key_id,
            days=days,
            by_endpoint=by_endpoint,
            last_used_at=last_used_at,
            last_used_ip=address or None,
        )


def _count(value: object, where: str) -> int:
    if not _is_count(value):
        raise _not_a_count(value, where)
    return value


def _is_count(value: object) -> TypeGuard[int]:
    # ``type(...) is int``: JSON gives plain ints and a bool (an int subclass) is refused;
    # the exact test keeps reading 10,000 reports cheap (benchmarks/health_rules.py).
    return type(value) is int and 0 <= value <= _MAX_COUNT


def _not_a_count(value: object, where: str) -> UsageFormatError:
    if type(value) is not int:
        return UsageFormatError(f"{where}: {_kind(value)}, not a whole number")
    return UsageFormatError(f"{where}: {value} is not a count")


@functools.lru_cache(maxsize=4096)
def _usage_date(text: str) -> date | None:
    """``YYYY-MM-DD`` (ASCII digits, a date that exists), else None. Cached: every report of
    a page names the same few dozen days."""
    match = _USAGE_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _day_usage(entry: object, index: int) -> DayUsage:
    """One entry of ``days``; the messages (which name the entry) are built only on error."""
    if type(entry) is not dict:
        raise UsageFormatError(f"days[{index}]: {_kind(entry)}, not an object")
    text = entry.get("date")
    day = _usage_date(text) if type(text) is str and len(text) == 10 else None
    if day is None:
        if isinstance(text, str) and _USAGE_DATE.fullmatch(text):
            shown = _quoted(text)
            raise UsageFormatError(f"days[{index}].date: {shown} is not a date that exists")
        raise UsageFormatError(f"days[{index}].date: not a date such as 2030-01-31")
    requests, errors = entry.get("requests"), entry.get("errors")
    if not _is_count(requests):
        raise _not_a_count(requests, f"days[{index}].requests")
    if not _is_count(errors):
        raise _not_a_count(errors, f"days[{index}].errors")
    if errors > requests:
        raise UsageFormatError(f"days[{index}]: {errors} errors out of {requests} requests")
    return DayUsage(day, requests, errors)


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
