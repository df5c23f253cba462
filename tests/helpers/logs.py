"""The app's real logging setup in a test: what a log line looks like once it is in the file.

``redacted_log`` installs :func:`twinedge_desktop.logging_setup.configure_logging` (the
file handler with its RedactingFilter, as the window and the command line do) on a
private directory, starts from an empty secret registry, and puts the root logger
back afterwards. ``redacted_log.written(value)`` logs a line holding ``value`` bare
(no field name around it, so no pattern can know it is a secret) and returns what the
file received.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from twinedge_desktop.config import AppPaths
from twinedge_desktop.logging_setup import configure_logging
from twinedge_desktop.redaction import REDACTED, forget_all_secrets


class RedactedLog:
    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self._count = 0

    def written(self, value: str) -> str:
        """Log ``value`` bare in a line of its own; return that line as the file has it."""
        self._count += 1
        marker = f"probe-{self._count}"
        logging.getLogger("twinedge_desktop.test").warning("%s saw %s here", marker, value)
        for handler in logging.getLogger().handlers:
            handler.flush()
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return next(line for line in lines if f"{marker} saw " in line)

    def hides(self, value: str) -> bool:
        """Whether a bare ``value`` is replaced in the log (and nothing else of the line)."""
        line = self.written(value)
        return value not in line and f"saw {REDACTED} here" in line


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The root logger's handlers and level, and an empty secret registry, before and after
    (a command run in-process installs its own handlers)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    forget_all_secrets()
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)
    forget_all_secrets()


@pytest.fixture
def redacted_log(tmp_path: Path, restored_logging: None) -> RedactedLog:
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    return RedactedLog(configure_logging(paths, debug=False, console=False))


def has_traceback(record: logging.LogRecord) -> bool:
    """Whether ``record`` carries a traceback: as ``exc_info``, or as the ``exc_text`` the
    app's RedactingFilter leaves in its place once a handler has redacted it."""
    return bool(record.exc_info or record.exc_text)
