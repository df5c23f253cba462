"""The API client and ApiKeysService against the real sandbox, with injected faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import (
    InsufficientScope,
    InvalidToken,
    NetworkError,
    RateLimited,
    ValidationFailed,
)
from twinedge_desktop.api.keys import ApiKeysService, new_idempotency_key
from twinedge_desktop.auth.session import Session
from twinedge_desktop.keyformat import is_valid_key
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore


@pytest.fixture
def keys(services: CoreServices, session: Session) -> ApiKeysService:
    return services.api_keys_for(session)


@pytest.mark.parametrize("drops", [1, 2])
async def test_create_with_lost_responses_makes_exactly_one_key_and_keeps_its_secret(
    keys: ApiKeysService, sandbox_controls: Any, drops: int
) -> None:
    # The server creates the key, then the connection drops before the answer arrives.
    sandbox_controls.fault("/v1/api-keys", method="POST", count=drops, drop="after")
    created = await keys.create(
        "ci-deploy",
        ["read:assets"],
        datetime.now(UTC) + timedelta(days=30),
        idempotency_key=new_idempotency_key(),
    )
    assert is_valid_key(created.secret)
    named = [k for k in await keys.list_all() if k.name == "ci-deploy"]
    assert [k.id for k in named] == [created.key.id]  # exactly one key exists
    me = await keys.test_key(created.secret)  # and the secret the caller got is the real one
    assert me.kind == "api_key" and me.scopes == ("read:assets",)


async def test_a_later_retry_with_the_same_idempotency_key_returns_the_same_key(
    keys: ApiKeysService, sandbox_controls: Any
) -> None:
    idem = new_idempotency_key()
    sandbox_controls.fault("/v1/api-keys", method="POST", count=4, drop="after")
    with pytest.raises(NetworkError):
        await keys.create("flaky", ["read:alerts"], None, idempotency_key=idem)
    again = await keys.create("flaky", ["read:alerts"], None, idempotency_key=idem)
    assert [k.id for k in await keys.list_all() if k.name == "flaky"] == [again.key.id]
    assert (await keys.test_key(again.secret)).kind == "api_key"


async def test_list_follows_cursors_over_many_pages(
    keys: ApiKeysService, sandbox_controls: Any
) -> None:
    sandbox_controls.seed_keys(450, "engineer@example.com")
    progress: list[int] = []
    listed = await keys.list_all(on_progress=progress.append)
    assert len(listed) == 450 and len({k.id for k in listed}) == 450
    assert progress == [200, 400, 450]
    assert listed == sorted(listed, key=lambda k: k.created_at, reverse=True)


async def test_find_reads_a_key_afresh_and_stops_paging_once_found(
    keys: ApiKeysService, sandbox_controls: Any
) -> None:
    old = await keys.create("old one", ["read:assets"], None, idempotency_key=new_idempotency_key())
    sandbox_controls.seed_keys(450, "engineer@example.com")  # newer: the old key is on page 3
    assert old.key.last_used_at is None
    await keys.test_key(old.secret)  # an application uses it
    found = await keys.find(old.key.id)
    assert found is not None and found.id == old.key.id
    assert found.last_used_at is not None  # the server's view, not the one from creation
    newest = (await keys.list_all())[0]
    requests: list[Any] = []

    async def count(request: Any) -> None:
        requests.append(request)

    keys._client._http.event_hooks["request"].append(count)
    try:
        assert await keys.find(newest.id) == newest
    finally:
        keys._client._http.event_hooks["request"].remove(count)
    assert len(requests) == 1  # found on the first page: no further pages read
    assert await keys.find("key_does_not_exist") is None


async def test_revoke_and_revoke_again_and_unknown_ids_are_done(keys: ApiKeysService) -> None:
    created = await keys.create(
        "short-lived", ["read:assets"], None, idempotency_key=new_idempotency_key()
    )
    await keys.revoke(created.key.id)
    await keys.revoke(created.key.id)  # already revoked: 204
    await keys.revoke("key_does_not_exist")  # 404: already gone
    (listed,) = [k for k in await keys.list_all() if k.id == created.key.id]
    assert listed.status(datetime.now(UTC)) == "revoked"
    with pytest.raises(InvalidToken):
        await keys.test_key(created.secret)


async def test_errors_from_the_server_are_typed(
    keys: ApiKeysService, services: CoreServices, session: Session
) -> None:
    with pytest.raises(ValidationFailed) as invalid:
        await keys.create("", ["read:assets"], None, idempotency_key=new_idempotency_key())
    assert invalid.value.field == "name"
    created = await keys.create(
        "reader", ["read:assets"], None, idempotency_key=new_idempotency_key()
    )
    key_session = Session(session.profile, services.http, MemoryStore())
    await key_session.use_api_key(created.secret)
    with pytest.raises(InsufficientScope) as forbidden:
        await services.api_keys_for(key_session).list_all()
    assert created.secret not in forbidden.value.user_message


async def test_5xx_and_429_on_reads_are_retried(
    keys: ApiKeysService, sandbox_controls: Any
) -> None:
    sandbox_controls.fault("/v1/api-keys", method="GET", count=2, status=500)
    assert await keys.list_all() == []
    sandbox_controls.fault("/v1/me", method="GET", count=1, status=429)  # Retry-After: 1
    assert (await keys.me()).email == "engineer@example.com"


async def test_rate_limit_beyond_the_wait_bound_is_reported(
    services: CoreServices, session: Session, sandbox_controls: Any, sandbox: Any
) -> None:
    sandbox_controls.rate_limit(2, window_seconds=60)
    client = ApiClient(services.http, f"{sandbox.base_url}/v1", session, max_retry_after=0.5)
    bounded = ApiKeysService(client)
    with pytest.raises(RateLimited) as info:
        for _ in range(5):
            await bounded.me()
    assert info.value.retry_after is not None and info.value.retry_after > 0.5
    assert "slow down" in info.value.user_message


async def test_delays_within_the_timeout_succeed_and_beyond_it_fail_cleanly(
    services: CoreServices, session: Session, sandbox_controls: Any, sandbox: Any
) -> None:
    client = ApiClient(services.http, f"{sandbox.base_url}/v1", session)
    sandbox_controls.fault("/v1/me", method="GET", count=1, delay=0.3)
    assert (await client.request("GET", "/me", timeout=5.0)).status_code == 200
    sandbox_controls.fault("/v1/me", method="GET", count=4, delay=2.0)
    with pytest.raises(NetworkError, match="did not answer in time"):
        await client.request("GET", "/me", timeout=0.2)
