"""Published vectors: RFC 7515 Appendix A, RFC 7520 §4.1 and RFC 7516 Appendix A.3."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.unit.tokens.vectors import (
    RFC7515_A1_JWS,
    RFC7515_A2_EXP,
    RFC7515_A2_JWS,
    RFC7515_A2_PUBLIC_JWK,
    RFC7516_A3_JWE,
    RFC7520_41_JWS,
    RFC7520_PAYLOAD_TEXT,
    RFC7520_PUBLIC_JWK,
)
from twinedge_desktop.tokens import Severity, TokenInspector, TokenKind, VerdictStatus

A2_JWKS = json.dumps({"keys": [RFC7515_A2_PUBLIC_JWK]})


def _offline_inspector(now: float) -> tuple[TokenInspector, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(500)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return TokenInspector(client, clock=lambda: now), requests


async def test_rfc7515_a2_rs256_verifies_before_its_expiry() -> None:
    inspector, requests = _offline_inspector(RFC7515_A2_EXP - 600)
    report = await inspector.inspect(RFC7515_A2_JWS, issuer="joe", jwks_source=A2_JWKS)
    assert report.verdict.status is VerdictStatus.VALID, report.findings
    assert report.verified
    assert report.header == {"alg": "RS256"}
    assert report.claims == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
    assert report.expires_at is not None and report.expires_at.year == 2011
    assert requests == []  # a key given as text needs no network


async def test_rfc7515_a2_is_expired_today() -> None:
    inspector, _ = _offline_inspector(RFC7515_A2_EXP + 3 * 86400)
    report = await inspector.inspect(RFC7515_A2_JWS, issuer="joe", jwks_source=A2_JWKS)
    assert report.verdict.status is VerdictStatus.INVALID
    assert report.verdict.failed_checks == ("exp",)
    assert report.verified  # the signature itself is fine
    (exp,) = report.findings_for("exp")
    assert "Expired 3 days ago" in exp.message and "leeway 60 s" in exp.message


async def test_rfc7515_a2_with_one_flipped_signature_bit_fails() -> None:
    head, payload, signature = RFC7515_A2_JWS.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    inspector, _ = _offline_inspector(RFC7515_A2_EXP - 600)
    report = await inspector.inspect(f"{head}.{payload}.{flipped}", jwks_source=A2_JWKS)
    assert report.verdict.status is VerdictStatus.INVALID
    assert "signature" in report.verdict.failed_checks
    assert not report.verified


async def test_rfc7515_a1_hs256_is_refused_even_with_a_key_available() -> None:
    inspector, requests = _offline_inspector(RFC7515_A2_EXP - 600)
    report = await inspector.inspect(RFC7515_A1_JWS, issuer="joe", jwks_source=A2_JWKS)
    assert report.verdict.status is VerdictStatus.INVALID
    assert set(report.verdict.failed_checks) >= {"alg", "signature"}
    (alg,) = [f for f in report.findings_for("alg") if f.severity is Severity.ERROR]
    assert "HS256" in alg.message and "key-confusion" in alg.message
    assert report.header == {"typ": "JWT", "alg": "HS256"}  # still decoded and shown
    assert requests == []


async def test_hs256_is_refused_even_when_the_caller_allows_it() -> None:
    inspector, _ = _offline_inspector(RFC7515_A2_EXP - 600)
    report = await inspector.inspect(
        RFC7515_A1_JWS, jwks_source=A2_JWKS, algorithms=("HS256", "RS256")
    )
    assert report.verdict.status is VerdictStatus.INVALID
    assert not report.verified
    assert any("removed from the allowed algorithms" in f.message for f in report.findings)


async def test_rfc7520_4_1_signature_verifies_but_payload_is_no_claims_set() -> None:
    inspector, _ = _offline_inspector(1_700_000_000)
    report = await inspector.inspect(RFC7520_41_JWS, jwks_source=json.dumps(RFC7520_PUBLIC_JWK))
    assert report.verified  # byte-exact vector: the RFC's key verifies the RFC's signature
    assert report.header == {"alg": "RS256", "kid": "bilbo.baggins@hobbiton.example"}
    assert report.claims is None
    assert report.payload_text == RFC7520_PAYLOAD_TEXT
    assert report.verdict.status is VerdictStatus.INVALID
    assert report.verdict.failed_checks == ("payload",)


async def test_rfc7520_4_1_against_the_wrong_key_reports_the_kid() -> None:
    inspector, _ = _offline_inspector(1_700_000_000)
    report = await inspector.inspect(RFC7520_41_JWS, jwks_source=A2_JWKS)
    (key,) = report.findings_for("key")
    assert "bilbo.baggins@hobbiton.example" in key.message
    assert "key" in report.verdict.failed_checks


def test_rfc7516_a3_is_recognised_as_an_encrypted_jwt() -> None:
    inspector, _ = _offline_inspector(1_700_000_000)
    report = inspector.decode_only(RFC7516_A3_JWE)
    assert report.kind is TokenKind.JWE
    assert report.header == {"alg": "A128KW", "enc": "A128CBC-HS256"}
    assert report.claims is None
    assert report.verdict.status is VerdictStatus.INVALID
    assert any("encrypted JWT (JWE)" in f.message for f in report.findings)


@pytest.mark.parametrize("vector", [RFC7515_A1_JWS, RFC7515_A2_JWS, RFC7520_41_JWS])
def test_segments_are_kept_for_colouring(vector: str) -> None:
    inspector, _ = _offline_inspector(1_700_000_000)
    assert ".".join(inspector.decode_only(vector).segments) == vector
