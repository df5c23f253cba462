"""Where verification keys come from: the issuer's JWKS (found by discovery), a URL, a file, a PEM.

Keys are fetched asynchronously with the ``httpx.AsyncClient`` the caller
passes in (never PyJWT's blocking ``PyJWKClient``) and cached per URL,
honouring ``Cache-Control``. A token whose ``kid`` is not in the cached set
causes at most one refetch per minute per URL, so a stream of forged kids cannot
turn the inspector into a request generator. The issuer's ``Date`` header gives
an estimate of the clock skew between it and this computer.

Nothing here ever fetches a URL that a token names (``jku``, ``x5u``): callers
pass only the issuer they trust or a source the person typed.

Every fetch has a whole-operation deadline and a byte cap (``api.http.get_json_document``),
and the whole key lookup for one token (metadata, then the key set, then perhaps one
refetch) has its own deadline, :data:`KEY_LOOKUP_DEADLINE_SECONDS`. Files are read
only when they are regular files, and only up to the same cap: ``/dev/zero`` or a named
pipe given as ``--jwks`` is refused at once instead of filling memory or blocking.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from twinedge_desktop.api import http as http_rules
from twinedge_desktop.api.errors import ApiError, FetchTooSlow, clean_server_text
from twinedge_desktop.api.urls import display_url, is_secure_url, well_known_urls

# A JWKS, metadata document or key file; the same cap as every fetched document.
MAX_DOCUMENT_BYTES = http_rules.MAX_DOCUMENT_BYTES
# Keys kept from one key set. Real issuers publish 1-5 (current, next, retired).
# A kid-less token is tried against every key of its type: ~0.04 ms per RSA key
# (build + verify, measured), so the ~2,500 keys a 1 MiB set can hold would cost
# ~0.1 s of event-loop time per token and thrash the 256-entry key-object cache.
MAX_KEYS_PER_SET = 100
# Metadata (up to two locations, each within the per-document deadline of 15 s), the
# key set and perhaps one refetch: 30 s is the most a person waits for a verdict.
KEY_LOOKUP_DEADLINE_SECONDS = 30.0
DEFAULT_CACHE_SECONDS = 300.0  # when the server says nothing about caching
MAX_CACHE_SECONDS = 24 * 3600.0
UNKNOWN_KID_REFETCH_INTERVAL = 60.0

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


class KeySourceError(Exception):
    """Keys could not be obtained; ``str(exc)`` is a sentence for the person (no secrets)."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class KeySourceTooSlow(KeySourceError):
    """A key source did not answer in time: asking it elsewhere would only wait again."""


