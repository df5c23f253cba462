"""Open the sign-in page in the person's browser.

When ``$BROWSER`` is set (SSH/WSL sessions, a browser of one's choice, the end-to-end
tests' headless-Chromium helper), it is followed exactly as the command line follows it:
:func:`twinedge_desktop.browser.open_with_browser_variable` (Qt-free; entries separated
by ``os.pathsep``, ``%s`` for the link, no shell, detached, never waited for; the next
entry is tried when one fails at once). It returns at once, so no thread is needed here.
The variable is read afresh each time.

Without ``$BROWSER``, ``QDesktopServices.openUrl`` is the desktop's own way (portals,
the default-browser setting). Under the ``offscreen`` platform (CI, tests) it opens
nothing and returns False.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from twinedge_desktop.browser import BROWSER_ENV, open_with_browser_variable

log = logging.getLogger(__name__)


def open_browser(url: str) -> bool:
    """Open ``url`` in the browser; False when no browser could be asked to open it.

    The URL is never logged: it carries the PKCE challenge and state.
    """
    variable = os.environ.get(BROWSER_ENV)
    if variable:
        opened = open_with_browser_variable(url, variable)
        if not opened:
            log.warning("No $BROWSER entry could be started; the link can be copied instead")
        return opened
    opened = QDesktopServices.openUrl(QUrl(url))
    if not opened:
        log.warning("The system did not open a browser for the sign-in page")
    return bool(opened)
