"""Profiles written by real processes at the same time all survive (file lock + merge).

Two (then four) Python processes each add profiles one at a time, saving after each,
all released at once; every profile must be in the file at the end. Before the
read-merge-write, a save wrote the process's memory over the file and the other
process's additions were lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from twinedge_desktop.config import ProfileStore

REPO = Path(__file__).resolve().parents[3]

WRITER = """\
import sys
from pathlib import Path
from twinedge_desktop.config import Profile, ProfileStore

path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = ProfileStore.load(path)  # loaded once, like a window that stays open
sys.stdin.readline()  # wait until every writer is ready, then go together
for index in range(count):
    profile_id = f"{name}-{index}"
    store.put(Profile(id=profile_id, name=profile_id, issuer=f"https://{profile_id}.test"))
    store.save()
print("done", flush=True)
"""


@pytest.mark.parametrize("writers", [2, 4])
def test_profiles_added_by_processes_at_once_all_survive(tmp_path: Path, writers: int) -> None:
    path = tmp_path / "config" / "profiles.json"
    count = 15
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"w{n}", str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(writers)
    ]
    try:
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert out.strip() == "done"
    saved = ProfileStore.load(path)
    expected = {f"w{n}-{i}" for n in range(writers) for i in range(count)}
    assert expected <= saved.profiles.keys()
