"""The cross-process lock around a profile's stored sign-in.

The window, ``twinedge-desktop token`` in a terminal, scripts and the SDK (through
``token --json``) all renew the same stored sign-in. Refresh tokens rotate and
the server revokes the whole sign-in when a spent one is presented again, so two
processes must never refresh with the same token: every read-renew-write of the
keychain entry happens under one lock per profile, a file in the data directory.

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
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.timefmt import format_duration

if TYPE_CHECKING:
    import filelock

log = logging.getLogger(__name__)

# A renewal is one token request (30 s at most, plus one retry after a lost response)
# and one keychain write; a holder slower than this is stuck, not busy.
DEFAULT_LOCK_WAIT = 75.0
# One attempt to take the lock blocks a worker thread at most this long.
ATTEMPT_SECONDS = 0.25


class SignInBusy(SignInError):
    """Another process held the sign-in's lock for longer than the bounded wait."""


class LockUnavailable(SignInError):
    """The lock file cannot be created (the data directory is not writable)."""


def lock_file_for(data_dir: Path, profile_id: str) -> Path:
    """The lock file of one profile: a readable slug plus a short hash, so any profile id
    (spaces, slashes, capitals) maps to one safe file name, and distinct ids never share."""
    slug = re.sub(r"[^a-z0-9]+", "-", profile_id.lower()).strip("-")[:40] or "profile"
    digest = hashlib.sha256(profile_id.encode("utf-8")).hexdigest()[:10]
    return data_dir / "locks" / f"sign-in-{slug}-{digest}.lock"


class CrossProcessLock:
    """One profile's sign-in lock. Not reentrant across :meth:`hold` calls by design:
    the session knows when it already holds it (see ``Session._holding_lock``)."""

    def __init__(self, path: Path, *, wait: float = DEFAULT_LOCK_WAIT) -> None:
        self.path = path
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
                raise LockUnavailable(
                    f"Could not create the lock file {self.path} ({exc.strerror or exc}). "
                    "TwinEdge Desktop needs to write to its data directory to renew your "
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

    def _try_acquire(self, seconds: float) -> bool:
        import filelock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._lock is None:
            # thread_local=False: acquired in a worker thread, released on the loop's thread.
            self._lock = filelock.FileLock(str(self.path), thread_local=False)
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
]
