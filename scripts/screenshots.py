"""Screenshots of the window's states for the README, in light and dark, at several sizes.

Runs the real window against a real in-process sandbox (in-memory data, so the
pictures show the demo organisation only), signs in through the sandbox's real
sign-in and consent forms (driven over HTTP by tests/helpers/signin.py instead of
a browser), creates a few demo API keys, and saves PNGs of: signed out (with the
sandbox's demo accounts and service client), waiting for the browser, the account
page, the API Keys page, the Token Inspector (a verified token, then an API key
tested), the Preferences dialog and the View ▸ Theme and Profile menus, each in the
light and the dark palette, to ``docs/screenshots/``.

``--size`` picks the window size: ``default`` (1280×800, the first window, for the
README), ``min`` (800×520, the smallest window allowed) or ``hd`` (1920×1080); names
get ``-min``/``-hd`` for the latter two. ``--size all`` makes all three.

Run under a virtual X server so the real platform plugin draws the window (and the open
menus can be captured from the screen)::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshots.py

The token and the API key visible in the inspector pictures belong to the throw-away
in-memory sandbox, which stops with the script: they are credentials for nothing.
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

# The first window's size (ui/shell/main_window.DEFAULT_WINDOW), the smallest window
# (ui/shell/frame.MINIMUM_WINDOW_SIZE) and a large screen.
SIZES = {"default": (1280, 800), "min": (800, 520), "hd": (1920, 1080)}
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


async def capture(out_dir: Path, size_name: str) -> list[Path]:
    from PySide6.QtCore import QPoint, QSettings
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMenu, QWidget

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
    suffix = "" if size_name == "default" else f"-{size_name}"
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
        desktop.sandbox = sandbox  # shown as the app's own (--sandbox): its service client too
        window = desktop.window
        window.preferences.use_theme_manager(theme)
        window.resize(*SIZES[size_name])
        window.show()
        await desktop.start()
        await _until(lambda: desktop.controller.state is SessionState.SIGNED_OUT)
        await _until(lambda: not desktop.controller.restoring)
        window.statusBar().clearMessage()
        actions = window.window_actions
        assert actions is not None

        async def shoot(name: str, widget: QWidget | None = None) -> None:
            await _settle()
            for scheme in ("light", "dark"):
                theme.force(scheme)
                await _settle()
                path = out_dir / f"{name}{suffix}-{scheme}.png"
                (widget or window).grab().save(str(path))
                saved.append(path)
            theme.force("light")

        async def shoot_menu(name: str, menu: QMenu, at: QPoint) -> None:
            """An open menu over the window, as the screen shows it (X only)."""
            for scheme in ("light", "dark"):
                theme.force(scheme)
                menu.popup(at)
                await _settle()
                area = window.frameGeometry().united(menu.geometry())
                screen = QGuiApplication.primaryScreen()
                picture = screen.grabWindow(0, area.x(), area.y(), area.width(), area.height())
                path = out_dir / f"{name}{suffix}-{scheme}.png"
                picture.save(str(path))
                saved.append(path)
                menu.hide()
            theme.force("light")

        await shoot("signed-out")

        actions.sign_in.trigger()
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

        # An API key pasted and tested: who it is, what it may do (a key of the throw-away
        # in-memory sandbox, which stops with this script).
        inspector.token_edit.setPlainText(created[0].secret)
        inspector.test_key()
        if inspector.last_task is not None:
            await asyncio.wait({inspector.last_task}, timeout=STEP_TIMEOUT)
        await shoot("inspector-api-key")
        inspector.token_edit.clear()

        window.show_page("account")
        dialog = window.preferences.open_dialog()
        await shoot("preferences", dialog)
        dialog.reject()
        if QGuiApplication.platformName() == "xcb":
            bar = window.menuBar()
            for name, top, menu in (
                ("menu-theme", actions.view_menu, actions.theme_menu),  # View ▸ Theme
                ("menu-profile", actions.profile_menu, actions.profile_menu),
            ):
                below = bar.actionGeometry(top.menuAction()).bottomLeft()
                await shoot_menu(name, menu, bar.mapToGlobal(below))

        window.close()
        await desktop.aclose()
    finally:
        sandbox.stop()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--size", choices=[*SIZES, "all"], default="default")
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
        saved: list[Path] = []
        with loop:
            for size in SIZES if args.size == "all" else [args.size]:
                saved += loop.run_until_complete(capture(args.out, size))
    for path in saved:
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
