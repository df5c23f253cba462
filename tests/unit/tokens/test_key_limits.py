"""Key sources that misbehave end quickly, with a finding that says why.

URLs go to a real server on loopback (tests/helpers/hostile_server.py) through the
app's real client; files are real files, devices and named pipes. Every inspection
is bounded by ``asyncio.wait_for``: without the limits these would run forever.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers.fifo import named_pipe
from tests.helpers.hostile_server import (
    Document,
    Endless,
    HostileServer,
    Trickle,
    hostile_server,
)
from tests.helpers.token_fixtures import AUDIENCE, public_jwk, standard_claims
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.tokens import InspectionReport, TokenInspector, VerdictStatus
from twinedge_desktop.tokens.keys import MAX_KEYS_PER_SET

Mint = Callable[..., str]
BOUND = 20.0
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="devices and FIFOs")


@pytest.fixture
async def real_http() -> AsyncIterator[httpx.AsyncClient]:
    http = build_http_client(trust_env=False)
    yield http
    await http.aclose()


def quick_inspector(
    http: httpx.AsyncClient, document_timeout: float = 1.0, lookup_deadline: float = 5.0
) -> TokenInspector:
    return TokenInspector(http, document_timeout=document_timeout, lookup_deadline=lookup_deadline)


async def inspect(inspector: TokenInspector, token: str, **kwargs: Any) -> InspectionReport:
    return await asyncio.wait_for(inspector.inspect(token, audience=AUDIENCE, **kwargs), BOUND)


def key_message(report: InspectionReport) -> str:
    assert report.verdict.status is VerdictStatus.UNVERIFIED, report.findings
    return report.findings_for("key")[0].message


def metadata(server: HostileServer, jwks_path: str = "/jwks") -> Document:
    body = {"issuer": server.base_url, "jwks_uri": server.url(jwks_path)}
    return Document(json.dumps(body).encode())


# --- URLs -------------------------------------------------------------------------------
async def test_a_trickling_jwks_url_ends_at_the_document_deadline(
    real_http: httpx.AsyncClient, mint: Mint
) -> None:
    with hostile_server({"/jwks": Trickle(interval=0.1)}) as server:
        report = await inspect(quick_inspector(real_http), mint(), jwks_source=server.url("/jwks"))
    assert key_message(report) == (
        f"The key set (JWKS) at {server.url('/jwks')} did not arrive within 1 s; stopped waiting."
    )


async def test_an_endless_jwks_url_stops_at_one_mib(
    real_http: httpx.AsyncClient, mint: Mint
) -> None:
    with hostile_server({"/jwks": Endless()}) as server:
        report = await inspect(quick_inspector(real_http), mint(), jwks_source=server.url("/jwks"))
        assert server.finished("/jwks")
    assert "is larger than 1 MiB; reading stopped there" in key_message(report)


async def test_trickling_issuer_metadata_is_not_asked_for_at_its_other_address(
    real_http: httpx.AsyncClient, mint: Mint
) -> None:
    with hostile_server(
        {"/.well-known/oauth-authorization-server": Trickle(interval=0.1)}
    ) as server:
        report = await inspect(
            quick_inspector(real_http),
            mint(standard_claims(iss=server.base_url)),
            issuer=server.base_url,
        )
        asked = list(server.requests)
    assert "issuer metadata" in key_message(report) and "within 1 s" in key_message(report)
    assert asked == ["/.well-known/oauth-authorization-server"]


async def test_the_whole_key_lookup_has_one_deadline(
    real_http: httpx.AsyncClient, mint: Mint, rsa_key: rsa.RSAPrivateKey
) -> None:
    # Each document arrives within its own 1 s, but metadata + key set take 1.6 s.
    with hostile_server({}) as server:
        server.routes["/.well-known/oauth-authorization-server"] = Document(
            metadata(server).body, delay=0.8
        )
        jwks = json.dumps({"keys": [public_jwk(rsa_key, "key-1")]}).encode()
        server.routes["/jwks"] = Document(jwks, delay=0.8)
        inspector = quick_inspector(real_http, document_timeout=1.0, lookup_deadline=1.2)
        report = await inspect(
            inspector, mint(standard_claims(iss=server.base_url)), issuer=server.base_url
        )
    assert key_message(report).startswith(
        "Getting the verification keys took longer than 1.2 s; stopped waiting."
    )


async def test_a_key_set_with_too_many_keys_is_refused(
    real_http: httpx.AsyncClient, mint: Mint, rsa_key: rsa.RSAPrivateKey
) -> None:
    keys = [public_jwk(rsa_key, f"key-{n}") for n in range(MAX_KEYS_PER_SET + 1)]
    route = Document(json.dumps({"keys": keys}).encode())
    with hostile_server({"/jwks": route}) as server:
        report = await inspect(quick_inspector(real_http), mint(), jwks_source=server.url("/jwks"))
    assert f"lists {MAX_KEYS_PER_SET + 1} keys" in key_message(report)


async def test_credentials_in_a_key_url_never_reach_a_finding(
    real_http: httpx.AsyncClient, mint: Mint
) -> None:
    with hostile_server({}) as server:
        url = server.url("/jwks?access_token=query-secret-value").replace(
            "http://", "http://person:userinfo-secret@"
        )
        report = await inspect(quick_inspector(real_http), mint(), jwks_source=url)
    text = json.dumps(report.to_json())
    assert "HTTP 404" in key_message(report)
    assert "userinfo-secret" not in text and "query-secret-value" not in text


async def test_server_supplied_issuer_text_is_bounded_in_the_finding(
    real_http: httpx.AsyncClient, mint: Mint
) -> None:
    body = json.dumps({"issuer": "https://evil.example/" + "x" * 100_000, "jwks_uri": "x"})
    route = Document(body.encode())
    with hostile_server({"/.well-known/oauth-authorization-server": route}) as server:
        report = await inspect(
            quick_inspector(real_http),
            mint(standard_claims(iss=server.base_url)),
            issuer=server.base_url,
        )
    assert "is for issuer" in key_message(report)
    assert len(key_message(report)) < 500


# --- files ------------------------------------------------------------------------------
@posix_only
async def test_dev_zero_is_refused_at_once(real_http: httpx.AsyncClient, mint: Mint) -> None:
    report = await inspect(quick_inspector(real_http), mint(), jwks_source="/dev/zero")
    assert key_message(report) == (
        "/dev/zero is a device, not a file: give a JWKS or PEM file, or a JWKS URL."
    )


@posix_only
async def test_a_named_pipe_is_refused_without_waiting_for_a_writer(
    real_http: httpx.AsyncClient, mint: Mint, tmp_path: Path
) -> None:
    with named_pipe(tmp_path / "keys.fifo") as fifo:
        report = await inspect(quick_inspector(real_http), mint(), jwks_source=str(fifo))
    assert key_message(report) == (
        f"{fifo} is a named pipe (FIFO), not a file: give a JWKS or PEM file, or a JWKS URL."
    )


async def test_a_folder_is_refused(
    real_http: httpx.AsyncClient, mint: Mint, tmp_path: Path
) -> None:
    report = await inspect(quick_inspector(real_http), mint(), jwks_source=tmp_path)
    assert "is a folder, not a file" in key_message(report)


async def test_a_file_over_one_mib_is_refused_without_reading_it_whole(
    real_http: httpx.AsyncClient, mint: Mint, tmp_path: Path
) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(4 * 1024**3)  # a sparse 4 GiB file: reading it whole would show
    report = await inspect(quick_inspector(real_http), mint(), jwks_source=big)
    assert key_message(report) == (
        f"{big} is larger than 1 MiB: too large to be a key set; reading stopped there."
    )


async def test_a_binary_file_is_named_as_such(
    real_http: httpx.AsyncClient, mint: Mint, tmp_path: Path
) -> None:
    der = tmp_path / "key.der"
    der.write_bytes(b"\x30\x82\x01\x22\xff\xfe")
    report = await inspect(quick_inspector(real_http), mint(), jwks_source=der)
    assert "is not text" in key_message(report)


async def test_pasted_key_text_over_one_mib_is_refused(
    real_http: httpx.AsyncClient, mint: Mint
) -> None:
    pasted = '{"keys": [' + " " * (1024 * 1024) + "]}"
    report = await inspect(quick_inspector(real_http), mint(), jwks_source=pasted)
    assert "is larger than 1 MiB" in key_message(report)