@dataclass(frozen=True)
class PublicKey:
    """A verification key: a JWK dict (from a JWKS) or a key object (from a PEM)."""

    kid: str | None
    jwk: dict[str, Any] | None = None
    pem_key: PublicKeyTypes | None = None

    @property
    def kty(self) -> str | None:
        if self.jwk is not None:
            kty = self.jwk.get("kty")
            return kty if isinstance(kty, str) else None
        from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

        if isinstance(self.pem_key, rsa.RSAPublicKey):
            return "RSA"
        if isinstance(self.pem_key, ec.EllipticCurvePublicKey):
            return "EC"
        if isinstance(self.pem_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            return "OKP"
        return None


@dataclass(frozen=True)
class KeySet:
    """Keys from one source, with where they came from and (for HTTP) the server's clock skew."""

    keys: tuple[PublicKey, ...]
    source: str  # for display: "https://…/jwks.json", "file jwks.json", "PEM key"
    clock_skew: float | None = None  # server Date minus local time, seconds
    notes: tuple[str, ...] = ()  # things worth telling the person (a private key given…)
    refetched: bool = False  # this set was fetched again because of an unknown kid

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(k.kid for k in self.keys if k.kid)


def is_allowed_url(url: str) -> bool:
    """HTTPS anywhere; plain HTTP only to this computer (the sandbox): the app's one rule."""
    return is_secure_url(url)


def metadata_urls(issuer: str) -> tuple[str, ...]:
    """Where an issuer's metadata may live, in the order to try them.

    RFC 8414 puts the well-known segment between the host and the issuer's path
    (``https://h/.well-known/oauth-authorization-server/tenant``); OpenID Discovery
    appends it (``https://h/tenant/.well-known/openid-configuration``). Sign-in
    discovery uses the same function, so both always look in the same places.
    """
    return tuple(well_known_urls(issuer))


def cache_seconds(headers: httpx.Headers) -> float:
    """How long a response may be reused, from its ``Cache-Control`` header."""
    control = headers.get("cache-control", "")
    lowered = control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return 0.0
    match = _MAX_AGE.search(control)
    if match:
        return min(float(match.group(1)), MAX_CACHE_SECONDS)
    return DEFAULT_CACHE_SECONDS


def skew_from(headers: httpx.Headers, received_at: float) -> float | None:
    """Server clock minus ours, from the ``Date`` header (1 s resolution)."""
    raw = headers.get("date")
    if not raw:
        return None
    try:
        server = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if server.tzinfo is None:
        return None
    return server.timestamp() - received_at


def keys_from_jwks_document(data: Any, source: str) -> tuple[PublicKey, ...]:
    """Public keys from a JWKS (``{"keys": […]}``) or a single JWK; skips private/unusable parts.

    ``source`` is for messages and must already be safe to show (see ``display_url``).
    """
    if isinstance(data, dict) and isinstance(data.get("keys"), list):
        entries = data["keys"]
    elif isinstance(data, dict) and "kty" in data:
        entries = [data]
    else:
        raise KeySourceError(f'{source} is not a JWKS (a JSON object with a "keys" list).')
    if len(entries) > MAX_KEYS_PER_SET:
        raise KeySourceError(
            f"{source} lists {len(entries):,} keys; a key set has a handful, so it was not "
            f"used (at most {MAX_KEYS_PER_SET} are accepted)."
        )
    keys = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kty"), str):
            continue
        if entry.get("use") not in (None, "sig"):
            continue  # an encryption key must never verify a signature
        # Keep only the public members: a JWKS that leaks "d" must not make us hold a private key.
        public = {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "k")}
        kid = entry.get("kid")
        keys.append(PublicKey(kid=kid if isinstance(kid, str) else None, jwk=public))
    if not keys:
        raise KeySourceError(f"{source} holds no public signing keys.")
    return tuple(keys)


def keys_from_pem(data: bytes, source: str) -> tuple[tuple[PublicKey, ...], tuple[str, ...]]:
    """A public key, certificate or (its public half of) a private key in PEM."""
    notes: list[str] = []
    try:
        if b"BEGIN CERTIFICATE" in data:
            key: Any = x509.load_pem_x509_certificate(data).public_key()
        elif b"PRIVATE KEY" in data:
            key = load_pem_private_key(data, password=None).public_key()
            notes.append(
                f"{source} is a private key; only its public half was used. Keep private keys "
                "out of tools that only need to verify."
            )
        else:
            key = load_pem_public_key(data)
    except (ValueError, TypeError):
        raise KeySourceError(
            f"{source} is not a usable PEM key: it could not be read as a public key, a "
            "certificate or a private key."
        ) from None
    return (PublicKey(kid=None, pem_key=key),), tuple(notes)


