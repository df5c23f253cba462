"""Git history, read through git itself: which file versions ever existed, and their bytes.

Why this way (and not ``git log -p``, ``git grep $(git rev-list --all)`` or a git library):
- ``git log --all --raw`` lists, for every commit, each path whose content it
  changed and the new blob's id, without computing any diff text. Every file
  version that ever existed in a reachable commit appears here once per commit
  that *introduced* it, which is exactly the attribution a finding needs
  (commit, author date, path).
- Each distinct blob is then read **once** with ``git cat-file --batch``, however
  many commits and paths share it. ``git log -p`` would instead diff every
  commit and print text we would have to re-parse; ``git grep`` over thousands
  of revisions re-reads the same blobs once per revision. pygit2/dulwich would add
  a dependency (a C library or a slower pure-Python object reader) for what two
  long-lived git processes already do at C speed.
- Merges use ``-c`` (combined diff): a merge lists only paths whose result differs
  from *every* parent, i.e. content first introduced by the merge itself (a
  conflict resolution or an "evil merge"); a key brought in from a branch is
  attributed to the branch's commit, which ``--all`` also visits.
- ``--no-renames``: a rename is a delete plus an add of the same blob, so the
  renaming commit is recorded at the new path with no rename detection cost.
- Nothing is "ignored" in history: a key committed in a file that is gitignored
  now is still in the repository.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from twinedge_desktop.scan.gitutil import (
    GIT_TIMEOUT,
    GitError,
    ScanCancelled,
    _env,
    git_command,
    run_git,
)

_ZERO_OID = frozenset({b"0" * 40, b"0" * 64})
_COMMIT_MARK = b"\x01"


@dataclass(frozen=True, slots=True)
class Introduction:
    """A commit that put a blob at a path (added it, or changed the file to it)."""

    commit: str
    author_date: datetime
    path: str


def _log_args(pathspec: Sequence[str]) -> list[str]:
    return [
        "-c",
        "log.showSignature=false",
        "log",
        "--all",
        "--root",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "-z",
        "-c",  # merges: combined diff, only paths that differ from every parent
        "--no-color",
        "--no-ext-diff",
        "--format=%x01%H %aI",
        "--",
        *pathspec,
    ]


def parse_raw_log(out: bytes) -> tuple[dict[str, list[Introduction]], int]:
    """``git log --raw -z`` output as blob id → the commits and paths that introduced it.

    Tokens are NUL-separated. A token starting with ``\\x01`` (after the newline git
    puts between a commit's header and its raw lines) is a commit header; a token
    starting with ``:`` is a raw entry (``::…`` for a merge, one colon per parent)
    and the token after it is the path, taken positionally, so no path content can
    be mistaken for a header.
    """
    introductions: dict[str, list[Introduction]] = {}
    commits = 0
    commit = ""
    date: datetime | None = None
    tokens = out.split(b"\0")
    index = 0
    count = len(tokens)
    while index < count:
        token = tokens[index].lstrip(b"\n")
        index += 1
        if token.startswith(_COMMIT_MARK):
            header = token[1:].decode("ascii", "replace").split(" ", 1)
            commit = header[0]
            date = datetime.fromisoformat(header[1]) if len(header) > 1 else None
            commits += 1
            continue
        if not token.startswith(b":") or index >= count:
            continue
        path_bytes = tokens[index]
        index += 1
        parents = len(token) - len(token.lstrip(b":"))
        fields = token.lstrip(b":").split()
        # parents+1 modes, parents+1 object ids, then the status letters
        if len(fields) < 2 * (parents + 1) or date is None:
            continue
        new_mode = fields[parents]
        new_oid = fields[2 * parents + 1]
        if new_oid in _ZERO_OID or not new_mode.startswith(b"100"):
            continue  # deleted, a symlink (120000) or a submodule (160000)
        introductions.setdefault(new_oid.decode("ascii"), []).append(
            Introduction(commit=commit, author_date=date, path=os.fsdecode(path_bytes))
        )
    return introductions, commits


def introductions(
    repo: Path, pathspec: Sequence[str], cancel: threading.Event | None
) -> tuple[dict[str, list[Introduction]], int]:
    """Every blob that a reachable commit introduced, and how many commits were read."""
    return parse_raw_log(run_git(repo, _log_args(pathspec), cancel=cancel))


def blob_sizes(repo: Path, oids: Sequence[str], cancel: threading.Event | None) -> dict[str, int]:
    """Object sizes from ``git cat-file --batch-check`` (headers only: no content is read)."""
    if not oids:
        return {}
    data = "".join(f"{oid}\n" for oid in oids).encode("ascii")
    out = run_git(repo, ["cat-file", "--batch-check"], stdin=data, cancel=cancel)
    sizes: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == b"blob":
            sizes[parts[0].decode("ascii")] = int(parts[2])
    return sizes


def iter_blobs(
    repo: Path, oids: Sequence[str], cancel: threading.Event | None
) -> Iterator[tuple[str, bytes]]:
    """(id, content) of each blob, from one ``git cat-file --batch`` process.

    A thread writes the ids while this generator reads, so neither pipe can fill up
    and stall the other. Closing the generator (or a cancellation) kills git.
    """
    if not oids:
        return
    command = git_command(repo, "cat-file", "--batch")
    try:
        process = subprocess.Popen(  # noqa: S603 - git, from PATH, with our own arguments
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )
    except OSError as exc:
        raise GitError(f"git could not be started: {exc.strerror or exc}") from None
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    payload = "".join(f"{oid}\n" for oid in oids).encode("ascii")

    def feed() -> None:
        try:
            stdin.write(payload)
            stdin.close()
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=feed, name="git-cat-file-feed", daemon=True)
    writer.start()
    finished = False
    try:
        for _ in range(len(oids)):
            if cancel is not None and cancel.is_set():
                raise ScanCancelled
            header = stdout.readline()
            if not header:
                raise GitError("git cat-file ended early (a corrupt or incomplete repository?)")
            parts = header.split()
            if len(parts) < 2 or parts[1] == b"missing" or len(parts) != 3:
                continue  # a missing object (shallow or partial clone): nothing to read
            size = int(parts[2])
            content = stdout.read(size)
            stdout.read(1)  # the newline after each object
            if len(content) != size:
                raise GitError("git cat-file ended in the middle of an object")
            yield parts[0].decode("ascii"), content
        finished = True
    finally:
        if not finished:
            process.kill()
        try:
            process.wait(timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stdout.close()
        writer.join(timeout=5)


@dataclass(frozen=True, slots=True)
class CommitMessage:
    """A reachable commit's message (subject and body, as git stores it)."""

    commit: str
    author_date: datetime
    text: bytes


def commit_messages(
    repo: Path, pathspec: Sequence[str], cancel: threading.Event | None
) -> list[CommitMessage]:
    """The message of every reachable commit (touching ``pathspec``) that holds ``te_``.

    A key pasted into a commit message ("rotated te_…", a quoted config) is as public
    as one in a file. git selects the few messages holding the literal ``te_``
    (``--grep -F``, in git's own process), so a long history costs one pass and the
    output stays small; the checksum then decides what is a key.
    """
    out = run_git(
        repo,
        ["-c", "log.showSignature=false", "log", "--all", "-z", "--no-color",
         "--fixed-strings", "--grep=te_", "--format=%H %aI%n%B", "--", *pathspec],
        cancel=cancel,
    )  # fmt: skip
    messages: list[CommitMessage] = []
    for record in out.split(b"\0"):
        header, _, text = record.lstrip(b"\n").partition(b"\n")
        fields = header.decode("ascii", "replace").split(" ", 1)
        if len(fields) != 2 or not text:
            continue
        try:
            date = datetime.fromisoformat(fields[1])
        except ValueError:
            continue
        messages.append(CommitMessage(commit=fields[0], author_date=date, text=text))
    return messages


def head_tree(repo: Path) -> dict[str, str]:
    """path → blob id of every file in HEAD's tree ({} for a repository without commits)."""
    try:
        out = run_git(repo, ["ls-tree", "-r", "-z", "--full-tree", "HEAD"])
    except GitError:
        return {}
    tree: dict[str, str] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            tree[os.fsdecode(path)] = parts[2].decode("ascii")
    return tree
