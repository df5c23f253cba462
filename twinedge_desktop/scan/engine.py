"""The scan: working trees and (optionally) git history, to one :class:`ScanReport`.

API for callers (the command line, the window's Health page):

- :func:`scan` blocks; pass ``on_progress`` for :class:`ScanProgress` updates (at most
  every 0.1 s, and once at the end) and a ``threading.Event`` as ``cancel`` to stop
  it (it then raises :class:`ScanCancelled` and kills any git it started).
- :func:`scan_async` runs :func:`scan` in a worker thread (``asyncio.to_thread``),
  delivers progress on the caller's event loop, and cancelling the awaiting task
  cancels the scan.

Speed (see benchmarks/scan.py): files are read and searched by a small thread pool
in batches. ``re`` on bytes holds the GIL, but ``os.read`` releases it, so one
thread reads while another searches; processes would have to ship every file's
bytes (or path lists and results) between processes for at most the same two
cores. Git history: each distinct blob is read once (see history.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from twinedge_desktop.keyformat import display_prefix
from twinedge_desktop.scan import gitutil, history
from twinedge_desktop.scan.content import KeyHit, find_keys
from twinedge_desktop.scan.gitutil import GitError, ScanCancelled
from twinedge_desktop.scan.model import (
    MAX_SKIPPED_LISTED,
    IgnoreAdvice,
    KeyFinding,
    Occurrence,
    ScanProgress,
    ScanReport,
    ScanStats,
    Skipped,
    SkipReason,
    Source,
    mask_keys,
)
from twinedge_desktop.scan.worktree import (
    FileEntry,
    FileOutcome,
    WalkEvent,
    compile_excludes,
    read_file,
    scan_files,
    walk,
)

DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024
PROGRESS_INTERVAL = 0.1
# Files per task given to a worker: amortises the executor's per-task cost (~20 µs)
# over many small files without holding many large ones in memory at once.
BATCH_FILES = 32
# Probe paths for the seed's .gitignore advice, and the pattern each stands for.
IGNORE_PROBES: tuple[tuple[str, str], ...] = (
    (".env", ".env"),
    ("twinedge-scan-probe.key", "*.key"),
)

ProgressCallback = Callable[[ScanProgress], None]


def default_workers() -> int:
    """Two per core, at most 8: one thread reads (GIL released) while another searches."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


@dataclass(frozen=True)
class ScanRequest:
    """What to scan. ``exclude`` applies to working trees only: history hides nothing.

    ``staged``: instead of the files on disk, what the next commit of each repository
    holds under ``paths`` (its index, the staged versions), for a pre-commit hook.
    """

    paths: tuple[str, ...]
    history: bool = False
    staged: bool = False
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    workers: int = field(default_factory=default_workers)
    check_gitignore: bool = True


@dataclass
class _KeyRecord:
    occurrences: list[Occurrence] = field(default_factory=list)
    blobs: set[str] = field(default_factory=set)
    in_head: bool | None = None


