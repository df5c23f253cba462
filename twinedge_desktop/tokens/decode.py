"""Recognise and decode what a person pasted, trusting none of it.

The input may be a signed JWT (compact JWS), an encrypted JWT (compact JWE), a
TwinEdge API key, or anything at all. Decoding never raises: every problem is a
finding that names the part that failed (which segment is not base64url, which
is not JSON, and so on). Nothing here verifies a signature; see ``verify``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from twinedge_desktop.keyformat import KEY_PREFIX, KeyCheck, check_key, display_prefix
from twinedge_desktop.tokens.model import Finding, Severity, TokenKind

# Real access tokens are a few kilobytes; 64 KiB leaves room for huge claim sets while
# keeping decoding (and anything a hostile paste could make us do) cheap.
MAX_INPUT_CHARS = 65_536

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_BEARER = re.compile(r"^(?:authorization\s*:\s*)?bearer(?:\s+|$)", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")

JWS_PART_NAMES = ("header", "payload", "signature")
JWE_PART_NAMES = ("protected header", "encrypted key", "initialisation vector", "ciphertext", "tag")

_HMAC_ALGS = frozenset({"HS256", "HS384", "HS512"})
_UNTRUSTED_KEY_HEADERS = ("jku", "x5u", "x5c", "jwk")
_KEY_CHECK_MESSAGES = {
    KeyCheck.WRONG_LENGTH: "It starts like a TwinEdge API key but has {length} characters; "
    "a key has exactly 41 (te_ + 32 random + 6 checksum). Was it cut off when copied?",
    KeyCheck.BAD_CHARACTERS: "It starts like a TwinEdge API key but contains characters outside "
    "0-9, A-Z and a-z, so it was changed after it was issued.",
    KeyCheck.BAD_CHECKSUM: "It looks like a TwinEdge API key but its checksum does not match: "
    "a character was changed or mistyped. The server would reject it.",
}


@dataclass
class Decoded:
    """The result of decoding: parts and findings, before any verification."""

    kind: TokenKind
    findings: list[Finding] = field(default_factory=list)
    # The token itself: a bearer credential, so never part of a repr.
    compact: str = field(default="", repr=False)  # the cleaned compact serialisation
    segments: tuple[str, ...] = field(default=(), repr=False)
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    payload_text: str | None = None
    key_prefix: str | None = None

    def add(self, check: str, severity: Severity, message: str) -> None:
        self.findings.append(Finding(check, severity, message))

    @property
    def readable(self) -> bool:
        return self.kind in (TokenKind.JWS, TokenKind.JWE) and self.header is not None


def clean_input(text: str) -> tuple[str, list[Finding]]:
    """Strip whitespace, quotes and a leading ``Bearer`` (or ``Authorization: Bearer``)."""
    notes: list[Finding] = []
    cleaned = text.strip().strip("\"'").strip()
    without_bearer = _BEARER.sub("", cleaned, count=1)
    if without_bearer != cleaned:
        notes.append(Finding("input", Severity.INFO, 'Removed the leading "Bearer" scheme.'))
        cleaned = without_bearer.strip()
    if _WHITESPACE.search(cleaned):
        # Tokens never contain whitespace; a wrapped paste (e-mail, terminal) does.
        cleaned = _WHITESPACE.sub("", cleaned)
        notes.append(
            Finding("input", Severity.INFO, "Removed spaces and line breaks inside the token.")
        )
    return cleaned, notes


def b64url_decode(segment: str) -> bytes:
    """Strict base64url without padding, as RFC 7515 requires; raises ValueError with a reason."""
    match = _BASE64URL.fullmatch(segment)
    if match is None:
        bad_at = next(i for i, ch in enumerate(segment) if not _BASE64URL.fullmatch(ch))
        char = segment[bad_at]
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        hint = " (base64url has no padding)" if char == "=" else ""
        hint = " (that is standard base64, not base64url)" if char in "+/" else hint
        raise ValueError(f"has the character {shown} at position {bad_at + 1}{hint}")
    if len(segment) % 4 == 1:
        raise ValueError(f"has a length ({len(segment)}) no base64url text can have")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the checks above catch these
        raise ValueError(f"is not base64url ({exc})") from None


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two parsers may pick different values for a repeated name: refuse it (RFC 7515 §5.2).
            raise ValueError(f"repeats the member {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"uses {name}, which is not JSON")


def parse_json(data: bytes) -> Any:
    """Strict JSON from UTF-8 bytes; raises ValueError with a reason a person can act on."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 text (byte {exc.start + 1})") from None
    try:
        return json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not JSON ({exc.msg} at character {exc.pos + 1})") from None
    except RecursionError:
        raise ValueError("is JSON nested too deeply to read") from None
    except ValueError as exc:  # duplicate members, NaN, numbers too long for int()
        raise ValueError(str(exc)) from None


