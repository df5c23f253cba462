"""Running git for the scanner: one place for the environment, errors and cancellation.

git is run as a program (never by reading ``.git`` by hand): it knows every
object format, pack, alternate and worktree layout there is. Settings that could
make a read-only scan run code or prompt are neutralised per call:
``core.fsmonitor`` (a repository's config may name a program), terminal prompts,
optional locks (no index refresh writes), and the pager.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

GIT_TIMEOUT = 600.0  # one git command; a scan of a huge history is many of them


class GitError(Exception):
    """git is missing, or refused (not a repository, dubious ownership, corrupt objects)."""


class ScanCancelled(Exception):
    """The caller asked the scan to stop."""


def git_executable() -> str | None:
    return shutil.which("git")


# Set by git for hooks (a pre-commit hook runs the scanner): they would point every git we
# run at the hook's repository and index, whichever repository a path is really in.
_REPOSITORY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
)


def _env(index_file: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_ENV}
    if index_file is not None:
        env["GIT_INDEX_FILE"] = index_file
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_PAGER": "cat",
            "LC_ALL": "C",
        }
    )
    return env


def git_command(repo: str | Path, *args: str) -> list[str]:
    executable = git_executable()
    if executable is None:
        raise GitError("git is not installed, so git repositories cannot be scanned.")
    return [
        executable,
        "-C",
        str(repo),
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.quotepath=off",
        *args,
    ]


def run_git(
    repo: str | Path,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    ok_codes: Sequence[int] = (0,),
    cancel: threading.Event | None = None,
    index_file: str | None = None,
) -> bytes:
    """Run git and return its stdout; GitError with git's own first line on failure.
    ``index_file``: use that index instead of the repository's own (a hook's).

    Output is read in 1 MiB chunks so a cancellation ends a long ``git log`` at once
    (the process is killed) instead of after it finishes.
    """
    command = git_command(repo, *args)
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(  # noqa: S603 - git, from PATH, with our own arguments
                command,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=_env(index_file),
            )
        except OSError as exc:
            raise GitError(f"git could not be started: {exc.strerror or exc}") from None
        assert process.stdout is not None
        writer: threading.Thread | None = None
        if stdin is not None:
            writer = threading.Thread(target=_feed, args=(process, stdin), daemon=True)
            writer.start()
        chunks: list[bytes] = []
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise ScanCancelled
                chunk = os.read(process.stdout.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            code = process.wait(timeout=GIT_TIMEOUT)
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            process.stdout.close()
            if writer is not None:
                writer.join(timeout=5)
        if code not in ok_codes:
            errors.seek(0)
            message = errors.read(2000).decode("utf-8", "replace").strip().splitlines()
            first = message[0] if message else f"exit status {code}"
            raise GitError(f"git {args[0]} failed: {first}")
    return b"".join(chunks)


def _feed(process: subprocess.Popen[bytes], data: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(data)
        process.stdin.close()
    except (BrokenPipeError, OSError):  # git ended early: its exit status says why
        pass


def toplevel(path: str | Path) -> Path | None:
    """The top directory of the git working tree holding ``path``, or None (not in one, no git)."""
    directory = Path(path)
    if not directory.is_dir():
        directory = directory.parent
    if git_executable() is None:
        return None
    try:
        out = run_git(directory, ["rev-parse", "--show-toplevel"])
    except GitError:
        return None
    text = os.fsdecode(out.rstrip(b"\n"))
    return Path(text) if text else None


def has_commits(repo: Path) -> bool:
    try:
        run_git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    except GitError:
        return False
    return True


def check_ignored(repo: Path, paths: Sequence[str], *, no_index: bool = False) -> set[str]:
    """Which of ``paths`` (relative to ``repo`` or absolute) git ignores.

    ``no_index``: judge by the ignore rules alone, even for tracked paths (used for
    probe paths such as ``.env`` that may or may not exist).
    """
    if not paths:
        return set()
    args = ["check-ignore", "-z", "--stdin", "-v", "--non-matching"]
    if no_index:
        args.append("--no-index")
    data = b"".join(os.fsencode(p) + b"\0" for p in paths)
    out = run_git(repo, args, stdin=data, ok_codes=(0, 1))
    fields = out.split(b"\0")
    ignored: set[str] = set()
    # -z -v output: <source> NUL <linenum> NUL <pattern> NUL <pathname> NUL, per path;
    # a pattern starting with "!" re-includes the path.
    for index in range(0, len(fields) - 3, 4):
        source, _line, pattern, pathname = fields[index : index + 4]
        if source and pattern and not pattern.startswith(b"!"):
            ignored.add(os.fsdecode(pathname))
    return ignored


def hook_index_for(repo: Path) -> str | None:
    """The index a running git hook gave us (``GIT_INDEX_FILE``), when it is ``repo``'s.

    ``git commit PATH…`` and ``git commit -a`` stage into a temporary index and hand it to
    the pre-commit hook in ``GIT_INDEX_FILE``: that, not ``.git/index``, is what will be
    committed. It is used only for the repository it belongs to (a file inside that
    repository's git directory); every other repository keeps its own index.
    """
    given = os.environ.get("GIT_INDEX_FILE")
    if not given:
        return None
    try:
        git_dir = os.fsdecode(run_git(repo, ["rev-parse", "--absolute-git-dir"]).rstrip(b"\n"))
    except GitError:
        return None
    index = os.path.realpath(given)  # relative to the hook's directory: its working tree
    common = os.path.realpath(git_dir)
    return index if os.path.commonpath([index, common]) == common else None


def staged_blobs(
    repo: Path, pathspec: Sequence[str], cancel: threading.Event | None
) -> list[tuple[str, str]]:
    """``(path, blob id)`` of every file the next commit would add or change under
    ``pathspec`` (relative to ``repo``): ``git diff --cached`` names them (against the
    empty tree before the first commit), the index gives their staged blobs."""
    index = hook_index_for(repo)
    names = run_git(
        repo,
        ["diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT",
         "--", *pathspec],
        cancel=cancel,
        index_file=index,
    )  # fmt: skip
    wanted = {name for name in names.split(b"\0") if name}
    if not wanted:
        return []
    listing = run_git(repo, ["ls-files", "-s", "-z"], cancel=cancel, index_file=index)
    staged: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        # mode, blob id, stage: regular files (100644/100755) only, not symlinks or submodules
        if path in wanted and len(parts) == 3 and parts[0].startswith(b"100"):
            staged.append((os.fsdecode(path), parts[1].decode("ascii")))
    return staged
