"""Which of the keys a scan found are the signed-in person's, and whether they still work.

Matching is by the public 12-character ``prefix`` (the API lists it for every key;
the scan never needs the secret for this). A prefix carries 9 random base62
characters (~53 bits), so two keys sharing one is not a practical concern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from twinedge_desktop.api.models import ApiKey, KeyStatus
from twinedge_desktop.scan.model import KeyFinding


class MatchStatus(StrEnum):
    """What a key found in files is, matched against the keys the person can see."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"  # signed in, but not among the keys you can see
    UNKNOWN = "unknown"  # not signed in (or the list could not be read)


STATUS_TEXT: dict[MatchStatus, str] = {
    MatchStatus.ACTIVE: "ACTIVE",
    MatchStatus.REVOKED: "revoked",
    MatchStatus.EXPIRED: "expired",
    MatchStatus.NOT_YOURS: "not one of yours",
    MatchStatus.UNKNOWN: "unknown (sign in to match)",
}


@dataclass(frozen=True, slots=True)
class MatchedFinding:
    finding: KeyFinding
    status: MatchStatus
    key: ApiKey | None  # the server's description of the key (never its secret)

    @property
    def counts(self) -> bool:
        """Whether this finding makes the scan fail (exit 1).

        A key seen only in files git ignores is on disk but not about to be
        committed (the seed's own advice: keep it in an ignored ``.env``), so it is
        reported but never fails the scan.
        """
        if self.finding.only_in_ignored_files:
            return False
        return self.status in (MatchStatus.ACTIVE, MatchStatus.UNKNOWN, MatchStatus.NOT_YOURS)


def match_findings(
    findings: Sequence[KeyFinding], keys: Sequence[ApiKey] | None, now: datetime
) -> list[MatchedFinding]:
    """Each finding with its status; ``keys`` None means "not signed in" (all unknown).

    Never raises for what the server sent. A key the server sent damaged (see
    ``ApiKey.problem``) is matched by its prefix when that was readable: its status is
    ``UNKNOWN`` (its expiry or revocation could not be read, so it may work), with the
    key attached so the person sees which of theirs it is. An entry without a readable
    prefix cannot be matched and is left out of matching.
    """
    if keys is None:
        return [MatchedFinding(f, MatchStatus.UNKNOWN, None) for f in findings]
    by_prefix = {key.prefix: key for key in keys if key.prefix}
    matched: list[MatchedFinding] = []
    for finding in findings:
        key = by_prefix.get(finding.prefix)
        if key is None:
            matched.append(MatchedFinding(finding, MatchStatus.NOT_YOURS, None))
        else:
            matched.append(MatchedFinding(finding, _status_of(key, now), key))
    return matched


_MATCH_OF_KEY_STATUS = {
    KeyStatus.ACTIVE: MatchStatus.ACTIVE,
    KeyStatus.REVOKED: MatchStatus.REVOKED,
    KeyStatus.EXPIRED: MatchStatus.EXPIRED,
    KeyStatus.DAMAGED: MatchStatus.UNKNOWN,  # whether it still works is unknown
}


def _status_of(key: ApiKey, now: datetime) -> MatchStatus:
    return _MATCH_OF_KEY_STATUS[key.status(now)]
