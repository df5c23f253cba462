"""Sentences several pages say the same way: escaped rich text, an expiry.

Durations come from :mod:`twinedge_desktop.timefmt`, the app's one format (the command
line uses it too); this module only puts them in the window's sentences.
"""

from __future__ import annotations

import html
from datetime import datetime

from twinedge_desktop.timefmt import format_countdown


def escape(text: str) -> str:
    """``text`` for a rich-text label: ``&``, ``<`` and ``>`` escaped (quotes may stay)."""
    return html.escape(text, quote=False)


def expiry_text(expires_at: datetime, now: datetime) -> str:
    """ "Expires in 59 min 12 s" before ``expires_at``, "Expired 3 min ago" from then on."""
    countdown = format_countdown(expires_at, now)  # "in …" or "expired … ago"
    return f"Expires {countdown}" if expires_at > now else countdown.capitalize()
