"""Test helpers for the SDK's own tests: keys, a recording mock API, a fake TwinEdge Desktop.

The fakes here stand in for the server and the desktop app in unit tests only; the
real paths (the sandbox over loopback, a signed-in ``twinedge-desktop``) are covered
by the project's tests/integration/sdk and tests/e2e/test_sdk_desktop.py.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import sys
import textwrap
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Made by the desktop app's own twinedge_desktop.keyformat.generate_key(): an outside
# witness that the SDK's offline check agrees with the format the server issues.
KNOWN_GOOD_KEYS = (
    "te_Ay9YhXZe7vvROT9ONAI5m1oKxYwHr4iT3ibXJY",
    "te_s5C6aNN4Yn9RbYtNCcWUftHxfzzIHrTW2pqT76",
)
API = "https://api.twinedgeai.com"
ISSUER = "https://auth.twinedgeai.com"


def make_key() -> str:
    """A fresh, checksum-valid TwinEdge API key (DESIGN.md "API key format")."""
    body = "te_" + "".join(secrets.choice(BASE62) for _ in range(32))
    value = zlib.crc32(body.encode("ascii"))
    digits = ""
    while value:
        value, remainder = divmod(value, 62)
        digits = BASE62[remainder] + digits
    return body + digits.rjust(6, "0")


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MutableClock:
    """A clock the test moves: ``clock()`` is real time plus ``offset``."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


Handler = Callable[[httpx.Request], httpx.Response]


class MockApi:
    """An ``httpx.MockTransport`` that records every request and answers with ``handler``.

    ``token_requests`` counts ``POST …/oauth/token``; ``bearers`` lists the bearer of each
    API request. Thread-safe (the sync client's threads share it).
    """

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler or self.default
        self.requests: list[httpx.Request] = []
        self.issued = 0
        self._lock = threading.Lock()
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        return self.handler(request)

    def issue(self, expires_in: int = 3600) -> httpx.Response:
        with self._lock:
            self.issued += 1
            number = self.issued
        return httpx.Response(
            200,
            json={
                "access_token": f"access-token-{number}",
                "token_type": "Bearer",
                "expires_in": expires_in,
                "scope": "read:assets",
            },
        )

    def default(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return self.issue()
        return httpx.Response(200, json={"data": [], "next_cursor": None})

    @property
    def token_requests(self) -> int:
        return sum(1 for r in self.requests if r.url.path == "/oauth/token")

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/oauth/token"]

    @property
    def bearers(self) -> list[str]:
        return [r.headers.get("authorization", "") for r in self.api_requests]

    def client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport)

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport)


def error_response(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status, json={"error": error, "error_description": description}, headers=headers
    )


_FAKE_DESKTOP = """\
#!{python}
# A stand-in for `twinedge-desktop token --json`, driven by files in its state folder.
import json, os, sys, time, pathlib
state = pathlib.Path({state!r})
with open(state / "calls", "a") as calls:
    calls.write(" ".join(sys.argv[1:]) + "\\n")
mode = (state / "mode").read_text().strip()
delay = float((state / "delay").read_text() or 0)
time.sleep(delay)
if "--rejected" in sys.argv:
    refused = sys.stdin.read().strip()
    (state / "rejected").write_text(refused)
    renewed = state / "renewed_token"
    if refused == (state / "token").read_text().strip() and renewed.exists():
        (state / "token").write_text(renewed.read_text())  # the app renews the refused one
if mode == "ok":
    document = {{
        "access_token": (state / "token").read_text().strip(),
        "expires_at": (state / "expires_at").read_text().strip(),
        "scopes": ["read:assets", "read:alerts"],
        "profile": "sandbox-127-0-0-1",
    }}
    if (state / "server").exists():  # a desktop that names its server (api_base, issuer)
        document.update(json.loads((state / "server").read_text()))
    print(json.dumps(document))
elif mode == "signed_out":
    print("Not signed in to TwinEdge (profile 'cloud'). Run: twinedge-desktop login",
          file=sys.stderr)
    sys.exit(1)
elif mode == "too_old":
    print("usage: twinedge-desktop [-h] [--version] [--profile P] ...", file=sys.stderr)
    print("twinedge-desktop: error: unrecognized arguments: --json", file=sys.stderr)
    sys.exit(2)
elif mode == "garbage":
    print("here is your token: " + (state / "token").read_text().strip())
elif mode == "leaky_failure":
    print("Error: the server refused " + (state / "token").read_text().strip(), file=sys.stderr)
    sys.exit(1)
"""


class FakeDesktop:
    """A fake ``twinedge-desktop`` executable in its own folder (put it on ``PATH``).

    Set ``mode`` (ok, signed_out, too_old, garbage, leaky_failure), ``token``,
    ``expires_at`` and ``delay``; ``calls`` lists the argument lines it was run with.
    :meth:`names_server` makes it print ``api_base`` and ``issuer`` too (as today's app
    does; without, it is an app from before those fields). With ``--rejected -`` it records
    the token it was given on stdin (``rejected``) and, when that is its current token and
    :meth:`renews_to` was called, switches to the renewed one.
    """

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.state = root / "state"
        self.bin.mkdir(parents=True)
        self.state.mkdir(parents=True)
        self.path = self.bin / "twinedge-desktop"
        self.path.write_text(
            textwrap.dedent(_FAKE_DESKTOP.format(python=sys.executable, state=str(self.state)))
        )
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        (self.state / "calls").write_text("")
        self.mode = "ok"
        self.delay = 0.0
        self.token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJl"
        self.expires_at = rfc3339(time.time() + 3600)

    def _set(self, name: str, value: str) -> None:
        (self.state / name).write_text(value)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in ("mode", "token", "expires_at", "delay") and "state" in self.__dict__:
            self._set(name, str(value))

    def names_server(self, api_base: str | None, issuer: str = "http://127.0.0.1:8765") -> None:
        (self.state / "server").write_text(json.dumps({"api_base": api_base, "issuer": issuer}))

    def renews_to(self, token: str) -> None:
        (self.state / "renewed_token").write_text(token)

    @property
    def rejected(self) -> str | None:
        path = self.state / "rejected"
        return path.read_text() if path.exists() else None

    @property
    def calls(self) -> list[str]:
        return [line for line in (self.state / "calls").read_text().splitlines() if line]

    def path_env(self) -> str:
        """A ``PATH`` on which this fake is the only ``twinedge-desktop``."""
        return os.pathsep.join([str(self.bin), "/usr/bin", "/bin"])


def dump(value: object) -> str:
    return json.dumps(value)
