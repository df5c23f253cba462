"""What the Health page shows, worked out from keys and usage (no Qt): rows, counts,
reminders, settled dismissals, and which keys' usage is worth a request."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import timedelta

from tests.helpers.keys import NOW, make_key, usage_report
from twinedge_desktop.api.models import DayUsage
from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.ui.health.report import (
    build_report,
    finding_token,
    keys_needing_usage,
    pack_usage,
    parse_token,
    summary_text,
    unpack_usage,
)

K = FindingKind


def demo_keys() -> dict[str, object]:
    """One key per kind of finding (and a healthy one), as the sandbox's demo data has."""
    used = {"last_used_days_ago": 1}
    return {
        "old": make_key("historian", created_days_ago=130, expires_in_days=200, **used),
        "idle": make_key("dashboard", created_days_ago=80, last_used_days_ago=42),
        "forever": make_key("ci", created_days_ago=45, expires_in_days=None, **used),
        "soon": make_key("contractor", created_days_ago=60, expires_in_days=5, **used),
        "writer": make_key(
            "uploader", scopes=("read:telemetry", "write:telemetry"), created_days_ago=50, **used
        ),
        "spiky": make_key("gateway", created_days_ago=70, **used),
        "healthy": make_key("reporting", created_days_ago=20, **used),
        "revoked": make_key("gone", created_days_ago=400, expires_in_days=None, revoked=True),
    }


def demo_usage(keys: dict[str, object]) -> dict[str, object]:
    ids = {name: key.id for name, key in keys.items()}  # type: ignore[attr-defined]
    return {
        ids["spiky"]: usage_report(ids["spiky"], [300] * 26 + [2700, 300, 300, 300]),
        ids["writer"]: usage_report(
            ids["writer"], [150] * 30, endpoints={"GET /v1/telemetry": 4500}
        ),
        ids["healthy"]: usage_report(ids["healthy"], [0] * 10 + [240] * 20),
    }


def test_each_kind_becomes_a_row_the_urgent_first() -> None:
    keys = demo_keys()
    report = build_report(list(keys.values()), demo_usage(keys), NOW)  # type: ignore[arg-type]
    assert [(row.key.name, row.finding.kind) for row in report.rows] == [
        ("gateway", K.UNUSUAL_ACTIVITY),
        ("contractor", K.EXPIRES_SOON),
        ("dashboard", K.UNUSED),
        ("historian", K.OLDER_THAN_ROTATION),
        ("uploader", K.UNUSED_WRITE_ACCESS),
        ("ci", K.NEVER_EXPIRES),
    ]
    assert report.attention == 6 and report.findings == 6 and report.dismissed == 0
    assert report.checked == 7  # the active keys; the revoked one is not checked
    assert len(report.keys) == 8  # every key listed, for the scan to match against
    spike = report.rows[0]
    assert spike.urgent and spike.usage is not None
    assert spike.title == "Unusual activity" and spike.short_action_label == "Usage…"
    assert spike.key_text.startswith("gateway · te_") and spike.key_text.endswith("…")
    assert spike.accessible_text.startswith("gateway: Unusual activity. On ")
    assert spike.accessible_text.endswith("Action: Look at its usage.")
    assert [row.urgent for row in report.rows] == [True, True, False, False, False, False]


def test_dismissed_findings_stay_listed_last_and_do_not_count() -> None:
    keys = demo_keys()
    old, idle = keys["old"], keys["idle"]
    dismissed = {(old.id, K.OLDER_THAN_ROTATION), (idle.id, K.UNUSED)}  # type: ignore[attr-defined]
    report = build_report(list(keys.values()), demo_usage(keys), NOW, dismissed)  # type: ignore[arg-type]
    assert report.attention == 4 and report.dismissed == 2 and report.findings == 4
    assert [row.dismissed for row in report.rows] == [False] * 4 + [True] * 2
    assert {row.key.name for row in report.rows if row.dismissed} == {"historian", "dashboard"}


def test_a_key_with_two_findings_counts_once_and_gets_one_reminder() -> None:
    key = make_key(
        "edge", created_days_ago=120, expires_in_days=3, last_used_days_ago=1
    )  # older than 90 days and expiring within 7
    spiky = usage_report(key.id, [100] * 29 + [900])
    report = build_report([key], {key.id: spiky}, NOW)
    assert {row.finding.kind for row in report.rows} == {
        K.OLDER_THAN_ROTATION,
        K.EXPIRES_SOON,
        K.UNUSUAL_ACTIVITY,
    }
    assert report.attention == 1
    # One reminder for the key: its most urgent finding, the unusual activity.
    ((finding_id, title, body),) = [(r.finding_id, r.title, r.body) for r in report.reminders]
    assert finding_id == (key.id, K.UNUSUAL_ACTIVITY)
    assert title == "API key “edge”: unusual activity"
    assert body.startswith("On ") and "900 requests" in body


def test_reminders_only_for_what_cannot_wait_and_not_when_dismissed() -> None:
    keys = demo_keys()
    report = build_report(list(keys.values()), demo_usage(keys), NOW)  # type: ignore[arg-type]
    assert [(r.finding_id[1], r.title) for r in report.reminders] == [
        (K.UNUSUAL_ACTIVITY, "API key “gateway”: unusual activity"),
        (K.EXPIRES_SOON, "API key “contractor” expires soon"),
    ]
    soon = keys["soon"]
    dismissed = {(soon.id, K.EXPIRES_SOON)}  # type: ignore[attr-defined]
    quiet = build_report(list(keys.values()), demo_usage(keys), NOW, dismissed)  # type: ignore[arg-type]
    assert [r.finding_id[1] for r in quiet.reminders] == [K.UNUSUAL_ACTIVITY]
    # Expiring in 10 days is a finding (14 days), not yet a reminder (7 days).
    later = make_key("later", expires_in_days=10, last_used_days_ago=1)
    assert build_report([later], {}, NOW).reminders == ()
    assert [row.finding.kind for row in build_report([later], {}, NOW).rows] == [K.EXPIRES_SOON]


