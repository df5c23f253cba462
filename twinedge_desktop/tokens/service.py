"""The token inspector service: one object for the window and the command line.

``decode_only`` is synchronous and instant (for display while verification
runs); ``inspect`` also verifies the signature against the issuer's published
keys (or a key source the person gives) and checks the claims. Neither ever
raises for any input: every problem is a finding, and the verdict names the
checks that failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from twinedge_desktop.scopes import ALL_SCOPE_NAMES
from twinedge_desktop.tokens.decode import Decoded, decode
from twinedge_desktop.tokens.explain import (
    explain_claims,
    explain_header,
    scope_infos,
    to_datetime,
)
from twinedge_desktop.tokens.keys import (
    UNKNOWN_KID_REFETCH_INTERVAL,
    KeyFetcher,
    KeySet,
    KeySourceError,
)
from twinedge_desktop.tokens.model import (
    Finding,
    InspectionReport,
    Severity,
    TokenKind,
    Unchecked,
    Verdict,
    VerdictStatus,
)
from twinedge_desktop.tokens.verify import (
    KeyObjectCache,
    check_algorithm,
    check_claims,
    check_scopes,
    check_signature,
    usable_algorithms,
)

log = logging.getLogger(__name__)

DEFAULT_LEEWAY_SECONDS = 60
DEFAULT_ALGORITHMS: tuple[str, ...] = ("RS256",)

# Short words for the verdict line, by check id.
_CHECK_LABELS = {
    "input": "input",
    "format": "malformed",
    "payload": "payload is not a claims set",
    "alg": "algorithm refused",
    "crit": "unknown critical extension",
    "key": "signing key not found",
    "signature": "signature",
    "exp": "expired",
    "nbf": "not valid yet",
    "iat": "issue time",
    "iss": "wrong issuer",
    "aud": "wrong audience",
    "scope": "scope",
    "encrypted": "encrypted",
    "api_key": "not a valid API key",
    "internal": "inspector error",
}

# What to give so a skipped check is made; worded for both the window and the command line.
UNCHECKED_SIGNATURE = Unchecked(
    "signature",
    "the signature",
    "choose a profile whose issuer publishes the keys, or give a JWKS URL, a JWKS file or a "
    "PEM public key (command line: --profile P, --issuer ISS or --jwks URL|FILE)",
)
UNCHECKED_ISSUER = Unchecked(
    "iss",
    "the issuer",
    "choose a profile, or give the expected issuer (command line: --issuer ISS or --profile P)",
)
UNCHECKED_AUDIENCE = Unchecked(
    "aud",
    "the audience",
    "choose a profile, or give the expected audience (command line: --audience AUD or --profile P)",
)

UNVERIFIED_HINT = (
    "The signature was not verified: no issuer or key was given, and an unverified token "
    "cannot be called valid. Verify it against a profile's issuer, or give a JWKS URL, a "
    "JWKS file or a PEM public key (command line: --profile, --issuer or --jwks)."
)


class TokenInspector:
    """Decode, explain and verify tokens. Construct once with the app's HTTP client.

    ``clock`` (wall time) and ``monotonic`` are injectable so tests can move time;
    ``document_timeout`` (each fetch) and ``lookup_deadline`` (one token's whole key
    lookup) default to ``api.http.DOCUMENT_TIMEOUT_SECONDS`` (15 s) and
    ``tokens.keys.KEY_LOOKUP_DEADLINE_SECONDS`` (30 s).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        refetch_interval: float = UNKNOWN_KID_REFETCH_INTERVAL,
        document_timeout: float | None = None,
        lookup_deadline: float | None = None,
    ) -> None:
        self._clock = clock
        self._fetcher = KeyFetcher(
            http,
            monotonic=monotonic,
            wall_clock=clock,
            refetch_interval=refetch_interval,
            document_timeout=document_timeout,
            lookup_deadline=lookup_deadline,
        )
        self._key_objects = KeyObjectCache()

    def decode_only(
        self,
        text: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: int = DEFAULT_LEEWAY_SECONDS,
    ) -> InspectionReport:
        """Decode and explain without any network: the signature is reported as not yet verified."""
        try:
            decoded = decode(text)
            extra: list[Finding] = []
            if decoded.kind is TokenKind.JWS and decoded.header is not None:
                extra.append(
                    Finding("signature", Severity.INFO, "The signature has not been verified yet.")
                )
            return self._report(
                decoded,
                extra,
                issuer=issuer,
                audience=audience,
                leeway=leeway,
                keyset=None,
                verified=False,
                signature_unchecked=True,
            )
        except Exception as exc:  # the last line of defence: a report, never a crash
            return self._internal_error(exc)

    async def inspect(
        self,
        text: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        jwks_source: str | Path | None = None,
        leeway: int = DEFAULT_LEEWAY_SECONDS,
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    ) -> InspectionReport:
        """Decode, explain and verify ``text``.

        Keys come from ``jwks_source`` (URL, file path, PEM or JWKS text) when given,
        else from ``issuer``'s metadata (``jwks_uri``). ``algorithms`` is the
        issuer's allow-list; symmetric algorithms are removed from it.
        """
        try:
            return await self._inspect(
                text,
                issuer=issuer,
                audience=audience,
                jwks_source=jwks_source,
                leeway=max(0, int(leeway)),
                algorithms=algorithms,
            )
        except Exception as exc:  # the last line of defence: a report, never a crash
            return self._internal_error(exc)

    async def _inspect(
        self,
        text: str,
        *,
        issuer: str | None,
        audience: str | None,
        jwks_source: str | Path | None,
        leeway: int,
        algorithms: Sequence[str],
    ) -> InspectionReport:
        decoded = decode(text)
        if decoded.kind is not TokenKind.JWS or decoded.header is None:
            return self._report(
                decoded,
                [],
                issuer=issuer,
                audience=audience,
                leeway=leeway,
                keyset=None,
                verified=False,
            )
        findings: list[Finding] = []
        signature_unchecked = False
        allowed, removed = usable_algorithms(algorithms)
        findings.extend(removed)
        keyset: KeySet | None = None
        key_problem: str | None = None
        verified = False
        decode_errors = {f.check for f in decoded.findings if f.severity is Severity.ERROR}
        if "alg" in decode_errors:
            findings.append(
                Finding(
                    "signature",
                    Severity.ERROR,
                    "The signature was not checked: the algorithm is refused.",
                )
            )
        elif "format" in decode_errors or "signature" in decode_errors:
            findings.append(
                Finding(
                    "signature",
                    Severity.ERROR,
                    "The signature was not checked: the token is malformed.",
                )
            )
        else:
            alg, alg_finding = check_algorithm(decoded.header, allowed)
            findings.append(alg_finding)
            if alg is None:
                findings.append(
                    Finding(
                        "signature",
                        Severity.ERROR,
                        "The signature was not checked: the algorithm is refused.",
                    )
                )
            elif issuer is None and jwks_source is None:
                findings.append(Finding("signature", Severity.WARNING, UNVERIFIED_HINT))
                signature_unchecked = True
            else:
                kid = decoded.header.get("kid")
                try:
                    keyset = await self._fetcher.keys_for(
                        issuer=issuer,
                        source=jwks_source,
                        want_kid=kid if isinstance(kid, str) else None,
                    )
                except KeySourceError as exc:
                    key_problem = str(exc)
                    findings.append(Finding("key", Severity.WARNING, key_problem))
                    findings.append(
                        Finding(
                            "signature",
                            Severity.WARNING,
                            "The signature was not verified: no keys to verify with (see above).",
                        )
                    )
                else:
                    findings.extend(Finding("key", Severity.INFO, n) for n in keyset.notes)
                    results = check_signature(
                        decoded.compact, decoded.header, alg, keyset, self._key_objects
                    )
                    findings.extend(results)
                    verified = any(
                        f.check == "signature" and f.severity is Severity.OK for f in results
                    )
        return self._report(
            decoded,
            findings,
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            keyset=keyset,
            verified=verified,
            signature_unchecked=signature_unchecked,
            key_problem=key_problem,
        )

    def _report(
        self,
        decoded: Decoded,
        extra: list[Finding],
        *,
        issuer: str | None,
        audience: str | None,
        leeway: int,
        keyset: KeySet | None,
        verified: bool,
        signature_unchecked: bool = False,
        key_problem: str | None = None,
    ) -> InspectionReport:
        now = self._clock()
        findings = list(decoded.findings) + extra
        claims = decoded.claims
        skew = keyset.clock_skew if keyset else None
        unchecked: list[Unchecked] = []
        if decoded.kind is TokenKind.JWS and signature_unchecked:
            unchecked.append(UNCHECKED_SIGNATURE)
        if decoded.kind is TokenKind.JWS and claims is not None:
            findings.extend(
                check_claims(
                    claims, now=now, leeway=leeway, issuer=issuer, audience=audience, skew=skew
                )
            )
            findings.extend(check_scopes(claims, ALL_SCOPE_NAMES))
            if issuer is None:
                unchecked.append(UNCHECKED_ISSUER)
            if audience is None:
                unchecked.append(UNCHECKED_AUDIENCE)
        verdict = _verdict(decoded, findings, verified, tuple(unchecked))
        return InspectionReport(
            kind=decoded.kind,
            findings=tuple(_ordered(findings)),
            verdict=verdict,
            header=decoded.header,
            claims=claims,
            payload_text=decoded.payload_text,
            segments=decoded.segments,
            header_explanations=explain_header(decoded.header) if decoded.header else (),
            claim_explanations=explain_claims(claims, now) if claims else (),
            scopes=scope_infos(claims) if claims else (),
            expires_at=to_datetime(claims.get("exp")) if claims else None,
            issued_at=to_datetime(claims.get("iat")) if claims else None,
            not_before=to_datetime(claims.get("nbf")) if claims else None,
            key_prefix=decoded.key_prefix,
            verified=verified,
            key_source=keyset.source if keyset else None,
            key_source_problem=key_problem,
            leeway_seconds=leeway if claims is not None else None,
            clock_skew_seconds=round(skew, 1) if skew is not None else None,
        )

    def _internal_error(self, exc: Exception) -> InspectionReport:
        # Log the type only: an exception's text could quote the input.
        log.error("Token inspector failed unexpectedly (%s)", type(exc).__name__)
        finding = Finding(
            "internal",
            Severity.ERROR,
            "The inspector hit an unexpected problem and could not finish; the token was not "
            "judged valid. The details are in the log.",
        )
        return InspectionReport(
            kind=TokenKind.UNREADABLE,
            findings=(finding,),
            verdict=Verdict(
                VerdictStatus.UNREADABLE, "Could not inspect this input.", ("internal",)
            ),
        )


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2, Severity.OK: 3}


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Most serious first; within a severity, in the order the checks ran."""
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])


def _failed(findings: list[Finding]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for finding in findings:
        if finding.severity is Severity.ERROR:
            seen.setdefault(finding.check, None)
    return tuple(seen)


def _verdict(
    decoded: Decoded,
    findings: list[Finding],
    verified: bool,
    unchecked: tuple[Unchecked, ...] = (),
) -> Verdict:
    failed = _failed(findings)
    if decoded.kind is TokenKind.API_KEY:
        if failed:
            return Verdict(VerdictStatus.INVALID, "Not a valid TwinEdge API key.", failed)
        return Verdict(
            VerdictStatus.API_KEY,
            f"TwinEdge API key {decoded.key_prefix}…: well-formed (checksum correct), opaque.",
        )
    if decoded.kind is TokenKind.UNREADABLE:
        first = next((f.message for f in findings if f.severity is Severity.ERROR), "")
        return Verdict(VerdictStatus.UNREADABLE, f"Unreadable: {first}", failed)
    if decoded.kind is TokenKind.JWE:
        return Verdict(
            VerdictStatus.INVALID,
            "Encrypted JWT (JWE): its claims and signature cannot be checked here.",
            failed,
        )
    skipped = _joined([u.what for u in unchecked])
    if failed:
        labels = ", ".join(dict.fromkeys(_CHECK_LABELS.get(c, c) for c in failed))
        also = f" Not checked: {skipped}." if skipped else ""
        return Verdict(VerdictStatus.INVALID, f"Invalid: {labels}.{also}", failed, unchecked)
    if not verified:
        not_checked = _joined(
            ["the signature"] + [u.what for u in unchecked if u.check != "signature"]
        )
        return Verdict(
            VerdictStatus.UNVERIFIED,
            f"Not verified: readable and nothing failed, but {not_checked} "
            f"{'was' if not_checked == 'the signature' else 'were'} not checked.",
            unchecked=unchecked,
        )
    if unchecked:
        return Verdict(
            VerdictStatus.VALID,
            f"Valid: signature verified and nothing failed, but {skipped} "
            f"{'was' if len(unchecked) == 1 else 'were'} not checked.",
            unchecked=unchecked,
        )
    return Verdict(VerdictStatus.VALID, "Valid: signature verified and every check passed.")


def _joined(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