def decode(text: str) -> Decoded:
    """Recognise and decode ``text``. Never raises; problems become findings."""
    if len(text) > MAX_INPUT_CHARS:
        result = Decoded(TokenKind.UNREADABLE)
        result.add(
            "input",
            Severity.ERROR,
            f"The input is {len(text):,} characters long; the inspector reads at most "
            f"{MAX_INPUT_CHARS:,}. Access tokens are a few thousand characters at most.",
        )
        return result
    cleaned, notes = clean_input(text)
    if not cleaned:
        result = Decoded(TokenKind.UNREADABLE, findings=notes)
        result.add("input", Severity.ERROR, "Nothing to inspect: the input is empty.")
        return result
    if cleaned.startswith(KEY_PREFIX) and "." not in cleaned:
        return _decode_api_key(cleaned, notes)
    parts = cleaned.split(".")
    if len(parts) == 3:
        return _decode_jws(cleaned, parts, notes)
    if len(parts) == 5:
        return _decode_jwe(cleaned, parts, notes)
    result = Decoded(TokenKind.UNREADABLE, findings=notes)
    if len(parts) == 1:
        result.add(
            "format",
            Severity.ERROR,
            "This is not a JWT (it has no dots: a signed JWT has three dot-separated parts, an "
            "encrypted one five) and not a TwinEdge API key (those start with te_). It may be "
            "an opaque token only its issuer can check.",
        )
    else:
        result.add(
            "format",
            Severity.ERROR,
            f"This has {len(parts)} dot-separated parts; a signed JWT has 3 and an encrypted "
            "JWT has 5.",
        )
    return result


def _decode_api_key(key: str, notes: list[Finding]) -> Decoded:
    status = check_key(key)
    result = Decoded(TokenKind.API_KEY, findings=notes)
    result.key_prefix = display_prefix(key)
    if status is KeyCheck.VALID:
        result.add(
            "api_key",
            Severity.OK,
            "This is a TwinEdge API key, not a token: it is opaque (it carries no claims, no "
            "expiry and no signature). Its checksum is correct, so it was not mistyped. Only "
            "the server knows whether it is active and what it allows: ask it with GET /v1/me "
            "and the key as the bearer (the Token Inspector's Test button does this).",
        )
    else:
        result.add("api_key", Severity.ERROR, _KEY_CHECK_MESSAGES[status].format(length=len(key)))
    return result


def _decode_segments(
    result: Decoded, parts: list[str], names: tuple[str, ...], json_parts: tuple[int, ...]
) -> list[bytes | None]:
    decoded: list[bytes | None] = []
    for index, (part, name) in enumerate(zip(parts, names, strict=True)):
        try:
            decoded.append(b64url_decode(part))
        except ValueError as exc:
            decoded.append(None)
            result.add("format", Severity.ERROR, f"Part {index + 1} ({name}) {exc}.")
            continue
        if index in json_parts and not part:
            result.add("format", Severity.ERROR, f"Part {index + 1} ({name}) is empty.")
    return decoded


def _decode_jws(compact: str, parts: list[str], notes: list[Finding]) -> Decoded:
    result = Decoded(TokenKind.JWS, findings=notes, compact=compact, segments=tuple(parts))
    raw = _decode_segments(result, parts, JWS_PART_NAMES, (0, 1))
    header_bytes, payload_bytes, signature = raw
    if header_bytes is not None and parts[0]:
        header = _json_object(result, header_bytes, "Part 1 (header)")
        if header is not None:
            result.header = header
            _check_header(result, header)
    if payload_bytes is not None and parts[1]:
        _decode_payload(result, payload_bytes)
    if signature is not None and not parts[2]:
        alg = (result.header or {}).get("alg")
        if alg != "none":
            result.add(
                "signature",
                Severity.ERROR,
                "Part 3 (signature) is empty: the token is unsigned, or its signature was cut "
                "off when copied.",
            )
    if result.header is None:
        result.kind = TokenKind.UNREADABLE
    return result


