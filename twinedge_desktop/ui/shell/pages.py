"""The window's pages, in navigation order, and what a page's place shows until it is built.

A new page is a new package under ``ui/`` with a ``PAGE`` (see ``ui/common/page.py``)
and one entry in :data:`PAGES` (navigation order) and :data:`SHORTCUT_ORDER`: the shell
gives the pages Ctrl+1, Ctrl+2… in the order they were added, so a page placed beside
another never renumbers the pages people already know.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from twinedge_desktop.ui import account, apps, health, inspector, keys
from twinedge_desktop.ui.common.page import PageInfo
from twinedge_desktop.ui.common.style import set_role
from twinedge_desktop.ui.common.widgets import centered_column

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


class StartingView(QWidget):
    """What a page's place shows in the first moments, before the services and pages exist."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setSpacing(12)
        # Plain labels (nothing here is worth selecting): the first frame stays cheap.
        heading = QLabel("Restoring session…")
        set_role(heading, "heading")
        detail = QLabel("Opening your system keychain and connecting. One moment.")
        detail.setWordWrap(True)
        set_role(detail, "muted")
        layout.addWidget(heading)
        layout.addWidget(detail)
        centered_column(self, column, max_width=620)
