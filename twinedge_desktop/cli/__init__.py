"""The ``twinedge-desktop`` command: the window, and a few subcommands for terminals.

Only argparse is imported here; each command imports its own machinery when it
runs, so ``--help``, ``--version`` and the window's startup stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from twinedge_desktop import __version__
from twinedge_desktop.cli.common import add_profile_option

Handler = Callable[[argparse.Namespace], int]


def _run_gui(args: argparse.Namespace) -> int:
    from twinedge_desktop.app import run

    return run(args)


def _run_sandbox(args: argparse.Namespace) -> int:
    from twinedge_desktop.cli.sandbox import run

    return run(args)


def _run_auth_command(args: argparse.Namespace) -> int:
    from twinedge_desktop.cli import auth as auth_cli

    handlers: dict[str, Handler] = {
        "login": auth_cli.run_login,
        "status": auth_cli.run_status,
        "token": auth_cli.run_token,
        "logout": auth_cli.run_logout,
    }
    return handlers[args.command](args)


def _run_apps(args: argparse.Namespace) -> int:
    from twinedge_desktop.cli.apps import run

    return run(args)


def _run_inspect(args: argparse.Namespace) -> int:
    from twinedge_desktop.cli.inspect import run

    return run(args)


def _run_keys(args: argparse.Namespace) -> int:
    from twinedge_desktop.cli.keys import run

    return run(args)


def _run_scan(args: argparse.Namespace) -> int:
    from twinedge_desktop.cli.scan import run

    return run(args)


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage, which is what every subcommand promises."""


def _add_window_options(parser: argparse.ArgumentParser) -> None:
    """The options of the window itself (no subcommand): the whole parser's, and the one
    :func:`_window_only` reads them with."""
    parser.add_argument("--profile", metavar="P", help="profile to use (default: the current one)")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="start the embedded TwinEdge sandbox on a free loopback port and select its profile",
    )
    parser.add_argument("--debug", action="store_true", help="log at debug level")
    parser.set_defaults(handler=_run_gui, command=None)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="twinedge-desktop",
        description="Sign in to TwinEdge, manage API keys and inspect tokens. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_window_options(parser)

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local TwinEdge sandbox server",
        description="Run the local TwinEdge sandbox (authorization server + API) on loopback.",
    )
    from twinedge_desktop.cli.sandbox import add_arguments as add_sandbox_arguments

    add_sandbox_arguments(sandbox)
    sandbox.set_defaults(handler=_run_sandbox)

    login = commands.add_parser(
        "login",
        help="sign in with your system browser (OAuth 2.0 + PKCE)",
        description="Sign in with the system browser. Honours $BROWSER; prints the sign-in "
        "link so you can open it yourself when no browser opens.",
    )
    add_profile_option(login, "profile to sign in to")
    login.add_argument("--issuer", metavar="URL", help="authorization server to discover")
    login.add_argument("--client-id", metavar="ID", help="client id registered for this app")
    login.add_argument(
        "--api-url",
        metavar="URL",
        help="the server's REST API (ending in /v1); wins over the address its metadata names",
    )
    login.add_argument("--scope", metavar="SCOPE", nargs="+", help="scopes to ask for")
    login.add_argument(
        "--no-browser", action="store_true", help="do not open a browser; only print the link"
    )
    login.add_argument(
        "--timeout", type=float, default=300.0, metavar="S", help="give up after S seconds"
    )
    login.set_defaults(handler=_run_auth_command)

    for name, text in (
        ("status", "who is signed in where, and until when"),
        ("token", "print a fresh access token (only the token, for scripts)"),
        ("logout", "sign out: revoke at the server and forget the stored tokens"),
    ):
        sub = commands.add_parser(name, help=text, description=text[:1].upper() + text[1:] + ".")
        add_profile_option(sub, "profile (default: the current one)")
        if name == "status":
            sub.add_argument("--json", action="store_true", help="print one JSON document")
        if name == "token":
            sub.add_argument(
                "--json",
                action="store_true",
                help='print {"access_token", "expires_at", "scopes", "profile", "api_base", '
                '"issuer"} as one JSON document',
            )
            sub.add_argument(
                "--rejected",
                metavar="TOKEN|-",
                help="the API refused this access token (401): print a renewed one, unless "
                "the stored token is already a different one; - reads it from stdin (keeps it "
                "out of the process list)",
            )
        sub.set_defaults(handler=_run_auth_command)

    apps = commands.add_parser(
        "apps",
        help="OAuth applications: list, create, rotate-secret, delete",
        description="Manage the OAuth applications you registered (an admin: the "
        "organisation's), as the current profile's signed-in person.",
    )
    from twinedge_desktop.cli.apps import add_arguments as add_apps_arguments

    add_apps_arguments(apps)
    apps.set_defaults(handler=_run_apps)

    inspect = commands.add_parser(
        "inspect",
        help="decode, explain and verify a JWT (or recognise an API key)",
        description="Decode, explain and verify a token. Exit 0 valid, 1 invalid or "
        "unreadable, 2 bad usage.",
    )
    inspect.add_argument("token", nargs="?", metavar="TOKEN", help="the token, or - for stdin")
    inspect.add_argument("--jwks", metavar="URL|FILE", help="JWKS URL or file (or a PEM file)")
    inspect.add_argument("--issuer", metavar="ISS", help="expected issuer")
    inspect.add_argument("--audience", metavar="AUD", help="expected audience")
    add_profile_option(inspect, "verify against this profile's issuer")
    inspect.add_argument(
        "--leeway", type=int, default=60, metavar="S", help="clock leeway in seconds (60)"
    )
    inspect.add_argument("--json", action="store_true", help="print one JSON document")
    inspect.set_defaults(handler=_run_inspect)

    from twinedge_desktop.cli import keys as keys_cli
    from twinedge_desktop.cli import scan as scan_cli

    keys = commands.add_parser(
        "keys",
        help="list, create and revoke your API keys",
        description="API keys from a terminal: list, create (the secret is printed once, alone "
        "on stdout), revoke by id or prefix.",
    )
    keys_cli.add_arguments(keys)
    keys.set_defaults(handler=_run_keys)
    scan = commands.add_parser(
        "scan",
        help="find TwinEdge API keys in files (and git history with --git)",
        description="Find TwinEdge API keys in files and, with --git, in every commit. Keys are "
        "checked offline by their checksum, matched to yours by prefix, and shown masked. "
        "Exit 1 when a key that works (or may) is found, 0 otherwise, 2 bad usage.",
    )
    scan_cli.add_arguments(scan)
    scan.set_defaults(handler=_run_scan)
    return parser


