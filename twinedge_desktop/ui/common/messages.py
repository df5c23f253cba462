"""One message bridge for everything a view wants the person to see.

Views and the task runner report errors, warnings and information here; the
main window shows them (status bar, or a dialog for errors) and they go to the
log, redacted. Tests record them with the ``messages`` fixture.

Signals:
    posted(level, text): a message to show; level is "error", "warning" or "info".
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from twinedge_desktop.redaction import redact

log = logging.getLogger(__name__)

_LOG_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO}


class MessageBridge(QObject):
    posted = Signal(str, str)

    def error(self, text: str) -> None:
        self._post("error", text)

    def warning(self, text: str) -> None:
        self._post("warning", text)

    def info(self, text: str) -> None:
        self._post("info", text)

    def _post(self, level: str, text: str) -> None:
        safe = redact(text)  # messages end up on screen and in logs: never a secret
        log.log(_LOG_LEVELS[level], "%s", safe)
        self.posted.emit(level, safe)
