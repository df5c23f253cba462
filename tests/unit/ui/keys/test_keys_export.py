"""The keys as CSV: public fields only, formulas defused."""

from __future__ import annotations

import csv
import io

from tests.helpers.keys import NOW, make_key
from twinedge_desktop.ui.keys.export import keys_to_csv


def test_csv_export_has_public_fields_only_and_defuses_formulas() -> None:
    keys = [make_key('=HYPERLINK("x")'), make_key("plain", revoked=True)]
    text = keys_to_csv(keys, NOW)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("x")', "plain"]
    assert rows[1]["status"] == "revoked"
    assert rows[0]["prefix"] == keys[0].prefix
    assert "secret" not in rows[0] and "key" not in rows[0]
    assert rows[0]["created_at"].endswith("Z")
