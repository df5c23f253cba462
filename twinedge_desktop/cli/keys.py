"""``twinedge-desktop keys list | create | revoke``: API keys from a terminal.

Exit codes: 0 done; 1 the command could not do its job (not signed in, server or
keychain problem, key not found, revocation declined); 2 bad usage (unknown
scope, bad date, ambiguous prefix, a value the server refused).

``create`` prints the new secret alone on stdout (so ``KEY=$(twinedge-desktop keys
create …)`` works) and everything else on stderr. It sends one ``Idempotency-Key``
for the whole command and retries once on a lost response with that same key:
the server then replays the first answer, so a dropped connection never makes a
second key (nor loses the first one's secret).

Only argparse is imported at module level: the parser is built at every start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twinedge_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    add_profile_option,
    say,
    terminal_safe,
)
from twinedge_desktop.cli.session import run_async_command, signed_in

if TYPE_CHECKING:
    from twinedge_desktop.api.models import ApiKey

DEFAULT_DAYS = 90  # the seed: "Rotate keys every 90 days"
MAX_DAYS = 3650
MIN_PREFIX_CHARS = 6  # "te_" and three more: shorter would match nearly every key
# One retry on a lost response: the Idempotency-Key makes it safe, and a second
# failure in a row is worth telling the person about rather than hammering on.
CREATE_ATTEMPTS = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser(
        "list", help="list your API keys", description="List your API keys, newest first."
    )
    listing.add_argument("--json", action="store_true", help="print one JSON document")

    create = actions.add_parser(
        "create",
        help="create a key; prints the secret once, alone on stdout",
        description="Create an API key. The secret is printed once, alone on stdout; copy it "
        f"now. Expires in {DEFAULT_DAYS} days unless --expires, --days or --no-expiry says "
        "otherwise (the seed: rotate keys every 90 days).",
    )
    create.add_argument("name", metavar="NAME", help="a name that says what uses the key")
    create.add_argument(
        "--scope",
        dest="scopes",
        metavar="S",
        nargs="+",
        action="extend",
        required=True,
        help="scopes (read:assets write:assets read:telemetry write:telemetry read:alerts "
        "write:alerts admin); repeat or list several",
    )
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires", metavar="DATE", help="expiry: YYYY-MM-DD (00:00 UTC) or an RFC 3339 time"
    )
    expiry.add_argument(
        "--days", type=int, metavar="N", help=f"expire in N days (default {DEFAULT_DAYS})"
    )
    expiry.add_argument("--no-expiry", action="store_true", help="never expire (not recommended)")

    revoke = actions.add_parser(
        "revoke",
        help="revoke a key by id or prefix",
        description="Revoke a key, given its id or its prefix (te_…, unique). Anything using "
        "it stops working at once. Asks first on a terminal unless --yes.",
    )
    revoke.add_argument("reference", metavar="ID|PREFIX", help="the key's id or prefix")
    revoke.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    add_profile_option(parser, "profile (default: the current one)")
    for sub in (listing, create, revoke):
        add_profile_option(sub, "profile (default: the current one)")


def run(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
        "list": _list,
        "create": _create,
        "revoke": _revoke,
    }
    return run_async_command(args, handlers[args.keys_action])


_PURPOSE = "API keys"


# -- list --------------------------------------------------------------------------------------


def key_json(key: ApiKey, now: datetime) -> dict[str, Any]:
    from twinedge_desktop.api.models import format_rfc3339

    def time_or_none(value: datetime | None) -> str | None:
        return format_rfc3339(value) if value is not None else None

    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "status": key.status(now),
        "scopes": list(key.scopes),
        "created_at": format_rfc3339(key.created_at),
        "expires_at": time_or_none(key.expires_at),
        "last_used_at": time_or_none(key.last_used_at),
        "revoked_at": time_or_none(key.revoked_at),
        "created_by": key.created_by,
    }


def describe_expiry(key: ApiKey, now: datetime) -> str:
    from twinedge_desktop.timefmt import relative_time

    if key.revoked_at is not None:
        return "—"
    if key.expires_at is None:
        return "never"
    return relative_time(key.expires_at, now)


def _clip(text: str, width: int) -> str:
    """Server text for one table cell: runs of whitespace folded to one space, everything
    else that could drive the terminal escaped (``terminal_safe``), then cut to ``width``."""
    text = terminal_safe(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


async def _list(args: argparse.Namespace) -> int:
    import json

    from twinedge_desktop.scan.model import mask_prefix
    from twinedge_desktop.timefmt import relative_time, utc_now

    async with signed_in(args.profile, purpose=_PURPOSE) as account:
        keys = await account.keys.list_all()
    now = utc_now()
    if args.json:
        print(json.dumps({"data": [key_json(k, now) for k in keys]}, indent=2), flush=True)
        return EXIT_OK
    if not keys:
        say("You have no API keys. Create one: twinedge-desktop keys create NAME --scope …")
        return EXIT_OK
    rows = [("PREFIX", "NAME", "STATUS", "SCOPES", "CREATED", "EXPIRES", "LAST USED")]
    for key in keys:
        rows.append(
            (
                terminal_safe(mask_prefix(key.prefix)),
                _clip(key.name, 28),
                key.status(now),
                _clip(" ".join(key.scopes), 36),
                key.created_at.strftime("%Y-%m-%d"),
                describe_expiry(key, now),
                relative_time(key.last_used_at, now),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    sys.stdout.flush()
    return EXIT_OK


# -- create ------------------------------------------------------------------------------------


def parse_expiry(args: argparse.Namespace, now: datetime) -> datetime | None:
    """The expiry the options ask for; None for --no-expiry. UsageError for a bad value."""
    from datetime import UTC, timedelta

    if getattr(args, "no_expiry", False):
        return None
    if args.expires:
        from twinedge_desktop.api.models import TimeFormatError, parse_time

        text = str(args.expires).strip()
        try:
            if len(text) == 10:  # YYYY-MM-DD
                moment: datetime | None = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            else:
                # The API's own reader: every failure is a sentence, never an OverflowError
                # (``9999-12-31T23:59:59-23:59`` is past the year 9999 once in UTC).
                moment = parse_time(text)
        except TimeFormatError as exc:
            raise UsageError(
                f"--expires: {exc}. Use YYYY-MM-DD or an RFC 3339 time such as "
                "2030-01-31T12:00:00Z."
            ) from None
        except ValueError:
            raise UsageError(
                f"--expires {text[:40]!r} is not a date: use YYYY-MM-DD or an RFC 3339 time "
                "such as 2030-01-31T12:00:00Z."
            ) from None
        if moment is None:
            raise UsageError("--expires needs a date: YYYY-MM-DD or an RFC 3339 time.")
        if moment <= now:
            raise UsageError(
                f"--expires {text[:40]!r} is in the past; a key must expire in the future."
            )
        return moment.astimezone(UTC)
    days = DEFAULT_DAYS if args.days is None else int(args.days)
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(f"--days must be from 1 to {MAX_DAYS}.")
    return now + timedelta(days=days)


def _checked_scopes(raw: Sequence[str]) -> list[str]:
    from twinedge_desktop.scopes import ALL_SCOPE_NAMES, SCOPES_BY_NAME

    scopes: dict[str, None] = {}
    for item in raw:
        for part in str(item).replace(",", " ").split():
            if part not in SCOPES_BY_NAME:
                raise UsageError(f"Unknown scope {part!r}. Scopes: {' '.join(ALL_SCOPE_NAMES)}.")
            scopes.setdefault(part, None)
    if not scopes:
        raise UsageError("Give at least one --scope.")
    return list(scopes)


async def _create(args: argparse.Namespace) -> int:
    from twinedge_desktop.api.errors import NetworkError
    from twinedge_desktop.api.keys import new_idempotency_key
    from twinedge_desktop.scan.model import mask_prefix
    from twinedge_desktop.timefmt import format_countdown, utc_now

    name = " ".join(str(args.name).split())
    if not name:
        raise UsageError("The key needs a name that says what uses it.")
    scopes = _checked_scopes(args.scopes)
    expires_at = parse_expiry(args, utc_now())
    async with signed_in(args.profile, purpose=_PURPOSE) as account:
        service = account.services.api_keys_for(account.session, max_attempts=CREATE_ATTEMPTS)
        try:
            created = await service.create(
                name, scopes, expires_at, idempotency_key=new_idempotency_key()
            )
        except NetworkError as exc:
            # The server may have made the key and only its answer was lost (twice).
            say(f"Error: {exc.user_message}")
            say(
                "The key may have been created without its secret reaching you: check "
                "`twinedge-desktop keys list` and revoke a key named "
                f"“{name}” that you cannot use."
            )
            return EXIT_FAILED
    key = created.key
    # The secret alone on stdout; everything for the person on stderr.
    sys.stdout.write(created.secret + "\n")
    sys.stdout.flush()
    now = utc_now()
    expiry = (
        f"expires {key.expires_at:%Y-%m-%d %H:%M} UTC ({format_countdown(key.expires_at, now)})"
        if key.expires_at is not None
        else "never expires"
    )
    say(
        f"Created “{terminal_safe(key.name)}” ({terminal_safe(mask_prefix(key.prefix))}, id "
        f"{terminal_safe(key.id)}) with {terminal_safe(' '.join(key.scopes))}; {expiry}."
    )
    if key.expires_at is None:
        say(
            "Warning: this key never expires. Rotate it at least every 90 days, or create it "
            "with --days N."
        )
    say(
        "This is the only time the secret is shown: keep it in a secret store or an "
        "environment variable (TWINEDGE_API_KEY), never in a committed file."
    )
    return EXIT_OK


# -- revoke ------------------------------------------------------------------------------------


def resolve_reference(reference: str, keys: Sequence[ApiKey]) -> list[ApiKey]:
    """The keys ``reference`` (an id, or a prefix of a key's prefix) names.

    A whole key pasted by mistake is matched by its first 12 characters, the prefix.
    """
    from twinedge_desktop.keyformat import DISPLAY_PREFIX_LENGTH, KEY_PREFIX

    text = reference.strip().rstrip("…").rstrip(".")
    by_id = [k for k in keys if k.id == text]
    if by_id:
        return by_id
    if not text.startswith(KEY_PREFIX):
        return []
    if len(text) < MIN_PREFIX_CHARS:
        raise UsageError(
            f"A prefix needs at least {MIN_PREFIX_CHARS} characters (te_ and more); "
            "give the key's id or its prefix as `keys list` shows it."
        )
    text = text[:DISPLAY_PREFIX_LENGTH]
    return [k for k in keys if k.prefix.startswith(text)]


def _shown_reference(reference: str) -> str:
    """The reference as safe to print: never more of a key than its prefix."""
    from twinedge_desktop.scan.model import mask_prefix

    text = reference.strip()
    if text.startswith("te_") and len(text) > 12:
        return mask_prefix(text)
    return text[:80]


def _last_used(key: ApiKey, now: datetime) -> str:
    from twinedge_desktop.timefmt import relative_time

    if key.last_used_at is None:
        return "It was never used."
    when = f"{key.last_used_at:%Y-%m-%d %H:%M} UTC"
    return f"It was last used {relative_time(key.last_used_at, now)} ({when})."


def _confirm(question: str) -> bool:
    print(question + " [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


async def _revoke(args: argparse.Namespace) -> int:
    from twinedge_desktop.scan.model import mask_prefix
    from twinedge_desktop.timefmt import utc_now

    async with signed_in(args.profile, purpose=_PURPOSE) as account:
        keys = await account.keys.list_all()
        matches = resolve_reference(str(args.reference), keys)
        now = utc_now()
        shown = _shown_reference(str(args.reference))
        if not matches:
            say(
                f"No key of yours has the id or prefix {terminal_safe(shown)}. "
                "See: twinedge-desktop keys list"
            )
            return EXIT_FAILED
        if len(matches) > 1:
            say(
                f"{terminal_safe(shown)} matches {len(matches)} keys; give the id or a longer "
                "prefix:"
            )
            for key in matches:
                say(
                    terminal_safe(
                        f"  {key.id}  {mask_prefix(key.prefix)}  {key.status(now):8}  {key.name}"
                    )
                )
            return EXIT_USAGE
        key = matches[0]
        label = terminal_safe(f"“{key.name}” ({mask_prefix(key.prefix)}, id {key.id})")
        if key.revoked_at is not None:
            say(f"{label} was already revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC.")
            return EXIT_OK
        if sys.stdin.isatty() and not args.yes:
            question = (
                f"Revoke {label}? {_last_used(key, now)} Anything using it stops working at once."
            )
            if not _confirm(question):
                say("Not revoked.")
                return EXIT_FAILED
        await account.keys.revoke(key.id)
    say(f"Revoked {label}. {_last_used(key, now)}")
    return EXIT_OK
