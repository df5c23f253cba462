"""ApiKeysService.usage and KeyUsage: the contract's report read strictly, a damaged one
refused with a sentence naming the field (never a crash), every call bounded."""

# The table of damaged reports reads best with one case per line.
# ruff: noqa: E501

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from tests.helpers.hostile_server import Trickle, hostile_server
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import ApiError, NetworkError, NotFound
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.api.keys import ApiKeysService
from twinedge_desktop.api.models import DayUsage, KeyUsage, UsageFormatError

BASE = "https://api.example.test/v1"


class StaticTokens:
    async def access_token(self) -> str:
        return "user-token"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token"


async def _no_sleep(seconds: float) -> None:
    return None


def report(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "key_id": "key_1",
        "days": [
            {"date": "2030-05-30", "requests": 10, "errors": 1},
            {"date": "2030-05-31", "requests": 0, "errors": 0},
            {"date": "2030-06-01", "requests": 25, "errors": 0},
        ],
        "by_endpoint": {"GET /v1/assets": 5, "POST /v1/telemetry": 30},
        "last_used_at": "2030-06-01T09:30:00Z",
        "last_used_ip": "192.0.2.10",
    }
    document.update(changes)
    return document


def service(handler: Callable[[httpx.Request], httpx.Response]) -> ApiKeysService:
    http = build_http_client(transport=httpx.MockTransport(handler), trust_env=False)
    return ApiKeysService(ApiClient(http, BASE, StaticTokens(), sleep=_no_sleep))


async def test_usage_asks_for_the_days_and_reads_the_report() -> None:
    asked: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        return httpx.Response(200, json=report())

    usage = await service(handler).usage("key_1", days=3)
    assert str(asked[0]) == f"{BASE}/api-keys/key_1/usage?days=3"
    assert usage == KeyUsage(
        key_id="key_1",
        days=(
            DayUsage(date(2030, 5, 30), 10, 1),
            DayUsage(date(2030, 5, 31), 0, 0),
            DayUsage(date(2030, 6, 1), 25, 0),
        ),
        by_endpoint=(("POST /v1/telemetry", 30), ("GET /v1/assets", 5)),  # busiest first
        last_used_at=datetime(2030, 6, 1, 9, 30, tzinfo=UTC),
        last_used_ip="192.0.2.10",
    )
    assert (usage.requests, usage.errors) == (35, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        usage.key_id = "key_2"  # type: ignore[misc]
    assert hash(usage) == hash(replace(usage))  # frozen all the way down: tuples, not lists


async def test_the_default_is_30_days_and_the_range_is_checked_before_asking() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["days"])
        return httpx.Response(200, json=report())

    await service(handler).usage("key_1")
    assert asked == ["30"]
    for days in (0, 91):
        with pytest.raises(ValueError, match="from 1 to 90"):
            await service(handler).usage("key_1", days=days)
    assert asked == ["30"]


def _without(document: dict[str, Any], path: str) -> dict[str, Any]:
    damaged = copy.deepcopy(document)
    del damaged[path]
    return damaged


def _set_day(field: str, value: object, index: int = 1) -> dict[str, Any]:
    damaged = report()
    damaged["days"][index][field] = value
    return damaged


DAMAGED: list[tuple[str, object, str]] = [
    ("a list", [report()], "the report is a list, not an object"),
    ("another key's", report(key_id="key_2"), "key_id: “key_2” is not the key asked for"),
    ("no days", _without(report(), "days"), "days: null, not a list"),
    ("days not a list", report(days={"2030-06-01": 1}), "days: an object, not a list"),
    ("a day not an object", report(days=[7]), "days[0]: a number, not an object"),
    ("a date not a date", _set_day("date", "yesterday"), "days[1].date: not a date such as"),
    ("a date that does not exist", _set_day("date", "2030-02-30"), "is not a date that exists"),
    ("non-ASCII digits", _set_day("date", "٢٠٣٠-05-31"), "days[1].date: not a date"),
    ("requests as text", _set_day("requests", "10"), "days[1].requests: text, not a whole number"),
    ("requests true", _set_day("requests", True), "true or false, not a whole number"),
    ("requests a float", _set_day("requests", 1.5), "days[1].requests: a number, not a whole"),
    ("negative requests", _set_day("requests", -1), "days[1].requests: -1 is not a count"),
    ("huge requests", _set_day("requests", 10**30), "is not a count"),
    ("more errors than requests", _set_day("errors", 5), "days[1]: 5 errors out of 0 requests"),
    ("days out of order", _set_day("date", "2030-06-02"), "days[2]: the days are not in order"),
    ("a day twice", _set_day("date", "2030-05-30"), "days[1]: the days are not in order"),
    ("too many days", report(days=[{"date": f"{2000 + i // 365}-01-01", "requests": 0, "errors": 0} for i in range(400)]), "days: 400 entries, more than 366"),
    ("by_endpoint a list", report(by_endpoint=[["GET /v1/assets", 5]]), "by_endpoint: a list, not an object"),
    ("a count as text", report(by_endpoint={"GET /v1/assets": "5"}), "by_endpoint[“GET /v1/assets”]: text"),
    ("an unreadable last use", report(last_used_at="yesterday"), "last_used_at: “yesterday” is not an RFC 3339"),
    ("an address that is not", report(last_used_ip=["x"]), "last_used_ip: not an IP address"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "document", "says"), DAMAGED, ids=[c[0] for c in DAMAGED])
async def test_a_damaged_report_is_a_clear_error(case: str, document: object, says: str) -> None:
    with pytest.raises(UsageFormatError, match=None) as direct:
        KeyUsage.from_json(document, key_id="key_1")
    assert says in str(direct.value)

    answer = httpx.Response(
        200, content=json.dumps(document).encode(), headers={"Content-Type": "application/json"}
    )
    with pytest.raises(ApiError) as caught:
        await service(lambda request: answer).usage("key_1", days=3)
    assert (
        caught.value.user_message.startswith(
            "The server's usage report for key key_1 could not be read ("
        )
        or caught.value.user_message == "The server's answer was not in the expected form."
    )
    assert "Traceback" not in caught.value.user_message


async def test_not_json_and_not_found_are_typed_errors() -> None:
    portal = service(lambda request: httpx.Response(200, text="<html>Wi-Fi login</html>"))
    with pytest.raises(ApiError, match="expected form"):
        await portal.usage("key_1")
    missing = service(
        lambda request: httpx.Response(404, json={"error": "not_found", "error_description": "x"})
    )
    with pytest.raises(NotFound):
        await missing.usage("key_1")


async def test_the_key_id_is_one_path_segment() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.raw_path.decode())
        return httpx.Response(200, json=report(key_id="../x?y"))

    await service(handler).usage("../x?y", days=3)
    assert asked == ["/v1/api-keys/..%2Fx%3Fy/usage?days=3"]


async def test_a_trickling_report_ends_at_the_attempt_deadline() -> None:
    with hostile_server({"/v1/api-keys/key_1/usage": Trickle(interval=0.1)}) as server:
        http = build_http_client(trust_env=False)
        client = ApiClient(
            http, server.url("/v1"), StaticTokens(), sleep=_no_sleep, attempt_deadline=0.5,
            max_attempts=2,
        )  # fmt: skip
        try:
            with pytest.raises(NetworkError, match="did not answer in time"):
                await asyncio.wait_for(ApiKeysService(client).usage("key_1"), 20)
        finally:
            await http.aclose()
        assert server.requests.count("/v1/api-keys/key_1/usage") == 2  # retried once: a GET
