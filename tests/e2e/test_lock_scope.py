"""The sign-in lock is the keychain entry's, not the data directory's: real processes.

The keychain entry (``twinedge-desktop`` / ``session/<profile>``) is the user's; two
processes with different ``TWINEDGE_DESKTOP_HOME`` (a script with its own home, a second
installation) still share it. With the lock in the data directory, both renewed the
same refresh token at once and the sign-in was lost. Here two ``twinedge-desktop token``
processes with different homes find the stored token due at the same moment (their clocks
run two hours ahead under libfaketime, like the sandbox's), while the token endpoint is
slow: one renews, the other waits for the lock and adopts that renewal. Both print the
same token, and the sign-in is intact afterwards.

Real parts: the sandbox over loopback, one private gnome-keyring shared by environment,
the installed command. The sign-in is seeded through the vault (no browser needed).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    secret_service_fixture,
)
from tests.helpers.sandbox import SandboxControls
from tests.helpers.sandbox_signin import sign_in_for_processes
from twinedge_desktop.config import AppPaths

pytestmark = [pytest.mark.e2e, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
INSTALLED = Path(sys.executable).with_name("twinedge-desktop")
COMMAND = [str(INSTALLED)] if INSTALLED.exists() else [sys.executable, "-m", "twinedge_desktop"]
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
TIMEOUT = 90.0
ROUNDS = 3


def process_env(env: dict[str, str], home: Path, ahead: timedelta) -> dict[str, str]:
    """``env`` for a process with its own home whose clock runs ``ahead`` (libfaketime)."""
    assert LIBFAKETIME.exists(), "libfaketime is missing: apt-get install libfaketime"
    return {
        **env,
        "TWINEDGE_DESKTOP_HOME": str(home),
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": f"+{int(ahead.total_seconds())}",
    }


async def token(home: Path, env: dict[str, str], ahead: timedelta) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *COMMAND,
        "token",
        env=process_env(env, home, ahead),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode().strip(), err.decode()


async def accepted(base_url: str, access_token: str) -> bool:
    async with httpx.AsyncClient(timeout=15) as http:
        me = await http.get(
            f"{base_url}/v1/me", headers={"Authorization": f"Bearer {access_token}"}
        )
    return me.status_code == 200


async def test_two_data_directories_sharing_one_keychain_renew_once(
    sandbox: Any,
    sandbox_controls: SandboxControls,
    secret_service: PrivateSecretService,
    isolated_app_home: Path,
    tmp_path: Path,
) -> None:
    await sign_in_for_processes(sandbox.base_url)
    # A second home with the same profile (as a copied configuration would have it).
    other_home = tmp_path / "other-home"
    profiles = AppPaths.default().profiles_file
    copied = other_home / profiles.relative_to(isolated_app_home)
    copied.parent.mkdir(parents=True)
    shutil.copy(profiles, copied)
    env = dict(os.environ)
    for round_number in range(1, ROUNDS + 1):
        ahead = timedelta(hours=2 * round_number)  # the stored token is due in both
        sandbox_controls.shift_clock(ahead.total_seconds())
        # A slow token endpoint: the first renewal is still in flight when the other
        # process finds the token due. Two requests would get two different tokens.
        sandbox_controls.fault("/oauth/token", method="POST", count=2, delay=2)
        results = await asyncio.gather(
            token(isolated_app_home, env, ahead), token(other_home, env, ahead)
        )
        sandbox_controls.clear_faults()
        for code, _, err in results:
            assert code == 0 and err == "", f"round {round_number}: {err}"
        printed = {out for _, out, _ in results}
        assert len(printed) == 1, f"round {round_number}: each process renewed on its own"
        assert await accepted(sandbox.base_url, printed.pop())
