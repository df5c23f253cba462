"""The Account paths of issue 11 against the real sandbox over loopback (part A).

The whole window with its real services (DesktopApp, a MemoryStore for the keychain),
the real sandbox: a service account signed in with a wrong secret then tried again, an
API key used and tested (who it is, a revoked one refused), and a sandbox profile whose
server is not running. Each expected failure is told to the person and logged as one
line, never with a traceback or an exception's class name.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from tests.helpers.logs import has_traceback
from tests.helpers.sandbox_signin import signed_in
from tests.helpers.waiting import expect, settle, until
from twinedge_desktop.api.keys import new_idempotency_key
from twinedge_desktop.app import DesktopApp
from twinedge_desktop.auth.kinds import CredentialKind, SessionState
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.keyformat import display_prefix
from twinedge_desktop.ui.account.dialogs import ServiceSignInDialog
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.inspector.page import InspectorPage
from twinedge_desktop.ui.inspector.widgets import BannerState
from twinedge_desktop.vault import MemoryStore

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support propagateSizeHints", r"This plugin does not support raise"
)
NETWORK_TIMEOUT = 20.0
CLASS_NAMES = ("ConnectError", "ConnectTimeout", "Error)", "Exception")


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    """As in test_keys_sandbox: Qt objects are collected here, never in the server thread."""
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
async def app(
    sandbox: Any, qtbot: Any, messages: Any, isolated_app_home: Path
) -> AsyncIterator[DesktopApp]:
    paths = AppPaths.default()
    profiles = ProfileStore.load(paths.profiles_file)
    profiles.put(sandbox_profile(sandbox.base_url), make_current=True)
    desktop = DesktopApp(
        paths=paths,
        profiles=profiles,
        messages=messages,
        runner=TaskRunner(messages),
        settings=QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat),
        credential_store=MemoryStore(),
        open_browser=lambda url: False,
    )
    qtbot.addWidget(desktop.window)
    await desktop.start()
    await until(lambda: not desktop.controller.restoring, NETWORK_TIMEOUT)
    yield desktop
    await desktop.aclose()


def no_traceback_or_class_name(caplog: pytest.LogCaptureFixture, messages: Any) -> None:
    assert not [r for r in caplog.records if has_traceback(r)], (
        "an expected failure has a traceback"
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    for _level, text in messages.records:
        assert not any(name in text for name in CLASS_NAMES), text


async def test_a_wrong_service_secret_then_try_again_opens_the_service_dialog(
    app: DesktopApp, sandbox: Any, messages: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    window, controller = app.window, app.controller
    window.window_actions.service.trigger()  # type: ignore[union-attr]
    dialog = window.account.service_dialog
    assert dialog is not None
    dialog.client_id.setText(sandbox.service_client_id)
    dialog.secret.setText("certainly-not-the-secret")
    failed = expect(controller.failed, NETWORK_TIMEOUT)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    await failed
    banner = window.account.signin_page.failure_banner
    assert not banner.isHidden()
    assert controller.state is SessionState.SIGNED_OUT
    no_traceback_or_class_name(caplog, messages)

    window.account.signin_page.retry_button.click()  # Try again: the service dialog again
    again = window.account.service_dialog
    assert isinstance(again, ServiceSignInDialog) and again is not dialog
    assert again.client_id.text() == sandbox.service_client_id and again.secret.text() == ""
    assert not controller.signing_in  # no browser sign-in as a person
    again.secret.setText(sandbox.service_client_secret)
    succeeded = expect(controller.succeeded, NETWORK_TIMEOUT)
    again.buttons.button(again.buttons.StandardButton.Ok).click()
    await succeeded
    assert controller.signed_in_info is not None
    assert controller.signed_in_info.kind is CredentialKind.SERVICE
    assert window.session_label.text() == (
        f"Signed in as the service {sandbox.service_client_id} — Local sandbox"
    )


async def test_an_api_key_session_and_the_inspectors_test_against_the_sandbox(
    app: DesktopApp, sandbox: Any, messages: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    expires = datetime.now(UTC) + timedelta(days=30)
    async with signed_in(sandbox.base_url) as person:
        created = await person.service.create(
            "grafana reader", ["read:telemetry"], expires, idempotency_key=new_idempotency_key()
        )
        secret = created.secret
        prefix = display_prefix(secret)

        # The inspector tests the pasted key: who it is, what it may do.
        window = app.window
        inspector = window.page("inspector")
        assert isinstance(inspector, InspectorPage)
        window.show_page("inspector")
        QGuiApplication.clipboard().setText(secret)
        inspector.paste_button.click()
        assert inspector.test_button.isVisibleTo(inspector)
        tested = expect(inspector.key_tested, NETWORK_TIMEOUT)
        inspector.test_button.click()
        (me,) = await tested
        assert me.kind == "api_key" and me.scopes == ("read:telemetry",)
        assert inspector.banner.status is BannerState.KEY_WORKS
        assert "engineer@example.com" in inspector.banner.detail.text()
        assert [chip.text() for chip in inspector.chips.widgets()] == ["read:telemetry"]

        # Signed in with the key: named by it, never "does not expire".
        succeeded = expect(app.controller.succeeded, NETWORK_TIMEOUT)
        app.controller.use_api_key(secret)
        await succeeded
        assert window.session_label.text() == f"Using the API key {prefix}… — Local sandbox"
        page = window.account.account_page
        assert page.heading.text() == f"API key {prefix}…"
        assert page.expiry_value.text() == "set on the key"
        assert secret not in window.session_label.text() + page.heading.text()

        # Revoked at the server: Test says so, with the server's own reason.
        await person.service.revoke(created.key.id)
        refused = expect(inspector.key_tested, NETWORK_TIMEOUT)
        inspector.test_button.click()
        (answer,) = await refused
        assert isinstance(answer, Exception)
        assert inspector.banner.status is BannerState.KEY_REFUSED
        assert "revoked" in inspector.banner.detail.text()
    no_traceback_or_class_name(caplog, messages)
    assert secret not in caplog.text  # the key never reaches the log


async def test_an_unreachable_sandbox_suggests_starting_one(
    app: DesktopApp, sandbox: Any, messages: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sandbox.stop()  # the profile's server is gone
    page = app.window.account.signin_page
    assert page.sandbox_card.isVisibleTo(page)  # the sandbox's demo accounts, while signed out
    assert "twinedge-demo" in page.sandbox_card.accounts.text()
    failed = expect(app.controller.failed, NETWORK_TIMEOUT)
    app.window.window_actions.sign_in.trigger()  # type: ignore[union-attr]
    await failed
    text = page.failure_banner.message.text()
    assert "--sandbox" in text
    assert not any(name in text for name in CLASS_NAMES), text
    no_traceback_or_class_name(caplog, messages)
    await settle()
    assert QApplication.activeModalWidget() is None  # said on the page, no dialog
