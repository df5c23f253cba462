"""The authorization round trip in real headless Chromium, through tests/helpers/browser_signin.py.

The helper is what end-to-end tests put in ``$BROWSER``; these tests prove it
(and the sandbox's pages) work in a real browser: the redirect reaches a
loopback listener and its code redeems.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.integration.sandbox.flows import api, authorize_url, pkce_pair, query, redeem
from twinedge_desktop.sandbox.embedded import RunningSandbox

pytestmark = pytest.mark.browser

HELPER = Path(__file__).resolve().parents[2] / "helpers" / "browser_signin.py"
CHROMIUM = "/usr/bin/chromium"


class _Listener:
    """A one-route loopback HTTP server standing in for the app's redirect listener."""

    def __init__(self) -> None:
        self.received = threading.Event()
        self.paths: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.paths.append(self.path)
                body = b"<html><body>Signed in. You can close this tab.</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                listener.received.set()

            def log_message(self, format: str, *args: object) -> None:
                pass  # the URL carries the code: keep it out of the test output

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_port}/callback"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


@pytest.fixture
def listener() -> Iterator[_Listener]:
    running = _Listener()
    try:
        yield running
    finally:
        running.close()


def _run_helper(url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    log = tmp_path / "browser.log"
    return subprocess.run(
        [sys.executable, str(HELPER), url],
        env={
            **os.environ,
            "TWINEDGE_TEST_BROWSER_LOG": str(log),
            "TWINEDGE_TEST_BROWSER_TIMEOUT": "60",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_chromium_signs_in_and_the_code_redeems(
    sandbox: RunningSandbox, listener: _Listener, tmp_path: Path
) -> None:
    verifier, challenge = pkce_pair()
    url = authorize_url(
        sandbox.base_url,
        redirect_uri=listener.redirect_uri,
        code_challenge=challenge,
        state="browser-state",
        scope="read:assets",
    )
    result = _run_helper(url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert listener.received.wait(10)
    params = query(listener.paths[0])
    assert params["state"] == "browser-state"
    assert params["iss"] == sandbox.base_url
    tokens = redeem(sandbox.base_url, params["code"], verifier, listener.redirect_uri)
    assert tokens.status_code == 200, tokens.text
    me = api(sandbox.base_url, "GET", "/v1/me", tokens.json()["access_token"]).json()
    assert me["email"] == "engineer@example.com" and me["scopes"] == ["read:assets"]
    log = (tmp_path / "browser.log").read_text()
    assert "listener answered HTTP 200" in log
    assert params["code"] not in log, "the log must not contain the authorization code"


def test_chromium_deny_reaches_the_listener_as_access_denied(
    sandbox: RunningSandbox, listener: _Listener, tmp_path: Path
) -> None:
    url = authorize_url(
        sandbox.base_url, redirect_uri=listener.redirect_uri, code_challenge=pkce_pair()[1]
    )
    result = _run_helper(
        url, tmp_path, TWINEDGE_TEST_DECISION="deny", TWINEDGE_TEST_EMAIL="viewer@example.com"
    )
    assert result.returncode == 0, result.stderr
    assert listener.received.wait(10)
    assert query(listener.paths[0])["error"] == "access_denied"


def test_helper_fails_loudly_on_an_error_page(sandbox: RunningSandbox, tmp_path: Path) -> None:
    url = authorize_url(sandbox.base_url, client_id="unknown-app", code_challenge=pkce_pair()[1])
    result = _run_helper(url, tmp_path)
    assert result.returncode == 1
    assert "Unknown application" in result.stderr
    assert "Unknown application" in (tmp_path / "browser.log").read_text()
