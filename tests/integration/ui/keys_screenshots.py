"""Screenshots of the API Keys page and its dialogs, light and dark, at the window's minimum
size (800×520) and at 1920×1080, for looking at.

Run under a real X server (Xvfb), not offscreen, so fonts and styles are the real ones::

    xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python tests/integration/ui/keys_screenshots.py [--readme]

Writes ``artifacts/keys-<picture>-<min|large>-<light|dark>.png``. The page is shown at the
size the real main window gives a page at that window size (measured, as in
test_keys_layout.py); a dialog at its own size, no larger than the window. The data is a
fixed set of keys (the unit tests' fake service, one of them damaged), so the pictures
are comparable run to run. The copy-once dialog is captured with the key masked, as it
opens. ``--readme`` also copies the README's key pictures to ``docs/screenshots/``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

WINDOWS = {"min": (800, 520), "large": (1920, 1080)}
# README picture -> the artifact it is (the README's page pictures, api-keys-*.png, show
# the whole window: scripts/screenshots.py makes them).
README = {
    "key-create-light.png": "keys-create-large-light.png",
    "key-copy-once-dark.png": "keys-copy-once-large-dark.png",
}


def page_size(window: tuple[int, int]) -> Any:
    """The room the real main window gives a page when it is ``window`` large."""
    from PySide6.QtCore import QSettings

    from twinedge_desktop.config import ProfileStore, sandbox_profile
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.shell.main_window import MainWindow

    home = Path(tempfile.mkdtemp(prefix="keys-shots-"))
    profiles = ProfileStore.load(home / "profiles.json")
    profiles.put(sandbox_profile("http://127.0.0.1:8765"), make_current=True)
    settings = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat)
    shell = MainWindow(messages=MessageBridge(), profiles=profiles, settings=settings)
    shell.resize(*window)
    shell.show()
    return shell


def demo_keys() -> list[Any]:
    from tests.helpers.keys import make_key

    damaged = replace(
        make_key("Edge gateway, plant 2", scopes=("write:telemetry",), created_days_ago=40),
        expires_at=None,
        problem="expires_at: “9999-12-31T23:59:59-23:59” is outside the years 1-9999 once "
        "converted to UTC",
        unreadable=("expires_at",),
    )
    return [
        make_key(
            "Line 3 telemetry collector",
            scopes=("read:telemetry", "write:telemetry"),
            created_days_ago=2,
            expires_in_days=88,
            last_used_days_ago=0.02,
        ),
        make_key(
            "Nightly export",
            scopes=("read:assets", "read:alerts"),
            created_days_ago=80,
            expires_in_days=10,
            last_used_days_ago=1,
        ),
        make_key(
            "CI deploys",
            scopes=("read:assets", "write:assets"),
            created_days_ago=95,
            expires_in_days=-5,
            last_used_days_ago=6,
        ),
        make_key(
            "Grafana dashboards",
            scopes=("read:telemetry", "read:alerts"),
            created_days_ago=200,
            expires_in_days=None,
            last_used_days_ago=0.2,
        ),
        make_key(
            "Old gateway",
            scopes=("write:telemetry",),
            created_days_ago=300,
            revoked=True,
            last_used_days_ago=40,
        ),
        make_key(
            "Alert router",
            scopes=("read:alerts", "write:alerts"),
            created_days_ago=30,
            expires_in_days=90,
        ),
        damaged,
    ]


async def pause(seconds: float = 0.25) -> None:
    await asyncio.sleep(seconds)


async def shoot(out: Path) -> list[Path]:
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QApplication, QDialog, QWidget

    from tests.helpers.keys import ENGINEER_SCOPES, FakeKeysService, fixed_clock, session_info
    from twinedge_desktop.api.errors import NetworkError
    from twinedge_desktop.auth.kinds import CredentialKind
    from twinedge_desktop.config import Preferences
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.style import ThemeManager
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog
    from twinedge_desktop.ui.keys.page import KeysPage

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme = ThemeManager(app)
    theme.use_app_style_sheet()
    saved: list[Path] = []

    for size_name, window in WINDOWS.items():
        shell = page_size(window)
        await pause()
        room = shell.pages.size()
        shell.close()
        limit = QSize(*window)
        for scheme in ("light", "dark"):
            theme.force(scheme)

            def save(
                widget: QWidget, name: str, scheme: str = scheme, size: str = size_name
            ) -> None:
                path = out / f"keys-{name}-{size}-{scheme}.png"
                widget.grab().save(str(path))
                saved.append(path)

            async def dialog_shot(dialog: QDialog, name: str, limit: QSize = limit) -> None:
                await pause(0.1)
                dialog.resize(
                    dialog.sizeHint().boundedTo(limit).expandedTo(dialog.minimumSizeHint())
                )
                await pause()
                save(dialog, name)

            messages = MessageBridge()
            runner = TaskRunner(messages)
            keys = demo_keys()
            service = FakeKeysService(keys=list(keys))
            page = KeysPage(runner, messages, Preferences(), clock=fixed_clock)
            page.resize(room)
            page.show()
            page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
            assert page.load_task is not None
            await page.load_task
            page.model.set_reminder(keys[3].id, "Rotated: revoke this key once nothing uses it.")
            page.show_revoked_box.setChecked(True)
            page.select_key(keys[2].id)  # a selected row with its badges
            await pause()
            save(page, "list")
            page.filter_edit.setText("plant 9")
            await pause()
            save(page, "no-match")
            page.filter_edit.clear()

            create = page.create_key()
            assert create is not None
            create.form.name_edit.setText("Edge gateway, plant 3")
            create.form.scope_boxes["read:telemetry"].setChecked(True)
            create.form.scope_boxes["write:telemetry"].setChecked(True)
            await dialog_shot(create, "create")
            create.form.name_edit.setText("Nightly export")  # an active key's name
            for box in create.form.scope_boxes.values():
                box.setChecked(False)
            create.form.expiry_combo.setCurrentIndex(create.form.expiry_combo.findData("never"))
            create.submit()  # no scope: the error, with the warnings
            await dialog_shot(create, "create-messages")
            create.form.name_edit.setText("Edge gateway, plant 3")
            create.form.scope_boxes["read:telemetry"].setChecked(True)
            create.form.scope_boxes["write:telemetry"].setChecked(True)
            create.form.expiry_combo.setCurrentIndex(create.form.expiry_combo.findData(90))
            create.submit()
            for _ in range(100):
                await asyncio.sleep(0.02)
                dialogs = [d for d in page.findChildren(CopyOnceDialog) if d.isVisible()]
                if dialogs:
                    break
            else:
                raise RuntimeError("the copy-once dialog did not open")
            await dialog_shot(dialogs[0], "copy-once")
            dialogs[0].panel.snippet_tabs.setCurrentIndex(3)  # the SDK form
            await dialog_shot(dialogs[0], "copy-once-sdk")
            dialogs[0].panel.ack_box.setChecked(True)
            dialogs[0].accept()

            revoke = page.revoke_key(keys[0])
            assert revoke is not None
            await dialog_shot(revoke, "revoke")
            revoke.reject()
            details = page.show_details(keys[6])
            await dialog_shot(details, "details-damaged")
            details.reject()

            rotate = page.rotate_key(keys[1])
            assert rotate is not None
            await dialog_shot(rotate, "rotate")
            rotate.next_step()
            for _ in range(100):
                await asyncio.sleep(0.02)
                if rotate.copy_panel is not None:
                    break
            assert rotate.copy_panel is not None
            await dialog_shot(rotate, "rotate-copy")
            rotate.copy_panel.ack_box.setChecked(True)
            rotate.next_step()  # step 3: the old key's last use, read afresh
            await pause(0.3)
            save(rotate, "rotate-update")
            rotate.next_step()
            await pause(0.3)
            save(rotate, "rotate-revoke")
            rotate.revoke_later_chosen()

            failing = FakeKeysService()
            failing.fail["list"] = NetworkError()
            page.set_service(failing, session_info(ENGINEER_SCOPES, subject="other"))  # type: ignore[arg-type]
            await pause()
            save(page, "error")
            api_key = replace(
                session_info(ENGINEER_SCOPES, subject="k"), kind=CredentialKind.API_KEY
            )
            page.set_service(FakeKeysService(), api_key)  # type: ignore[arg-type]
            await pause()
            save(page, "api-key-session")
            page.close()
            await runner.shutdown()
    return saved


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="update docs/screenshots too")
    args = parser.parse_args()
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    try:
        saved = loop.run_until_complete(shoot(out))
    finally:
        loop.close()
    if args.readme:
        for picture, artifact in README.items():
            shutil.copyfile(out / artifact, ROOT / "docs" / "screenshots" / picture)
    print(f"{len(saved)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
