"""The twinedge SDK against the real sandbox over loopback.

Requests are counted where they leave the SDK (an httpx event hook on the client it
is given); the sandbox's test controls inject 401s and 429s, revoke tokens, set the
rate limit and shift its clock, while the SDK's clock is shifted with it (an injected
clock: a client trusts its cached token until its own clock says it is due).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twinedge import (
    ApiKeyCredential,
    AsyncTwinEdgeClient,
    ClientCredentials,
    InsufficientScope,
    InvalidClient,
    InvalidToken,
    RateLimited,
    TwinEdgeClient,
    TwinEdgeError,
)

from tests.helpers.sandbox import SandboxControls
from tests.integration.sdk.support import (
    TIMEOUT,
    Recorder,
    ShiftedClock,
    create_api_key,
    revoke_api_key,
)
from twinedge_desktop.sandbox.embedded import RunningSandbox


@pytest.fixture(autouse=True)
def no_sdk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's variables come from each test, never from the developer's shell."""
    for name in (
        "TWINEDGE_API_KEY",
        "TWINEDGE_CLIENT_ID",
        "TWINEDGE_CLIENT_SECRET",
        "TWINEDGE_API_URL",
        "TWINEDGE_ISSUER",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def service_client(
    sandbox: RunningSandbox,
    recorder: Recorder,
    *,
    clock: ShiftedClock | None = None,
    scopes: list[str] | None = None,
    **kwargs: Any,
) -> TwinEdgeClient:
    credential = ClientCredentials(
        sandbox.service_client_id,
        sandbox.service_client_secret,
        scopes=scopes,
        issuer=sandbox.issuer,
        clock=clock,
    )
    return TwinEdgeClient(
        credential=credential,
        base_url=sandbox.base_url,
        http_client=recorder.client(),
        **kwargs,
    )


# -- the seed's two forms and the chain ------------------------------------------------------


def test_an_api_key_made_through_the_api_reads_what_its_scopes_allow(
    sandbox: RunningSandbox, recorder: Recorder
) -> None:
    issued = create_api_key(sandbox, ["read:assets"])
    with TwinEdgeClient(
        api_key=issued.secret, base_url=sandbox.base_url, http_client=recorder.client()
    ) as client:
        me = client.me()
        assert (me["kind"], me["key_id"], me["org"]) == ("api_key", issued.id, "org-456")
        assets = client.assets.list()
        assert [asset["id"] for asset in assets["data"]] == ["asset-001", "asset-002", "asset-003"]
        response = client.request("GET", "/v1/assets", params={"limit": 1})
        assert isinstance(response, httpx.Response) and response.status_code == 200
        with pytest.raises(InsufficientScope) as denied:
            client.alerts.list()
        assert (denied.value.status, denied.value.scope) == (403, "read:alerts")
        assert "read:alerts" in denied.value.description

        revoke_api_key(sandbox, issued)
        before = len(recorder.sent)
        with pytest.raises(InvalidToken) as revoked:
            client.me()
        assert "revoked" in revoked.value.description and revoked.value.status == 401
        assert len(recorder.sent) == before + 1  # an API key's 401 is raised, not retried
    assert recorder.token_requests == 0


def test_client_credentials_with_and_without_scopes(
    sandbox: RunningSandbox, recorder: Recorder
) -> None:
    full = service_client(sandbox, recorder)
    me = full.me()
    assert (me["kind"], me["client_id"]) == ("client", "twinedge-service")
    assert full.telemetry.list()["data"] and full.alerts.list()["data"]
    narrow = service_client(sandbox, recorder, scopes=["read:telemetry"])
    assert narrow.me()["scopes"] == ["read:telemetry"]
    with pytest.raises(InsufficientScope, match="read:assets"):
        narrow.assets.list()
    assert recorder.token_requests == 2  # one per client, cached for every request after


def test_the_chain_reads_the_environment_and_a_key_comes_first(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWINEDGE_API_URL", sandbox.base_url + "/v1")
    monkeypatch.setenv("TWINEDGE_ISSUER", sandbox.issuer)
    monkeypatch.setenv("TWINEDGE_CLIENT_ID", sandbox.service_client_id)
    monkeypatch.setenv("TWINEDGE_CLIENT_SECRET", sandbox.service_client_secret)
    with TwinEdgeClient() as by_client:
        assert isinstance(by_client.credential, ClientCredentials)
        assert by_client.me()["kind"] == "client"
    monkeypatch.setenv("TWINEDGE_API_KEY", create_api_key(sandbox, ["read:assets"]).secret)
    with TwinEdgeClient() as by_key:
        assert isinstance(by_key.credential, ApiKeyCredential)
        assert by_key.credential.source == "TWINEDGE_API_KEY"
        assert by_key.me()["kind"] == "api_key"


# -- the seed's errors -------------------------------------------------------------------------


def test_each_seed_error_the_sandbox_can_produce_arrives_typed(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    unknown_key = "te_Ay9YhXZe7vvROT9ONAI5m1oKxYwHr4iT3ibXJY"  # well-formed, never issued
    with pytest.raises(InvalidToken, match="not known"):
        TwinEdgeClient(api_key=unknown_key, base_url=sandbox.base_url).me()

    wrong_secret = TwinEdgeClient(
        client_id=sandbox.service_client_id,
        client_secret="not-the-secret",
        base_url=sandbox.base_url,
        issuer=sandbox.issuer,
    )
    with pytest.raises(InvalidClient) as bad_client:
        wrong_secret.me()
    assert (bad_client.value.error, bad_client.value.status) == ("invalid_client", 401)

    with pytest.raises(TwinEdgeError) as bad_scope:
        service_client(sandbox, recorder, scopes=["read:everything"]).me()
    assert (bad_scope.value.error, bad_scope.value.status) == ("invalid_scope", 400)

    key = create_api_key(sandbox, ["read:assets"]).secret
    sandbox_controls.rate_limit(1, window_seconds=3600)
    limited = TwinEdgeClient(api_key=key, base_url=sandbox.base_url, http_client=recorder.client())
    limited.me()
    sent = len(recorder.sent)
    with pytest.raises(RateLimited) as too_many:
        limited.me()
    # Retry-After (up to an hour) is beyond the 30 s budget: raised at once, no wait.
    assert too_many.value.status == 429 and too_many.value.retry_after is not None
    assert too_many.value.retry_after > 30
    assert len(recorder.sent) == sent + 1


# -- 401: renewed once and retried ---------------------------------------------------------


def test_a_revoked_access_token_is_renewed_once_and_the_request_retried(
    sandbox: RunningSandbox, recorder: Recorder
) -> None:
    client = service_client(sandbox, recorder)
    client.me()
    first = client.credential.token(recorder.client()).value
    revoked = httpx.post(
        f"{sandbox.issuer}/oauth/revoke",
        data={
            "token": first,
            "client_id": sandbox.service_client_id,
            "client_secret": sandbox.service_client_secret,
        },
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200
    assert client.me()["kind"] == "client"
    assert recorder.statuses == [
        ("/oauth/token", 200),
        ("/v1/me", 200),
        ("/v1/me", 401),
        ("/oauth/token", 200),
        ("/v1/me", 200),
    ]
    bearers = [bearer for _, path, bearer, _ in recorder.sent if path == "/v1/me"]
    assert bearers[0] == bearers[1] == first and bearers[2] != first


def test_an_injected_401_is_retried_once_and_a_second_one_is_raised(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    client = service_client(sandbox, recorder)
    sandbox_controls.fault("/v1/assets", status=401, count=1)
    assert client.assets.list()["data"]
    assert (recorder.count("/v1/assets"), recorder.token_requests) == (2, 2)

    sandbox_controls.fault("/v1/assets", status=401, count=2)
    with pytest.raises(InvalidToken):
        client.assets.list()
    assert (recorder.count("/v1/assets"), recorder.token_requests) == (4, 3)


# -- 429: Retry-After honoured, bounded -------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    client = service_client(sandbox, recorder)
    client.me()
    sandbox_controls.fault("/v1/alerts", status=429, count=2)  # each with Retry-After: 1
    assert client.alerts.list()["data"]
    tries = recorder.times("/v1/alerts")
    assert len(tries) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert all(gap >= 1.0 for gap in gaps), gaps  # never earlier than the server asked


def test_429_retries_stop_at_the_attempt_limit(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    client = service_client(sandbox, recorder, rate_limit_attempts=2)
    client.me()
    sandbox_controls.fault("/v1/alerts", status=429, count=5)
    with pytest.raises(RateLimited) as caught:
        client.alerts.list()
    assert caught.value.retry_after == 1.0
    assert recorder.count("/v1/alerts") == 2
    sandbox_controls.clear_faults()


def test_429_retries_stop_at_the_wait_limit(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    client = service_client(sandbox, recorder, rate_limit_attempts=10, rate_limit_max_wait=1.5)
    client.me()
    sandbox_controls.fault("/v1/alerts", status=429, count=5)
    with pytest.raises(RateLimited):
        client.alerts.list()
    assert recorder.count("/v1/alerts") == 2  # 1 s waited; a second 1 s would pass 1.5 s
    sandbox_controls.clear_faults()


def _async_service_client(
    sandbox: RunningSandbox, recorder: Recorder, **kwargs: Any
) -> AsyncTwinEdgeClient:
    credential = ClientCredentials(
        sandbox.service_client_id, sandbox.service_client_secret, issuer=sandbox.issuer
    )
    return AsyncTwinEdgeClient(
        credential=credential,
        base_url=sandbox.base_url,
        http_client=recorder.async_client(),
        **kwargs,
    )


def test_the_async_client_waits_for_retry_after_then_succeeds(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    """AsyncTwinEdgeClient has its own request loop: its 429 handling is tested on its own."""

    async def run() -> None:
        async with _async_service_client(sandbox, recorder) as client:
            await client.me()
            sandbox_controls.fault("/v1/alerts", status=429, count=2)  # Retry-After: 1
            assert (await client.alerts.list())["data"]

    asyncio.run(asyncio.wait_for(run(), 60))
    tries = recorder.times("/v1/alerts")
    assert len(tries) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert all(gap >= 1.0 for gap in gaps), gaps


def test_the_async_client_stops_429_retries_at_the_attempt_limit(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    async def run() -> None:
        async with _async_service_client(sandbox, recorder, rate_limit_attempts=2) as client:
            await client.me()
            sandbox_controls.fault("/v1/alerts", status=429, count=5)
            with pytest.raises(RateLimited) as caught:
                await client.alerts.list()
            assert caught.value.retry_after == 1.0

    asyncio.run(asyncio.wait_for(run(), 60))
    assert recorder.count("/v1/alerts") == 2
    sandbox_controls.clear_faults()


# -- renewal across time ------------------------------------------------------------------------


def test_the_token_is_renewed_before_use_when_both_clocks_pass_its_expiry(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    clock = ShiftedClock(sandbox_controls)
    client = service_client(sandbox, recorder, clock=clock)
    client.me()
    clock.shift(3550)  # 50 s before expiry: due (renewed in the last minute)
    client.me()
    clock.shift(3550 + 3700)  # past the second token's expiry
    client.me()
    assert recorder.token_requests == 3
    assert all(status == 200 for _, status in recorder.statuses), recorder.statuses


def test_with_only_the_server_clock_moved_the_expired_token_is_caught_by_the_401(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    """Why the SDK's clock must move too: a client that thinks its token is fresh sends
    it, the server says it expired, and the 401 path renews it."""
    clock = ShiftedClock(sandbox_controls)
    client = service_client(sandbox, recorder, clock=clock)
    client.me()
    clock.shift(3700, sdk_too=False)
    assert client.me()["kind"] == "client"
    assert ("/v1/me", 401) in recorder.statuses and recorder.token_requests == 2


def test_threads_share_one_renewal(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    clock = ShiftedClock(sandbox_controls)
    client = service_client(sandbox, recorder, clock=clock)
    threads_count = 16

    def all_at_once() -> None:
        barrier = threading.Barrier(threads_count, timeout=TIMEOUT)
        failures: list[BaseException] = []

        def call() -> None:
            try:
                barrier.wait()
                client.me()
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=call) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 2)
            assert not thread.is_alive()
        assert failures == []

    all_at_once()
    assert recorder.token_requests == 1
    clock.shift(3700)
    all_at_once()
    assert recorder.token_requests == 2
    assert recorder.count("/v1/me") == 2 * threads_count
    assert all(status == 200 for _, status in recorder.statuses)


def test_a_hundred_tasks_share_one_token_request(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, recorder: Recorder
) -> None:
    clock = ShiftedClock(sandbox_controls)

    async def run() -> None:
        credential = ClientCredentials(
            sandbox.service_client_id,
            sandbox.service_client_secret,
            issuer=sandbox.issuer,
            clock=clock,
        )
        async with AsyncTwinEdgeClient(
            credential=credential, base_url=sandbox.base_url, http_client=recorder.async_client()
        ) as client:
            first = await asyncio.gather(*(client.me() for _ in range(100)))
            assert {me["kind"] for me in first} == {"client"}
            assert recorder.token_requests == 1
            await asyncio.to_thread(clock.shift, 3700)
            await asyncio.gather(*(client.assets.list() for _ in range(100)))
            assert recorder.token_requests == 2

    asyncio.run(asyncio.wait_for(run(), 60))
    assert all(status == 200 for _, status in recorder.statuses)


# -- no secret anywhere ----------------------------------------------------------------------


def test_no_secret_in_reprs_logs_or_errors_of_a_real_session(
    sandbox: RunningSandbox,
    sandbox_controls: SandboxControls,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # httpx's request lines are asserted below: its level too (restored by caplog), not
    # whatever an earlier test's configure_logging left it at.
    caplog.set_level(logging.DEBUG, logger="httpx")
    issued = create_api_key(sandbox, ["read:assets"])
    key = issued.secret
    texts: list[str] = []

    def note(exc: BaseException) -> None:
        texts.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])

    by_key = TwinEdgeClient(api_key=key, base_url=sandbox.base_url, http_client=recorder.client())
    by_client = service_client(sandbox, recorder)
    for client in (by_key, by_client):
        client.me()
        texts += [repr(client), repr(client.credential)]
    sandbox_controls.fault("/v1/me", status=401, count=1)
    by_client.me()  # renewed after the 401
    sandbox_controls.fault("/v1/me", status=429, count=1)
    by_client.me()  # retried after Retry-After
    for failing in (
        lambda: by_key.alerts.list(),
        lambda: TwinEdgeClient(
            client_id=sandbox.service_client_id,
            client_secret=sandbox.service_client_secret + "x",
            base_url=sandbox.base_url,
            issuer=sandbox.issuer,
        ).me(),
    ):
        with pytest.raises(TwinEdgeError) as caught:
            failing()
        note(caught.value)
    revoke_api_key(sandbox, issued)
    with pytest.raises(InvalidToken) as revoked:
        by_key.me()
    note(revoked.value)

    access_tokens = {bearer for _, _, bearer, _ in recorder.sent if bearer.startswith("eyJ")}
    assert len(access_tokens) == 2
    everything = "\n".join(texts + [record.getMessage() for record in caplog.records])
    assert "HTTP Request" in everything  # httpx's own lines were captured too
    for secret in (key, sandbox.service_client_secret, *access_tokens):
        assert secret not in everything


@pytest.fixture(autouse=True)
def _clear_faults(sandbox_controls: SandboxControls) -> Iterator[None]:
    yield
    sandbox_controls.clear_faults()
