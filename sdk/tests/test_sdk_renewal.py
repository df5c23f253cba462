"""Client-credentials tokens: cached, renewed before expiry, renewed once on 401, and one
renewal shared by threads and by tasks. (Against a mock server; the same properties run
against the real sandbox in tests/integration/sdk.)"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from sdk_helpers import MockApi, MutableClock, error_response, make_key

from twinedge import (
    AsyncTwinEdgeClient,
    ClientCredentials,
    InvalidToken,
    TwinEdgeClient,
)


def _client(api: MockApi, clock: MutableClock | None = None) -> TwinEdgeClient:
    credential = ClientCredentials("svc", "service-secret-123", clock=clock)
    return TwinEdgeClient(credential=credential, http_client=api.client())


def test_the_token_is_cached_while_fresh() -> None:
    api = MockApi()
    client = _client(api)
    for _ in range(5):
        client.assets.list()
    assert api.token_requests == 1
    assert set(api.bearers) == {"Bearer access-token-1"}


def test_the_token_is_renewed_in_the_last_minute_before_expiry_not_earlier() -> None:
    api = MockApi()
    clock = MutableClock()
    client = _client(api, clock)
    client.me()
    clock.offset = 3600 - 61  # 61 s left: still fresh
    client.me()
    assert api.token_requests == 1
    clock.offset = 3600 - 59  # 59 s left: renewed before it is used
    client.me()
    assert api.token_requests == 2
    assert api.bearers == ["Bearer access-token-1"] * 2 + ["Bearer access-token-2"]


def test_a_short_lived_token_is_renewed_at_half_its_life() -> None:
    api = MockApi(
        lambda request: (
            MockApi.issue(api, expires_in=30)
            if request.url.path == "/oauth/token"
            else httpx.Response(200, json={})
        )
    )
    clock = MutableClock()
    client = _client(api, clock)
    client.me()
    clock.offset = 14
    client.me()
    assert api.token_requests == 1
    clock.offset = 15.5
    client.me()
    assert api.token_requests == 2


def _reject_first_token(times: int = 1, together: int = 1) -> MockApi:
    """A server on which the first ``times`` tokens are revoked (401 invalid_token).

    With ``together`` > 1, rejections are held back until that many requests have been
    rejected, so that many callers meet the 401 at the same moment.
    """
    rejected_together = threading.Barrier(together, timeout=10)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return api.issue()
        number = int(request.headers["authorization"].rsplit("-", 1)[1])
        if number <= times:
            if together > 1:
                rejected_together.wait()
            return error_response(
                401,
                "invalid_token",
                "The access token was revoked",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return httpx.Response(200, json={"ok": number})

    api = MockApi(handler)
    return api


def test_a_401_invalid_token_is_renewed_once_and_retried() -> None:
    api = _reject_first_token()
    client = _client(api)
    response = client.request("POST", "/v1/assets", json={"name": "Pump"})
    assert response.json() == {"ok": 2}
    assert api.token_requests == 2
    assert api.bearers == ["Bearer access-token-1", "Bearer access-token-2"]
    # The retry carries the same request again, body included.
    assert [r.content for r in api.api_requests] == [b'{"name":"Pump"}'] * 2


def test_a_second_401_is_raised_not_retried_again() -> None:
    api = _reject_first_token(times=2)
    client = _client(api)
    with pytest.raises(InvalidToken) as caught:
        client.me()
    assert caught.value.status == 401 and "revoked" in caught.value.description
    assert len(api.api_requests) == 2 and api.token_requests == 2


def test_an_api_key_401_is_raised_without_a_retry() -> None:
    api = MockApi(lambda request: error_response(401, "invalid_token", "The API key was revoked"))
    client = TwinEdgeClient(api_key=make_key(), http_client=api.client())
    with pytest.raises(InvalidToken, match="revoked"):
        client.me()
    assert len(api.requests) == 1


def test_a_401_about_something_else_is_not_a_reason_to_renew() -> None:
    api = MockApi(
        lambda request: (
            api.issue()
            if request.url.path == "/oauth/token"
            else error_response(401, "invalid_client", "Unknown client ID")
        )
    )
    client = _client(api)
    with pytest.raises(Exception, match="Unknown client ID"):
        client.me()
    assert api.token_requests == 1 and len(api.api_requests) == 1


def _slow_token_server(delay: float) -> MockApi:
    """Token requests take ``delay`` seconds, so concurrent callers really overlap."""
    gate = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            gate.wait(delay)  # a bounded wait standing in for the network
            return api.issue()
        return httpx.Response(200, json={})

    api = MockApi(handler)
    return api


def test_threads_share_one_renewal() -> None:
    api = _slow_token_server(0.2)
    clock = MutableClock()
    client = _client(api, clock)
    threads_count = 16
    barrier = threading.Barrier(threads_count, timeout=10)
    failures: list[BaseException] = []

    def call() -> None:
        try:
            barrier.wait()
            client.me()
        except BaseException as exc:
            failures.append(exc)

    def run_all() -> None:
        threads = [threading.Thread(target=call) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
            assert not thread.is_alive()

    run_all()
    assert failures == [] and api.token_requests == 1
    clock.offset = 3590  # due for everyone at once
    run_all()
    assert failures == [] and api.token_requests == 2
    assert api.bearers.count("Bearer access-token-2") == threads_count


def test_threads_hit_by_the_same_401_share_one_renewal() -> None:
    threads_count = 12
    api = _reject_first_token(together=threads_count)
    client = _client(api)
    client.credential.token(httpx.Client(transport=api.transport))  # token 1, before the race
    barrier = threading.Barrier(threads_count, timeout=10)
    results: list[object] = []

    def call() -> None:
        barrier.wait()
        results.append(client.get_json("/v1/me"))

    threads = [threading.Thread(target=call) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [{"ok": 2}] * threads_count
    assert api.token_requests == 2


def test_a_hundred_tasks_share_one_token_request() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            await asyncio.sleep(0.05)
            return api.issue()
        return httpx.Response(200, json={"sub": "svc"})

    api = MockApi(handler)  # type: ignore[arg-type]
    clock = MutableClock()

    async def run() -> None:
        credential = ClientCredentials("svc", "service-secret-123", clock=clock)
        async with AsyncTwinEdgeClient(
            credential=credential, http_client=api.async_client()
        ) as client:
            results = await asyncio.gather(*(client.me() for _ in range(100)))
            assert results == [{"sub": "svc"}] * 100
            assert api.token_requests == 1
            clock.offset = 3590
            await asyncio.gather(*(client.me() for _ in range(100)))
            assert api.token_requests == 2

    asyncio.run(run())


def test_async_401_is_renewed_once_and_retried() -> None:
    api = _reject_first_token()

    async def run() -> dict[str, object]:
        credential = ClientCredentials("svc", "service-secret-123")
        async with AsyncTwinEdgeClient(
            credential=credential, http_client=api.async_client()
        ) as client:
            return await client.me()

    assert asyncio.run(run()) == {"ok": 2}
    assert api.token_requests == 2
