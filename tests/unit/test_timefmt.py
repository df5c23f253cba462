"""The one duration format and the coarse relative time (twinedge_desktop.timefmt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinedge_desktop.timefmt import (
    format_countdown,
    format_countdown_seconds,
    format_duration,
    relative_time,
    utc_now,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.9, "0 s"),
        (45, "45 s"),
        (59.99, "59 s"),
        (60, "1 min"),
        (3552, "59 min 12 s"),
        (3600, "1 h"),
        (2 * 3600 + 5 * 60 + 59, "2 h 5 min"),
        (86399, "23 h 59 min"),
        (86400, "1 day"),
        (86400 + 3 * 3600, "1 day 3 h"),
        (2 * 86400, "2 days"),
        (90 * 86400, "90 days"),
        (729 * 86400, "729 days"),
        (3 * 365 * 86400, "3 years"),
        (-3552, "59 min 12 s"),
        (float("nan"), "0 s"),
        (float("inf"), "forever"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_countdown_before_and_after_expiry() -> None:
    assert format_countdown(NOW + timedelta(minutes=59, seconds=12), NOW) == "in 59 min 12 s"
    assert format_countdown(NOW - timedelta(minutes=3), NOW) == "expired 3 min ago"
    assert format_countdown(NOW, NOW) == "expired 0 s ago"
    assert format_countdown_seconds(299.5) == "in 4 min 59 s"
    assert format_countdown_seconds(-61) == "expired 1 min 1 s ago"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (None, "never"),
        (timedelta(seconds=-10), "just now"),
        (timedelta(seconds=10), "in under a minute"),
        (timedelta(minutes=-5), "5 minutes ago"),
        (timedelta(hours=1), "in 1 hour"),
        (timedelta(days=-1), "1 day ago"),
        (timedelta(days=90), "in 90 days"),
        (timedelta(days=-200), "200 days ago"),
        (timedelta(days=3 * 365), "in 3 years"),
    ],
)
def test_relative_time(delta: timedelta | None, text: str) -> None:
    when = None if delta is None else NOW + delta
    assert relative_time(when, NOW) == text


def test_the_clock_is_aware_utc() -> None:
    assert utc_now().tzinfo is UTC
