"""The secret clipboard: markers for clipboard managers, countdown, clearing only our own secret."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QClipboard, QGuiApplication

from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.ui.common.clipboard import (
    KDE_HINT_FORMAT,
    MACOS_CONCEALED_FORMAT,
    WINDOWS_CLOUD_FORMAT,
    WINDOWS_EXCLUDE_FORMAT,
    WINDOWS_HISTORY_FORMAT,
    SecretClipboard,
    secret_mime_data,
)


@pytest.fixture
def clipboard(qtbot: Any) -> Any:
    board = QGuiApplication.clipboard()
    board.clear()
    yield board
    board.clear()


def test_linux_marks_the_secret_for_klipper_and_friends() -> None:
    secret = generate_key()
    mime = secret_mime_data(secret, "linux")
    assert mime.text() == secret
    assert bytes(mime.data(KDE_HINT_FORMAT).data()) == b"secret"
    assert not mime.hasFormat(WINDOWS_HISTORY_FORMAT)


def test_windows_excludes_monitors_history_and_cloud() -> None:
    mime = secret_mime_data(generate_key(), "win32")
    assert mime.hasFormat(WINDOWS_EXCLUDE_FORMAT)
    for name in (WINDOWS_HISTORY_FORMAT, WINDOWS_CLOUD_FORMAT):
        data = bytes(mime.data(name).data())
        assert len(data) == 4 and struct.unpack("<I", data) == (0,)
    assert not mime.hasFormat(KDE_HINT_FORMAT)


def test_macos_uses_the_concealed_type() -> None:
    secret = generate_key()
    mime = secret_mime_data(secret, "darwin")
    assert mime.hasFormat(MACOS_CONCEALED_FORMAT)
    assert mime.text() == secret


def test_copy_puts_marked_secret_on_the_clipboard(clipboard: QClipboard) -> None:
    secret = generate_key()
    board = SecretClipboard(clipboard, platform="linux")
    board.copy(secret, 30)
    assert clipboard.text() == secret
    mime = clipboard.mimeData()
    assert mime is not None and bytes(mime.data(KDE_HINT_FORMAT).data()) == b"secret"
    assert board.holds_secret()
    assert board.remaining == 30
    # The object keeps a digest, not the secret.
    assert secret not in repr(vars(board))
    if clipboard.supportsSelection():
        assert clipboard.text(QClipboard.Mode.Selection) == secret
    board.clear_now()


def test_countdown_clears_the_clipboard(clipboard: QClipboard, qtbot: Any) -> None:
    board = SecretClipboard(clipboard, platform="linux")
    ticks: list[int] = []
    board.remaining_changed.connect(ticks.append)
    board.copy(generate_key(), 2)
    with qtbot.waitSignal(board.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [True]
    assert clipboard.text() == ""
    assert ticks[0] == 2 and ticks[-1] == 0 and 1 in ticks
    assert not board.active


def copy_elsewhere(clipboard: QClipboard, text: str) -> None:
    """The person copies (and, on X11, selects) something else."""
    clipboard.setText(text)
    if clipboard.supportsSelection():
        clipboard.setText(text, QClipboard.Mode.Selection)


def test_does_not_clear_when_the_clipboard_changed(clipboard: QClipboard, qtbot: Any) -> None:
    board = SecretClipboard(clipboard, platform="linux")
    board.copy(generate_key(), 1)
    copy_elsewhere(clipboard, "something the person copied since")
    with qtbot.waitSignal(board.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [False]
    assert clipboard.text() == "something the person copied since"


def test_each_mode_is_judged_on_its_own(clipboard: QClipboard, qtbot: Any) -> None:
    board = SecretClipboard(clipboard, platform="linux")
    secret = generate_key()
    board.copy(secret, 0)
    clipboard.setText("copied since")  # the clipboard changed; the selection (X11) did not
    cleared = board.clear_now()
    assert clipboard.text() == "copied since"
    if clipboard.supportsSelection():
        assert cleared is True
        assert clipboard.text(QClipboard.Mode.Selection) != secret
    else:
        assert cleared is False


def test_clears_on_quit_only_if_still_ours(clipboard: QClipboard, qtbot: Any) -> None:
    app = QCoreApplication.instance()
    assert app is not None
    ours = SecretClipboard(clipboard, platform="linux")
    ours.copy(generate_key(), 0)  # no countdown: only quitting clears it
    assert ours.remaining == 0 and ours.active
    with qtbot.waitSignal(ours.finished, timeout=1000) as blocker:
        app.aboutToQuit.emit()
    assert blocker.args == [True]
    assert clipboard.text() == ""

    theirs = SecretClipboard(clipboard, platform="linux")
    theirs.copy(generate_key(), 0)
    copy_elsewhere(clipboard, "not the key")
    with qtbot.waitSignal(theirs.finished, timeout=1000) as blocker:
        app.aboutToQuit.emit()
    assert blocker.args == [False]
    assert clipboard.text() == "not the key"


def test_a_second_copy_replaces_the_first(clipboard: QClipboard, qtbot: Any) -> None:
    board = SecretClipboard(clipboard, platform="linux")
    first, second = generate_key(), generate_key()
    board.copy(first, 30)
    board.copy(second, 30)
    assert clipboard.text() == second
    assert board.clear_now() is True
    assert clipboard.text() == ""


def _delete(qtbot: Any, owner: Any, board: SecretClipboard) -> None:
    with qtbot.waitSignal(board.destroyed, timeout=2000):
        owner.deleteLater()


def test_clears_when_its_owner_goes_if_still_ours(clipboard: QClipboard, qtbot: Any) -> None:
    from PySide6.QtWidgets import QWidget

    page = QWidget()
    board = SecretClipboard(clipboard, page, platform="linux")
    board.copy(generate_key(), 300)
    _delete(qtbot, page, board)  # the page (and its countdown) is gone: the secret goes too
    assert clipboard.text() == ""
    assert clipboard.mimeData() is None or not clipboard.mimeData().hasFormat(KDE_HINT_FORMAT)

    page = QWidget()
    board = SecretClipboard(clipboard, page, platform="linux")
    board.copy(generate_key(), 300)
    clipboard.setText("the person's own text")
    _delete(qtbot, page, board)
    assert clipboard.text() == "the person's own text"  # not ours any more: left alone


def test_a_process_ends_cleanly_after_its_page_copied_a_secret(tmp_path: Any) -> None:
    """PySide6 6.11 (offscreen) crashes at exit when a QMimeData made in Python is still on
    the clipboard; the SecretClipboard takes its secret with it when its page goes."""
    import os
    import subprocess
    import sys

    script = (
        "from PySide6.QtCore import QCoreApplication, QEvent\n"
        "from PySide6.QtWidgets import QApplication, QWidget\n"
        "from twinedge_desktop.ui.common.clipboard import SecretClipboard\n"
        "app = QApplication([])\n"
        "page = QWidget()\n"
        "SecretClipboard(parent=page, platform='linux').copy('te_' + 'a' * 38, 300)\n"
        "page.deleteLater()\n"
        "QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)\n"
        "print(repr(app.clipboard().text()))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "''"), done.stderr[-2000:]
