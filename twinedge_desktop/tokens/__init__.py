"""JWT decoding, explanation and verification, plus API-key recognition. Pure asyncio, no Qt.

The window and the command line use one object, :class:`TokenInspector`.
"""

from twinedge_desktop.tokens.model import (
    Explanation,
    Finding,
    InspectionReport,
    ScopeInfo,
    Severity,
    TokenKind,
    Unchecked,
    Verdict,
    VerdictStatus,
)
from twinedge_desktop.tokens.service import TokenInspector

__all__ = [
    "Explanation",
    "Finding",
    "InspectionReport",
    "ScopeInfo",
    "Severity",
    "TokenInspector",
    "TokenKind",
    "Unchecked",
    "Verdict",
    "VerdictStatus",
]
