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


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_ENV}
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
) -> bytes:
    """Run git and return its stdout; GitError with git's own first line on failure.

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
                env=_env(),
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
