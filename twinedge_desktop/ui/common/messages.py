"""One message bridge for everything a view wants the person to see.

Views and the task runner report errors, warnings and information here; the
shell's message view shows them (a banner for problems, the status bar for news) and
they go to the log, redacted. Tests record them with the ``messages`` fixture.

Every message is for the person, and is logged as one redacted line without a traceback:
errors and warnings at WARNING, information at INFO. An *unexpected* error has already
been logged with its traceback where it was caught (the task runner, the excepthook).

Signals:
    posted(level, text): a message to show; level is a :class:`MessageLevel` value.
    withdrawn(text): a message posted earlier is no longer true (a problem that went
        away by itself, such as a sign-in saved after all); hide it if it is still shown.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class MessageLevel(StrEnum):
    """How serious a message is. A ``StrEnum``: the signal carries it as its string."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_LOG_LEVELS = {
    MessageLevel.ERROR: logging.WARNING,  # the person is told; a traceback, if any, is elsewhere
    MessageLevel.WARNING: logging.WARNING,
    MessageLevel.INFO: logging.INFO,
}


class MessageBridge(QObject):
    posted = Signal(str, str)
    withdrawn = Signal(str)

    def error(self, text: str) -> None:
        self._post(MessageLevel.ERROR, text)

    def warning(self, text: str) -> None:
        self._post(MessageLevel.WARNING, text)

    def info(self, text: str) -> None:
        self._post(MessageLevel.INFO, text)

    def withdraw(self, text: str) -> None:
        """Take back ``text`` (as it was posted): the view hides it if it still shows it."""
        from twinedge_desktop.redaction import redact

        self.withdrawn.emit(redact(text))

    def _post(self, level: MessageLevel, text: str) -> None:
        # Imported at the first message, not with the bridge: the window's first frame makes
        # the bridge, and compiling the redaction's patterns costs ~2 ms it does not need.
        from twinedge_desktop.redaction import redact

        safe = redact(text)  # messages end up on screen and in logs: never a secret
        log.log(_LOG_LEVELS[level], "%s", safe)
        self.posted.emit(level, safe)
