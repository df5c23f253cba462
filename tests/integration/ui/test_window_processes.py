"""The window and other processes write the profiles file at the same time: nothing is lost.

Real processes add profiles (as ``twinedge-desktop login --issuer`` does: load, put, save)
while the open window saves its preferences again and again (View ▸ Theme). Every profile
and the window's last choice must be in the file at the end, and the window lists every
profile once it is activated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from twinedge_desktop.config import ProfileStore, sandbox_profile
from twinedge_desktop.ui.shell.main_window import MainWindow

REPO = Path(__file__).resolve().parents[3]

WRITER = """\
import sys
from pathlib import Path
from twinedge_desktop.config import Profile, ProfileStore

path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = ProfileStore.load(path)
print("ready", flush=True)
sys.stdin.readline()  # every writer (and the window) goes at once
for index in range(count):
    profile_id = f"{name}-{index}"
    store.put(Profile(id=profile_id, name=profile_id, issuer=f"https://{profile_id}.test"))
    store.save()
print("done", flush=True)
"""


def test_profiles_added_by_processes_survive_the_windows_preference_saves(
    qtbot: Any, messages: Any, tmp_path: Path
) -> None:
    path = tmp_path / "config" / "profiles.json"
    store = ProfileStore.load(path)
    store.put(sandbox_profile("http://127.0.0.1:8765"), make_current=True)
    store.save()
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(messages=messages, profiles=store, settings=settings)
    qtbot.addWidget(window)

    writers, count = 3, 12
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"p{n}", str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(writers)
    ]
    saves = 0
    try:
        for process in processes:  # every writer has loaded the file: go together
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        # The window saves its preferences for as long as they write (bounded).
        while any(process.poll() is None for process in processes) and saves < 5000:
            window.preferences.set_theme("light" if saves % 2 else "dark")
            saves += 1
        window.preferences.set_theme("dark")
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert saves > 1, "the window did not save while the others wrote"
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert out.strip() == "done"

    data = json.loads(path.read_text())
    ids = {item["id"] for item in data["profiles"]}
    expected = {f"p{n}-{i}" for n in range(writers) for i in range(count)}
    assert expected <= ids, f"lost: {sorted(expected - ids)}"
    assert "sandbox" in ids
    assert data["preferences"]["theme"] == "dark"  # the window's last choice
    window.activation.window_activated()  # the window comes to the front
    listed = {window.profile_switcher.itemData(i) for i in range(window.profile_switcher.count())}
    assert expected <= listed
