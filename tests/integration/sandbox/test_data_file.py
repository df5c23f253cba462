"""The data file holds the signing key: it and its ``-wal``/``-shm`` files are mode 0600,
and a second sandbox on the same file is refused instead of re-seeding it under the
first one (issue 15, finding 8). With real processes, as people start them."""

from __future__ import annotations

import os
import queue
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sandbox.flows import HTTP, service_token, user_tokens
from twinedge_desktop.sandbox.datafile import DataFileInUse
from twinedge_desktop.sandbox.embedded import start_in_thread

REPO = Path(__file__).resolve().parents[3]
_START_TIMEOUT = 60.0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class SandboxProcess:
    """``python -m twinedge_desktop.sandbox`` in the background, its banner read."""

    def __init__(self, *args: str, umask: int = -1) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "twinedge_desktop.sandbox", "--port", "0", *args],
            cwd=REPO,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            umask=umask,  # -1: inherit
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.output: list[str] = []
        while not any("Press Ctrl+C" in line for line in self.output):
            self.output.append(self.lines.get(timeout=_START_TIMEOUT))
        self.base_url = next(line for line in self.output if "listening on" in line).split()[-1]
        self.secret = next(line for line in self.output if "service secret" in line).split()[-1]

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[SandboxProcess, Path]]:
    data = tmp_path / "sandbox.sqlite3"
    sandbox = SandboxProcess("--data", str(data), umask=0o022)
    try:
        yield sandbox, data
    finally:
        sandbox.stop()


def test_the_data_file_and_its_companions_are_private(
    running: tuple[SandboxProcess, Path],
) -> None:
    sandbox, data = running
    user_tokens(sandbox.base_url)  # writes: the WAL file exists now
    files = [data, Path(f"{data}-wal"), Path(f"{data}-shm")]
    assert all(path.exists() for path in files)
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_an_existing_file_with_a_wide_mode_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "old.sqlite3"
    with start_in_thread(data_path=str(data)):
        pass
    for path in (data, Path(f"{data}-wal"), Path(f"{data}-shm")):
        if path.exists():
            path.chmod(0o644)
    with start_in_thread(data_path=str(data)) as again:
        user_tokens(again.base_url)
        assert _mode(data) == 0o600
        assert _mode(Path(f"{data}-wal")) == 0o600


def test_existing_wal_and_shm_files_with_a_wide_mode_are_tightened(tmp_path: Path) -> None:
    """A sandbox killed mid-run leaves its ``-wal`` and ``-shm`` behind; made 0644 (by hand,
    a copy, a restore from backup), the next start makes all three private before use.
    SQLite keeps an existing companion's mode, so only the sandbox's own chmod does it."""
    data = tmp_path / "crashed.sqlite3"
    first = SandboxProcess("--data", str(data))
    user_tokens(first.base_url)  # writes: the WAL has frames
    first.process.kill()
    first.process.wait(timeout=30)
    files = [data, Path(f"{data}-wal"), Path(f"{data}-shm")]
    assert all(path.exists() for path in files), "SIGKILL leaves the companions"
    for path in files:
        path.chmod(0o644)
    with start_in_thread(data_path=str(data)) as again:
        assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
        assert service_token(again.base_url, again.service_client_secret).status_code == 200


def test_a_second_sandbox_on_the_same_file_is_refused(
    running: tuple[SandboxProcess, Path],
) -> None:
    first, data = running
    second = subprocess.run(
        [sys.executable, "-m", "twinedge_desktop.sandbox", "--port", "0", "--data", str(data)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 1
    assert "Another sandbox is already using the data file" in second.stderr
    assert str(data) in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    # The first one's service secret and demo password still work: nothing was re-seeded.
    assert service_token(first.base_url, first.secret).status_code == 200
    assert "access_token" in user_tokens(first.base_url)


def test_the_embedded_sandbox_is_refused_too_and_the_file_is_free_after_stop(
    tmp_path: Path,
) -> None:
    data = str(tmp_path / "shared.sqlite3")
    with start_in_thread(data_path=data) as first:
        with pytest.raises(DataFileInUse, match="already using the data file"):
            start_in_thread(data_path=data)
        assert HTTP.get(f"{first.base_url}/.well-known/jwks.json").status_code == 200
        secret = first.service_client_secret
        assert service_token(first.base_url, secret).status_code == 200
    with start_in_thread(data_path=data) as after:
        assert service_token(after.base_url, after.service_client_secret).status_code == 200


def test_a_killed_sandbox_leaves_the_file_usable(tmp_path: Path) -> None:
    """The lock is the operating system's: it goes with the process, however it ends."""
    data = tmp_path / "killed.sqlite3"
    first = SandboxProcess("--data", str(data))
    first.process.kill()
    first.process.wait(timeout=30)
    second = SandboxProcess("--data", str(data))
    try:
        assert service_token(second.base_url, second.secret).status_code == 200
    finally:
        second.stop()


def test_demo_data_on_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "demo.sqlite3"
    fresh = SandboxProcess("--data", str(data), "--demo-data")
    try:
        assert any("demo API keys with usage history added" in line for line in fresh.output)
        token = user_tokens(fresh.base_url, scope="read:assets")["access_token"]
        keys = HTTP.get(
            f"{fresh.base_url}/v1/api-keys", headers={"Authorization": f"Bearer {token}"}
        ).json()["data"]
        assert len(keys) == 7
    finally:
        fresh.stop()
    again = SandboxProcess("--data", str(data), "--demo-data")
    try:
        assert any("not added: the data file already holds data" in line for line in again.output)
    finally:
        again.stop()


def test_a_data_file_from_before_this_change_opens_and_works(tmp_path: Path) -> None:
    """Files written by the earlier sandbox lack the new columns; they are added on open,
    and sign-in, refresh (with its grace) and key usage work on them."""
    import sqlite3

    from twinedge_desktop.sandbox.storage import SCHEMA

    data = tmp_path / "old.sqlite3"
    with sqlite3.connect(data) as old:
        old.executescript(SCHEMA)  # the tables as the first release created them
    with start_in_thread(data_path=str(data)) as upgraded:
        tokens = user_tokens(upgraded.base_url, scope="read:assets")
        from tests.integration.sandbox.flows import api, refresh

        assert refresh(upgraded.base_url, tokens["refresh_token"]).status_code == 200
        assert refresh(upgraded.base_url, tokens["refresh_token"]).status_code == 200  # grace
        key = api(
            upgraded.base_url,
            "POST",
            "/v1/api-keys",
            tokens["access_token"],
            json={"name": "k", "scopes": ["read:assets"]},
        ).json()
        assert api(upgraded.base_url, "GET", "/v1/assets", key["key"]).status_code == 200
        usage = api(
            upgraded.base_url, "GET", f"/v1/api-keys/{key['id']}/usage", tokens["access_token"]
        ).json()
        assert usage["days"][-1]["requests"] == 1
