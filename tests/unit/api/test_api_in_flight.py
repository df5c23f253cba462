"""ApiClient caps the requests it has on the wire; the rest wait their turn."""

from __future__ import annotations

import asyncio

import httpx

from twinedge_desktop.api.client import MAX_IN_FLIGHT, ApiClient
from twinedge_desktop.api.http import MAX_CONNECTIONS, POOL_LIMITS, build_http_client


async def test_concurrent_requests_beyond_the_cap_wait_and_all_complete() -> None:
    on_the_wire = 0
    peak = 0
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal on_the_wire, peak
        on_the_wire += 1
        peak = max(peak, on_the_wire)
        await asyncio.wait_for(release.wait(), 5)
        on_the_wire -= 1
        return httpx.Response(200, json={"ok": True})

    async with build_http_client(transport=httpx.MockTransport(handler)) as http:
        client = ApiClient(http, "http://127.0.0.1:9/v1", None, max_in_flight=3)
        calls = [asyncio.ensure_future(client.request("GET", "/me")) for _ in range(10)]
        for _ in range(20):  # let every call reach the gate (or the semaphore)
            await asyncio.sleep(0)
        assert peak == 3
        release.set()
        responses = await asyncio.wait_for(asyncio.gather(*calls), 5)
    assert [r.status_code for r in responses] == [200] * 10
    assert peak == 3


def test_the_cap_matches_the_connection_pool() -> None:
    assert MAX_IN_FLIGHT == MAX_CONNECTIONS == POOL_LIMITS.max_connections
