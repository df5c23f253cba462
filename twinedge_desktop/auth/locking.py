"""The cross-process lock around a profile's stored sign-in.

The window, ``twinedge-desktop token`` in a terminal, scripts and the SDK (through
``token --json``) all renew the same stored sign-in. Refresh tokens rotate and
the server revokes the whole sign-in when a spent one is presented again, so two
processes must never refresh with the same token: every read-renew-write of the
keychain entry happens under one lock per keychain entry.

Where the lock lives follows what it protects. The keychain entry
(``twinedge-desktop`` / ``session/<profile>``) belongs to the user, not to a data
directory: two processes with different ``TWINEDGE_DESKTOP_HOME`` (or XDG data
directories) still share it. A lock in the data directory let such processes renew
the same refresh token at once and lose the sign-in. So the lock file is in the
user's private runtime directory (``$XDG_RUNTIME_DIR``, which the XDG spec makes
per user, mode 0700, on local storage), else in a per-user directory of the
temporary directory (``twinedge-desktop-<uid>``, created 0700 and used only when it
is a real directory this user owns that nobody else can enter), and it is named
after the keyring service and the entry. Every process of the user that can reach
the entry computes the same path, whatever its data directory.

The lock is ``filelock``'s (``fcntl.flock`` on Unix, ``LockFileEx`` on Windows),
the approach of msal-extensions' ``CrossPlatLock`` for its shared token cache:
the operating system releases it when its holder dies, so a crashed process
never leaves the others locked out. Acquiring blocks, so it runs in a worker
thread (``asyncio.to_thread``) with a bounded wait; the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import stat
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.timefmt import format_duration

if TYPE_CHECKING:
    import filelock

log = logging.getLogger(__name__)

# A renewal is token requests of 30 s at most each, retried after lost answers while the
# first is under 40 s old (session.LOST_RESPONSE_RETRY_WINDOW), so at most ~70 s, and one
# keychain write; a holder slower than this is stuck, not busy.
DEFAULT_LOCK_WAIT = 90.0
# One attempt to take the lock blocks a worker thread at most this long.
ATTEMPT_SECONDS = 0.25


class SignInBusy(SignInError):
    """Another process held the sign-in's lock for longer than the bounded wait."""


class LockUnavailable(SignInError):
    """The lock file cannot be created (no private lock directory can be made)."""


APP_DIRECTORY = "twinedge-desktop"


def _slug(text: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit]


def lock_file_for(lock_root: Path, service: str, entry: str) -> Path:
    """The lock file of one keychain entry (keyring ``service`` + ``entry`` name) under
    ``lock_root``: a readable slug plus a short hash of both, so any profile id (spaces,
    slashes, capitals) maps to one safe file name and distinct entries never share."""
    slug = f"{_slug(service, 30) or 'service'}-{_slug(entry, 40) or 'entry'}"
    digest = hashlib.sha256(f"{service}\0{entry}".encode()).hexdigest()[:12]
    return lock_root / f"{slug}-{digest}.lock"


def _private_directory(path: Path) -> bool:
    """Make ``path`` (mode 0700) unless it exists; True when it is a real directory (not a
    symlink) this user owns and no one else may enter: only such a directory is trusted,
    so another user cannot hold, redirect or spy on the lock."""
    try:
        path.mkdir(mode=0o700, parents=False, exist_ok=True)
        info = path.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):  # a symlink or a file planted in our place
        return False
    if sys.platform == "win32":  # %TEMP% is the user's own; no POSIX owner or modes
        return True
    if info.st_uid != os.getuid():
        return False
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            path.chmod(0o700)  # ours but open to others (made by hand, say): close it
        except OSError:
            return False
    return True


