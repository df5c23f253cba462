"""What every subcommand shares: exit codes, the one usage error, and where messages go.

Exit codes: 0 success; 1 the command could not do its job; 2 bad usage; 141 (quietly)
when whatever read stdout stopped reading. stdout
carries only results (so ``$(twinedge-desktop token)`` works); everything meant for
the person goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from twinedge_desktop.vault import KeychainUnavailable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
# The reader of stdout went away (``twinedge-desktop status | head -3``): what a program
# ended by SIGPIPE reports (128 + 13), as git and coreutils do; nothing is printed.
EXIT_BROKEN_PIPE = 141


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


# Characters that can act on a terminal or hide what is shown: C0/C1 controls (ESC starts
# colour, cursor and title sequences; CR overwrites a line), format characters (bidi
# overrides such as U+202E reorder what follows), line and paragraph separators, lone
# surrogates (bytes of a file name that are not UTF-8), private-use and unassigned ones.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def terminal_safe(text: str) -> str:
    """``text`` fit for a terminal: every character that could drive it or disguise the
    output is shown as a visible escape (``\\x1b``, ``\\u202e``, ``\\n``), never sent.

    The one sanitizer for what comes from elsewhere: server text (key and application
    names, ids), file names found by ``scan``. Escapes, not "?": a file name must stay
    recognisable, and two different hostile names must not look alike. A byte of a file
    name that was not UTF-8 (a surrogate escape) is shown as that byte, ``\\xff``.
    """
    import unicodedata

    if text.isprintable():  # the usual case, and a fast one (also true for "")
        return text
    shown: list[str] = []
    for character in text:
        if unicodedata.category(character) not in _UNSAFE_CATEGORIES:
            shown.append(character)
        elif "\udc80" <= character <= "\udcff":
            shown.append(f"\\x{ord(character) - 0xDC00:02x}")
        else:
            shown.append(character.encode("unicode_escape").decode("ascii"))
    return "".join(shown)


def keychain_problem(profile_name: str, error: KeychainUnavailable) -> str:
    """What to say when the keychain that holds the sign-in cannot be used (locked, absent).

    Not "Not signed in … run login": the person may well be signed in, and signing in
    again would fail the same way. The keychain's own sentence says how to unlock or
    start it. (The SDK reads this text from ``token --json``'s stderr and passes it on.)
    """
    return f"Your sign-in to {profile_name} cannot be read: {error.user_message}"
