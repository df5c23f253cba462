"""``keys`` and ``scan`` as subprocesses against the real sandbox, signed in for real.

Real parts everywhere: the sandbox over loopback (with its fault injection), a
real Secret Service (gnome-keyring on a private D-Bus session, shared with the
subprocesses by env), and a real sign-in through headless Chromium as ``$BROWSER``
(tests/helpers/browser_signin.py), exactly as tests/e2e/test_cli_auth.py does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.gitrepo import GitRepo, make_key
from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    secret_service_fixture,
)
from tests.helpers.sandbox import SandboxControls
from twinedge_desktop.keyformat import is_valid_key

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
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def signed_in_env(
    sandbox: Any,
    secret_service: PrivateSecretService,
    tmp_path: Path,
    isolated_app_home: Path,
) -> Iterator[dict[str, str]]:
    """A subprocess environment whose current profile is signed in to the sandbox."""
    env = dict(os.environ)
    env["TWINEDGE_DESKTOP_HOME"] = str(isolated_app_home)
    env["BROWSER"] = f"{sys.executable} {BROWSER_HELPER} %s"
    env["TWINEDGE_TEST_BROWSER_LOG"] = str(tmp_path / "browser.log")
    env.pop("DISPLAY", None)
    login = run_cli(["login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop"], env)
    assert login.returncode == 0, login.stderr
    yield env


def all_files_text(root: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    )


def _list(env: dict[str, str]) -> list[dict[str, Any]]:
    listing = run_cli(["keys", "list", "--json"], env)
    assert listing.returncode == 0, listing.stderr
    data: list[dict[str, Any]] = json.loads(listing.stdout)["data"]
    return data


def test_create_scan_revoke_scan(
    sandbox: Any, signed_in_env: dict[str, str], tmp_path: Path, isolated_app_home: Path
) -> None:
    env = signed_in_env
    created = run_cli(
        ["--debug", "keys", "create", "ci deploy", "--scope", "read:assets", "--days", "30"], env
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert created.stdout == secret + "\n" and is_valid_key(secret)  # the secret, alone
    prefix = secret[:12]
    assert f"{prefix}…" in created.stderr and "only time the secret is shown" in created.stderr
    assert secret not in created.stderr

    (listed,) = _list(env)
    assert (listed["prefix"], listed["name"], listed["status"]) == (prefix, "ci deploy", "active")
    assert listed["scopes"] == ["read:assets"] and listed["expires_at"] is not None
    table = run_cli(["keys", "list"], env)
    assert table.returncode == 0 and f"{prefix}…" in table.stdout and "ci deploy" in table.stdout

    # The key leaks into a repository, then is "removed" in a later commit.
    repo = GitRepo.init(tmp_path / "project")
    repo.commit({"deploy.sh": f"export TWINEDGE_API_KEY={secret}\n"}, "deploy script")
    repo.commit({"deploy.sh": "export TWINEDGE_API_KEY=$(vault read key)\n"}, "use a vault")

    found = run_cli(["--debug", "scan", "--git", str(repo.path)], env)
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"{prefix}…  ACTIVE — key “ci deploy”" in found.stdout
    assert f"twinedge-desktop keys revoke {prefix}" in found.stdout
    assert "history" in found.stdout and "deploy.sh:1:25" in found.stdout
    as_json = run_cli(["scan", "--git", "--json", str(repo.path)], env)
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)
    (finding,) = document["findings"]
    assert (finding["status"], finding["fails_scan"], document["signed_in"]) == (
        "active",
        True,
        True,
    )
    assert finding["api_key"]["id"] == listed["id"]

    # Use the key once, so revoking can say when it was last used.
    used = httpx.get(
        f"{sandbox.base_url}/v1/assets", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert used.status_code == 200
    revoked = run_cli(["keys", "revoke", prefix], env)  # not a terminal: no question asked
    assert revoked.returncode == 0, revoked.stderr
    assert "Revoked “ci deploy”" in revoked.stderr and "last used just now" in revoked.stderr
    again = run_cli(["keys", "revoke", listed["id"]], env)
    assert again.returncode == 0 and "already revoked" in again.stderr

    after = run_cli(["scan", "--git", str(repo.path)], env)
    assert after.returncode == 0, after.stdout + after.stderr
    assert f"{prefix}…  revoked" in after.stdout and "no longer works" in after.stdout
    assert (
        json.loads(run_cli(["scan", "--git", "--json", str(repo.path)], env).stdout)["findings"][0][
            "status"
        ]
        == "revoked"
    )

    # The full key appears nowhere but in create's stdout: not in any other output, not in
    # the log (written at DEBUG level by the --debug runs), not in any file the app wrote.
    for result in (found, as_json, revoked, again, after, table):
        assert secret not in result.stdout + result.stderr
    assert secret not in created.stderr
    written = all_files_text(isolated_app_home)
    assert "HTTP Request" in written  # the debug log is there, and it was checked
    assert secret not in written


def test_revoke_by_an_ambiguous_or_unknown_prefix(
    sandbox: Any, sandbox_controls: SandboxControls, signed_in_env: dict[str, str]
) -> None:
    # 3,000 random keys share some 6-character prefix (te_ + 3 base62 characters: 238,328
    # values; about 19 pairs expected), which makes an ambiguous reference.
    sandbox_controls.seed_keys(3000)
    keys = _list(signed_in_env)
    assert len(keys) == 3000
    seen: dict[str, str] = {}
    shared = ""
    for key in keys:
        short = key["prefix"][:6]
        if short in seen:
            shared = short
            break
        seen[short] = key["id"]
    assert shared
    ambiguous = run_cli(["keys", "revoke", shared, "--yes"], signed_in_env)
    assert ambiguous.returncode == 2
    assert "matches 2 keys" in ambiguous.stderr or "matches 3 keys" in ambiguous.stderr
    assert seen[shared] in ambiguous.stderr  # the candidates, by id
    unknown = run_cli(["keys", "revoke", "te_nonexistent"], signed_in_env)
    assert unknown.returncode == 1 and "No key of yours" in unknown.stderr
    assert all(k["status"] == "active" for k in _list(signed_in_env))


def test_create_survives_one_dropped_response_with_one_key(
    sandbox: Any, sandbox_controls: SandboxControls, signed_in_env: dict[str, str]
) -> None:
    # The server creates the key, then the connection drops before the answer arrives.
    sandbox_controls.fault("/v1/api-keys", method="POST", drop="after")
    created = run_cli(["keys", "create", "retried", "--scope", "read:alerts"], signed_in_env)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert is_valid_key(secret)
    (listed,) = _list(signed_in_env)  # one key, not two
    assert (listed["name"], listed["prefix"]) == ("retried", secret[:12])
    # The replayed answer carried the same secret: it works.
    me = httpx.get(
        f"{sandbox.base_url}/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert me.status_code == 200

    # Two lost answers in a row: one retry only, then a clear message (no traceback).
    sandbox_controls.fault("/v1/api-keys", method="POST", drop="after", count=2)
    failed = run_cli(["keys", "create", "lost", "--scope", "read:alerts"], signed_in_env)
    assert failed.returncode == 1 and failed.stdout == ""
    assert "may have been created" in failed.stderr and "Traceback" not in failed.stderr
    assert [k["name"] for k in _list(signed_in_env)] == ["lost", "retried"]


def test_keys_without_a_sign_in_fail_clearly(
    secret_service: PrivateSecretService, isolated_app_home: Path
) -> None:
    env = dict(os.environ, TWINEDGE_DESKTOP_HOME=str(isolated_app_home))
    for args in (["keys", "list"], ["keys", "create", "x", "--scope", "admin"]):
        result = run_cli(args, env)
        assert result.returncode == 1 and result.stdout == ""
        assert "Not signed in" in result.stderr and "twinedge-desktop login" in result.stderr


def _run_on_a_terminal(args: list[str], env: dict[str, str], answer: bytes) -> tuple[int, str]:
    """Run with stdin on a pseudo-terminal (so the command sees a person) and type ``answer``."""
    import pty

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [*CLI, *args],
            env=env,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
        )
        os.write(controller, answer)
        _, err = process.communicate(timeout=TIMEOUT)
    finally:
        os.close(terminal)
        os.close(controller)
    return process.returncode, err.decode()


def test_revoke_asks_on_a_terminal_unless_yes(signed_in_env: dict[str, str]) -> None:
    created = run_cli(["keys", "create", "asked", "--scope", "read:assets"], signed_in_env)
    assert created.returncode == 0, created.stderr
    prefix = created.stdout.strip()[:12]

    code, err = _run_on_a_terminal(["keys", "revoke", prefix], signed_in_env, b"n\n")
    assert code == 1 and "Revoke “asked”" in err and "never used" in err and "Not revoked" in err
    assert _list(signed_in_env)[0]["status"] == "active"

    code, err = _run_on_a_terminal(["keys", "revoke", prefix], signed_in_env, b"y\n")
    assert code == 0 and "Revoked “asked”" in err
    assert _list(signed_in_env)[0]["status"] == "revoked"

    created = run_cli(["keys", "create", "unasked", "--scope", "read:assets"], signed_in_env)
    code, err = _run_on_a_terminal(
        ["keys", "revoke", "--yes", created.stdout.strip()[:12]], signed_in_env, b""
    )
    assert code == 0 and "Revoke “unasked”" not in err and "Revoked “unasked”" in err


def test_a_key_that_is_not_yours_fails_the_scan(
    signed_in_env: dict[str, str], tmp_path: Path
) -> None:
    """A checksum-valid key the signed-in person does not own may be a colleague's live key:
    a pre-commit hook must refuse it (exit 1) and say whom to tell, not pass it (exit 0)."""
    stranger = make_key("a colleague's key")
    project = tmp_path / "project"
    project.mkdir()
    (project / "settings.py").write_text(f"TWINEDGE_API_KEY = '{stranger}'\n")
    found = run_cli(["scan", str(project)], signed_in_env)
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"{stranger[:12]}…  not one of yours" in found.stdout
    assert "tell its owner (or an admin of your organisation)" in found.stdout
    as_json = run_cli(["scan", "--json", str(project)], signed_in_env)
    document = json.loads(as_json.stdout)
    (finding,) = document["findings"]
    assert (as_json.returncode, finding["status"], finding["fails_scan"]) == (1, "not_yours", True)
    assert document["signed_in"] is True
    assert stranger not in found.stdout + found.stderr + as_json.stdout + as_json.stderr