def test_dismissals_of_findings_that_went_away_are_settled() -> None:
    key = make_key("fixed", created_days_ago=10, last_used_days_ago=1)
    revoked = make_key("revoked", revoked=True, expires_in_days=None)
    unread = make_key("unread", created_days_ago=10, last_used_days_ago=1)
    missing = "key_not_listed"
    dismissed = {
        (key.id, K.NEVER_EXPIRES),  # it has an expiry now: settled
        (revoked.id, K.UNUSED),  # revoked: nothing to find any more
        (unread.id, K.UNUSUAL_ACTIVITY),  # its usage could not be read: cannot tell
        (missing, K.UNUSED),  # not in this list: left alone
    }
    report = build_report([key, revoked, unread], {}, NOW, dismissed, usage_unread={unread.id})
    assert report.settled == {(key.id, K.NEVER_EXPIRES), (revoked.id, K.UNUSED)}
    assert report.usage_unread == 1
    still = build_report([replace(key, expires_at=None)], {}, NOW, dismissed)
    assert (key.id, K.NEVER_EXPIRES) not in still.settled  # still true: stays dismissed


def test_usage_is_asked_only_where_it_can_change_a_finding() -> None:
    recent = make_key("recent", last_used_days_ago=2)
    edge = make_key("edge of the window", last_used_days_ago=30.9)
    stale = make_key("stale", last_used_days_ago=31.5)
    never = make_key("never used")
    revoked = make_key("revoked", last_used_days_ago=1, revoked=True)
    expired = make_key("expired", last_used_days_ago=1, expires_in_days=-1)
    unreadable = replace(
        make_key("unreadable last use"), unreadable=("last_used_at",), problem="last_used_at: ?"
    )
    nameless = replace(make_key("no id", last_used_days_ago=1), id="")
    keys = [stale, never, revoked, expired, unreadable, nameless, edge, recent]
    wanted = keys_needing_usage(keys, NOW)
    # Most recently used first; a last use the server sent unreadable is asked, to be sure.
    assert [key.name for key in wanted] == ["recent", "edge of the window", "unreadable last use"]


def test_a_key_used_before_the_window_reads_the_same_without_its_report() -> None:
    """Why keys_needing_usage may skip them: a report of zeros finds nothing more."""
    key = make_key("stale", created_days_ago=200, last_used_days_ago=40, scopes=("write:assets",))
    zeros = usage_report(key.id, [0] * 30, last_used_days_ago=40)
    with_report = build_report([key], {key.id: zeros}, NOW)
    without = build_report([key], {}, NOW)
    assert [r.finding for r in with_report.rows] == [r.finding for r in without.rows]


def test_summary_and_tokens() -> None:
    assert summary_text(0) == "No key needs attention"
    assert summary_text(1) == "1 key needs attention"
    assert summary_text(1200) == "1,200 keys need attention"
    token = finding_token(("key:with:colons", K.EXPIRES_SOON))
    assert parse_token(token) == ("key:with:colons", K.EXPIRES_SOON)
    assert parse_token("key_1:no_such_kind") is None
    assert parse_token(":unused") is None


def test_reports_are_judged_at_the_time_given() -> None:
    key = make_key("k", expires_in_days=20, last_used_days_ago=1)
    assert build_report([key], {}, NOW).rows == ()
    later = build_report([key], {}, NOW + timedelta(days=8))
    assert [row.finding.kind for row in later.rows] == [K.EXPIRES_SOON]
    assert later.checked_at == NOW + timedelta(days=8)


def test_packed_usage_unpacks_equal_and_leaves_the_garbage_collector_nothing_to_walk() -> None:
    """A check keeps thousands of reports: packed, the collector stops tracking them at
    its first young collection, so full collections on the UI thread never walk them
    (unpacked, a report is 31 tracked objects: 2,000 made full passes of 17-28 ms)."""
    keys = demo_keys()
    reports = list(demo_usage(keys).values())
    packed = [pack_usage(report) for report in reports]  # type: ignore[arg-type]
    assert [unpack_usage(item) for item in packed] == reports
    # One collection untracks every tuple it visits that holds nothing to follow (a young
    # one the young objects): one, before any of them can reach the old generation.
    gc.collect()
    assert not any(gc.is_tracked(item) for item in packed)
    assert all(gc.is_tracked(report) for report in reports)  # what packing spares


def test_a_report_from_packed_usage_is_the_report_from_the_usage_and_keeps_it_packed() -> None:
    keys = demo_keys()
    usage = demo_usage(keys)
    packed = {key_id: pack_usage(report) for key_id, report in usage.items()}  # type: ignore[arg-type]
    from_packed = build_report(list(keys.values()), packed, NOW)  # type: ignore[arg-type]
    plain = build_report(list(keys.values()), usage, NOW)  # type: ignore[arg-type]
    assert from_packed == plain
    with_usage = [row for row in from_packed.rows if row.packed_usage is not None]
    assert {row.key.id for row in with_usage} == set(usage) - {keys["healthy"].id}  # type: ignore[attr-defined]
    for row in with_usage:
        assert row.usage == usage[row.key.id]
        assert not any(isinstance(item, DayUsage | tuple) for item in row.packed_usage)