def user_lock_root() -> Path:
    """The user's private directory for sign-in locks (see the module docstring for why
    there): ``$XDG_RUNTIME_DIR/twinedge-desktop``, else ``<tmp>/twinedge-desktop-<uid>``.

    Raises :class:`LockUnavailable` when neither can be made private to this user.
    """
    candidates: list[Path] = []
    runtime = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        candidates.append(Path(runtime) / APP_DIRECTORY)
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    candidates.append(Path(tempfile.gettempdir()) / f"{APP_DIRECTORY}-{_slug(user, 40)}")
    for candidate in candidates:
        if _private_directory(candidate):
            return candidate
    raise LockUnavailable(
        f"Could not make a private directory for the sign-in lock ({candidates[-1]} exists "
        "but is not a directory only you can use). TwinEdge Desktop needs one to renew "
        "your sign-in safely alongside its other processes; remove it, or set "
        "XDG_RUNTIME_DIR to your runtime directory."
    )


class CrossProcessLock:
    """One keychain entry's sign-in lock. Not reentrant across :meth:`hold` calls by design:
    the session knows when it already holds it (``Session._exclusive``).

    ``path`` is the lock file, or a function that finds it (called once, at the first
    attempt, in a worker thread: finding the user's lock directory touches the disk).
    """

    def __init__(self, path: Path | Callable[[], Path], *, wait: float = DEFAULT_LOCK_WAIT) -> None:
        self._path = path
        self.wait = wait
        # Made at the first attempt: importing filelock costs ~25 ms, which a window's start
        # and a `token` that finds a fresh token never need to pay.
        self._lock: filelock.BaseFileLock | None = None

    @contextlib.asynccontextmanager
    async def hold(self, wait: float | None = None) -> AsyncIterator[None]:
        """Hold the lock for the ``async with`` body; waits at most ``wait`` seconds.

        Raises :class:`SignInBusy` when another process keeps it longer, and
        :class:`LockUnavailable` when the lock file cannot be created. The wait is a
        series of short attempts in worker threads (``ATTEMPT_SECONDS`` each), so a
        waiter never ties up the thread pool the keychain calls need, a cancelled
        waiter stops within one attempt, and one that gets the lock after being
        cancelled releases it at once.
        """
        limit = self.wait if wait is None else wait
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            attempt = asyncio.ensure_future(
                asyncio.to_thread(self._try_acquire, min(ATTEMPT_SECONDS, limit))
            )
            try:
                acquired = await asyncio.shield(attempt)
            except asyncio.CancelledError:
                attempt.add_done_callback(self._release_if_acquired)
                raise
            except OSError as exc:
                where = self._path if isinstance(self._path, Path) else "for this sign-in"
                raise LockUnavailable(
                    f"Could not create the sign-in lock file {where} "
                    f"({exc.strerror or exc}). TwinEdge Desktop needs it to renew your "
                    "sign-in safely alongside its other processes."
                ) from None
            if acquired:
                break
            if loop.time() >= deadline:
                raise SignInBusy(
                    "Another TwinEdge Desktop process (the window, `twinedge-desktop token` or "
                    f"a script) has been renewing this sign-in for over {format_duration(limit)} "
                    "and has not finished. Try again in a moment; if this keeps happening, "
                    "quit the other TwinEdge Desktop processes."
                )
        try:
            yield
        finally:
            self._release()

    @property
    def path(self) -> Path:
        """The lock file (found now if it was given as a function)."""
        if not isinstance(self._path, Path):
            self._path = self._path()
        return self._path

    def _try_acquire(self, seconds: float) -> bool:
        import filelock

        path = self.path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self._lock is None:
            # thread_local=False: acquired in a worker thread, released on the loop's thread.
            self._lock = filelock.FileLock(str(path), thread_local=False)
        try:
            self._lock.acquire(timeout=seconds)
        except filelock.Timeout:
            return False
        return True

    def _release(self) -> None:
        if self._lock is None:
            return
        try:
            self._lock.release()
        except OSError:  # closing the descriptor releases it anyway; never mask the body's error
            log.warning("Releasing the sign-in lock %s failed", self.path, exc_info=True)

    def _release_if_acquired(self, future: asyncio.Future[bool]) -> None:
        if not future.cancelled() and future.exception() is None and future.result():
            self._release()


__all__ = [
    "DEFAULT_LOCK_WAIT",
    "CrossProcessLock",
    "LockUnavailable",
    "SignInBusy",
    "lock_file_for",
    "user_lock_root",
]
