"""The one-shot loopback redirect listener for native-app sign-in (RFC 8252 §7.3, §8.3).

It binds 127.0.0.1 (and ::1 on the same port when the system has IPv6
loopback) on a port the OS chooses, never a wildcard address. It accepts only
``GET`` on its exact callback path with a ``Host`` naming one of its own
addresses; anything else (favicon, probes, DNS-rebinding attempts) gets a 4xx
and the flow goes on. When it knows the sign-in's ``state``, a callback with
another state (a forged or stale redirect from any local process or web page)
is answered with a 400 page saying it is not for this sign-in, and the sign-in
keeps waiting for the real one (RFC 6749 §10.12); the comparison takes constant
time. The first matching callback is handed to the sign-in; the browser is
redirected to a code-free URL (so the code does not linger in the address bar
or history) where a small self-contained page tells the person to return to the
app. HTTP parsing is h11's (httpx's own parser), not hand-written.

Limits hold for every connection: the request line and headers may take at most
``MAX_REQUEST_BYTES`` (counted here, over everything received: h11's own limit
only covers an event it has not completed, so a 20 KB header that arrives whole
would pass it), and the whole request must arrive within ``REQUEST_DEADLINE``
seconds from the connection (a sender that trickles one byte a second is cut,
however each single read behaves).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

import h11

from twinedge_desktop.auth.errors import SignInCancelled
from twinedge_desktop.redaction import register_secret

log = logging.getLogger(__name__)

CALLBACK_PATH = "/callback"
DONE_PATH = "/done"
# A request line plus headers larger than this is not a browser redirect.
MAX_REQUEST_BYTES = 16 * 1024
# The whole request (line and headers) must arrive within this long of connecting.
REQUEST_DEADLINE = 10.0
# Writing an answer to a browser that stopped reading gives up after this long.
WRITE_TIMEOUT = 10.0
# After refusing an oversized request, drop at most this much of the rest, this long.
LINGER_SECONDS = 0.5
LINGER_BYTES = 256 * 1024
# How long the /done page waits for the app to finish the token exchange.
OUTCOME_WAIT = 60.0

_SECURITY_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Self-contained: nothing may be loaded from anywhere, only the inline style runs.
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'",
    ),
    ("Connection", "close"),
]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f5f7fa;color:#1c2530;
display:flex;align-items:center;justify-content:center;min-height:100vh;margin:0}}
main{{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:2rem 2.5rem;
max-width:32rem}}
h1{{font-size:1.3rem;margin:0 0 .75rem;color:{colour}}}
p{{line-height:1.5;margin:.5rem 0}}
</style></head>
<body><main><h1>{title}</h1><p>{message}</p><p>{hint}</p></main></body></html>
"""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def render_page(ok: bool, message: str) -> bytes:
    """The answer page; every piece of text is escaped (error text may come from the server)."""
    title = "Signed in to TwinEdge" if ok else "TwinEdge sign-in did not complete"
    hint = (
        "You can close this tab and return to TwinEdge Desktop."
        if ok
        else "Return to TwinEdge Desktop to try again. You can close this tab."
    )
    page = _PAGE.format(
        title=html.escape(title),
        message=html.escape(message),
        hint=html.escape(hint),
        colour="#1a7f37" if ok else "#b42318",
    )
    return page.encode("utf-8")


def _plain_page(status: int, text: str) -> bytes:
    return render_page(False, text) if status >= 400 else text.encode()


