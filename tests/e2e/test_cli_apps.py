"""``twinedge-desktop apps …`` as real processes against a real sandbox, signed in (once,
with ``login`` in headless Chromium) to a private Secret Service shared by every process."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers.keychain import PrivateSecretService
from tests.helpers.oauth_apps import client_credentials
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "twinedge_desktop"]
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
TIMEOUT = 120
WEB_REDIRECT = "https://app.example.com/callback"


@dataclass
class World:
    sandbox: RunningSandbox
    env: dict[str, str]
    home: Path

    def run(
        self, *args: str, stdin: int | None = subprocess.DEVNULL, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args],
            env=env or self.env,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            cwd=REPO,
        )

    def listed(self) -> list[dict[str, object]]:
        result = self.run("apps", "list", "--json")
        assert result.returncode == 0, result.stderr
        apps: list[dict[str, object]] = json.loads(result.stdout)
        return apps

    def app_named(self, name: str) -> dict[str, object]:
        return next(app for app in self.listed() if app["name"] == name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("cli-apps")
    keychain = PrivateSecretService.start(root / "keychain")
    sandbox = start_in_thread(test_controls=True)
    try:
        env = {
            k: v for k, v in os.environ.items() if k not in ("DISPLAY", "PYTHON_KEYRING_BACKEND")
        }
        env.update(keychain.env)
        env["TWINEDGE_DESKTOP_HOME"] = str(root / "home")
        env["BROWSER"] = f"{sys.executable} {BROWSER_HELPER} %s"
        env["TWINEDGE_TEST_BROWSER_LOG"] = str(root / "browser.log")
        world = World(sandbox, env, root / "home")
        login = world.run("login", "--issuer", sandbox.base_url, "--client-id", "twinedge-desktop")
        assert login.returncode == 0, login.stderr
        yield world
    finally:
        sandbox.stop()
        keychain.stop()


def create(world: World, name: str, *options: str) -> subprocess.CompletedProcess[str]:
    return world.run("apps", "create", name, *options)


def test_create_a_service_app_then_rotate_and_delete_it(world: World) -> None:
    base = world.sandbox.base_url
    made = create(world, "Nightly export", "--type", "service", "--scope", "read:telemetry")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert made.stdout == secret + "\n" and len(secret) == 43 and secret.isalnum()
    assert "Traceback" not in made.stderr and secret not in made.stderr
    app = world.app_named("Nightly export")
    assert f"Client ID:     {app['client_id']}" in made.stderr
    assert "shown this once" in made.stderr
    client_id = str(app["client_id"])
    assert client_credentials(base, client_id, secret).status_code == 200

    rotated = world.run("apps", "rotate-secret", str(app["id"]))
    assert rotated.returncode == 0, rotated.stderr
    new_secret = rotated.stdout.strip()
    assert rotated.stdout == new_secret + "\n" and new_secret != secret
    assert "keeps working until" in rotated.stderr and "in 23 h" in rotated.stderr
    assert new_secret not in rotated.stderr
    for working in (secret, new_secret):
        assert client_credentials(base, client_id, working).status_code == 200

    # By client id, and ending the grace at once.
    final = world.run("apps", "rotate-secret", client_id, "--revoke-previous")
    assert final.returncode == 0, final.stderr
    assert "stopped working now" in final.stderr
    assert client_credentials(base, client_id, new_secret).status_code == 401
    assert client_credentials(base, client_id, final.stdout.strip()).status_code == 200

    deleted = world.run("apps", "delete", str(app["id"]), "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout == "" and "no longer works" in deleted.stderr
    assert client_credentials(base, client_id, final.stdout.strip()).status_code == 401
    assert all(listed["id"] != app["id"] for listed in world.listed())
    again = world.run("apps", "delete", str(app["id"]), "--yes")
    assert again.returncode == 1 and "No OAuth application" in again.stderr


def test_list_shows_a_table_and_json(world: World) -> None:
    made = create(
        world, "Plant dashboard", "--type", "web", "--redirect-uri", WEB_REDIRECT,
        "http://localhost:3000/callback", "--scope", "read:assets", "read:alerts",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    table = world.run("apps", "list")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "TYPE", "CLIENT", "ID", "SCOPES", "SECRET", "CREATED"]
    row = next(line for line in rows if "Plant dashboard" in line)
    app = world.app_named("Plant dashboard")
    assert str(app["client_id"]) in row and " web " in row
    assert f"…{made.stdout.strip()[-4:]}" in row and "just now" in row
    assert app["redirect_uris"] == [WEB_REDIRECT, "http://localhost:3000/callback"]
    assert app["scopes"] == ["read:assets", "read:alerts"]
    assert made.stdout.strip() not in table.stdout


def test_a_public_app_prints_its_client_id(world: World) -> None:
    made = create(
        world, "Field tablet", "--type", "native", "--redirect-uri", "com.example.tablet:/callback",
        "http://127.0.0.1/callback", "--scope", "read:assets",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    app = world.app_named("Field tablet")
    assert made.stdout == f"{app['client_id']}\n" and app["secret_hint"] is None
    assert "public client has no secret" in made.stderr
    rotate = world.run("apps", "rotate-secret", str(app["id"]))
    assert rotate.returncode == 2 and "no secret to rotate" in rotate.stderr


def test_create_with_json_prints_the_app_and_its_secret(world: World) -> None:
    made = create(
        world, "CI reporter", "--type", "service", "--scope", "read:alerts,read:assets", "--json"
    )
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    assert document["name"] == "CI reporter" and document["scopes"] == [
        "read:alerts",
        "read:assets",
    ]
    assert document["client_secret"][-4:] == document["secret_hint"]
    assert (
        client_credentials(
            world.sandbox.base_url, document["client_id"], document["client_secret"]
        ).json()["scope"]
        == "read:alerts read:assets"
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["Bad\tname", "--type", "service", "--scope", "read:assets"], "control character"),
        (
            [
                "x",
                "--type",
                "web",
                "--redirect-uri",
                "http://app.example.com/cb",
                "--scope",
                "read:assets",
            ],
            "http:// is allowed only on localhost",
        ),
        (["x", "--type", "spa", "--scope", "read:assets"], "add at least one redirect URI"),
        (
            ["x", "--type", "service", "--redirect-uri", WEB_REDIRECT, "--scope", "read:assets"],
            "has no redirect URIs",
        ),
        (
            ["x", "--type", "native", "--redirect-uri", "myapp:/cb", "--scope", "read:assets"],
            "reverse domain name",
        ),
        (["x", "--type", "service", "--scope", "read:everything"], "unknown scope"),
        (["x", "--type", "desktop", "--scope", "read:assets"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_before_anything_is_sent(
    world: World, options: list[str], words: str
) -> None:
    before = len(world.listed())
    made = world.run("--debug", "apps", "create", *options)
    assert made.returncode == 2 and made.stdout == ""
    assert words in made.stderr and "Traceback" not in made.stderr
    assert "HTTP Request" not in made.stderr  # refused before any request (debug logs each one)
    assert len(world.listed()) == before


def test_scopes_beyond_your_own_are_refused_and_named(world: World) -> None:
    made = create(world, "Too much", "--type", "service", "--scope", "read:assets", "admin")
    assert made.returncode == 1 and made.stdout == ""
    assert "Missing: admin" in made.stderr and "Traceback" not in made.stderr
    assert all(app["name"] != "Too much" for app in world.listed())


def _run_on_a_terminal(world: World, answer: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    """Run with stdin on a pseudo-terminal and ``answer`` typed into it."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer)
        return world.run(*args, stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)


