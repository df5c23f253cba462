"""Leak scanner speed against detect-secrets, on a real tree and a real git history.

Two measurements, each side by side with a baseline from the same run:

1. **Working tree**: a large real tree (default: this virtualenv's site-packages,
   several hundred MB), warm page cache. Our scan with 1, 2 and 4 threads and
   with a 2-process pool (threads vs processes), a read-only pass (the I/O floor)
   and ``detect-secrets`` (a kept Python scanner, default plugins) on a
   deterministic sample of the same files (detect-secrets runs at well under
   1 MB/s, so the full tree would take a quarter of an hour): our scan runs on
   that same sample too, and the ratio compares the two on identical files.
2. **Git history**: a repository of ``--commits`` commits built deterministically
   with ``git fast-import`` (400 files, a few changed per commit, a side branch
   merged at the end) with planted keys: added then deleted, renamed, in a merge,
   one still at HEAD, plus wrong-checksum look-alikes. Our ``--git`` scan must find
   exactly the planted keys; detect-secrets scans every distinct file version of
   the history, exported to files (export not timed).

Targets: >= 150 MB/s on the warm working tree, >= 10x detect-secrets.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/scan.py [--tree DIR] [--commits N] [--sample-mb MB]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ holds an ``inspect.py``: run as a script, this directory would shadow the
# standard library's ``inspect`` (dataclasses needs it), so put the repository first instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from twinedge_desktop.keyformat import checksum, generate_key
from twinedge_desktop.scan import ScanRequest, scan
from twinedge_desktop.scan.worktree import FileEntry, scan_files, walk

MB = 1_000_000


def timed(action: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median seconds of ``runs`` calls (after the caller's warm-up) and the last result."""
    samples: list[float] = []
    result: object = None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def row(name: str, seconds: float, size: int, files: int, baseline: float | None = None) -> None:
    rate = size / MB / seconds
    ratio = f"   {baseline / seconds:8.1f}x detect-secrets" if baseline else ""
    print(
        f"  {name:<34} {seconds:8.2f} s  {rate:9.1f} MB/s  {files / seconds:10.0f} files/s{ratio}"
    )


def list_files(root: str) -> list[FileEntry]:
    return [event.entry for event in walk(root, root, None) if event.skipped is None]


def read_only(files: list[FileEntry]) -> int:
    total = 0
    for entry in files:
        try:
            with open(entry.absolute, "rb") as handle:
                total += len(handle.read())
        except OSError:
            pass
    return total


def with_processes(files: list[FileEntry], workers: int) -> int:
    batches = [files[i : i + 256] for i in range(0, len(files), 256)]
    found = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for outcomes in pool.map(scan_files, batches, [50 * 1024 * 1024] * len(batches)):
            found += sum(len(o.result.hits) for o in outcomes if o.result is not None)
    return found


def detect_secrets_scan(paths: list[str], processes: int) -> int:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        collection = SecretsCollection()
        collection.scan_files(*paths, num_processors=processes)
    return sum(1 for _ in collection)


def sample(files: list[FileEntry], limit_bytes: int) -> list[FileEntry]:
    """A seeded random cross-section of the tree's files (the same mix of small sources and
    big binaries), up to ``limit_bytes``."""
    chosen: list[FileEntry] = []
    taken = 0
    for entry in random.Random(0).sample(files, len(files)):
        size = os.path.getsize(entry.absolute)
        if taken + size > limit_bytes:
            continue
        chosen.append(entry)
        taken += size
    return chosen


