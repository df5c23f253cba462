"""``--data FILE`` keeps state across restarts; the command line starts and stops cleanly."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import jwt
import pytest

from tests.integration.sandbox.flows import (
    HTTP,
    api,
    assert_error,
    refresh,
    service_token,
    user_tokens,
)
from twinedge_desktop.sandbox.embedded import start_in_thread

REPO = Path(__file__).resolve().parents[3]


def test_data_file_survives_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "sandbox.sqlite3")
    with start_in_thread(data_path=data, port=0) as first:
        tokens = user_tokens(first.base_url)
        created = api(
            first.base_url,
            "POST",
            "/v1/api-keys",
            tokens["access_token"],
            json={"name": "kept", "scopes": ["read:assets"]},
        ).json()
        revoked = api(
            first.base_url,
            "POST",
            "/v1/api-keys",
            tokens["access_token"],
            json={"name": "gone", "scopes": ["read:assets"]},
        ).json()
        api(first.base_url, "DELETE", f"/v1/api-keys/{revoked['id']}", tokens["access_token"])
        kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
        old_secret = first.service_client_secret
        port = int(first.base_url.rsplit(":", 1)[1])

    # Same port, so the issuer (and the tokens' audience) is the same.
    with start_in_thread(data_path=data, port=port) as second:
        assert second.base_url == first.base_url
        jwks = HTTP.get(f"{second.base_url}/.well-known/jwks.json").json()
        assert [key["kid"] for key in jwks["keys"]] == [kid]
        assert api(second.base_url, "GET", "/v1/assets", created["key"]).status_code == 200
        assert_error(api(second.base_url, "GET", "/v1/me", revoked["key"]), 401, "invalid_token")
        assert api(second.base_url, "GET", "/v1/me", tokens["access_token"]).status_code == 200
        rotated = refresh(second.base_url, tokens["refresh_token"])
        assert rotated.status_code == 200
        names = [
            key["name"]
            for key in api(
                second.base_url, "GET", "/v1/api-keys", rotated.json()["access_token"]
            ).json()["data"]
        ]
        assert names == ["gone", "kept"]
        # The service secret is fresh on every start and never stored in the file.
        assert second.service_client_secret != old_secret
        assert_error(service_token(second.base_url, old_secret), 401, "invalid_client")
        assert service_token(second.base_url, second.service_client_secret).status_code == 200
    contents = Path(data).read_bytes()
    assert created["key"].encode() not in contents
    assert tokens["refresh_token"].encode() not in contents
    assert old_secret.encode() not in contents


def test_password_option_changes_the_demo_password(tmp_path: Path) -> None:
    from tests.helpers.signin import SignInFailed, complete_sign_in
    from tests.integration.sandbox.flows import authorize_url, pkce_pair, query

    with start_in_thread(demo_password="s3cret-demo") as running:
        url = authorize_url(running.base_url, code_challenge=pkce_pair()[1])
        with pytest.raises(SignInFailed):
            complete_sign_in(url)
        assert "code" in query(complete_sign_in(url, password="s3cret-demo"))


def _read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


def test_command_line_serves_prints_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twinedge_desktop.sandbox",
            "--port",
            "0",
            "--data",
            str(tmp_path / "cli.sqlite3"),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        output: list[str] = []
        while not any("Press Ctrl+C" in line for line in output):
            output.append(lines.get(timeout=30))
        text = "".join(output)
        first = next(line for line in output if "listening on" in line)
        base_url = first.rsplit(" ", 1)[1].strip()
        assert "engineer@example.com" in text and "twinedge-demo" in text
        secret = next(line for line in output if "service secret" in line).split()[-1]
        response = service_token(base_url, secret)
        assert response.status_code == 200
        assert HTTP.post(f"{base_url}/_sandbox/clock", json={}).status_code == 404
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "not a loopback address"),
        (["--host", "0.0.0.0", "--allow-remote", "--test-controls"], "loopback address only"),
    ],
)
def test_command_line_refuses_unsafe_addresses(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twinedge_desktop.sandbox", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_the_access_log_never_shows_the_banners_secrets(tmp_path: Path) -> None:
    """The banner prints the service secret and the demo password (its job); the log of
    the same process hides them wherever they turn up, here pasted into a query string
    under a name no pattern knows (only the registry can hide them there)."""
    password = "Pl4nt-floor-demo"
    process = subprocess.Popen(
        [sys.executable, "-m", "twinedge_desktop.sandbox", "--port", "0", "--access-log",
         "--password", password],
        cwd=REPO,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        banner: list[str] = []
        while not any("Press Ctrl+C" in line for line in banner):
            banner.append(lines.get(timeout=30))
        base_url = next(line for line in banner if "listening on" in line).split()[-1]
        secret = next(line for line in banner if "service secret" in line).split()[-1]
        assert password in "".join(banner)
        probe = HTTP.get(f"{base_url}/v1/assets", params={"probe": secret, "other": password})
        assert probe.status_code == 401
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        log: list[str] = []
        while not any("Sandbox stopped." in line for line in log):
            log.append(lines.get(timeout=30))
        text = "".join(log)
        assert "GET /v1/assets?probe=" in text, text  # the request was logged, redacted
        assert secret not in text and password not in text, text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
