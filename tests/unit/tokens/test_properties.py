"""Property-based: whatever is pasted, the inspector answers with findings and never crashes.

Thousands of arbitrary strings, and tokens that are structurally valid (three or five
base64url parts, JSON objects with the usual header parameters and claims) but wrong in
every way hypothesis can find. None may crash, none may be called valid, each must
carry at least one finding, and the internal-error safety net must never be what caught it.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.tokens.vectors import RFC7515_A2_PUBLIC_JWK
from twinedge_desktop.tokens import InspectionReport, TokenInspector, VerdictStatus

JWKS_TEXT = json.dumps({"keys": [dict(RFC7515_A2_PUBLIC_JWK, kid="k1")]})
PROPERTY_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
# Flat containers only: deep recursion costs generation time and finds nothing new
# (nesting depth is covered by test_decode's deeply nested payload).
json_values = (
    json_scalars
    | st.lists(json_scalars, max_size=3)
    | st.dictionaries(st.sampled_from(["a", "kid", "n"]), json_scalars, max_size=2)
)
header_names = st.sampled_from(["alg", "kid", "typ", "jku", "x5u", "x5c", "jwk", "crit", "b64"])
header_values = (
    st.sampled_from(["RS256", "none", "HS256", "ES256", "PS256", "k1", "JWT"]) | json_values
)
claim_names = st.sampled_from(
    ["iss", "aud", "sub", "org", "scope", "exp", "iat", "nbf", "jti", "client_id"]
) | st.text(max_size=6)
claim_values = (
    st.integers(min_value=-(10**20), max_value=10**20)
    | st.sampled_from(["joe", "read:assets admin bogus", "https://api.twinedgeai.com", ""])
    | json_values
)
headers = st.dictionaries(header_names | st.text(max_size=5), header_values, max_size=6)
claims_sets = st.dictionaries(claim_names, claim_values, max_size=10)


def encode_json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@st.composite
def structured_tokens(draw: st.DrawFn) -> str:
    header = draw(headers)
    payload: Any = draw(claims_sets | json_values)
    signature = draw(st.binary(max_size=260))
    parts = [b64(encode_json(header)), b64(encode_json(payload)), b64(signature)]
    shape = draw(st.sampled_from(["jws", "jwe", "bearer", "mangled"]))
    if shape == "jwe":
        parts += [b64(draw(st.binary(max_size=20))), b64(draw(st.binary(max_size=16)))]
    token = ".".join(parts)
    if shape == "bearer":
        token = "Bearer " + token
    if shape == "mangled":
        position = draw(st.integers(min_value=0, max_value=len(token)))
        token = token[:position] + draw(st.text(max_size=3)) + token[position:]
    return token


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


@pytest.fixture(scope="module")
def inspector() -> TokenInspector:
    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request to {request.url}")

    return TokenInspector(httpx.AsyncClient(transport=httpx.MockTransport(no_network)))


def assert_answered(report: InspectionReport) -> None:
    assert report.findings, "every input gets at least one finding"
    assert report.verdict.status is not VerdictStatus.VALID
    assert report.findings_for("internal") == (), report.findings
    json.dumps(report.to_json(), default=str)  # always serialisable for --json


@settings(PROPERTY_SETTINGS, max_examples=2000)
@given(text=st.text(max_size=400))
def test_arbitrary_text_never_crashes(inspector: TokenInspector, text: str) -> None:
    assert_answered(inspector.decode_only(text))


@settings(PROPERTY_SETTINGS, max_examples=500)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_as_text_never_crash(inspector: TokenInspector, data: bytes) -> None:
    assert_answered(inspector.decode_only(data.decode("latin-1")))


@settings(PROPERTY_SETTINGS, max_examples=1000)
@given(token=structured_tokens())
def test_structurally_valid_but_wrong_tokens_are_never_valid(
    inspector: TokenInspector, loop: asyncio.AbstractEventLoop, token: str
) -> None:
    assert_answered(inspector.decode_only(token, issuer="joe", audience="api"))
    report = loop.run_until_complete(
        inspector.inspect(token, issuer="joe", audience="api", jwks_source=JWKS_TEXT)
    )
    assert_answered(report)


def _raw_token(header_json: str, payload_json: str) -> str:
    return f"{b64(header_json.encode())}.{b64(payload_json.encode())}.{b64(b'sig')}"


_RS256 = '{"alg":"RS256","kid":"k1"}'


@pytest.mark.parametrize(
    ("header_json", "payload_json"),
    [
        # Times far outside what datetime can hold, both ways, as ints, floats and infinities.
        (_RS256, '{"exp":1e400,"iat":-1e400,"nbf":1e308}'),
        (_RS256, f'{{"exp":{10**400},"iat":{-(10**400)},"nbf":{10**19}}}'),
        (_RS256, '{"exp":"9","iat":true,"nbf":[1]}'),
        (_RS256, '{"exp":' + "9" * 5000 + "}"),  # over Python's int-from-text digit limit
        # Header members of the wrong type.
        ('{"alg":"RS256","kid":123,"typ":[1],"crit":"x","jku":5}', '{"sub":1}'),
        ('{"alg":{"a":1},"kid":{"x":[]}}', '{"scope":5,"aud":[1,[2]],"iss":7}'),
        # Nesting just inside and far beyond what the JSON reader accepts.
        (_RS256, '{"a":' + "[" * 900 + "]" * 900 + "}"),
        (_RS256, '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"),
        # Lone surrogates, bidi overrides and NULs (st.text never generates surrogates).
        (_RS256, '{"sub":"\\ud800","scope":"read:assets \\udfff","name":"\\u202e\\u0000"}'),
        ('{"alg":"RS256","kid":"\\udbff"}', '{"iss":"\\ud800","aud":"\\udc00"}'),
    ],
)
def test_hostile_but_well_formed_tokens_are_answered(
    inspector: TokenInspector, loop: asyncio.AbstractEventLoop, header_json: str, payload_json: str
) -> None:
    token = _raw_token(header_json, payload_json)
    for report in (
        inspector.decode_only(token, issuer="joe", audience="api"),
        loop.run_until_complete(
            inspector.inspect(token, issuer="joe", audience="api", jwks_source=JWKS_TEXT)
        ),
    ):
        assert_answered(report)
        # --json output must also be writable to a UTF-8 stream (no lone surrogates).
        json.dumps(report.to_json(), default=str).encode("utf-8")
