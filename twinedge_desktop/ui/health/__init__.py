"""Key health: every key checked against the seed's security practices (age, use, expiry,
scopes, unusual activity), dismissible findings, desktop reminders, and "Scan a folder…".

Imported for the window's first frame (the navigation lists the page): only the page's
description lives here; the page itself is imported when it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twinedge_desktop.ui.common.page_info import PageInfo

if TYPE_CHECKING:
    from twinedge_desktop.ui.common.page import PageContext
    from twinedge_desktop.ui.health.page import HealthPage


def _build(context: PageContext) -> HealthPage:
    from twinedge_desktop.ui.health.notifications import system_notifier
    from twinedge_desktop.ui.health.page import HealthPage
    from twinedge_desktop.ui.health.store import HealthSettings

    page = HealthPage(
        context.runner,
        context.messages,
        lambda: context.profiles.preferences,  # replaced when the profiles file is saved
        store=HealthSettings.beside(context.settings),
        notifier=system_notifier(spawn=context.runner.start),
        service_for=context.services.api_keys_for,
    )
    page.sign_in_requested.connect(context.show_sign_in)
    return page


PAGE = PageInfo(
    key="health",
    title="Health",
    icon="shield",
    module="twinedge_desktop.ui.health.page",
    build=_build,
    extra_shortcuts=("Ctrl+Shift+H",),
)
