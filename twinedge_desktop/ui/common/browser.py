"""Open the sign-in page in the person's browser.

``QDesktopServices.openUrl`` is the normal path. It does not honour ``$BROWSER``
reliably: on Linux Qt's generic services try ``xdg-open`` first (which ignores
``$BROWSER`` on a detected desktop) and accept ``$BROWSER`` only as a bare
executable, and under the ``offscreen`` platform (CI, tests) ``openUrl`` does
nothing and returns False. People set ``$BROWSER`` on purpose (SSH/WSL sessions,
a browser of their choice, the end-to-end test's headless-Chromium helper), so
when it is set we follow the ``$BROWSER`` convention with :mod:`webbrowser`'s
GenericBrowser, reading the variable afresh each time.
The browser command can block until it exits (GenericBrowser waits for it), so it
runs in a daemon thread.
"""

from __future__ import annotations

import logging
import os
import threading

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)


def _open_with_browser_variable(url: str, variable: str) -> None:
    """Try each ``$BROWSER`` entry (``os.pathsep``-separated) until one opens ``url``.

    ``webbrowser.open`` would read ``$BROWSER`` once per process and cache it; the
    variable is read afresh here, and each entry run by webbrowser's GenericBrowser
    (``%s`` stands for the URL; without it the URL is appended).
    """
    import shlex
    import webbrowser

    for entry in filter(None, variable.split(os.pathsep)):
        try:
            words = shlex.split(entry)
            if not any("%s" in word for word in words):
                words.append("%s")
            if webbrowser.GenericBrowser(words).open(url, new=2):
                return
        except Exception:  # a broken entry must not take the sign-in down; try the next
            log.warning("A $BROWSER entry failed to open the sign-in page", exc_info=True)
    log.warning("$BROWSER did not open the sign-in page; the link can be copied instead")


def open_browser(url: str) -> bool:
    """Open ``url`` in the browser; False when no browser could be asked to open it.

    The URL is never logged: it carries the PKCE challenge and state.
    """
    variable = os.environ.get("BROWSER")
    if variable:
        threading.Thread(
            target=_open_with_browser_variable,
            args=(url, variable),
            name="open-browser",
            daemon=True,
        ).start()
        return True
    opened = QDesktopServices.openUrl(QUrl(url))
    if not opened:
        log.warning("The system did not open a browser for the sign-in page")
    return bool(opened)
