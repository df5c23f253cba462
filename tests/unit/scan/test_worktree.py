"""Working-tree scans on real directories: symlinks, loops, FIFOs, huge and vanishing files."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from tests.helpers.gitrepo import make_key
from twinedge_desktop.scan import (
    ScanCancelled,
    ScanProgress,
    ScanRequest,
    SkipReason,
    scan,
    scan_async,
)
from twinedge_desktop.scan.worktree import read_file

KEY = make_key("worktree")
OUTSIDE_KEY = make_key("outside the tree")


def _paths(report_findings: object) -> list[str]:
    return [o.path for f in report_findings for o in f.occurrences]  # type: ignore[attr-defined]


def test_symlinks_are_not_followed_out_of_the_tree_or_round_a_loop(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.env").write_text(f"KEY={OUTSIDE_KEY}\n")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "config.py").write_text(f"KEY = '{KEY}'\n")
    (tree / "to-outside").symlink_to(outside)  # a directory outside
    (tree / "outside-file.env").symlink_to(outside / "secret.env")  # a file outside
    (tree / "sub" / "loop").symlink_to(tree)  # a loop back to the top
    (tree / "self").symlink_to(tree / "self")  # a link to itself

    report = scan(ScanRequest(paths=(str(tree),), check_gitignore=False))

    assert [f.prefix for f in report.findings] == [KEY[:12]]
    assert _paths(report.findings) == [f"{tree}/sub/config.py"]
    assert report.stats.skipped == {"symlink": 4}
    skipped = {(Path(s.path).name, s.reason) for s in report.skipped}
    assert ("to-outside", SkipReason.SYMLINK) in skipped and ("loop", SkipReason.SYMLINK) in skipped


def test_a_file_over_the_cap_is_skipped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "big.log").write_bytes(b"x" * 2048 + KEY.encode())
    (tmp_path / "small.txt").write_text(KEY)
    report = scan(ScanRequest(paths=(str(tmp_path),), max_file_size=1024, check_gitignore=False))
    assert _paths(report.findings) == [f"{tmp_path}/small.txt"]
    (big,) = report.skipped
    assert (Path(big.path).name, big.reason, big.size) == ("big.log", SkipReason.TOO_LARGE, 2089)


def test_a_fifo_is_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a.txt").write_text(KEY)
    report = scan(ScanRequest(paths=(str(tmp_path),), check_gitignore=False))
    assert report.stats.skipped == {"special": 1}
    assert len(report.findings) == 1


def test_a_file_deleted_during_the_scan_is_reported_as_vanished(tmp_path: Path) -> None:
    names = [f"f{i:03d}.txt" for i in range(200)]
    for name in names:
        (tmp_path / name).write_text("nothing here\n")
    (tmp_path / names[-1]).write_text(KEY)
    deleted = threading.Event()

    def delete_the_rest(update: ScanProgress) -> None:
        # Called from the scan as it goes: remove files it has listed but not read yet.
        if not deleted.is_set():
            deleted.set()
            for name in names[100:199]:
                (tmp_path / name).unlink()

    report = scan(
        ScanRequest(paths=(str(tmp_path),), workers=1, check_gitignore=False),
        on_progress=delete_the_rest,
    )
    assert deleted.is_set()
    assert report.stats.skipped.get("vanished", 0) >= 1
    assert report.stats.files_scanned + report.stats.skipped["vanished"] == 200
    assert len(report.findings) == 1


def test_a_file_that_grows_past_the_cap_while_read_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * 100)
    data, size, skipped = read_file(str(path), 1000)
    assert (data, size, skipped) == (b"x" * 100, 100, None)
    # read_file reads st_size + 1 bytes to notice growth; a FIFO-free way to grow a file
    # between fstat and read is not portable, so the cap itself is checked on a big file.
    path.write_bytes(b"x" * 1001)
    assert read_file(str(path), 1000)[2] is SkipReason.TOO_LARGE
    assert read_file(str(tmp_path / "gone"), 1000)[2] is SkipReason.VANISHED


def test_excludes_and_dot_git_are_left_out(tmp_path: Path) -> None:
    for folder in (".git", "node_modules/pkg", "src", ".venv/lib"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "k.txt").write_text(KEY)
    default = scan(ScanRequest(paths=(str(tmp_path),), check_gitignore=False))
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in _paths(default.findings)) == [
        ".venv/lib/k.txt",
        "node_modules/pkg/k.txt",
        "src/k.txt",
    ]
    excluded = scan(
        ScanRequest(
            paths=(str(tmp_path),), exclude=("node_modules/", ".venv"), check_gitignore=False
        )
    )
    assert _paths(excluded.findings) == [f"{tmp_path}/src/k.txt"]
    assert excluded.stats.excluded == 3  # .git, node_modules, .venv


def test_one_key_in_many_files_is_one_finding(tmp_path: Path) -> None:
    for index in range(5):
        (tmp_path / f"f{index}.txt").write_text(f"x\n{KEY}\n")
    report = scan(ScanRequest(paths=(str(tmp_path),), check_gitignore=False))
    (finding,) = report.findings
    assert finding.masked == KEY[:12] + "…"
    assert [(o.line, o.column) for o in finding.occurrences] == [(2, 1)] * 5


def test_no_result_object_holds_the_full_key(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(KEY)
    report = scan(ScanRequest(paths=(str(tmp_path),), check_gitignore=False))
    import pickle

    assert KEY not in repr(report)
    assert KEY.encode() not in pickle.dumps(report)


def test_progress_is_reported_and_a_cancel_stops_the_scan(tmp_path: Path) -> None:
    for index in range(300):
        (tmp_path / f"f{index:03d}.txt").write_text("x" * 1000)
    cancel = threading.Event()
    updates: list[ScanProgress] = []

    def on_progress(update: ScanProgress) -> None:
        updates.append(update)
        cancel.set()

    with pytest.raises(ScanCancelled):
        scan(
            ScanRequest(paths=(str(tmp_path),), workers=1, check_gitignore=False),
            on_progress=on_progress,
            cancel=cancel,
        )
    assert updates and updates[0].files_scanned >= 1 and updates[0].current_path


async def test_scan_async_delivers_progress_on_the_loop_and_cancels(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(KEY)
    loop_thread: list[bool] = []

    def on_progress(update: ScanProgress) -> None:
        loop_thread.append(threading.current_thread() is threading.main_thread())

    report = await scan_async(
        ScanRequest(paths=(str(tmp_path),), check_gitignore=False), on_progress=on_progress
    )
    await asyncio.sleep(0)  # let the last call_soon_threadsafe run
    assert len(report.findings) == 1
    assert loop_thread and all(loop_thread)

    for index in range(3000):
        (tmp_path / f"f{index:04d}.txt").write_text("y" * 2000)
    task = asyncio.ensure_future(
        scan_async(ScanRequest(paths=(str(tmp_path),), workers=1, check_gitignore=False))
    )
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)


def test_a_file_named_after_a_key_is_shown_masked(tmp_path: Path) -> None:
    named = tmp_path / f"backup-{KEY}.txt"
    named.write_text(f"{OUTSIDE_KEY}\n")
    (tmp_path / f"{KEY}.huge").write_bytes(b"x" * 2000)
    report = scan(ScanRequest(paths=(str(tmp_path),), max_file_size=1000, check_gitignore=False))
    (finding,) = report.findings
    assert finding.occurrences[0].path == f"{tmp_path}/backup-{KEY[:12]}….txt"
    assert [s.path for s in report.skipped] == [f"{tmp_path}/{KEY[:12]}….huge"]
    assert KEY not in repr(report)
