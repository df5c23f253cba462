"""Screenshots of the window's main states for the README, in light and dark.

Runs the real window against a real in-process sandbox (in-memory data, so the
pictures show the demo organisation only), signs in through the sandbox's real
sign-in and consent forms (driven over HTTP by tests/helpers/signin.py instead of
a browser), creates a few demo API keys, and saves PNGs of: signed out, waiting
for the browser, the account page, the API Keys page and the Token Inspector —
each in the light and the dark palette — to ``docs/screenshots/``.

Run under a virtual X server so the real platform plugin draws the window::

    xvfb-run -a .venv/bin/python scripts/screenshots.py

The token visible in the inspector picture is a short-lived token of the
throw-away in-memory sandbox, not a credential for anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "scripts"]

import argparse
import asyncio
import os
import tempfile
import threading
from collections.abc import Callable

SIZE = (1280, 800)  # the first window's size (ui/shell/main_window.DEFAULT_WINDOW)
STEP_TIMEOUT = 60.0


async def _until(predicate: Callable[[], bool], timeout: float = STEP_TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        await asyncio.sleep(0.02)


async def _settle() -> None:
    """Let layouts, timers and repaints finish before a picture is taken."""
    # Awaiting lets the Qt loop run (no processEvents() inside a coroutine: re-entrancy).
    for _ in range(10):
        await asyncio.sleep(0.03)


class ScriptedBrowser:
    """Stands in for the system browser: keeps the link until told to sign in."""

    def __init__(self) -> None:
        self.url: str | None = None

    def __call__(self, url: str) -> bool:
        self.url = url
        return True

    def complete(self) -> None:
        assert self.url is not None
        url = self.url

        def run() -> None:
            import httpx

            from tests.helpers.signin import complete_sign_in

            callback = complete_sign_in(url)
            httpx.get(callback, timeout=10)  # what the browser does: follow the redirect

        threading.Thread(target=run, name="scripted-browser", daemon=True).start()


async def capture(out_dir: Path) -> list[Path]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from twinedge_desktop.app import DesktopApp
    from twinedge_desktop.auth.kinds import SessionState
    from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
    from twinedge_desktop.sandbox.embedded import start_in_thread
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.style import ThemeManager
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.inspector.page import InspectorPage
    from twinedge_desktop.ui.keys.page import KeysPage
    from twinedge_desktop.vault import MemoryStore

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    theme = ThemeManager(qapp)
    theme.use_app_style_sheet()  # as app.run() does after the first paint
    theme.force("light")
    saved: list[Path] = []
    sandbox = start_in_thread(":memory:")
    try:
        paths = AppPaths.default()
        profiles = ProfileStore.load(paths.profiles_file)
        profiles.put(sandbox_profile(sandbox.base_url), make_current=True)
        messages = MessageBridge()
        browser = ScriptedBrowser()
        desktop = DesktopApp(
            paths=paths,
            profiles=profiles,
            messages=messages,
            runner=TaskRunner(messages),
            settings=QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat),
            credential_store=MemoryStore(),
            open_browser=browser,
        )
        window = desktop.window
        window.resize(*SIZE)
        window.show()
        await desktop.start()
        await _until(lambda: desktop.controller.state is SessionState.SIGNED_OUT)
        await _until(lambda: not desktop.controller.restoring)
        window.statusBar().clearMessage()

        async def shoot(name: str) -> None:
            await _settle()
            for scheme in ("light", "dark"):
                theme.force(scheme)
                await _settle()
                path = out_dir / f"{name}-{scheme}.png"
                window.grab().save(str(path))
                saved.append(path)
            theme.force("light")

        await shoot("signed-out")

        window.sign_in_action.trigger()
        await _until(lambda: browser.url is not None)
        await shoot("signing-in")

        browser.complete()
        await _until(lambda: desktop.controller.state is SessionState.SIGNED_IN)
        await _until(lambda: not desktop.controller.signing_in)
        window.statusBar().clearMessage()
        await shoot("account")

        assert desktop.services is not None and desktop.controller.session is not None
        keys = desktop.services.api_keys_for(desktop.controller.session)
        from twinedge_desktop.api.keys import new_idempotency_key

        demo = [
            ("Grafana telemetry reader", ["read:telemetry"]),
            ("CI deploy pipeline", ["read:assets", "write:assets"]),
            ("Alert router", ["read:alerts", "write:alerts"]),
            ("Plant 3 ingest gateway", ["write:telemetry"]),
            ("Old laptop script", ["read:assets"]),
        ]
        created = []
        for name, scopes in demo:
            created.append(
                await keys.create(name, scopes, None, idempotency_key=new_idempotency_key())
            )
        await keys.revoke(created[-1].key.id)
        keys_page = window.page("keys")
        assert isinstance(keys_page, KeysPage)
        window.show_page("keys")
        keys_page.refresh()
        await _until(lambda: not keys_page.loading)
        await shoot("api-keys")

        inspector = window.page("inspector")
        assert isinstance(inspector, InspectorPage)
        window.show_page("inspector")
        inspector.inspect_current_token()
        if inspector.last_task is not None:
            await asyncio.wait({inspector.last_task}, timeout=STEP_TIMEOUT)
        if inspector.verification is not None:  # the signature check against the JWKS
            await asyncio.wait({inspector.verification}, timeout=STEP_TIMEOUT)
        await shoot("token-inspector")

        window.close()
        await desktop.aclose()
    finally:
        sandbox.stop()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        print("No X display: run under xvfb-run -a (or set QT_QPA_PLATFORM=offscreen).")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="twinedge-screenshots-") as home:
        os.environ["TWINEDGE_DESKTOP_HOME"] = home  # never the person's own profiles
        import qasync
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([sys.argv[0]])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)
        loop = qasync.QEventLoop(app)
        with loop:
            saved = loop.run_until_complete(capture(args.out))
    for path in saved:
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
