"""What the navigation knows of a page before the page's module is imported: :class:`PageInfo`.

Apart from ``page.py`` (which re-exports it, with the Page protocol and what a page is built
with): every feature's ``__init__`` declares its ``PAGE`` with it, and the window's first
frame lists the pages, so this is all of the page contract the first frame imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from twinedge_desktop.ui.common.page import Page, PageContext


class PageInfo(NamedTuple):
    """A page as the navigation knows it before its module is imported.

    ``key`` names the page in the settings (the page shown at the last quit) and to
    :meth:`MainWindow.show_page`; the shell gives the pages Ctrl+1, Ctrl+2… in the order
    it lists them, and ``extra_shortcuts`` besides. ``module`` is the module ``build``
    imports: startup imports it in a worker thread, so building the page on the UI
    thread finds it loaded.
    """

    key: str
    title: str
    icon: str
    module: str
    build: Callable[[PageContext], Page]
    extra_shortcuts: tuple[str, ...] = ()
