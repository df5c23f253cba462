"""``twinedge-desktop apps list | create | rotate-secret | delete``: OAuth applications on a
terminal, as the current profile's signed-in person (restored from the keychain, like
``token`` and ``status``).

stdout carries only results, so scripts can capture them:

- ``list``: the table, or one JSON document with ``--json``;
- ``create``: the new client secret alone (``web``, ``service``), or the client id alone
  (``spa``, ``native``: public clients have no secret); ``--json`` prints the app and its
  secret as one JSON document instead;
- ``rotate-secret``: the new secret alone;
- ``delete``: nothing.

Everything meant for the person goes to stderr. Exit codes (``cli/common.py``): 0 done;
1 the command could not do its job (not signed in, refused by the server, not found,
declined); 2 bad usage (an invalid name, redirect URI or scope, checked with the same
rules as the server before anything is sent). ``delete`` asks first when stdin is a
terminal, unless ``--yes``.

Nothing but argparse is needed until a command runs: ``add_arguments`` is called on
every start of the program (``--version``, the window), so other imports wait inside
the functions that use them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from twinedge_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_profile_option,
    say,
    terminal_safe,
)
from twinedge_desktop.cli.session import run_async_command, signed_in

if TYPE_CHECKING:
    from datetime import datetime

    from twinedge_desktop.api.apps import OAuthApp, OAuthAppsService

APPLICATION_TYPES = ("web", "spa", "native", "service")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``apps`` actions and their options (argparse only)."""
    _add_profile(parser)
    actions = parser.add_subparsers(dest="apps_action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="list your OAuth applications (an admin sees the organisation's)",
        description="List your OAuth applications, newest first (an admin sees every "
        "application of the organisation).",
    )
    _add_profile(listing)
    listing.add_argument("--json", action="store_true", help="print one JSON document")

    create = actions.add_parser(
        "create",
        help="register an OAuth application",
        description="Register an OAuth application. Prints its client secret alone on stdout "
        "(web and service applications; shown this once), or its client id (spa and native "
        "applications, which have no secret). Details go to stderr.",
    )
    _add_profile(create)
    create.add_argument("name", metavar="NAME", help="the application's name (1-100 characters)")
    create.add_argument(
        "--type",
        dest="application_type",
        required=True,
        choices=APPLICATION_TYPES,
        help="web (confidential, server-side), spa (public, in a browser), native (public, "
        "mobile or desktop), service (client credentials only)",
    )
    create.add_argument(
        "--redirect-uri",
        dest="redirect_uris",
        metavar="URI",
        nargs="+",
        action="extend",
        default=[],
        help="where the browser returns after sign-in (repeatable; none for service)",
    )
    create.add_argument(
        "--scope",
        dest="scopes",
        metavar="S",
        nargs="+",
        action="extend",
        required=True,
        help="scopes the application may ask for, within your own (e.g. read:assets)",
    )
    create.add_argument(
        "--json", action="store_true", help="print the application and its secret as JSON"
    )

    rotate = actions.add_parser(
        "rotate-secret",
        help="give an application a new client secret (printed alone on stdout)",
        description="Give a web or service application a new client secret, printed alone "
        "on stdout. The previous secret keeps working for 24 hours unless --revoke-previous.",
    )
    _add_profile(rotate)
    rotate.add_argument("app", metavar="ID", help="the application's id or client id")
    rotate.add_argument(
        "--revoke-previous",
        action="store_true",
        help="make the previous secret stop working now instead of in 24 hours",
    )

    delete = actions.add_parser(
        "delete",
        help="delete an application (its client id stops working at once)",
        description="Delete an OAuth application: its client id stops working at once and "
        "every token it was issued is revoked. Asks first on a terminal unless --yes.",
    )
    _add_profile(delete)
    delete.add_argument("app", metavar="ID", help="the application's id or client id")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def _add_profile(parser: argparse.ArgumentParser) -> None:
    # The option may come anywhere (``--profile P apps list``, ``apps --profile P list``,
    # ``apps list --profile P``) without a later default erasing an earlier value.
    add_profile_option(parser, "profile (default: current)")


def run(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace, OAuthAppsService], Coroutine[Any, Any, int]]]
    handlers = {
        "list": _list,
        "create": _create,
        "rotate-secret": _rotate_secret,
        "delete": _delete,
    }
    action = handlers[args.apps_action]

    async def as_the_signed_in_person(args: argparse.Namespace) -> int:
        async with signed_in(getattr(args, "profile", None), purpose=_PURPOSE) as account:
            return await action(args, account.apps)

    return run_async_command(args, as_the_signed_in_person, check_usage=_check_usage)


