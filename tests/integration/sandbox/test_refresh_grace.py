"""The refresh grant per RFC 6749 §6 and the refresh-token reuse grace (issue 15, findings 2
and 3): a typo in ``scope`` or a lost token response never costs the sign-in, while a
real replay still revokes the whole family."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.sandbox import SandboxControls
from tests.integration.sandbox.flows import api, assert_error, refresh, user_tokens
from twinedge_desktop.sandbox.embedded import RunningSandbox

GRANT = "read:assets write:assets"


def _works(base_url: str, tokens: dict[str, str]) -> bool:
    return api(base_url, "GET", "/v1/me", tokens["access_token"]).status_code == 200


# -- scope (RFC 6749 §6) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope", ["read:asets", "read:assets write:assets admin", "read:alerts", "read:assets x"]
)
def test_a_bad_scope_is_invalid_scope_and_does_not_spend_the_token(
    sandbox: RunningSandbox, scope: str
) -> None:
    tokens = user_tokens(sandbox.base_url, scope=GRANT)
    assert_error(
        refresh(sandbox.base_url, tokens["refresh_token"], scope=scope), 400, "invalid_scope"
    )
    # The same refresh token still works, and nothing was revoked.
    again = refresh(sandbox.base_url, tokens["refresh_token"])
    assert again.status_code == 200, again.text
    assert again.json()["scope"] == GRANT
    assert _works(sandbox.base_url, tokens)


@pytest.mark.parametrize("scope", [None, "", "   "])
def test_an_omitted_scope_means_the_original_grant(
    sandbox: RunningSandbox, scope: str | None
) -> None:
    tokens = user_tokens(sandbox.base_url, scope=GRANT)
    extra = {} if scope is None else {"scope": scope}
    response = refresh(sandbox.base_url, tokens["refresh_token"], **extra)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == GRANT


def test_any_subset_may_be_asked_for_and_the_grant_stays_whole(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url, scope=GRANT)
    narrowed = refresh(sandbox.base_url, tokens["refresh_token"], scope="read:assets").json()
    assert narrowed["scope"] == "read:assets"
    # The rotated refresh token keeps the original grant (RFC 6749 §6), so the scope that
    # was left out can be asked for again, and omitting scope gives the whole grant back.
    other = refresh(sandbox.base_url, narrowed["refresh_token"], scope="write:assets").json()
    assert other["scope"] == "write:assets"
    whole = refresh(sandbox.base_url, other["refresh_token"]).json()
    assert whole["scope"] == GRANT
    assert api(sandbox.base_url, "GET", "/v1/assets", narrowed["access_token"]).status_code == 200


# -- the reuse grace ----------------------------------------------------------------------------


def test_a_lost_refresh_response_is_retried_with_the_same_token(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    """The client's side of a dropped connection: it never saw the rotated token, so it
    retries with the one it has, and gets a working pair instead of losing the sign-in."""
    tokens = user_tokens(sandbox.base_url)
    sandbox_controls.fault("/oauth/token", drop="after")
    with pytest.raises(httpx.RemoteProtocolError):
        refresh(sandbox.base_url, tokens["refresh_token"])
    retry = refresh(sandbox.base_url, tokens["refresh_token"])
    assert retry.status_code == 200, retry.text
    fresh = retry.json()
    assert _works(sandbox.base_url, fresh)
    # And the chain goes on normally from the retried pair.
    onward = refresh(sandbox.base_url, fresh["refresh_token"])
    assert onward.status_code == 200
    assert _works(sandbox.base_url, onward.json())


def test_the_unused_successor_is_revoked_by_the_retry(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    lost = refresh(sandbox.base_url, tokens["refresh_token"]).json()  # "lost" on the way
    retried = refresh(sandbox.base_url, tokens["refresh_token"]).json()
    assert retried["refresh_token"] != lost["refresh_token"]
    # What the lost response carried is dead, and using it is not a replay of the family.
    assert_error(api(sandbox.base_url, "GET", "/v1/me", lost["access_token"]), 401, "invalid_token")
    assert_error(refresh(sandbox.base_url, lost["refresh_token"]), 400, "invalid_grant")
    assert _works(sandbox.base_url, retried)
    assert refresh(sandbox.base_url, retried["refresh_token"]).status_code == 200


def test_repeated_retries_leave_one_live_refresh_token(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    answers = [refresh(sandbox.base_url, tokens["refresh_token"]).json() for _ in range(3)]
    assert len({answer["refresh_token"] for answer in answers}) == 3
    for stale in answers[:2]:
        assert_error(refresh(sandbox.base_url, stale["refresh_token"]), 400, "invalid_grant")
    assert refresh(sandbox.base_url, answers[2]["refresh_token"]).status_code == 200


def test_the_grace_ends_after_60_seconds_and_then_reuse_revokes_the_family(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    tokens = user_tokens(sandbox.base_url)
    rotated = refresh(sandbox.base_url, tokens["refresh_token"]).json()
    sandbox_controls.shift_clock(59)
    within = refresh(sandbox.base_url, tokens["refresh_token"])
    assert within.status_code == 200, within.text
    sandbox_controls.shift_clock(61)
    assert_error(refresh(sandbox.base_url, tokens["refresh_token"]), 400, "invalid_grant")
    # Beyond the grace, re-use is a replay: the newest tokens die with the family.
    newest = within.json()
    assert_error(refresh(sandbox.base_url, newest["refresh_token"]), 400, "invalid_grant")
    assert_error(
        api(sandbox.base_url, "GET", "/v1/me", newest["access_token"]), 401, "invalid_token"
    )
    assert_error(
        api(sandbox.base_url, "GET", "/v1/me", rotated["access_token"]), 401, "invalid_token"
    )


def test_no_grace_once_the_successor_was_used(sandbox: RunningSandbox) -> None:
    """Someone holding the successor has used it: the old token coming back now is a
    copy in other hands, within the 60 s or not."""
    tokens = user_tokens(sandbox.base_url)
    rotated = refresh(sandbox.base_url, tokens["refresh_token"]).json()
    newest = refresh(sandbox.base_url, rotated["refresh_token"]).json()
    assert_error(refresh(sandbox.base_url, tokens["refresh_token"]), 400, "invalid_grant")
    assert_error(refresh(sandbox.base_url, newest["refresh_token"]), 400, "invalid_grant")
    assert_error(
        api(sandbox.base_url, "GET", "/v1/me", newest["access_token"]), 401, "invalid_token"
    )


def test_no_grace_for_the_token_before_the_previous_one(sandbox: RunningSandbox) -> None:
    """Only the immediately previous token is retried (Auth0's rule): the one before it
    has a used successor."""
    first = user_tokens(sandbox.base_url)
    second = refresh(sandbox.base_url, first["refresh_token"]).json()
    third = refresh(sandbox.base_url, second["refresh_token"]).json()
    assert_error(refresh(sandbox.base_url, first["refresh_token"]), 400, "invalid_grant")
    assert_error(refresh(sandbox.base_url, third["refresh_token"]), 400, "invalid_grant")


def test_a_revoked_sign_in_gets_no_grace(sandbox: RunningSandbox) -> None:
    from tests.integration.sandbox.flows import CLIENT_ID, HTTP

    tokens = user_tokens(sandbox.base_url)
    rotated = refresh(sandbox.base_url, tokens["refresh_token"]).json()
    HTTP.post(
        f"{sandbox.base_url}/oauth/revoke",
        data={"token": rotated["refresh_token"], "client_id": CLIENT_ID},
    )
    assert_error(refresh(sandbox.base_url, tokens["refresh_token"]), 400, "invalid_grant")
