"""Desktop notifications for the Health page's reminders, and the click that brings a
person back to the finding.

On Linux (and other desktops with a D-Bus session) the platform's notification service,
``org.freedesktop.Notifications`` (Desktop Notifications Specification 1.2): ``Notify``
with a ``default`` action, and its ``ActionInvoked`` signal when the person clicks the
notification. Elsewhere, or when no such service answers, ``QSystemTrayIcon.showMessage``
and its ``messageClicked``.

Why D-Bus through ``jeepney`` on the asyncio loop and not Qt's own D-Bus module:
``Notify``'s second argument is a ``uint32`` (``susssasa{sv}i``), and PySide6 cannot put
one in a D-Bus message: a Python ``int`` is marshalled as ``int32`` (``i``),
``QDBusArgument << int`` as ``uint16`` (``q``), and there is no ``QVariant`` to choose the
type with; the dynamic ``QDBusInterface`` route blocks on introspection and cannot call a
method with an ``a{sv}`` argument from the introspection data (measured with PySide6
6.11.3 against the stand-in daemon in tests/helpers/notification_daemon.py). Notification
daemons check the signature (GDBus-based ones refuse the call), so that is not a detail.
(Naming the Qt module here in full would also make the bundle ship it: packaging's spec
looks for the name in the source.) ``jeepney`` (pure Python, already installed on Linux as
keyring's D-Bus library) takes the signature as written, and its asyncio connection runs
on the app's qasync loop: no thread, nothing blocks the window.

Signals (Notifier):
    activated(str): the person clicked the notification shown for this token.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from twinedge_desktop.ui.common.style import app_icon

log = logging.getLogger(__name__)

APP_NAME = "TwinEdge Desktop"
DESKTOP_ENTRY = "io.twinedge.Desktop"  # packaging/linux/io.twinedge.Desktop.desktop
BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = BUS_NAME
DEFAULT_ACTION = "default"  # the action a click on the notification itself invokes
CALL_TIMEOUT = 10.0  # a daemon being started by D-Bus activation takes a moment
TRAY_MESSAGE_MS = 15_000
# Starts a background task (the runner's ``start``, or ``asyncio.ensure_future``).
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
_REASON_DISMISSED = 2


class NotificationsUnavailable(Exception):
    """No notification service answered (no D-Bus session, no daemon, no system tray)."""


class Notifier(QObject):
    """Shows a notification; emits :attr:`activated` with its token when it is clicked.

    Signals:
        activated(str): the token given to :meth:`notify` for the clicked notification.
    """

    activated = Signal(str)

    async def notify(self, token: str, title: str, body: str) -> None:
        """Show one notification. Raises :class:`NotificationsUnavailable` when it cannot."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Let go of the connection (on quit)."""


