"""The checks: signature (PyJWT, algorithm from an allow-list) and claims (times, iss, aud).

Each check yields findings with a severity and a sentence. The algorithm used
to verify is the allow-listed one the header names, never the header's word
alone: ``none`` and HMAC are never in the allow-list, because a public key used
as an HMAC secret lets anyone forge tokens.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt.algorithms import get_default_algorithms

from twinedge_desktop.timefmt import format_duration
from twinedge_desktop.tokens.decode import b64url_decode
from twinedge_desktop.tokens.explain import format_utc_and_local, to_datetime
from twinedge_desktop.tokens.keys import KeySet, PublicKey, candidates
from twinedge_desktop.tokens.model import Finding, Severity

ASYMMETRIC_ALGORITHMS: dict[str, str] = {
    "RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
    "PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
    "ES256": "EC", "ES384": "EC", "ES512": "EC",
    "EdDSA": "OKP",
}  # fmt: skip
MIN_RSA_BITS = 2048
# Below this the Date header's 1 s resolution and network latency are all we would be measuring.
SIGNIFICANT_SKEW_SECONDS = 5.0

_ALGORITHMS = {name: get_default_algorithms()[name] for name in ASYMMETRIC_ALGORITHMS}


def usable_algorithms(algorithms: Iterable[str]) -> tuple[tuple[str, ...], list[Finding]]:
    """The allow-list without anything symmetric or unknown (each removal is a finding)."""
    usable: list[str] = []
    findings: list[Finding] = []
    for alg in algorithms:
        if alg in ASYMMETRIC_ALGORITHMS:
            usable.append(alg)
        else:
            findings.append(
                Finding(
                    "alg",
                    Severity.WARNING,
                    f"{alg!r} was removed from the allowed algorithms: the inspector verifies "
                    "only with public-key algorithms (RS256, PS256, ES256, EdDSA…).",
                )
            )
    return tuple(usable), findings


@dataclass
class KeyObjectCache:
    """PyJWK → key objects, built once per JWK: parsing a key costs more than verifying."""

    _cache: dict[tuple[str, str], Any]

    def __init__(self) -> None:
        self._cache = {}

    def key_for(self, key: PublicKey, alg: str) -> Any:
        if key.pem_key is not None:
            return key.pem_key
        assert key.jwk is not None
        cache_key = (json.dumps(key.jwk, sort_keys=True), alg)
        found = self._cache.get(cache_key)
        if found is None:
            found = jwt.PyJWK(key.jwk, algorithm=alg).key
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[cache_key] = found
        return found


def check_algorithm(
    header: Mapping[str, Any], allowed: Sequence[str]
) -> tuple[str | None, Finding]:
    """The allow-listed algorithm to verify with, or None and the reason."""
    alg = header.get("alg")
    if not isinstance(alg, str):
        return None, Finding("alg", Severity.ERROR, "The header has no usable alg.")
    if alg in allowed:
        return alg, Finding("alg", Severity.OK, f"Algorithm {alg} is on this issuer's allow-list.")
    shown = ", ".join(allowed) or "none"
    return None, Finding(
        "alg",
        Severity.ERROR,
        f"The header asks for {alg}, which is not on this issuer's allow-list ({shown}); the "
        "algorithm comes from the allow-list, never from the token.",
    )


def check_signature(
    compact: str,
    header: Mapping[str, Any],
    alg: str,
    keyset: KeySet,
    key_objects: KeyObjectCache,
) -> list[Finding]:
    """Verify the signature with the ``keyset`` keys matching ``kid`` and the algorithm family."""
    findings: list[Finding] = []
    kid = header.get("kid")
    kid = kid if isinstance(kid, str) else None
    family = ASYMMETRIC_ALGORITHMS[alg]
    keys = candidates(keyset, kid, family)
    if not keys:
        if kid is not None and any(k.kid == kid for k in keyset.keys):
            message = (
                f"Key {kid!r} in {keyset.source} is not a {family} key, so it cannot verify {alg}."
            )
        elif kid is not None:
            known = ", ".join(repr(k) for k in keyset.kids) or "none"
            again = " (fetched again just now)" if keyset.refetched else ""
            message = (
                f"The token was signed with key {kid!r}, which {keyset.source}{again} does not "
                f"publish (it has {known}). The key was retired, or the token comes from another "
                "issuer or was forged."
            )
        else:
            message = f"{keyset.source} has no {family} key to verify an {alg} signature with."
        findings.append(Finding("key", Severity.ERROR, message))
        findings.append(
            Finding("signature", Severity.ERROR, "The signature could not be checked (no key).")
        )
        return findings
    # PyJWT's implementation of the allow-listed algorithm (never one the header picks).
    algorithm = _ALGORITHMS[alg]
    head_and_payload, _, encoded_signature = compact.rpartition(".")
    signing_input = head_and_payload.encode("ascii")
    signature = b64url_decode(encoded_signature)
    last_error = ""
    for key in keys:
        if key.jwk is not None and key.jwk.get("alg") not in (None, alg):
            last_error = f"key {key.kid!r} is for {key.jwk.get('alg')}, not {alg}"
            continue
        try:
            key_object = key_objects.key_for(key, alg)
        except (jwt.PyJWTError, ValueError, TypeError):
            last_error = f"key {key.kid!r} is unusable for {alg}"
            continue
        try:
            matches = algorithm.verify(signing_input, key_object, signature)
        except (jwt.PyJWTError, ValueError, TypeError):
            last_error = f"key {key.kid!r} cannot verify {alg}"
            continue
        if not matches:
            last_error = "it does not match"
            continue
        origin = f"key {key.kid!r} from {keyset.source}" if key.kid else keyset.source
        findings.append(
            Finding("signature", Severity.OK, f"Signature verified ({alg}) with {origin}.")
        )
        bits = getattr(key_object, "key_size", None)
        if family == "RSA" and isinstance(bits, int) and bits < MIN_RSA_BITS:
            findings.append(
                Finding("key", Severity.WARNING, f"The signing key is only {bits} bits long.")
            )
        return findings
    findings.append(
        Finding(
            "signature",
            Severity.ERROR,
            f"The signature does not verify with {keyset.source}: {last_error}. The token was "
            "changed after it was signed, or signed by someone else.",
        )
    )
    return findings


def check_claims(
    claims: Mapping[str, Any],
    *,
    now: float,
    leeway: int,
    issuer: str | None,
    audience: str | None,
    skew: float | None,
) -> list[Finding]:
    """``exp``, ``nbf``, ``iat`` with an explicit leeway; ``iss`` and ``aud`` against the profile.

    ``now`` is the local clock. When the issuer's clock differs significantly
    (``skew``, from its Date header), times are judged by the issuer's clock:
    that is the clock TwinEdge itself will use.
    """
    findings: list[Finding] = []
    effective_now = now
    if skew is not None and abs(skew) >= SIGNIFICANT_SKEW_SECONDS:
        effective_now = now + skew
        direction = "behind" if skew > 0 else "ahead of"
        findings.append(
            Finding(
                "clock",
                Severity.WARNING if abs(skew) > leeway else Severity.INFO,
                f"This computer's clock is {_about(skew)} {direction} the issuer's; times "
                "were checked against the issuer's clock.",
            )
        )
    findings.extend(_check_exp(claims, effective_now, leeway))
    findings.extend(_check_nbf(claims, effective_now, leeway))
    findings.extend(_check_iat(claims, effective_now, leeway))
    findings.extend(_check_iss(claims, issuer))
    findings.extend(_check_aud(claims, audience))
    return findings


def _about(seconds: float) -> str:
    """A skew estimate in words; the Date header has 1 s resolution, so round rather than floor."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{round(seconds)} s"
    return "about " + format_duration(round(seconds / 60) * 60)


