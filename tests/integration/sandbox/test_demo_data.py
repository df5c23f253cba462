"""``--demo-data``: demo keys whose history shows every finding of the coming Health page,
added only to a fresh data file."""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sandbox.flows import HTTP, api, user_tokens
from twinedge_desktop.sandbox.demo import DEMO_KEYS
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread
from twinedge_desktop.sandbox.usage import History, history_rows

DAY = timedelta(days=1)


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def findings(key: dict[str, Any], usage: dict[str, Any], now: datetime) -> set[str]:
    """The checks the Health page will make, written from the seed's advice."""
    found: set[str] = set()
    created, expires, last_used = (
        _parse(key["created_at"]),
        _parse(key["expires_at"]),
        _parse(key["last_used_at"]),
    )
    assert created is not None
    if now - created > 90 * DAY:
        found.add("older than 90 days")
    if last_used is None or now - last_used > 30 * DAY:
        found.add("unused for 30 days")
    if expires is None:
        found.add("never expires")
    elif expires - now <= 14 * DAY:
        found.add("expires within 14 days")
    writes = [name for name in usage["by_endpoint"] if not name.startswith("GET ")]
    if any(scope.startswith("write:") for scope in key["scopes"]) and not writes:
        found.add("write scopes unused")
    counts = [day["requests"] for day in usage["days"]]
    errors = sum(day["errors"] for day in usage["days"])
    median = statistics.median(counts)
    if (median and max(counts) > 5 * median) or (sum(counts) and errors / sum(counts) > 0.2):
        found.add("unusual activity")
    return found


EXPECTED = {
    "Plant North historian": {"older than 90 days"},
    "Old shift dashboard": {"unused for 30 days"},
    "CI pipeline": {"never expires"},
    "Contractor access (Acme Controls)": {"expires within 14 days"},
    "Telemetry uploader": {"write scopes unused"},
    "Edge gateway 7": {"unusual activity"},
    "Reporting service": set(),
}


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[RunningSandbox, str]]:
    with start_in_thread(demo_data=True, test_controls=True) as running:
        token = user_tokens(running.base_url, scope="read:assets")["access_token"]
        yield running, token


def _keys(base_url: str, token: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api(base_url, "GET", "/v1/api-keys", token).json()["data"]
    return data


def test_each_demo_key_shows_exactly_its_finding(demo: tuple[RunningSandbox, str]) -> None:
    running, token = demo
    now = datetime.fromtimestamp(HTTP.get(f"{running.base_url}/_sandbox/clock").json()["now"], UTC)
    keys = {key["name"]: key for key in _keys(running.base_url, token)}
    assert set(keys) == set(EXPECTED)
    for name, expected in EXPECTED.items():
        key = keys[name]
        usage = api(running.base_url, "GET", f"/v1/api-keys/{key['id']}/usage", token).json()
        assert findings(key, usage, now) == expected, name
        assert key["created_by"] == "engineer@example.com"
        assert key["revoked_at"] is None


def test_demo_keys_have_real_looking_history(demo: tuple[RunningSandbox, str]) -> None:
    running, token = demo
    for key in _keys(running.base_url, token):
        usage = api(
            running.base_url, "GET", f"/v1/api-keys/{key['id']}/usage", token, params={"days": 90}
        ).json()
        used_days = [day for day in usage["days"] if day["requests"]]
        assert len(used_days) >= 20, key["name"]
        assert usage["last_used_ip"] is not None
        assert key["last_used_at"] == usage["last_used_at"]
        assert usage["by_endpoint"] and all(
            name.startswith("GET /v1/") for name in usage["by_endpoint"]
        )


def test_the_other_users_have_no_demo_keys(demo: tuple[RunningSandbox, str]) -> None:
    running, _ = demo
    viewer = user_tokens(running.base_url, email="viewer@example.com", scope="read:assets")
    assert _keys(running.base_url, viewer["access_token"]) == []


def test_demo_data_goes_only_into_a_fresh_file(tmp_path: Path) -> None:
    data = str(tmp_path / "person.sqlite3")
    with start_in_thread(data_path=data, demo_data=True) as first:
        assert first.demo_data_added
        token = user_tokens(first.base_url, scope="read:assets")["access_token"]
        api(
            first.base_url,
            "POST",
            "/v1/api-keys",
            token,
            json={"name": "mine", "scopes": ["read:assets"]},
        )
        api(first.base_url, "DELETE", f"/v1/api-keys/{DEMO_KEYS[0].key_id}", token)
        port = int(first.base_url.rsplit(":", 1)[1])
    with start_in_thread(data_path=data, port=port, demo_data=True) as again:
        assert not again.demo_data_added
        keys = _keys(again.base_url, token)
        assert len(keys) == len(DEMO_KEYS) + 1  # nothing added twice, the person's key kept
        revoked = next(key for key in keys if key["id"] == DEMO_KEYS[0].key_id)
        assert revoked["revoked_at"] is not None  # nothing restored either


def test_a_file_started_without_demo_data_never_gets_it(tmp_path: Path) -> None:
    data = str(tmp_path / "plain.sqlite3")
    with start_in_thread(data_path=data) as first:
        port = int(first.base_url.rsplit(":", 1)[1])
    with start_in_thread(data_path=data, port=port, demo_data=True) as again:
        assert not again.demo_data_added
        token = user_tokens(again.base_url, scope="read:assets")["access_token"]
        assert _keys(again.base_url, token) == []


def test_without_the_flag_there_is_no_demo_data() -> None:
    with start_in_thread() as plain:
        token = user_tokens(plain.base_url, scope="read:assets")["access_token"]
        assert _keys(plain.base_url, token) == []


def test_history_is_deterministic_from_its_seed() -> None:
    history = History(days=40, requests_per_day=300, spike_days_ago=3, spike_factor=9.0)
    now = datetime(2030, 5, 17, 12, tzinfo=UTC).timestamp()
    first = history_rows(history, now=now, rng=random.Random(7))
    assert history_rows(history, now=now, rng=random.Random(7)) == first
    assert history_rows(history, now=now, rng=random.Random(8)) != first
