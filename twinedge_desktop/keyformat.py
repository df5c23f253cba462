"""The TwinEdge API key format: recognisable and checkable offline.

A key is ``te_`` + 32 base62 characters of randomness + 6 characters of
checksum. The checksum is the CRC32 of the first 35 characters, written in
base62 (alphabet ``0-9A-Za-z``), most significant digit first, left-padded
with ``0``. The server stores only a hash; ``prefix`` is the first 12
characters, safe to show and to log.

Shared by the sandbox (which mints keys), the token inspector (which
recognises them) and the log redaction filter.
"""

from __future__ import annotations

import re
import zlib
from enum import Enum

KEY_PREFIX = "te_"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
KEY_LENGTH = len(KEY_PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH  # 41
DISPLAY_PREFIX_LENGTH = 12
BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Anything shaped like a key, for redaction: te_ followed by a long base62 run. No left
# boundary, on purpose: "\\nte_…" (an escaped newline in a repr or JSON), "q%3Dte_…" (URL
# encoding) and "id_te_…" all end the previous token with a word character, which a
# ``\b`` took for the middle of a word, leaking the key. Hiding the tail of some longer
# identifier that happens to hold "te_" and 20 base62 characters is the cheap side of
# the trade. Starting with the literal also keeps it fast (re skips to each "te_").
KEY_PATTERN = re.compile(r"te_[0-9A-Za-z]{20,}")


def to_base62(number: int, width: int) -> str:
    """``number`` in base62, most significant digit first, left-padded to ``width``."""
    if number < 0:
        raise ValueError("base62 encodes non-negative numbers only")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(BASE62_ALPHABET[remainder])
    encoded = "".join(reversed(digits)) or "0"
    return encoded.rjust(width, "0")


def checksum(body: str) -> str:
    """The 6-character checksum of the first 35 characters (``te_`` + random part)."""
    return to_base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def generate_key() -> str:
    """A fresh API key with 32 base62 characters (about 190 bits) from ``secrets``."""
    import secrets  # here: hashlib/hmac cost milliseconds at the window's start

    random_part = "".join(secrets.choice(BASE62_ALPHABET) for _ in range(RANDOM_LENGTH))
    body = KEY_PREFIX + random_part
    return body + checksum(body)


def display_prefix(key: str) -> str:
    """The first 12 characters: what the API returns as ``prefix`` and the UI shows."""
    return key[:DISPLAY_PREFIX_LENGTH]


class KeyCheck(Enum):
    VALID = "valid"
    NOT_A_KEY = "not_a_key"  # does not start with te_
    WRONG_LENGTH = "wrong_length"
    BAD_CHARACTERS = "bad_characters"
    BAD_CHECKSUM = "bad_checksum"


def check_key(candidate: str) -> KeyCheck:
    """Classify a string against the key format, without any network call."""
    if not candidate.startswith(KEY_PREFIX):
        return KeyCheck.NOT_A_KEY
    if len(candidate) != KEY_LENGTH:
        return KeyCheck.WRONG_LENGTH
    tail = candidate[len(KEY_PREFIX) :]
    if any(ch not in BASE62_ALPHABET for ch in tail):
        return KeyCheck.BAD_CHARACTERS
    body = candidate[: len(KEY_PREFIX) + RANDOM_LENGTH]
    if candidate[len(body) :] != checksum(body):
        return KeyCheck.BAD_CHECKSUM
    return KeyCheck.VALID


def is_valid_key(candidate: str) -> bool:
    return check_key(candidate) is KeyCheck.VALID