class LoopbackListener:
    """A one-shot HTTP listener on loopback for one authorization response.

    Use as an async context manager; ``redirect_uri`` is valid after entering.
    """

    def __init__(
        self,
        callback_path: str = CALLBACK_PATH,
        *,
        ipv6: bool = True,
        expected_state: str | None = None,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        request_deadline: float = REQUEST_DEADLINE,
        port: int = 0,
        host_names: Sequence[str] = (),
    ) -> None:
        """``port``: 0 (the default) lets the OS choose, as a native app's sign-in should
        (RFC 8252 §7.3); a fixed one is for a redirect URI registered with its port (a web
        app in development, in the OAuth playground), and fails with ``OSError`` when taken.
        ``host_names``: names besides the loopback literals a ``Host`` header may carry
        (``localhost`` for such a redirect URI); the listener still binds loopback only."""
        self.callback_path = callback_path
        self._want_ipv6 = ipv6
        self._requested_port = port
        self._host_names = tuple(name.lower() for name in host_names)
        self._expected_state = expected_state.encode("ascii") if expected_state else None
        self._max_request_bytes = max_request_bytes
        self._request_deadline = request_deadline
        self.ignored_callbacks = 0  # callbacks refused for a wrong state (tests, diagnostics)
        self._servers: list[asyncio.Server] = []
        self._port: int | None = None
        self._hosts: list[str] = []
        self._callback: asyncio.Future[dict[str, str]] | None = None
        self._outcome: asyncio.Future[Outcome] | None = None
        self._done_served = asyncio.Event()
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._callback = loop.create_future()
        self._outcome = loop.create_future()
        v4 = await asyncio.start_server(
            self._on_connection,
            host="127.0.0.1",
            port=self._requested_port,
            family=socket.AF_INET,
            reuse_address=False,
            backlog=16,
        )
        self._servers.append(v4)
        self._port = int(v4.sockets[0].getsockname()[1])
        self._hosts = [f"127.0.0.1:{self._port}"]
        self._hosts += [f"{name}:{self._port}" for name in self._host_names]
        if self._want_ipv6 and socket.has_ipv6:
            try:
                v6 = await asyncio.start_server(
                    self._on_connection,
                    host="::1",
                    port=self._port,
                    family=socket.AF_INET6,
                    reuse_address=False,
                    backlog=16,
                )
            except OSError:
                log.debug("No IPv6 loopback on port %s; listening on 127.0.0.1 only", self._port)
            else:
                self._servers.append(v6)
                self._hosts.append(f"[::1]:{self._port}")
        log.info("Sign-in listener on %s", ", ".join(self._hosts))

    async def __aenter__(self) -> LoopbackListener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the listener is not started")
        return self._port

    @property
    def redirect_uri(self) -> str:
        # RFC 8252 §7.3: the loopback IP literal, not "localhost".
        return f"http://127.0.0.1:{self.port}{self.callback_path}"

    @property
    def addresses(self) -> tuple[str, ...]:
        """``host:port`` pairs the listener accepts connections (and ``Host`` headers) for."""
        return tuple(self._hosts)

    @property
    def is_serving(self) -> bool:
        return any(s.is_serving() for s in self._servers)

    async def wait_for_callback(self) -> dict[str, str]:
        """The first callback's query parameters. Raises SignInCancelled after :meth:`cancel`."""
        assert self._callback is not None, "start() first"
        return await asyncio.shield(self._callback)

    def cancel(self, message: str | None = None) -> None:
        """End the wait for the browser: ``wait_for_callback`` raises SignInCancelled."""
        if self._callback is not None and not self._callback.done():
            self._callback.set_exception(SignInCancelled(message))

    def finish(self, ok: bool, message: str) -> None:
        """Tell the browser's "done" page how the sign-in ended."""
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(Outcome(ok, message))

    async def aclose(self, grace: float = 3.0) -> None:
        """Stop listening. If a browser was sent to the done page, give it ``grace`` seconds.

        The port is closed whatever happens, even if this coroutine is cancelled.
        """
        if self._closed:
            return
        self._closed = True
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(Outcome(False, "Sign-in was stopped in the app."))
        try:
            if (
                self._callback is not None
                and self._callback.done()
                and not self._callback.cancelled()
                and self._callback.exception() is None
            ):
                # A browser was redirected to the done page: let it fetch the outcome
                # before the port closes (bounded, and only then).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._done_served.wait(), grace)
        finally:
            for server in self._servers:
                server.close()
            if self._callback is not None and not self._callback.done():
                self._callback.cancel()
            for writer in list(self._writers):
                writer.close()
            for task in list(self._connections):
                task.cancel()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=2.0)
        for server in self._servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 2.0)
        log.info("Sign-in listener closed")

    # -- HTTP ----------------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        self._writers.add(writer)
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:  # one bad connection must never end the sign-in
            log.exception("Sign-in listener: error while answering a request")
        finally:
            self._writers.discard(writer)
            writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self._max_request_bytes)
        try:
            async with asyncio.timeout(self._request_deadline):
                request = await self._read_request(conn, reader)
        except TimeoutError:
            # One deadline for the whole request, not per read: a slow sender is cut.
            await self._refuse_unfinished(writer, 408, "The request took too long to arrive.")
            return
        except _TooLarge:
            await self._refuse_unfinished(writer, 431, "The request is too large.")
            await _discard_briefly(reader)
            return
        except h11.RemoteProtocolError:
            await self._respond(conn, writer, 400, _plain_page(400, "Bad request."))
            return
        if request is None:
            return
        status, body, location = await self._route(request)
        await self._respond(conn, writer, status, body, location=location)

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> h11.Request | None:
        """The request line and headers, or None when the peer closed first. Every byte
        received counts against the cap, whether or not h11 has finished an event with it."""
        received = 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(8192)
                received += len(data)
                if received > self._max_request_bytes:
                    raise _TooLarge
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                return event
            if isinstance(event, h11.ConnectionClosed):
                return None

    async def _route(self, request: h11.Request) -> tuple[int, bytes, str | None]:
        target = request.target.decode("ascii", "replace")
        parts = urlsplit(target)
        host = next((v.decode("ascii", "replace") for k, v in request.headers if k == b"host"), "")
        method = request.method.decode("ascii", "replace")
        if host.lower() not in self._hosts:
            # Wrong Host: a DNS-rebinding page or a stray client, not our browser redirect.
            return (
                400,
                _plain_page(400, "This address only answers TwinEdge Desktop's sign-in."),
                None,
            )
        if parts.path == DONE_PATH:
            if method != "GET":
                return 405, _plain_page(405, "Method not allowed."), None
            return await self._done_page()
        if parts.path != self.callback_path:
            return 404, _plain_page(404, "Not found."), None
        if method != "GET":
            return 405, _plain_page(405, "Method not allowed."), None
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if not ({"code", "error", "state"} & params.keys()):
            return 400, _plain_page(400, "This is not a sign-in response."), None
        assert self._callback is not None
        if not self._state_matches(params.get("state")):
            # Not for this sign-in (RFC 6749 §10.12): refuse it and keep waiting for the real
            # callback, so a local process or page cannot end the person's sign-in.
            self.ignored_callbacks += 1
            log.warning("Sign-in listener: ignored a callback that is not for this sign-in")
            return (
                400,
                _plain_page(
                    400,
                    "This response is not for the sign-in TwinEdge Desktop is waiting for, so it "
                    "was ignored. If you started a sign-in, finish it in the tab it opened.",
                ),
                None,
            )
        if self._callback.done():
            # Single use: a second response (a reload, a replay) is refused.
            return (
                400,
                _plain_page(
                    400,
                    "This sign-in has already been used. Start a new one from TwinEdge Desktop.",
                ),
                None,
            )
        # The code is this sign-in's (its state matched): hide it from now on. Codes of
        # callbacks refused above are not registered: anyone on this computer can send
        # those, and a flood of them would push real secrets out of the bounded registry.
        register_secret(params.get("code"))
        self._callback.set_result(params)
        # 303 to a code-free URL: the code leaves the address bar and history at once.
        return 303, b"", DONE_PATH

    def _state_matches(self, received: str | None) -> bool:
        if self._expected_state is None:
            return True  # the caller checks state itself
        if not received:
            return False
        return secrets.compare_digest(received.encode("utf-8", "replace"), self._expected_state)

    async def _done_page(self) -> tuple[int, bytes, str | None]:
        assert self._outcome is not None
        try:
            outcome = await asyncio.wait_for(asyncio.shield(self._outcome), OUTCOME_WAIT)
        except TimeoutError:
            outcome = Outcome(False, "TwinEdge Desktop did not finish signing in. Check the app.")
        self._done_served.set()
        return 200, render_page(outcome.ok, outcome.message), None

    @staticmethod
    async def _refuse_unfinished(writer: asyncio.StreamWriter, status: int, text: str) -> None:
        """Answer a request that never finished arriving, then close. h11 only answers a
        request it has parsed (or one that broke its grammar), so this one response is
        written directly: a status line and the same headers as every other answer."""
        body = _plain_page(status, text)
        headers = [
            *_SECURITY_HEADERS,
            ("Content-Length", str(len(body))),
            ("Content-Type", "text/html; charset=utf-8"),
        ]
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers
        )
        writer.write(head.encode("ascii") + b"\r\n" + body)
        await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)

    @staticmethod
    async def _respond(
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        *,
        location: str | None = None,
    ) -> None:
        headers = [*_SECURITY_HEADERS, ("Content-Length", str(len(body)))]
        if body:
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        if location:
            headers.append(("Location", location))
        try:
            data = conn.send(h11.Response(status_code=status, headers=headers)) or b""
            if body:
                data += conn.send(h11.Data(data=body)) or b""
            data += conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            return
        writer.write(data)
        await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)


class _TooLarge(Exception):
    """The request line and headers went past the cap."""


async def _discard_briefly(reader: asyncio.StreamReader) -> None:
    """Read (and drop) what the client is still sending, briefly, before closing: closing a
    socket with unread input makes the kernel send a reset, which can destroy the answer
    before the client reads it. Bounded in time and bytes."""
    with contextlib.suppress(TimeoutError, ConnectionError):
        async with asyncio.timeout(LINGER_SECONDS):
            discarded = 0
            while discarded < LINGER_BYTES:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                discarded += len(chunk)
