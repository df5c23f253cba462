"""The API keys as CSV for a spreadsheet: public fields only, never a secret.

Names are written so a spreadsheet does not run them as formulas (CSV injection).
A damaged entry (the server's could not be read in full) is written with what was
readable, empty cells where a value was unreadable (never the 1970 stand-in), its status
"damaged" and the reason in ``problem``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime

from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.ui.keys.model import key_status

CSV_FIELDS = (
    "id",
    "name",
    "prefix",
    "scopes",
    "status",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "created_by",
    "problem",
)


def keys_to_csv(keys: Iterable[ApiKey], now: datetime) -> str:
    """The keys as CSV for a spreadsheet: public fields only (the prefix, never a secret)."""

    def stamp(key: ApiKey, field: str) -> str:
        value: datetime | None = getattr(key, field)
        if value is None or field in key.unreadable:
            return ""
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for key in keys:
        writer.writerow(
            (
                key.id,
                _spreadsheet_safe(key.name),
                key.prefix,
                " ".join(key.scopes),
                key_status(key, now).value,
                stamp(key, "created_at"),
                stamp(key, "expires_at"),
                stamp(key, "last_used_at"),
                stamp(key, "revoked_at"),
                _spreadsheet_safe(key.created_by),
                _spreadsheet_safe(key.problem or ""),
            )
        )
    return out.getvalue()


def _spreadsheet_safe(text: str) -> str:
    # A name starting with = + - @ would run as a formula when the CSV is opened (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
