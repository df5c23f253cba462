"""A real HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for limit tests.

It runs in its own thread with its own asyncio loop, so synchronous tests (the
command line, which calls ``asyncio.run``) and async tests alike talk to it over
real loopback sockets through the app's real ``httpx`` client. Each path is given
a behaviour:

- :class:`Document`: a normal answer (any status, body, headers), optionally late;
- :class:`Trickle`: headers at once, then one byte every ``interval`` seconds, forever;
- :class:`Endless`: a body with no end (no ``Content-Length``), as fast as it is read;
- :class:`Silent`: accepts the connection and never answers.

``sent[path]`` counts the body bytes written for the last request to ``path`` and
``finished(path)`` waits (bounded) until that request's handler has ended, so a
test can prove a client stopped reading instead of swallowing an endless body.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from types import TracebackType

_START_TIMEOUT = 10.0
_MAX_REQUEST_HEAD = 16 * 1024


@dataclass(frozen=True)
class Document:
    body: bytes = b"{}"
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent


@dataclass(frozen=True)
class Trickle:
    interval: float = 0.2
    prefix: bytes = b'{"keys": ['  # sent at once after the headers
    byte: bytes = b" "  # then this, once per interval, forever


@dataclass(frozen=True)
class Endless:
    chunk: bytes = b" " * 65536
    content_length: int | None = None  # a (false) length to announce, or none at all
    content_encoding: str | None = None  # e.g. "gzip" with ``chunk`` pre-compressed


@dataclass(frozen=True)
class Silent:
    pass


Behaviour = Document | Trickle | Endless | Silent
_REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}


class HostileServer:
    """Serve ``routes`` (path → behaviour) on a free loopback port until closed."""

    def __init__(self, routes: dict[str, Behaviour] | None = None) -> None:
        self.routes: dict[str, Behaviour] = dict(routes or {})
        self.requests: list[str] = []  # paths, in the order they were asked for
        self.sent: dict[str, int] = {}
        self._done: dict[str, threading.Event] = {}
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, name="hostile-server", daemon=True)
        self._ready = threading.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def finished(self, path: str, timeout: float = 10.0) -> bool:
        """Wait until the last request to ``path`` has been handled completely."""
        event = self._done.get(path)
        return event is not None and event.wait(timeout)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT):
            raise RuntimeError("the hostile test server did not start")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(_START_TIMEOUT)
        self._thread.join(_START_TIMEOUT)

    # --- the server's own thread ------------------------------------------------------
    def _run(self) -> None:
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop.call_soon(self._loop.stop)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        path = ""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > _MAX_REQUEST_HEAD:
                return
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("ascii")
            path = target.split("?", 1)[0]
            self.requests.append(path)
            self.sent[path] = 0
            self._done[path] = threading.Event()
            behaviour = self.routes.get(path, Document(b'{"error": "not_found"}', status=404))
            await self._serve(path, behaviour, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: what these tests are about
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.close()
            if path in self._done:
                self._done[path].set()

    async def _serve(self, path: str, behaviour: Behaviour, writer: asyncio.StreamWriter) -> None:
        if isinstance(behaviour, Silent):
            await asyncio.Event().wait()  # until the client hangs up or the server stops
            return
        if isinstance(behaviour, Document):
            if behaviour.delay:
                await asyncio.sleep(behaviour.delay)
            headers = {
                "Content-Type": behaviour.content_type,
                "Content-Length": str(len(behaviour.body)),
                **behaviour.headers,
            }
            writer.write(_head(behaviour.status, headers))
            await self._send(path, writer, behaviour.body)
            return
        if isinstance(behaviour, Trickle):
            writer.write(_head(200, {"Content-Type": "application/json"}))
            await self._send(path, writer, behaviour.prefix)
            while True:
                await asyncio.sleep(behaviour.interval)
                await self._send(path, writer, behaviour.byte)
        headers = {"Content-Type": "application/json"}
        if behaviour.content_length is not None:
            headers["Content-Length"] = str(behaviour.content_length)
        if behaviour.content_encoding is not None:
            headers["Content-Encoding"] = behaviour.content_encoding
        writer.write(_head(200, headers))
        while True:
            await self._send(path, writer, behaviour.chunk)

    async def _send(self, path: str, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        await writer.drain()
        self.sent[path] = self.sent.get(path, 0) + len(data)


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def hostile_server(routes: dict[str, Behaviour]) -> HostileServer:
    """A server for ``routes``, started by ``with`` (``with hostile_server(…) as server:``)."""
    return HostileServer(routes)
