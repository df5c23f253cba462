"""A named pipe for tests that must never block on it, even when the code under test does."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def named_pipe(path: Path) -> Iterator[Path]:
    """Create a FIFO at ``path``; on exit, release anyone still blocked opening it to read.

    Code that opens a FIFO for reading without ``O_NONBLOCK`` waits for a writer forever,
    in a worker thread that the interpreter then waits for at exit. Opening the write end
    without blocking lets such a reader go (it reads end-of-file) so a regression fails
    its test instead of hanging the whole run; with no reader waiting it does nothing.
    """
    os.mkfifo(path)
    try:
        yield path
    finally:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: nobody has it open to read, as it should be
                raise
        else:
            os.close(descriptor)