# Arguments that name files. A file name may be any bytes (Python keeps the ones that are
# not UTF-8 as surrogate escapes, and gives them back to the system unchanged); they are
# used as paths, never sent to a server or stored as text, so they are not checked here.
_FILE_ARGUMENTS = frozenset({"paths", "exclude", "data", "jwks"})


def _option_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Every argument's destination → how a person writes it (``--client-id``, ``NAME``)."""
    names: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                for dest, shown in _option_names(child).items():
                    names.setdefault(dest, shown)
            continue
        long_options = [o for o in action.option_strings if o.startswith("--")]
        shown = (long_options or action.option_strings or [str(action.metavar or action.dest)])[0]
        names.setdefault(action.dest, str(shown))
    return names


def _text_problem(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """Why an argument that must be text is not, or None.

    Bytes that are not UTF-8 (``$'\\xff'`` in a shell) reach Python as lone surrogates;
    such a name, scope, address or id cannot be encoded into a request, a URL or the
    keychain, and deep down that was a UnicodeEncodeError traceback. Checked once here,
    for every subcommand, before anything runs: bad usage, exit 2.
    """
    for dest, value in vars(args).items():
        if dest in _FILE_ARGUMENTS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any("\ud800" <= ch <= "\udfff" for ch in item):
                # Where, never what: the value may be a password or a token.
                position = next(i for i, ch in enumerate(item) if "\ud800" <= ch <= "\udfff")
                option = _option_names(parser).get(dest, dest)
                return (
                    f"{option} is not text: character {position + 1} is a byte that is not "
                    "UTF-8. Give it as UTF-8 text."
                )
    return None


def _stdout_gone() -> int:
    """stdout's reader left early. Point stdout at /dev/null so the interpreter's final
    flush cannot fail again ("Exception ignored … BrokenPipeError"), and end quietly."""
    import os

    from twinedge_desktop.cli.common import EXIT_BROKEN_PIPE

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout with no descriptor (a test's capture): nothing to do
        pass
    return EXIT_BROKEN_PIPE


def _window_only(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace] | None:
    """The arguments when they only open the window (nothing, ``--profile``, ``--sandbox``,
    ``--debug``); None for anything else, which the whole parser then reads and reports.

    Building the whole parser, with every subcommand's, costs the window's start ~40 M
    instructions (argparse asks for translations and the terminal's size for each
    subcommand; measured with valgrind, ~7 ms, most of the first frame's regression since
    the subcommands grew from 5 to 12). The window's own options need none of it.
    """
    window = _Parser(prog="twinedge-desktop", add_help=False, exit_on_error=False)
    _add_window_options(window)
    try:
        args, rest = window.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None  # the whole parser says what is wrong, with its usage line
    if rest:
        return None  # a subcommand, --help, --version, anything else
    return window, args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arguments = list(sys.argv[1:] if argv is None else argv)
        window_only = _window_only(arguments)
        if window_only is not None:
            parser, args = window_only
        else:
            parser = build_parser()
            args = parser.parse_args(arguments)  # --help and --version print here
        problem = _text_problem(parser, args)
        if problem is not None:
            from twinedge_desktop.cli.common import EXIT_USAGE, say

            say(f"Error: {problem}")
            return EXIT_USAGE
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_gone()


if __name__ == "__main__":
    raise SystemExit(main())