def keys_from_text(text: str, source: str) -> KeySet:
    """Keys from text the person supplied: PEM, a JWKS or a single JWK."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise KeySourceError(
            f"{source} is larger than {http_rules.describe_size(MAX_DOCUMENT_BYTES)}: too "
            "large to be a key set or a PEM key."
        )
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        keys, notes = keys_from_pem(stripped.encode("utf-8"), source)
        return KeySet(keys, source, notes=notes)
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):
        raise KeySourceError(f"{source} is neither a PEM key nor a JWKS in JSON.") from None
    return KeySet(keys_from_jwks_document(data, source), source)


def _keys_from_path(source: str | Path) -> KeySet:
    path = Path(source.strip()).expanduser() if isinstance(source, str) else source
    return keys_from_file(path)


_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_key_file(path: Path, source: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; a :class:`KeySourceError` else.

    The file is opened with ``O_NONBLOCK`` so that opening a named pipe returns at
    once instead of waiting for a writer, then checked with ``fstat`` on the open
    descriptor (no race with a rename), and read to at most ``limit + 1`` bytes
    whatever its announced size: ``/dev/zero``, a FIFO, a socket or a folder is
    refused without reading, and a file growing while it is read stops at the cap.
    """
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_NOCTTY", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise _unreadable(source, exc) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
            raise KeySourceError(
                f"{source} is {kind}, not a file: give a JWKS or PEM file, or a JWKS URL."
            )
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(64 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _unreadable(source, exc) from None
    finally:
        os.close(descriptor)
    if size > limit:
        raise KeySourceError(
            f"{source} is larger than {http_rules.describe_size(limit)}: too large to be a key "
            "set; reading stopped there."
        )
    return b"".join(chunks)


def _unreadable(source: str, exc: OSError) -> KeySourceError:
    # strerror only ("No such file or directory"): str(exc) would repeat the full path.
    return KeySourceError(f"Could not read {source}: {exc.strerror or 'not readable'}.")


def keys_from_file(path: Path) -> KeySet:
    """Keys from a JWKS or PEM file (regular files only, at most 1 MiB)."""
    source = clean_server_text(str(path), 160)  # as the person gave it, bounded
    data = read_key_file(path, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeySourceError(
            f"{source} is not text (a JWKS or a PEM key); binary (DER) keys are not read."
        ) from None
    return keys_from_text(text, source)


@dataclass
class _CachedDocument:
    data: Any
    fetched_at: float  # monotonic
    expires_at: float  # monotonic
    skew: float | None


@dataclass
class KeyFetcher:
    """Fetches and caches JWKS and authorization-server metadata over the passed-in client.

    ``document_timeout`` bounds each fetch and ``lookup_deadline`` one whole
    :meth:`keys_for`; None means the module's constants, read at call time.
    """

    http: httpx.AsyncClient
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    refetch_interval: float = UNKNOWN_KID_REFETCH_INTERVAL
    document_timeout: float | None = None
    lookup_deadline: float | None = None
    _documents: dict[str, _CachedDocument] = field(default_factory=dict)
    _last_fetch: dict[str, float] = field(default_factory=dict)

    async def _fetch_json(self, url: str, what: str) -> _CachedDocument:
        if not is_allowed_url(url):
            raise KeySourceError(
                f"Refusing to fetch the {what} from {display_url(url)}: only HTTPS addresses "
                "(or plain HTTP on this computer) are trusted for keys."
            )
        # Counted at the attempt, not the success: a failing server must not be asked again
        # and again by a stream of unknown kids.
        self._last_fetch[url] = self.monotonic()
        try:
            document = await http_rules.get_json_document(
                self.http,
                url,
                what=what,
                max_bytes=MAX_DOCUMENT_BYTES,
                timeout=self.document_timeout,
                wall_clock=self.wall_clock,
            )
        except FetchTooSlow as exc:
            raise KeySourceTooSlow(exc.user_message) from None
        except ApiError as exc:
            # Too large, not JSON, unreachable, another status, or refused by the client's
            # HTTPS rule: each already a sentence with the address made safe to show.
            raise KeySourceError(exc.user_message) from None
        now = self.monotonic()
        return _CachedDocument(
            data=document.data,
            fetched_at=now,
            expires_at=now + cache_seconds(document.headers),
            skew=skew_from(document.headers, document.received_at),
        )

    async def _document(self, url: str, what: str, *, force: bool = False) -> _CachedDocument:
        cached = self._documents.get(url)
        if cached is not None and not force and self.monotonic() < cached.expires_at:
            return cached
        document = await self._fetch_json(url, what)
        self._documents[url] = document
        return document

    async def jwks(self, url: str, *, want_kid: str | None = None) -> KeySet:
        """The key set at ``url``; refetched once (rate limited) when ``want_kid`` is missing."""
        shown = display_url(url)
        document = await self._document(url, "key set (JWKS)")
        keys = keys_from_jwks_document(document.data, shown)
        refetched = False
        if want_kid is not None and all(k.kid != want_kid for k in keys):
            last = self._last_fetch.get(url, float("-inf"))
            if self.monotonic() - last >= self.refetch_interval:
                document = await self._document(url, "key set (JWKS)", force=True)
                keys = keys_from_jwks_document(document.data, shown)
                refetched = True
        return KeySet(keys, shown, clock_skew=document.skew, refetched=refetched)

    async def jwks_uri_for_issuer(self, issuer: str) -> tuple[str, float | None]:
        """The issuer's ``jwks_uri`` from RFC 8414 metadata (falling back to OpenID discovery)."""
        base = issuer.rstrip("/")
        errors: list[str] = []
        for url in metadata_urls(base):
            try:
                document = await self._document(url, "issuer metadata")
            except KeySourceTooSlow:
                raise  # the same server would keep us waiting at its other address too
            except KeySourceError as exc:
                errors.append(str(exc))
                continue
            data = document.data
            if not isinstance(data, dict):
                errors.append(f"The issuer metadata at {display_url(url)} is not a JSON object.")
                continue
            if str(data.get("issuer", "")).rstrip("/") != base:
                # RFC 8414 §3.3: metadata for another issuer must not be used.
                raise KeySourceError(
                    f"The metadata at {display_url(url)} is for issuer "
                    f"{clean_server_text(repr(data.get('issuer')), 120)}, "
                    f"not {display_url(issuer)!r}."
                )
            jwks_uri = data.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise KeySourceError(f"The issuer {display_url(issuer)} publishes no jwks_uri.")
            return jwks_uri, document.skew
        raise KeySourceError(errors[-1] if errors else f"Could not discover {display_url(issuer)}.")

    async def keys_for(
        self, *, issuer: str | None, source: str | Path | None, want_kid: str | None
    ) -> KeySet:
        """Keys from the explicit ``source`` if given, else from the issuer's JWKS.

        The whole lookup (metadata, key set, a refetch for an unknown kid) ends within
        ``lookup_deadline`` seconds, with :class:`KeySourceTooSlow` when it does not.
        """
        deadline = (
            KEY_LOOKUP_DEADLINE_SECONDS if self.lookup_deadline is None else (self.lookup_deadline)
        )
        try:
            async with asyncio.timeout(deadline):
                return await self._keys_for(issuer=issuer, source=source, want_kid=want_kid)
        except TimeoutError:
            raise KeySourceTooSlow(
                f"Getting the verification keys took longer than {deadline:g} s; stopped "
                "waiting. The issuer or key server is too slow or not answering properly."
            ) from None

    async def _keys_for(
        self, *, issuer: str | None, source: str | Path | None, want_kid: str | None
    ) -> KeySet:
        if source is not None:
            return await self.keys_from_source(source, want_kid=want_kid)
        if issuer is None:
            raise KeySourceError("No issuer and no key source: nothing to verify against.")
        jwks_uri, skew = await self.jwks_uri_for_issuer(issuer)
        keyset = await self.jwks(jwks_uri, want_kid=want_kid)
        if keyset.clock_skew is None and skew is not None:
            keyset = KeySet(keyset.keys, keyset.source, skew, keyset.notes, keyset.refetched)
        return keyset

    async def keys_from_source(self, source: str | Path, *, want_kid: str | None) -> KeySet:
        """Keys from a URL, PEM or JWKS text, or a file path (string or ``Path``)."""
        text = source if isinstance(source, str) else None
        if text is not None and text.lstrip().startswith(("https://", "http://")):
            return await self.jwks(text.strip(), want_kid=want_kid)
        if text is not None and text.lstrip().startswith(("-----BEGIN", "{")):
            return keys_from_text(text, "the key you gave")
        # Regular files only, opened without blocking (a FIFO cannot hold the open) and
        # capped; still a disk read, so off the event loop all the same.
        return await asyncio.to_thread(_keys_from_path, source)


def candidates(keyset: KeySet, kid: str | None, kty: str) -> Sequence[PublicKey]:
    """Keys that could have signed a token with this ``kid`` and algorithm family."""
    matching_type = [k for k in keyset.keys if k.kty == kty]
    if kid is None:
        return matching_type
    with_kid = [k for k in matching_type if k.kid == kid]
    if with_kid:
        return with_kid
    # A PEM key has no kid: the person chose it explicitly, so it applies to any kid.
    return [k for k in matching_type if k.jwk is None]
