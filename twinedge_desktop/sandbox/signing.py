"""The sandbox's RS256 signing keys: generation, rotation with overlap, JWKS, sign, verify.

The active key signs; after a rotation the previous keys stay published (and
accepted) for ``ROTATION_OVERLAP_SECONDS``, longer than an access token lives,
so tokens issued just before a rotation keep verifying until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from twinedge_desktop.sandbox.storage import Storage

ROTATION_OVERLAP_SECONDS = 2 * 3600

# RSA key generation takes ~0.1 s; test runs start many in-memory sandboxes, so
# the first in-memory key of the process is reused by the ones that follow.
# (Each sandbox has its own issuer and accepts only token ids it issued, so tokens do not cross.)
_memory_key_lock = threading.Lock()
_memory_key_pem: str | None = None
# Loading (and checking) a PEM costs ~60 ms; keys are loaded once per process.
_loaded_keys: dict[str, rsa.RSAPrivateKey] = {}


def load_private_key(private_pem: str) -> rsa.RSAPrivateKey:
    with _memory_key_lock:
        key = _loaded_keys.get(private_pem)
    if key is None:
        loaded = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError("sandbox signing keys are RSA keys")
        key = loaded
        with _memory_key_lock:
            _loaded_keys[private_pem] = key
    return key


def generate_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def cached_memory_pem() -> str:
    global _memory_key_pem
    with _memory_key_lock:
        if _memory_key_pem is None:
            _memory_key_pem = generate_private_pem()
        return _memory_key_pem


def _thumbprint_kid(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: stable, derived from the public key, safe to show."""
    canonical = json.dumps(
        {"e": public_jwk["e"], "kty": "RSA", "n": public_jwk["n"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")[:16]


class _LoadedKey:
    def __init__(self, kid: str, private_pem: str, created_at: float, retired_at: float | None):
        self.kid = kid
        self.created_at = created_at
        self.retired_at = retired_at
        self.private_key = load_private_key(private_pem)
        self.public_key = self.private_key.public_key()
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
        self.public_jwk = jwk


class KeyRing:
    """The signing keys of one sandbox, loaded from storage and cached in memory."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._keys: list[_LoadedKey] = []
        self._reload()

    def _reload(self) -> None:
        self._keys = [
            _LoadedKey(row.kid, row.private_pem, row.created_at, row.retired_at)
            for row in self._storage.signing_keys()
        ]

    def ensure_key(self, now: float, *, in_memory: bool) -> None:
        """Create the first signing key if there is none (a fresh data file)."""
        if not self._keys:
            self.add_key(cached_memory_pem() if in_memory else generate_private_pem(), now)

    def add_key(self, private_pem: str, now: float) -> str:
        private_key = load_private_key(private_pem)
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        kid = _thumbprint_kid(jwk)
        self._storage.add_signing_key(kid, private_pem, now)
        self._storage.retire_signing_keys(except_kid=kid, retired_at=now)
        self._reload()
        return kid

    def rotate(self, now: float) -> str:
        """A new active key; the previous ones stay published for the overlap period."""
        return self.add_key(generate_private_pem(), now)

    @property
    def active(self) -> _LoadedKey:
        return self._keys[0]

    def published(self, now: float) -> list[_LoadedKey]:
        return [
            key
            for key in self._keys
            if key.retired_at is None or now < key.retired_at + ROTATION_OVERLAP_SECONDS
        ]

    def jwks(self, now: float) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.published(now)]}

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.active
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def verify(self, token: str, *, now: float, audience: str, issuer: str) -> dict[str, Any]:
        """The claims of a token signed by a published key, for this audience and issuer.

        Times are checked against the sandbox clock (which tests can shift), so PyJWT's
        own wall-clock checks are off. Raises ``jwt.InvalidTokenError``.
        """
        claims = self._decode(
            token,
            self.published(now),
            audience=audience,
            issuer=issuer,
            require=["exp", "iat", "iss", "aud", "sub", "jti", "scope"],
        )
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
            raise jwt.ExpiredSignatureError("token expired")
        return claims

    def verify_ignoring_expiry(self, token: str, *, audience: str, issuer: str) -> dict[str, Any]:
        """Claims of a token this sandbox signed with any key it still has (for revocation)."""
        return self._decode(token, self._keys, audience=audience, issuer=issuer, require=[])

    @staticmethod
    def _decode(
        token: str,
        keys: list[_LoadedKey],
        *,
        audience: str,
        issuer: str,
        require: list[str],
    ) -> dict[str, Any]:
        """Signature, audience and issuer checked with the key named by ``kid`` among
        ``keys``; RS256 only, whatever the header says. Time claims are the caller's."""
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            raise jwt.InvalidTokenError("unexpected header")
        key = next((k for k in keys if k.kid == kid), None)
        if key is None:
            raise jwt.InvalidTokenError("unknown signing key")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": require,
            },
        )
        return claims
