"""A stand-in for a desktop's notification daemon, for tests: run it as its own process.

It owns ``org.freedesktop.Notifications`` on the D-Bus bus it is given (a private test
bus, see ``tests/helpers/keychain.py``'s :class:`PrivateSecretService` with
``keyring=False``) and answers the Desktop Notifications Specification 1.2's methods
the way a real daemon does: ``Notify`` returns a fresh id, ``GetCapabilities`` names
``actions`` and ``body``, ``GetServerInformation``, ``CloseNotification``. Nothing is
drawn; instead it talks to the test over its standard streams, one JSON object a line:

- stdout: ``{"ready": true}`` once it owns the name, then one line per ``Notify`` call:
  ``{"id", "app_name", "replaces_id", "app_icon", "summary", "body", "actions", "hints",
  "expire_timeout"}`` (the call's arguments as received, so the test sees exactly what
  arrived on the bus);
- stdin: ``{"invoke": ID, "action": "default"}`` makes it emit ``ActionInvoked(ID,
  action)`` and then ``NotificationClosed(ID, 2)``, as a daemon does when the person
  clicks the notification; ``{"close": ID}`` emits ``NotificationClosed(ID, 3)``.

It is written with ``jeepney`` (pure Python, already installed as keyring's D-Bus
library), so it shares no code with the Qt D-Bus client under test.

    python tests/helpers/notification_daemon.py BUS_ADDRESS
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.asyncio import DBusRouter, Proxy, open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = NAME
_REQUEST_NAME_REPLY_PRIMARY_OWNER = 1
# The specification's interface, as daemons describe it to clients that introspect.
_INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" name="app_name" direction="in"/>
      <arg type="u" name="replaces_id" direction="in"/>
      <arg type="s" name="app_icon" direction="in"/>
      <arg type="s" name="summary" direction="in"/>
      <arg type="s" name="body" direction="in"/>
      <arg type="as" name="actions" direction="in"/>
      <arg type="a{sv}" name="hints" direction="in"/>
      <arg type="i" name="expire_timeout" direction="in"/>
      <arg type="u" name="id" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" name="id" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" name="capabilities" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" name="name" direction="out"/><arg type="s" name="vendor" direction="out"/>
      <arg type="s" name="version" direction="out"/>
      <arg type="s" name="spec_version" direction="out"/>
    </method>
    <signal name="NotificationClosed">
      <arg type="u" name="id"/><arg type="u" name="reason"/>
    </signal>
    <signal name="ActionInvoked"><arg type="u" name="id"/><arg type="s" name="action_key"/></signal>
  </interface>
</node>
"""


def _plain(value: Any) -> Any:
    """A D-Bus value as jeepney parsed it, as JSON: variants become their value."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        signature, inner = value
        if signature and signature[0] in "sbynqiuxtdoga(":
            return _plain(inner)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return list(value)
    return value


def _say(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()


async def serve(address: str) -> None:
    connection = await open_dbus_connection(bus=address)
    emitter = DBusAddress(PATH, interface=INTERFACE)
    async with DBusRouter(connection) as router:
        (outcome,) = await Proxy(message_bus, router).RequestName(NAME, 4)  # 4: do not queue
    if outcome != _REQUEST_NAME_REPLY_PRIMARY_OWNER:
        raise SystemExit(f"could not own {NAME} (RequestName answered {outcome})")
    _say({"ready": True})
    ids = itertools.count(1)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def read_stdin() -> None:
        line = sys.stdin.readline()
        if not line:
            loop.remove_reader(sys.stdin)
            commands.put_nowait({"quit": True})
            return
        if line.strip():
            commands.put_nowait(json.loads(line))

    loop.add_reader(sys.stdin, read_stdin)

    async def handle_commands() -> None:
        while True:
            command = await commands.get()
            if command.get("quit"):
                return
            if "invoke" in command:
                notification = int(command["invoke"])
                action = str(command.get("action", "default"))
                await connection.send(
                    new_signal(emitter, "ActionInvoked", "us", (notification, action))
                )
                await connection.send(
                    new_signal(emitter, "NotificationClosed", "uu", (notification, 2))
                )
            elif "close" in command:
                await connection.send(
                    new_signal(emitter, "NotificationClosed", "uu", (int(command["close"]), 3))
                )

    async def handle_calls() -> None:
        while True:
            message = await connection.receive()
            header = message.header
            if header.message_type is not MessageType.method_call:
                continue
            member = header.fields.get(HeaderFields.member)
            interface = header.fields.get(HeaderFields.interface)
            if interface == "org.freedesktop.DBus.Introspectable" and member == "Introspect":
                await connection.send(new_method_return(message, "s", (_INTROSPECTION,)))
                continue
            if interface not in (INTERFACE, None):
                await connection.send(
                    new_error(message, "org.freedesktop.DBus.Error.UnknownInterface")
                )
                continue
            if member == "Notify":
                app_name, replaces, icon, summary, body, actions, hints, timeout = message.body
                notification = replaces or next(ids)
                _say(
                    {
                        "id": notification,
                        "app_name": app_name,
                        "replaces_id": replaces,
                        "app_icon": icon,
                        "summary": summary,
                        "body": body,
                        "actions": list(actions),
                        "hints": _plain(hints),
                        "expire_timeout": timeout,
                        "signature": header.fields.get(HeaderFields.signature),
                    }
                )
                await connection.send(new_method_return(message, "u", (notification,)))
            elif member == "GetCapabilities":
                await connection.send(new_method_return(message, "as", (["actions", "body"],)))
            elif member == "GetServerInformation":
                reply = new_method_return(message, "ssss", ("stand-in", "tests", "1", "1.2"))
                await connection.send(reply)
            elif member == "CloseNotification":
                (notification,) = message.body
                await connection.send(new_method_return(message))
                await connection.send(
                    new_signal(emitter, "NotificationClosed", "uu", (notification, 3))
                )
            else:
                await connection.send(
                    new_error(message, "org.freedesktop.DBus.Error.UnknownMethod")
                )

    calls = asyncio.ensure_future(handle_calls())
    try:
        await handle_commands()
    finally:
        calls.cancel()
        await connection.close()


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(serve(sys.argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
