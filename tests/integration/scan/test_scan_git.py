"""History scans of real git repositories built in the test (fixed author dates)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers.gitrepo import GitRepo, make_key, wrong_checksum
from twinedge_desktop.scan import KeyFinding, ScanRequest, Source, scan

pytestmark = pytest.mark.skipif(
    not __import__("shutil").which("git"), reason="git is needed (scripts/dev installs it)"
)

KEY = make_key("history")
OTHER = make_key("another")


def _finding(findings: tuple[KeyFinding, ...], key: str) -> KeyFinding:
    (finding,) = [f for f in findings if f.prefix == key[:12]]
    return finding


def _history(finding: KeyFinding) -> list[tuple[str, str, int | None]]:
    return [
        (o.commit or "", o.path, o.line) for o in finding.occurrences if o.source is Source.HISTORY
    ]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.init(tmp_path / "repo")


def test_a_key_added_then_deleted_is_found_only_with_history(repo: GitRepo) -> None:
    added = repo.commit(
        {"README.md": "hello\n", "config/settings.py": f"x = 1\nKEY = '{KEY}'\n"},
        "add settings",
        date="2024-02-01T09:30:00+02:00",
    )
    repo.commit({"config/settings.py": None}, "remove the key", date="2024-02-02T09:30:00+00:00")

    without = scan(ScanRequest(paths=(str(repo.path),)))
    assert without.findings == ()

    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    finding = _finding(report.findings, KEY)
    assert _history(finding) == [(added, "config/settings.py", 2)]
    (occurrence,) = finding.occurrences
    assert occurrence.author_date == datetime(2024, 2, 1, 7, 30, tzinfo=UTC)
    assert occurrence.file_at_head is False and occurrence.repository == str(repo.path)
    assert finding.in_head is False
    assert report.stats.commits == 2


def test_a_key_in_a_merge_conflict_resolution_is_attributed_to_the_merge(repo: GitRepo) -> None:
    repo.commit({"app.cfg": "mode = dev\n"}, "base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit({"app.cfg": "mode = feature\n"}, "feature")
    repo.git("checkout", "-q", "main")
    repo.commit({"app.cfg": "mode = main\n"}, "main change")
    repo.git("merge", "-q", "feature", check=False)  # conflicts
    repo.write({"app.cfg": f"mode = merged\nkey = {KEY}\n"})
    repo.git("add", "app.cfg")
    repo.git("commit", "-q", "--no-edit", date="2024-03-01T00:00:00+00:00")
    merge = repo.git("rev-parse", "HEAD")
    assert len(repo.git("show", "-s", "--format=%P", merge).split()) == 2

    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    finding = _finding(report.findings, KEY)
    assert _history(finding) == [(merge, "app.cfg", 2)]
    assert finding.in_head is True
    # Also in the working tree (the file is at HEAD): one finding, both places.
    assert [o.source for o in finding.occurrences] == [Source.WORKTREE, Source.HISTORY]


def test_a_key_brought_in_by_merging_a_branch_is_attributed_to_the_branch_commit(
    repo: GitRepo,
) -> None:
    repo.commit({"a.txt": "a\n"}, "base")
    repo.git("checkout", "-q", "-b", "topic")
    on_branch = repo.commit({"b.txt": f"{KEY}\n"}, "topic adds the key")
    repo.git("checkout", "-q", "main")
    repo.commit({"c.txt": "c\n"}, "main moves on")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "topic", date="2024-04-01T00:00:00+00:00")
    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    assert _history(_finding(report.findings, KEY)) == [(on_branch, "b.txt", 1)]


def test_a_key_on_an_unmerged_branch_is_found(repo: GitRepo) -> None:
    repo.commit({"a.txt": "a\n"}, "base")
    repo.git("checkout", "-q", "-b", "experiment")
    hidden = repo.commit({"exp.py": f"k='{KEY}'\n"}, "experiment")
    repo.git("checkout", "-q", "main")
    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    assert _history(_finding(report.findings, KEY)) == [(hidden, "exp.py", 1)]


def test_a_renamed_file_lists_both_paths(repo: GitRepo) -> None:
    first = repo.commit({"old/name.env": f"KEY={KEY}\n"}, "add")
    (repo.path / "new").mkdir()
    repo.git("mv", "old/name.env", "new/name.env")
    repo.git("commit", "-q", "-m", "rename", date="2024-05-01T00:00:00+00:00")
    rename_commit = repo.git("rev-parse", "HEAD")
    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    finding = _finding(report.findings, KEY)
    assert _history(finding) == [(first, "old/name.env", 1), (rename_commit, "new/name.env", 1)]
    assert [o.file_at_head for o in finding.occurrences if o.commit] == [False, True]


def test_binary_utf16_crlf_and_wrong_checksums_in_history(repo: GitRepo) -> None:
    binary = b"\x89PNG\r\n\x1a\n\x00\x00" + KEY.encode() + b"\x00\xff"
    utf16 = "\ufeffline\r\nkey=" + OTHER + "\r\n"
    repo.commit(
        {
            "logo.png": binary,
            "win.env": utf16.encode("utf-16-le"),
            "bad.txt": f"{wrong_checksum(KEY)}\n{wrong_checksum(OTHER)}\n",
        },
        "assets",
    )
    repo.commit({"logo.png": None, "win.env": None}, "clean up")
    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    assert {f.prefix for f in report.findings} == {KEY[:12], OTHER[:12]}
    (png,) = _finding(report.findings, KEY).occurrences
    assert (png.binary, png.line, png.offset) == (True, None, 10)
    (env,) = _finding(report.findings, OTHER).occurrences
    assert (env.encoding, env.line, env.column) == ("utf-16", 2, 5)


def test_a_key_in_a_file_ignored_now_is_still_found_in_history(repo: GitRepo) -> None:
    committed = repo.commit({".env": f"TWINEDGE_API_KEY={KEY}\n"}, "oops")
    repo.git("rm", "-q", "--cached", ".env")
    repo.commit({".gitignore": ".env\n*.key\n"}, "ignore .env")
    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    finding = _finding(report.findings, KEY)
    assert _history(finding) == [(committed, ".env", 1)]
    # The copy on disk is ignored by git; the one in history is not "ignored" at all.
    worktree = [o for o in finding.occurrences if o.source is Source.WORKTREE]
    assert [(o.path, o.git_ignored) for o in worktree] == [(f"{repo.path}/.env", True)]
    assert not finding.only_in_ignored_files
    assert report.ignore_advice == ()


def test_a_key_only_in_an_ignored_file_is_marked_so(repo: GitRepo) -> None:
    repo.commit({".gitignore": ".env\n*.key\n"}, "ignores")
    repo.write({".env": f"TWINEDGE_API_KEY={KEY}\n"})
    report = scan(ScanRequest(paths=(str(repo.path),)))
    assert _finding(report.findings, KEY).only_in_ignored_files


@pytest.mark.parametrize(
    "gitignore, missing",
    [
        ("", (".env", "*.key")),
        (".env\n", ("*.key",)),
        ("*.key\n", (".env",)),
        (".env\n*.key\n", ()),
        ("*\n!.gitignore\n", ()),
        (".env\n*.key\n!.env\n", (".env",)),
    ],
)
def test_gitignore_advice(repo: GitRepo, gitignore: str, missing: tuple[str, ...]) -> None:
    repo.commit({".gitignore": gitignore} if gitignore else {"a": "a"}, "setup")
    report = scan(ScanRequest(paths=(str(repo.path),)))
    assert [a.missing for a in report.ignore_advice] == ([missing] if missing else [])


def test_a_huge_blob_in_history_is_skipped_and_reported(repo: GitRepo) -> None:
    commit = repo.commit({"dump.sql": "x" * 3000 + KEY, "small.txt": KEY}, "add")
    repo.commit({"dump.sql": None, "small.txt": None}, "remove")
    report = scan(ScanRequest(paths=(str(repo.path),), history=True, max_file_size=2048))
    assert _history(_finding(report.findings, KEY)) == [(commit, "small.txt", 1)]
    (skipped,) = report.skipped
    assert (skipped.path, skipped.reason.value, skipped.commit) == ("dump.sql", "too_large", commit)


def test_one_blob_in_many_commits_is_read_once(repo: GitRepo) -> None:
    for index in range(5):
        repo.commit({f"copy{index}.txt": f"{KEY}\n"}, f"copy {index}")
    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    assert report.stats.blobs_scanned == 1  # the same content: one blob
    finding = _finding(report.findings, KEY)
    assert len(_history(finding)) == 5 and len(finding.commits) == 5


def test_a_subdirectory_scans_only_its_own_history(repo: GitRepo) -> None:
    repo.commit({"docs/a.md": f"{KEY}\n", "src/b.py": f"'{OTHER}'\n"}, "both")
    repo.commit({"docs/a.md": None, "src/b.py": None}, "remove")
    report = scan(ScanRequest(paths=(str(repo.path / "src"),), history=True))
    assert [f.prefix for f in report.findings] == [OTHER[:12]]


def test_not_a_repository_and_empty_repository_are_warnings(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    report = scan(ScanRequest(paths=(str(plain),), history=True))
    assert any("not in a git repository" in w for w in report.warnings)
    empty = GitRepo.init(tmp_path / "empty")
    report = scan(ScanRequest(paths=(str(empty.path),), history=True))
    assert any("no commits" in w for w in report.warnings)


def test_a_key_in_a_commit_message_is_found(repo: GitRepo) -> None:
    """A key pasted into a commit message is as public as one in a file, and kept as long."""
    repo.commit({"README.md": "hello\n"}, "start", date="2024-01-01T00:00:00+00:00")
    pasted = repo.commit(
        {"README.md": "hello again\n"},
        f"rotate the deploy key\n\nold one was\\n{KEY} (revoked)",
        date="2024-01-02T00:00:00+00:00",
    )
    repo.commit({"README.md": "bye\n"}, f"not a key: {wrong_checksum(OTHER)}")

    assert scan(ScanRequest(paths=(str(repo.path),))).findings == ()
    report = scan(ScanRequest(paths=(str(repo.path),), history=True))
    (finding,) = report.findings
    assert finding.prefix == KEY[:12]
    assert _history(finding) == [(pasted, "(commit message)", 3)]
    (occurrence,) = finding.occurrences
    assert occurrence.author_date == datetime(2024, 1, 2, tzinfo=UTC)
    assert occurrence.column == len("old one was\\n") + 1
