"""Key usage (the seed's "Monitor key usage"): counting, the report, seeded history.

Every API request authenticated with an API key is counted, whatever its answer:
responses of 400 and above (a 403 for a scope the key lacks, a 429 for the key's
rate limit, an injected fault) count as errors too. The gateway calls
:func:`record_request` once the response status is known; the cost is one upsert on
the (key, UTC day, endpoint) counter row plus the key's ``last_used_at``/``_ip``, in
one transaction (``benchmarks/sandbox_load.py`` measures it).

``GET /v1/api-keys/{id}/usage?days=N`` reports N days (1-90, default 30), oldest
first, days without use as zeros, dates in UTC by the sandbox clock.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from twinedge_desktop.sandbox.api import user_caller, visible_key
from twinedge_desktop.sandbox.limits import RequestContext
from twinedge_desktop.sandbox.oauth import state_of
from twinedge_desktop.sandbox.problems import validation
from twinedge_desktop.sandbox.state import SandboxState, rfc3339
from twinedge_desktop.sandbox.storage import Storage, usage_day
from twinedge_desktop.sandbox.validation import (
    bounded_int,
    bounded_number,
    json_object,
    query_value,
    refuse_unknown_parameters,
)
from twinedge_desktop.scopes import READ_SCOPES

DEFAULT_DAYS = 30
MAX_DAYS = 90
_DAY = 86400
UNKNOWN_ENDPOINT = "(no such endpoint)"

# The sample endpoints a key's read scopes open, for seeded history.
_READ_ENDPOINTS = {
    "read:assets": "GET /v1/assets",
    "read:telemetry": "GET /v1/telemetry",
    "read:alerts": "GET /v1/alerts",
}


class EndpointNames:
    """Names requests by their route, ``"GET /v1/api-keys/{key_id}"``, never by the raw
    path: the counters stay one row per route however many ids or typos a key sends."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._routes: list[tuple[re.Pattern[str], str, frozenset[str]]] = [
            (route.path_regex, route.path, frozenset(route.methods or ()))
            for route in routes
            if isinstance(route, Route) and route.path.startswith("/v1/")
        ]

    def name(self, method: str, path: str) -> str:
        for pattern, template, methods in self._routes:
            if method in methods and pattern.match(path):
                return f"{method} {template}"
        return f"{method} {UNKNOWN_ENDPOINT}"


def record_request(
    state: SandboxState, context: RequestContext, status: int, *, now: float
) -> None:
    """Count one answered request when an API key made it."""
    caller = context.caller
    if caller is None or caller.kind != "api_key" or caller.key_id is None:
        return
    state.storage.record_key_use(
        caller.key_id,
        endpoint=context.endpoint,
        error=status >= 400,
        used_at=now,
        address=context.address,
    )


# -- the report ---------------------------------------------------------------------------


def usage_report(storage: Storage, key_id: str, *, days: int, now: float) -> dict[str, Any]:
    day_names = [usage_day(now - offset * _DAY) for offset in range(days - 1, -1, -1)]
    first, last = day_names[0], day_names[-1]
    per_day = storage.key_usage_by_day(key_id, first, last)
    last_used_at, last_used_ip = storage.key_last_use(key_id)
    return {
        "key_id": key_id,
        "days": [
            {"date": day, "requests": requests, "errors": errors}
            for day, (requests, errors) in ((day, per_day.get(day, (0, 0))) for day in day_names)
        ],
        "by_endpoint": storage.key_usage_by_endpoint(key_id, first, last),
        "last_used_at": rfc3339(last_used_at),
        "last_used_ip": last_used_ip,
    }


async def key_usage(request: Request) -> JSONResponse:
    """``GET /v1/api-keys/{key_id}/usage``: the key's owner and admins only (else 404)."""
    state = state_of(request)
    caller = user_caller(request)
    row = visible_key(state, caller, str(request.path_params["key_id"]))
    params = request.query_params
    refuse_unknown_parameters(params, frozenset({"days"}))
    days = bounded_int(
        query_value(params, "days"), field="days", default=DEFAULT_DAYS, low=1, high=MAX_DAYS
    )
    return JSONResponse(usage_report(state.storage, row.id, days=days, now=state.clock.now()))


# -- seeded history -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class History:
    """A key's made-up daily traffic: ``days`` days ending ``end_days_ago`` days ago."""

    days: int
    requests_per_day: int
    error_rate: float = 0.01
    end_days_ago: int = 0
    spike_days_ago: int | None = None
    spike_factor: float = 1.0
    endpoints: tuple[str, ...] = ("GET /v1/assets",)


