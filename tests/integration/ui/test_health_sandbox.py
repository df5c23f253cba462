"""The Health page against the real sandbox's demo data, over loopback HTTP.

The sandbox starts with its demo keys (``sandbox/demo.py``: one per kind of finding, and a
healthy one) and their usage history; the person signs in through the real browser flow
(form driver). The Health page and the API Keys page are wired by the shell's own routes
(``ui/shell/routes.py``), so each finding's action runs the keys page's real flow against
the server: rotate starts the guided rotation, revoke revokes, the replacements create
keys with an expiry or narrower scopes, and "look at its usage" shows the server's report.
The last test opens the whole window at its minimum size on the same data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.helpers.health import collect_qt_garbage_on_the_main_thread, make_health_page
from tests.helpers.keys import all_texts, make_keys_page
from tests.helpers.layout import assert_layout_fits
from tests.helpers.sandbox_signin import signed_in
from tests.helpers.waiting import expect, settle, until, wait_signal
from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread
from twinedge_desktop.timefmt import utc_now
from twinedge_desktop.ui.common.page import PageInfo
from twinedge_desktop.ui.health.page import HealthPage, HealthState
from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog
from twinedge_desktop.ui.keys.dialogs.create import CreateKeyDialog
from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.keys.dialogs.rotate import RotateKeyDialog, RotationStep
from twinedge_desktop.ui.keys.page import KeysPage
from twinedge_desktop.ui.shell.routes import PageRoutes

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")
__all__ = ["collect_qt_garbage_on_the_main_thread"]  # autouse: see tests/helpers/health.py
K = FindingKind
TIMEOUT = 30.0


@pytest.fixture
def demo_sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(demo_data=True, test_controls=True)
    try:
        yield running
    finally:
        running.stop()


def wire(keys: KeysPage, health: HealthPage) -> PageRoutes:
    """The shell's routes between the two pages, as the window makes them."""
    routes = PageRoutes(lambda *args: None, lambda key: None)
    for key, page in (("keys", keys), ("health", health)):
        routes.page_installed(PageInfo(key, key, "key", "x", lambda c: None), page)  # type: ignore[arg-type,return-value]
    return routes


def visible(page: KeysPage, kind: type) -> list[Any]:
    return [d for d in page.findChildren(kind) if d.isVisible()]


def finding(health: HealthPage, key_id: str) -> Any:
    return next(row for row in health.model.all_rows() if row.key.id == key_id)


async def act(health: HealthPage, key_id: str) -> None:
    """Press the finding's action button in the details, as a person would."""
    assert health.select_finding(finding(health, key_id).id)
    health.action_button.click()
    await settle()


