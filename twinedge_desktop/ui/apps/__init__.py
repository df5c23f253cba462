"""OAuth applications: the list (model, table view), the register/edit/rotate/delete dialogs,
the client secret shown once, and Try it, a playground for an application's flows.

Imported for the window's first frame (the navigation lists the page): only the page's
description lives here; the page itself is imported when it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twinedge_desktop.ui.common.page_info import PageInfo

if TYPE_CHECKING:
    from twinedge_desktop.auth.playground import Playground
    from twinedge_desktop.auth.session import Session
    from twinedge_desktop.ui.apps.page import AppsPage, PlaygroundFactory
    from twinedge_desktop.ui.common.page import PageContext


def _build(context: PageContext) -> AppsPage:
    from twinedge_desktop.auth.playground import Playground
    from twinedge_desktop.ui.apps.page import AppsPage

    def playground_for(session: Session) -> PlaygroundFactory:
        async def make() -> Playground:
            # The session's discovery is cached: no second fetch of the metadata.
            return Playground(context.services.http, await session.metadata())

        return make

    page = AppsPage(
        context.runner,
        context.messages,
        context.profiles.preferences,
        open_browser=context.open_browser,
        service_for=context.services.oauth_apps_for,
        playground_for=playground_for,
    )
    page.sign_in_requested.connect(context.show_sign_in)
    return page


PAGE = PageInfo(
    key="apps",
    title="OAuth Applications",
    icon="apps",
    module="twinedge_desktop.ui.apps.page",
    build=_build,
)
