"""What the pages ask of each other and of the window, connected in one place.

Features never import each other; a page that wants something of another page or of the
window says so with a signal, and the shell connects it here when the page is built
(``MainWindow.install_page``), by what the page can do (the protocols in
``ui/common/page.py``), not by which page it is:

- a page that :class:`ReportsAttention` gets a count on its navigation entry and may
  ask to be shown with the window raised (a notification was clicked);
- a page that :class:`RequestsKeyActions` (Health) has its requests performed by the page
  that :class:`PerformsKeyActions` (API Keys), and hears of the keys that page changed;
- a page that :class:`RequestsTokenInspection` (OAuth Applications) has its tokens shown
  by the page that :class:`InspectsTokens` (Token Inspector), brought to the front.

Pages are built one per loop turn in any order, so each connection is made once both
of its ends exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twinedge_desktop.ui.common.page import (
        InspectsTokens,
        Page,
        PageInfo,
        PerformsKeyActions,
        RequestsKeyActions,
        RequestsTokenInspection,
    )
    from twinedge_desktop.ui.shell.main_window import MainWindow


class PageRoutes:
    """Connects the pages' requests as the pages are built (see module docstring)."""

    def __init__(
        self,
        set_badge: Callable[[str, int, str], None],
        bring_forward: Callable[[str], None],
    ) -> None:
        self._set_badge = set_badge
        self._bring_forward = bring_forward
        self._performer: PerformsKeyActions | None = None
        self._requesters: list[RequestsKeyActions] = []
        self._inspector: tuple[str, InspectsTokens] | None = None
        self._token_askers: list[RequestsTokenInspection] = []

    def page_installed(self, info: PageInfo, page: Page) -> None:
        # Here, not at import: the window makes its routes in the first frame, the pages
        # come after it (with ui/common/page.py).
        from twinedge_desktop.ui.common.page import (
            InspectsTokens,
            PerformsKeyActions,
            ReportsAttention,
            RequestsKeyActions,
            RequestsTokenInspection,
        )

        if isinstance(page, ReportsAttention):
            key = info.key
            page.attention_changed.connect(
                lambda count, text: self._set_badge(key, int(count), str(text))
            )
            page.show_requested.connect(lambda: self._bring_forward(key))
        if isinstance(page, PerformsKeyActions) and self._performer is None:
            self._performer = page
            for requester in self._requesters:
                self._connect(requester, page)
        if isinstance(page, RequestsKeyActions):
            self._requesters.append(page)
            if self._performer is not None:
                self._connect(page, self._performer)
        if isinstance(page, InspectsTokens) and self._inspector is None:
            self._inspector = (info.key, page)
            for asker in self._token_askers:
                self._connect_inspection(asker)
        if isinstance(page, RequestsTokenInspection):
            self._token_askers.append(page)
            if self._inspector is not None:
                self._connect_inspection(page)

    def _connect_inspection(self, asker: RequestsTokenInspection) -> None:
        assert self._inspector is not None
        key, inspector = self._inspector

        def show(token: str) -> None:
            inspector.inspect_token(token)
            self._bring_forward(key)

        asker.inspect_token_requested.connect(show)

    @staticmethod
    def _connect(requester: RequestsKeyActions, performer: PerformsKeyActions) -> None:
        requester.key_action_requested.connect(performer.perform_key_action)
        performer.key_changed.connect(requester.key_updated)


def bring_forward(window: MainWindow, key: str) -> None:
    """Show ``key``'s page in a raised, active window (a notification was clicked)."""
    window.show_page(key)
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
