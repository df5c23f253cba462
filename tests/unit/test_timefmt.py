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


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        # A key made a few seconds ago for 90 (or 30) days reads what was chosen (issue 11).
        (timedelta(days=90, seconds=-5), "in 90 days"),
        (timedelta(days=30, seconds=-3), "in 30 days"),
        # A rotated secret's 24-hour overlap, just started.
        (timedelta(hours=24, seconds=-5), "in 1 day"),
        (timedelta(days=88, hours=12), "in 89 days"),  # halves round up, not to even
        (timedelta(days=88, hours=11), "in 88 days"),
        (timedelta(minutes=30), "in 30 minutes"),  # never promoted to "1 hour" too early
        (timedelta(minutes=59, seconds=40), "in 1 hour"),
        (timedelta(hours=23, minutes=20), "in 23 hours"),
        (timedelta(seconds=89), "in 1 minute"),
        (timedelta(seconds=90), "in 2 minutes"),
        (timedelta(days=729, hours=11), "in 729 days"),
        (timedelta(days=729, hours=13), "in 2 years"),
        (timedelta(days=-45, seconds=-30), "45 days ago"),
    ],
)
def test_relative_time_rounds_to_the_nearest_unit(delta: timedelta, text: str) -> None:
    assert relative_time(NOW + delta, NOW) == text


def test_countdowns_still_count_whole_units_down() -> None:
    # The precise texts never round up: a token with 89 days 23 h 59 min 55 s left.
    assert format_countdown(NOW + timedelta(days=90, seconds=-5), NOW) == "in 89 days"
    assert format_countdown(NOW + timedelta(hours=24, seconds=-5), NOW) == "in 23 h 59 min"


def test_the_clock_is_aware_utc() -> None:
    assert utc_now().tzinfo is UTC
