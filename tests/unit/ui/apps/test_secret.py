"""The client secret shown once (ui/apps/secret.py, over the shared copy-once dialog): what
it says, its snippets (quoted, right for the type), and the page opening it for real."""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import Any

import pytest
import shiboken6
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit, QWidget

from tests.helpers.apps import NOW, FakeAppsService, fixed_clock, make_app
from tests.helpers.keys import ENGINEER_SCOPES, all_texts, session_info
from tests.helpers.waiting import until
from twinedge_desktop.api.apps import OAuthApp
from twinedge_desktop.config import Preferences
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.ui.apps.page import AppsPage
from twinedge_desktop.ui.apps.secret import (
    ShownSecret,
    previous_secret_note,
    secret_snippets,
    show_client_secret,
)
from twinedge_desktop.ui.common.clipboard import KDE_HINT_FORMAT, SecretClipboard
from twinedge_desktop.ui.common.copy_once import CopyOnceDialog
from twinedge_desktop.ui.common.tasks import TaskRunner

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

SECRET = "Zq8RkR3n5Jm0aB7cD9eF1gH2iJ4kL6mN8oP0qR2sT4u"


@pytest.fixture
def clipboard() -> Any:
    board = QGuiApplication.clipboard()
    board.clear()
    yield board
    board.clear()


@pytest.fixture
def host(qtbot: Any) -> QWidget:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    return window


def snippets_of(app: OAuthApp, **servers: Any) -> dict[str, str]:
    return {s.label: s.text for s in secret_snippets(app, SECRET, **servers)}


def test_a_web_apps_secret_gets_the_environment_forms_only() -> None:
    app = make_app("Plant dashboard", ApplicationType.WEB)
    texts = snippets_of(app, issuer=None, api_base=None)
    assert list(texts) == ["Shell", ".env"]
    assert texts["Shell"] == (
        f"export TWINEDGE_CLIENT_ID={app.client_id}\nexport TWINEDGE_CLIENT_SECRET={SECRET}"
    )


def test_a_services_secret_gets_client_credentials_and_the_sdk() -> None:
    app = make_app("Nightly export", ApplicationType.SERVICE, scopes=("read:telemetry",))
    production = snippets_of(app, issuer=None, api_base=None)
    assert list(production) == ["Shell", ".env", "curl", "Python (SDK)"]
    assert production["curl"].startswith("curl https://auth.twinedgeai.com/oauth/token")
    assert f"-u {app.client_id}:{SECRET}" in production["curl"]
    assert "scope=read:telemetry" in production["curl"]
    assert "base_url" not in production["Python (SDK)"]  # TwinEdge's own servers: defaults
    assert SECRET not in production["Python (SDK)"]  # read from the environment
    assert 'scopes=["read:telemetry"]' in production["Python (SDK)"]
    compile(production["Python (SDK)"], "<snippet>", "exec")
    sandbox = snippets_of(app, issuer="http://127.0.0.1:8765", api_base="http://127.0.0.1:8765/v1")
    assert 'base_url="http://127.0.0.1:8765"' in sandbox["Python (SDK)"]
    assert 'issuer="http://127.0.0.1:8765"' in sandbox["Python (SDK)"]
    compile(sandbox["Python (SDK)"], "<snippet>", "exec")


def test_values_from_the_server_are_quoted_for_where_they_go() -> None:
    app = make_app("x", ApplicationType.SERVICE)
    hostile = 'https://evil.example/$(rm -rf ~)/"quote'
    texts = {
        s.label: s.text
        for s in secret_snippets(app, "se cret$(id)", issuer=hostile, api_base=hostile)
    }
    assert shlex.split(texts["curl"].replace("\\\n", " "))[1] == hostile + "/oauth/token"
    assert "TWINEDGE_CLIENT_SECRET='se cret$(id)'" in texts["Shell"]
    compile(texts["Python (SDK)"], "<snippet>", "exec")  # the quote is escaped


def test_after_a_rotation_the_note_says_until_when_the_old_secret_works() -> None:
    rotated = make_app(previous_secret_hours_left=24)
    assert previous_secret_note(rotated, NOW) == (
        f"The previous secret keeps working until "
        f"{(NOW + timedelta(hours=24)).astimezone().strftime('%Y-%m-%d %H:%M %Z')} "
        "(in 1 day): update the application before then."
    )
    ended = make_app(previous_secret_hours_left=None)
    assert previous_secret_note(ended, NOW) == (
        "The previous secret stopped working when this one was made."
    )


async def test_the_secret_is_shown_masked_copied_concealed_and_wiped(
    qtbot: Any, host: QWidget, clipboard: Any
) -> None:
    app = make_app("Plant dashboard", previous_secret_hours_left=24)
    board = SecretClipboard(parent=host, platform="linux")
    dialog = show_client_secret(
        ShownSecret(app, SECRET, rotated=True), board, 30, host, clock=fixed_clock
    )
    assert isinstance(dialog, CopyOnceDialog) and dialog.isVisible()
    panel = dialog.panel
    assert panel.key_edit.echoMode() == QLineEdit.EchoMode.Password
    assert "Plant dashboard (Web) · client ID" in panel.heading.text()
    assert "keeps working until" in panel.snippet_note.text()
    # Nothing shows the secret until "Show" (the field itself is in password mode).
    shown = [t for t in all_texts(dialog) if t != panel.key_edit.text()]
    assert not any(SECRET in t for t in shown)
    assert not dialog.done_button.isEnabled()
    panel.copy_button.click()
    assert clipboard.text() == SECRET
    assert clipboard.mimeData().hasFormat(KDE_HINT_FORMAT)  # clipboard managers skip it
    assert "cleared in 30 s" in panel.countdown.text()
    panel.ack_box.setChecked(True)
    held_when_closed: list[bool] = []
    dialog.finished.connect(lambda _result: held_when_closed.append(panel.holds_secret))
    dialog.done_button.click()
    await until(lambda: held_when_closed == [False])  # wiped before it closed
    assert board.active  # the countdown goes on after the dialog (the page owns it)


async def test_registering_a_web_app_on_the_page_opens_the_secret_once(
    qtbot: Any, messages: Any
) -> None:
    page = AppsPage(TaskRunner(messages), messages, Preferences(), open_browser=lambda url: True)
    qtbot.addWidget(page)
    page.show()
    service = FakeAppsService()
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await until(lambda: not page.loading)
    dialog = page.register_app()
    assert dialog is not None
    qtbot.keyClicks(dialog.form.name_edit, "Plant dashboard")
    dialog.form.uris_edit.setPlainText("https://app.example.com/callback")
    dialog.form.scopes.boxes["read:assets"].setChecked(True)
    dialog.submit()
    await until(lambda: page.secret_dialog is not None)
    secret_dialog = page.secret_dialog
    assert isinstance(secret_dialog, CopyOnceDialog)
    assert secret_dialog.panel.secret == service.secrets[service.apps[0].id]
    assert secret_dialog.windowTitle() == "Your new client secret"
    # Escape before storing it asks first (the shared dialog's gate).
    secret_dialog.reject()
    assert secret_dialog.isVisible()
    secret_dialog.panel.ack_box.setChecked(True)
    secret_dialog.accept()
    await until(lambda: not shiboken6.isValid(secret_dialog) or not secret_dialog.isVisible())
