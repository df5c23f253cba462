"""A notifier that records what the Health page would show, for unit tests.

The real path (a D-Bus notification daemon on a private bus) is covered by
tests/integration/ui/test_health_notifications_dbus.py; here a test sees each
notification as ``(token, title, body)`` and can click one with :meth:`click`.
"""

from __future__ import annotations

from twinedge_desktop.ui.health.notifications import NotificationsUnavailable, Notifier


class FakeNotifier(Notifier):
    """Records notifications in ``shown``; ``unavailable`` makes the next ones fail."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[str, str, str]] = []
        self.unavailable = False

    async def notify(self, token: str, title: str, body: str) -> None:
        if self.unavailable:
            raise NotificationsUnavailable("no notification service in this test")
        self.shown.append((token, title, body))

    def click(self, index: int = -1) -> None:
        """The person clicks notification ``index`` (the last one by default)."""
        self.activated.emit(self.shown[index][0])
