"""The SDK's desktop link, end to end: a script with no key at all uses the person's
TwinEdge Desktop sign-in.

Real parts everywhere: the sandbox over loopback, ``twinedge-desktop login`` signed in
through real headless Chromium (tests/helpers/browser_signin.py), a private Secret
Service (gnome-keyring on its own D-Bus session), and the SDK running in its own
process as an engineer's script would, finding ``twinedge-desktop`` on ``PATH`` and
calling ``twinedge-desktop token --json``.

``token --json`` arrives with the multi-process sign-in work (another branch). Until
it is in, the full link is skipped and the other test checks the SDK's message for a
desktop app without it ("too old … update TwinEdge Desktop").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture import registers the fixture
    PrivateSecretService,
    secret_service_fixture,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # where the installed `twinedge-desktop` lives
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
TIMEOUT = 120

# An engineer's script: no key, no secret; the chain finds the desktop app.
SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from twinedge import TwinEdgeClient, TwinEdgeError
try:
    with TwinEdgeClient(base_url=sys.argv[1]) as client:
        result = {
            "credential": repr(client.credential),
            "me": client.me(),
            "assets": len(client.assets.list()["data"]),
        }
except TwinEdgeError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(result))
"""


@pytest.fixture
def desktop_env(tmp_path: Path, isolated_app_home: Path) -> dict[str, str]:
    """This process's environment (private keychain, isolated home), the scripted browser,
    the installed ``twinedge-desktop`` first on PATH, and none of the SDK's variables."""
    env = dict(os.environ)
    for name in ("TWINEDGE_API_KEY", "TWINEDGE_CLIENT_ID", "TWINEDGE_CLIENT_SECRET"):
        env.pop(name, None)
    env["TWINEDGE_DESKTOP_HOME"] = str(isolated_app_home)
    env["BROWSER"] = f"{sys.executable} {BROWSER_HELPER} %s"
    env["TWINEDGE_TEST_BROWSER_LOG"] = str(tmp_path / "browser.log")
    env["PATH"] = os.pathsep.join([str(VENV_BIN), "/usr/bin", "/bin"])
    env.pop("DISPLAY", None)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=REPO
    )


def desktop(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([str(VENV_BIN / "twinedge-desktop"), *args], env)


def sdk_script(base_url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-c", SCRIPT, base_url], env)


def has_token_json(env: dict[str, str]) -> bool:
    """Whether this build of the desktop app offers ``token --json``."""
    return "--json" in desktop(["token", "--help"], env).stdout


def test_a_script_without_a_key_uses_the_desktop_sign_in(
    sandbox: Any,
    secret_service: PrivateSecretService,
    desktop_env: dict[str, str],
    tmp_path: Path,
) -> None:
    if not has_token_json(desktop_env):
        pytest.skip("`twinedge-desktop token --json` is not on this branch yet (core-session)")
    login = desktop(
        ["login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop"], desktop_env
    )
    browser_log = tmp_path / "browser.log"
    assert login.returncode == 0, login.stderr + (
        browser_log.read_text() if browser_log.exists() else ""
    )

    result = sdk_script(sandbox.base_url, desktop_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["me"]["sub"], report["me"]["kind"]) == ("user-123", "user")
    assert report["me"]["email"] == "engineer@example.com" and report["assets"] == 3
    assert report["credential"].startswith("DesktopCredential(")
    assert "source='twinedge-desktop'" in report["credential"]

    # The token the app holds never shows in the script's output or its debug log.
    token = desktop(["token"], desktop_env)
    assert token.returncode == 0, token.stderr
    access_token = token.stdout.strip()
    assert access_token and access_token not in result.stdout + result.stderr
    assert "HTTP Request: GET" in result.stderr  # debug logging was really on

    # Signed out: the script names the next step.
    assert desktop(["logout"], desktop_env).returncode == 0
    after = sdk_script(sandbox.base_url, desktop_env)
    assert after.returncode == 1 and after.stdout == ""
    assert "run `twinedge-desktop login`" in after.stderr
    assert "Traceback" not in after.stderr


def test_without_a_sign_in_or_the_app_the_script_says_what_to_do(
    sandbox: Any, secret_service: PrivateSecretService, desktop_env: dict[str, str]
) -> None:
    result = sdk_script(sandbox.base_url, desktop_env)
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    if has_token_json(desktop_env):
        assert "not signed in: run `twinedge-desktop login`" in result.stderr
    else:
        assert "too old for the SDK" in result.stderr and "update TwinEdge Desktop" in result.stderr

    no_app = dict(desktop_env, PATH="/usr/bin:/bin")
    missing = sdk_script(sandbox.base_url, no_app)
    assert missing.returncode == 1
    assert "install TwinEdge Desktop or set TWINEDGE_API_KEY" in missing.stderr
