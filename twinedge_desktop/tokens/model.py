"""What the token inspector reports: findings, a verdict, and the decoded parts.

Plain, immutable data so the window, the command line and the tests all read the
same thing. Nothing here holds the token's signature or an API key's secret
part: a report can be printed, serialised to JSON or shown without leaking a
credential beyond the claims the person asked to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters. Only ``ERROR`` makes a token invalid."""

    OK = "ok"  # a check that passed
    INFO = "info"  # worth knowing, changes nothing
    WARNING = "warning"  # suspicious or unchecked, but not a reason to reject
    ERROR = "error"  # TwinEdge would reject the token (or it is unreadable)


class TokenKind(StrEnum):
    JWS = "jws"  # a signed JWT (compact JWS, three parts)
    JWE = "jwe"  # an encrypted JWT (compact JWE, five parts)
    API_KEY = "api_key"  # a TwinEdge API key (opaque, te_…)
    UNREADABLE = "unreadable"  # anything else, with the reason in the findings


class VerdictStatus(StrEnum):
    VALID = "valid"  # signature verified and nothing failed (see Verdict.unchecked)
    INVALID = "invalid"  # at least one check failed
    UNVERIFIED = "unverified"  # readable, nothing failed, but the signature was not checked
    UNREADABLE = "unreadable"  # not a token the inspector can read
    API_KEY = "api_key"  # a well-formed API key (checksum correct); only the server knows more


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's outcome: ``check`` is a short id ("exp", "signature"), ``message`` a sentence."""

    check: str
    severity: Severity
    message: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "severity": self.severity.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A check that was not made because nothing was given to check against, and how to make it.

    ``check`` is the id its findings use ("iss", "aud", "signature"), ``what`` names
    it in a sentence ("the issuer"), ``how`` says what to give so it is made.
    """

    check: str
    what: str
    how: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "what": self.what, "how": self.how}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The one-line answer: valid or not, which checks failed, and which were not made.

    ``unchecked`` lists the checks skipped for want of an expected value (no issuer,
    no audience, no key source). A ``VALID`` verdict with ``unchecked`` means the
    signature verified and nothing failed, but not every check was made: it must
    not be presented as "every check passed" (:attr:`all_checks_made` is False).
    """

    status: VerdictStatus
    headline: str
    failed_checks: tuple[str, ...] = ()
    unchecked: tuple[Unchecked, ...] = ()

    @property
    def is_valid(self) -> bool:
        return self.status is VerdictStatus.VALID

    @property
    def unchecked_checks(self) -> tuple[str, ...]:
        return tuple(u.check for u in self.unchecked)

    @property
    def all_checks_made(self) -> bool:
        """True when nothing was skipped for lack of an issuer, audience or key."""
        return not self.unchecked

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "valid": self.is_valid,
            "headline": self.headline,
            "failed_checks": list(self.failed_checks),
            "all_checks_made": self.all_checks_made,
            "unchecked": [u.to_json() for u in self.unchecked],
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """A header parameter or claim, its value as shown, and what it means for this token."""

    name: str
    value: str  # the value for display (times as numbers plus their dates in ``detail``)
    meaning: str  # what the parameter or claim is, in general
    detail: str = ""  # what this value means here: a date, a relative time, a scope list…
    known: bool = True  # False for a claim the inspector has no explanation for


@dataclass(frozen=True, slots=True)
class ScopeInfo:
    name: str
    description: str | None  # the seed's meaning; None when TwinEdge does not define the scope

    @property
    def known(self) -> bool:
        return self.description is not None


@dataclass(frozen=True)
class InspectionReport:
    """Everything known about one input after decoding (and, if asked, verifying) it.

    ``segments`` are the compact serialisation's parts (for colouring the token in
    the window); they are empty for API keys and unreadable input so the secret
    part of a key is never carried around in a report.
    """

    kind: TokenKind
    findings: tuple[Finding, ...]
    verdict: Verdict
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    payload_text: str | None = None  # the payload when it is text but not a JSON object
    segments: tuple[str, ...] = field(default=(), repr=False)  # the token: never in a repr
    header_explanations: tuple[Explanation, ...] = ()
    claim_explanations: tuple[Explanation, ...] = ()
    scopes: tuple[ScopeInfo, ...] = ()
    expires_at: datetime | None = None
    issued_at: datetime | None = None
    not_before: datetime | None = None
    key_prefix: str | None = None  # for API keys: the safe-to-show first 12 characters
    verified: bool = False  # True when a signature check ran and passed
    key_source: str | None = None  # where the verification key came from, for display
    # Why the keys asked for (a --jwks source, an issuer's key set) could not be used: the
    # signature was then not checked at all. None when keys were found, or none were asked for.
    key_source_problem: str | None = None
    leeway_seconds: int | None = None  # the leeway used for exp / nbf / iat (None: not checked)
    clock_skew_seconds: float | None = None  # issuer clock minus ours, from its Date header
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def algorithm(self) -> str | None:
        alg = (self.header or {}).get("alg")
        return alg if isinstance(alg, str) else None

    def findings_for(self, check: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.check == check)

    def to_json(self) -> dict[str, Any]:
        """One JSON-ready document: kind, header, claims, findings, verdict (never a signature)."""
        return {
            "kind": self.kind.value,
            "header": self.header,
            "claims": self.claims,
            "payload_text": self.payload_text,
            "key_prefix": self.key_prefix,
            "scopes": [{"name": s.name, "description": s.description} for s in self.scopes],
            "times": {
                "exp": _iso(self.expires_at),
                "iat": _iso(self.issued_at),
                "nbf": _iso(self.not_before),
            },
            "verification": {
                "verified": self.verified,
                "key_source": self.key_source,
                "leeway_seconds": self.leeway_seconds,
                "clock_skew_seconds": self.clock_skew_seconds,
                "checked_at": _iso(self.checked_at),
            },
            "findings": [f.to_json() for f in self.findings],
            "verdict": self.verdict.to_json(),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
