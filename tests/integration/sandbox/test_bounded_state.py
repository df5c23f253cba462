"""What callers can make the sandbox remember is bounded (issue 15, finding 9): pending
sign-ins (one per ``GET /oauth/authorize``, no credential needed) and idempotent replays."""

from __future__ import annotations

from tests.helpers.signin import complete_sign_in
from tests.integration.sandbox.flows import HTTP, api, authorize_url, pkce_pair, user_tokens
from twinedge_desktop.sandbox.embedded import RunningSandbox
from twinedge_desktop.sandbox.state import (
    MAX_IDEMPOTENT_RESPONSES,
    MAX_PENDING_AUTHORIZATIONS,
    BoundedDict,
)


def test_pending_sign_ins_are_capped_oldest_first(sandbox: RunningSandbox) -> None:
    pending = sandbox._state.pending
    assert pending.capacity == MAX_PENDING_AUTHORIZATIONS
    pending.capacity = 5  # the same rule as at 10,000, reached in a few requests
    first_page = HTTP.get(authorize_url(sandbox.base_url, code_challenge=pkce_pair()[1]))
    assert first_page.status_code == 200
    for _ in range(8):
        HTTP.get(authorize_url(sandbox.base_url, code_challenge=pkce_pair()[1]))
    assert len(pending) == 5
    # The oldest sign-in page was forgotten: its form now says so; a new one still works.
    action = first_page.text.split('action="', 1)[1].split('"', 1)[0]
    stale = HTTP.post(f"{sandbox.base_url}{action}", data={"email": "x", "password": "y"})
    assert "Sign-in expired" in stale.text
    url = authorize_url(sandbox.base_url, code_challenge=pkce_pair()[1])
    assert "code=" in complete_sign_in(url)


def test_idempotent_replays_are_capped(sandbox: RunningSandbox) -> None:
    token = user_tokens(sandbox.base_url, scope="read:assets")["access_token"]
    replays = sandbox._state.idempotency
    assert replays.capacity == MAX_IDEMPOTENT_RESPONSES
    replays.capacity = 3
    for index in range(6):
        response = api(
            sandbox.base_url,
            "POST",
            "/v1/api-keys",
            token,
            json={"name": f"k{index}", "scopes": ["read:assets"]},
            headers={"Idempotency-Key": f"key-{index}"},
        )
        assert response.status_code == 201
    assert len(replays) == 3


def test_bounded_dict_drops_expired_entries_from_the_front() -> None:
    table: BoundedDict[str, float] = BoundedDict(100, lambda created: created)
    for index in range(10):
        table[f"k{index}"] = float(index)
    table.drop_older_than(6.0)
    assert list(table) == ["k6", "k7", "k8", "k9"]
    table["k6"] = 100.0  # an update keeps its place and does not evict
    assert len(table) == 4


def test_bounded_dict_evicts_the_oldest_when_full() -> None:
    table: BoundedDict[int, float] = BoundedDict(3, lambda created: created)
    for index in range(5):
        table[index] = 0.0
    assert list(table) == [2, 3, 4]
