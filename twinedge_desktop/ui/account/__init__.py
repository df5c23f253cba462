"""Signing in and who is signed in: the session controller, the sign-in and account pages,
the service-account and API-key dialogs, the local sandbox's card, and the profiles (switch,
add, rename, remove).

Imported for the window's first frame (the navigation lists the page): only the page's
description lives here; the page itself is imported when it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twinedge_desktop.ui.common.page_info import PageInfo

if TYPE_CHECKING:
    from twinedge_desktop.ui.account.view import AccountView
    from twinedge_desktop.ui.common.page import PageContext


def _build(context: PageContext) -> AccountView:
    from twinedge_desktop.ui.account.view import build_account_view

    return build_account_view(context)


PAGE = PageInfo(
    key="account",
    title="Account",
    icon="account",
    module="twinedge_desktop.ui.account.view",
    build=_build,
)
