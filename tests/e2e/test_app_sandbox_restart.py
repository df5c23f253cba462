"""The README's promise, as processes: ``twinedge-desktop --sandbox``, sign in, quit, start again.

Each start is a real process running ``twinedge_desktop.app.run`` with ``--sandbox``
(the embedded sandbox keeps its data under the app's data directory), offscreen,
with a real Secret Service (private D-Bus + gnome-keyring) and real headless
Chromium as ``$BROWSER``. A small driver (this file run as a script) presses
"Sign in" when the window is ready and reports what the account page shows; the
second start must be signed in without any browser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture import registers the fixture
    PrivateSecretService,
    secret_service_fixture,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keychain]

REPO = Path(__file__).resolve().parents[2]
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
RUN_TIMEOUT = 120
DRIVER_LIMIT_MS = 90_000


def _drive(mode: str) -> None:
    """Run the real app; press Sign in ("signin") or only watch ("restore"); print a report."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from twinedge_desktop.app import run
    from twinedge_desktop.auth.kinds import SessionState
    from twinedge_desktop.cli import build_parser
    from twinedge_desktop.ui.shell import main_window

    qapp = QApplication([])
    report: dict[str, object] = {"mode": mode, "pressed_sign_in": False}
    original_attach = main_window.MainWindow.attach_services

    def attach_services(window: main_window.MainWindow, *args: object, **kwargs: object) -> None:
        original_attach(window, *args, **kwargs)  # type: ignore[arg-type]
        controller = window.account.controller

        def check() -> None:
            state = controller.state
            if report.get("done"):
                return
            ready = state is SessionState.SIGNED_OUT and not controller.restoring
            if mode == "signin" and ready and not report["pressed_sign_in"]:
                report["pressed_sign_in"] = True
                window.window_actions.sign_in.trigger()  # type: ignore[union-attr]
            if controller.last_failure is not None:
                report.update(done=True, failure=list(controller.last_failure))
                window.close()
            elif state is SessionState.SIGNED_IN and not controller.signing_in:
                report.update(
                    done=True,
                    state=state.name,
                    email=window.account.account_page.email_value.text(),
                    keychain=window.account.account_page.keychain_value.text(),
                    issuer=window.account.controller.session.profile.issuer,  # type: ignore[union-attr]
                )
                window.close()

        controller.changed.connect(check)
        check()

    main_window.MainWindow.attach_services = attach_services  # type: ignore[method-assign]

    def give_up() -> None:
        report.setdefault("timeout", True)
        for widget in qapp.topLevelWidgets():
            widget.close()

    QTimer.singleShot(DRIVER_LIMIT_MS, give_up)
    code = run(build_parser().parse_args(["--sandbox"]))
    print("REPORT " + json.dumps({**report, "exit": code}), flush=True)


def _start(mode: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
        cwd=REPO,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, f"no report (exit {done.returncode}): {done.stderr[-3000:]}"
    report: dict[str, object] = json.loads(lines[-1][len("REPORT ") :])
    return report


def test_sign_in_quit_and_start_again_still_signed_in(
    secret_service: PrivateSecretService, isolated_app_home: Path, tmp_path: Path
) -> None:
    env = dict(os.environ)
    env["TWINEDGE_DESKTOP_HOME"] = str(isolated_app_home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = str(REPO)
    env["BROWSER"] = f"{sys.executable} {BROWSER_HELPER} %s"
    env["TWINEDGE_TEST_BROWSER_LOG"] = str(tmp_path / "browser.log")

    first = _start("signin", env)
    assert first.get("failure") is None and not first.get("timeout"), first
    assert first["pressed_sign_in"] is True
    assert first["state"] == "SIGNED_IN"
    assert first["email"] == "engineer@example.com"
    assert first["keychain"] == "Secret Service (GNOME Keyring)"
    assert first["exit"] == 0

    # Quit happened (exit 0). Start again: no browser this time, a missing one even.
    env["BROWSER"] = str(tmp_path / "no-browser-expected")
    second = _start("restore", env)
    assert second.get("failure") is None and not second.get("timeout"), second
    assert second["pressed_sign_in"] is False
    assert second["state"] == "SIGNED_IN"
    assert second["email"] == "engineer@example.com"
    assert second["issuer"] == first["issuer"]  # the sandbox came back on the same address
    assert second["exit"] == 0
    assert (isolated_app_home / "data" / "sandbox.sqlite3").is_file()


if __name__ == "__main__":
    _drive(sys.argv[1])
