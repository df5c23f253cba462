"""Key usage (DESIGN.md "Key usage"): every request made with a key is counted per UTC day
and endpoint, errors included; the report is the owner's and the admins'."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers.sandbox import SandboxControls
from tests.integration.sandbox.flows import (
    ADMIN,
    HTTP,
    VIEWER,
    api,
    assert_error,
    service_token,
    user_tokens,
)
from twinedge_desktop.sandbox.embedded import RunningSandbox

ENGINEER_SCOPES = "read:assets write:assets read:telemetry"


@pytest.fixture
def engineer(sandbox: RunningSandbox) -> str:
    token: str = user_tokens(sandbox.base_url, scope=ENGINEER_SCOPES)["access_token"]
    return token


def _new_key(base_url: str, token: str, scopes: list[str] | None = None) -> dict[str, Any]:
    response = api(
        base_url,
        "POST",
        "/v1/api-keys",
        token,
        json={"name": "usage", "scopes": scopes or ["read:assets"]},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _usage(base_url: str, token: str, key_id: str, **params: Any) -> dict[str, Any]:
    response = api(base_url, "GET", f"/v1/api-keys/{key_id}/usage", token, params=params)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _sandbox_today(sandbox: RunningSandbox) -> date:
    now = HTTP.get(f"{sandbox.base_url}/_sandbox/clock").json()["now"]
    return datetime.fromtimestamp(now, UTC).date()


def test_every_request_with_the_key_counts_errors_included(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    key = _new_key(sandbox.base_url, engineer)
    for _ in range(3):
        assert api(sandbox.base_url, "GET", "/v1/assets", key["key"]).status_code == 200
    assert api(sandbox.base_url, "GET", "/v1/telemetry", key["key"]).status_code == 403
    assert api(sandbox.base_url, "GET", "/v1/api-keys", key["key"]).status_code == 403
    assert api(sandbox.base_url, "GET", "/v1/nothing", key["key"]).status_code == 404
    sandbox_controls.fault("/v1/alerts", status=503)
    assert api(sandbox.base_url, "GET", "/v1/alerts", key["key"]).status_code == 503

    report = _usage(sandbox.base_url, engineer, key["id"])
    assert report["key_id"] == key["id"]
    today = report["days"][-1]
    assert today == {"date": _sandbox_today(sandbox).isoformat(), "requests": 7, "errors": 4}
    assert report["by_endpoint"] == {
        "GET /v1/assets": 3,
        "GET /v1/alerts": 1,
        "GET /v1/api-keys": 1,
        "GET /v1/telemetry": 1,
        "GET (no such endpoint)": 1,
    }
    assert report["last_used_ip"] == "127.0.0.1"
    listed = api(sandbox.base_url, "GET", f"/v1/api-keys/{key['id']}", engineer).json()
    assert listed["last_used_at"] == report["last_used_at"] is not None


def test_a_429_for_the_key_counts_as_an_error(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    key = _new_key(sandbox.base_url, engineer)
    sandbox_controls.rate_limit(2, window_seconds=60)
    statuses = [
        api(sandbox.base_url, "GET", "/v1/assets", key["key"]).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 429, 429]
    sandbox_controls.rate_limit(100, window_seconds=60)
    today = _usage(sandbox.base_url, engineer, key["id"])["days"][-1]
    assert (today["requests"], today["errors"]) == (4, 2)


def test_what_is_not_the_key_is_not_counted(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    key = _new_key(sandbox.base_url, engineer)
    other = _new_key(sandbox.base_url, engineer)
    api(sandbox.base_url, "GET", "/v1/assets", other["key"])
    api(sandbox.base_url, "GET", "/v1/assets", engineer)  # the user's token, not a key
    service = service_token(sandbox.base_url, sandbox.service_client_secret).json()
    api(sandbox.base_url, "GET", "/v1/assets", service["access_token"])
    api(sandbox.base_url, "DELETE", f"/v1/api-keys/{key['id']}", engineer)
    revoked = api(sandbox.base_url, "GET", "/v1/assets", key["key"])  # not authenticated
    assert revoked.status_code == 401
    report = _usage(sandbox.base_url, engineer, key["id"])
    assert sum(day["requests"] for day in report["days"]) == 0
    assert report["by_endpoint"] == {} and report["last_used_at"] is None
    assert _usage(sandbox.base_url, engineer, other["id"])["days"][-1]["requests"] == 1


def test_days_are_utc_dates_by_the_sandbox_clock_oldest_first_with_zeros(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    key = _new_key(sandbox.base_url, engineer)
    api(sandbox.base_url, "GET", "/v1/assets", key["key"])
    sandbox_controls.shift_clock(2 * 86400 + 60)  # two days later (the token has expired)
    later = user_tokens(sandbox.base_url, scope=ENGINEER_SCOPES)["access_token"]
    api(sandbox.base_url, "GET", "/v1/assets", key["key"])
    api(sandbox.base_url, "GET", "/v1/assets", key["key"])

    today = _sandbox_today(sandbox)
    report = _usage(sandbox.base_url, later, key["id"])
    dates = [date.fromisoformat(day["date"]) for day in report["days"]]
    assert len(dates) == 30
    assert dates == [today - timedelta(days=offset) for offset in range(29, -1, -1)]
    counts = [day["requests"] for day in report["days"]]
    assert counts[-1] == 2
    assert counts[-3] == 1 or counts[-4] == 1  # two days back (a day more across midnight)
    assert sum(counts) == 3
    assert all(day["errors"] == 0 for day in report["days"])

    assert [day["date"] for day in _usage(sandbox.base_url, later, key["id"], days=1)["days"]] == [
        today.isoformat()
    ]
    assert len(_usage(sandbox.base_url, later, key["id"], days=90)["days"]) == 90


@pytest.mark.parametrize(
    "query",
    [
        "days=0",
        "days=91",
        "days=%D9%A3",  # "٣"
        "days=%205",
        "days=%2B5",
        "days=5.0",
        "days=",
        "days=5&days=6",
    ],
)
def test_bad_days_are_422(sandbox: RunningSandbox, engineer: str, query: str) -> None:
    key = _new_key(sandbox.base_url, engineer)
    response = HTTP.get(
        f"{sandbox.base_url}/v1/api-keys/{key['id']}/usage?{query}",
        headers={"Authorization": f"Bearer {engineer}"},
    )
    assert assert_error(response, 422, "invalid_request")["field"] == "days"


def test_unknown_parameters_are_422(sandbox: RunningSandbox, engineer: str) -> None:
    key = _new_key(sandbox.base_url, engineer)
    response = api(
        sandbox.base_url, "GET", f"/v1/api-keys/{key['id']}/usage", engineer, params={"from": "x"}
    )
    assert assert_error(response, 422, "invalid_request")["field"] == "from"


def test_the_owner_and_admins_see_it_others_get_404(sandbox: RunningSandbox, engineer: str) -> None:
    key = _new_key(sandbox.base_url, engineer)
    path = f"/v1/api-keys/{key['id']}/usage"
    admin = user_tokens(sandbox.base_url, email=ADMIN, scope="admin")["access_token"]
    assert api(sandbox.base_url, "GET", path, admin).status_code == 200
    viewer = user_tokens(sandbox.base_url, email=VIEWER, scope="read:assets")["access_token"]
    assert_error(api(sandbox.base_url, "GET", path, viewer), 404, "not_found")
    assert_error(
        api(sandbox.base_url, "GET", "/v1/api-keys/key_nope/usage", engineer), 404, "not_found"
    )
    # Key management is for user tokens: the key itself (or a client) gets 403.
    assert_error(api(sandbox.base_url, "GET", path, key["key"]), 403, "insufficient_scope")
    assert_error(HTTP.get(f"{sandbox.base_url}{path}"), 401, "invalid_token")


def test_a_revoked_keys_history_stays_readable(sandbox: RunningSandbox, engineer: str) -> None:
    key = _new_key(sandbox.base_url, engineer)
    api(sandbox.base_url, "GET", "/v1/assets", key["key"])
    api(sandbox.base_url, "DELETE", f"/v1/api-keys/{key['id']}", engineer)
    assert _usage(sandbox.base_url, engineer, key["id"])["days"][-1]["requests"] == 1


# -- seeded history ------------------------------------------------------------------------


def test_seeded_history_has_the_shape_asked_for(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    key = _new_key(sandbox.base_url, engineer, ["read:assets", "read:telemetry"])
    written = sandbox_controls.seed_usage(
        key["id"], days=28, requests_per_day=500, error_rate=0.05, spike_days_ago=6, seed=3
    )
    report = _usage(sandbox.base_url, engineer, key["id"])
    days = report["days"]
    counts = [day["requests"] for day in days]
    assert counts[:2] == [0, 0]  # 30 days asked, 28 seeded
    assert all(count > 0 for count in counts[2:])
    assert sum(counts) == written["requests"]
    spike = counts[-7]
    assert spike == max(counts) and spike > 5 * statistics.median(counts[2:])
    errors = sum(day["errors"] for day in days)
    assert 0.03 < errors / sum(counts) < 0.07
    assert set(report["by_endpoint"]) == {"GET /v1/assets", "GET /v1/telemetry"}
    assert report["last_used_ip"] == "192.0.2.10"
    # Deterministic: the same seed gives the same traffic.
    again = sandbox_controls.seed_usage(
        key["id"], days=28, requests_per_day=500, error_rate=0.05, spike_days_ago=6, seed=3
    )
    assert again == written


def test_seeded_history_can_end_in_the_past(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    key = _new_key(sandbox.base_url, engineer)
    sandbox_controls.seed_usage(key["id"], days=20, end_days_ago=35, endpoints=["GET /v1/assets"])
    report = _usage(sandbox.base_url, engineer, key["id"], days=90)
    used = [day["date"] for day in report["days"] if day["requests"]]
    assert len(used) <= 20 and used[-1] == report["days"][-36]["date"]
    last_used = datetime.fromisoformat(report["last_used_at"])
    assert last_used.date().isoformat() == used[-1]


@pytest.mark.parametrize(
    "body",
    [
        {"days": 0},
        {"days": 401},
        {"error_rate": 1.5},
        {"spike_days_ago": 40, "days": 10},
        {"endpoints": ["rm -rf /"]},
        {"endpoints": []},
        {"requests_per_day": -1},
    ],
)
def test_seed_usage_validates(sandbox: RunningSandbox, engineer: str, body: dict[str, Any]) -> None:
    key = _new_key(sandbox.base_url, engineer)
    response = HTTP.post(
        f"{sandbox.base_url}/_sandbox/seed-usage", json={"key_id": key["id"], **body}
    )
    assert_error(response, 422, "invalid_request")
    assert response.json()["field"] == next(iter(body))


def test_counting_survives_a_long_run_of_requests(sandbox: RunningSandbox, engineer: str) -> None:
    """One counter row per endpoint and day, whatever the paths: a hundred different ids
    make one ``GET /v1/api-keys/{key_id}`` row, not a hundred."""
    key = _new_key(sandbox.base_url, engineer)
    with httpx.Client(timeout=10) as client:
        for index in range(100):
            client.get(
                f"{sandbox.base_url}/v1/api-keys/key_{index}",
                headers={"Authorization": f"Bearer {key['key']}"},
            )
    report = _usage(sandbox.base_url, engineer, key["id"])
    assert report["by_endpoint"] == {"GET /v1/api-keys/{key_id}": 100}
    assert report["days"][-1] == {**report["days"][-1], "requests": 100, "errors": 100}
