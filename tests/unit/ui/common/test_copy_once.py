"""The shared copy-once dialog, used as the OAuth Applications page will: a client secret
with no public prefix, a snippet that holds it and one that does not."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from tests.helpers.keys import all_texts
from tests.helpers.layout import assert_layout_fits
from twinedge_desktop.ui.common.clipboard import KDE_HINT_FORMAT, SecretClipboard
from twinedge_desktop.ui.common.copy_once import (
    MASK,
    CopyOnceDialog,
    CopyOncePanel,
    Snippet,
    masked,
)
from twinedge_desktop.ui.common.dialog_body import DialogBody

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def clipboard(qtbot: Any) -> Any:
    board = QGuiApplication.clipboard()
    board.clear()
    yield board
    board.clear()


def client_secret_dialog(qtbot: Any, secret: str) -> CopyOnceDialog:
    panel = CopyOncePanel(
        secret,
        what="client secret",
        heading="Grafana (web app) · client id 3f2a9c",
        snippets=[
            Snippet(".env", f"GRAFANA_CLIENT_SECRET={secret}"),
            Snippet("Python", 'import os\n\nsecret = os.environ["GRAFANA_CLIENT_SECRET"]'),
        ],
        clipboard=SecretClipboard(platform="linux"),
        clear_after_seconds=30,
    )
    dialog = CopyOnceDialog(panel, title="Your new client secret")
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_masked_keeps_only_a_public_prefix() -> None:
    assert masked("te_abcdef", "te_abc") == "te_abc" + MASK * 3
    assert masked("s3cret", "") == MASK * 6
    assert masked("s3cret", "nope") == MASK * 6  # a prefix it does not start with: nothing
    assert "s3cret" not in repr(Snippet("x", "s3cret"))


def test_a_client_secret_is_masked_copied_concealed_and_gated(
    qtbot: Any, clipboard: QClipboard
) -> None:
    secret = secrets.token_urlsafe(32)
    dialog = client_secret_dialog(qtbot, secret)
    panel = dialog.panel
    assert dialog.windowTitle() == "Your new client secret"
    shown = [t for t in all_texts(dialog) if t != panel.key_edit.text()]  # the field echoes •
    texts = " ".join(shown)
    assert secret not in texts and panel.key_edit.displayText() != secret  # masked until Show
    assert "You will not be able to see this client secret again." in texts
    assert panel.ack_box.text() == "I have stored this client secret in a safe &place"
    assert panel.key_edit.echoMode() == QLineEdit.EchoMode.Password
    # Enter copies until the secret is stored; Done is disabled.
    assert panel.copy_button.isDefault() and not dialog.done_button.isEnabled()
    qtbot.keyClick(panel.copy_button, Qt.Key.Key_Return)
    assert clipboard.text() == secret
    assert bytes(clipboard.mimeData().data(KDE_HINT_FORMAT).data()) == b"secret"
    assert "30 s" in panel.countdown.text()
    assert dialog.isVisible()
    # A snippet with the secret goes as a secret; one without it as plain text.
    panel.copy_snippet(0)
    assert clipboard.text() == f"GRAFANA_CLIENT_SECRET={secret}"
    assert clipboard.mimeData().hasFormat(KDE_HINT_FORMAT)
    panel.copy_snippet(1)
    assert clipboard.text().startswith("import os")
    assert not clipboard.mimeData().hasFormat(KDE_HINT_FORMAT)
    assert "holds no secret" in panel.countdown.text()
    panel.reveal_button.click()
    assert panel.key_edit.displayText() == secret
    assert panel.snippet_edits[0].toPlainText() == f"GRAFANA_CLIENT_SECRET={secret}"
    panel.ack_box.setChecked(True)
    assert dialog.done_button.isDefault() and dialog.done_button.isEnabled()
    qtbot.keyClick(dialog.done_button, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not panel.holds_secret and panel.secret is None
    assert secret not in " ".join(all_texts(dialog))
    assert all(secret not in snippet.text for snippet in panel._snippets)


def test_closing_unstored_asks_with_go_back_as_the_default(qtbot: Any) -> None:
    secret = secrets.token_urlsafe(32)
    dialog = client_secret_dialog(qtbot, secret)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    box = dialog.confirmation
    assert box is not None and box.isVisible()
    labels = sorted(button.text() for button in box.buttons())
    assert labels == ["&Close without storing", "&Go back"]
    assert all(button.icon().isNull() for button in box.buttons())  # words, not look-alikes
    assert box.defaultButton() is box.back_button and box.escapeButton() is box.back_button
    assert not box.close_button.autoDefault()
    # Enter in the box goes back: the secret is still there.
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.confirmation is None, timeout=2000)
    assert dialog.isVisible() and dialog.panel.holds_secret
    dialog.reject()
    box = dialog.confirmation
    assert box is not None
    box.close_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not dialog.panel.holds_secret


def test_extras_sit_above_the_checkbox(qtbot: Any) -> None:
    dialog = client_secret_dialog(qtbot, secrets.token_urlsafe(16))
    extra = QLabel("A feature's own line")
    dialog.panel.extras.addWidget(extra)
    qtbot.waitUntil(extra.isVisible, timeout=1000)
    assert extra.mapTo(dialog.panel, extra.rect().topLeft()).y() < dialog.panel.ack_box.y()


def test_dialog_fits_a_small_screen_by_scrolling(qtbot: Any) -> None:
    dialog = client_secret_dialog(qtbot, secrets.token_urlsafe(32))
    assert dialog.minimumSizeHint().width() <= 800 and dialog.minimumSizeHint().height() <= 520
    dialog.resize(640, 240)
    qtbot.waitUntil(lambda: dialog.size().height() == 240, timeout=1000)
    assert_layout_fits(dialog)
    assert dialog.body.verticalScrollBar().maximum() > 0  # the rest scrolls, nothing is cut
    assert dialog.buttons.isVisible()


def test_a_dialog_body_grows_its_window_for_what_appears(qtbot: Any) -> None:
    content = QWidget()
    column = QVBoxLayout(content)
    column.addWidget(QLabel("First line"))
    window = QDialog()
    qtbot.addWidget(window)
    body = DialogBody(content, preferred_width=300)
    QVBoxLayout(window).addWidget(body)
    window.show()
    qtbot.waitExposed(window)
    before = window.height()
    for number in range(12):
        column.addWidget(QLabel(f"Appeared {number}"))
    qtbot.waitUntil(lambda: window.height() > before + 100, timeout=2000)
    assert_layout_fits(window)
    assert body.verticalScrollBar().maximum() == 0  # grown, not scrolled