def test_delete_asks_first_on_a_terminal(world: World) -> None:
    made = create(world, "Ask me", "--type", "service", "--scope", "read:assets")
    assert made.returncode == 0, made.stderr
    app = world.app_named("Ask me")
    declined = _run_on_a_terminal(world, b"n\n", "apps", "delete", str(app["id"]))
    assert declined.returncode == 1, declined.stderr
    assert "Delete it? [y/N]" in declined.stderr and "Nothing was deleted" in declined.stderr
    assert "Ask me" in declined.stderr and str(app["client_id"]) in declined.stderr
    assert any(listed["id"] == app["id"] for listed in world.listed())
    confirmed = _run_on_a_terminal(world, b"y\n", "apps", "delete", str(app["client_id"]))
    assert confirmed.returncode == 0, confirmed.stderr
    assert all(listed["id"] != app["id"] for listed in world.listed())


def test_delete_off_a_terminal_does_not_ask(world: World) -> None:
    made = create(world, "Scripted", "--type", "service", "--scope", "read:assets")
    assert made.returncode == 0, made.stderr
    app = world.app_named("Scripted")
    deleted = world.run("apps", "delete", str(app["id"]))  # stdin: /dev/null
    assert deleted.returncode == 0, deleted.stderr
    assert "[y/N]" not in deleted.stderr and "no longer works" in deleted.stderr
    assert all(listed["id"] != app["id"] for listed in world.listed())


def test_unknown_ids_and_signed_out_profiles_fail_clearly(world: World, tmp_path: Path) -> None:
    unknown = world.run("apps", "rotate-secret", "app_does_not_exist")
    assert unknown.returncode == 1 and "No OAuth application" in unknown.stderr
    assert unknown.stdout == ""
    fresh = {**world.env, "TWINEDGE_DESKTOP_HOME": str(tmp_path / "nobody")}
    signed_out = world.run("apps", "list", env=fresh)
    assert signed_out.returncode == 1 and signed_out.stdout == ""
    assert "Not signed in" in signed_out.stderr and "twinedge-desktop login" in signed_out.stderr
    missing_action = world.run("apps")
    assert missing_action.returncode == 2 and "ACTION" in missing_action.stderr
    no_profile = world.run("apps", "list", "--profile", "nope")
    assert no_profile.returncode == 2 and "No profile named 'nope'" in no_profile.stderr


def test_a_server_that_is_down_is_a_message_not_a_traceback(world: World) -> None:
    controls = httpx.post(
        f"{world.sandbox.base_url}/_sandbox/faults",
        json={"path": "/v1/oauth-apps", "method": "GET", "status": 503, "count": 10},
        timeout=10,
    )
    assert controls.status_code == 201
    try:
        listing = world.run("apps", "list")
    finally:
        httpx.delete(f"{world.sandbox.base_url}/_sandbox/faults", timeout=10)
    assert listing.returncode == 1 and listing.stdout == ""
    assert "HTTP 503" in listing.stderr and "Traceback" not in listing.stderr


def test_no_secret_reaches_stderr_or_any_file_even_with_debug(world: World) -> None:
    made = world.run(
        "--debug", "apps", "create", "Debugged", "--type", "service", "--scope", "read:assets"
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert "HTTP Request: POST" in made.stderr  # debug logging was on
    assert secret not in made.stderr
    rotated = world.run("--debug", "apps", "rotate-secret", str(world.app_named("Debugged")["id"]))
    assert rotated.returncode == 0
    written = "\n".join(
        path.read_bytes().decode("utf-8", "replace")
        for path in world.home.rglob("*")
        if path.is_file()
    )
    assert written.strip()
    for value in (secret, rotated.stdout.strip()):
        assert value not in written and value not in rotated.stderr
