"""PKCE (RFC 7636) S256 and the ``state`` value, both from ``secrets``."""

from __future__ import annotations

import base64
import hashlib
import secrets

# 64 random bytes = 512 bits, encoded as 86 base64url characters (RFC 7636 allows 43-128).
VERIFIER_BYTES = 64
# 32 random bytes = 256 bits: far above the 128 bits the issue asks of ``state``.
STATE_BYTES = 32


def new_code_verifier() -> str:
    """A fresh code verifier: base64url characters are all RFC 7636 "unreserved"."""
    return secrets.token_urlsafe(VERIFIER_BYTES)


def code_challenge_s256(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(STATE_BYTES)
