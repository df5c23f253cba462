"""The Token Inspector: paste or drop a token, see what it says, verify it, compare two.

Imported for the window's first frame (the navigation lists the page): only the page's
description lives here; the page itself is imported when it is built.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from twinedge_desktop.ui.common.page_info import PageInfo

if TYPE_CHECKING:
    from twinedge_desktop.api.models import Me
    from twinedge_desktop.auth.session import Session
    from twinedge_desktop.ui.common.page import PageContext
    from twinedge_desktop.ui.inspector.page import InspectorPage


def _build(context: PageContext) -> InspectorPage:
    from twinedge_desktop.ui.inspector.page import InspectorPage

    services = context.services

    def test_key(session: Session, key: str) -> Awaitable[Me]:
        # Through the services' API-keys client for the profile: GET /v1/me with the key.
        return services.api_keys_for(session).test_key(key)

    return InspectorPage(
        context.token_inspector, context.runner, context.messages, key_tester=test_key
    )


PAGE = PageInfo(
    key="inspector",
    title="Token Inspector",
    icon="inspect",
    module="twinedge_desktop.ui.inspector.page",
    build=_build,
    extra_shortcuts=("Ctrl+Shift+I",),
)
