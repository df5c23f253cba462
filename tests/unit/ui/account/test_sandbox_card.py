"""The local sandbox's card: demo accounts and password, the service client's id and its
secret masked, copied as a secret (marked for clipboard managers, cleared after the
person's clipboard time), never in a repr."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit

from twinedge_desktop.ui.account.sandbox_card import SandboxCard
from twinedge_desktop.ui.common.clipboard import KDE_HINT_FORMAT
from twinedge_desktop.ui.common.page import SandboxAccess

SECRET = "sandbox-service-secret-0123456789abcdef"
ACCESS = SandboxAccess(
    base_url="http://127.0.0.1:8765",
    demo_users=("engineer@example.com", "admin@example.com", "viewer@example.com"),
    demo_password="twinedge-demo",
    service_client_id="twinedge-service",
    service_client_secret=SECRET,
)


@pytest.fixture
def card(qtbot: Any) -> SandboxCard:
    widget = SandboxCard(lambda: 12)
    qtbot.addWidget(widget)
    widget.set_access(ACCESS)
    return widget


def test_the_secret_is_masked_until_shown(card: SandboxCard) -> None:
    assert "engineer@example.com" in card.accounts.text()
    assert "twinedge-demo" in card.accounts.text()
    assert card.client_id.text() == "twinedge-service"
    assert card.secret.echoMode() == QLineEdit.EchoMode.Password
    assert card.secret.isReadOnly() and card.client_id.isReadOnly()
    card.show_secret.click()
    assert card.secret.echoMode() == QLineEdit.EchoMode.Normal
    assert card.show_secret.text() == "Hide"
    card.show_secret.click()
    assert card.secret.echoMode() == QLineEdit.EchoMode.Password


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the X11/Wayland marker")
def test_copy_marks_the_secret_and_clears_it_after_the_clipboard_time(card: SandboxCard) -> None:
    clipboard = QGuiApplication.clipboard()
    card.copy_secret()
    assert clipboard.text() == SECRET
    mime = clipboard.mimeData()
    assert mime is not None and mime.hasFormat(KDE_HINT_FORMAT)  # clipboard managers skip it
    assert card.copy_secret_button.text() == "Copied (12 s)"
    assert card._clipboard.remaining == 12  # the person's time (Preferences)
    card._clipboard.clear_now()
    assert clipboard.text() != SECRET
    card.copy_client_id()
    assert clipboard.text() == "twinedge-service"  # an id is not a secret
    clipboard.clear()


def test_the_secret_is_never_in_a_repr() -> None:
    assert SECRET not in repr(ACCESS) and SECRET not in str(ACCESS)
    assert "twinedge-service" in repr(ACCESS)


def test_a_sandbox_started_elsewhere_says_where_its_secret_is(qtbot: Any) -> None:
    card = SandboxCard(lambda: 30)
    qtbot.addWidget(card)
    card.set_access(None)
    card.show()
    assert "twinedge-demo" in card.accounts.text()
    assert "unless the sandbox was started with another" in card.accounts.text()
    assert not card.secret.isVisible() and not card.copy_secret_button.isVisible()
    assert "terminal" in card.service_hint.text()
