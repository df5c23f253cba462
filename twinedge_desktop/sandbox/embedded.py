"""Run the sandbox inside another process: uvicorn in a daemon thread with its own loop.

Used by the app's ``--sandbox`` option, by tests and by benchmarks::

    with start_in_thread() as sandbox:
        httpx.get(f"{sandbox.base_url}/.well-known/jwks.json")

The listening socket is bound before the server starts, so ``base_url`` (which
is also the issuer) is known up front, and port 0 picks a free
port without races.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from types import TracebackType

import uvicorn

from twinedge_desktop.api.urls import is_loopback_host
from twinedge_desktop.sandbox.app import build_app
from twinedge_desktop.sandbox.state import (
    DEFAULT_DEMO_PASSWORD,
    SERVICE_CLIENT_ID,
    SandboxState,
    open_state,
)

logger = logging.getLogger("twinedge_desktop.sandbox")

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the sandbox on this computer (the client's own rule)."""
    return is_loopback_host(host)


def url_host(host: str) -> str:
    """``host`` as it appears in a URL (IPv6 literals in brackets)."""
    bare = host.strip("[]")
    return f"[{bare}]" if ":" in bare else bare


def bind_socket(host: str, port: int) -> socket.socket:
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio turns on TCP_NODELAY only for sockets that say
    # they are TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bare, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, telling a waiting thread when it listens (or failed to start)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await super().startup(sockets=sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        # uvicorn's loop sleeps 0.1 s between ticks; waking it on request makes stop()
        # (which tests call for every sandbox) return without that delay.
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864_000
            if self._wake is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.1)
            else:
                await asyncio.sleep(0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own shutdown sleeps in 0.1 s steps; the same steps, polled finely.
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = asyncio.get_running_loop().time() + (self.config.timeout_graceful_shutdown or 2)
        while (self.server_state.connections or self.server_state.tasks) and not self.force_exit:
            if asyncio.get_running_loop().time() > deadline:
                for task in self.server_state.tasks:
                    task.cancel()
                break
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()

    def request_exit(self) -> None:
        """Ask the server to stop, from any thread."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(wake.set)


def make_server(
    state: SandboxState,
    sock: socket.socket,
    *,
    access_log: bool = False,
    log_level: str = "warning",
) -> _Server:
    config = uvicorn.Config(
        build_app(state),
        http="h11",
        loop="asyncio",
        lifespan="off",
        log_config=None,  # never reconfigure the host application's logging
        log_level=log_level,
        access_log=access_log,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=5,
    )
    return _Server(config)


class RunningSandbox:
    """A sandbox serving in a background thread. ``stop()`` is idempotent."""

    def __init__(self, state: SandboxState, server: _Server, thread: threading.Thread) -> None:
        self._state = state
        self._server = server
        self._thread = thread
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``: also the issuer; the API is under ``/v1``."""
        return self._state.base_url

    @property
    def issuer(self) -> str:
        return self._state.issuer

    @property
    def service_client_id(self) -> str:
        return SERVICE_CLIENT_ID

    @property
    def service_client_secret(self) -> str:
        return self._state.service_client_secret

    @property
    def data_path(self) -> str:
        return self._state.storage.path

    @property
    def demo_data_added(self) -> bool:
        """Whether this start added the demo keys (only ever to a fresh data file)."""
        return self._state.demo_data_added

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.request_exit()
        self._thread.join(_STOP_TIMEOUT)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(_STOP_TIMEOUT)
        self._state.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningSandbox({self.base_url!r})"


def start_in_thread(
    data_path: str = ":memory:",
    host: str = "127.0.0.1",
    port: int = 0,
    test_controls: bool = False,
    demo_password: str = DEFAULT_DEMO_PASSWORD,
    *,
    allow_remote: bool = False,
    demo_data: bool = False,
) -> RunningSandbox:
    """Start a sandbox and return once it accepts connections; raises on failure.

    Binding anything but loopback needs ``allow_remote=True``; test controls are
    refused on a non-loopback address regardless. ``demo_data`` adds the demo keys and
    their usage history to a fresh data file (demo.py). Raises
    :class:`~twinedge_desktop.sandbox.datafile.DataFileInUse` when another sandbox
    uses ``data_path``.
    """
    if not is_loopback(host):
        if test_controls:
            raise ValueError("test controls are available on a loopback address only")
        if not allow_remote:
            raise ValueError(f"refusing to listen on non-loopback address {host!r}")
    sock = bind_socket(host, port)
    try:
        bound_port = sock.getsockname()[1]
        base_url = f"http://{url_host(host)}:{bound_port}"
        state = open_state(
            data_path=data_path,
            base_url=base_url,
            test_controls=test_controls,
            demo_password=demo_password,
            demo_data=demo_data,
        )
    except BaseException:
        sock.close()
        raise
    server = make_server(state, sock)
    failure: list[BaseException] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the starting thread
            failure.append(exc)
        finally:
            server.ready.set()
            loop.close()
            sock.close()

    thread = threading.Thread(target=serve, name=f"twinedge-sandbox-{bound_port}", daemon=True)
    thread.start()
    if not server.ready.wait(_START_TIMEOUT) or failure or not server.started:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        state.close()
        raise RuntimeError(f"the sandbox did not start: {failure[0] if failure else 'timed out'}")
    return RunningSandbox(state, server, thread)