def _decode_payload(result: Decoded, payload: bytes) -> None:
    if (result.header or {}).get("b64") is False:
        result.add(
            "payload",
            Severity.ERROR,
            "The header says the payload is not base64url "
            "encoded (b64: false); TwinEdge tokens never use that.",
        )
    try:
        value = parse_json(payload)
    except ValueError as exc:
        try:
            result.payload_text = payload.decode("utf-8")
        except UnicodeDecodeError:
            result.payload_text = None
        what = "text" if result.payload_text is not None else "binary data"
        result.add(
            "payload",
            Severity.ERROR,
            f"Part 2 (payload) is {what}, not a JSON claims set: it {exc}. A JWT's payload "
            "must be a JSON object.",
        )
        return
    if not isinstance(value, dict):
        result.add(
            "payload",
            Severity.ERROR,
            f"Part 2 (payload) is JSON but a {_json_type(value)}, not an object; a JWT's "
            "claims must be a JSON object.",
        )
        result.payload_text = payload.decode("utf-8", errors="replace")
        return
    result.claims = value


def _decode_jwe(compact: str, parts: list[str], notes: list[Finding]) -> Decoded:
    result = Decoded(TokenKind.JWE, findings=notes, compact=compact, segments=tuple(parts))
    raw = _decode_segments(result, parts, JWE_PART_NAMES, (0,))
    if raw[0] is not None and parts[0]:
        header = _json_object(result, raw[0], "Part 1 (protected header)")
        if header is not None:
            result.header = header
            enc = header.get("enc")
            result.add(
                "format",
                Severity.INFO,
                "This is an encrypted JWT (JWE): its claims can only be read with the "
                f"recipient's private key (alg {header.get('alg')!r}, enc {enc!r}). "
                "TwinEdge access tokens are signed, not encrypted.",
            )
            for name in _UNTRUSTED_KEY_HEADERS:
                if name in header:
                    result.add(name, Severity.WARNING, _untrusted_key_message(name))
    if result.header is None:
        result.kind = TokenKind.UNREADABLE
    result.add(
        "encrypted",
        Severity.ERROR,
        "The inspector cannot decrypt it, so it cannot check its claims or signature.",
    )
    return result


def _json_object(result: Decoded, data: bytes, where: str) -> dict[str, Any] | None:
    try:
        value = parse_json(data)
    except ValueError as exc:
        result.add("format", Severity.ERROR, f"{where} {exc}.")
        return None
    if not isinstance(value, dict):
        result.add(
            "format", Severity.ERROR, f"{where} is JSON but a {_json_type(value)}, not an object."
        )
        return None
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


def _untrusted_key_message(name: str) -> str:
    what = {
        "jku": "a URL to fetch keys from",
        "x5u": "a URL to fetch a certificate from",
        "x5c": "its own certificate chain",
        "jwk": "its own public key",
    }[name]
    return (
        f"The header names {what} ({name}). The inspector never uses keys a token chooses for "
        "itself (anyone can sign a token with their own key); it only uses the issuer's "
        "published keys."
    )


def _check_header(result: Decoded, header: dict[str, Any]) -> None:
    alg = header.get("alg")
    if "alg" not in header:
        result.add("alg", Severity.ERROR, "The header has no alg, so no signature can be checked.")
    elif not isinstance(alg, str):
        result.add("alg", Severity.ERROR, "The header's alg is not a string.")
    elif alg.lower() == "none":
        result.add(
            "alg",
            Severity.ERROR,
            f'The header says alg "{alg}": the token is unsigned and anyone could have written '
            "it. Refused.",
        )
    elif alg in _HMAC_ALGS:
        result.add(
            "alg",
            Severity.ERROR,
            f"The header says {alg}, a shared-secret (HMAC) algorithm. TwinEdge signs with "
            "RS256; verifying HMAC with the issuer's public key is the classic key-confusion "
            "attack, so it is refused.",
        )
    for name in _UNTRUSTED_KEY_HEADERS:
        if name in header:
            result.add(name, Severity.WARNING, _untrusted_key_message(name))
    crit = header.get("crit")
    if crit is not None:
        result.add(
            "crit",
            Severity.ERROR,
            f"The header marks extensions as critical ({crit!r}); the inspector understands "
            "none, and RFC 7515 requires rejecting such a token.",
        )
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in ("jwt", "at+jwt")):
        result.add("typ", Severity.INFO, f"The header's typ is {typ!r}, not JWT.")
