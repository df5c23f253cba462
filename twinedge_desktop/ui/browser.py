"""Open the sign-in page in the person's browser.

``QDesktopServices.openUrl`` is the normal path. It does not honour ``$BROWSER``
reliably: on Linux Qt's generic services try ``xdg-open`` first (which ignores
``$BROWSER`` on a detected desktop) and accept ``$BROWSER`` only as a bare
executable, and under the ``offscreen`` platform (CI, tests) ``openUrl`` does
nothing and returns False. People set ``$BROWSER`` on purpose (SSH/WSL sessions,
a browser of their choice, the end-to-end test's headless-Chromium helper), so
when it is set we use :mod:`webbrowser`, which implements the ``$BROWSER``
convention. ``webbrowser.open`` can block until the browser command exits
(``GenericBrowser`` waits for it), so it runs in a daemon thread.
"""

from __future__ import annotations

import logging
import os
import threading

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)


def _open_with_webbrowser(url: str) -> None:
    import webbrowser

    try:
        if not webbrowser.open(url, new=2):
            log.warning("$BROWSER did not open the sign-in page")
    except Exception:  # a broken $BROWSER must not take the sign-in down; the link stays copyable
        log.exception("$BROWSER failed to open the sign-in page")


def open_browser(url: str) -> bool:
    """Open ``url`` in the browser; False when no browser could be asked to open it.

    The URL is never logged: it carries the PKCE challenge and state.
    """
    if os.environ.get("BROWSER"):
        threading.Thread(
            target=_open_with_webbrowser, args=(url,), name="open-browser", daemon=True
        ).start()
        return True
    opened = QDesktopServices.openUrl(QUrl(url))
    if not opened:
        log.warning("The system did not open a browser for the sign-in page")
    return bool(opened)
