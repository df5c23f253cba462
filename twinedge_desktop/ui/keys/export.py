"""The API keys as CSV for a spreadsheet: public fields only, never a secret.

Names are written so a spreadsheet does not run them as formulas (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime

from twinedge_desktop.api.models import ApiKey

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
)


def keys_to_csv(keys: Iterable[ApiKey], now: datetime) -> str:
    """The keys as CSV for a spreadsheet: public fields only (the prefix, never a secret)."""

    def stamp(value: datetime | None) -> str:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else ""

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
                key.status(now),
                stamp(key.created_at),
                stamp(key.expires_at),
                stamp(key.last_used_at),
                stamp(key.revoked_at),
                _spreadsheet_safe(key.created_by),
            )
        )
    return out.getvalue()


def _spreadsheet_safe(text: str) -> str:
    # A name starting with = + - @ would run as a formula when the CSV is opened (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
