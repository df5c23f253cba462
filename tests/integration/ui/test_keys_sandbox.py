"""The keys page and its dialogs against the real sandbox over loopback HTTP.

Signed in through the real browser flow (form driver), using the real
ApiKeysService: rotation end to end, a lost create response, and each error
status reaching the person with what they typed intact.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.helpers.keys import all_texts, make_keys_page
from tests.helpers.sandbox import SandboxControls
from tests.helpers.sandbox_signin import signed_in
from tests.helpers.waiting import settle, until, wait_signal
from twinedge_desktop.api.errors import InsufficientScope
from twinedge_desktop.api.keys import new_idempotency_key
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.keyformat import is_valid_key
from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog
from twinedge_desktop.ui.keys.dialogs.create import CreateKeyDialog
from twinedge_desktop.ui.keys.dialogs.rotate import RotateKeyDialog, RotationStep
from twinedge_desktop.ui.keys.model import Column
from twinedge_desktop.ui.keys.page import KeysPage, PageState

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    """Collect the previous test's Qt objects (its qasync loop's timers) here, on the GUI
    thread. Otherwise the collector may run in the sandbox's server thread and Qt warns
    "Timers cannot be stopped from another thread", which fails the test."""
    gc.collect()
    yield
    gc.collect()


def visible(page: KeysPage, kind: type) -> list[Any]:
    return [d for d in page.findChildren(kind) if d.isVisible()]


async def create_through_dialog(
    page: KeysPage, qtbot: Any, name: str, scopes: tuple[str, ...], expiry: int | str = 90
) -> CreateKeyDialog:
    dialog = page.create_key()
    assert dialog is not None
    qtbot.keyClicks(dialog.form.name_edit, name)
    for scope in scopes:
        dialog.form.scope_boxes[scope].setChecked(True)
    dialog.form.expiry_combo.setCurrentIndex(dialog.form.expiry_combo.findData(expiry))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    return dialog


async def test_create_copy_rotate_and_revoke_end_to_end(
    sandbox: Any, qtbot: Any, messages: Any
) -> None:
    page = make_keys_page(qtbot, messages)
    async with signed_in(sandbox.base_url) as s:
        page.set_service(s.service, s.info)
        await settle(page.load_task)
        assert page.state is PageState.EMPTY

        dialog = await create_through_dialog(
            page, qtbot, "line 3 collector", ("read:telemetry", "write:telemetry")
        )
        await wait_signal(dialog.finished, timeout=15)
        await settle()
        copy = visible(page, CopyOnceDialog)[0]
        secret = copy.panel._secret
        assert secret is not None and is_valid_key(secret)
        qtbot.mouseClick(copy.panel.test_button, Qt.MouseButton.LeftButton)
        await wait_signal_text(copy.panel.test_result)
        assert "org-456" in copy.panel.test_result.text()
        copy.panel.ack_box.setChecked(True)
        copy.accept()
        old_key = page.selected_key()
        assert old_key is not None and old_key.name == "line 3 collector"

        # Rotate it, from the keyboard.
        page.activateWindow()
        await until(page.isActiveWindow)
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        rotate = visible(page, RotateKeyDialog)[0]
        assert rotate.form.selected_scopes() == ("read:telemetry", "write:telemetry")
        rotate.next_step()
        await wait_signal(rotate.created, timeout=15)
        assert rotate.step is RotationStep.COPY
        new_secret = rotate.copy_panel._secret
        assert new_secret is not None and new_secret != secret
        rotate.copy_panel.ack_box.setChecked(True)
        rotate.next_step()
        rotate.next_step()  # goes on once the old key's last use is read afresh
        await until(lambda: rotate.step is RotationStep.REVOKE, 15)
        assert "just now" in rotate.last_use.text()  # the Test above used the old key
        rotate.revoke_now_button.click()
        confirm = rotate.revoke_dialog
        assert confirm is not None
        # Used a moment ago, as the server (not the list loaded earlier) says: type its name.
        assert confirm.typed_confirmation_required
        qtbot.keyClicks(confirm.name_confirm, old_key.name)
        confirm.submit()
        await wait_signal(rotate.finished, timeout=15)

        # The server agrees: the old key is revoked, the new one is active with the same scopes.
        keys = {k.id: k for k in await s.service.list_all()}
        assert keys[old_key.id].revoked_at is not None
        new_key = rotate.new_key
        assert new_key is not None
        assert keys[new_key.id].revoked_at is None
        assert keys[new_key.id].scopes == ("read:telemetry", "write:telemetry")
        # The old key's secret no longer works; the new one does.
        with pytest.raises(Exception) as failed:
            await s.service.test_key(secret)
        assert getattr(failed.value, "status", None) == 401
        me = await s.service.test_key(new_secret)
        assert me.org == "org-456"
        # The list shows both, the old one revoked in place, and no secret anywhere.
        page.show_revoked_box.setChecked(True)
        row = page.model.row_of(old_key.id)
        assert row is not None
        assert page.model.index(row, Column.STATUS).data() == "revoked"
        texts = all_texts(page)
        assert not any(secret in t or new_secret in t for t in texts)


async def wait_signal_text(label: Any, timeout: float = 15.0) -> None:
    """Wait until an InlineMessage shows something (it is shown by the task that finished)."""
    await until(lambda: label.isVisible() and bool(label.text()), timeout)


async def test_lost_create_response_still_gives_exactly_one_key(
    sandbox: Any, sandbox_controls: SandboxControls, qtbot: Any, messages: Any
) -> None:
    page = make_keys_page(qtbot, messages)
    async with signed_in(sandbox.base_url) as s:
        page.set_service(s.service, s.info)
        await settle(page.load_task)
        # The server creates the key, then the connection drops before the answer arrives.
        sandbox_controls.fault("/v1/api-keys", method="POST", drop="after", count=1)
        dialog = await create_through_dialog(page, qtbot, "edge gateway", ("read:assets",))
        await wait_signal(dialog.finished, timeout=30)
        await settle()
        copies = visible(page, CopyOnceDialog)
        assert len(copies) == 1
        secret = copies[0].panel._secret
        assert secret is not None and is_valid_key(secret)
        keys = await s.service.list_all()
        assert [k.name for k in keys] == ["edge gateway"]
        assert secret.startswith(keys[0].prefix)
        assert page.model.rowCount() == 1
        me = await s.service.test_key(secret)
        assert "read:assets" in me.scopes


async def test_lost_response_when_every_retry_fails_then_press_create_again(
    sandbox: Any, sandbox_controls: SandboxControls, qtbot: Any, messages: Any
) -> None:
    page = make_keys_page(qtbot, messages)
    async with signed_in(sandbox.base_url) as s:
        page.set_service(s.service, s.info)
        await settle(page.load_task)
        # Enough drops to exhaust the client's own retries: the person sees an error...
        sandbox_controls.fault("/v1/api-keys", method="POST", drop="after", count=10)
        dialog = await create_through_dialog(page, qtbot, "flaky link", ("read:alerts",))
        await wait_signal_text(dialog.error, timeout=60)
        assert "safe" in dialog.error.text()
        assert dialog.form.name_edit.text() == "flaky link"
        sandbox_controls.clear_faults()
        # ...presses Create again and gets the key that was made the first time: still one.
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        await wait_signal(dialog.finished, timeout=30)
        await settle()
        keys = await s.service.list_all()
        assert [k.name for k in keys] == ["flaky link"]
        secret = visible(page, CopyOnceDialog)[0].panel._secret
        assert secret is not None and secret.startswith(keys[0].prefix)


@pytest.mark.parametrize(
    ("status", "count", "expected"),
    [
        (403, 1, "permission"),
        (422, 1, "injected by the sandbox"),
        (429, 4, "Too many requests"),  # the client waits out three 429s by itself
        (500, 4, "server had a problem"),  # and retries a 5xx for an idempotent create
    ],
)
async def test_error_statuses_show_their_message_and_keep_the_input(
    sandbox: Any,
    sandbox_controls: SandboxControls,
    qtbot: Any,
    messages: Any,
    status: int,
    count: int,
    expected: str,
) -> None:
    page = make_keys_page(qtbot, messages)
    async with signed_in(sandbox.base_url) as s:
        page.set_service(s.service, s.info)
        await settle(page.load_task)
        sandbox_controls.fault("/v1/api-keys", method="POST", status=status, count=count)
        dialog = await create_through_dialog(
            page, qtbot, "keeps its name", ("read:assets", "write:alerts"), 30
        )
        await wait_signal_text(dialog.error, timeout=60)
        assert expected.lower() in dialog.error.text().lower()
        assert dialog.isVisible()
        assert dialog.form.name_edit.text() == "keeps its name"
        assert dialog.form.selected_scopes() == ("read:assets", "write:alerts")
        assert dialog.form.expiry_combo.currentData() == 30
        assert await s.service.list_all() == []
        # Nothing lost: pressing Create again now works.
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        await wait_signal(dialog.finished, timeout=30)
        assert [k.name for k in await s.service.list_all()] == ["keeps its name"]
        assert page.state is PageState.LIST


async def test_viewer_sees_write_scopes_disabled_against_the_real_session(
    sandbox: Any, qtbot: Any, messages: Any
) -> None:
    page = make_keys_page(qtbot, messages)
    async with signed_in(sandbox.base_url, "viewer@example.com") as s:
        assert "write:assets" not in s.info.scopes
        page.set_service(s.service, s.info)
        await settle(page.load_task)
        dialog = page.create_key()
        assert dialog is not None
        assert dialog.form.scope_boxes["read:assets"].isEnabled()
        assert not dialog.form.scope_boxes["write:assets"].isEnabled()
        assert not dialog.form.scope_boxes["admin"].isEnabled()
        dialog.reject()


@pytest.mark.parametrize("kind", ["api key", "service"])
async def test_an_api_key_or_service_session_is_told_to_sign_in_as_a_person(
    sandbox: Any, qtbot: Any, messages: Any, kind: str
) -> None:
    page = make_keys_page(qtbot, messages)
    requested: list[bool] = []
    page.sign_in_requested.connect(lambda: requested.append(True))
    async with signed_in(sandbox.base_url) as s:
        expires = datetime.now(UTC) + timedelta(days=1)
        created = await s.service.create(
            "automation", ("read:assets",), expires, idempotency_key=new_idempotency_key()
        )
        session = s.session
        if kind == "api key":
            info = await session.use_api_key(created.secret)
        else:
            info = await session.sign_in_with_client_credentials(
                sandbox.service_client_id, sandbox.service_client_secret
            )
        assert info.kind is not CredentialKind.USER
        service = s.core.api_keys_for(session)
        # What the page spares the person: the real API refuses key management here.
        with pytest.raises(InsufficientScope):
            await service.list_all()
        page.set_service(service, info)
        await settle(page.load_task)
        assert page.state is PageState.NOT_A_PERSON
        assert page.load_task is None  # nothing was asked of the server
        text = page.not_a_person_text.text()
        assert "Only a person's sign-in can list, create, rotate or revoke API keys" in text
        assert not page.new_button.isEnabled() and not page.revoke_button.isEnabled()
        assert "only a person's sign-in can manage API keys" in page.new_button.toolTip()
        assert page.create_key() is None
        page.person_sign_in_button.click()
        assert requested == [True]
        assert not any(level == "error" for level, _text in messages.records)
