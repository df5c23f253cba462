"""``scan --staged``: what the next commit would hold (git's index), not the files on disk.

The README's pre-commit hook used to scan the working tree: a key staged (``git add``),
then removed from the file on disk, passed the hook and was committed. Real git
repositories, the installed command, and real ``git commit`` runs of the README's hook.
Nobody is signed in here, so any checksum-valid key fails the scan (exit 1).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.gitrepo import GitRepo, make_key
from tests.helpers.keychain import no_session_bus_fixture  # noqa: F401 - registers the fixture

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None, reason="git is needed (scripts/dev installs it)"
)

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
INSTALLED = BIN / "twinedge-desktop"
COMMAND = [str(INSTALLED)] if INSTALLED.exists() else [sys.executable, "-m", "twinedge_desktop"]
KEY = make_key("staged")
TIMEOUT = 120


def scan(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "scan", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def repo(tmp_path: Path, no_session_bus: dict[str, str]) -> GitRepo:
    repository = GitRepo.init(tmp_path / "repo")
    repository.commit({"README.md": "hello\n", ".gitignore": ".env\n*.key\n"}, "start")
    return repository


def test_a_key_staged_then_removed_on_disk_is_found_in_the_index(repo: GitRepo) -> None:
    repo.write({"config.py": f"KEY = '{KEY}'\n"})
    repo.git("add", "config.py")
    repo.write({"config.py": "KEY = os.environ['TWINEDGE_API_KEY']\n"})  # clean on disk only

    on_disk = scan(["."], repo.path)
    assert on_disk.returncode == 0, on_disk.stdout + on_disk.stderr

    staged = scan(["--staged"], repo.path)
    assert staged.returncode == 1, staged.stdout + staged.stderr
    assert "staged config.py:1:8" in staged.stdout
    assert KEY[:12] in staged.stdout and KEY not in staged.stdout + staged.stderr
    assert "It is staged for the next commit" in staged.stdout


def test_a_key_only_on_disk_is_not_what_the_commit_holds(repo: GitRepo) -> None:
    repo.write({"notes.txt": f"{KEY}\n"})  # never staged
    assert scan(["--staged"], repo.path).returncode == 0
    repo.write({"clean.txt": "nothing here\n"})
    repo.git("add", "clean.txt")
    assert scan(["--staged", "--json"], repo.path).returncode == 0


def test_paths_limit_what_is_looked_at(repo: GitRepo) -> None:
    repo.write({"a/one.py": f"K = '{KEY}'\n", "b/two.py": "clean\n"})
    repo.git("add", "-A")
    assert scan(["--staged", "b"], repo.path).returncode == 0
    assert scan(["--staged", "a"], repo.path).returncode == 1


def test_before_the_first_commit(tmp_path: Path, no_session_bus: dict[str, str]) -> None:
    fresh = GitRepo.init(tmp_path / "fresh")
    fresh.write({"app.env": f"TWINEDGE_API_KEY={KEY}\n"})
    fresh.git("add", "app.env")
    done = scan(["--staged"], fresh.path)
    assert done.returncode == 1 and "staged app.env:1:18" in done.stdout, done.stderr


def readme_hook() -> str:
    """The pre-commit hook exactly as the README gives it."""
    readme = (REPO / "README.md").read_text()
    match = re.search(r"```sh\n(#!/bin/sh\n.*?)```", readme, re.S)
    assert match, "the README's pre-commit hook"
    return match.group(1)


def install_hook(repo: GitRepo) -> None:
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(readme_hook())
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def commit(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    env = repo.env()
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["git", "-C", str(repo.path), "commit", "-q", "-m", "change", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_the_readme_hook_refuses_a_commit_of_a_staged_key(repo: GitRepo) -> None:
    install_hook(repo)
    assert "--staged" in readme_hook()
    repo.write({"config.py": f"KEY = '{KEY}'\n"})
    repo.git("add", "config.py")
    repo.write({"config.py": "KEY = None\n"})
    refused = commit(repo)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert KEY[:12] in refused.stdout + refused.stderr
    assert repo.git("log", "--oneline").count("\n") == 0  # still only the first commit
    repo.git("add", "config.py")  # stage the clean version
    accepted = commit(repo)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


@pytest.mark.parametrize("how", [["-a"], ["config.py"]], ids=["commit -a", "commit PATH"])
def test_the_hook_sees_the_index_git_commit_builds_for_itself(
    repo: GitRepo, how: list[str]
) -> None:
    """``git commit -a`` and ``git commit PATH`` stage into a temporary index and give it
    to the hook in GIT_INDEX_FILE: that is what is committed, and what is scanned."""
    repo.commit({"config.py": "KEY = None\n"}, "add config")
    install_hook(repo)
    repo.write({"config.py": f"KEY = '{KEY}'\n"})  # modified, not staged by hand
    refused = commit(repo, *how)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert KEY[:12] in refused.stdout + refused.stderr
