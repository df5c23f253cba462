"""The window's pages, in navigation order.

A new page is a new package under ``ui/`` with a ``PAGE`` (see ``ui/common/page.py``)
and one entry in :data:`PAGES` (navigation order) and :data:`SHORTCUT_ORDER`: the shell
gives the pages Ctrl+1, Ctrl+2… in the order they were added, so a page placed beside
another never renumbers the pages people already know.
"""

from __future__ import annotations

from twinedge_desktop.ui import account, apps, health, inspector, keys
from twinedge_desktop.ui.common.page_info import PageInfo

PAGES: tuple[PageInfo, ...] = (keys.PAGE, apps.PAGE, inspector.PAGE, account.PAGE, health.PAGE)
# Ctrl+1… in this order: the numbers people already knew stay theirs as pages are added.
SHORTCUT_ORDER: tuple[PageInfo, ...] = (
    keys.PAGE,
    inspector.PAGE,
    account.PAGE,
    health.PAGE,
    apps.PAGE,
)
SHORTCUT_NUMBERS: dict[str, int] = {
    page.key: number for number, page in enumerate(SHORTCUT_ORDER, start=1)
}
ACCOUNT = account.PAGE  # the shell's File menu and status line speak for it
DEFAULT_PAGE = ACCOUNT.key  # a first start begins with signing in
