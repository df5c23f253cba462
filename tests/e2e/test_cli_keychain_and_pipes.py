"""What the command line (and the SDK through it) says when the keychain cannot be used,
and how it ends when its reader stops reading. Real processes throughout.

- A locked keychain, or none at all, is not "Not signed in … run login": the person may be
  signed in, and ``login`` would fail the same way. They are told the keychain is locked
  (or absent) and how to unlock (or start) it; so is a script using the SDK.
- ``twinedge-desktop status | head -3``: when stdout's reader leaves, the command ends
  quietly (exit 141, as programs ended by SIGPIPE do), never "Error: [Errno 32] Broken
  pipe" or a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    locked_secret_service_fixture,
    no_session_bus_fixture,
    secret_service_fixture,
)

pytestmark = [pytest.mark.e2e, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INSTALLED = BIN / "twinedge-desktop"
COMMAND = [str(INSTALLED)] if INSTALLED.exists() else [sys.executable, "-m", "twinedge_desktop"]
TIMEOUT = 60
SDK_CALL = """
from twinedge import TwinEdgeClient, CredentialUnavailable
try:
    TwinEdgeClient().me()
except CredentialUnavailable as exc:
    print(exc)
"""


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # the SDK finds the app on PATH
    for name in ("TWINEDGE_API_KEY", "TWINEDGE_CLIENT_ID", "TWINEDGE_CLIENT_SECRET"):
        env.pop(name, None)
    return env


def run(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *arguments],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )


def sdk_message() -> str:
    done = subprocess.run(
        [sys.executable, "-c", SDK_CALL],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout.strip()


def assert_says_the_keychain(text: str, *words: str) -> None:
    assert all(word in text for word in words), text
    for misleading in ("Not signed in", "twinedge-desktop login", "cannot be saved"):
        assert misleading not in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("command", [["status"], ["token"], ["token", "--json"], ["keys", "list"]])
def test_a_locked_keychain_is_named_with_how_to_unlock_it(
    locked_secret_service: PrivateSecretService, command: list[str]
) -> None:
    done = run(command)
    assert done.returncode == 1 and done.stdout == ""
    assert_says_the_keychain(done.stderr, "keychain is locked", "Unlock your keyring")


def test_the_sdk_passes_on_that_the_keychain_is_locked(
    locked_secret_service: PrivateSecretService,
) -> None:
    assert_says_the_keychain(sdk_message(), "keychain is locked", "Unlock your keyring")


@pytest.mark.parametrize("command", [["status"], ["token", "--json"]])
def test_no_keychain_at_all_is_named_with_how_to_start_one(
    no_session_bus: dict[str, str], command: list[str]
) -> None:
    done = run(command)
    assert done.returncode == 1 and done.stdout == ""
    assert_says_the_keychain(done.stderr, "No keychain is available", "dbus-run-session")


def test_the_sdk_passes_on_that_there_is_no_keychain(no_session_bus: dict[str, str]) -> None:
    assert_says_the_keychain(sdk_message(), "No keychain is available")


@pytest.mark.parametrize(
    "command",
    [["status", "--json"], ["scan", "--json", "{empty}"], ["scan", "{empty}"]],
    ids=" ".join,
)
def test_a_reader_that_leaves_ends_the_command_quietly(
    no_session_bus: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "empty").mkdir()
    arguments = [part.replace("{empty}", str(tmp_path / "empty")) for part in command]
    reader, writer = os.pipe()
    os.close(reader)  # `| head` that has already read what it wanted: every write is EPIPE
    try:
        done = subprocess.run(
            [*COMMAND, *arguments],
            env=environment(),
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
            check=False,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(writer)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""
