"""Helpers for the SDK's sandbox tests: a request recorder, a clock moved with the
sandbox's, and API keys made through the API by a signed-in user."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.helpers.sandbox import SandboxControls
from tests.integration.sandbox.flows import user_tokens
from twinedge_desktop.sandbox.embedded import RunningSandbox

TIMEOUT = 15.0


@dataclass
class Recorder:
    """Every request the SDK sends: (method, path, bearer, monotonic time) and each status."""

    sent: list[tuple[str, str, str, float]] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _on_request(self, request: httpx.Request) -> None:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            self.sent.append((request.method, request.url.path, bearer, time.monotonic()))

    def _on_response(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses.append((response.request.url.path, response.status_code))

    async def _on_request_async(self, request: httpx.Request) -> None:
        self._on_request(request)

    async def _on_response_async(self, response: httpx.Response) -> None:
        self._on_response(response)

    def client(self) -> httpx.Client:
        return httpx.Client(
            timeout=TIMEOUT,
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=TIMEOUT,
            event_hooks={
                "request": [self._on_request_async],
                "response": [self._on_response_async],
            },
        )

    def count(self, path: str) -> int:
        return sum(1 for _, sent_path, _, _ in self.sent if sent_path == path)

    @property
    def token_requests(self) -> int:
        return self.count("/oauth/token")

    def times(self, path: str) -> list[float]:
        return [at for _, sent_path, _, at in self.sent if sent_path == path]


class ShiftedClock:
    """The SDK's clock, moved together with the sandbox's (``/_sandbox/clock``)."""

    def __init__(self, controls: SandboxControls) -> None:
        self.controls = controls
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def shift(self, seconds: float, *, sdk_too: bool = True) -> None:
        self.controls.shift_clock(seconds)
        if sdk_too:
            self.offset = seconds


@dataclass(frozen=True)
class IssuedKey:
    secret: str = field(repr=False)
    id: str
    owner_token: str = field(repr=False)  # the signed-in user's access token, to revoke it


def create_api_key(sandbox: RunningSandbox, scopes: list[str]) -> IssuedKey:
    """A real key made through the API by a signed-in user (engineer@example.com)."""
    tokens = user_tokens(sandbox.base_url, scope=" ".join(scopes))
    response = httpx.post(
        f"{sandbox.base_url}/v1/api-keys",
        json={"name": "SDK test", "scopes": scopes},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return IssuedKey(str(body["key"]), str(body["id"]), str(tokens["access_token"]))


def revoke_api_key(sandbox: RunningSandbox, key: IssuedKey) -> None:
    response = httpx.delete(
        f"{sandbox.base_url}/v1/api-keys/{key.id}",
        headers={"Authorization": f"Bearer {key.owner_token}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 204, response.text
