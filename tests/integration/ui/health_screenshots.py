"""Screenshots of the Health page, the key details' usage chart and "Scan a folder", for the
README and for looking at: light and dark, at the window's minimum size and at 1920×1080.

The real window (``DesktopApp``) against a real in-process sandbox started with its demo
data (seven keys of engineer@example.com whose history shows every kind of finding),
signed in through the sandbox's real sign-in and consent forms (driven over HTTP, as
scripts/screenshots.py does). The scan is of a throw-away git repository holding a key
created for it (then revoked) and one still active.

Run under a real X server so fonts and styles are the real ones::

    xvfb-run -a -s "-screen 0 1920x1080x24" \
        .venv/bin/python tests/integration/ui/health_screenshots.py

Writes docs/screenshots/health-*.png (``--out`` to change).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

STEP_TIMEOUT = 120.0
MINIMUM = (800, 520)
LARGE = (1920, 1080)


async def _until(predicate: object, timeout: float = STEP_TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        await asyncio.sleep(0.02)


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0.03)


async def capture(out_dir: Path) -> list[Path]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QWidget

    from scripts.screenshots import ScriptedBrowser
    from tests.helpers.gitrepo import GitRepo
    from twinedge_desktop.api.keys import new_idempotency_key
    from twinedge_desktop.app import DesktopApp
    from twinedge_desktop.auth.kinds import SessionState
    from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
    from twinedge_desktop.health.rules import FindingKind
    from twinedge_desktop.sandbox.embedded import start_in_thread
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.style import ThemeManager
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.health.page import HealthPage
    from twinedge_desktop.ui.keys.dialogs.details import KeyDetailsDialog
    from twinedge_desktop.ui.keys.page import KeysPage
    from twinedge_desktop.vault import MemoryStore

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    theme = ThemeManager(qapp)
    theme.use_app_style_sheet()
    saved: list[Path] = []
    sandbox = start_in_thread(":memory:", demo_data=True)
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
        window.resize(*LARGE)
        window.show()
        await desktop.start()
        await _until(lambda: not desktop.controller.restoring)
        window.window_actions.sign_in.trigger()  # type: ignore[union-attr]
        await _until(lambda: browser.url is not None)
        browser.complete()
        await _until(lambda: desktop.controller.state is SessionState.SIGNED_IN)
        await _until(lambda: not desktop.controller.signing_in)
        await _settle()  # the sign-in shows the Account page when it is done: after that
        health = window.page("health")
        keys_page = window.page("keys")
        assert isinstance(health, HealthPage) and isinstance(keys_page, KeysPage)
        window.show_page("health")
        await _until(lambda: health.report is not None and not health.checking)
        window.statusBar().clearMessage()

        async def shoot(widget: QWidget, name: str) -> None:
            if widget is window:
                window.show_page("health")
            for scheme in ("light", "dark"):
                theme.force(scheme)
                await _settle()
                path = out_dir / f"{name}-{scheme}.png"
                widget.grab().save(str(path))
                saved.append(path)
            theme.force("light")

        spike = next(
            row.id
            for row in health.model.all_rows()
            if row.finding.kind is FindingKind.UNUSUAL_ACTIVITY
        )
        health.select_finding(spike)
        await shoot(window, "health-1920")
        window.resize(*MINIMUM)
        await _settle()
        await shoot(window, "health-minimum")
        window.resize(*LARGE)

        # The key's details, with its usage, as "Look at its usage…" opens them.
        row = health.model.find(spike)
        assert row is not None
        health.request_action(row)
        await _until(lambda: any(d.isVisible() for d in keys_page.findChildren(KeyDetailsDialog)))
        details = next(d for d in keys_page.findChildren(KeyDetailsDialog) if d.isVisible())
        await _until(lambda: details.usage is not None)
        details.resize(760, details.sizeHint().height())
        await shoot(details, "health-key-usage")
        details.close()

        # Scan a folder: a repository with a key still active and one revoked, in history.
        assert desktop.services is not None and desktop.controller.session is not None
        service = desktop.services.api_keys_for(desktop.controller.session)
        active = await service.create(
            "Line 3 collector", ["read:telemetry"], None, idempotency_key=new_idempotency_key()
        )
        revoked = await service.create(
            "Old test script", ["read:assets"], None, idempotency_key=new_idempotency_key()
        )
        await service.revoke(revoked.key.id)
        health.refresh()
        await _until(lambda: health.report is not None and not health.checking)
        with tempfile.TemporaryDirectory(prefix="twinedge-scan-shot-") as tmp:
            repo = GitRepo.init(Path(tmp) / "plant-dashboard")
            repo.commit({"config.py": f'API_KEY = "{revoked.secret}"\n'}, "first try")
            repo.commit(
                {"config.py": "import os\n", "deploy/.env": f"TWINEDGE_API_KEY={active.secret}\n"},
                "env",
            )
            dialog = health.open_scan()
            assert dialog is not None
            dialog.folder_edit.setText(str(repo.path))
            dialog.start_scan()
            await _until(lambda: dialog.report is not None)
            dialog.results.expandAll()
            await shoot(dialog, "health-scan")
            dialog.close()
        window.close()
        await desktop.aclose()
    finally:
        sandbox.stop()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        print("No X display: run under xvfb-run -a (or set QT_QPA_PLATFORM=offscreen).")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="twinedge-health-shots-") as home:
        os.environ["TWINEDGE_DESKTOP_HOME"] = home
        import qasync
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([sys.argv[0]])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)
        loop = qasync.QEventLoop(app)
        with loop:
            saved = loop.run_until_complete(capture(args.out))
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