async def test_every_kind_of_finding_on_the_demo_data_and_every_action_works(
    demo_sandbox: RunningSandbox, qtbot: Any, messages: Any, tmp_path: Any
) -> None:
    keys_page = make_keys_page(qtbot, messages)
    health: HealthPage = make_health_page(
        qtbot, messages, settings_file=tmp_path / "w.ini", clock=utc_now
    )
    routes = wire(keys_page, health)
    async with signed_in(demo_sandbox.base_url) as s:
        keys_page.set_service(s.service, s.info)
        health.set_service(s.service, s.info)
        await settle(keys_page.load_task, TIMEOUT)
        await until(lambda: health.check_task is not None)
        await settle(health.check_task, TIMEOUT)
        assert health.state is HealthState.REPORT
        found = {(row.key.id, row.finding.kind) for row in health.model.all_rows()}
        assert found == {
            ("key_demo_gateway", K.UNUSUAL_ACTIVITY),
            ("key_demo_contractor", K.EXPIRES_SOON),
            ("key_demo_dashboard", K.UNUSED),
            ("key_demo_historian", K.OLDER_THAN_ROTATION),
            ("key_demo_uploader", K.UNUSED_WRITE_ACCESS),
            ("key_demo_ci", K.NEVER_EXPIRES),
        }
        assert health.summary.text() == "6 keys need attention"
        assert not [t for t in all_texts(health) if "te_" in t and "…" not in t]

        # Look at its usage: the key's details, with the server's report of the spike.
        await act(health, "key_demo_gateway")
        (details,) = visible(keys_page, KeyDetailsDialog)
        await settle(details.usage_task, TIMEOUT)
        days = details.chart.days
        busiest = max(range(len(days)), key=lambda i: days[i].requests)
        assert busiest == len(days) - 4  # three days ago, as the demo data has it
        assert days[busiest].requests == 2700  # 9x the weekday volume of 300
        assert "GET /v1/telemetry" in details.endpoints.text()
        assert details.last_use.text().endswith("from 192.0.2.10.")
        details.reject()

        # Rotate now (expires in 9 days): the guided rotation makes the new key on the server.
        await act(health, "key_demo_contractor")
        (rotation,) = visible(keys_page, RotateKeyDialog)
        assert rotation._old.id == "key_demo_contractor"
        rotation.next_step()
        await wait_signal(rotation.created, timeout=TIMEOUT)
        assert rotation.step is RotationStep.COPY
        listed = {k.id: k for k in await s.service.list_all()}
        new = rotation.new_key
        assert new is not None and listed[new.id].scopes == ("read:assets", "read:alerts")
        assert rotation.copy_panel is not None
        rotation.copy_panel.ack_box.setChecked(True)  # stored it: closing asks nothing more
        closed = expect(rotation.finished, TIMEOUT)
        rotation.reject()
        await closed

        # Rotate (older than 90 days): the same flow, for its key.
        await act(health, "key_demo_historian")
        (rotation,) = visible(keys_page, RotateKeyDialog)
        assert rotation._old.id == "key_demo_historian"
        rotation.reject()

        # Revoke (unused for 42 days): revoked on the server, gone from Health at once.
        await act(health, "key_demo_dashboard")
        (revoke,) = visible(keys_page, RevokeKeyDialog)
        if revoke.typed_confirmation_required:
            qtbot.keyClicks(revoke.name_confirm, "Old shift dashboard")
        closed = expect(revoke.finished, TIMEOUT)
        revoke.submit()
        await closed
        listed = {k.id: k for k in await s.service.list_all()}
        assert listed["key_demo_dashboard"].revoked_at is not None
        assert ("key_demo_dashboard", K.UNUSED) not in {row.id for row in health.model.all_rows()}

        # Replace with an expiring key (never expires): created with 90 days, same scopes.
        await act(health, "key_demo_ci")
        (create,) = visible(keys_page, CreateKeyDialog)
        assert create.windowTitle() == "Replace API key"
        qtbot.mouseClick(create.create_button, Qt.MouseButton.LeftButton)
        await wait_signal(create.finished, timeout=TIMEOUT)
        await settle()
        for copy in visible(keys_page, CopyOnceDialog):
            copy.panel.ack_box.setChecked(True)
            copy.accept()
        listed_now = await s.service.list_all()
        replacement = next(k for k in listed_now if k.name.startswith("CI pipeline (rotated"))
        assert replacement.scopes == ("read:assets",)
        assert replacement.expires_at is not None
        lifetime = replacement.expires_at - datetime.now(UTC)
        assert timedelta(days=89) < lifetime <= timedelta(days=90)
        assert keys_page.model.reminder_for("key_demo_ci") is not None  # revoke it later

        # Replace with a narrower key (write:telemetry never used): read:telemetry only.
        await act(health, "key_demo_uploader")
        (create,) = visible(keys_page, CreateKeyDialog)
        assert create.form.selected_scopes() == ("read:telemetry",)
        qtbot.mouseClick(create.create_button, Qt.MouseButton.LeftButton)
        await wait_signal(create.finished, timeout=TIMEOUT)
        await settle()
        for copy in visible(keys_page, CopyOnceDialog):
            copy.panel.ack_box.setChecked(True)
            copy.accept()
        narrower = next(
            k
            for k in await s.service.list_all()
            if k.name.startswith("Telemetry uploader (rotated")
        )
        assert narrower.scopes == ("read:telemetry",)

        # Checked again, the server agrees with what Health now shows.
        health.refresh()
        await settle(health.check_task, TIMEOUT)
        again = {(row.key.id, row.finding.kind) for row in health.model.all_rows()}
        assert ("key_demo_dashboard", K.UNUSED) not in again
        assert ("key_demo_gateway", K.UNUSUAL_ACTIVITY) in again
    del routes


async def test_the_window_at_its_smallest_shows_the_demo_findings(
    demo_sandbox: RunningSandbox, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole window (DesktopApp) signed in on the demo data, at 800×520, light and dark."""
    # Reminders would go to the desktop's notification service: none in a test.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from scripts.screenshots import ScriptedBrowser
    from twinedge_desktop.app import DesktopApp
    from twinedge_desktop.auth.kinds import SessionState
    from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.style import ThemeManager
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.vault import MemoryStore

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme = ThemeManager(app)
    paths = AppPaths.default()
    profiles = ProfileStore.load(paths.profiles_file)
    profiles.put(sandbox_profile(demo_sandbox.base_url), make_current=True)
    messages = MessageBridge()
    browser = ScriptedBrowser()
    desktop = DesktopApp(
        paths=paths,
        profiles=profiles,
        messages=messages,
        runner=TaskRunner(messages),
        settings=QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat),
        credential_store=MemoryStore(),
        open_browser=browser,
    )
    window = desktop.window
    try:
        window.resize(800, 520)
        window.show()
        await desktop.start()
        await until(lambda: not desktop.controller.restoring, TIMEOUT)
        window.window_actions.sign_in.trigger()  # type: ignore[union-attr]
        await until(lambda: browser.url is not None, TIMEOUT)
        browser.complete()
        await until(lambda: desktop.controller.state is SessionState.SIGNED_IN, TIMEOUT)
        window.show_page("health")
        health = window.page("health")
        assert isinstance(health, HealthPage)
        await until(lambda: health.report is not None and not health.checking, TIMEOUT)
        health_item = window.navigation.item(window.navigation.count() - 1)
        # At 800 px the navigation shows icons only: the count alone, said in full to a
        # screen reader.
        assert window.navigation.compact and health_item.text() == "6"
        assert health_item.data(11) == "Health, 6 keys need attention"
        window.show_page("health")
        for scheme in ("light", "dark"):
            theme.force(scheme)
            await asyncio.sleep(0.05)
            assert_layout_fits(window)
    finally:
        theme.force(None)
        await desktop.aclose()
        window.hide()
