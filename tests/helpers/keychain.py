"""A private Secret Service for tests: its own D-Bus session and gnome-keyring, never yours.

``PrivateSecretService.start(tmp)`` starts ``dbus-daemon`` with a minimal
session config (no service directories, so nothing is auto-activated: a
missing keyring stays missing) and, unless ``keyring=False``, an unlocked
``gnome-keyring-daemon --components=secrets`` with a temporary ``HOME`` on that
bus. ``env`` holds the variables a process needs to use it (for subprocesses);
the fixtures also set them in this process for the test and restore them after.
Everything started is killed by its process id afterwards.

Fixtures (import the ``*_fixture`` functions into a test module or conftest to use them
by their names):
- ``secret_service``: an unlocked private Secret Service, env applied.
- ``locked_secret_service``: the same, with its default collection locked.
- ``never_unlocked_secret_service``: gnome-keyring started without a password (no login
  keyring yet): creating or unlocking it needs a prompt, which is dismissed headless.
- ``bus_without_secret_service``: a private session bus with no Secret Service.
- ``no_session_bus``: no D-Bus session at all (the variables point nowhere).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_START_TIMEOUT = 15.0
_PASSWORD = b"private-test-keyring"

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir={socket_dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _read_lines(stream: object, count: int, timeout: float) -> list[str]:
    """Read ``count`` lines from a pipe, waiting at most ``timeout`` seconds in total."""
    import io

    assert isinstance(stream, io.BufferedReader)
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = stream.fileno()
    while buffer.count(b"\n") < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"timed out waiting for {count} lines; got {buffer!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buffer += chunk
    return buffer.decode().splitlines()


def _kill(pid: int | None) -> None:
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


@dataclass
class PrivateSecretService:
    root: Path
    address: str
    dbus_pid: int
    keyring: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(
        cls, root: Path, *, keyring: bool = True, unlock: bool = True
    ) -> PrivateSecretService:
        home = root / "home"
        runtime = root / "runtime"
        sockets = root / "bus"
        for directory in (home, runtime, sockets, home / ".config", home / ".local" / "share"):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = root / "session.conf"
        config.write_text(_BUS_CONFIG.format(socket_dir=sockets))
        started = subprocess.run(
            [
                "dbus-daemon",
                f"--config-file={config}",
                "--fork",
                "--print-address=1",
                "--print-pid=1",
            ],
            capture_output=True,
            timeout=_START_TIMEOUT,
            check=True,
        )
        address, pid = started.stdout.decode().split()[:2]
        service = cls(root=root, address=address, dbus_pid=int(pid))
        service.env = {
            "DBUS_SESSION_BUS_ADDRESS": address,
            "HOME": str(home),  # must exist: a missing HOME makes keyring calls hang
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
        }
        if keyring:
            try:
                service._start_keyring(unlock=unlock)
            except BaseException:
                service.stop()
                raise
        return service

    def _start_keyring(self, *, unlock: bool = True) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **self.env,
        }
        command = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
        if unlock:
            command.append("--unlock")  # reads the login keyring's password from stdin
        self.keyring = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self.keyring.stdin is not None and self.keyring.stdout is not None
        if unlock:
            self.keyring.stdin.write(_PASSWORD)
        self.keyring.stdin.close()
        # It prints its environment (GNOME_KEYRING_CONTROL=...) once it is initialised.
        _read_lines(self.keyring.stdout, 1, _START_TIMEOUT)
        self._wait_for_name("org.freedesktop.secrets")

    def _wait_for_name(self, name: str) -> None:
        """Block until ``name`` has an owner on the bus, by D-Bus signal (bounded)."""
        from jeepney import DBusAddress, MatchRule, new_method_call
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(bus=self.address) as connection:
            rule = MatchRule(
                type="signal",
                sender="org.freedesktop.DBus",
                interface="org.freedesktop.DBus",
                member="NameOwnerChanged",
                path="/org/freedesktop/DBus",
            )
            rule.add_arg_condition(0, name)
            with connection.filter(rule) as queue:
                connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
                bus = DBusAddress(
                    "/org/freedesktop/DBus",
                    bus_name="org.freedesktop.DBus",
                    interface="org.freedesktop.DBus",
                )
                reply = connection.send_and_get_reply(
                    new_method_call(bus, "NameHasOwner", "s", (name,)), timeout=5
                )
                if reply.body[0]:
                    return
                connection.recv_until_filtered(queue, timeout=_START_TIMEOUT)

    def lock(self) -> None:
        """Lock the default collection (as a screen lock would)."""
        import secretstorage

        connection = secretstorage.dbus_init()
        try:
            collection = secretstorage.get_default_collection(connection)
            collection.lock()
            assert collection.is_locked()
        finally:
            connection.close()

    def stop(self) -> None:
        if self.keyring is not None:
            _kill(self.keyring.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.keyring.wait(timeout=5)
            if self.keyring.stdout is not None:
                self.keyring.stdout.close()
            self.keyring = None
        _kill(self.dbus_pid)
        self.dbus_pid = 0


@contextlib.contextmanager
def _applied(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Iterator[None]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    yield


@pytest.fixture(name="secret_service")
def secret_service_fixture(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PrivateSecretService]:
    """An unlocked gnome-keyring on a private D-Bus session, used by this process for the test."""
    service = PrivateSecretService.start(tmp_path_factory.mktemp("secret-service"))
    try:
        with _applied(monkeypatch, service.env):
            yield service
    finally:
        service.stop()


@pytest.fixture(name="locked_secret_service")
def locked_secret_service_fixture(secret_service: PrivateSecretService) -> PrivateSecretService:
    secret_service.lock()
    return secret_service


@pytest.fixture(name="never_unlocked_secret_service")
def never_unlocked_secret_service_fixture(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PrivateSecretService]:
    """gnome-keyring running but never unlocked: using it needs a prompt nobody can answer."""
    service = PrivateSecretService.start(tmp_path_factory.mktemp("never-unlocked"), unlock=False)
    try:
        with _applied(monkeypatch, service.env):
            yield service
    finally:
        service.stop()


@pytest.fixture(name="bus_without_secret_service")
def bus_without_secret_service_fixture(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PrivateSecretService]:
    """A private session bus on which nothing provides (or can activate) a Secret Service."""
    service = PrivateSecretService.start(tmp_path_factory.mktemp("bare-bus"), keyring=False)
    try:
        with _applied(monkeypatch, service.env):
            yield service
    finally:
        service.stop()


@pytest.fixture(name="no_session_bus")
def no_session_bus_fixture(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """No D-Bus session bus at all: no address, and an empty runtime directory."""
    root = tmp_path_factory.mktemp("no-bus")
    (root / "home").mkdir()
    env = {"HOME": str(root / "home"), "XDG_RUNTIME_DIR": str(root)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    return env
