"""The Token Inspector: paste or drop a token, see what it says, verify it, compare two.

Imported for the window's first frame (the navigation lists the page): only the page's
description lives here; the page itself is imported when it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twinedge_desktop.ui.common.page import PageContext, PageInfo

if TYPE_CHECKING:
    from twinedge_desktop.ui.inspector.page import InspectorPage


def _build(context: PageContext) -> InspectorPage:
    from twinedge_desktop.ui.inspector.page import InspectorPage

    return InspectorPage(context.token_inspector, context.runner, context.messages)


PAGE = PageInfo(
    key="inspector",
    title="Token Inspector",
    icon="inspect",
    module="twinedge_desktop.ui.inspector.page",
    build=_build,
    extra_shortcuts=("Ctrl+Shift+I",),
)
