"""A bad entry in a key list costs that entry only: strict RFC 3339, damaged entries, paging.

The incident: a key stored with ``expires_at`` ``9999-12-31T23:59:59-23:59`` (the year
10000 in UTC) made every key list of its organisation fail with an exception from
the models, even after the key was revoked. Each entry is now read on its own.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import ApiError
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.api.keys import ApiKeysService
from twinedge_desktop.api.models import UNKNOWN_TIME, ApiKey, TimeFormatError, parse_time

BASE = "https://api.example.test/v1"
NOW = datetime(2031, 1, 1, tzinfo=UTC)


class StaticTokens:
    async def access_token(self) -> str:
        return "user-token"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token"


async def _no_sleep(seconds: float) -> None:
    return None


def service(handler: Any) -> ApiKeysService:
    http = build_http_client(transport=httpx.MockTransport(handler), trust_env=False)
    return ApiKeysService(ApiClient(http, BASE, StaticTokens(), sleep=_no_sleep))


def key_json(n: int, **extra: object) -> dict[str, object]:
    return {
        "id": f"key_{n}",
        "name": f"Key {n}",
        "prefix": f"te_abcdefg{n}",
        "scopes": ["read:assets"],
        "created_at": "2030-01-01T00:00:00Z",
        "expires_at": None,
        "last_used_at": None,
        "revoked_at": None,
        "created_by": "person@example.test",
        **extra,
    }


async def test_a_damaged_entry_costs_only_itself_and_paging_continues() -> None:
    first_page = [
        key_json(1),
        key_json(2, expires_at="9999-12-31T23:59:59-23:59"),  # the incident, as sent
        key_json(3, expires_at="10000-12-31T23:58:59Z", revoked_at="2030-06-01T00:00:00Z"),
        "not an object",
        key_json(5, id=None, created_at="yesterday"),
        key_json(6),
    ]
    pages = {
        None: {"data": first_page, "next_cursor": "c1"},
        "c1": {"data": [key_json(7)], "next_cursor": None},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    keys = await service(handler).list_all()

    assert [k.id for k in keys] == ["key_1", "key_2", "key_3", "", "", "key_6", "key_7"]
    good = [keys[0], keys[5], keys[6]]
    assert all(k.problem is None and not k.damaged and k.unreadable == () for k in good)
    assert keys[0].created_at == datetime(2030, 1, 1, tzinfo=UTC)

    year_10000 = keys[1]
    assert year_10000.damaged
    assert year_10000.problem == (
        "expires_at: “9999-12-31T23:59:59-23:59” is outside the years 1-9999 once converted to UTC"
    )
    assert year_10000.unreadable == ("expires_at",)
    assert (year_10000.name, year_10000.prefix) == ("Key 2", "te_abcdefg2")  # kept
    assert year_10000.status(NOW) == "damaged"  # its expiry is unknown: never "active"

    revoked = keys[2]
    assert revoked.problem is not None and "10000-12-31T23:58:59Z" in revoked.problem
    assert revoked.status(NOW) == "revoked"  # revocation is known, and wins

    assert keys[3].problem == "the entry is text, not an object"
    assert keys[4].problem is not None
    assert keys[4].problem.startswith("id: missing; created_at: “yesterday” is not an RFC")
    assert keys[4].created_at == UNKNOWN_TIME and "created_at" in keys[4].unreadable
    assert keys[4].name == "Key 5"


async def test_a_damaged_created_key_still_returns_its_secret_once() -> None:
    secret = "te_" + "B" * 32 + "000000"

    def handler(request: httpx.Request) -> httpx.Response:
        body = key_json(9, expires_at="2030-13-01T00:00:00Z", key=secret)
        return httpx.Response(201, json=body)

    created = await service(handler).create("ci", ["read:assets"], None, idempotency_key="k")

    assert created.secret == secret
    assert created.key.id == "key_9" and created.key.damaged
    assert "expires_at" in created.key.unreadable


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("created_at", "2030-01-01T00:00:00", "is not an RFC 3339 date-time"),  # no offset
        ("created_at", "2030-01-01", "is not an RFC 3339 date-time"),
        ("created_at", "2030-W01-1T00:00:00Z", "is not an RFC 3339 date-time"),
        ("created_at", "2030-01-01T00:00:00+0100", "is not an RFC 3339 date-time"),
        ("created_at", 1_900_000_000, "a number is not an RFC 3339 date-time"),
        ("expires_at", "2030-02-30T00:00:00Z", "is not a date and time that exists"),
        ("expires_at", "2030-01-01T24:00:00Z", "is not a date and time that exists"),
        ("expires_at", "2030-01-01T00:00:00+24:00", "has an offset beyond ±23:59"),
        ("expires_at", "0000-01-01T00:00:00Z", "is not a date and time that exists"),
        ("last_used_at", "0001-01-01T00:00:00+00:01", "outside the years 1-9999"),
        ("revoked_at", ["2030-01-01T00:00:00Z"], "a list is not an RFC 3339 date-time"),
        ("name", {"first": "x"}, "an object, not text"),
    ],
)
def test_every_kind_of_bad_value_is_named(field: str, value: object, why: str) -> None:
    key = ApiKey.from_json(key_json(1, **{field: value}))
    assert key.problem is not None and key.problem.startswith(f"{field}: ")
    assert why in key.problem
    assert key.unreadable == (field,)
    assert key.id == "key_1"


def test_rfc3339_forms_that_are_allowed() -> None:
    assert parse_time("2030-01-01T10:00:00+05:30") == datetime(2030, 1, 1, 4, 30, tzinfo=UTC)
    assert parse_time("2030-01-01t10:00:00z") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert parse_time("2030-01-01 10:00:00Z") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    fraction = parse_time("2030-01-01T00:00:00.123456789Z")
    assert fraction == datetime(2030, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    # A leap second reads as the last microsecond before it (RFC 3339 §5.6).
    leap = parse_time("2016-12-31T23:59:60Z")
    assert leap == datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_time(None) is None and parse_time("") is None


def test_a_very_long_value_is_refused_without_being_quoted_whole() -> None:
    with pytest.raises(TimeFormatError) as caught:
        parse_time("2030-01-01T00:00:00Z" + "9" * 100_000)
    assert len(str(caught.value)) < 200


_aware = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
_offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)


@given(_aware, _offsets)
def test_any_representable_time_in_any_offset_round_trips(moment: datetime, minutes: int) -> None:
    offset = timezone(timedelta(minutes=minutes))
    local = moment.astimezone(offset)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    wall = local.replace(tzinfo=None).isoformat(timespec="microseconds")
    text = f"{wall}{sign}{hours:02d}:{rest:02d}"
    assert parse_time(text) == moment


_numbers = st.integers(min_value=0, max_value=99999)


@given(
    st.tuples(_numbers, _numbers, _numbers, _numbers, _numbers, _numbers, _numbers, _numbers)
    | st.text(max_size=40).map(lambda text: (text,))
)
def test_any_input_is_a_time_or_a_time_format_error_never_another_exception(
    parts: tuple[object, ...],
) -> None:
    if len(parts) == 8:
        y, mo, d, h, mi, s, oh, om = parts
        text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}-{oh:02d}:{om:02d}"
    else:
        text = str(parts[0])
    try:
        parsed = parse_time(text)
    except TimeFormatError:
        return
    assert parsed is None or (parsed.tzinfo is UTC and 1 <= parsed.year <= 9999)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
_times = st.builds(
    lambda a, b: f"{a}T{b}",
    st.text("0123456789-", max_size=12),
    st.text("0123456789:+-Z.", max_size=16),
)


@given(st.dictionaries(st.sampled_from(list(key_json(0))), _json | _times))
def test_any_entry_reads_without_raising(entry: dict[str, object]) -> None:
    key = ApiKey.from_json(entry)
    assert (key.problem is None) == (key.unreadable == ())


def test_created_key_json_from_the_sandbox_shape_is_read_in_full() -> None:
    document = json.loads(json.dumps(key_json(1, expires_at="2031-05-06T07:08:09Z")))
    key = ApiKey.from_json(document)
    assert key.problem is None
    assert key.expires_at == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert key.status(NOW) == "active"


async def test_a_cursor_chain_that_never_ends_stops_at_the_page_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("twinedge_desktop.api.keys.MAX_PAGES", 5)
    asked: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params.get("cursor"))
        return httpx.Response(200, json={"data": [], "next_cursor": f"c{len(asked)}"})

    with pytest.raises(ApiError, match="did not end after 5 pages; stopped reading"):
        await asyncio.wait_for(service(handler).list_all(), 20)
    assert asked == [None, "c1", "c2", "c3", "c4"]
