"""Screenshots of the OAuth Applications page and its dialogs, light and dark, for the README.

Run under a real X server (Xvfb), not offscreen, so fonts and styles are the real ones::

    xvfb-run -a env QT_QPA_PLATFORM=xcb .venv/bin/python tests/integration/ui/apps_screenshots.py

Writes docs/screenshots/apps-{list,register,secret,try-it}-{light,dark}.png, and the same at
the window's minimum size (800×520) as artifacts/apps-*-small-*.png for looking at. The
data is fixed (the unit tests' fakes: an in-memory service and a scripted token endpoint),
so the pictures are comparable run to run; the secret dialog is captured masked, as it
opens, and Try it after one code exchange, its tokens masked.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

SIZES = {"": (1100, 560), "-small": (604, 430)}  # the page alone; small: its room at 800×520


async def shoot(docs: Path, artifacts: Path) -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    from tests.helpers.apps import FakeAppsService, TokenEndpoint, fixed_clock, make_app
    from tests.helpers.keys import ENGINEER_SCOPES, session_info
    from tests.helpers.waiting import until
    from twinedge_desktop.config import Preferences, sandbox_profile
    from twinedge_desktop.oauth_apps_rules import ApplicationType
    from twinedge_desktop.ui.apps.page import AppsPage
    from twinedge_desktop.ui.apps.secret import ShownSecret, show_client_secret
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.page import SessionBinding
    from twinedge_desktop.ui.common.style import ThemeManager
    from twinedge_desktop.ui.common.tasks import TaskRunner

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme = ThemeManager(app)
    theme.use_app_style_sheet()
    registered = [
        make_app(
            "Plant dashboard",
            ApplicationType.WEB,
            redirect_uris=("http://127.0.0.1:8080/callback", "https://dashboard.example.com/cb"),
            scopes=("read:assets", "read:alerts"),
            created_days_ago=0.1,
            previous_secret_hours_left=20,
        ),
        make_app(
            "Field tablet",
            ApplicationType.NATIVE,
            redirect_uris=("http://127.0.0.1/callback", "com.example.tablet:/callback"),
            scopes=("read:assets", "read:telemetry"),
            created_days_ago=4,
        ),
        make_app(
            "Operator portal",
            ApplicationType.SPA,
            redirect_uris=("https://portal.example.com/callback",),
            scopes=("read:alerts", "write:alerts"),
            created_days_ago=12,
        ),
        make_app(
            "Nightly export",
            ApplicationType.SERVICE,
            scopes=("read:telemetry",),
            created_days_ago=40,
        ),
    ]

    def save(widget: QWidget, name: str, folder: Path) -> None:
        widget.grab().save(str(folder / f"apps-{name}-{theme.scheme}.png"))

    async def settle() -> None:
        for _ in range(10):
            await asyncio.sleep(0.03)

    for scheme in ("light", "dark"):
        theme.force(scheme)
        for suffix, size in SIZES.items():
            folder = docs if not suffix else artifacts
            messages = MessageBridge()
            runner = TaskRunner(messages)
            service = FakeAppsService(apps=list(registered))
            endpoint = TokenEndpoint(registered[0].client_id, "demo-secret")
            playground, http = endpoint.playground()

            async def factory(made: object = playground) -> object:
                return made

            page = AppsPage(
                runner, messages, Preferences(), open_browser=lambda url: True, clock=fixed_clock
            )
            page.resize(*size)
            page.show()
            page._binding = SessionBinding(sandbox_profile("http://127.0.0.1:8765"), None, None)
            page.set_service(service, session_info(ENGINEER_SCOPES), playground=factory)  # type: ignore[arg-type]
            assert page.load_task is not None
            await page.load_task
            page.select_app(registered[0].id)
            await settle()
            save(page, f"list{suffix}", folder)

            register = page.register_app()
            assert register is not None
            register.form.name_edit.setText("Maintenance planner")
            register.form.uris_edit.setPlainText(
                "https://planner.example.com/callback\nhttp://planner.example.com/cb"
            )
            register.form.scopes.boxes["read:assets"].setChecked(True)
            register.form.scopes.boxes["write:assets"].setChecked(True)
            register.resize(*(size if suffix else (720, 760)))
            await settle()
            save(register, f"register{suffix}", folder)
            register.reject()

            secret = show_client_secret(
                ShownSecret(
                    registered[3], "Zq8RkR3n5Jm0aB7cD9eF1gH2iJ4kL6mN8oP0qR2sT4u", rotated=False
                ),
                page.clipboard,
                30,
                page,
                issuer="http://127.0.0.1:8765",
                api_base="http://127.0.0.1:8765/v1",
                clock=fixed_clock,
            )
            if suffix:
                secret.resize(*size)
            await settle()
            save(secret, f"secret{suffix}", folder)
            secret.panel.ack_box.setChecked(True)
            secret.accept()

            try_it = page.try_app(registered[0])
            assert try_it is not None
            try_it.redirect_combo.setCurrentIndex(1)  # https: the pasted-callback path
            try_it.secret_edit.setText("demo-secret")
            try_it.build_request()
            await until(lambda window=try_it: window.authorization_request is not None)
            request = try_it.authorization_request
            try_it.paste_edit.setText(
                f"{request.redirect_uri}?code={endpoint.issue_code()}&state={request.state}"
                "&iss=https://auth.example.test"
            )
            try_it.use_button.click()
            try_it.exchange_button.click()
            await until(lambda window=try_it: bool(window.exchanges))
            try_it.resize(*(size if suffix else (860, 980)))
            await settle()
            save(try_it, f"try-it{suffix}", folder)
            try_it.close()
            page.close()
            await runner.shutdown()
            await http.aclose()


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    docs = ROOT / "docs" / "screenshots"
    artifacts = ROOT / "artifacts"
    docs.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    try:
        loop.run_until_complete(shoot(docs, artifacts))
    finally:
        loop.close()
    print(f"screenshots in {docs} and {artifacts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