def bench_tree(tree: str, sample_mb: float, runs: int, processes: int) -> None:
    print(f"Working tree: {tree}")
    files = list_files(tree)
    size = sum(os.path.getsize(e.absolute) for e in files)
    print(f"  {len(files):,} files, {size / MB:,.1f} MB (warming the page cache first)")
    read_only(files)
    cap = 1 << 40  # no cap here: every file is read, so MB/s counts the same bytes throughout

    seconds, _ = timed(lambda: read_only(files), runs)
    row("read only (open + read, no search)", seconds, size, len(files))
    for workers in (1, 2, 4):
        seconds, _ = timed(
            lambda w=workers: scan(  # type: ignore[misc]
                ScanRequest(paths=(tree,), workers=w, max_file_size=cap, check_gitignore=False)
            ),
            runs,
        )
        row(f"scan, {workers} thread(s)", seconds, size, len(files))
    seconds, _ = timed(lambda: with_processes(files, 2), runs)
    row("scan, 2 processes", seconds, size, len(files))

    chosen = sample(files, int(sample_mb * MB))
    sample_size = sum(os.path.getsize(e.absolute) for e in chosen)
    print(f"  detect-secrets on a sample: {len(chosen):,} files, {sample_size / MB:.1f} MB")
    with tempfile.TemporaryDirectory() as temp:
        # The same files, as a tree our scanner can be pointed at (hard links: no copies).
        for index, entry in enumerate(chosen):
            target = Path(temp) / f"{index:06d}-{Path(entry.absolute).name}"
            try:
                os.link(entry.absolute, target)
            except OSError:
                shutil.copyfile(entry.absolute, target)
        paths = [str(p) for p in sorted(Path(temp).iterdir())]
        started = time.perf_counter()
        detect_secrets_scan(paths, processes)
        baseline = time.perf_counter() - started
        row(f"detect-secrets, {processes} process(es)", baseline, sample_size, len(chosen))
        ours, _ = timed(
            lambda: scan(ScanRequest(paths=(temp,), max_file_size=cap, check_gitignore=False)),
            runs,
        )
        row("scan, same sample", ours, sample_size, len(chosen), baseline)


# -- a deterministic history -----------------------------------------------------------------------

WORDS = (
    "sensor",
    "pump",
    "valve",
    "pressure",
    "flow",
    "temperature",
    "alarm",
    "asset",
    "telemetry",
    "gateway",
    "plc",
    "modbus",
    "opc",
    "reading",
    "threshold",
    "setpoint",
    "motor",
    "bearing",
    "vibration",
    "shift",
    "operator",
    "batch",
    "line",
    "station",
)


def _text(rng: random.Random, lines: int) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=rng.randint(4, 12))) for _ in range(lines)]


def _fake_key(rng: random.Random) -> str:
    """A key-shaped string with a wrong checksum (must never be reported)."""
    body = "te_" + "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh", k=32))
    good = checksum(body)
    return body + ("1" if good[0] == "0" else "0") + good[1:]


def build_history(path: Path, commits: int, seed: int = 7) -> set[str]:
    """A repository with ``commits`` commits on main plus a merged side branch; returns the
    prefixes of the planted (checksum-valid) keys."""
    rng = random.Random(seed)
    files: dict[str, list[str]] = {
        f"src/module{d:02d}/file{f:02d}.py": _text(rng, rng.randint(30, 80))
        for d in range(20)
        for f in range(20)
    }
    planted = {name: generate_key() for name in ("deleted", "renamed", "merge", "head")}
    stream: list[bytes] = []
    epoch = 1_700_000_000

    def data(content: str) -> bytes:
        raw = content.encode()
        return b"data %d\n" % len(raw) + raw + b"\n"

    def commit(ref: str, mark: int, changes: dict[str, str | None], merge: int | None = None):
        nonlocal epoch
        epoch += 3600
        lines = [
            f"commit {ref}\nmark :{mark}\n".encode(),
            f"author Bench <bench@example.com> {epoch} +0000\n".encode(),
            f"committer Bench <bench@example.com> {epoch} +0000\n".encode(),
            data(f"change {mark}"),
        ]
        if merge is not None:
            lines.append(f"merge :{merge}\n".encode())
        for name, content in changes.items():
            if content is None:
                lines.append(f"D {name}\n".encode())
            else:
                lines.append(f"M 100644 inline {name}\n".encode() + data(content))
        stream.append(b"".join(lines) + b"\n")

    def touch(names: list[str]) -> dict[str, str | None]:
        changes: dict[str, str | None] = {}
        for name in names:
            body = files[name]
            start = rng.randrange(len(body))
            body[start : start + 3] = _text(rng, rng.randint(1, 5))
            if rng.random() < 0.02:
                body.append(f"token = '{_fake_key(rng)}'")
            changes[name] = "\n".join(body) + "\n"
        return changes

    names = sorted(files)
    commit("refs/heads/main", 1, {n: "\n".join(b) + "\n" for n, b in files.items()})
    side_from = commits // 2
    for mark in range(2, commits + 1):
        changes = touch(rng.sample(names, 3))
        if mark == commits // 6:
            changes["deploy/config.env"] = f"TWINEDGE_API_KEY={planted['deleted']}\n"
        if mark == commits // 6 + 5:
            changes["deploy/config.env"] = None
        if mark == commits // 3:
            changes["old/name.key"] = f"{planted['renamed']}\n"
        if mark == commits // 3 + 7:
            changes["old/name.key"] = None
            changes["new/name.key"] = f"{planted['renamed']}\n"
        if mark == commits - 3:
            changes["settings/prod.py"] = f"API_KEY = '{planted['head']}'\n"
        commit("refs/heads/main", mark, changes)
        if mark == side_from:
            stream.append(f"reset refs/heads/side\nfrom :{mark}\n\n".encode())
    side_mark = commits + 1
    for offset in range(50):
        commit("refs/heads/side", side_mark + offset, touch(rng.sample(names, 2)))
    merged = dict(touch(rng.sample(names, 1)))
    merged["merge-notes.txt"] = f"resolved with {planted['merge']}\n"
    commit("refs/heads/main", side_mark + 50, merged, merge=side_mark + 49)

    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input=b"".join(stream),
        check=True,
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "main"], check=True)
    return {key[:12] for key in planted.values()}


