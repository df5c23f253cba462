"""``twinedge-desktop login / status / token / logout`` as subprocesses, end to end.

Real parts everywhere: the sandbox over loopback, real headless Chromium as
``$BROWSER`` (tests/helpers/browser_signin.py), and a real Secret Service
(gnome-keyring on a private D-Bus session, passed to the subprocesses by env).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    no_session_bus_fixture,
    secret_service_fixture,
)
from twinedge_desktop.vault import open_system_store

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "twinedge_desktop"]
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
TIMEOUT = 120


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=REPO,
    )


@pytest.fixture
def cli_env(tmp_path: Path, isolated_app_home: Path) -> dict[str, str]:
    """This process's environment (private keychain, isolated home) plus the scripted browser."""
    env = dict(os.environ)
    env["TWINEDGE_DESKTOP_HOME"] = str(isolated_app_home)
    env["BROWSER"] = f"{sys.executable} {BROWSER_HELPER} %s"
    env["TWINEDGE_TEST_BROWSER_LOG"] = str(tmp_path / "browser.log")  # outside the app's home
    env.pop("DISPLAY", None)
    return env


def all_files_text(root: Path) -> str:
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_login_token_status_logout_with_chromium_and_a_real_keychain(
    sandbox: Any,
    secret_service: PrivateSecretService,
    cli_env: dict[str, str],
    isolated_app_home: Path,
    tmp_path: Path,
) -> None:
    login = run_cli(
        ["--debug", "login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop"],
        cli_env,
    )
    browser_log = (
        (tmp_path / "browser.log").read_text() if (tmp_path / "browser.log").exists() else ""
    )
    assert login.returncode == 0, login.stderr + browser_log
    assert "open this link yourself" in login.stderr and "/oauth/authorize?" in login.stderr
    assert "Signed in to" in login.stderr and "engineer@example.com" in login.stderr
    assert login.stdout == ""
    assert "Traceback" not in login.stderr

    token = run_cli(["--debug", "token"], cli_env)
    assert token.returncode == 0, token.stderr
    access_token = token.stdout.strip()
    assert token.stdout == access_token + "\n"  # only the token
    jwks = jwt.PyJWKClient(f"{sandbox.base_url}/.well-known/jwks.json")
    claims = jwt.decode(
        access_token,
        jwks.get_signing_key_from_jwt(access_token).key,
        algorithms=["RS256"],
        audience="https://api.twinedgeai.com",
        issuer=sandbox.base_url,
    )
    assert claims["sub"] == "user-123" and claims["org"] == "org-456"

    status = run_cli(["--debug", "status", "--json"], cli_env)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["signed_in"] is True
    assert (data["email"], data["org"]) == ("engineer@example.com", "org-456")
    assert data["keychain"] == "Secret Service (GNOME Keyring)"
    assert "read:assets" in data["scopes"] and data["access_expires_at"].endswith("Z")
    text_status = run_cli(["status"], cli_env)
    assert text_status.returncode == 0
    for words in ("Profile:", "org-456", "Scopes:", "Expires:", "Secret Service (GNOME Keyring)"):
        assert words in text_status.stdout

    # What the keychain holds (read through the same private Secret Service).
    store = open_system_store()
    entry = store.get(f"session/{data['profile']}")
    assert entry is not None
    refresh_token = json.loads(entry)["refresh_token"]
    # The stored access token is fresh: `token` made no request at all (debug logging would
    # show one), and so neither discovery nor a refresh happened.
    assert "HTTP Request" not in token.stderr and access_token not in token.stderr
    # Debug logging on the terminal shows requests (status asks /v1/me), never the secrets.
    assert "HTTP Request" in status.stderr
    assert refresh_token not in status.stderr and access_token not in status.stderr

    logout = run_cli(["logout"], cli_env)
    assert logout.returncode == 0, logout.stderr
    assert "Signed out" in logout.stderr and "revoked at the server" in logout.stderr
    assert store.get(f"session/{data['profile']}") is None
    after = run_cli(["token"], cli_env)
    assert after.returncode == 1 and after.stdout == ""
    assert "Not signed in" in after.stderr and "Traceback" not in after.stderr

    # No secret in any file the app wrote (config, logs at DEBUG level, anything else).
    written = all_files_text(isolated_app_home)
    assert "profiles.json" in str(list(isolated_app_home.rglob("*")))
    assert written.strip()
    for secret in (access_token, refresh_token, "twinedge-demo"):
        assert secret not in written


def test_login_denied_in_the_browser_fails_with_its_message(
    sandbox: Any, secret_service: PrivateSecretService, cli_env: dict[str, str]
) -> None:
    cli_env["TWINEDGE_TEST_DECISION"] = "deny"
    login = run_cli(
        ["login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop"], cli_env
    )
    assert login.returncode == 1
    assert "denied" in login.stderr and "Traceback" not in login.stderr


def test_without_a_keychain_commands_fail_clearly(
    sandbox: Any, no_session_bus: dict[str, str], cli_env: dict[str, str]
) -> None:
    assert "DBUS_SESSION_BUS_ADDRESS" not in cli_env
    login = run_cli(
        ["login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop", "--no-browser"],
        cli_env,
    )
    assert login.returncode == 1
    assert "no D-Bus session bus" in login.stderr and "Traceback" not in login.stderr
    token = run_cli(["--debug", "token"], cli_env)
    assert token.returncode == 1 and token.stdout == ""
    # Not "Not signed in": the keychain that would say so cannot be reached.
    assert "sign-in to TwinEdge Cloud cannot be read" in token.stderr
    assert "no D-Bus session bus" in token.stderr and "Not signed in" not in token.stderr


def test_bad_usage_exits_2(secret_service: PrivateSecretService, cli_env: dict[str, str]) -> None:
    unknown = run_cli(["status", "--profile", "nope"], cli_env)
    assert unknown.returncode == 2 and "No profile named 'nope'" in unknown.stderr
    insecure = run_cli(["login", "--issuer", "http://auth.example.com"], cli_env)
    assert insecure.returncode == 2 and "https://" in insecure.stderr
    # A malformed address is bad usage with a sentence, not a traceback.
    malformed = run_cli(["login", "--issuer", "http://[::1"], cli_env)
    assert malformed.returncode == 2 and "https://" in malformed.stderr
    assert "Traceback" not in malformed.stderr
    for timeout in ("-5", "0", "nan"):
        bad_timeout = run_cli(["login", "--no-browser", "--timeout", timeout], cli_env)
        assert bad_timeout.returncode == 2 and "--timeout" in bad_timeout.stderr
