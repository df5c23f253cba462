"""API keys: the list (model, table view, CSV export), rotation reminders and the key dialogs.

Imported for the window's first frame (the navigation lists the page): only the page's
description lives here; the page itself is imported when it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twinedge_desktop.ui.common.page_info import PageInfo

if TYPE_CHECKING:
    from twinedge_desktop.ui.common.page import PageContext
    from twinedge_desktop.ui.keys.page import KeysPage


def _build(context: PageContext) -> KeysPage:
    from twinedge_desktop.ui.keys.page import KeysPage
    from twinedge_desktop.ui.keys.reminders import RevokeReminders

    page = KeysPage(
        context.runner,
        context.messages,
        context.profiles.preferences,
        reminders=RevokeReminders(context.settings),
        service_for=context.services.api_keys_for,
    )
    page.sign_in_requested.connect(context.show_sign_in)
    return page


PAGE = PageInfo(
    key="keys",
    title="API Keys",
    icon="key",
    module="twinedge_desktop.ui.keys.page",
    build=_build,
)
