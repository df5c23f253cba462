"""Screenshots of the API Keys page and its dialogs, light and dark, for looking at.

Run under a real X server (Xvfb), not offscreen, so fonts and styles are the real ones::

    xvfb-run -a env QT_QPA_PLATFORM=xcb .venv/bin/python tests/integration/ui/keys_screenshots.py

Writes artifacts/keys-{list,create,copy-once,revoke,rotate,rotate-update,rotate-revoke}-
{light,dark}.png. The data is a fixed set of keys (the unit tests' fake service), so the
pictures are comparable run to run. The copy-once dialog is captured with the key masked,
as it opens.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))


async def shoot(out: Path) -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    from tests.helpers.keys import (
        ENGINEER_SCOPES,
        FakeKeysService,
        fixed_clock,
        make_key,
        session_info,
    )
    from twinedge_desktop.config import Preferences
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.style import ThemeManager
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog
    from twinedge_desktop.ui.keys.page import KeysPage

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme = ThemeManager(app)
    keys = [
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
            expires_in_days=60,
        ),
    ]

    def save(widget: QWidget, name: str) -> None:
        widget.grab().save(str(out / f"keys-{name}-{theme.scheme}.png"))

    for scheme in ("light", "dark"):
        theme.force(scheme)
        messages = MessageBridge()
        runner = TaskRunner(messages)
        service = FakeKeysService(keys=list(keys))
        page = KeysPage(runner, messages, Preferences(), clock=fixed_clock)
        page.resize(1180, 440)
        page.show()
        page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
        assert page.load_task is not None
        await page.load_task
        page.model.set_reminder(keys[3].id, "Rotated: revoke this key once nothing uses it.")
        page.show_revoked_box.setChecked(True)
        page.select_key(keys[0].id)
        await asyncio.sleep(0.2)
        save(page, "list")

        create = page.create_key()
        assert create is not None
        create.form.name_edit.setText("Edge gateway, plant 2")
        create.form.scope_boxes["read:telemetry"].setChecked(True)
        create.form.scope_boxes["write:telemetry"].setChecked(True)
        await asyncio.sleep(0.2)
        save(create, "create")
        create.submit()
        for _ in range(100):
            await asyncio.sleep(0.02)
            dialogs = [d for d in page.findChildren(CopyOnceDialog) if d.isVisible()]
            if dialogs:
                break
        else:
            raise RuntimeError("the copy-once dialog did not open")
        await asyncio.sleep(0.2)
        save(dialogs[0], "copy-once")
        dialogs[0].panel.ack_box.setChecked(True)
        dialogs[0].accept()

        page.select_key(keys[0].id)
        revoke = page.revoke_key(keys[0])
        assert revoke is not None
        await asyncio.sleep(0.2)
        save(revoke, "revoke")
        revoke.reject()

        rotate = page.rotate_key(keys[1])
        assert rotate is not None
        await asyncio.sleep(0.2)
        save(rotate, "rotate")
        rotate.next_step()
        for _ in range(100):
            await asyncio.sleep(0.02)
            if rotate.copy_panel is not None:
                break
        assert rotate.copy_panel is not None
        rotate.copy_panel.ack_box.setChecked(True)
        rotate.next_step()  # step 3: the old key's last use, read afresh
        await asyncio.sleep(0.3)
        save(rotate, "rotate-update")
        rotate.next_step()
        await asyncio.sleep(0.2)
        save(rotate, "rotate-revoke")
        rotate.revoke_later_chosen()
        page.close()
        await runner.shutdown()


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    try:
        loop.run_until_complete(shoot(out))
    finally:
        loop.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
