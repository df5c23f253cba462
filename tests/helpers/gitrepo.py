"""Real git repositories for tests, built with the ``git`` program, with fixed dates.

``GitRepo.init(path)`` makes a repository with a test identity; ``commit`` writes
files (text or bytes; ``None`` deletes), stages everything and commits with a
fixed author and committer date, returning the commit id. Nothing here touches
the person's own git configuration (HOME and XDG_CONFIG_HOME point into the
repository's parent directory, and the system config is not read).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from twinedge_desktop.keyformat import checksum

_TIMEOUT = 30


def make_key(seed: str) -> str:
    """A checksum-valid key whose random part is derived from ``seed`` (deterministic)."""
    import hashlib

    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    digest = hashlib.sha256(seed.encode()).digest()
    body = "te_" + "".join(alphabet[b % 62] for b in digest)[:32]
    return body + checksum(body)


def wrong_checksum(key: str) -> str:
    """The same key with its last checksum character changed: no longer valid."""
    last = key[-1]
    return key[:-1] + ("A" if last != "A" else "B")


@dataclass
class GitRepo:
    path: Path

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        return repo

    def env(self, date: str | None = None) -> dict[str, str]:
        home = self.path.parent / ".git-test-home"
        home.mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update(
            {
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "Test Author",
                "GIT_AUTHOR_EMAIL": "author@example.com",
                "GIT_COMMITTER_NAME": "Test Author",
                "GIT_COMMITTER_EMAIL": "author@example.com",
            }
        )
        if date is not None:
            env["GIT_AUTHOR_DATE"] = date
            env["GIT_COMMITTER_DATE"] = date
        return env

    def git(self, *args: str, date: str | None = None, check: bool = True) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env=self.env(date),
            timeout=_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
        return result.stdout.strip()

    def write(self, files: Mapping[str, str | bytes | None]) -> None:
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")

    def commit(
        self,
        files: Mapping[str, str | bytes | None],
        message: str,
        date: str = "2024-01-15T10:00:00+00:00",
    ) -> str:
        self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date)
        return self.git("rev-parse", "HEAD")
