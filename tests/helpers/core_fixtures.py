"""Fixtures for the core's unit tests: a fake OAuth server on httpx.MockTransport.

Imported by the conftest of each core test package (auth, api), so they are defined once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers.fake_auth_server import API, ISSUER, FakeAuthServer
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.session import Session
from twinedge_desktop.config import Profile
from twinedge_desktop.vault import KeychainUnavailable, MemoryStore


@pytest.fixture
def fake_server() -> FakeAuthServer:
    return FakeAuthServer()


@pytest.fixture
async def http(fake_server: FakeAuthServer) -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client(transport=httpx.MockTransport(fake_server.handler), trust_env=False)
    yield client
    await client.aclose()


@pytest.fixture
def profile() -> Profile:
    return Profile(
        id="example",
        name="Example",
        issuer=ISSUER,
        client_id="desktop-app",
        api_base=API,
        scopes=("read:assets", "write:assets"),
    )


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def session(profile: Profile, http: httpx.AsyncClient, store: MemoryStore) -> Session:
    return Session(profile, http, store)


class FlakyStore(MemoryStore):
    """A MemoryStore whose writes fail while ``failing`` is set, as a locked keychain's do.

    Reads keep working (gnome-keyring hands out what it has while refusing a write
    when the unlock prompt is dismissed); ``failed_writes`` counts the refusals.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failing = False
        self.failed_writes = 0

    def set(self, key: str, value: str) -> None:
        if self.failing:
            self.failed_writes += 1
            raise KeychainUnavailable(
                "locked",
                "The system keychain is locked, so TwinEdge Desktop can neither read nor save "
                "your sign-in.",
            )
        super().set(key, value)


class NoRequestsTransport(httpx.AsyncBaseTransport):
    """A transport that fails every request (and counts them): proves "no request at all"."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise httpx.ConnectError(f"no request may be made here (got {request.method})")
