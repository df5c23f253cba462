#!/usr/bin/env python3
"""A scripted "system browser" for end-to-end tests: put it in ``$BROWSER``.

    BROWSER="/path/to/.venv/bin/python /path/to/tests/helpers/browser_signin.py %s"

Opens the authorization URL in Debian's headless Chromium (``/usr/bin/chromium``,
driven by Playwright with ``executable_path``; it never downloads a browser),
signs in on the sandbox's page, clicks Allow (or Deny), and lets the browser
follow the redirect to the application's loopback listener. Exits 0 once the
listener has answered the redirect; exits non-zero with a one-line message on
stderr (and in the log) on any failure. Every wait is bounded.

Environment:
- ``TWINEDGE_TEST_EMAIL`` / ``TWINEDGE_TEST_PASSWORD`` (default engineer@example.com /
  twinedge-demo)
- ``TWINEDGE_TEST_DECISION`` = ``allow`` (default) or ``deny``
- ``TWINEDGE_TEST_BROWSER_LOG``: a file to append what happened to (secrets redacted)
- ``TWINEDGE_TEST_BROWSER_TIMEOUT``: seconds for the whole run (default 60)
- ``TWINEDGE_TEST_BROWSER_DETACH=1``: return at once and do the work in a detached
  process (for callers that wait on ``$BROWSER``, as Python's ``webbrowser`` does);
  failures then show only in the log
- ``TWINEDGE_TEST_CHROMIUM``: the Chromium executable (default /usr/bin/chromium)

Exit codes: 0 done, 1 sign-in failed (error page, wrong password, timeout), 2 bad usage
or Chromium/Playwright unavailable.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

try:
    from twinedge_desktop.redaction import redact
except ImportError:  # keep working (less politely) if run from elsewhere

    def redact(text: str) -> str:
        return text


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserFailure(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _log(message: str) -> None:
    path = os.environ.get("TWINEDGE_TEST_BROWSER_LOG")
    if not path:
        return
    stamp = time.strftime("%H:%M:%S")
    try:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{stamp} browser_signin[{os.getpid()}]: {redact(message)}\n")
    except OSError:
        pass


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page_text(page: object) -> str:
    try:
        text = page.inner_text("body", timeout=2000)  # type: ignore[attr-defined]
    except Exception:
        return ""
    return " ".join(str(text).split())[:300]


def sign_in(url: str) -> str:
    """Run the browser through sign-in and consent; returns the callback URL reached."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserFailure(f"Playwright is not installed for {sys.executable}: {exc}", 2) from exc

    email = os.environ.get("TWINEDGE_TEST_EMAIL", "engineer@example.com")
    password = os.environ.get("TWINEDGE_TEST_PASSWORD", "twinedge-demo")
    decision = os.environ.get("TWINEDGE_TEST_DECISION", "allow").strip().lower()
    if decision not in ("allow", "deny"):
        raise BrowserFailure(f"TWINEDGE_TEST_DECISION must be allow or deny, not {decision!r}", 2)
    chromium = os.environ.get("TWINEDGE_TEST_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        raise BrowserFailure(f"Chromium not found at {chromium} (apt-get install chromium)", 2)
    step_ms = 20_000
    issuer_origin = _origin(url)

    def off_server(request_url: str) -> bool:
        return not request_url.startswith(issuer_origin + "/")

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS, timeout=step_ms
            )
        except PlaywrightError as exc:
            raise BrowserFailure(
                f"Chromium did not start: {exc.message.splitlines()[0]}", 2
            ) from exc
        try:
            page = browser.new_page()
            page.set_default_timeout(step_ms)
            _log(f"open {url}")
            left: list[object] = []
            page.on("request", lambda r: left.append(r) if off_server(r.url) else None)
            try:
                page.goto(url, wait_until="load")
            except PlaywrightError as exc:
                if not left:
                    raise BrowserFailure(f"could not open the sign-in page: {exc.message}") from exc
            if left:  # redirected straight back: an error the server reports to the app
                return _finish(left[0])
            if page.locator("input[name=email]").count() == 0:
                raise BrowserFailure(f"no sign-in form at {page.url}: {_page_text(page)}")

            page.fill("input[name=email]", email)
            page.fill("input[name=password]", password)
            _log(f"sign in as {email}")
            page.click("form button[type=submit]")
            with contextlib.suppress(PlaywrightError):
                page.wait_for_load_state("load")
            if left:  # e.g. error=invalid_scope, reported to the app without consent
                return _finish(left[0])
            if page.locator("button[name=decision]").count() == 0:
                raise BrowserFailure(f"sign-in did not reach the consent page: {_page_text(page)}")
            _log(f"consent: {decision}")
            with page.expect_request(lambda r: off_server(r.url)) as redirect:
                page.click(f"button[name=decision][value={decision}]")
            return _finish(redirect.value)
        finally:
            browser.close()


def _finish(request: object) -> str:
    """Wait until the loopback listener answered (or the request failed)."""
    callback_url = str(request.url)  # type: ignore[attr-defined]
    _log(f"redirected to {callback_url}")
    try:
        response = request.response()  # type: ignore[attr-defined]
    except Exception as exc:
        raise BrowserFailure(f"the redirect to the application failed: {exc}") from exc
    if response is None:
        failure = request.failure  # type: ignore[attr-defined]
        raise BrowserFailure(f"the application's listener did not answer: {failure}")
    _log(f"listener answered HTTP {response.status}")
    return callback_url


def _detach(argv: list[str]) -> int:
    env = dict(os.environ, TWINEDGE_TEST_BROWSER_DETACH="0")
    log_path = os.environ.get("TWINEDGE_TEST_BROWSER_LOG")
    sink = open(log_path, "a") if log_path else subprocess.DEVNULL  # noqa: SIM115
    subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=sink,
        stderr=sink,
        start_new_session=True,
    )
    _log("detached")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith(("http://", "https://")):
        print("usage: browser_signin.py AUTHORIZATION_URL", file=sys.stderr)
        return 2
    if os.environ.get("TWINEDGE_TEST_BROWSER_DETACH") == "1":
        return _detach(argv)
    deadline = float(os.environ.get("TWINEDGE_TEST_BROWSER_TIMEOUT", "60"))
    # A watchdog: whatever hangs (Chromium, the listener), the process ends.
    import threading

    def give_up() -> None:
        message = f"browser_signin: gave up after {deadline:.0f} s"
        _log(message)
        print(message, file=sys.stderr, flush=True)
        os._exit(1)

    watchdog = threading.Timer(deadline, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        callback = sign_in(argv[0])
    except BrowserFailure as exc:
        message = f"browser_signin: {redact(str(exc))}"
        _log(message)
        print(message, file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        message = f"browser_signin: unexpected {type(exc).__name__}: {redact(str(exc))[:300]}"
        _log(message)
        print(message, file=sys.stderr)
        return 1
    finally:
        watchdog.cancel()
    _log(f"done: {callback}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
