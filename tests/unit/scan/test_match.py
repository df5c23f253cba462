"""Matching found keys to the signed-in person's keys: statuses, what fails a scan, and no
exception for anything the server sent (a damaged entry included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers.gitrepo import make_key
from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.scan.match import MatchStatus, match_findings
from twinedge_desktop.scan.model import KeyFinding

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SECRET = make_key("match")
PREFIX = SECRET[:12]


def finding(prefix: str = PREFIX) -> KeyFinding:
    return KeyFinding(prefix=prefix, occurrences=())


def entry(**fields: Any) -> ApiKey:
    data = {"id": "key_1", "name": "ci", "prefix": PREFIX, "scopes": ["read:assets"]}
    data["created_at"] = "2025-01-01T00:00:00Z"
    data.update(fields)
    return ApiKey.from_json(data)


@pytest.mark.parametrize(
    ("fields", "status", "fails"),
    [
        ({}, MatchStatus.ACTIVE, True),
        ({"revoked_at": "2025-05-01T00:00:00Z"}, MatchStatus.REVOKED, False),
        ({"expires_at": (NOW - timedelta(days=1)).isoformat()}, MatchStatus.EXPIRED, False),
        ({"prefix": "te_somebodyE"}, MatchStatus.NOT_YOURS, True),  # a colleague's key
    ],
)
def test_each_status_and_whether_it_fails_the_scan(
    fields: dict[str, Any], status: MatchStatus, fails: bool
) -> None:
    (matched,) = match_findings([finding()], [entry(**fields)], NOW)
    assert (matched.status, matched.counts) == (status, fails)


def test_not_signed_in_every_key_is_unknown_and_fails() -> None:
    (matched,) = match_findings([finding()], None, NOW)
    assert (matched.status, matched.key, matched.counts) == (MatchStatus.UNKNOWN, None, True)


@pytest.mark.parametrize(
    "damage",
    [
        {"expires_at": "9999-12-31T23:59:59-23:59"},  # beyond year 9999 in UTC
        {"revoked_at": "yesterday"},
        {"expires_at": ["2025"]},
    ],
)
def test_a_damaged_key_with_a_readable_prefix_is_matched_as_unknown(
    damage: dict[str, Any],
) -> None:
    """Its expiry or revocation is unreadable: it may work, so it fails the scan, and it
    is named (it is one of yours), instead of an exception."""
    damaged = entry(**damage)
    assert damaged.damaged
    (matched,) = match_findings([finding()], [damaged], NOW)
    assert (matched.status, matched.key, matched.counts) == (MatchStatus.UNKNOWN, damaged, True)


def test_an_entry_with_nothing_readable_is_left_out_of_matching() -> None:
    unreadable = ApiKey.from_json(["not", "an", "object"])
    other_damage = ApiKey.from_json({"prefix": {"no": 1}, "expires_at": "x"})
    matched = match_findings([finding()], [unreadable, other_damage], NOW)
    assert [(m.status, m.key) for m in matched] == [(MatchStatus.NOT_YOURS, None)]
