"""Recognising and decoding input: precise reasons for everything that is not a token."""

from __future__ import annotations

import base64
import json

import pytest

from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.tokens.decode import MAX_INPUT_CHARS, decode
from twinedge_desktop.tokens.model import Severity, TokenKind
from twinedge_desktop.tokens.service import TokenInspector


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


HEADER = b64(b'{"alg":"RS256","kid":"k"}')
CLAIMS = b64(b'{"sub":"user-123","exp":2000000000}')
SIG = b64(b"\x01" * 256)
TOKEN = f"{HEADER}.{CLAIMS}.{SIG}"
DUPLICATE = b64(b'{"a":1,"a":2}')
NAN = b64(b'{"exp":NaN}')
CRIT = b64(b'{"alg":"RS256","crit":["exp"]}')


def errors(text: str) -> list[str]:
    return [f.message for f in decode(text).findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize(
    "wrapped",
    [
        TOKEN,
        f"  {TOKEN}\n",
        f"Bearer {TOKEN}",
        f"bearer   {TOKEN}",
        f"Authorization: Bearer {TOKEN}",
        f'"{TOKEN}"',
        f"{TOKEN[:40]}\n{TOKEN[40:90]}\r\n{TOKEN[90:]}",
    ],
)
def test_whitespace_quotes_and_bearer_are_stripped(wrapped: str) -> None:
    decoded = decode(wrapped)
    assert decoded.kind is TokenKind.JWS
    assert decoded.compact == TOKEN
    assert decoded.claims == {"sub": "user-123", "exp": 2000000000}


def test_valid_api_key_is_recognised_without_keeping_the_secret() -> None:
    key = generate_key()
    decoded = decode(key)
    assert decoded.kind is TokenKind.API_KEY
    assert decoded.key_prefix == key[:12]
    assert decoded.segments == () and decoded.compact == ""
    (finding,) = decoded.findings
    assert finding.severity is Severity.OK and "opaque" in finding.message
    assert key[12:] not in repr(decoded)


def test_api_key_with_a_typo_fails_its_checksum() -> None:
    key = generate_key()
    typo = key[:20] + ("a" if key[20] != "a" else "b") + key[21:]
    assert any("checksum does not match" in m for m in errors(typo))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("te_short", "has 8 characters"),
        ("te_" + "!" * 38, "outside 0-9"),
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("Bearer ", "empty"),
        ("hello", "no dots"),
        ("a.b", "2 dot-separated parts"),
        ("a.b.c.d", "4 dot-separated parts"),
        (f"{HEADER}.{CLAIMS}", "2 dot-separated parts"),
        (f"{HEADER}+x.{CLAIMS}.{SIG}", "standard base64, not base64url"),
        (f"{HEADER}.{CLAIMS}=.{SIG}", "no padding"),
        (f"{HEADER}.{CLAIMS}.A", "Part 3 (signature) has a length"),
        (f"{b64(b'not json')}.{CLAIMS}.{SIG}", "Part 1 (header) is not JSON"),
        (f"{b64(b'[1,2]')}.{CLAIMS}.{SIG}", "header) is JSON but a list"),
        (f"{b64(bytes([0xFF, 0xFE]))}.{CLAIMS}.{SIG}", "is not UTF-8"),
        (f"{HEADER}.{b64(b'[1]')}.{SIG}", "JSON but a list"),
        (f"{HEADER}.{b64(b'hello')}.{SIG}", "is text, not a JSON claims set"),
        (f"{HEADER}.{b64(bytes([0x80, 0x81]))}.{SIG}", "is binary data"),
        (f"{HEADER}.{DUPLICATE}.{SIG}", "repeats the member 'a'"),
        (f"{HEADER}.{NAN}.{SIG}", "uses NaN"),
        (f"{HEADER}.{CLAIMS}.", "signature) is empty"),
        (f"{b64(b'{}')}.{CLAIMS}.{SIG}", "has no alg"),
        (f"{CRIT}.{CLAIMS}.{SIG}", "critical"),
        (f".{CLAIMS}.{SIG}", "Part 1 (header) is empty"),
    ],
)
def test_precise_reasons(text: str, reason: str) -> None:
    found = errors(text)
    assert any(reason in m for m in found), found


def test_oversized_input_is_refused_before_any_work() -> None:
    decoded = decode("A" * (MAX_INPUT_CHARS + 1))
    assert decoded.kind is TokenKind.UNREADABLE
    assert "at most 65,536" in decoded.findings[0].message


def test_deeply_nested_json_is_a_finding_not_a_crash() -> None:
    nested = b64(b"[" * 50_000 + b"]" * 50_000)[: MAX_INPUT_CHARS - 1000]
    nested = nested[: len(nested) - len(nested) % 4]
    decoded = decode(f"{HEADER}.{nested}.{SIG}")
    assert decoded.kind is TokenKind.JWS
    assert any(f.check == "payload" for f in decoded.findings)


def test_jwe_header_is_shown_and_key_headers_warned() -> None:
    header = b64(json.dumps({"alg": "RSA-OAEP", "enc": "A256GCM", "jku": "https://x"}).encode())
    decoded = decode(f"{header}.{b64(b'k')}.{b64(b'iv')}.{b64(b'ct')}.{b64(b'tag')}")
    assert decoded.kind is TokenKind.JWE
    assert decoded.header == {"alg": "RSA-OAEP", "enc": "A256GCM", "jku": "https://x"}
    assert any(f.check == "jku" and f.severity is Severity.WARNING for f in decoded.findings)


def test_reprs_never_carry_the_whole_token(inspector: TokenInspector) -> None:
    """A signed token is a bearer credential: a repr in a log line or an assertion message
    must not be enough to replay it (the signature segment never appears)."""

    signature = b64(b"a-signature-long-enough-to-be-unique-" * 2)
    header = b64(json.dumps({"alg": "RS256", "kid": "k"}).encode())
    payload = b64(json.dumps({"sub": "user-1", "exp": 4_000_000_000}).encode())
    token = f"{header}.{payload}.{signature}"
    decoded = decode(token)
    assert decoded.segments[-1] == signature  # still available to the window...
    assert signature not in repr(decoded)  # ...but not in a repr
    report = inspector.decode_only(token)
    assert report.segments[-1] == signature
    assert signature not in repr(report)
