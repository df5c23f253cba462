"""One process of the Health settings' cross-process test: waits for "go" on stdin, then
claims a reminder for each key given (one claim at a time, so processes interleave) and
dismisses its own findings; prints what it claimed as JSON.

    python tests/helpers/health_store_worker.py SETTINGS_FILE DAY KEY_COUNT WORKER_NUMBER
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.ui.health.store import HealthSettings

OWNER = ("sandbox", "org-456", "user-1")
DISMISSALS_PER_WORKER = 5


def main() -> int:
    path, day, count, number = (
        Path(sys.argv[1]),
        date.fromisoformat(sys.argv[2]),
        *map(int, sys.argv[3:5]),
    )
    store = HealthSettings(path)
    if sys.stdin.readline().strip() != "go":
        return 2
    claimed: list[str] = []
    for index in range(count):
        claimed += store.claim_reminders(OWNER, [f"key_{index}"], day)
        if index < DISMISSALS_PER_WORKER:
            store.set_dismissed(OWNER, (f"key_w{number}_{index}", FindingKind.UNUSED), True, day)
    print(json.dumps(claimed), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
