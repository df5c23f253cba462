"""``--demo-data``: demo keys whose history shows every finding of the coming Health page,
added only to a fresh data file."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sandbox.flows import HTTP, api, user_tokens
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.api.keys import ApiKeysService
from twinedge_desktop.health.rules import FindingKind, check_keys
from twinedge_desktop.sandbox.demo import DEMO_KEYS
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread
from twinedge_desktop.sandbox.usage import History, history_rows

K = FindingKind
# What the Health rules (twinedge_desktop/health/rules.py) find for each demo key: the
# finding its DemoKey.shows describes, and nothing else.
EXPECTED = {
    "Plant North historian": {K.OLDER_THAN_ROTATION},
    "Old shift dashboard": {K.UNUSED},
    "CI pipeline": {K.NEVER_EXPIRES},
    "Contractor access (Acme Controls)": {K.EXPIRES_SOON},
    "Telemetry uploader": {K.UNUSED_WRITE_ACCESS},
    "Edge gateway 7": {K.UNUSUAL_ACTIVITY},
    "Reporting service": set(),
}


class _Token:
    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self) -> str:
        return self.token

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return self.token


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[RunningSandbox, str]]:
    with start_in_thread(demo_data=True, test_controls=True) as running:
        token = user_tokens(running.base_url, scope="read:assets")["access_token"]
        yield running, token


def _keys(base_url: str, token: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api(base_url, "GET", "/v1/api-keys", token).json()["data"]
    return data


async def test_each_demo_key_shows_exactly_its_finding(demo: tuple[RunningSandbox, str]) -> None:
    """Through the app's own client (ApiKeysService.usage) and the Health rules."""
    running, token = demo
    now = datetime.fromtimestamp(HTTP.get(f"{running.base_url}/_sandbox/clock").json()["now"], UTC)
    async with build_http_client(trust_env=False) as http:
        service = ApiKeysService(ApiClient(http, f"{running.base_url}/v1", _Token(token)))
        keys = await service.list_all()
        usage = {key.id: await service.usage(key.id) for key in keys}
    found = check_keys(keys, usage, now)
    by_name = {key.name: {finding.kind for finding in found[key.id]} for key in keys}
    assert by_name == EXPECTED
    assert all(not key.damaged and key.created_by == "engineer@example.com" for key in keys)
    uploader = next(f for key in keys for f in found[key.id] if key.name == "Telemetry uploader")
    assert uploader.narrower_scopes == ("read:telemetry",)
    gateway = next(f for key in keys for f in found[key.id] if key.name == "Edge gateway 7")
    # 9x its weekday volume: above 5x the median of its days of use, whatever today's weekday.
    ratio = re.search(r"made 2,700 requests, (\d+\.\d) times its median", gateway.reason)
    assert ratio is not None and float(ratio.group(1)) > 5, gateway.reason


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