def export_blobs(repo: Path, target: Path) -> tuple[int, int]:
    """Every distinct file version of the history, as files (for detect-secrets)."""
    from twinedge_desktop.scan import history

    introduced, _ = history.introductions(repo, [], None)
    count = size = 0
    for oid, content in history.iter_blobs(repo, list(introduced), None):
        (target / oid).write_bytes(content)
        count += 1
        size += len(content)
    return count, size


def bench_history(commits: int, runs: int, processes: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        repo = Path(temp) / "history"
        started = time.perf_counter()
        planted = build_history(repo, commits)
        print(
            f"Git history: {commits + 51:,} commits built with git fast-import in "
            f"{time.perf_counter() - started:.1f} s (not timed below)"
        )
        scan(ScanRequest(paths=(str(repo),), history=True))  # warm-up
        seconds, result = timed(lambda: scan(ScanRequest(paths=(str(repo),), history=True)), runs)
        report = result
        assert hasattr(report, "findings")
        found = {f.prefix for f in report.findings}  # type: ignore[attr-defined]
        if found != planted:
            raise SystemExit(f"wrong findings: {sorted(found)} != planted {sorted(planted)}")
        stats = report.stats  # type: ignore[attr-defined]
        print(
            f"  {stats.commits:,} commits, {stats.blobs_scanned:,} distinct file versions, "
            f"{stats.blob_bytes_scanned / MB:.1f} MB; found exactly the {len(planted)} planted keys"
        )
        exported = Path(temp) / "blobs"
        exported.mkdir()
        count, size = export_blobs(repo, exported)
        started = time.perf_counter()
        detect_secrets_scan([str(p) for p in sorted(exported.iterdir())], processes)
        baseline = time.perf_counter() - started
        row(f"detect-secrets, {processes} process(es), blobs", baseline, size, count)
        row("scan --git (git log + cat-file + search)", seconds, size, count, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_tree = sysconfig.get_paths()["purelib"]
    parser.add_argument("--tree", default=default_tree, help=f"(default: {default_tree})")
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--sample-mb", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-tree", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    args = parser.parse_args()
    try:
        import detect_secrets  # noqa: F401
    except ImportError:
        raise SystemExit("detect-secrets is needed: pip install -e '.[bench]'") from None
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    if not args.skip_tree:
        bench_tree(args.tree, args.sample_mb, args.runs, args.processes)
    if not args.skip_history:
        bench_history(args.commits, args.runs, args.processes)


if __name__ == "__main__":
    main()