class _Run:
    """The mutable state of one scan; the full keys live only in ``keys``' dict keys."""

    def __init__(
        self, request: ScanRequest, on_progress: ProgressCallback | None, cancel: threading.Event
    ) -> None:
        self.request = request
        self.on_progress = on_progress
        self.cancel = cancel
        self.stats = ScanStats()
        self.keys: dict[str, _KeyRecord] = {}
        self.skipped: list[Skipped] = []
        self.warnings: list[str] = []
        self.advice: list[IgnoreAdvice] = []
        self._last_progress = 0.0
        self.phase = "files"
        self._toplevels: dict[str, Path | None] = {}

    def toplevel(self, path: str) -> Path | None:
        """The git top directory for ``path``, asked once per folder (a pre-commit hook passes
        every staged file: one ``git rev-parse`` per folder, not per file)."""
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        if folder not in self._toplevels:
            self._toplevels[folder] = gitutil.toplevel(folder)
        return self._toplevels[folder]

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise ScanCancelled

    def skip(self, item: Skipped) -> None:
        self.stats.count_skip(item.reason)
        if len(self.skipped) < MAX_SKIPPED_LISTED:
            self.skipped.append(replace(item, path=mask_keys(item.path)))

    def warn(self, text: str) -> None:
        self.warnings.append(mask_keys(text))

    def progress(self, current: str, *, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        files = self.stats.files_scanned + self.stats.blobs_scanned
        scanned = self.stats.bytes_scanned + self.stats.blob_bytes_scanned
        self.on_progress(ScanProgress(self.phase, files, scanned, current, len(self.keys)))

    def record(self, key: str, occurrence: Occurrence, blob: str | None = None) -> None:
        record = self.keys.setdefault(key, _KeyRecord())
        record.occurrences.append(occurrence)
        if blob is not None:
            record.blobs.add(blob)


def scan(
    request: ScanRequest,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ScanReport:
    """Scan ``request.paths`` (and their git history with ``request.history``)."""
    started = time.perf_counter()
    run = _Run(request, on_progress, cancel or threading.Event())
    repos: dict[Path, list[str]] = {}
    for given in request.paths:
        run.check_cancel()
        absolute = os.path.realpath(given)
        if not os.path.exists(absolute):
            run.warn(f"{given}: no such file or directory")
            continue
        worktree_hits = [] if request.staged else _scan_root(run, given, absolute)
        wants_git = worktree_hits or request.history or request.staged or request.check_gitignore
        top = run.toplevel(absolute) if wants_git else None
        _record_worktree_hits(run, top, worktree_hits)
        if top is not None:
            relative = os.path.relpath(absolute, top)
            repos.setdefault(top, []).append("" if relative == "." else relative)
        elif request.history or request.staged:
            run.warn(
                f"{given}: not in a git repository"
                + ("" if gitutil.git_executable() else " (git is not installed)")
                + "; "
                + ("nothing is staged there" if request.staged else "its history was not scanned")
            )
    for top, pathspecs in repos.items():
        run.check_cancel()
        if request.check_gitignore:
            _check_ignore_advice(run, top)
        if request.staged:
            _scan_staged(run, top, [] if "" in pathspecs else sorted(set(pathspecs)))
        if request.history:
            # A whole-repository scan if any path given was its top directory.
            pathspec = [] if "" in pathspecs else sorted(set(pathspecs))
            _scan_history(run, top, pathspec)
    run.stats.seconds = time.perf_counter() - started
    run.progress("", force=True)
    findings = tuple(
        sorted(
            (
                KeyFinding(
                    prefix=display_prefix(key),
                    occurrences=tuple(sorted(record.occurrences, key=_occurrence_order)),
                    in_head=record.in_head,
                )
                for key, record in run.keys.items()
            ),
            key=lambda f: (_occurrence_order(f.occurrences[0]), f.prefix),
        )
    )
    return ScanReport(
        roots=tuple(request.paths),
        history=request.history,
        findings=findings,
        skipped=tuple(run.skipped),
        ignore_advice=tuple(run.advice),
        stats=run.stats,
        warnings=tuple(run.warnings),
    )


_SOURCE_ORDER = {Source.WORKTREE: 0, Source.STAGED: 1, Source.HISTORY: 2}


def _occurrence_order(o: Occurrence) -> tuple[int, str, float, str, int]:
    stamp = o.author_date.timestamp() if o.author_date is not None else 0.0
    return (_SOURCE_ORDER[o.source], o.repository or "", stamp, o.path, o.offset)


# -- working tree -----------------------------------------------------------------------------


def _scan_root(run: _Run, given: str, absolute: str) -> list[tuple[FileEntry, KeyHit]]:
    """Scan one path given by the caller; returns the hits, for the git-ignored check."""
    hits: list[tuple[FileEntry, KeyHit]] = []
    if os.path.isfile(absolute):
        entry = FileEntry(absolute=absolute, display=os.path.normpath(given))
        data, size, skipped = read_file(absolute, run.request.max_file_size)
        outcome = FileOutcome(entry, size, find_keys(data) if data is not None else None, skipped)
        hits.extend(_take(run, outcome))
        return hits
    if not os.path.isdir(absolute):
        run.skip(Skipped(os.path.normpath(given), SkipReason.SPECIAL))
        return hits
    excludes = compile_excludes(run.request.exclude)
    workers = max(1, run.request.workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan") as pool:
        pending: deque[Future[list[FileOutcome]]] = deque()
        try:
            for batch in _batches(run, walk(absolute, os.path.normpath(given), excludes)):
                pending.append(pool.submit(scan_files, batch, run.request.max_file_size))
                # Bounded: a few batches per worker in flight, so memory stays small.
                while len(pending) >= workers * 3:
                    for outcome in pending.popleft().result():
                        hits.extend(_take(run, outcome))
                run.check_cancel()
            while pending:
                for outcome in pending.popleft().result():
                    hits.extend(_take(run, outcome))
                run.check_cancel()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return hits


def _batches(run: _Run, events: Iterator[WalkEvent]) -> Iterator[list[FileEntry]]:
    batch: list[FileEntry] = []
    for event in events:
        entry = event.entry
        if event.excluded:
            run.stats.excluded += 1
            continue
        reason = event.skipped
        if reason is not None:
            run.skip(Skipped(entry.display, reason))
            continue
        batch.append(entry)
        if len(batch) >= BATCH_FILES:
            yield batch
            batch = []
    if batch:
        yield batch


def _take(run: _Run, outcome: FileOutcome) -> list[tuple[FileEntry, KeyHit]]:
    entry = outcome.entry
    if outcome.skipped is not None or outcome.result is None:
        run.skip(Skipped(entry.display, outcome.skipped or SkipReason.UNREADABLE, outcome.size))
        return []
    result = outcome.result
    run.stats.files_scanned += 1
    run.stats.bytes_scanned += outcome.size
    run.stats.binary_files += result.binary
    run.stats.decoded_files += result.encoding is not None
    run.progress(entry.display)
    return [(entry, hit) for hit in result.hits]


def _record_worktree_hits(
    run: _Run, top: Path | None, hits: list[tuple[FileEntry, KeyHit]]
) -> None:
    """Record working-tree hits, noting those in files git ignores (on disk, never committed)."""
    ignored: set[str] = set()
    if hits and top is not None:
        try:
            ignored = gitutil.check_ignored(top, sorted({entry.absolute for entry, _ in hits}))
        except GitError as exc:
            run.warn(f"Could not ask git which files it ignores: {exc}")
    for entry, hit in hits:
        run.record(hit.key, _worktree_occurrence(entry, hit, entry.absolute in ignored))


def _worktree_occurrence(entry: FileEntry, hit: KeyHit, ignored: bool) -> Occurrence:
    return Occurrence(
        source=Source.WORKTREE,
        path=mask_keys(entry.display),
        line=hit.line,
        column=hit.column,
        offset=hit.offset,
        binary=hit.line is None,
        git_ignored=ignored,
    )


def _check_ignore_advice(run: _Run, top: Path) -> None:
    try:
        ignored = gitutil.check_ignored(top, [probe for probe, _ in IGNORE_PROBES], no_index=True)
    except GitError as exc:
        run.warn(f"{top}: could not check its .gitignore: {exc}")
        return
    missing = tuple(pattern for probe, pattern in IGNORE_PROBES if probe not in ignored)
    if missing:
        run.advice.append(IgnoreAdvice(repository=mask_keys(str(top)), missing=missing))


# -- staged (the index) ---------------------------------------------------------------------------


def _scan_staged(run: _Run, top: Path, pathspec: Sequence[str]) -> None:
    """The staged version of every file the next commit adds or changes: read from the
    index's blobs (``git cat-file --batch``), never from the working tree, which may differ
    (a key staged, then deleted on disk, is still committed)."""
    repository = mask_keys(str(top))
    try:
        staged = gitutil.staged_blobs(top, pathspec, run.cancel)
        sizes = history.blob_sizes(top, [oid for _, oid in staged], run.cancel)
        paths_of: dict[str, list[str]] = {}
        for path, oid in staged:
            size = sizes.get(oid)
            if size is None:
                continue
            if size > run.request.max_file_size:
                run.skip(Skipped(path, SkipReason.TOO_LARGE, size, repository=repository))
                continue
            paths_of.setdefault(oid, []).append(path)
        for oid, content in history.iter_blobs(top, list(paths_of), run.cancel):
            result = find_keys(content)
            run.stats.files_scanned += len(paths_of[oid])
            run.stats.bytes_scanned += len(content) * len(paths_of[oid])
            for path in paths_of[oid]:
                run.progress(path)
                for hit in result.hits:
                    run.record(
                        hit.key,
                        Occurrence(
                            source=Source.STAGED,
                            path=mask_keys(path),
                            line=hit.line,
                            column=hit.column,
                            offset=hit.offset,
                            binary=hit.line is None,
                            encoding=result.encoding,
                            repository=repository,
                        ),
                    )
    except GitError as exc:
        run.warn(f"{repository}: staged files not scanned: {exc}")


# -- history ------------------------------------------------------------------------------------


def _scan_history(run: _Run, top: Path, pathspec: Sequence[str]) -> None:
    run.phase = "history"
    repository = mask_keys(str(top))
    if not gitutil.has_commits(top):
        run.warn(f"{repository}: the repository has no commits yet; no history to scan")
        return
    try:
        introduced, commits = history.introductions(top, pathspec, run.cancel)
        run.stats.commits += commits
        oids = list(introduced)
        sizes = history.blob_sizes(top, oids, run.cancel)
        readable: list[str] = []
        for oid in oids:
            size = sizes.get(oid)
            if size is None:
                continue  # missing in a partial or shallow clone
            if size > run.request.max_file_size:
                first = introduced[oid][0]
                run.skip(
                    Skipped(
                        first.path,
                        SkipReason.TOO_LARGE,
                        size,
                        repository=repository,
                        commit=first.commit,
                    )
                )
                continue
            readable.append(oid)
        blob_hits: dict[str, tuple[KeyHit, ...]] = {}
        encodings: dict[str, str | None] = {}
        for oid, content in history.iter_blobs(top, readable, run.cancel):
            result = find_keys(content)
            run.stats.blobs_scanned += 1
            run.stats.blob_bytes_scanned += len(content)
            if result.hits:
                blob_hits[oid] = result.hits
                encodings[oid] = result.encoding
            run.progress(introduced[oid][0].path)
        _scan_commit_messages(run, top, pathspec, repository)
        if not blob_hits:
            return
        head = history.head_tree(top)
        head_paths = set(head)
        head_blobs = set(head.values())
        for oid, hits in blob_hits.items():
            for introduction in introduced[oid]:
                for hit in hits:
                    run.record(
                        hit.key,
                        Occurrence(
                            source=Source.HISTORY,
                            path=mask_keys(introduction.path),
                            line=hit.line,
                            column=hit.column,
                            offset=hit.offset,
                            binary=hit.line is None,
                            encoding=encodings[oid],
                            repository=repository,
                            commit=introduction.commit,
                            author_date=introduction.author_date,
                            file_at_head=introduction.path in head_paths,
                        ),
                        blob=oid,
                    )
        for record in run.keys.values():
            if record.blobs:  # blob ids are content hashes: the same in every repository
                record.in_head = bool(record.in_head) or bool(record.blobs & head_blobs)
    except GitError as exc:
        run.warn(f"{repository}: history not scanned: {exc}")
    finally:
        run.phase = "files"


COMMIT_MESSAGE_PATH = "(commit message)"


def _scan_commit_messages(run: _Run, top: Path, pathspec: Sequence[str], repository: str) -> None:
    """Keys in commit messages: as public as the files, and kept as long."""
    for message in history.commit_messages(top, pathspec, run.cancel):
        for hit in find_keys(message.text).hits:
            run.record(
                hit.key,
                Occurrence(
                    source=Source.HISTORY,
                    path=COMMIT_MESSAGE_PATH,
                    line=hit.line,
                    column=hit.column,
                    offset=hit.offset,
                    binary=hit.line is None,
                    repository=repository,
                    commit=message.commit,
                    author_date=message.author_date,
                ),
            )


# -- async ----------------------------------------------------------------------------------------


async def scan_async(
    request: ScanRequest, *, on_progress: ProgressCallback | None = None
) -> ScanReport:
    """:func:`scan` in a worker thread; progress arrives on this loop; cancelling stops it."""
    loop = asyncio.get_running_loop()
    cancel = threading.Event()

    def progress_on_loop(update: ScanProgress) -> None:
        if on_progress is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(on_progress, update)

    worker = asyncio.ensure_future(
        asyncio.to_thread(scan, request, on_progress=progress_on_loop, cancel=cancel)
    )
    try:
        return await asyncio.shield(worker)
    except asyncio.CancelledError:
        cancel.set()
        # The thread notices within one batch; wait for it so no git process outlives us.
        with contextlib.suppress(ScanCancelled, Exception):
            await worker
        raise


__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "ProgressCallback",
    "ScanCancelled",
    "ScanRequest",
    "scan",
    "scan_async",
]
