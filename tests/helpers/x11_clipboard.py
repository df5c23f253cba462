"""Two small X11 clients for the copy-once test under Xvfb (run as separate processes).

``owner``: a QGuiApplication on the xcb platform with one SecretClipboard, driven by lines
on stdin: the secret first, then ``copy`` (copy it, no countdown), ``clear`` (the clearing
the countdown, quitting and closing the page all use) and ``exit``. It answers each with a
line on stdout and stays alive in between, so it still owns the X selections it has not
released: a secret left behind is still there to be read.

``read``: another X client that reads the CLIPBOARD and PRIMARY selections from the X
server (through Qt's xcb clipboard, as any application pastes) and prints, as JSON,
only whether each holds the secret given on stdin, never the text itself.
"""

from __future__ import annotations

import json
import os
import sys


def _app() -> object:
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication([sys.argv[0]])


def owner() -> int:
    app = _app()
    from PySide6.QtCore import QSocketNotifier

    from twinedge_desktop.ui.common.clipboard import SecretClipboard

    secret = sys.stdin.readline().strip()
    clipboard = SecretClipboard()

    def answer(text: str) -> None:
        print(text, flush=True)

    def command() -> None:
        line = sys.stdin.readline()
        word = line.strip()
        if word == "copy":
            clipboard.copy(secret, 0)
            answer("copied")
        elif word == "clear":
            answer(f"cleared {clipboard.clear_now()}")
        elif word == "exit" or not line:
            app.quit()  # type: ignore[attr-defined]

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    answer("ready")
    return int(app.exec())  # type: ignore[attr-defined]


def read() -> int:
    _app()
    from PySide6.QtGui import QClipboard, QGuiApplication

    secret = sys.stdin.readline().strip()
    board = QGuiApplication.clipboard()
    held = {
        name: board.text(mode) == secret
        for name, mode in (
            ("clipboard", QClipboard.Mode.Clipboard),
            ("selection", QClipboard.Mode.Selection),
        )
    }
    print(json.dumps({"supports_selection": board.supportsSelection(), **held}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(owner() if sys.argv[1] == "owner" else read())
