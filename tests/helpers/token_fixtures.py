"""Fixtures for the token inspector's unit tests: RSA keys, a token minter, a fake issuer.

The fake issuer is an ``httpx.MockTransport`` serving RFC 8414 metadata and a JWKS, and
recording every request, so tests can assert what was (and was not) fetched. The real
sandbox covers the same path over loopback in tests/integration/tokens.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from twinedge_desktop.tokens import TokenInspector

ISSUER = "https://auth.example.test"
AUDIENCE = "https://api.example.test"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    data.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return dict(data)


def standard_claims(now: float | None = None, **overrides: Any) -> dict[str, Any]:
    now = time.time() if now is None else now
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-123",
        "org": "org-456",
        "scope": "read:assets read:telemetry",
        "client_id": "twinedge-desktop",
        "jti": "jti-1",
        "iat": int(now),
        "exp": int(now) + 3600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def mint(rsa_key: rsa.RSAPrivateKey) -> Callable[..., str]:
    def _mint(
        claims: dict[str, Any] | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = "key-1",
        headers: dict[str, Any] | None = None,
    ) -> str:
        all_headers = {"kid": kid} if kid else {}
        all_headers.update(headers or {})
        return jwt.encode(
            standard_claims() if claims is None else claims,
            key or rsa_key,
            algorithm="RS256",
            headers=all_headers,
        )

    return _mint


@dataclass
class FakeIssuer:
    """A scripted authorization server: metadata + JWKS, with request log and knobs."""

    keys: list[dict[str, Any]]
    cache_control: str | None = "max-age=300"
    date_offset: float | None = 0.0  # the server clock minus the real one; None: no Date header
    status: int = 200
    server_clock: Callable[[], float] = time.time
    missing_paths: set[str] = field(default_factory=set)  # answered 404
    metadata_issuer: str = ISSUER  # what the metadata claims to describe
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers: dict[str, str] = {}
        if self.date_offset is not None:
            headers["Date"] = formatdate(self.server_clock() + self.date_offset, usegmt=True)
        if self.cache_control:
            headers["Cache-Control"] = self.cache_control
        if request.url.host != "auth.example.test":
            return httpx.Response(500, json={"error": "a request left the issuer"})
        if request.url.path in self.missing_paths:
            return httpx.Response(404, headers=headers)
        if request.url.path in (
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
        ):
            return httpx.Response(
                200,
                json={
                    "issuer": self.metadata_issuer,
                    "jwks_uri": JWKS_URL,
                    "token_endpoint": ISSUER + "/t",
                },
                headers=headers,
            )
        if request.url.path == "/.well-known/jwks.json":
            if self.status != 200:
                return httpx.Response(self.status, headers=headers)
            return httpx.Response(200, json={"keys": self.keys}, headers=headers)
        return httpx.Response(404)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def jwks_fetches(self) -> int:
        return self.paths().count("/.well-known/jwks.json")


@pytest.fixture
def issuer(rsa_key: rsa.RSAPrivateKey) -> FakeIssuer:
    return FakeIssuer(keys=[public_jwk(rsa_key, "key-1")])


@pytest.fixture
async def http(issuer: FakeIssuer) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose every request goes to the fake issuer (and is recorded there)."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handler)) as client:
        yield client


class Clock:
    """A settable wall clock and monotonic clock for the inspector."""

    def __init__(self) -> None:
        self.wall = time.time()
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inspector(http: httpx.AsyncClient, clock: Clock, issuer: FakeIssuer) -> TokenInspector:
    issuer.server_clock = lambda: clock.wall  # the issuer agrees with our clock unless told not to
    return TokenInspector(http, clock=lambda: clock.wall, monotonic=lambda: clock.mono)