def history_rows(
    history: History, *, now: float, rng: random.Random
) -> tuple[list[tuple[str, str, int, int]], float | None]:
    """(day, endpoint, requests, errors) counter rows and the last use's time.

    Deterministic for a given ``rng`` seed and ``now``: weekdays busier than weekends,
    ±20 % from day to day, the spike day at ``spike_factor`` x the weekday volume,
    errors near ``error_rate``.
    """
    rows: list[tuple[str, str, int, int]] = []
    last_used_at: float | None = None
    weights = [rng.uniform(0.5, 1.5) for _ in history.endpoints]
    total_weight = sum(weights)
    for days_ago in range(history.end_days_ago + history.days - 1, history.end_days_ago - 1, -1):
        moment = now - days_ago * _DAY
        weekday = _weekday(moment)
        volume = history.requests_per_day * (0.55 if weekday >= 5 else 1.0)
        volume *= rng.uniform(0.8, 1.2)
        if history.spike_days_ago == days_ago:
            # Exactly spike_factor x the weekday volume, whatever the day: the spike is
            # what a demo or a test looks for, so it must not drown in the noise.
            volume = history.requests_per_day * history.spike_factor
        requests = max(0, round(volume))
        if requests == 0:
            continue
        errors = min(requests, round(requests * history.error_rate * rng.uniform(0.7, 1.3)))
        day = usage_day(moment)
        left_requests, left_errors = requests, errors
        for index, (endpoint, weight) in enumerate(zip(history.endpoints, weights, strict=True)):
            last = index == len(history.endpoints) - 1
            share = left_requests if last else round(requests * weight / total_weight)
            share = min(share, left_requests)
            share_errors = left_errors if last else round(errors * weight / total_weight)
            share_errors = min(share_errors, share, left_errors)
            left_requests -= share
            left_errors -= share_errors
            if share:
                rows.append((day, endpoint, share, share_errors))
        # The last use: a working-hours moment of the last day, never in the future.
        day_start = moment - moment % _DAY
        last_used_at = min(now, day_start + rng.uniform(8, 18) * 3600)
    return rows, last_used_at


def _weekday(timestamp: float) -> int:
    """0 = Monday … 6 = Sunday, in UTC (1970-01-01 was a Thursday)."""
    return (int(timestamp // _DAY) + 3) % 7


def seed_history(
    storage: Storage,
    key_id: str,
    history: History,
    *,
    now: float,
    seed: int,
    address: str = "192.0.2.10",
) -> tuple[int, int]:
    """Write ``history`` for ``key_id``; returns (requests, errors) written. The address
    is from TEST-NET-1 (RFC 5737): documentation, never a real caller."""
    rng = random.Random(seed)  # noqa: S311 (made-up traffic, repeatable from its seed)
    rows, last_used_at = history_rows(history, now=now, rng=rng)
    storage.put_key_usage(key_id, rows, last_used_at=last_used_at, last_used_ip=address)
    return sum(row[2] for row in rows), sum(row[3] for row in rows)


def default_endpoints(scopes: Sequence[str]) -> tuple[str, ...]:
    names = [_READ_ENDPOINTS[scope] for scope in scopes if scope in _READ_ENDPOINTS]
    if "admin" in scopes or not names:
        names = [_READ_ENDPOINTS[scope] for scope in READ_SCOPES]
    return tuple(names)


async def seed_usage(request: Request) -> JSONResponse:
    """``POST /_sandbox/seed-usage``: give a key weeks of daily traffic.

    Body: ``key_id`` (required), ``days`` (1-400, default 28), ``end_days_ago`` (0-400,
    the last day with traffic), ``requests_per_day`` (0-1,000,000, default 200),
    ``error_rate`` (0-1, default 0.01), ``spike_days_ago`` (a day inside the history, or
    null), ``spike_factor`` (1-1000, default 8), ``endpoints`` (e.g. ``["GET /v1/assets"]``;
    default: the sample endpoints the key's read scopes open), ``seed`` (default 1).
    """
    state = state_of(request)
    body = json_object(await request.body())
    key_id = body.get("key_id")
    row = state.storage.api_key_by_id(key_id) if isinstance(key_id, str) else None
    if row is None:
        raise validation("key_id", "key_id must name an existing API key")
    days = int(bounded_number(body, "days", 28, minimum=1, maximum=400, integer=True))
    end_days_ago = int(
        bounded_number(body, "end_days_ago", 0, minimum=0, maximum=400, integer=True)
    )
    spike = body.get("spike_days_ago")
    if spike is not None:
        spike = int(
            bounded_number(
                body,
                "spike_days_ago",
                0,
                minimum=end_days_ago,
                maximum=end_days_ago + days - 1,
                integer=True,
            )
        )
    endpoints = body.get("endpoints")
    if endpoints is None:
        endpoint_names = default_endpoints(row.scopes)
    elif (
        isinstance(endpoints, list)
        and 1 <= len(endpoints) <= 20
        and all(isinstance(name, str) and _ENDPOINT_NAME.fullmatch(name) for name in endpoints)
    ):
        endpoint_names = tuple(dict.fromkeys(endpoints))
    else:
        raise validation("endpoints", 'endpoints must be 1 to 20 names such as "GET /v1/assets"')
    history = History(
        days=days,
        requests_per_day=int(
            bounded_number(
                body, "requests_per_day", 200, minimum=0, maximum=1_000_000, integer=True
            )
        ),
        error_rate=bounded_number(body, "error_rate", 0.01, minimum=0, maximum=1),
        end_days_ago=end_days_ago,
        spike_days_ago=spike,
        spike_factor=bounded_number(body, "spike_factor", 8, minimum=1, maximum=1000),
        endpoints=endpoint_names,
    )
    seed = int(bounded_number(body, "seed", 1, minimum=0, maximum=2**31, integer=True))
    requests, errors = seed_history(
        state.storage, row.id, history, now=state.clock.now(), seed=seed
    )
    return JSONResponse(
        {"key_id": row.id, "days": days, "requests": requests, "errors": errors},
        status_code=201,
    )


_ENDPOINT_NAME = re.compile(r"(GET|POST|PUT|PATCH|DELETE) /v1/[A-Za-z0-9_{}/-]{1,100}")