def _at(timestamp: float) -> str:
    return format_utc_and_local(datetime.fromtimestamp(timestamp, tz=UTC))


def _numeric(claims: Mapping[str, Any], name: str) -> tuple[float | None, Finding | None]:
    value = claims.get(name)
    when = to_datetime(value)
    if when is None:
        return None, Finding(
            name, Severity.ERROR, f"{name} is {value!r}, not a NumericDate (seconds since 1970)."
        )
    return when.timestamp(), None


def _check_exp(claims: Mapping[str, Any], now: float, leeway: int) -> list[Finding]:
    if "exp" not in claims:
        return [
            Finding(
                "exp",
                Severity.ERROR,
                "The token has no exp: it would never expire, and "
                "TwinEdge rejects access tokens without one.",
            )
        ]
    exp, problem = _numeric(claims, "exp")
    if exp is None:
        return [problem] if problem else []
    at = _at(exp)
    if now >= exp + leeway:
        return [
            Finding(
                "exp",
                Severity.ERROR,
                f"Expired {format_duration(now - exp)} ago ({at}); leeway {leeway} s.",
            )
        ]
    if now >= exp:
        return [
            Finding(
                "exp",
                Severity.WARNING,
                f"Expired {format_duration(now - exp)} ago ({at}); "
                f"accepted only within the {leeway} s leeway.",
            )
        ]
    return [
        Finding("exp", Severity.OK, f"Not expired: expires in {format_duration(exp - now)} ({at}).")
    ]


