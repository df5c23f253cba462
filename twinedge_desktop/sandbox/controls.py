"""Cross-cutting request handling (Host check, caller identification, rate limit, body cap,
injected faults, key-usage counting) and the test controls under ``/_sandbox/``.

:class:`GatewayMiddleware` is the outermost ASGI layer. It sees uvicorn's own
``send``, which is how it can drop a connection without a response: it aborts
the request's transport (uvicorn's h11 cycle object exposes it) instead of
writing anything, so a client sees exactly what a lost response looks like.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from twinedge_desktop.sandbox import oauth
from twinedge_desktop.sandbox.callers import identify
from twinedge_desktop.sandbox.limits import SCOPE_KEY, RequestContext, charge, rate_limited
from twinedge_desktop.sandbox.problems import Problem, error_for_status, problem_response
from twinedge_desktop.sandbox.state import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    MAX_BODY_BYTES,
    ORG_ID,
    SandboxState,
)
from twinedge_desktop.sandbox.storage import sha256_hex
from twinedge_desktop.sandbox.usage import EndpointNames, record_request
from twinedge_desktop.sandbox.validation import bounded_number, json_object

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("twinedge_desktop.sandbox")

CONTROL_PREFIX = "/_sandbox/"
MAX_SEED_KEYS = 100_000
MAX_FAULTS = 100
MAX_FAULT_DELAY = 600.0
# The clock moves at most ten years either way: far enough for any expiry a test needs,
# near enough that every time stays printable (a shift of 1e300 s broke every request).
MAX_CLOCK_SHIFT = 10 * 366 * 86400
_METHOD = re.compile(r"[A-Za-z]{1,16}")


class BodyTooLarge(Exception):
    """The request body went past the cap while a handler was reading it."""


@dataclass
class Fault:
    path: str
    method: str | None
    remaining: int
    status: int | None
    delay: float
    drop: str | None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path == path or fnmatch.fnmatchcase(path, self.path)


def _drop_connection(send: Send) -> None:
    """Close the connection without a response (uvicorn's h11 cycle holds the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        raise RuntimeError("cannot drop the connection on this server")
    transport.abort()
    # Tell uvicorn the peer is gone so it does not try to answer with a 500.
    cycle.disconnected = True


# The token and revocation endpoints count against the OAuth client, known only once the
# form is read and the client authenticated: they charge the limit themselves (oauth.py).
_CLIENT_CHARGED = frozenset({("POST", "/oauth/token"), ("POST", "/oauth/revoke")})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _loopback_hosts(base_url: str) -> frozenset[str] | None:
    """The ``Host`` values a loopback sandbox answers to, or None when it listens on
    another address (``--allow-remote``), where the names people use are unknown."""
    from twinedge_desktop.sandbox.embedded import is_loopback

    parts = urlsplit(base_url)
    if not is_loopback(parts.hostname or ""):
        return None
    port = parts.port
    names = ("127.0.0.1", "localhost", "[::1]")
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts.update(names)
    return frozenset(hosts)


class GatewayMiddleware:
    """The outermost layer: ``Host`` check, caller identification, rate limit, body cap,
    injected faults, key-usage counting, and the test controls' own guard."""

    def __init__(self, app: ASGIApp, state: SandboxState, endpoints: EndpointNames) -> None:
        self.app = app
        self.state = state
        self.endpoints = endpoints
        self.faults: list[Fault] = []
        self.allowed_hosts = _loopback_hosts(state.base_url)
        own = self.allowed_hosts or frozenset({urlsplit(state.base_url).netloc})
        self.own_origins = frozenset(f"http://{host}" for host in own)

    def _host_problem(self, scope: Scope) -> Problem | None:
        """DNS rebinding: a web page whose name resolves to 127.0.0.1 reaches the sandbox
        with its own name in ``Host``. Only this sandbox's loopback names are answered."""
        if self.allowed_hosts is None:
            return None
        host = (_header(scope, b"host") or "").lower()
        if host in self.allowed_hosts:
            return None
        names = ", ".join(sorted(self.allowed_hosts))
        return Problem(
            400,
            "invalid_request",
            f"This sandbox answers only requests addressed to {names} "
            "(the Host header names another server).",
        )

    def _control_problem(self, scope: Scope) -> Problem | None:
        """The test controls reconfigure the sandbox: a web page must not drive them. So
        no cross-origin request (``Origin`` other than the sandbox's own), and bodies only
        as ``application/json``, which a page cannot send without a CORS preflight that
        the sandbox never approves."""
        origin = _header(scope, b"origin")
        if origin is not None and origin.lower() not in self.own_origins:
            return Problem(403, "forbidden", "The test controls refuse cross-origin requests")
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if (scope["method"] == "POST" or content_type) and content_type != "application/json":
            return Problem(
                415,
                "unsupported_media_type",
                "The test controls take JSON bodies only (Content-Type: application/json)",
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path.startswith(CONTROL_PREFIX):  # test controls: no limits, no faults
            problem = self._host_problem(scope) or self._control_problem(scope)
            if problem is None and _declares_too_large(scope):
                problem = _too_large()
            if problem is not None:
                await _send_problem(scope, receive, send, problem)
                return
            await self._guarded(scope, _capped(receive), send)
            return

        client = scope.get("client")
        context = RequestContext(
            address=str(client[0]) if client else "unknown",
            endpoint=self.endpoints.name(method, path) if path.startswith("/v1/") else "",
        )
        scope[SCOPE_KEY] = context
        refusal = self._host_problem(scope)
        if refusal is None and path.startswith("/v1/"):
            self._identify(scope, context)
        if refusal is not None or (method, path) not in _CLIENT_CHARGED:
            principal = context.caller.principal if context.caller else context.address_principal
            context.decision = self.state.rate.hit(principal, self.state.clock.now())
            if refusal is None and not context.decision.allowed:
                refusal = rate_limited(context.decision)
        raw_send = send  # uvicorn's own: the one that can drop the connection
        send = self._answering(context, send)
        if refusal is not None:
            await _send_problem(scope, receive, send, refusal)
            return
        if _declares_too_large(scope):
            await _send_problem(scope, receive, send, _too_large())
            return
        receive = _capped(receive)

        fault = next((f for f in self.faults if f.matches(method, path)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
            if fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault.drop == "before":
                await _drain(receive)
                _drop_connection(raw_send)
                return
            if fault.status is not None:
                problem = Problem(
                    fault.status, error_for_status(fault.status), "injected by the sandbox"
                )
                if fault.status in (429, 503):
                    problem.headers["Retry-After"] = "1"
                await _send_problem(scope, receive, send, problem)
                return
            if fault.drop == "after":
                await self._guarded(scope, receive, self._answering(context, _swallow))
                _drop_connection(raw_send)
                return
        await self._guarded(scope, receive, send)

    def _identify(self, scope: Scope, context: RequestContext) -> None:
        try:
            context.caller = identify(self.state, _header(scope, b"authorization"))
        except Problem as problem:
            context.auth_problem = problem
        except Exception as exc:  # a bug: the handler answers the contract's 500
            logger.error("sandbox error identifying a caller: %s", type(exc).__name__)
            context.auth_problem = Problem(500, "server_error", "The sandbox hit an internal error")

    def _answering(self, context: RequestContext, send: Send) -> Send:
        """``send`` that adds the rate-limit headers and counts the answer as key usage."""

        async def sender(message: Message) -> None:
            if message["type"] == "http.response.start":
                now = self.state.clock.now()
                if context.decision is None:  # refused before its endpoint charged it
                    context.decision = self.state.rate.hit(context.address_principal, now)
                message["headers"] = [*message.get("headers", []), *context.decision.headers()]
                try:
                    record_request(self.state, context, int(message["status"]), now=now)
                except Exception as exc:  # counting must never cost the answer
                    logger.error("sandbox could not count key usage: %s", type(exc).__name__)
            await send(message)

        return sender

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; a bug becomes the contract's 500 and one log line, not a traceback
        in uvicorn's log (exception text may quote request data)."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            logger.error(
                "sandbox error on %s %s: %s", scope["method"], scope["path"], type(exc).__name__
            )
            if not started:
                await _send_problem(
                    scope,
                    receive,
                    send,
                    Problem(500, "server_error", "The sandbox hit an internal error"),
                )


async def _drain(receive: Receive) -> None:
    """Read (and ignore) the request body. Closing a socket with unread data makes the
    kernel send a reset, which the client reports as "connection reset" rather than a
    connection closed without an answer; which one it saw depended on timing."""
    try:
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
    except BodyTooLarge:
        return


async def _swallow(message: Message) -> None:
    """The response of a request whose connection is dropped afterwards: never sent."""


def _declares_too_large(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value) > MAX_BODY_BYTES
            except ValueError:
                return True
    return False


def _capped(receive: Receive) -> Receive:
    total = 0

    async def capped_receive() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > MAX_BODY_BYTES:
                raise BodyTooLarge
        return message

    return capped_receive


def _too_large() -> Problem:
    return Problem(
        413, "request_too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes"
    )


async def _send_problem(scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
    await problem_response(problem)(scope, receive, send)


# -- the token and revocation endpoints' rate limit ------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def charged_to_client(handler: Handler) -> Handler:
    """Wrap ``/oauth/token`` or ``/oauth/revoke`` so the request counts against its OAuth
    client once the client authenticates, and against its address when it does not
    (unknown client, wrong secret, not a form), before the endpoint does anything.

    The endpoint then runs as it would alone (Starlette keeps the parsed form on the
    request) and answers with its own errors, in its own order. Authenticating twice
    costs one SHA-256: client secrets are high-entropy, hashed without a KDF.
    """

    async def endpoint(request: Request) -> Response:
        principal = None
        try:
            content_type = request.headers.get("content-type", "").split(";")[0].strip()
            if content_type.lower() in _FORM_TYPES:
                form = await request.form(max_files=0, max_fields=50)
                principal = f"client:{oauth.authenticate_client(request, form).client_id}"
        except Problem:
            pass  # not authenticated: charged to the address; the endpoint says why
        except Exception:
            charge(request, None)  # a body too large or malformed: answered by the app
            raise
        charge(request, principal)  # a 429 here leaves a refresh token unspent
        return await handler(request)

    return endpoint


# -- the /_sandbox/ endpoints -----------------------------------------------------------------


def _gateway(request: Request) -> GatewayMiddleware:
    gateway: GatewayMiddleware = request.app.state.gateway
    return gateway


async def _json_object(request: Request) -> dict[str, Any]:
    return json_object(await request.body())


async def add_fault(request: Request) -> JSONResponse:
    body = await _json_object(request)
    path = body.get("path")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 1000:
        raise Problem(
            422,
            "invalid_request",
            "path must start with / (at most 1,000 characters)",
            field="path",
        )
    method = body.get("method")
    if method is not None and (not isinstance(method, str) or not _METHOD.fullmatch(method)):
        raise Problem(
            422, "invalid_request", "method must be an HTTP method or null", field="method"
        )
    status = body.get("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        raise Problem(422, "invalid_request", "status must be 400-599 or null", field="status")
    drop = body.get("drop")
    if drop not in (None, "before", "after"):
        raise Problem(
            422, "invalid_request", 'drop must be "before", "after" or null', field="drop"
        )
    fault = Fault(
        path=path,
        method=method.upper() if method else None,
        remaining=int(bounded_number(body, "count", 1, minimum=1, maximum=10**6, integer=True)),
        status=status,
        delay=bounded_number(body, "delay", 0.0, minimum=0.0, maximum=MAX_FAULT_DELAY),
        drop=drop,
    )
    faults = _gateway(request).faults
    if len(faults) >= MAX_FAULTS:
        raise Problem(409, "conflict", f"at most {MAX_FAULTS} faults at once; clear some first")
    faults.append(fault)
    return JSONResponse({"faults": len(_gateway(request).faults)}, status_code=201)


async def clear_faults(request: Request) -> Response:
    _gateway(request).faults.clear()
    return Response(status_code=204)


async def set_clock(request: Request) -> JSONResponse:
    body = await _json_object(request)
    shift = bounded_number(
        body, "shift_seconds", 0.0, minimum=-MAX_CLOCK_SHIFT, maximum=MAX_CLOCK_SHIFT
    )
    state: SandboxState = request.app.state.sandbox
    state.clock.offset = shift
    return JSONResponse({"shift_seconds": shift, "now": state.clock.now()})


async def get_clock(request: Request) -> JSONResponse:
    """``GET /_sandbox/clock``: the current shift and the sandbox's time (Unix seconds)."""
    state: SandboxState = request.app.state.sandbox
    return JSONResponse({"shift_seconds": state.clock.offset, "now": state.clock.now()})


async def rotate_key(request: Request) -> JSONResponse:
    state: SandboxState = request.app.state.sandbox
    kid = await asyncio.to_thread(_generate_pem)
    new_kid = state.keys.add_key(kid, state.clock.now())
    return JSONResponse({"kid": new_kid})


def _generate_pem() -> str:
    from twinedge_desktop.sandbox.signing import generate_private_pem

    return generate_private_pem()


async def set_rate_limit(request: Request) -> JSONResponse:
    body = await _json_object(request)
    limit = int(
        bounded_number(body, "limit", DEFAULT_RATE_LIMIT, minimum=1, maximum=10**9, integer=True)
    )
    window = int(
        bounded_number(
            body, "window_seconds", DEFAULT_RATE_WINDOW, minimum=1, maximum=86400, integer=True
        )
    )
    state: SandboxState = request.app.state.sandbox
    state.rate.configure(limit, window)
    return JSONResponse({"limit": limit, "window_seconds": window})


async def seed_keys(request: Request) -> JSONResponse:
    """Bulk-create keys (for benchmarks and paging tests); their secrets are discarded."""
    from twinedge_desktop import keyformat

    body = await _json_object(request)
    count = int(bounded_number(body, "count", 1, minimum=1, maximum=MAX_SEED_KEYS, integer=True))
    email = body.get("email", "engineer@example.com")
    state: SandboxState = request.app.state.sandbox
    user = state.storage.user_by_email(email) if isinstance(email, str) else None
    if user is None:
        raise Problem(422, "invalid_request", "no such user", field="email")
    now = state.clock.now()
    scopes = " ".join(user.scopes)

    def make_rows() -> list[tuple[Any, ...]]:
        rows = []
        for index in range(count):
            secret = keyformat.generate_key()
            key_hash = sha256_hex(secret)
            rows.append(
                (
                    f"key_seed{index:06d}{key_hash[:8]}",
                    f"seeded key {index + 1}",
                    keyformat.display_prefix(secret),
                    key_hash,
                    scopes,
                    now,
                    None,
                    user.sub,
                    user.email,
                    ORG_ID,
                )
            )
        return rows

    rows = await asyncio.to_thread(make_rows)  # ~0.2 ms a key: keep the loop free
    state.storage.insert_api_keys(rows)
    return JSONResponse({"created": count}, status_code=201)
