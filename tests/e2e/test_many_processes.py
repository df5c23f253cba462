"""One sign-in, many processes, for real: the window plus ten ``twinedge-desktop token`` at once.

The issue's "done when": ten ``token`` processes at once plus the open window,
repeated over three simulated hours, leave the person signed in with no warning,
and every printed token is accepted by ``/v1/me``.

Real parts everywhere: the sandbox over loopback (its clock shifted with its test
control), one private D-Bus session with one gnome-keyring shared by every process,
one throwaway ``TWINEDGE_DESKTOP_HOME`` (profiles, lock files), headless Chromium for
the sign-in, the installed ``twinedge-desktop`` command for the processes. The
client processes run under libfaketime so their clock agrees with the sandbox's (a
client trusts its cached token until its own clock says it expired, so shifting
only the server would prove nothing about renewal). A core ``Session`` in this
process, on the same shifted time, stands in for the open window.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    secret_service_fixture,
)
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import AppPaths, ProfileStore
from twinedge_desktop.timefmt import utc_now
from twinedge_desktop.vault import open_system_store

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
INSTALLED = Path(sys.executable).with_name("twinedge-desktop")
COMMAND = [str(INSTALLED)] if INSTALLED.exists() else [sys.executable, "-m", "twinedge_desktop"]
PROCESSES = 10
PROCESS_TIMEOUT = 120.0


@pytest.fixture
def cli_env(
    tmp_path: Path, isolated_app_home: Path, secret_service: PrivateSecretService
) -> dict[str, str]:
    """This process's environment (private keychain, isolated home) plus the scripted browser."""
    env = dict(os.environ)
    env["TWINEDGE_DESKTOP_HOME"] = str(isolated_app_home)
    env["BROWSER"] = f"{sys.executable} {BROWSER_HELPER} %s"
    env["TWINEDGE_TEST_BROWSER_LOG"] = str(tmp_path / "browser.log")
    env.pop("DISPLAY", None)
    return env


def faked(env: dict[str, str], shift: timedelta) -> dict[str, str]:
    """``env`` for a client process whose clock runs ``shift`` ahead (libfaketime)."""
    assert LIBFAKETIME.exists(), "libfaketime is missing: apt-get install libfaketime (scripts/dev)"
    return {
        **env,
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": f"+{int(shift.total_seconds())}",
        "FAKETIME_DONT_RESET": "1",  # children (none here) would keep the same offset
    }


async def run(command: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *COMMAND,
        *command,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def shifted_clock(shift: list[timedelta]) -> Callable[[], datetime]:
    return lambda: utc_now() + shift[0]


async def accepted_by_me(http: httpx.AsyncClient, base_url: str, token: str) -> dict[str, Any]:
    response = await http.get(
        f"{base_url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=15
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_ten_token_processes_and_the_window_over_three_simulated_hours(
    sandbox: Any, sandbox_controls: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    code, _, err = await run(
        ["login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop"], cli_env
    )
    browser_log = tmp_path / "browser.log"
    assert code == 0, err + (browser_log.read_text() if browser_log.exists() else "")

    # The open window: a long-lived core Session on the same keychain, home and time.
    paths = AppPaths.default()
    profile = ProfileStore.load(paths.profiles_file).current
    shift = [timedelta(0)]
    http = build_http_client()
    store = await asyncio.to_thread(open_system_store)
    window = Session(profile, http, store, clock=shifted_clock(shift))  # the user's lock
    try:
        assert await window.restore() is True
        printed: set[str] = set()
        for minutes in range(0, 181, 30):  # 0, 30 … 180: a renewal is due every other round
            shift[0] = timedelta(minutes=minutes)
            sandbox_controls.shift_clock(shift[0].total_seconds())
            # A slow token endpoint: a renewal stays in flight while the processes start, so
            # they all find the token due at once. Without the cross-process lock two of them
            # would present the same refresh token and the sandbox would revoke the sign-in.
            sandbox_controls.fault("/oauth/token", method="POST", count=PROCESSES + 1, delay=6)
            env = faked(cli_env, shift[0])
            results, window_token = await asyncio.gather(
                asyncio.gather(*(run(["token"], env) for _ in range(PROCESSES))),
                window.access_token(),
            )
            sandbox_controls.clear_faults()
            for code, out, err in results:
                assert code == 0, f"at +{minutes} min: {err}"
                assert err == "", f"at +{minutes} min a token process warned: {err}"
                assert out.count("\n") == 1
            tokens = {out.strip() for _, out, _ in results} | {window_token}
            for token in tokens:  # every printed token works at the API, on the shifted time
                me = await accepted_by_me(http, sandbox.base_url, token)
                assert me["email"] == "engineer@example.com"
            # All eleven agree on one token per round: the first to find it due renewed it,
            # the others adopted that renewal from the keychain instead of renewing again.
            assert len(tokens) == 1, f"at +{minutes} min: {len(tokens)} different tokens"
            printed |= tokens
            assert window.state is SessionState.SIGNED_IN
            assert window.signed_out_reason is None and window.keychain_problem is None
        # One renewal per due round (+60, +120, +180 min) for all eleven, never a reuse.
        assert len(printed) == 4
        # The sign-in is intact at the end: `status` (a new process) and the window agree.
        code, out, err = await run(["status", "--json"], faked(cli_env, shift[0]))
        assert code == 0, err
        status = json.loads(out)
        assert status["signed_in"] is True and status["signed_out_reason"] is None
    finally:
        assert await window.aclose() is None  # nothing left unsaved
        await http.aclose()


async def test_a_dropped_refresh_response_keeps_everyone_signed_in(
    sandbox: Any, sandbox_controls: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The sandbox rotates, then drops the connection before answering (a lost response).
    The client retries with the same refresh token; the sandbox's reuse grace answers it."""
    code, _, err = await run(
        ["login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop"], cli_env
    )
    assert code == 0, err
    shift = timedelta(minutes=61)
    sandbox_controls.shift_clock(shift.total_seconds())
    sandbox_controls.fault("/oauth/token", method="POST", count=1, drop="after")
    code, out, err = await run(["token"], faked(cli_env, shift))
    assert code == 0 and err == "", err
    async with httpx.AsyncClient() as http:
        await accepted_by_me(http, sandbox.base_url, out.strip())
    code, out, err = await run(["token", "--json"], faked(cli_env, shift + timedelta(hours=1)))
    assert code == 0, err
    assert json.loads(out)["profile"]
