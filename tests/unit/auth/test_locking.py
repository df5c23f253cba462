"""Where the sign-in lock lives, and how long a waiter waits for a holder that never ends.

The lock belongs to the keychain entry, which is the user's: every process of the user
finds the same file whatever its data directory (TWINEDGE_DESKTOP_HOME, XDG data home),
in a directory only that user can use. The two-process proof with real processes and a
real keychain is tests/e2e/test_lock_scope.py.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import filelock
import httpx
import pytest

from tests.helpers.core_fixtures import NoRequestsTransport
from twinedge_desktop.auth.credentials import AccessToken, UserCredential, encode_entry
from twinedge_desktop.auth.locking import (
    CrossProcessLock,
    LockUnavailable,
    SignInBusy,
    lock_file_for,
    user_lock_root,
)
from twinedge_desktop.auth.session import Session
from twinedge_desktop.config import Profile
from twinedge_desktop.vault import KEYCHAIN_SERVICE, MemoryStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX owners and modes")


def lock_path(session: Session) -> Path:
    return session._lock.path


def test_every_data_directory_of_the_user_finds_the_same_lock(
    profile: Profile, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    http = httpx.AsyncClient()
    paths = []
    for home in ("one", "two"):
        monkeypatch.setenv("TWINEDGE_DESKTOP_HOME", str(tmp_path / home))
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / home / "data"))
        paths.append(lock_path(Session(profile, http, MemoryStore())))
    assert paths[0] == paths[1]
    assert not paths[0].is_relative_to(tmp_path / "one")
    assert paths[0].parent == Path(os.environ["XDG_RUNTIME_DIR"]) / "twinedge-desktop"
    assert stat.S_IMODE(paths[0].parent.stat().st_mode) == 0o700
    # Keyed by the keyring service and the entry: another profile, another lock.
    other = Profile(id="other", name="Other", issuer=profile.issuer, client_id="c")
    assert lock_path(Session(other, http, MemoryStore())) != paths[0]
    assert lock_path(Session(profile, http, MemoryStore())) == lock_file_for(
        user_lock_root(), KEYCHAIN_SERVICE, f"session/{profile.id}"
    )


@pytest.fixture
def no_runtime_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No XDG_RUNTIME_DIR (an SSH session, a container): the temporary directory is used."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    return temp / f"twinedge-desktop-{os.getuid()}"


def test_without_a_runtime_directory_a_private_one_is_made_in_tmp(no_runtime_dir: Path) -> None:
    assert user_lock_root() == no_runtime_dir
    assert stat.S_IMODE(no_runtime_dir.stat().st_mode) == 0o700


def test_a_directory_open_to_others_is_closed_first(no_runtime_dir: Path) -> None:
    no_runtime_dir.mkdir(mode=0o755)
    no_runtime_dir.chmod(0o777)
    assert user_lock_root() == no_runtime_dir
    assert stat.S_IMODE(no_runtime_dir.stat().st_mode) == 0o700


def test_a_symlink_planted_in_its_place_is_never_followed(
    no_runtime_dir: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    no_runtime_dir.symlink_to(elsewhere)
    with pytest.raises(LockUnavailable, match="not a directory only you can use"):
        user_lock_root()
    assert list(elsewhere.iterdir()) == []


def test_a_runtime_directory_that_is_not_usable_falls_back_to_tmp(
    no_runtime_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    planted = tmp_path / "runtime"
    planted.mkdir()
    (planted / "twinedge-desktop").write_text("a file, not a directory")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(planted))
    assert user_lock_root() == no_runtime_dir


class FastClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock runs ``SCALE`` times faster than real time: a wait that
    the code bounds in loop seconds (90 s) ends in a fraction of that in a test. Threads
    (the lock's attempts, 0.25 s each) still take real time."""

    SCALE = 100.0

    def __init__(self) -> None:
        super().__init__()
        self._origin = time.monotonic()

    def time(self) -> float:
        return self._origin + (time.monotonic() - self._origin) * self.SCALE


def test_a_holder_that_never_finishes_is_waited_for_a_bounded_time(
    profile: Profile, tmp_path: Path
) -> None:
    """With the default wait, a process whose renewal finds the lock held for ever gives
    up with SignInBusy after about 90 s: longer than any real renewal (token requests
    of at most 30 s retried within the reuse grace, one keychain write), far shorter than
    for ever."""
    store = MemoryStore()
    due = datetime.now(UTC) - timedelta(minutes=1)
    store.set(
        f"session/{profile.id}",
        encode_entry(
            profile.issuer,
            UserCredential(profile.client_id, "rt-0123456789"),
            AccessToken("at-stale-0123456789", due, ("read:assets",)),
        ),
    )
    holder = filelock.FileLock(
        str(lock_file_for(tmp_path, KEYCHAIN_SERVICE, f"session/{profile.id}"))
    )
    outcome: list[object] = []

    async def renew() -> None:
        async with httpx.AsyncClient(transport=NoRequestsTransport()) as http:
            session = Session(profile, http, store, lock_dir=tmp_path)  # the default wait
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                await session.restore(describe=False)
            except SignInBusy as exc:
                outcome.append((loop.time() - started, str(exc)))

    def run() -> None:
        loop = FastClockLoop()
        try:
            loop.run_until_complete(renew())
        finally:
            loop.close()

    with holder:  # another process holds the lock and never lets go
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(timeout=30)  # real seconds: ~0.8 s with the default, never with no bound
    assert outcome, "the renewal was still waiting for the lock after 3,000 s of its clock"
    ((waited, message),) = outcome
    # Loop seconds, measured at the granularity of one 0.25 s attempt (25 s of this clock).
    assert isinstance(waited, float) and 60 <= waited <= 2 * 60
    assert "has been renewing this sign-in for over" in str(message)


HOLDER = """
import sys
from twinedge_desktop.auth.locking import lock_file_for, user_lock_root
import filelock
lock = filelock.FileLock(str(lock_file_for(user_lock_root(), sys.argv[1], sys.argv[2])))
lock.acquire(timeout=10)
print("held", flush=True)
sys.stdin.readline()  # until the test says so
lock.release()
"""


async def test_another_process_holding_the_entry_lock_keeps_this_one_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two real processes of the same user, each with its own data directory, compute the
    lock of one keychain entry: while the other holds it, this one waits and gives up
    (SignInBusy); once it lets go, this one gets it. A lock keyed by anything of the
    process (its id, its data directory) would let both in."""
    entry = "session/shared-profile"
    env = dict(os.environ, TWINEDGE_DESKTOP_HOME=str(tmp_path / "other-home"))
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, KEYCHAIN_SERVICE, entry,
        env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"held\n"
        monkeypatch.setenv("TWINEDGE_DESKTOP_HOME", str(tmp_path / "this-home"))
        lock = CrossProcessLock(lambda: lock_file_for(user_lock_root(), KEYCHAIN_SERVICE, entry))
        with pytest.raises(SignInBusy):
            async with lock.hold(wait=0.5):
                pass
        holder.stdin.write(b"done\n")
        await holder.stdin.drain()
        assert await asyncio.wait_for(holder.wait(), 30) == 0
        async with lock.hold(wait=10):
            pass  # free now
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
