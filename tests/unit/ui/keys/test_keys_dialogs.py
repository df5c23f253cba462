"""The API-key dialogs driven like a person would: create, copy once, revoke, rotate, details."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit

from tests.helpers.keys import (
    ENGINEER_SCOPES,
    NOW,
    VIEWER_SCOPES,
    FakeKeysService,
    TickingClock,
    all_texts,
    fixed_clock,
    make_key,
)
from tests.helpers.waiting import settle, until, wait_signal
from twinedge_desktop.api.errors import (
    InsufficientScope,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from twinedge_desktop.api.models import ApiKey, CreatedApiKey
from twinedge_desktop.keyformat import display_prefix, generate_key
from twinedge_desktop.ui.common.clipboard import KDE_HINT_FORMAT, SecretClipboard
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.copy_once import NOT_SHOWN_AGAIN, CopyOnceDialog
from twinedge_desktop.ui.keys.dialogs.create import CreateKeyDialog
from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog
from twinedge_desktop.ui.keys.dialogs.form import NAME_MAX, NEVER_WARNING
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.keys.dialogs.rotate import RotateKeyDialog, RotationStep, rotated_name

# Qt's offscreen platform warns on every shown top-level window; not a problem in the code.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def runner(messages: Any) -> TaskRunner:
    return TaskRunner(messages)


@pytest.fixture
def service() -> FakeKeysService:
    return FakeKeysService()


@pytest.fixture
def clipboard(qtbot: Any) -> Any:
    board = QGuiApplication.clipboard()
    board.clear()
    yield board
    board.clear()


def create_dialog(
    qtbot: Any,
    service: FakeKeysService,
    runner: TaskRunner,
    scopes: tuple[str, ...] | None = ENGINEER_SCOPES,
) -> CreateKeyDialog:
    dialog = CreateKeyDialog(service, runner, scopes, clock=fixed_clock)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


# -- create -------------------------------------------------------------------------------


def test_name_is_validated_as_you_type(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    dialog = create_dialog(qtbot, service, runner)
    form = dialog.form
    assert form.name_error.isHidden()  # nothing typed yet: no scolding
    qtbot.keyClicks(form.name_edit, "x" * 65)
    assert form.name_error.isVisible()
    assert "65" in form.name_error.text() and "64" in form.name_error.text()
    form.name_edit.backspace()
    assert form.name_error.isHidden()
    assert form.name_count.text() == "64/64"
    form.name_edit.clear()
    assert form.name_error.isVisible() and "name" in form.name_error.text()


def test_the_create_dialog_grows_for_an_error_and_shrinks_back_when_it_goes(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    # Review defect: Create key grew when an error appeared and never shrank after it went.
    dialog = create_dialog(qtbot, service, runner)
    qtbot.waitExposed(dialog)
    qtbot.wait(50)
    before = dialog.height()
    dialog.error.show_message(
        "The TwinEdge server had a problem (HTTP 500). Trying again is safe: it cannot "
        "make a second key. " * 3
    )
    qtbot.waitUntil(lambda: dialog.height() > before, timeout=2000)
    dialog.error.clear_message()
    qtbot.waitUntil(lambda: dialog.height() == before, timeout=2000)


def test_submit_shows_every_problem_and_sends_nothing(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    dialog = create_dialog(qtbot, service, runner)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.form.name_error.isVisible()
    assert dialog.form.scopes_error.isVisible()
    assert "at least one scope" in dialog.form.scopes_error.text()
    assert service.create_calls == []
    assert dialog.isVisible()


def test_viewer_cannot_grant_write_or_admin(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    dialog = create_dialog(qtbot, service, runner, VIEWER_SCOPES)
    boxes = dialog.form.scope_boxes
    for scope in VIEWER_SCOPES:
        assert boxes[scope].isEnabled()
    for scope in ("write:assets", "write:telemetry", "write:alerts", "admin"):
        assert not boxes[scope].isEnabled()
        assert "cannot grant" in boxes[scope].toolTip()
        assert "does not have it" in boxes[scope].accessibleDescription()
    assert dialog.form.restricted_note.isVisible()


def test_admin_may_grant_everything(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    dialog = create_dialog(qtbot, service, runner, ("admin",))
    assert all(box.isEnabled() for box in dialog.form.scope_boxes.values())
    assert dialog.form.restricted_note.isHidden()
    dialog.form.scope_boxes["admin"].setChecked(True)
    assert dialog.form.admin_warning.isVisible()
    assert "full access" in dialog.form.admin_warning.text()


def test_engineer_cannot_grant_admin(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    dialog = create_dialog(qtbot, service, runner, ENGINEER_SCOPES)
    assert not dialog.form.scope_boxes["admin"].isEnabled()
    assert dialog.form.scope_boxes["write:alerts"].isEnabled()


def test_expiry_presets_custom_and_never(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    dialog = create_dialog(qtbot, service, runner)
    form = dialog.form
    assert form.expires_at() == NOW + timedelta(days=90)  # the seed's 90-day rotation
    form.expiry_combo.setCurrentIndex(form.expiry_combo.findData(30))
    assert form.expires_at() == NOW + timedelta(days=30)
    assert form.never_warning.isHidden()
    form.expiry_combo.setCurrentIndex(form.expiry_combo.findData("never"))
    assert form.expires_at() is None
    assert form.never_warning.isVisible() and form.never_warning.text() == NEVER_WARNING
    form.expiry_combo.setCurrentIndex(form.expiry_combo.findData("custom"))
    assert form.expiry_date.isEnabled()
    form.expiry_date.setDate(form.expiry_date.date().addDays(3))
    expires = form.expires_at()
    assert expires is not None
    local = expires.astimezone()
    assert (local.hour, local.minute) == (23, 59)


async def test_create_sends_the_form_and_reports_the_key(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    dialog = create_dialog(qtbot, service, runner)
    qtbot.keyClicks(dialog.form.name_edit, "  CI deploys  ")
    dialog.form.scope_boxes["read:assets"].setChecked(True)
    dialog.form.scope_boxes["write:alerts"].setChecked(True)
    received: list[CreatedApiKey] = []
    dialog.created.connect(received.append)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and dialog.progress.isVisible()
    await wait_signal(dialog.finished)
    assert len(received) == 1 and received[0].key.name == "CI deploys"
    call = service.create_calls[0]
    assert call.name == "CI deploys"
    assert call.scopes == ("read:assets", "write:alerts")
    assert call.expires_at == NOW + timedelta(days=90)
    assert call.idempotency_key == dialog.idempotency_key
    assert dialog.result() == QDialog.DialogCode.Accepted


async def test_lost_response_retry_reuses_the_idempotency_key(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    # The clock moves between attempts: the retry must still send the identical body.
    dialog = CreateKeyDialog(service, runner, ENGINEER_SCOPES, clock=TickingClock())  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.form.name_edit, "collector")
    dialog.form.scope_boxes["read:telemetry"].setChecked(True)
    service.fail["create_after"] = NetworkError()
    received: list[CreatedApiKey] = []
    dialog.created.connect(received.append)
    dialog.submit()
    await settle(runner_task(runner))
    assert dialog.error.isVisible() and "safe" in dialog.error.text()
    assert dialog.form.name_edit.text() == "collector"  # nothing typed is lost
    assert dialog.isVisible() and received == []
    assert dialog.form.scope_boxes["read:telemetry"].isChecked()
    dialog.submit()
    await wait_signal(dialog.finished)
    assert [c.idempotency_key for c in service.create_calls] == [dialog.idempotency_key] * 2
    assert service.create_calls[0].expires_at == service.create_calls[1].expires_at
    assert len(service.keys) == 1  # exactly one key exists
    assert len(received) == 1 and received[0].key.id == service.keys[0].id


def runner_task(runner: TaskRunner) -> Any:
    tasks = list(runner._tasks)  # the one request in flight
    assert len(tasks) == 1
    return tasks[0]


@pytest.mark.parametrize(
    ("error", "where", "expected"),
    [
        (
            ValidationFailed("A key with this name already exists.", status=422, field="name"),
            "name",
            "already exists",
        ),
        (ValidationFailed("Unknown scope.", status=422, field="scopes"), "scopes", "Unknown scope"),
        (ValidationFailed("Bad expiry.", status=422, field="expires_at"), "expiry", "Bad expiry"),
        (ValidationFailed("Something else.", status=422, field=None), "general", "Something else"),
        (InsufficientScope(status=403), "general", "permission"),
        (RateLimited(status=429, retry_after=12), "general", "wait about 12 s"),
        (ServerError(status=500), "general", "server had a problem"),
    ],
)
async def test_errors_show_inline_and_keep_the_input(
    qtbot: Any,
    service: FakeKeysService,
    runner: TaskRunner,
    messages: Any,
    error: Exception,
    where: str,
    expected: str,
) -> None:
    dialog = create_dialog(qtbot, service, runner)
    qtbot.keyClicks(dialog.form.name_edit, "line 3 gateway")
    dialog.form.scope_boxes["read:alerts"].setChecked(True)
    dialog.form.expiry_combo.setCurrentIndex(dialog.form.expiry_combo.findData(60))
    service.fail["create"] = error
    dialog.submit()
    await settle(runner_task(runner))
    label = {
        "name": dialog.form.name_error,
        "scopes": dialog.form.scopes_error,
        "expiry": dialog.form.expiry_error,
        "general": dialog.error,
    }[where]
    assert label.isVisible() and expected in label.text()
    assert dialog.isVisible() and not dialog.busy
    assert dialog.form.name_edit.text() == "line 3 gateway"
    assert dialog.form.selected_scopes() == ("read:alerts",)
    assert dialog.form.expiry_combo.currentData() == 60
    assert dialog.create_button.isEnabled() and not dialog.form.name_edit.isReadOnly()
    assert messages.records == []  # shown inline, not also as a global error


# -- copy once ----------------------------------------------------------------------------


def created_key(name: str = "deploy bot") -> CreatedApiKey:
    secret = generate_key()
    key = make_key(name, key_id="key_new", prefix=display_prefix(secret), created_days_ago=0)
    return CreatedApiKey(key=key, secret=secret)


def copy_dialog(
    qtbot: Any,
    service: FakeKeysService,
    runner: TaskRunner,
    created: CreatedApiKey,
    board: SecretClipboard | None = None,
) -> CopyOnceDialog:
    board = board or SecretClipboard(platform="linux")
    dialog = CopyOnceDialog(
        created,
        service,
        runner,
        board,
        30,  # type: ignore[arg-type]
        api_base="https://api.example.test/v1",
    )
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def snippet_texts(panel: Any) -> list[str]:
    return [view.toPlainText() for view in panel.snippet_edits]


def test_key_is_masked_until_revealed(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    created = created_key()
    dialog = copy_dialog(qtbot, service, runner, created)
    panel = dialog.panel
    assert panel.key_edit.echoMode() == QLineEdit.EchoMode.Password
    assert panel.key_edit.displayText() != created.secret
    assert all(created.secret not in text for text in snippet_texts(panel))
    # The snippets that hold the key show its prefix, the rest bullets.
    assert [created.key.prefix in text for text in snippet_texts(panel)][:3] == [True] * 3
    assert created.secret not in dialog.windowTitle()
    qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    assert panel.key_edit.echoMode() == QLineEdit.EchoMode.Normal
    snippets = snippet_texts(panel)
    assert snippets[0] == f"export TWINEDGE_API_KEY={created.secret}"
    assert snippets[1] == f"TWINEDGE_API_KEY={created.secret}"
    assert f'-H "Authorization: Bearer {created.secret}"' in snippets[2]
    assert '"https://api.example.test/v1/assets"' in snippets[2]  # read:assets: assets
    qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    assert panel.key_edit.echoMode() == QLineEdit.EchoMode.Password
    assert all(created.secret not in text for text in snippet_texts(panel))


def test_copy_marks_the_secret_and_counts_down(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner, clipboard: QClipboard
) -> None:
    created = created_key()
    dialog = copy_dialog(qtbot, service, runner, created)
    qtbot.mouseClick(dialog.panel.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == created.secret
    mime = clipboard.mimeData()
    assert bytes(mime.data(KDE_HINT_FORMAT).data()) == b"secret"
    assert "30 s" in dialog.panel.countdown.text()
    qtbot.mouseClick(dialog.panel.snippet_buttons[0], Qt.MouseButton.LeftButton)
    assert clipboard.text() == f"export TWINEDGE_API_KEY={created.secret}"


def test_done_needs_the_acknowledgement_and_wipes_the_secret(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    created = created_key()
    dialog = copy_dialog(qtbot, service, runner, created)
    qtbot.mouseClick(dialog.panel.reveal_button, Qt.MouseButton.LeftButton)
    assert not dialog.done_button.isEnabled()
    dialog.accept()  # even forced, it does not close
    assert dialog.isVisible()
    dialog.panel.ack_box.setChecked(True)
    assert dialog.done_button.isEnabled()
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert_wiped(dialog, created.secret)


def assert_wiped(dialog: Any, secret: str) -> None:
    panel = dialog.panel if hasattr(dialog, "panel") else dialog.copy_panel
    assert not panel.holds_secret
    assert panel._created is None and panel._secret is None
    assert panel.key_edit.text() == ""
    assert all(text == "" for text in snippet_texts(panel))
    assert all(secret not in snippet.text for snippet in panel._snippets)
    assert not any(secret in text for text in all_texts(dialog))


def test_closing_without_acknowledging_asks_first(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    created = created_key()
    dialog = copy_dialog(qtbot, service, runner, created)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    box = dialog.confirmation
    assert box is not None and box.isVisible()
    assert box.text() == NOT_SHOWN_AGAIN
    box.back_button.click()
    assert dialog.isVisible() and dialog.panel.holds_secret
    dialog.close()
    box = dialog.confirmation
    assert box is not None
    box.close_button.click()
    assert not dialog.isVisible()
    assert_wiped(dialog, created.secret)


async def test_test_key_calls_the_api_with_the_new_key(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    created = created_key()
    dialog = copy_dialog(qtbot, service, runner, created)
    qtbot.mouseClick(dialog.panel.test_button, Qt.MouseButton.LeftButton)
    await settle(runner_task(runner))
    assert service.tested_secrets == [created.secret]
    assert dialog.panel.test_result.isVisible()
    assert "org-456" in dialog.panel.test_result.text()
    service.fail["test"] = ServerError(status=503)
    qtbot.mouseClick(dialog.panel.test_button, Qt.MouseButton.LeftButton)
    await settle(runner_task(runner))
    assert dialog.panel.test_error.isVisible()
    assert "did not work" in dialog.panel.test_error.text()


# -- revoke -------------------------------------------------------------------------------


def revoke_dialog(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner, key: ApiKey
) -> RevokeKeyDialog:
    dialog = RevokeKeyDialog(key, service, runner, clock=fixed_clock)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


async def test_revoke_unused_key_confirms_with_one_click(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    key = make_key("old build", scopes=("read:assets", "write:assets"), last_used_days_ago=30)
    service.keys.append(key)
    dialog = revoke_dialog(qtbot, service, runner, key)
    texts = all_texts(dialog)
    assert "old build" in texts and f"{key.prefix}…" in texts
    assert "read:assets, write:assets" in texts
    assert any(t.startswith("30 days ago") for t in texts)
    assert not dialog.typed_confirmation_required
    assert dialog.revoke_button.isEnabled()
    revoked: list[ApiKey] = []
    dialog.revoked.connect(revoked.append)
    qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
    await wait_signal(dialog.finished)
    assert service.revoke_calls == [key.id]
    assert revoked[0].id == key.id and revoked[0].revoked_at == NOW


async def test_recently_used_key_needs_its_name_typed(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    key = make_key("plant-gateway", last_used_days_ago=2)
    dialog = revoke_dialog(qtbot, service, runner, key)
    assert dialog.typed_confirmation_required
    assert not dialog.revoke_button.isEnabled()
    qtbot.keyClicks(dialog.name_confirm, "plant-gatewa")
    assert not dialog.revoke_button.isEnabled()
    dialog.submit()  # also not by calling it directly
    assert service.revoke_calls == []
    qtbot.keyClick(dialog.name_confirm, Qt.Key.Key_Return)  # Enter with the wrong name: nothing
    assert dialog.isVisible() and service.revoke_calls == []
    qtbot.keyClicks(dialog.name_confirm, "y")
    assert dialog.revoke_button.isEnabled()
    qtbot.keyClick(dialog.name_confirm, Qt.Key.Key_Return)  # from the keyboard: revokes
    await wait_signal(dialog.finished)
    assert service.revoke_calls == [key.id]
    assert dialog.result() == QDialog.DialogCode.Accepted


async def test_revoke_404_counts_as_done(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    key = make_key("already gone")
    service.fail["revoke"] = NotFound(status=404)
    dialog = revoke_dialog(qtbot, service, runner, key)
    revoked: list[ApiKey] = []
    dialog.revoked.connect(revoked.append)
    dialog.submit()
    await wait_signal(dialog.finished)
    assert revoked and revoked[0].revoked_at is not None


async def test_revoke_error_is_inline_and_keeps_the_typed_name(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    key = make_key("plant-gateway", last_used_days_ago=1)
    service.fail["revoke"] = ServerError(status=500)
    dialog = revoke_dialog(qtbot, service, runner, key)
    qtbot.keyClicks(dialog.name_confirm, "plant-gateway")
    dialog.submit()
    await settle(runner_task(runner))
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "server had a problem" in dialog.error.text()
    assert dialog.name_confirm.text() == "plant-gateway"
    assert dialog.revoke_button.isEnabled()


# -- details ------------------------------------------------------------------------------


def test_details_show_everything_but_the_secret(qtbot: Any) -> None:
    key = make_key("reporting", scopes=("read:alerts",), last_used_days_ago=3, expires_in_days=10)
    dialog = KeyDetailsDialog(key, reminder="Rotated: revoke me", clock=fixed_clock)
    qtbot.addWidget(dialog)
    texts = all_texts(dialog)
    assert "reporting" in texts and key.id in texts
    assert any("read:alerts — View alerts" in t for t in texts)
    assert any("expires within 14 days" in t for t in texts)
    assert "Rotated: revoke me" in texts
    requested: list[ApiKey] = []
    dialog.rotate_requested.connect(requested.append)
    dialog.open()
    dialog.rotate_button.click()
    assert requested == [key] and not dialog.isVisible()


# -- rotate -------------------------------------------------------------------------------


def rotate_dialog(
    qtbot: Any,
    service: FakeKeysService,
    runner: TaskRunner,
    key: ApiKey,
    scopes: tuple[str, ...] = ENGINEER_SCOPES,
) -> RotateKeyDialog:
    dialog = RotateKeyDialog(
        key,
        service,
        runner,
        scopes,  # type: ignore[arg-type]
        SecretClipboard(platform="linux"),
        30,
        clock=fixed_clock,
    )
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


async def test_rotation_walks_through_every_step_and_revokes_now(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    old = make_key(
        "telemetry pusher",
        scopes=("read:telemetry", "write:telemetry"),
        created_days_ago=20,
        expires_in_days=40,
        last_used_days_ago=1,
    )
    service.keys.append(old)
    # The list the rotation starts from is older than the server: there, unused.
    listed = replace(old, last_used_at=None)
    dialog = rotate_dialog(qtbot, service, runner, listed)
    updated: list[ApiKey] = []
    dialog.old_updated.connect(updated.append)
    form = dialog.form
    assert form.selected_scopes() == ("read:telemetry", "write:telemetry")
    assert form.expiry_combo.currentData() == 60  # the old key's 60-day policy
    assert form.name().startswith("telemetry pusher (rotated")
    created: list[ApiKey] = []
    revoked: list[ApiKey] = []
    dialog.created.connect(created.append)
    dialog.old_revoked.connect(revoked.append)
    dialog.next_step()
    await wait_signal(dialog.created)
    assert dialog.step is RotationStep.COPY
    new_secret = dialog.copy_panel._secret  # type: ignore[union-attr]
    assert new_secret is not None
    assert not dialog.next_button.isEnabled()
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert dialog.step is RotationStep.UPDATE
    assert not dialog.copy_panel.holds_secret  # type: ignore[union-attr]
    # The last use is read afresh from the server, not taken from the list.
    await until(lambda: "1 day ago" in dialog.last_use.text())
    assert updated == [old]
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert dialog.step is RotationStep.REVOKE
    qtbot.mouseClick(dialog.revoke_now_button, Qt.MouseButton.LeftButton)
    confirm = dialog.revoke_dialog
    # Used yesterday (says the server): revoking asks for the name.
    assert confirm is not None and confirm.typed_confirmation_required
    qtbot.keyClicks(confirm.name_confirm, "telemetry pusher")
    confirm.submit()
    await wait_signal(dialog.finished)
    assert [c.scopes for c in service.create_calls] == [("read:telemetry", "write:telemetry")]
    assert service.revoke_calls == [old.id]
    assert len(created) == 1 and revoked[0].id == old.id
    assert not any(new_secret in text for text in all_texts(dialog))


async def test_rotation_retries_a_lost_response_with_the_same_request(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    # The rotation sends its new key through the same submission as "Create API key".
    old = make_key("ingest", scopes=("write:telemetry",))  # a 90-day policy: from the clock
    service.keys.append(old)
    dialog = RotateKeyDialog(
        old,
        service,  # type: ignore[arg-type]
        runner,
        ENGINEER_SCOPES,
        SecretClipboard(platform="linux"),
        30,
        clock=TickingClock(),  # the retry must send the identical body all the same
    )
    qtbot.addWidget(dialog)
    dialog.open()
    service.fail["create_after"] = NetworkError()
    dialog.next_step()
    assert dialog.progress.isVisible() and not dialog.next_button.isEnabled()
    await settle(runner_task(runner))
    assert dialog.step is RotationStep.CREATE
    assert "Trying again is safe" in dialog.create_error.text()
    assert dialog.next_button.isEnabled() and not dialog.progress.isVisible()
    dialog.next_step()
    await wait_signal(dialog.created)
    assert [c.idempotency_key for c in service.create_calls] == [dialog.idempotency_key] * 2
    assert service.create_calls[0] == service.create_calls[1]
    assert len([k for k in service.keys if k.id != old.id]) == 1  # exactly one new key
    assert dialog.step is RotationStep.COPY


async def test_rotation_checks_the_old_keys_last_use_again_and_says_when_it_cannot(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    old = make_key("pusher", last_used_days_ago=3)
    service.keys.append(old)
    dialog = rotate_dialog(qtbot, service, runner, old)
    dialog.next_step()
    await wait_signal(dialog.created)
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    service.fail["find"] = NetworkError("The connection dropped.")
    dialog.next_step()
    await until(lambda: "Could not check" in dialog.last_use.text())
    assert "3 days ago" in dialog.last_use.text()  # the last known use, said as such
    assert dialog.check_again_button.isEnabled()
    # An application used it a minute ago: "Check again" shows it.
    service.keys[0] = replace(old, last_used_at=NOW - timedelta(minutes=1))
    qtbot.mouseClick(dialog.check_again_button, Qt.MouseButton.LeftButton)
    await until(lambda: "1 minute ago" in dialog.last_use.text())
    # Revoked and gone from the list elsewhere: said so.
    service.keys.clear()
    qtbot.mouseClick(dialog.check_again_button, Qt.MouseButton.LeftButton)
    await until(lambda: "no longer listed" in dialog.last_use.text())


async def test_next_while_the_last_use_is_read_goes_on_once_it_is_known(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    old = make_key("pusher")
    service.keys.append(replace(old, last_used_at=NOW - timedelta(hours=2)))
    dialog = rotate_dialog(qtbot, service, runner, old)  # the list said: never used
    dialog.next_step()
    await wait_signal(dialog.created)
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    service.find_gate = asyncio.Event()
    dialog.next_step()
    assert dialog.step is RotationStep.UPDATE and "Checking" in dialog.last_use.text()
    dialog.next_step()  # pressed before the answer: waits for it
    await settle()
    assert dialog.step is RotationStep.UPDATE
    service.find_gate.set()
    await until(lambda: dialog.step is RotationStep.REVOKE)
    qtbot.mouseClick(dialog.revoke_now_button, Qt.MouseButton.LeftButton)
    confirm = dialog.revoke_dialog
    assert confirm is not None and confirm.typed_confirmation_required  # used 2 hours ago


async def test_a_failed_check_keeps_step_3_and_revoking_then_asks_for_the_name(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    old = make_key("pusher")  # never used, as far as anyone knows
    service.keys.append(old)
    dialog = rotate_dialog(qtbot, service, runner, old)
    dialog.next_step()
    await wait_signal(dialog.created)
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    service.find_gate = asyncio.Event()
    service.fail["find"] = NetworkError()
    dialog.next_step()
    dialog.next_step()  # Next before the answer...
    service.find_gate.set()
    await until(lambda: "Could not check" in dialog.last_use.text())
    await settle()
    assert dialog.step is RotationStep.UPDATE  # ...which is a failure: stay, and say so
    assert dialog.last_use.isVisible()
    dialog.next_step()  # the person goes on knowingly
    assert dialog.step is RotationStep.REVOKE
    qtbot.mouseClick(dialog.revoke_now_button, Qt.MouseButton.LeftButton)
    confirm = dialog.revoke_dialog
    assert confirm is not None and confirm.typed_confirmation_required
    assert "could not be checked" in " ".join(all_texts(confirm))


async def test_a_key_revoked_elsewhere_meanwhile_ends_the_rotation_without_a_reminder(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    old = make_key("pusher")
    service.keys.append(replace(old, revoked_at=NOW))
    dialog = rotate_dialog(qtbot, service, runner, old)
    later: list[Any] = []
    updated: list[ApiKey] = []
    dialog.revoke_later.connect(lambda *args: later.append(args))
    dialog.old_updated.connect(updated.append)
    dialog.next_step()
    await wait_signal(dialog.created)
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    dialog.next_step()
    await until(lambda: "already revoked" in dialog.last_use.text())
    assert updated and updated[0].revoked_at is not None  # the list row follows
    assert dialog.next_button.text() == "&Finish"
    dialog.next_step()
    assert not dialog.isVisible()
    assert later == [] and service.revoke_calls == []


async def test_rotation_later_leaves_a_reminder(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    old = make_key("nightly export", expires_in_days=None, created_days_ago=300)
    service.keys.append(old)
    dialog = rotate_dialog(qtbot, service, runner, old)
    assert dialog.form.expiry_combo.currentData() == "never"
    later: list[tuple[ApiKey, str]] = []
    dialog.revoke_later.connect(lambda key, text: later.append((key, text)))
    dialog.next_step()
    await wait_signal(dialog.created)
    dialog.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    dialog.next_step()
    dialog.next_step()
    await until(lambda: dialog.step is RotationStep.REVOKE)
    qtbot.mouseClick(dialog.later_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert service.revoke_calls == []
    assert later[0][0] == old and "Revoke this key" in later[0][1]
    assert service.create_calls[0].expires_at is None


async def test_rotation_for_a_viewer_drops_scopes_they_cannot_grant(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    old = make_key("mixed", scopes=("read:assets", "write:assets"))
    dialog = rotate_dialog(qtbot, service, runner, old, VIEWER_SCOPES)
    assert dialog.form.selected_scopes() == ("read:assets",)
    assert dialog.dropped_note.isVisible() and "write:assets" in dialog.dropped_note.text()


def test_a_message_given_before_its_label_is_placed_never_opens_a_window(qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from twinedge_desktop.ui.common.inline_message import InlineMessage

    windows_before = set(QApplication.topLevelWidgets())
    message = InlineMessage("warning")
    message.show_message("Copy your new key now.")
    # Shown on its own it would be a window for a moment, and take the keyboard focus.
    assert not message.isVisible()
    assert not [
        w for w in QApplication.topLevelWidgets() if w.isVisible() and w not in windows_before
    ]
    holder = QWidget()
    qtbot.addWidget(holder)
    QVBoxLayout(holder).addWidget(message)
    holder.show()
    assert message.isVisible() and message.text() == "Copy your new key now."
    message.clear_message()
    assert message.isHidden()
    # Given before it is placed into a window already on screen, it shows too.
    late = InlineMessage("error")
    late.show_message("Something failed.")
    layout = holder.layout()
    assert layout is not None
    layout.addWidget(late)
    qtbot.waitUntil(lambda: late.isVisible() and not late.isHidden(), timeout=1000)
    holder.hide()
    holder.show()
    assert late.isVisible()  # and stays so: not marked hidden behind its back


# -- issue 11: rotated names, and Enter never destroys ------------------------------------


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ("gateway", "gateway (rotated 2026-11-27)"),
        ("gateway (rotated 2026-08-29)", "gateway (rotated 2026-11-27)"),
        # What the earlier version made of a name rotated twice: cut, then another suffix.
        ("gateway (rotated 2026-12 (rotated 2026-12-04)", "gateway (rotated 2026-11-27)"),
        ("gateway (rotated", "gateway (rotated 2026-11-27)"),
        ("(rotated 2026-01-01)", "(rotated 2026-11-27)"),
    ],
)
def test_a_rotated_name_replaces_the_earlier_suffix(old: str, expected: str) -> None:
    assert rotated_name(old, NOW) == expected


def test_a_long_rotated_name_keeps_its_suffix_whole_within_the_limit() -> None:
    long = "Plant 3 north line telemetry collector for the compressor station"  # 66
    name = rotated_name(long + " (rotated 2026-08-29)", NOW)
    assert len(name) <= NAME_MAX
    assert name.endswith("… (rotated 2026-11-27)")
    assert name.startswith("Plant 3 north line telemetry collector")
    assert name.count("rotated") == 1
    again = rotated_name(name, NOW + timedelta(days=90))
    assert len(again) <= NAME_MAX and again.count("rotated") == 1
    assert again.endswith(" (rotated 2027-02-25)")


def destructive_buttons(dialog: Any) -> list[Any]:
    """The buttons that destroy at once: destructive role or "danger" look, except those
    whose "…" says they open a confirmation first (which is tested on its own)."""
    from PySide6.QtWidgets import QDialogButtonBox, QPushButton

    found = []
    for box in dialog.findChildren(QDialogButtonBox):
        for button in box.buttons():
            if box.buttonRole(button) == QDialogButtonBox.ButtonRole.DestructiveRole:
                found.append(button)
    found += [b for b in dialog.findChildren(QPushButton) if b.property("danger")]
    return [b for b in found if not b.text().endswith("…")]


async def test_enter_right_after_delete_does_not_revoke_a_never_used_key(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    key = make_key("never used")  # no typed confirmation: one keystroke away before
    service.keys.append(key)
    window = QWidget()  # the page under the dialog: closing the dialog is not quitting
    qtbot.addWidget(window)
    window.show()

    def revoke_dialog(*_args: Any) -> RevokeKeyDialog:
        made = RevokeKeyDialog(key, service, runner, window, clock=fixed_clock)  # type: ignore[arg-type]
        made.open()
        return made

    dialog = revoke_dialog()
    dialog.activateWindow()
    await until(dialog.isActiveWindow)
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, Qt.Key.Key_Return)
    await settle()
    assert service.revoke_calls == []
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert focus is dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    # Tabbing onto "Revoke key" does not make Enter revoke either: Space does.
    again = revoke_dialog()
    again.revoke_button.setFocus()
    qtbot.keyClick(again.revoke_button, Qt.Key.Key_Return)
    await settle()
    assert service.revoke_calls == []
    qtbot.keyClick(again.revoke_button, Qt.Key.Key_Space)
    await wait_signal(again.finished)
    assert service.revoke_calls == [key.id]


async def test_no_keys_dialog_has_a_destructive_default(
    qtbot: Any, service: FakeKeysService, runner: TaskRunner
) -> None:
    key = make_key("pusher", last_used_days_ago=30)
    service.keys.append(key)
    details = KeyDetailsDialog(key, clock=fixed_clock)
    qtbot.addWidget(details)
    details.open()
    revoke = revoke_dialog(qtbot, service, runner, key)
    rotate = rotate_dialog(qtbot, service, runner, key)
    copy = copy_dialog(qtbot, service, runner, created_key())
    create = create_dialog(qtbot, service, runner)
    for dialog in (details, revoke, copy, create, rotate):
        for button in destructive_buttons(dialog):
            assert not button.isDefault(), (dialog.windowTitle(), button.text())
            assert not button.autoDefault(), (dialog.windowTitle(), button.text())
    # The rotation's last step: its "Revoke old key now…" opens the confirmation, whose
    # default is Cancel.
    rotate.next_step()
    await wait_signal(rotate.created)
    rotate.copy_panel.ack_box.setChecked(True)  # type: ignore[union-attr]
    rotate.next_step()
    rotate.next_step()
    await until(lambda: rotate.step is RotationStep.REVOKE)
    rotate.revoke_now_button.click()
    confirm = rotate.revoke_dialog
    assert confirm is not None and confirm.cancel_button.isDefault()
    qtbot.keyClick(confirm.cancel_button, Qt.Key.Key_Return)
    await settle()
    assert service.revoke_calls == []
    # Closing the copy step unstored: "Go back" is the default of the question.
    copy.reject()
    assert copy.confirmation is not None
    assert copy.confirmation.defaultButton() is copy.confirmation.back_button
    copy.confirmation.back_button.click()
    await settle()
    assert copy.isVisible()
