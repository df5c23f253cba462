"""Find TwinEdge API keys in working trees and git history (no Qt; usable anywhere).

Keys are found by their format and verified by their offline CRC32 checksum
(``keyformat``), so random strings are never reported. Results are plain frozen
dataclasses that never contain a full key: only its public 12-character prefix.

    from twinedge_desktop.scan import ScanRequest, scan, scan_async
    report = scan(ScanRequest(paths=("~/src/app",), history=True))
"""

from twinedge_desktop.scan.engine import (
    DEFAULT_MAX_FILE_SIZE,
    ProgressCallback,
    ScanRequest,
    default_workers,
    scan,
    scan_async,
)
from twinedge_desktop.scan.gitutil import GitError, ScanCancelled
from twinedge_desktop.scan.model import (
    IgnoreAdvice,
    KeyFinding,
    Occurrence,
    ScanProgress,
    ScanReport,
    ScanStats,
    Skipped,
    SkipReason,
    Source,
    mask_prefix,
)

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "GitError",
    "IgnoreAdvice",
    "KeyFinding",
    "Occurrence",
    "ProgressCallback",
    "ScanCancelled",
    "ScanProgress",
    "ScanReport",
    "ScanRequest",
    "ScanStats",
    "SkipReason",
    "Skipped",
    "Source",
    "default_workers",
    "mask_prefix",
    "scan",
    "scan_async",
]
