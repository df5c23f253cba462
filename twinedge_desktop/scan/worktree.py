"""Walking a directory tree and reading its files, safely.

- ``os.scandir`` walk with an explicit stack (no recursion limit), sorted per
  directory so results are in a stable order.
- **Symlinks are never followed**, to files or directories: one pointing out of
  the tree would scan someone else's files, one pointing up makes a loop, and one
  pointing inside the tree is scanned at its real place anyway. Each is reported
  as skipped. A path given on the command line is the tree itself, so it is
  resolved if it is a link.
- Only regular files are opened, with ``O_NOFOLLOW | O_NONBLOCK``: a file swapped
  for a symlink or a FIFO between listing and opening is refused instead of
  followed or waited on, and ``fstat`` on the open descriptor decides what it is.
- Files that change while being scanned: what one read returned is what is
  scanned; a file that vanished is reported as such; a file that grew past the
  size cap meanwhile is skipped as too large. Nothing raises.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from twinedge_desktop.scan.content import ContentResult, find_keys
from twinedge_desktop.scan.model import SkipReason

ALWAYS_EXCLUDED = (".git",)
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


@dataclass(frozen=True, slots=True)
class FileEntry:
    absolute: str
    display: str


@dataclass(frozen=True, slots=True)
class WalkEvent:
    """A file to read, or something skipped while walking (symlink, FIFO, unreadable dir)."""

    entry: FileEntry
    skipped: SkipReason | None = None
    excluded: bool = False  # left out by name (.git, --exclude): counted, not listed


@dataclass(frozen=True, slots=True)
class FileOutcome:
    entry: FileEntry
    size: int
    result: ContentResult | None
    skipped: SkipReason | None


def compile_excludes(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for the ``--exclude`` globs (fnmatch syntax), matched against a name or a
    relative path with ``/`` separators; a trailing ``/`` is ignored (``node_modules/``)."""
    cleaned = [p.rstrip("/") for p in patterns if p.strip().rstrip("/")]
    if not cleaned:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in cleaned))


def walk(root: str, display_root: str, excludes: re.Pattern[str] | None) -> Iterator[WalkEvent]:
    """Regular files under ``root`` (a directory), never following symlinks, plus an event
    for everything left out (excluded names, symlinks, special files, unreadable folders)."""
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        directory, relative = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except FileNotFoundError:
            yield WalkEvent(_entry(directory, display_root, relative), SkipReason.VANISHED)
            continue
        except OSError:
            yield WalkEvent(_entry(directory, display_root, relative), SkipReason.UNREADABLE)
            continue
        subdirectories: list[tuple[str, str]] = []
        for item in entries:
            name = item.name
            child_relative = f"{relative}/{name}" if relative else name
            if name in ALWAYS_EXCLUDED or (
                excludes is not None and (excludes.match(name) or excludes.match(child_relative))
            ):
                yield WalkEvent(_entry(item.path, display_root, child_relative), excluded=True)
                continue
            try:
                if item.is_symlink():
                    yield WalkEvent(
                        _entry(item.path, display_root, child_relative), SkipReason.SYMLINK
                    )
                elif item.is_dir(follow_symlinks=False):
                    subdirectories.append((item.path, child_relative))
                elif item.is_file(follow_symlinks=False):
                    yield WalkEvent(_entry(item.path, display_root, child_relative))
                else:
                    yield WalkEvent(
                        _entry(item.path, display_root, child_relative), SkipReason.SPECIAL
                    )
            except OSError:
                yield WalkEvent(
                    _entry(item.path, display_root, child_relative), SkipReason.VANISHED
                )
        stack.extend(reversed(subdirectories))


def _entry(absolute: str, display_root: str, relative: str) -> FileEntry:
    display = os.path.normpath(os.path.join(display_root, relative)) if relative else display_root
    return FileEntry(absolute=absolute, display=display)


def read_file(path: str, max_size: int) -> tuple[bytes | None, int, SkipReason | None]:
    """The file's bytes (at most ``max_size``), its size, or why it was not read."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None, 0, SkipReason.VANISHED
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # became a symlink after it was listed
            return None, 0, SkipReason.SYMLINK
        return None, 0, SkipReason.UNREADABLE
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, info.st_size, SkipReason.SPECIAL
        if info.st_size > max_size:
            return None, info.st_size, SkipReason.TOO_LARGE
        # One read of the size fstat gave, plus one byte to notice growth: for a file under
        # the cap this is a single read() into a buffer of the right size.
        chunks = [os.read(fd, info.st_size + 1)]
        total = len(chunks[0])
        while total > info.st_size and chunks[-1]:  # it grew while we read: keep within the cap
            chunk = os.read(fd, min(1 << 20, max_size + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_size:
                return None, total, SkipReason.TOO_LARGE
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return data, len(data), None
    except OSError:
        return None, 0, SkipReason.UNREADABLE
    finally:
        os.close(fd)


def scan_files(entries: Sequence[FileEntry], max_size: int) -> list[FileOutcome]:
    """Read and search a batch of files (runs in a worker thread)."""
    outcomes: list[FileOutcome] = []
    for entry in entries:
        data, size, skipped = read_file(entry.absolute, max_size)
        result = find_keys(data) if data is not None else None
        outcomes.append(FileOutcome(entry, size, result, skipped))
    return outcomes
