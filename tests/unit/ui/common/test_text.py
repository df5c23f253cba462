"""The sentences pages share: escaped rich text, an expiry, an API error with its wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from twinedge_desktop.api.errors import RateLimited, ServerError
from twinedge_desktop.ui.common.tasks import error_message
from twinedge_desktop.ui.common.text import escape, expiry_text

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_escape_makes_text_safe_for_rich_text_labels() -> None:
    assert escape('<b>Tom & "Jerry"</b>') == '&lt;b&gt;Tom &amp; "Jerry"&lt;/b&gt;'


def test_expiry_text_uses_the_apps_one_duration_format() -> None:
    assert expiry_text(NOW + timedelta(minutes=59, seconds=12), NOW) == "Expires in 59 min 12 s"
    assert (
        expiry_text(NOW + timedelta(hours=2, minutes=5, seconds=9), NOW) == "Expires in 2 h 5 min"
    )
    assert expiry_text(NOW + timedelta(days=3), NOW) == "Expires in 3 days"
    assert expiry_text(NOW, NOW) == "Expired 0 s ago"  # the moment it expires
    assert expiry_text(NOW - timedelta(minutes=3), NOW) == "Expired 3 min ago"


def test_error_message_says_how_long_to_wait_when_the_server_says() -> None:
    limited = RateLimited(status=429, retry_after=90)
    assert error_message(limited).endswith("(wait about 1 min 30 s)")
    assert "wait" not in error_message(ServerError(status=503))