_PURPOSE = "OAuth applications"


def _check_usage(args: argparse.Namespace) -> None:
    if args.apps_action == "create":
        _check_new_app(args)


# -- list ----------------------------------------------------------------------------------


def app_json(app: OAuthApp) -> dict[str, Any]:
    """The API's ``OAuthApp`` form (for ``--json``)."""
    from twinedge_desktop.api.models import format_rfc3339

    return {
        "id": app.id,
        "client_id": app.client_id,
        "name": app.name,
        "application_type": app.application_type.value,
        "redirect_uris": list(app.redirect_uris),
        "scopes": list(app.scopes),
        "created_at": format_rfc3339(app.created_at),
        "created_by": app.created_by,
        "secret_hint": app.secret_hint,
        "previous_secret_expires_at": (
            format_rfc3339(app.previous_secret_expires_at)
            if app.previous_secret_expires_at is not None
            else None
        ),
    }


def _secret_column(app: OAuthApp, now: datetime) -> str:
    from twinedge_desktop.timefmt import relative_time

    if not app.is_confidential:
        return "none (public)"
    text = f"…{terminal_safe(app.secret_hint or '')}"
    if app.previous_secret_works(now):
        text += f" (old one ends {relative_time(app.previous_secret_expires_at, now)})"
    return text


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


