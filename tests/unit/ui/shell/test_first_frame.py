"""The window's first frame, in a real process started as ``twinedge-desktop`` starts it.

What the first paint must not wait for is imported after it (benchmarks/startup.py measures
the time): the asyncio/service stack, the pages' modules, the redaction's patterns, the
page protocols. A module that slips back onto the first frame's path fails here, by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from twinedge_desktop.ui.shell.pages import PAGES

REPO = Path(__file__).resolve().parents[4]
FIRST_PAINT_TIMEOUT = 60.0

# Runs twinedge_desktop.cli.main([]) and, when the window has painted once, prints what was
# imported by then and what the window shows, then ends the process at once.
_CHILD = """
import json, os, sys
from twinedge_desktop.cli import main
from twinedge_desktop.ui.shell.main_window import MainWindow
from twinedge_desktop.ui.shell.frame import PageFrame, StartingView
from PySide6.QtWidgets import QLabel

shown = MainWindow.show

def report(window):
    place = window.pages.currentWidget()
    print(json.dumps({
        "modules": sorted(sys.modules),
        "title": window.windowTitle(),
        "navigation": [window.navigation.title(row) for row in range(window.navigation.count())],
        "status": window.session_label.text(),
        "shown": [label.text() for label in place.findChildren(QLabel) if label.isVisible()],
        "labels_made": sum(
            len(view.findChildren(QLabel)) for view in window.findChildren(StartingView)
        ),
        "frames": len(window.findChildren(PageFrame)),
    }), flush=True)
    os._exit(0)

def show(window):
    shown(window)
    window.first_painted.connect(lambda: report(window))

MainWindow.show = show
main([])
"""

# Not on the first frame's path (each imported after the first paint, most of them in a
# worker thread): the event loop and the service stack, the log's handlers, the chrome.
NOT_BEFORE_THE_FIRST_PAINT = {
    "asyncio",
    "qasync",
    "httpx",
    "keyring",
    "jwt",
    "logging.handlers",
    "twinedge_desktop.services",
    "twinedge_desktop.redaction",  # ~2 ms of patterns; the first message imports it
    "twinedge_desktop.timefmt",
    "twinedge_desktop.ui.common.page",  # the protocols; the first frame needs page_info
    "twinedge_desktop.ui.common.tasks",
    "twinedge_desktop.ui.shell.actions",
    "twinedge_desktop.ui.shell.preferences",
    *(info.module for info in PAGES),
}


def test_the_first_frame_shows_the_shell_and_imports_nothing_it_does_not_need(
    tmp_path: Path,
) -> None:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        TWINEDGE_DESKTOP_HOME=str(tmp_path),
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
    )
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=env,
        capture_output=True,
        text=True,
        timeout=FIRST_PAINT_TIMEOUT,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    frame = json.loads(done.stdout.strip().splitlines()[-1])

    # What a person sees first: the title, the pages, "Restoring session…" and the status.
    assert frame["title"] == "TwinEdge Desktop — TwinEdge Cloud"
    assert frame["navigation"] == [info.title for info in PAGES]
    assert frame["shown"] == [
        "Restoring session…",
        "Opening your system keychain and connecting. One moment.",
    ]
    assert frame["status"] == "Starting…"
    # One place made its labels (the one shown) and no page has its scrolling frame yet.
    assert frame["labels_made"] == 2
    assert frame["frames"] == 0

    loaded = set(frame["modules"])
    assert sorted(NOT_BEFORE_THE_FIRST_PAINT & loaded) == []
    # The navigation's declarations are there, and what the first frame is built from.
    assert {
        "twinedge_desktop.ui.common.page_info",
        "twinedge_desktop.ui.shell.main_window",
        "twinedge_desktop.config",
    } <= loaded
