"""Logging for the app and the command line: one rotated, redacted log file.

``configure_logging`` is called once at start (by ``app.py`` and the CLI). It
writes to ``AppPaths.log_file`` (platformdirs' log directory, or under
``TWINEDGE_DESKTOP_HOME``), rotates it so it never grows without bound, and puts
a :class:`~twinedge_desktop.redaction.RedactingFilter` on every handler it
installs, so a token that slips into a message or a traceback is hidden
whichever logger produced it. The log file is created readable by its owner
only: redaction is a safety net, not a licence to share the file.

httpx and httpcore log every request at INFO/DEBUG; they are capped at WARNING
unless ``--debug`` asks for everything. qasync's per-callback DEBUG lines stay out
even then (INFO at most).
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from twinedge_desktop.config import AppPaths
from twinedge_desktop.redaction import RedactingFilter

MAX_LOG_BYTES = 1_000_000
BACKUP_COUNT = 3
CHATTY_LOGGERS = ("httpx", "httpcore", "hpack", "asyncio", "uvicorn.access")
# qasync logs two DEBUG lines per callback it runs: unreadable noise even when debugging.
FLOODING_LOGGERS = ("qasync",)
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# Handlers installed here carry this attribute, so a second call replaces them
# instead of doubling every line (tests and the embedded sandbox may call again).
_OWNED = "_twinedge_desktop_handler"


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files (including rotated ones) are mode 0600."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # Always append: the handler's mode is "a" and rotation reopens the base name.
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def configure_logging(
    paths: AppPaths,
    debug: bool,
    *,
    console: bool = True,
    max_bytes: int = MAX_LOG_BYTES,
    backup_count: int = BACKUP_COUNT,
) -> Path:
    """Install the app's log handlers on the root logger; return the log file's path.

    When the log file cannot be created (read-only home, full disk) the app still
    starts: logging goes to stderr, with a warning that names the reason.

    ``debug`` logs everything at DEBUG, including httpx's request lines.
    ``console`` also writes warnings (everything with ``debug``) to stderr;
    stdout is left alone because ``twinedge-desktop token`` prints only the token.
    """
    log_file = paths.log_file

    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OWNED, False)]:
        root.removeHandler(handler)
        handler.close()

    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = []
    file_error: OSError | None = None
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handlers.append(
            _PrivateRotatingFileHandler(
                log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
            )
        )
    except OSError as exc:
        # A read-only or full disk must not stop the app: log to stderr and say why.
        file_error = exc
        console = True
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.DEBUG if debug else logging.WARNING)
        handlers.append(stream)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
        setattr(handler, _OWNED, True)
        root.addHandler(handler)

    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)
    for name in FLOODING_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if debug else logging.WARNING)
    # warnings.warn(...) goes to the log too, through the same filters.
    logging.captureWarnings(True)
    if file_error is not None:
        logging.getLogger(__name__).warning(
            "Cannot write the log file %s (%s); logging to stderr only.",
            log_file,
            file_error.strerror or file_error,
        )
    return log_file
