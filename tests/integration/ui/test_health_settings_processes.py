"""Several app processes (windows) share the settings file: a key's reminder is claimed by
exactly one of them a day, and no process's dismissal is lost, with real processes racing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.helpers.health_store_worker import DISMISSALS_PER_WORKER, OWNER
from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.ui.health.store import HealthSettings

WORKER = Path(__file__).resolve().parents[2] / "helpers" / "health_store_worker.py"
PROCESSES = 6
KEYS = 25
TIMEOUT = 120


def test_each_reminder_is_claimed_once_and_every_dismissal_kept(tmp_path: Path) -> None:
    path = tmp_path / "window.ini"
    day = date(2030, 6, 1)
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(path), day.isoformat(), str(KEYS), str(number)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(PROCESSES)
    ]
    try:
        # Each worker has started Python and imported Qt by the time it reads stdin; all are
        # told to go at once, so their claims race.
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=TIMEOUT) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    claims = [key for out, _err in outputs for key in json.loads(out)]
    assert sorted(claims) == sorted(f"key_{index}" for index in range(KEYS))  # once each
    assert len(HealthSettings(path).dismissed(OWNER)) == PROCESSES * DISMISSALS_PER_WORKER
    assert (f"key_w{PROCESSES - 1}_0", FindingKind.UNUSED) in HealthSettings(path).dismissed(OWNER)
