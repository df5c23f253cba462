"""The API Keys page and every keys dialog at the window's minimum size, light and dark.

The window's minimum is 800×520. The page is measured where it lives: the real main window
is made that size and the room it gives a page is the size the keys page is shown at. Each
dialog is shown no larger than 800×520 (smaller when it asks for less) in every state that
adds text: validation messages, warnings, errors, damaged keys, each rotation step.
``tests/helpers/layout.assert_layout_fits`` fails on any label whose text does not fit,
any button or field narrower than its text, any widget outside its parent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QToolButton, QWidget

from tests.helpers.keys import (
    ENGINEER_SCOPES,
    VIEWER_SCOPES,
    FakeKeysService,
    fixed_clock,
    make_key,
    session_info,
)
from tests.helpers.layout import assert_layout_fits
from tests.helpers.waiting import settle, until, wait_signal
from twinedge_desktop.api.errors import NetworkError, ServerError
from twinedge_desktop.api.models import CreatedApiKey
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import Preferences, ProfileStore, sandbox_profile
from twinedge_desktop.keyformat import display_prefix, generate_key
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.style import ThemeManager
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog
from twinedge_desktop.ui.keys.dialogs.create import CreateKeyDialog
from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.keys.dialogs.rotate import RotateKeyDialog, RotationStep
from twinedge_desktop.ui.keys.page import KeysPage, PageState

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

MINIMUM_WINDOW = QSize(800, 520)
LONG_NAME = "Plant 3 north line telemetry collector for the compressor station"[:64]


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest, qtbot: Any) -> Iterator[str]:
    """The app's palette and style sheet for ``request.param``, as the running app has them."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet, style = app.palette(), app.styleSheet(), app.style().name()
    theme = ThemeManager(app)
    theme.force(request.param)
    theme.use_app_style_sheet()
    yield request.param
    app.setStyleSheet(sheet)
    app.setPalette(palette)
    app.setStyle(style)
    theme.deleteLater()


@pytest.fixture
def page_size(qtbot: Any, messages: Any, tmp_path: Path) -> QSize:
    """The room the real main window gives a page at its minimum size."""
    from twinedge_desktop.ui.shell.main_window import MainWindow

    profiles = ProfileStore.load(tmp_path / "profiles.json")
    profiles.put(sandbox_profile("http://127.0.0.1:8765"), make_current=True)
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(messages=messages, profiles=profiles, settings=settings)
    qtbot.addWidget(window)
    window.resize(MINIMUM_WINDOW)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.size() == MINIMUM_WINDOW.expandedTo(window.minimumSize()))
    size = window.pages.size()
    window.close()
    return size


def demo_keys() -> list[Any]:
    damaged = replace(
        make_key("bad expiry"),
        expires_at=None,
        problem="expires_at: “9999-12-31T23:59:59-23:59” is outside the years 1-9999",
        unreadable=("expires_at",),
    )
    return [
        make_key(LONG_NAME, scopes=("read:telemetry", "write:telemetry"), last_used_days_ago=0.01),
        make_key("Nightly export", scopes=("read:assets", "read:alerts"), expires_in_days=10),
        make_key("CI deploys", scopes=("read:assets", "write:assets"), expires_in_days=-5),
        make_key("Grafana", scopes=("read:telemetry", "read:alerts"), expires_in_days=None),
        make_key("Old gateway", scopes=("write:telemetry",), revoked=True),
        damaged,
    ]


