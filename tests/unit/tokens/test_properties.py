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
