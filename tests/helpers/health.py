"""Keys with one finding of each kind, and a Health page to show them, for the UI's tests.

:func:`demo_keys` mirrors the sandbox's demo data (``sandbox/demo.py``) on the fake
service's clock (:data:`tests.helpers.keys.NOW`): one key per finding, a healthy one and
a revoked one; :func:`demo_service` is a :class:`FakeKeysService` holding them with the
usage reports the rules need.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.keys import FakeKeysService, fixed_clock, make_key, usage_report
from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.config import Preferences
from twinedge_desktop.timefmt import Clock


def demo_keys() -> dict[str, ApiKey]:
    return {
        "spiky": make_key("Edge gateway 7", created_days_ago=70, last_used_days_ago=0.2),
        "soon": make_key(
            "Contractor access", created_days_ago=60, expires_in_days=5, last_used_days_ago=0.5
        ),
        "idle": make_key("Old shift dashboard", created_days_ago=80, last_used_days_ago=42),
        "old": make_key(
            "Plant North historian", created_days_ago=130, expires_in_days=200, last_used_days_ago=1
        ),
        "writer": make_key(
            "Telemetry uploader",
            scopes=("read:telemetry", "write:telemetry"),
            created_days_ago=50,
            last_used_days_ago=1,
        ),
        "forever": make_key(
            "CI pipeline", created_days_ago=45, expires_in_days=None, last_used_days_ago=1
        ),
        "healthy": make_key("Reporting service", created_days_ago=20, last_used_days_ago=1),
        "revoked": make_key("Gone", created_days_ago=300, expires_in_days=None, revoked=True),
    }


def demo_service(keys: dict[str, ApiKey] | None = None) -> FakeKeysService:
    keys = keys if keys is not None else demo_keys()
    ids = {name: key.id for name, key in keys.items()}
    service = FakeKeysService(keys=list(keys.values()))
    if "spiky" in ids:
        service.usage_reports[ids["spiky"]] = usage_report(
            ids["spiky"], [300] * 26 + [2700, 300, 300, 300], [3] * 30,
            {"GET /v1/telemetry": 6000, "GET /v1/assets": 4500},
        )  # fmt: skip
    if "writer" in ids:
        service.usage_reports[ids["writer"]] = usage_report(
            ids["writer"], [150] * 30, endpoints={"GET /v1/telemetry": 4500}
        )
    return service


def make_health_page(
    qtbot: Any,
    messages: Any,
    *,
    settings_file: Path | None = None,
    notifier: Any = None,
    clock: Clock = fixed_clock,
    preferences: Preferences | None = None,
    size: tuple[int, int] = (900, 600),
) -> Any:
    """A HealthPage on screen, unbound; with a settings file, its dismissals and reminder
    days are kept there (as the window's ``window.ini``)."""
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.health.page import HealthPage
    from twinedge_desktop.ui.health.store import HealthSettings

    page = HealthPage(
        TaskRunner(messages),
        messages,
        lambda: preferences or Preferences(),
        store=HealthSettings(settings_file) if settings_file is not None else None,
        notifier=notifier,
        clock=clock,
    )
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    return page


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    """Collect the Qt objects earlier tests left in reference cycles here, on the GUI
    thread, before and after each test (import this fixture into a test module to use it).

    The Health page works in worker threads (``asyncio.to_thread``); the garbage collector
    may run there and destroy such objects in the wrong thread, and Qt warns "Timers cannot
    be stopped from another thread", which fails the test. The app itself collects cycles
    on the GUI thread only (ui/common/collector.py)."""
    gc.collect()
    yield
    gc.collect()
