"""What a scan finds, as plain frozen dataclasses: safe to print, log, pickle or show.

No result object ever holds a full API key. A key is identified by its public
``prefix`` (its first 12 characters, what the API lists and the window shows)
and shown masked as ``te_XXXXXXXXX…``. The full key exists only inside the
engine, for the instant it takes to verify its checksum and to group its
occurrences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from twinedge_desktop.keyformat import DISPLAY_PREFIX_LENGTH, is_valid_key

MASK_SUFFIX = "…"


def mask_prefix(prefix: str) -> str:
    """``te_XXXXXXXXX…``: the public prefix and an ellipsis, nothing more of the key."""
    return prefix[:DISPLAY_PREFIX_LENGTH] + MASK_SUFFIX


_KEY_IN_TEXT = re.compile(r"te_[0-9A-Za-z]{38}(?![0-9A-Za-z])")


def mask_keys(text: str) -> str:
    """``text`` (a path, a warning) with every valid key in it masked: a file may be *named*
    after a key, and its path is printed and put in JSON."""
    if "te_" not in text:
        return text
    return _KEY_IN_TEXT.sub(
        lambda m: mask_prefix(m.group()) if is_valid_key(m.group()) else m.group(), text
    )


class Source(StrEnum):
    """Where an occurrence was seen: a file on disk now, a file version in git history, or
    a file's staged version (what the next commit would hold: the index)."""

    WORKTREE = "worktree"
    HISTORY = "history"
    STAGED = "staged"


class SkipReason(StrEnum):
    """Why a file (or a blob in history) was not read."""

    TOO_LARGE = "too_large"  # over the size cap
    UNREADABLE = "unreadable"  # permission denied, I/O error
    VANISHED = "vanished"  # deleted (or replaced) between listing and reading
    SYMLINK = "symlink"  # never followed: it may point out of the tree or loop
    SPECIAL = "special"  # a FIFO, socket or device: reading could block forever


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place a key was seen.

    ``path`` is relative to what was scanned: for the working tree it starts with
    the path as given on the command line; for history it is relative to the
    repository's top directory (``repository``). ``line`` and ``column`` are
    1-based (column in characters); a key inside a binary file has no line, its
    byte ``offset`` says where it is.
    """

    source: Source
    path: str
    line: int | None
    column: int | None
    offset: int
    binary: bool = False
    encoding: str | None = None  # "utf-16"/"utf-32" when the text was decoded from it
    repository: str | None = None  # history and staged: the repository's top directory
    commit: str | None = None
    author_date: datetime | None = None
    file_at_head: bool | None = None  # history: the path still exists in HEAD's tree
    git_ignored: bool = False  # working tree: git ignores the file, so it is not committed

    @property
    def location(self) -> str:
        """``path:line:column``, or ``path (binary, byte N)``."""
        if self.line is None:
            return f"{self.path} (binary, byte {self.offset})"
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class KeyFinding:
    """One key (checksum-valid), however many places it was seen in."""

    prefix: str
    occurrences: tuple[Occurrence, ...]
    in_head: bool | None = None  # history: the key is still in some file at HEAD

    @property
    def masked(self) -> str:
        return mask_prefix(self.prefix)

    @property
    def only_in_ignored_files(self) -> bool:
        """Seen only in working-tree files git ignores: on disk, but not about to be committed."""
        return bool(self.occurrences) and all(
            o.source is Source.WORKTREE and o.git_ignored for o in self.occurrences
        )

    @property
    def commits(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for occurrence in self.occurrences:
            if occurrence.commit:
                seen.setdefault(occurrence.commit, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: SkipReason
    size: int | None = None
    repository: str | None = None
    commit: str | None = None


@dataclass(frozen=True, slots=True)
class IgnoreAdvice:
    """The seed's advice: a repository should ignore ``.env`` and ``*.key``. ``missing`` lists
    the patterns this repository does not ignore."""

    repository: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """Passed to the progress callback (at most every ``PROGRESS_INTERVAL`` s, and at the end)."""

    phase: str  # "files" or "history"
    files_scanned: int
    bytes_scanned: int
    current_path: str
    keys_found: int


@dataclass
class ScanStats:
    files_scanned: int = 0
    bytes_scanned: int = 0
    binary_files: int = 0
    decoded_files: int = 0  # UTF-16/32 text decoded before scanning
    excluded: int = 0  # entries left out by --exclude (and .git)
    commits: int = 0
    blobs_scanned: int = 0
    blob_bytes_scanned: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def count_skip(self, reason: SkipReason) -> None:
        self.skipped[reason.value] = self.skipped.get(reason.value, 0) + 1


@dataclass(frozen=True)
class ScanReport:
    """Everything one scan found. ``skipped`` lists at most ``MAX_SKIPPED_LISTED`` entries;
    ``stats.skipped`` counts all of them by reason."""

    roots: tuple[str, ...]
    history: bool
    findings: tuple[KeyFinding, ...]
    skipped: tuple[Skipped, ...]
    ignore_advice: tuple[IgnoreAdvice, ...]
    stats: ScanStats
    warnings: tuple[str, ...] = ()


MAX_SKIPPED_LISTED = 1000
