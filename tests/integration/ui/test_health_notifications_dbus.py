"""Reminders through a real D-Bus notification service: a private session bus (its own
``dbus-daemon``) with a stand-in daemon process owning ``org.freedesktop.Notifications``
(tests/helpers/notification_daemon.py, written with jeepney). The app's call must arrive
with the right signature and text, and the daemon's ``ActionInvoked`` (the person clicked
the notification) must open the finding on the Health page."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.health import (
    collect_qt_garbage_on_the_main_thread,
    demo_service,
    make_health_page,
)
from tests.helpers.keychain import PrivateSecretService
from tests.helpers.keys import ENGINEER_SCOPES, session_info
from tests.helpers.waiting import expect, settle, until
from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.ui.health.notifications import (
    DESKTOP_ENTRY,
    FallbackNotifier,
    FreedesktopNotifier,
    NotificationsUnavailable,
)
from twinedge_desktop.ui.health.page import HealthPage
from twinedge_desktop.ui.health.report import finding_token

pytestmark = [
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
    pytest.mark.keychain,  # a private D-Bus session (dbus-daemon), as the keychain tests use
]
__all__ = ["collect_qt_garbage_on_the_main_thread"]  # autouse: see tests/helpers/health.py
DAEMON = Path(__file__).resolve().parents[2] / "helpers" / "notification_daemon.py"
READ_TIMEOUT = 10.0


class Daemon:
    """The stand-in notification daemon's process and its line protocol (see its module)."""

    def __init__(self, address: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(DAEMON), address],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    async def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), READ_TIMEOUT)
        assert line, "the notification daemon stopped"
        document: dict[str, Any] = json.loads(line)
        return document

    def click(self, notification: int) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"invoke": notification}) + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateSecretService]:
    service = PrivateSecretService.start(tmp_path_factory.mktemp("bus"), keyring=False)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
async def daemon(bus: PrivateSecretService) -> AsyncIterator[Daemon]:
    running = Daemon(bus.address)
    try:
        assert await running.read() == {"ready": True}
        yield running
    finally:
        running.stop()


async def test_the_call_arrives_with_the_specifications_signature_and_our_text(
    bus: PrivateSecretService, daemon: Daemon
) -> None:
    notifier = FreedesktopNotifier(bus.address)
    try:
        await notifier.notify(
            "key_1:expires_soon", "API key “CI” expires soon", "In <3> days & so on"
        )
        call = await daemon.read()
    finally:
        await notifier.aclose()
    assert call["signature"] == "susssasa{sv}i"  # replaces_id a uint32, as daemons check
    assert call["app_name"] == "TwinEdge Desktop"
    assert call["replaces_id"] == 0
    assert call["summary"] == "API key “CI” expires soon"
    # The stand-in does not claim "body-markup": the text goes as it is, not escaped.
    assert call["body"] == "In <3> days & so on"
    assert call["actions"] == ["default", "Open in TwinEdge Desktop"]
    assert call["hints"] == {"desktop-entry": DESKTOP_ENTRY}
    assert call["expire_timeout"] == -1


async def test_a_click_reaches_the_app_as_its_token(
    bus: PrivateSecretService, daemon: Daemon, qtbot: Any
) -> None:
    notifier = FreedesktopNotifier(bus.address)
    clicked: list[str] = []
    notifier.activated.connect(clicked.append)
    try:
        await notifier.notify("key_1:unusual_activity", "first", "a")
        await notifier.notify("key_2:expires_soon", "second", "b")
        first, second = await daemon.read(), await daemon.read()
        assert notifier.shown == {
            first["id"]: "key_1:unusual_activity",
            second["id"]: "key_2:expires_soon",
        }
        daemon.click(second["id"])
        await until(lambda: clicked == ["key_2:expires_soon"], READ_TIMEOUT)
        # The daemon said it closed: it is forgotten; the first stays until it closes.
        await until(lambda: second["id"] not in notifier.shown, READ_TIMEOUT)
        assert first["id"] in notifier.shown
    finally:
        await notifier.aclose()


async def test_the_health_pages_reminder_and_its_click_open_the_finding(
    bus: PrivateSecretService, daemon: Daemon, qtbot: Any, messages: Any, tmp_path: Path
) -> None:
    notifier = FreedesktopNotifier(bus.address)
    page: HealthPage = make_health_page(
        qtbot, messages, settings_file=tmp_path / "window.ini", notifier=notifier
    )
    try:
        page.set_service(demo_service(), session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
        await until(lambda: page.check_task is not None)
        await settle(page.check_task, timeout=20)
        spike = next(
            r for r in page.model.all_rows() if r.finding.kind is FindingKind.UNUSUAL_ACTIVITY
        )
        expiring = next(
            r for r in page.model.all_rows() if r.finding.kind is FindingKind.EXPIRES_SOON
        )
        calls = [await daemon.read(), await daemon.read()]
        assert [(c["summary"], c["body"]) for c in calls] == [
            ("API key “Edge gateway 7”: unusual activity", spike.finding.reason),
            ("API key “Contractor access” expires soon", expiring.finding.reason),
        ]
        page.select_finding(spike.id)  # the person looks at something else meanwhile
        shown = expect(page.show_requested, READ_TIMEOUT)
        daemon.click(calls[1]["id"])
        await shown
        current = page.current_row()
        assert current is not None and current.id == expiring.id
        assert notifier.shown.get(calls[0]["id"]) == finding_token(spike.id)
    finally:
        await notifier.aclose()


async def test_no_service_on_the_bus_falls_back(bus: PrivateSecretService) -> None:
    """A bus without a notification daemon: the D-Bus notifier says so, and the fallback
    moves on to the next way (here a stand-in that records)."""
    from tests.helpers.notifications import FakeNotifier

    lone = FreedesktopNotifier(bus.address)
    with pytest.raises(NotificationsUnavailable, match=r"ServiceUnknown|did not answer"):
        await lone.notify("t", "title", "body")
    await lone.aclose()
    recorded = FakeNotifier()
    chain = FallbackNotifier(FreedesktopNotifier(bus.address), recorded)
    await chain.notify("key_1:unused", "title", "body")
    await chain.notify("key_2:unused", "title", "body")  # the D-Bus way is not asked again
    assert [token for token, _t, _b in recorded.shown] == ["key_1:unused", "key_2:unused"]
    await chain.aclose()


async def test_no_session_bus_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(NotificationsUnavailable, match="no D-Bus session"):
        await FreedesktopNotifier().notify("t", "title", "body")
    with pytest.raises(NotificationsUnavailable):
        await FreedesktopNotifier("unix:path=/nonexistent/bus").notify("t", "title", "body")
