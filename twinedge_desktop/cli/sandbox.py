"""``twinedge-desktop sandbox`` / ``python -m twinedge_desktop.sandbox``: the sandbox in the
foreground.

Only the standard library is imported at module level: the main command line
imports this module to build its ``--help``.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; a non-loopback address also needs "
        "--allow-remote)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        metavar="N",
        help="port to listen on (default 8765; 0 picks a free port)",
    )
    parser.add_argument(
        "--data",
        default=":memory:",
        metavar="FILE",
        help="SQLite file that keeps users, keys, tokens and the signing key across restarts "
        "(default :memory:, forgotten on exit)",
    )
    parser.add_argument(
        "--password",
        default="twinedge-demo",
        metavar="PASSWORD",
        help="password of the demo users (default twinedge-demo)",
    )
    parser.add_argument(
        "--test-controls",
        action="store_true",
        help="enable /_sandbox/ endpoints that inject faults, shift the clock, rotate the "
        "signing key and set the rate limit (loopback only)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow listening on a non-loopback address (anyone who can reach it can sign in "
        "with the demo password)",
    )
    parser.add_argument(
        "--demo-data",
        action="store_true",
        help="start a fresh data file with demo API keys for engineer@example.com and months "
        "of usage history (an existing data file is never changed)",
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (secrets redacted)"
    )


def _banner(
    base_url: str,
    data: str,
    password: str,
    secret: str,
    test_controls: bool,
    demo_data: str | None = None,
) -> str:
    from twinedge_desktop.sandbox.state import DEMO_USERS, ORG_ID, SERVICE_CLIENT_ID

    users = "\n".join(f"    {user.email:<24} {' '.join(user.scopes)}" for user in DEMO_USERS)
    lines = [
        f"TwinEdge sandbox listening on {base_url}",
        f"  issuer          {base_url}",
        f"  discovery       {base_url}/.well-known/oauth-authorization-server",
        f"  API             {base_url}/v1",
        f"  data            {data if data != ':memory:' else 'in memory (forgotten on exit)'}",
        f"  demo org        {ORG_ID}; users (password: {password}):",
        users,
        "  desktop client  twinedge-desktop (public, PKCE S256, loopback redirect)",
        f"  service client  {SERVICE_CLIENT_ID}",
        f"  service secret  {secret}",
    ]
    if demo_data:
        lines.append(f"  demo data       {demo_data}")
    if test_controls:
        lines.append("  test controls   enabled under /_sandbox/")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C (or SIGTERM). Returns the exit status."""
    # Imported here, not at module level: the main CLI imports this module for --help.
    from twinedge_desktop.sandbox.embedded import is_loopback

    host: str = args.host
    loopback = is_loopback(host)
    if not loopback and args.test_controls:
        print("error: --test-controls is available on a loopback address only.", file=sys.stderr)
        return 2
    if not loopback and not getattr(args, "allow_remote", False):
        print(
            f"error: refusing to listen on {host}, which is not a loopback address. "
            "The sandbox's demo users have a published password; add --allow-remote if "
            "you really mean it.",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.port <= 65535:
        print("error: --port must be 0-65535.", file=sys.stderr)
        return 2

    import asyncio
    import logging

    from twinedge_desktop.redaction import RedactingFilter, register_secret
    from twinedge_desktop.sandbox.datafile import DataFileInUse
    from twinedge_desktop.sandbox.embedded import bind_socket, make_server, url_host
    from twinedge_desktop.sandbox.state import open_state

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    try:
        sock = bind_socket(host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    base_url = f"http://{url_host(host)}:{sock.getsockname()[1]}"
    try:
        state = open_state(
            data_path=args.data,
            base_url=base_url,
            test_controls=args.test_controls,
            demo_password=args.password,
            demo_data=bool(getattr(args, "demo_data", False)),
        )
    except DataFileInUse as exc:
        sock.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a broken or unreadable data file
        sock.close()
        print(f"error: cannot open the sandbox data {args.data!r}: {exc}", file=sys.stderr)
        return 1
    # The banner shows both (its job); the log must not, wherever they turn up in it
    # (an access-log line with one pasted into a query string, say).
    register_secret(state.service_client_secret)
    register_secret(args.password)
    server = make_server(
        state, sock, access_log=bool(getattr(args, "access_log", False)), log_level="info"
    )
    demo_note = None
    if getattr(args, "demo_data", False):
        demo_note = (
            "demo API keys with usage history added for engineer@example.com"
            if state.demo_data_added
            else "not added: the data file already holds data (demo data goes only into "
            "a fresh file)"
        )
    print(
        _banner(
            base_url,
            args.data,
            args.password,
            state.service_client_secret,
            args.test_controls,
            demo_note,
        ),
        flush=True,
    )
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        state.close()
        sock.close()
    print("Sandbox stopped.", flush=True)
    return 0