@pytest.fixture
def page(qtbot: Any, messages: Any, page_size: QSize) -> KeysPage:
    widget = KeysPage(TaskRunner(messages), messages, Preferences(), clock=fixed_clock)
    qtbot.addWidget(widget)
    widget.resize(page_size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


async def fits(widget: QWidget) -> None:
    await settle()
    await asyncio.sleep(0.05)  # posted layouts and the toolbar's arrangement
    await settle()
    # A line edit's own clear button is sized to the field by Qt, icon only: not ours.
    for button in widget.findChildren(QToolButton):
        if isinstance(button.parentWidget(), QLineEdit):
            button.setProperty("elides", True)
    assert_layout_fits(widget)


async def test_the_keys_page_fits_at_the_minimum_size_in_every_state(
    page: KeysPage, scheme: str, qtbot: Any, page_size: QSize
) -> None:
    assert page.size() == page_size
    page.set_service(None, None)
    await fits(page)

    service = FakeKeysService(keys=demo_keys())
    service.page_gate = asyncio.Event()
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await until(lambda: page.model.rowCount() > 0)
    service.page_gate.set()
    await settle(page.load_task)
    assert page.state is PageState.LIST
    page.model.set_reminder(service.keys[3].id, "Rotated: revoke this key once nothing uses it.")
    page.show_revoked_box.setChecked(True)
    page.select_key(service.keys[0].id)
    await fits(page)
    assert page.more_button.isVisible()  # the narrow toolbar put something away
    # The name keeps its room and nothing scrolls sideways: some columns gave way.
    assert page.table.horizontalScrollBar().maximum() == 0
    assert page.table.columnWidth(0) >= page.table.name_minimum

    qtbot.keyClicks(page.filter_edit, "no such key anywhere")
    await settle()
    assert page.no_match_label.isVisible()
    await fits(page)
    page.filter_edit.clear()

    service.fail["list"] = ServerError(status=503)
    page.refresh()
    await settle(page.load_task)
    assert page.banner.isVisible()
    await fits(page)

    empty = FakeKeysService()
    page.set_service(empty, session_info(VIEWER_SCOPES, subject="user-2"))  # type: ignore[arg-type]
    await settle(page.load_task)
    assert page.state is PageState.EMPTY
    await fits(page)

    failing = FakeKeysService()
    failing.fail["list"] = NetworkError()
    page.set_service(failing, session_info(ENGINEER_SCOPES, subject="user-3"))  # type: ignore[arg-type]
    await settle(page.load_task)
    assert page.state is PageState.ERROR
    await fits(page)

    api_key = replace(session_info(ENGINEER_SCOPES, subject="key-1"), kind=CredentialKind.API_KEY)
    page.set_service(FakeKeysService(), api_key)  # type: ignore[arg-type]
    assert page.state is PageState.NOT_A_PERSON
    await fits(page)


async def at_minimum(dialog: QDialog) -> None:
    """Show ``dialog`` no larger than the minimum window (smaller if it asks for less)."""
    await settle()
    hint = dialog.minimumSizeHint()
    assert hint.width() <= MINIMUM_WINDOW.width() and hint.height() <= MINIMUM_WINDOW.height()
    dialog.resize(dialog.sizeHint().boundedTo(MINIMUM_WINDOW).expandedTo(hint))
    await fits(dialog)
    # And squeezed to exactly the minimum window: it scrolls, nothing is cut.
    dialog.resize(MINIMUM_WINDOW.boundedTo(dialog.maximumSize()))
    await fits(dialog)


def parented(qtbot: Any, page: KeysPage, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


async def test_the_create_dialog_fits_with_every_message_it_shows(
    page: KeysPage, scheme: str, qtbot: Any, messages: Any
) -> None:
    service = FakeKeysService(keys=[make_key("CI deploys")])
    runner = TaskRunner(messages)
    dialog = CreateKeyDialog(
        service,  # type: ignore[arg-type]
        runner,
        ("admin",),
        page,
        clock=fixed_clock,
        existing_names={"CI deploys"},
    )
    parented(qtbot, page, dialog)
    await fits(dialog)  # as it opens, at its own size
    height = dialog.height()
    dialog.submit()  # nothing filled in: the name and scopes errors
    assert dialog.form.name_error.isVisible() and dialog.form.scopes_error.isVisible()
    dialog.form.scope_boxes["admin"].setChecked(True)
    dialog.form.expiry_combo.setCurrentIndex(dialog.form.expiry_combo.findData("never"))
    assert dialog.form.never_warning.isVisible() and dialog.form.admin_warning.isVisible()
    await fits(dialog)
    # It grew to show them (the screen has room): nothing squeezed, nothing to scroll.
    assert dialog.height() > height + 40
    assert dialog.body.verticalScrollBar().maximum() == 0
    await at_minimum(dialog)
    dialog.form.name_edit.setText("x" * 70)
    await fits(dialog)
    dialog.form.name_edit.setText("ci deploys")  # a name an active key has
    assert dialog.form.duplicate_warning.isVisible()
    dialog.error.show_message(
        "The server had a problem (503). Pressing Create again is safe: it repeats the same "
        "request, so it cannot make a second key."
    )
    await at_minimum(dialog)


async def test_the_copy_once_dialog_fits(
    page: KeysPage, scheme: str, qtbot: Any, messages: Any
) -> None:
    secret = generate_key()
    key = make_key(LONG_NAME, scopes=("write:telemetry",), prefix=display_prefix(secret))
    dialog = CopyOnceDialog(
        CreatedApiKey(key=key, secret=secret),
        FakeKeysService(),  # type: ignore[arg-type]
        TaskRunner(messages),
        SecretClipboard(platform="linux"),
        30,
        page,
        api_base="https://api.twinedgeai.com/v1",
    )
    parented(qtbot, page, dialog)
    assert dialog.panel.snippet_note.isVisible()
    await at_minimum(dialog)
    for index in range(dialog.panel.snippet_tabs.count()):
        dialog.panel.snippet_tabs.setCurrentIndex(index)
        await fits(dialog)
    dialog.panel.copy_key()
    dialog.panel.test_error.show_message("The key did not work: the server had a problem (503).")
    await at_minimum(dialog)
    dialog.reject()
    assert dialog.confirmation is not None
    await fits(dialog.confirmation)
    dialog.confirmation.back_button.click()


async def test_the_revoke_and_details_dialogs_fit(
    page: KeysPage, scheme: str, qtbot: Any, messages: Any
) -> None:
    runner = TaskRunner(messages)
    service = FakeKeysService()
    used = make_key(LONG_NAME, scopes=("read:telemetry", "write:telemetry"), last_used_days_ago=1)
    damaged = replace(
        make_key("bad expiry"),
        problem="expires_at: “9999-12-31T23:59:59-23:59” is outside the years 1-9999 once "
        "converted to UTC",
        unreadable=("expires_at",),
    )
    for key in (make_key("never used"), used, damaged):
        revoke = RevokeKeyDialog(key, service, runner, page, clock=fixed_clock)  # type: ignore[arg-type]
        parented(qtbot, page, revoke)
        await at_minimum(revoke)
        revoke.error.show_message("The server had a problem (500). Try again in a moment.")
        await at_minimum(revoke)
        revoke.reject()
        details = KeyDetailsDialog(
            key, page, reminder="Rotated on 2026-11-20: replaced by “x”.", clock=fixed_clock
        )
        parented(qtbot, page, details)
        await at_minimum(details)
        details.reject()


async def test_every_rotation_step_fits(
    page: KeysPage, scheme: str, qtbot: Any, messages: Any
) -> None:
    old = make_key(
        LONG_NAME, scopes=("read:assets", "write:assets"), last_used_days_ago=2, created_days_ago=30
    )
    service = FakeKeysService(keys=[old])
    dialog = RotateKeyDialog(
        old,
        service,  # type: ignore[arg-type]
        TaskRunner(messages),
        VIEWER_SCOPES,  # write:assets cannot be granted: the "dropped scopes" note shows
        SecretClipboard(platform="linux"),
        30,
        page,
        clock=fixed_clock,
    )
    parented(qtbot, page, dialog)
    assert dialog.dropped_note.isVisible()
    await at_minimum(dialog)
    dialog.next_step()
    await wait_signal(dialog.created)
    assert dialog.step is RotationStep.COPY
    await at_minimum(dialog)
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    service.fail["find"] = NetworkError("The connection dropped.")
    dialog.next_step()
    await until(lambda: "Could not check" in dialog.last_use.text())
    await at_minimum(dialog)
    dialog.next_step()
    assert dialog.step is RotationStep.REVOKE
    await at_minimum(dialog)
    dialog.revoke_later_chosen()


async def test_short_steps_are_not_as_tall_as_the_copy_step(
    page: KeysPage, qtbot: Any, messages: Any
) -> None:
    old = make_key("pusher", scopes=("read:telemetry",))
    service = FakeKeysService(keys=[old])
    dialog = RotateKeyDialog(
        old,
        service,  # type: ignore[arg-type]
        TaskRunner(messages),
        ENGINEER_SCOPES,
        SecretClipboard(platform="linux"),
        30,
        page,
        clock=fixed_clock,
    )
    parented(qtbot, page, dialog)
    dialog.next_step()
    await wait_signal(dialog.created)
    await settle()
    await asyncio.sleep(0.05)
    copy_height = dialog.height()
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    dialog.next_step()
    await until(dialog.check_again_button.isEnabled)
    await asyncio.sleep(0.05)
    await settle()
    update_page = dialog.stack.currentWidget()
    assert update_page is not None
    # Step 3 shows a few lines: the dialog fits them, without the copy step's height.
    assert dialog.height() < copy_height - 100
    empty = dialog.body.viewport().height() - update_page.sizeHint().height()
    assert empty < 80, f"{empty} px of empty space under step 3"
    dialog.next_step()
    await asyncio.sleep(0.05)
    await settle()
    revoke_page = dialog.stack.currentWidget()
    assert revoke_page is not None
    empty = dialog.body.viewport().height() - revoke_page.sizeHint().height()
    assert empty < 80, f"{empty} px of empty space under step 4"
    dialog.revoke_later_chosen()
