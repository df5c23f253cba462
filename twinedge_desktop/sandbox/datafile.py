"""The sandbox's data file: private to its owner, and used by one sandbox at a time.

The file holds the RSA signing key, so it (and SQLite's ``-wal``/``-shm`` companions) is
created with mode 0600. SQLite creates the companions with the main file's mode, so
creating the main file 0600 *before* SQLite opens it is what makes them private too;
an existing file with a wider mode is tightened.

A second sandbox on the same file used to start silently and re-seed it: a new service
secret and demo password that the first sandbox's users did not know about. Now each
sandbox holds an exclusive lock on ``FILE.lock`` (``filelock``: ``flock`` on Unix,
``LockFileEx`` on Windows, released by the OS if the process dies) for its whole life,
and a second one is refused with a message that says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field

from filelock import FileLock, Timeout

logger = logging.getLogger("twinedge_desktop.sandbox")

PRIVATE_MODE = 0o600
IN_MEMORY = ":memory:"


class DataFileInUse(Exception):
    """Another sandbox holds this data file. The message says which file and what to do."""


@dataclass
class DataFile:
    path: str
    fresh: bool  # created by this start (empty), so demo data may be added
    _lock: FileLock | None = field(default=None, repr=False)

    def release(self) -> None:
        """Let another sandbox use the file (idempotent)."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release(force=True)


def companion_paths(path: str) -> tuple[str, str, str]:
    return (path, f"{path}-wal", f"{path}-shm")


def open_data_file(path: str) -> DataFile:
    """Lock ``path`` for this process and make sure it exists with mode 0600.

    Raises :class:`DataFileInUse` when another sandbox holds it, ``OSError`` when the
    file or its folder cannot be created.
    """
    if path == IN_MEMORY:
        return DataFile(path, fresh=True)
    # thread_local=False: the embedded sandbox is started in one thread and may be
    # stopped from another; the lock belongs to the sandbox, not to a thread.
    lock = FileLock(f"{path}.lock", mode=PRIVATE_MODE, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise DataFileInUse(
            f"Another sandbox is already using the data file {path} (it holds {path}.lock). "
            "Stop that sandbox first, or start this one with another --data file."
        ) from None
    try:
        fresh = not os.path.exists(path) or os.path.getsize(path) == 0
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
        os.close(descriptor)
        for existing in companion_paths(path):
            _make_private(existing)
    except BaseException:
        lock.release(force=True)
        raise
    return DataFile(path, fresh=fresh, _lock=lock)


def _make_private(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        mode = os.stat(path).st_mode & 0o777
        if mode & ~PRIVATE_MODE:
            try:
                os.chmod(path, PRIVATE_MODE)
            except OSError as exc:  # someone else's file we may still write
                logger.warning("Could not make %s private (mode %o): %s", path, mode, exc.strerror)
