"""What every subcommand shares: exit codes, the one usage error, and where messages go.

Exit codes: 0 success; 1 the command could not do its job; 2 bad usage. stdout
carries only results (so ``$(twinedge-desktop token)`` works); everything meant for
the person goes to stderr.
"""

from __future__ import annotations

import sys
from typing import TextIO

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad usage (a wrong option value, a missing argument): reported with exit code 2."""


def say(text: str, stream: TextIO | None = None) -> None:
    """A line for the person: stderr unless another stream is given."""
    print(text, file=stream or sys.stderr, flush=True)
