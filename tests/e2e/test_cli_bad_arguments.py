"""Every subcommand, given arguments no person means, answers with a sentence and exit 2.

Real processes (the installed ``twinedge-desktop``), signed in for real to the sandbox
(the entry in a private gnome-keyring, shared by environment), so each command gets as
far as it would for a person: the bad value must be refused as bad usage before anything
is sent, stored or printed. The arguments are bytes, as a shell passes them: bytes that
are not UTF-8 (``$'\\xff'``: Python sees lone surrogates), C1 controls as bytes
(``$'x\\x85y'``), and values too large for the arithmetic behind them. Afterwards the
sign-in is intact: bad input loses nothing.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    secret_service_fixture,
)
from tests.helpers.sandbox_signin import sign_in_for_processes

pytestmark = [pytest.mark.e2e, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
INSTALLED = Path(sys.executable).with_name("twinedge-desktop")
COMMAND = [str(INSTALLED)] if INSTALLED.exists() else [sys.executable, "-m", "twinedge_desktop"]
TIMEOUT = 60

NOT_UTF8 = b"\xff"
C1_BYTE = b"x\x85y"  # NEL as a lone byte: not UTF-8 either
HUGE_NUMBER = b"9" * 40
ISSUER_PLACEHOLDER = b"{issuer}"

# (arguments, what the error names). Each must exit 2 with a sentence naming that
# on stderr, no traceback, nothing on stdout.
CASES: list[tuple[list[bytes], str]] = [
    ([b"keys", b"create", NOT_UTF8, b"--scope", b"read:assets"], "NAME"),
    ([b"keys", b"create", C1_BYTE, b"--scope", b"read:assets"], "NAME"),
    ([b"keys", b"create", b"ci", b"--scope", NOT_UTF8], "--scope"),
    ([b"keys", b"create", b"ci", b"--scope", b"read:assets", b"--expires", NOT_UTF8], "--expires"),
    (
        [
            b"keys",
            b"create",
            b"ci",
            b"--scope",
            b"read:assets",
            b"--expires",
            b"9999-12-31T23:59:59-23:59",
        ],
        "--expires",
    ),
    ([b"keys", b"create", b"ci", b"--scope", b"read:assets", b"--days", HUGE_NUMBER], "--days"),
    ([b"keys", b"revoke", NOT_UTF8], "ID|PREFIX"),
    ([b"keys", b"list", b"--profile", NOT_UTF8], "--profile"),
    ([b"apps", b"delete", NOT_UTF8, b"--yes"], "ID"),
    ([b"apps", b"rotate-secret", NOT_UTF8], "ID"),
    ([b"apps", b"create", NOT_UTF8, b"--type", b"service", b"--scope", b"read:assets"], "NAME"),
    (
        [
            b"apps",
            b"create",
            b"a",
            b"--type",
            b"web",
            b"--scope",
            b"read:assets",
            b"--redirect-uri",
            b"https://example.com/" + NOT_UTF8,
        ],
        "--redirect-uri",
    ),
    ([b"login", b"--issuer", ISSUER_PLACEHOLDER + b"/" + NOT_UTF8], "--issuer"),
    ([b"login", b"--issuer", ISSUER_PLACEHOLDER, b"--client-id", NOT_UTF8], "--client-id"),
    ([b"login", b"--issuer", ISSUER_PLACEHOLDER, b"--scope", NOT_UTF8], "--scope"),
    ([b"login", b"--scope", C1_BYTE], "--scope"),
    ([b"login", b"--timeout", b"1e999"], "--timeout"),
    (
        [b"login", b"--issuer", ISSUER_PLACEHOLDER, b"--api-url", ISSUER_PLACEHOLDER + NOT_UTF8],
        "--api-url",
    ),
    ([b"--profile", NOT_UTF8, b"status"], "--profile"),
    ([b"token", b"--profile", NOT_UTF8], "--profile"),
    ([b"logout", b"--profile", b"p" * 100_000], "No profile named"),
    ([b"inspect", NOT_UTF8], "TOKEN"),
    ([b"inspect", b"-", b"--leeway", HUGE_NUMBER], "--leeway"),
    ([b"inspect", b"-", b"--issuer", NOT_UTF8], "--issuer"),
    ([b"scan", b"--max-file-size", HUGE_NUMBER], "--max-file-size"),
    ([b"sandbox", b"--port", HUGE_NUMBER], "--port"),
    ([b"sandbox", b"--password", NOT_UTF8], "--password"),
    ([b"sandbox", b"--host", NOT_UTF8], "--host"),
]


@pytest.fixture
def signed_in_env(
    sandbox: Any, secret_service: PrivateSecretService, isolated_app_home: Path
) -> dict[str, str]:
    asyncio.run(sign_in_for_processes(sandbox.base_url))
    env = dict(os.environ)
    env["TWINEDGE_DESKTOP_HOME"] = str(isolated_app_home)
    env["BROWSER"] = "false"  # never a browser: nothing here may get as far as signing in
    env.pop("DISPLAY", None)
    return env


def run(arguments: list[bytes], env: dict[str, str], stdin: bytes = b"") -> Any:
    return subprocess.run(
        [os.fsencode(part) for part in COMMAND] + arguments,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
        cwd=REPO,
    )


def test_every_subcommand_refuses_bad_arguments_with_a_sentence_and_exit_2(
    sandbox: Any, signed_in_env: dict[str, str]
) -> None:
    issuer = sandbox.base_url.encode()
    failures = []
    for arguments, named in CASES:
        argv = [part.replace(ISSUER_PLACEHOLDER, issuer) for part in arguments]
        done = run(argv, signed_in_env, stdin=b"eyJhbGciOiJub25lIn0.e30.\n")
        stderr = done.stderr.decode("utf-8", "replace")
        ok = (
            done.returncode == 2
            and "Traceback" not in stderr
            and named in stderr
            and done.stdout == b""
        )
        if not ok:
            failures.append(
                f"{argv!r}: exit {done.returncode}, stdout {done.stdout[:80]!r}, "
                f"stderr {stderr[-400:]!r}"
            )
    assert not failures, "\n".join(failures)
    # Nothing was lost: still signed in, and no key or application was made.
    status = run([b"status"], signed_in_env)
    assert status.returncode == 0, status.stderr
    listing = run([b"keys", b"list", b"--json"], signed_in_env)
    assert listing.returncode == 0 and b'"data": []' in listing.stdout, listing.stderr
