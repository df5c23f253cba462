"""What every subcommand shares: exit codes, the one usage error, and where messages go.

Exit codes: 0 success; 1 the command could not do its job; 2 bad usage. stdout
carries only results (so ``$(twinedge-desktop token)`` works); everything meant for
the person goes to stderr.
"""

from __future__ import annotations

import argparse
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


def add_profile_option(parser: argparse.ArgumentParser, text: str) -> None:
    """``--profile P`` on ``parser``, meaning the same wherever it is written.

    The default is ``argparse.SUPPRESS``: a subparser copies every attribute it sets onto
    the namespace, so a plain ``None`` default would erase ``--profile P`` given before
    the subcommand (``twinedge-desktop --profile cloud logout`` signed out of the current
    profile). Only the top-level parser sets the default (None); ``args.profile`` is then
    the last ``--profile`` written, before or after the subcommand.
    """
    parser.add_argument("--profile", metavar="P", default=argparse.SUPPRESS, help=text)