def _check_nbf(claims: Mapping[str, Any], now: float, leeway: int) -> list[Finding]:
    if "nbf" not in claims:
        return []
    nbf, problem = _numeric(claims, "nbf")
    if nbf is None:
        return [problem] if problem else []
    if now < nbf - leeway:
        return [
            Finding(
                "nbf",
                Severity.ERROR,
                f"Not valid yet: valid from in {format_duration(nbf - now)}"
                f" ({_at(nbf)}); leeway {leeway} s.",
            )
        ]
    return [Finding("nbf", Severity.OK, "Already valid (nbf has passed).")]


def _check_iat(claims: Mapping[str, Any], now: float, leeway: int) -> list[Finding]:
    if "iat" not in claims:
        return [
            Finding("iat", Severity.WARNING, "The token does not say when it was issued (iat).")
        ]
    iat, problem = _numeric(claims, "iat")
    if iat is None:
        return [problem] if problem else []
    if iat > now + leeway:
        return [
            Finding(
                "iat",
                Severity.ERROR,
                f"Issued {format_duration(iat - now)} in the future "
                f"({_at(iat)}); leeway {leeway} s. The issuer's clock "
                "or this computer's is wrong, or the token is forged.",
            )
        ]
    exp = to_datetime(claims.get("exp"))
    if exp is not None and exp.timestamp() < iat:
        return [Finding("iat", Severity.ERROR, "The token expires before it was issued.")]
    return [Finding("iat", Severity.OK, f"Issued {format_duration(now - iat)} ago.")]


def _check_iss(claims: Mapping[str, Any], issuer: str | None) -> list[Finding]:
    iss = claims.get("iss")
    if issuer is None:
        return [
            Finding(
                "iss",
                Severity.WARNING,
                "The issuer was not checked: no expected "
                "issuer was given (choose a profile, or pass --issuer).",
            )
        ]
    if iss is None:
        return [Finding("iss", Severity.ERROR, f"The token has no iss; expected {issuer!r}.")]
    if iss == issuer:
        return [Finding("iss", Severity.OK, f"Issued by {issuer}, as expected.")]
    hint = ""
    if isinstance(iss, str) and iss.rstrip("/") == issuer.rstrip("/"):
        hint = " They differ only in a trailing slash, which still counts: issuers compare exactly."
    return [
        Finding(
            "iss", Severity.ERROR, f"Issued by {iss!r}, but this profile expects {issuer!r}.{hint}"
        )
    ]


def _check_aud(claims: Mapping[str, Any], audience: str | None) -> list[Finding]:
    aud = claims.get("aud")
    if audience is None:
        return [
            Finding(
                "aud",
                Severity.WARNING,
                "The audience was not checked: no expected "
                "audience was given (choose a profile, or pass --audience).",
            )
        ]
    if aud is None:
        return [
            Finding(
                "aud", Severity.ERROR, f"The token names no audience (aud); expected {audience!r}."
            )
        ]
    values = aud if isinstance(aud, list) else [aud]
    if not all(isinstance(v, str) for v in values):
        return [
            Finding("aud", Severity.ERROR, "The token's aud is not a string or list of strings.")
        ]
    if audience in values:
        return [Finding("aud", Severity.OK, f"Meant for {audience}, as expected.")]
    shown = ", ".join(repr(v) for v in values) or "nothing"
    return [
        Finding(
            "aud",
            Severity.ERROR,
            f"Meant for {shown}, not for {audience!r}: the API would reject it.",
        )
    ]


def check_scopes(claims: Mapping[str, Any], known: Iterable[str]) -> list[Finding]:
    """Flag scopes TwinEdge does not define (the token may be for another API)."""
    scope = claims.get("scope")
    if scope is None:
        return []
    if not isinstance(scope, str):
        return [Finding("scope", Severity.ERROR, "scope is not a space-separated string.")]
    catalogue = set(known)
    unknown = [s for s in scope.split() if s not in catalogue]
    if unknown:
        return [
            Finding(
                "scope",
                Severity.WARNING,
                f"Unknown scope{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                "TwinEdge does not define it; no TwinEdge API call needs it.",
            )
        ]
    if not scope.split():
        return [Finding("scope", Severity.WARNING, "The token grants no scopes.")]
    return []