class FreedesktopNotifier(Notifier):
    """``org.freedesktop.Notifications`` on the session bus (or the bus at ``address``).

    The connection is opened at the first notification and kept, with one task listening
    for the service's signals; a notification's id is remembered until the service says
    it closed, so a click maps back to its token.
    """

    def __init__(
        self,
        address: str | None = None,
        parent: QObject | None = None,
        *,
        spawn: Spawn = asyncio.ensure_future,
    ) -> None:
        """``spawn`` starts the task that listens for the service's signals: the app passes
        its task runner's ``start``, so the task ends with the app's others at quit."""
        super().__init__(parent)
        self._address = address
        self._spawn = spawn
        self._router: Any = None
        self._exit: contextlib.AsyncExitStack | None = None
        self._listener: asyncio.Task[None] | None = None
        self._tokens: dict[int, str] = {}
        self._markup = False
        self._opening: asyncio.Lock | None = None
        self._service: Any = None  # the service's D-Bus address, once connected

    @property
    def shown(self) -> dict[int, str]:
        """Notification ids the service gave, still open, and their tokens."""
        return dict(self._tokens)

    async def _connect(self) -> Any:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:  # one connection, also when two notifications race to open it
            if self._router is None:
                await self._open()
        return self._router

    async def _open(self) -> None:
        try:
            from jeepney import DBusAddress, MatchRule, new_method_call
            from jeepney.bus_messages import message_bus
            from jeepney.io.asyncio import open_dbus_router
        except ImportError as exc:
            raise NotificationsUnavailable(f"no D-Bus library ({exc})") from None
        address = self._address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if not address:
            raise NotificationsUnavailable("no D-Bus session")
        stack = contextlib.AsyncExitStack()
        try:
            router = await asyncio.wait_for(
                stack.enter_async_context(open_dbus_router(bus=address)), CALL_TIMEOUT
            )
            rule = MatchRule(type="signal", interface=INTERFACE, path=OBJECT_PATH)
            await asyncio.wait_for(
                router.send_and_get_reply(message_bus.AddMatch(rule)), CALL_TIMEOUT
            )
            queue = stack.enter_context(router.filter(rule, bufsize=64))
            service = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
            reply = await asyncio.wait_for(
                router.send_and_get_reply(new_method_call(service, "GetCapabilities")),
                CALL_TIMEOUT,
            )
            _raise_for_error(reply)
        except (OSError, EOFError, TimeoutError, ValueError) as exc:
            await stack.aclose()
            raise NotificationsUnavailable(
                f"the notification service did not answer ({exc})"
            ) from None
        except BaseException:
            await stack.aclose()
            raise
        self._markup = "body-markup" in reply.body[0]
        self._service = service
        self._router = router
        self._exit = stack
        self._listener = self._spawn(self._listen(queue))

    async def notify(self, token: str, title: str, body: str) -> None:
        from jeepney import new_method_call

        router = await self._connect()
        text = html.escape(body, quote=False) if self._markup else body
        call = new_method_call(
            self._service,
            "Notify",
            "susssasa{sv}i",
            (
                APP_NAME,
                0,  # replaces_id: a new notification
                DESKTOP_ENTRY,  # app_icon: the installed icon's name
                title,
                text,
                [DEFAULT_ACTION, "Open in TwinEdge Desktop"],
                {"desktop-entry": ("s", DESKTOP_ENTRY)},
                -1,  # expire_timeout: as the desktop decides
            ),
        )
        try:
            reply = await asyncio.wait_for(router.send_and_get_reply(call), CALL_TIMEOUT)
        except (OSError, EOFError, TimeoutError) as exc:
            await self.aclose()
            raise NotificationsUnavailable(
                f"the notification service did not answer ({exc})"
            ) from None
        _raise_for_error(reply)
        self._tokens[int(reply.body[0])] = token

    async def _listen(self, queue: asyncio.Queue[Any]) -> None:
        from jeepney import HeaderFields

        try:
            while True:
                message = await queue.get()
                member = message.header.fields.get(HeaderFields.member)
                if member == "ActionInvoked":
                    notification, action = message.body
                    token = self._tokens.get(int(notification))
                    if token is not None and action == DEFAULT_ACTION:
                        self.activated.emit(token)
                elif member == "NotificationClosed":
                    self._tokens.pop(int(message.body[0]), None)
        finally:
            # Cancelled (at quit, by the runner): the connection goes with the listener.
            if self._listener is asyncio.current_task():
                self._listener = None
                await self._close_connection()

    async def aclose(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        await self._close_connection()

    async def _close_connection(self) -> None:
        stack, self._exit = self._exit, None
        self._router = None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()


def _raise_for_error(reply: Any) -> None:
    from jeepney import HeaderFields, MessageType

    if reply.header.message_type is MessageType.error:
        name = reply.header.fields.get(HeaderFields.error_name, "an error")
        raise NotificationsUnavailable(f"the notification service answered {name}")


class TrayNotifier(Notifier):
    """``QSystemTrayIcon.showMessage``: Windows, macOS, and desktops without the D-Bus
    service. The icon is shown only while a message is (where the platform needs one)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray: QSystemTrayIcon | None = None
        self._last_token: str | None = None

    async def notify(self, token: str, title: str, body: str) -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            raise NotificationsUnavailable("no system tray")
        if self._tray is None:
            icon = app_icon()
            self._tray = QSystemTrayIcon(self)
            if icon is not None:
                self._tray.setIcon(icon)
            self._tray.setToolTip(APP_NAME)
            self._tray.messageClicked.connect(self._clicked)
        self._tray.show()
        self._last_token = token
        self._tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Warning, TRAY_MESSAGE_MS)

    def _clicked(self) -> None:
        # The tray says only "a message was clicked": it is the last one shown.
        if self._last_token is not None:
            self.activated.emit(self._last_token)

    async def aclose(self) -> None:
        if self._tray is not None:
            self._tray.hide()


class FallbackNotifier(Notifier):
    """The first of ``notifiers`` that works; one that fails once is not asked again."""

    def __init__(self, *notifiers: Notifier, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._notifiers = list(notifiers)
        for notifier in notifiers:
            notifier.setParent(self)
            notifier.activated.connect(self.activated)

    async def notify(self, token: str, title: str, body: str) -> None:
        while self._notifiers:
            try:
                await self._notifiers[0].notify(token, title, body)
                return
            except NotificationsUnavailable as exc:
                failed = self._notifiers.pop(0)
                log.info("Notifications through %s unavailable: %s", type(failed).__name__, exc)
                await failed.aclose()
        raise NotificationsUnavailable("no way to show notifications on this desktop")

    async def aclose(self) -> None:
        for notifier in self._notifiers:
            await notifier.aclose()


def system_notifier(
    parent: QObject | None = None, *, spawn: Spawn = asyncio.ensure_future
) -> Notifier:
    """The platform's notifications: D-Bus first where there is a session bus, then the tray."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return FallbackNotifier(FreedesktopNotifier(spawn=spawn), TrayNotifier(), parent=parent)
    return FallbackNotifier(TrayNotifier(), parent=parent)


__all__ = [
    "FallbackNotifier",
    "FreedesktopNotifier",
    "NotificationsUnavailable",
    "Notifier",
    "TrayNotifier",
    "system_notifier",
]