async def _list(args: argparse.Namespace, service: OAuthAppsService) -> int:
    import json

    from twinedge_desktop.timefmt import relative_time, utc_now

    apps = await service.list_all()
    if args.json:
        print(json.dumps([app_json(app) for app in apps], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not apps:
        say(
            "No OAuth applications yet. Register one with: twinedge-desktop apps create NAME "
            "--type web|spa|native|service --redirect-uri URI --scope SCOPE"
        )
        return EXIT_OK
    now = utc_now()
    rows = [("ID", "NAME", "TYPE", "CLIENT ID", "SCOPES", "SECRET", "CREATED")]
    rows += [
        (
            terminal_safe(app.id),
            terminal_safe(app.name),
            app.application_type.value,
            terminal_safe(app.client_id),
            terminal_safe(" ".join(app.scopes)),
            _secret_column(app, now),
            relative_time(app.created_at, now),
        )
        for app in apps
    ]
    print(_table(rows), flush=True)
    return EXIT_OK


# -- create --------------------------------------------------------------------------------


def _scopes(raw: Sequence[str]) -> list[str]:
    """``--scope a b`` and ``--scope "a b"`` and ``--scope a,b`` alike, each scope once."""
    scopes: list[str] = []
    for item in raw:
        for part in item.replace(",", " ").split():
            if part not in scopes:
                scopes.append(part)
    return scopes


def _check_new_app(args: argparse.Namespace) -> None:
    """The server's own rules (``oauth_apps_rules``), before anything is sent."""
    from twinedge_desktop.oauth_apps_rules import (
        ApplicationType,
        check_redirect_uris,
        name_problem,
        scopes_problem,
    )

    problems: list[str] = []
    name = name_problem(args.name)
    if name is not None:
        problems.append(f"The name {name}.")
    check = check_redirect_uris(ApplicationType(args.application_type), args.redirect_uris)
    if check.list_problem is not None:
        problems.append(f"--redirect-uri: {check.list_problem}.")
    for uri, reason in zip(check.uris, check.reasons, strict=True):
        if reason is not None:
            problems.append(f"--redirect-uri {terminal_safe(uri)[:200]} {reason}.")
    scopes = scopes_problem(_scopes(args.scopes))
    if scopes is not None:
        problems.append(f"--scope: {scopes}.")
    if problems:
        raise UsageError("\n  ".join(["the application was not registered:", *problems]))


async def _create(args: argparse.Namespace, service: OAuthAppsService) -> int:
    import json

    from twinedge_desktop.api.apps import ApplicationType, new_idempotency_key

    application_type = ApplicationType(args.application_type)
    # One key for this create: the client retries lost responses with it (one app, one secret).
    created = await service.create(
        args.name,
        application_type,
        args.redirect_uris,
        _scopes(args.scopes),
        idempotency_key=new_idempotency_key(),
    )
    app = created.app
    if args.json:
        print(
            json.dumps(
                {**app_json(app), "client_secret": created.client_secret},
                indent=2,
                ensure_ascii=False,
            ),
            flush=True,
        )
    say(f"Registered “{terminal_safe(app.name)}” ({application_type.label.lower()}).")
    say(f"  ID:            {terminal_safe(app.id)}")
    say(f"  Client ID:     {terminal_safe(app.client_id)}")
    if app.redirect_uris:
        say(f"  Redirect URIs: {terminal_safe(' '.join(app.redirect_uris))}")
    say(f"  Scopes:        {terminal_safe(' '.join(app.scopes))}")
    if created.client_secret is not None:
        if not args.json:
            sys.stdout.write(created.client_secret + "\n")
            sys.stdout.flush()
        say(
            "The client secret is on stdout and is shown this once: store it now "
            "(for example in your secret manager)."
        )
    else:
        if not args.json:
            sys.stdout.write(app.client_id + "\n")
            sys.stdout.flush()
        say("A public client has no secret: the client id is on stdout; sign in with PKCE.")
    return EXIT_OK


# -- rotate-secret and delete --------------------------------------------------------------


async def _resolve(service: OAuthAppsService, reference: str) -> OAuthApp:
    """The app named by its id or, failing that, by its client id."""
    from twinedge_desktop.api.errors import NotFound

    try:
        return await service.get(reference)
    except NotFound:
        pass
    for app in await service.list_all():
        if app.client_id == reference:
            return app
    raise NotFound(
        f"No OAuth application with the id or client id {terminal_safe(reference)[:120]!r} "
        "(among those you may manage)."
    )


async def _rotate_secret(args: argparse.Namespace, service: OAuthAppsService) -> int:
    from twinedge_desktop.api.apps import new_idempotency_key
    from twinedge_desktop.timefmt import absolute_time, format_countdown, utc_now

    app = await _resolve(service, args.app)
    if not app.is_confidential:
        raise UsageError(
            f"“{terminal_safe(app.name)}” is a {app.application_type.value} application: a "
            "public client has no secret to rotate."
        )
    rotated = await service.rotate_secret(
        app.id, revoke_previous=args.revoke_previous, idempotency_key=new_idempotency_key()
    )
    sys.stdout.write(rotated.client_secret + "\n")
    sys.stdout.flush()
    say(
        f"New client secret for “{terminal_safe(app.name)}” (client id "
        f"{terminal_safe(app.client_id)}) is on stdout, shown this once."
    )
    until = rotated.previous_secret_expires_at
    if until is None:
        say("The previous secret stopped working now.")
    else:
        say(
            f"The previous secret keeps working until {absolute_time(until)} "
            f"({format_countdown(until, utc_now())}): update your deployments before then."
        )
    return EXIT_OK


async def _confirmed(app: OAuthApp) -> bool:
    say(
        f"Delete OAuth application “{terminal_safe(app.name)}” (client id "
        f"{terminal_safe(app.client_id)})? Its client id stops working at once and every "
        "token it was issued is revoked."
    )
    import asyncio

    print("Delete it? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = await asyncio.to_thread(sys.stdin.readline)
    return answer.strip().lower() in ("y", "yes")


async def _delete(args: argparse.Namespace, service: OAuthAppsService) -> int:
    app = await _resolve(service, args.app)
    # As ``keys revoke``: a person at a terminal is asked; a script (stdin not a terminal)
    # has said what it wants by running the command.
    if sys.stdin.isatty() and not args.yes and not await _confirmed(app):
        say("Nothing was deleted.")
        return EXIT_FAILED
    deleted = await service.delete(app.id)
    name = terminal_safe(app.name)
    if deleted:
        say(f"Deleted “{name}”: client id {terminal_safe(app.client_id)} no longer works.")
    else:
        say(f"“{name}” had already been deleted.")
    return EXIT_OK
