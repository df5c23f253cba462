"""One way to say a time span, one clock: shared by the window, the command line and the core.

Two kinds of text, each written in exactly one place:

- :func:`format_duration` / :func:`format_countdown` are *precise*: an access token's
  life, a sign-in's time left, "Expires in …" in the inspector and in ``status``.
  "59 min 12 s", "2 h 5 min", "1 day 3 h", "90 days".
- :func:`relative_time` is *coarse*, for lists where many rows are read at a glance:
  "3 days ago", "in 90 days", "just now".

The precise ones count whole units down (a token with 59.9 s left says "59 s"), so a
countdown never shows a second that has not started. The coarse one rounds to the
nearest unit, so a 90-day key made a moment ago reads "in 90 days", not "in 89 days".
No Qt here: the command line uses it too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime; tests pass a fixed or shifted one."""

_MINUTE = 60
_HOUR = 3600
_DAY = 86400
_YEAR = 365 * _DAY
# Up to two years, spans are counted in days: "in 90 days" says what a 90-day key
# means, where "in 2 months" or "in 12 weeks" would make the reader convert.
_DAYS_UP_TO = 2 * _YEAR


def utc_now() -> datetime:
    """The one clock of the app: an aware UTC datetime."""
    return datetime.now(UTC)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def format_duration(seconds: float) -> str:
    """A precise span: "0 s", "45 s", "59 min 12 s", "2 h 5 min", "1 day 3 h", "90 days".

    Negative spans are given by their size (the caller says "ago" or "in").
    """
    if math.isnan(seconds):
        return "0 s"
    if math.isinf(seconds):
        return "forever"
    total = int(abs(seconds))  # whole seconds elapsed, never one that has not started
    if total < _MINUTE:
        return f"{total} s"
    if total < _HOUR:
        minutes, secs = divmod(total, _MINUTE)
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    if total < _DAY:
        hours, rest = divmod(total, _HOUR)
        minutes = rest // _MINUTE
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if total < 2 * _DAY:
        hours = (total - _DAY) // _HOUR
        return f"1 day {hours} h" if hours else "1 day"
    if total < _DAYS_UP_TO:
        return _plural(total // _DAY, "day")
    return _plural(total // _YEAR, "year")


def format_countdown(expires_at: datetime, now: datetime) -> str:
    """ "in 59 min 12 s" before ``expires_at``, "expired 3 min ago" after it."""
    seconds = (expires_at - now).total_seconds()
    if seconds > 0:
        return f"in {format_duration(seconds)}"
    return f"expired {format_duration(seconds)} ago"


def format_countdown_seconds(seconds_left: float) -> str:
    """The same text from a number of seconds left (a sign-in's timeout, a timer)."""
    if seconds_left > 0:
        return f"in {format_duration(seconds_left)}"
    return f"expired {format_duration(seconds_left)} ago"


# Each unit is used below the count at which it rounds up into the next one.
_COARSE_UNITS: tuple[tuple[int, str, int], ...] = (
    (_MINUTE, "minute", 60),
    (_HOUR, "hour", 24),
    (_DAY, "day", _DAYS_UP_TO // _DAY),
)


def _nearest(magnitude: float, size: int) -> int:
    """``magnitude`` in whole ``size`` units, halves rounded up (``round`` would say 88 for
    88.5 days: banker's rounding)."""
    return math.floor(magnitude / size + 0.5)


def _coarse_span(magnitude: float) -> str:
    """A span of at least a minute, rounded to the nearest unit, in the smallest unit
    whose rounded count stays below the next unit.

    Rounded to the *nearest* unit, not down: a 90-day key made a few seconds ago has
    89 days 23 h 59 min left and reads "90 days" (what the person chose); a 24-hour
    overlap just started reads "1 day", not "23 hours"; 59 min 40 s reads "1 hour".
    In days up to two years (see ``_DAYS_UP_TO``), in years from then on.
    """
    for size, unit, next_unit_at in _COARSE_UNITS:
        count = _nearest(magnitude, size)
        if count < next_unit_at:
            return _plural(max(1, count), unit)
    return _plural(_nearest(magnitude, _YEAR), "year")


def relative_time(when: datetime | None, now: datetime, *, none_text: str = "never") -> str:
    """``when`` relative to ``now``, coarsely: "3 days ago", "in 90 days", "just now".

    Rounded to the nearest unit (see :func:`_coarse_span`); for a span that counts down
    to the second use :func:`format_countdown`, which never rounds up.
    """
    if when is None:
        return none_text
    seconds = (when - now).total_seconds()
    magnitude = abs(seconds)
    if magnitude < _MINUTE:
        return "just now" if seconds <= 0 else "in under a minute"
    label = _coarse_span(magnitude)
    return f"in {label}" if seconds > 0 else f"{label} ago"


def absolute_time(when: datetime | None) -> str:
    """A timestamp for tooltips and details, in local time with its zone; "—" for none."""
    if when is None:
        return "—"
    return when.astimezone().strftime("%Y-%m-%d %H:%M %Z")


__all__ = [
    "Clock",
    "absolute_time",
    "format_countdown",
    "format_countdown_seconds",
    "format_duration",
    "relative_time",
    "utc_now",
]
