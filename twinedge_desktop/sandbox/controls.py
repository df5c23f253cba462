"""Cross-cutting request handling (body cap, rate limit, injected faults) and the test
controls under ``/_sandbox/``.

:class:`GatewayMiddleware` is the outermost ASGI layer. It sees uvicorn's own
``send``, which is how it can drop a connection without a response: it aborts
the request's transport (uvicorn's h11 cycle object exposes it) instead of
writing anything, so a client sees exactly what a lost response looks like.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from twinedge_desktop.sandbox.problems import Problem, error_for_status, problem_response
from twinedge_desktop.sandbox.state import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    MAX_BODY_BYTES,
    ORG_ID,
    SandboxState,
)
from twinedge_desktop.sandbox.storage import sha256_hex

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("twinedge_desktop.sandbox")

CONTROL_PREFIX = "/_sandbox/"
MAX_SEED_KEYS = 100_000


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


class RateLimiter:
    """Fixed windows on the sandbox clock, one counter per caller (its credential, or its
    address when it sends none)."""

    def __init__(self) -> None:
        self.limit = DEFAULT_RATE_LIMIT
        self.window = DEFAULT_RATE_WINDOW
        self._counts: dict[tuple[str, int], int] = {}

    def configure(self, limit: int, window: int) -> None:
        self.limit, self.window = limit, window
        self._counts.clear()

    def hit(self, caller: str, now: float) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until the window resets)."""
        window_index = int(now // self.window)
        key = (caller, window_index)
        if len(self._counts) > 10_000:  # drop counters of past windows
            self._counts = {k: v for k, v in self._counts.items() if k[1] == window_index}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        reset = max(1, math.ceil((window_index + 1) * self.window - now))
        return count <= self.limit, max(0, self.limit - count), reset


def _caller_key(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return "cred:" + hashlib.sha256(value).hexdigest()[:32]
    client = scope.get("client")
    return "addr:" + (str(client[0]) if client else "unknown")


def _drop_connection(send: Send) -> None:
    """Close the connection without a response (uvicorn's h11 cycle holds the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        raise RuntimeError("cannot drop the connection on this server")
    transport.abort()
    # Tell uvicorn the peer is gone so it does not try to answer with a 500.
    cycle.disconnected = True


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.rate = RateLimiter()
        self.faults: list[Fault] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path.startswith(CONTROL_PREFIX):  # test controls: no limits, no faults
            if _declares_too_large(scope):
                await _send_problem(scope, receive, send, _too_large())
                return
            await self._guarded(scope, _capped(receive), send)
            return

        raw_send = send  # uvicorn's own: the one that can drop the connection
        allowed, remaining, reset = self.rate.hit(_caller_key(scope), self.state.clock.now())
        send = _with_headers(
            send,
            [
                (b"x-ratelimit-limit", str(self.rate.limit).encode()),
                (b"x-ratelimit-remaining", str(remaining).encode()),
                (b"x-ratelimit-reset", str(reset).encode()),
            ],
        )
        if not allowed:
            problem = Problem(
                429,
                "rate_limited",
                f"Too many requests: {self.rate.limit} per {self.rate.window} s. "
                f"Try again in {reset} s.",
                headers={"Retry-After": str(reset)},
            )
            await _send_problem(scope, receive, send, problem)
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
                await self._guarded(scope, receive, _swallow)
                _drop_connection(raw_send)
                return
        await self._guarded(scope, receive, send)

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


async def _swallow(message: Message) -> None:
    """The response of a request whose connection is dropped afterwards: never sent."""


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sender


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


# -- the /_sandbox/ endpoints -----------------------------------------------------------------


def _gateway(request: Request) -> GatewayMiddleware:
    gateway: GatewayMiddleware = request.app.state.gateway
    return gateway


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "invalid_request", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Problem(422, "invalid_request", "the body must be a JSON object")
    return body


def _number(body: dict[str, Any], name: str, default: float, *, minimum: float) -> float:
    value = body.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise Problem(422, "invalid_request", f"{name} must be a number ≥ {minimum}", field=name)
    return float(value)


async def add_fault(request: Request) -> JSONResponse:
    body = await _json_object(request)
    path = body.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise Problem(422, "invalid_request", "path must start with /", field="path")
    method = body.get("method")
    if method is not None and not isinstance(method, str):
        raise Problem(422, "invalid_request", "method must be a string or null", field="method")
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
        remaining=int(_number(body, "count", 1, minimum=1)),
        status=status,
        delay=_number(body, "delay", 0.0, minimum=0.0),
        drop=drop,
    )
    _gateway(request).faults.append(fault)
    return JSONResponse({"faults": len(_gateway(request).faults)}, status_code=201)


async def clear_faults(request: Request) -> Response:
    _gateway(request).faults.clear()
    return Response(status_code=204)


async def set_clock(request: Request) -> JSONResponse:
    body = await _json_object(request)
    shift = _number(body, "shift_seconds", 0.0, minimum=-10 * 365 * 86400)
    state: SandboxState = request.app.state.sandbox
    state.clock.offset = shift
    return JSONResponse({"shift_seconds": shift, "now": state.clock.now()})


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
    limit = int(_number(body, "limit", DEFAULT_RATE_LIMIT, minimum=1))
    window = int(_number(body, "window_seconds", DEFAULT_RATE_WINDOW, minimum=1))
    _gateway(request).rate.configure(limit, window)
    return JSONResponse({"limit": limit, "window_seconds": window})


async def seed_keys(request: Request) -> JSONResponse:
    """Bulk-create keys (for benchmarks and paging tests); their secrets are discarded."""
    from twinedge_desktop import keyformat

    body = await _json_object(request)
    count = int(_number(body, "count", 1, minimum=1))
    if count > MAX_SEED_KEYS:
        raise Problem(422, "invalid_request", f"count must be ≤ {MAX_SEED_KEYS}", field="count")
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
