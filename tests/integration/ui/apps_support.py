"""What the OAuth Applications integration tests share: the page built as the window builds
it (``ui/apps/__init__.py``) over a real sign-in to the real sandbox, and the system browser
pointed at real headless Chromium (``tests/helpers/browser_signin.py`` in ``$BROWSER``)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import shiboken6

from tests.helpers.sandbox_signin import SignedIn
from twinedge_desktop.auth.playground import Playground
from twinedge_desktop.config import Preferences
from twinedge_desktop.ui.apps.page import AppsPage
from twinedge_desktop.ui.common.browser import open_browser
from twinedge_desktop.ui.common.page import SessionBinding
from twinedge_desktop.ui.common.tasks import TaskRunner

REPO = Path(__file__).resolve().parents[3]
BROWSER_HELPER = REPO / "tests" / "helpers" / "browser_signin.py"
NETWORK_TIMEOUT = 30.0
BROWSER_TIMEOUT = 90.0


def use_chromium(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Make the system browser headless Chromium signing in as the engineer and allowing."""
    monkeypatch.setenv("BROWSER", f"{sys.executable} {BROWSER_HELPER} %s")
    monkeypatch.setenv("TWINEDGE_TEST_BROWSER_LOG", str(log))
    monkeypatch.setenv("TWINEDGE_TEST_BROWSER_TIMEOUT", str(int(BROWSER_TIMEOUT)))


def free_port() -> int:
    """A loopback port nobody listens on now (for a web app's registered redirect URI)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_apps_page(qtbot: Any, messages: Any, signed: SignedIn) -> AppsPage:
    """The page as ``ui/apps/__init__.py`` builds it, bound to ``signed``'s session, with the
    app's real system-browser opener."""
    core, session = signed.core, signed.session

    def playground_for(bound: Any) -> Any:
        async def make() -> Playground:
            return Playground(core.http, await bound.metadata())

        return make

    page = AppsPage(
        TaskRunner(messages),
        messages,
        Preferences(),
        open_browser=open_browser,
        service_for=core.oauth_apps_for,  # type: ignore[arg-type]
        playground_for=playground_for,
    )
    qtbot.addWidget(page)
    page.resize(1100, 640)
    page.show()
    page.bind(SessionBinding(session.profile, session, signed.info))
    return page


def visible(page: AppsPage, kind: type) -> list[Any]:
    return [d for d in page.findChildren(kind) if shiboken6.isValid(d) and d.isVisible()]


def closed(dialog: Any) -> Any:
    return lambda: not shiboken6.isValid(dialog) or not dialog.isVisible()
