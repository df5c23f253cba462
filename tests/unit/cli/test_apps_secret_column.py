"""The ``apps list`` SECRET column during a rotated secret's overlap (review, item 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from twinedge_desktop.api.apps import ApplicationType, OAuthApp
from twinedge_desktop.cli.apps import _secret_column

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _web_app(previous_until: datetime | None) -> OAuthApp:
    return OAuthApp(
        id="app_1",
        client_id="client-1",
        name="Dashboard",
        application_type=ApplicationType.WEB,
        redirect_uris=("https://dash.example.com/callback",),
        scopes=("read:assets",),
        created_at=NOW - timedelta(days=3),
        created_by="user-123",
        secret_hint="wxyz",
        previous_secret_expires_at=previous_until,
    )


def test_a_secret_rotated_a_moment_ago_says_when_the_old_one_ends_in_plain_words() -> None:
    # The server's 24-hour overlap, a few seconds after the rotation: "in 1 day", worded
    # as the window's OAuth Applications page words it (never "until in 23 hours").
    column = _secret_column(_web_app(NOW + timedelta(hours=24, seconds=-5)), NOW)
    assert column == "…wxyz (old one ends in 1 day)"


def test_without_an_overlap_only_the_hint_is_shown() -> None:
    assert _secret_column(_web_app(None), NOW) == "…wxyz"
    assert _secret_column(_web_app(NOW - timedelta(minutes=1)), NOW) == "…wxyz"
