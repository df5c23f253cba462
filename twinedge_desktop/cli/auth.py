"""``twinedge-desktop login | status | token | logout``: the sign-in services on a terminal.

Exit codes: 0 success; 1 the command could not do its job (not signed in,
sign-in failed, server or keychain problem); 2 bad usage (unknown profile,
missing issuer). stdout carries only results (``token`` prints only the token);
everything for the person goes to stderr. No tracebacks: every expected error
has a message written for people.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from twinedge_desktop.api.errors import ApiError
from twinedge_desktop.api.models import Me
from twinedge_desktop.auth.discovery import discover, is_secure_url
from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.auth.profiles import api_url_note, audience_of, profile_for_issuer
from twinedge_desktop.auth.session import (
    CredentialKind,
    Session,
    SessionInfo,
)
from twinedge_desktop.browser import open_url
from twinedge_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    keychain_problem,
    say,
)
from twinedge_desktop.config import (
    CLOUD_PROFILE,
    AppPaths,
    ConfigError,
    Profile,
    ProfileStore,
)
from twinedge_desktop.redaction import redact, register_secret
from twinedge_desktop.services import CoreServices
from twinedge_desktop.timefmt import format_countdown, format_duration, utc_now
from twinedge_desktop.vault import KeychainUnavailable

log = logging.getLogger(__name__)

_say = say


def _setup(args: argparse.Namespace) -> tuple[AppPaths, ProfileStore]:
    from twinedge_desktop.logging_setup import configure_logging

    paths = AppPaths.default()
    configure_logging(paths, bool(getattr(args, "debug", False)))
    return paths, ProfileStore.load(paths.profiles_file)


def _run(
    args: argparse.Namespace, body: Callable[[AppPaths, ProfileStore], Coroutine[Any, Any, int]]
) -> int:
    """Run ``body`` on a fresh event loop; turn every expected error into a message + code."""
    try:
        paths, store = _setup(args)
        return asyncio.run(body(paths, store))
    except (UsageError, ConfigError) as exc:
        _say(f"Error: {redact(str(exc))}")
        return EXIT_USAGE
    except (SignInError, ApiError, KeychainUnavailable) as exc:
        _say(f"Error: {exc.user_message}")
        return EXIT_FAILED
    except BrokenPipeError:
        raise  # the reader of stdout left (`| head`): main() ends quietly
    except OSError as exc:
        _say(f"Error: {redact(str(exc)) or type(exc).__name__}")
        return EXIT_FAILED


def _profile_for(store: ProfileStore, name: str | None) -> Profile:
    return store.get(name) if name else store.current


def _require_keychain(services: CoreServices) -> None:
    if services.keychain_error is not None:
        raise services.keychain_error


# -- browser ------------------------------------------------------------------------------


def system_browser_opener(enabled: bool = True) -> Callable[[str], bool]:
    """An ``open_browser`` for the terminal: ``$BROWSER`` as xdg-utils and Python read it
    (see :mod:`twinedge_desktop.browser`), else the platform's browser when there is a
    display. Without either (SSH, a container) nothing is launched: the printed link is
    the way in, and no console browser takes over the terminal."""

    def open_browser(url: str) -> bool:
        return enabled and open_url(url)

    return open_browser


# -- login -----------------------------------------------------------------------------------


def _requested_scopes(args: argparse.Namespace) -> tuple[str, ...] | None:
    raw = getattr(args, "scope", None)
    if not raw:
        return None
    scopes: list[str] = []
    for item in raw:
        for part in str(item).split():
            if part not in scopes:
                scopes.append(part)
    return tuple(scopes)


def _describe_user(info: SessionInfo) -> str:
    who = info.email or info.subject or "an unnamed account"
    if info.name and info.email:
        who = f"{info.name} <{info.email}>"
    if info.kind is CredentialKind.SERVICE:
        who = f"service client {info.subject}"
    return who


def run_login(args: argparse.Namespace) -> int:
    async def body(paths: AppPaths, store: ProfileStore) -> int:
        # Usage problems first: they need neither the keychain nor the network.
        if args.issuer and not is_secure_url(str(args.issuer).strip()):
            raise UsageError(
                "--issuer must be an https:// address (plain http:// only for a server on this "
                "computer, such as the sandbox)."
            )
        timeout = float(getattr(args, "timeout", 300.0))
        if not 0 < timeout <= 24 * 3600:  # also refuses nan
            raise UsageError(
                "--timeout must be a number of seconds above 0 and at most 86400 (a day)."
            )
        if args.client_id and not args.issuer:
            raise UsageError("--client-id needs --issuer (the server it is registered at).")
        api_url = getattr(args, "api_url", None)
        if api_url and not args.issuer:
            raise UsageError("--api-url needs --issuer (the server whose API it is).")
        if api_url and not is_secure_url(str(api_url).strip()):
            raise UsageError(
                "--api-url must be an https:// address (plain http:// only for a server on "
                "this computer, such as the sandbox)."
            )
        if not args.issuer:
            _profile_for(store, args.profile)  # an unknown profile is bad usage
        services = await CoreServices.create(paths, store)
        try:
            _require_keychain(services)
            if args.issuer:
                metadata = await discover(services.http, str(args.issuer).strip().rstrip("/"))
                profile = profile_for_issuer(
                    store,
                    metadata,
                    profile_id=args.profile,
                    client_id=args.client_id,
                    scopes=_requested_scopes(args),
                    api_url=api_url,
                )
                note = api_url_note(metadata, api_url)
                if note is not None:
                    _say(note)
            else:
                profile = _profile_for(store, args.profile)
                if _requested_scopes(args):
                    profile = replace(profile, scopes=_requested_scopes(args) or profile.scopes)
            session = services.session_for(profile)
            if args.issuer:
                session.use_metadata(metadata)  # discovered above: not fetched a second time

            def show_link(url: str) -> None:
                _say(
                    f"Signing in to {profile.name} ({profile.issuer}) in your browser.\n"
                    "If no browser opens, open this link yourself:\n\n"
                    f"  {url}\n"
                )
                _say(f"Waiting for the browser (up to {format_duration(timeout)}; Ctrl+C cancels)…")

            info = await session.sign_in_with_browser(
                open_browser=system_browser_opener(not args.no_browser),
                on_authorization_url=show_link,
                timeout=timeout,
            )
            found = await services.find_api_from_audience(session)
            saved = found[0] if found else profile
            if saved.audience is None and saved.api_base:
                # The API's audience, for the inspector's checks: what the token names.
                saved = replace(saved, audience=audience_of(await session.access_token()))
            store.put(saved, make_current=True)
            store.save()
            # Who it is: the sign-in already asked /me when the profile had an API, and
            # find_api_from_audience did when it found one; no third request.
            who = _describe_me(found[1]) if found else _describe_user(info)
            _say(f"Signed in to {saved.name} as {who}.")
            _say(f"Profile {saved.id!r} is now the current profile.")
            return EXIT_OK
        finally:
            await _close(services)

    return _run(args, body)


def _describe_me(me: Me) -> str:
    if me.name and me.email:
        return f"{me.name} <{me.email}>"
    return me.email or me.sub or "an unnamed account"


# -- status / token / logout --------------------------------------------------------------------


async def _restored(
    services: CoreServices, profile: Profile, *, describe: bool = True
) -> tuple[Session, bool]:
    session = services.session_for(profile)
    if services.keychain_error is not None:
        return session, False
    return session, await session.restore(describe=describe)


def _not_signed_in(session: Session, services: CoreServices) -> str:
    profile = session.profile
    if services.keychain_error is not None:
        return keychain_problem(profile.name, services.keychain_error)
    if session.signed_out_reason is not None:
        return f"{session.signed_out_reason.user_message} Run: twinedge-desktop login" + (
            f" --profile {profile.id}" if profile.id else ""
        )
    return (
        f"Not signed in to {profile.name} (profile {profile.id!r}). Run: twinedge-desktop login"
        + ("" if profile.id == CLOUD_PROFILE.id else f" --profile {profile.id}")
    )


def _status_json(profile: Profile, session: Session, signed_in: bool) -> dict[str, Any]:
    info = session.info if signed_in else None
    expires = info.access_expires_at if info else None
    return {
        "profile": profile.id,
        "profile_name": profile.name,
        "issuer": profile.issuer,
        "api_base": profile.api_base,
        "signed_in": signed_in,
        "kind": info.kind if info else None,
        "subject": info.subject if info else None,
        "email": info.email if info else None,
        "name": info.name if info else None,
        "org": info.org if info else None,
        "scopes": list(info.scopes) if info else [],
        "access_expires_at": _rfc3339(expires),
        "keychain": info.keychain if info else None,
        "signed_out_reason": (
            session.signed_out_reason.user_message if session.signed_out_reason else None
        ),
    }


def _until(moment: datetime | None) -> str:
    if moment is None:
        return "unknown (the server did not say)"
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({format_countdown(moment, utc_now())})"


def _rfc3339(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with ``Z``, whole seconds (what the SDK parses)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def run_status(args: argparse.Namespace) -> int:
    async def body(paths: AppPaths, store: ProfileStore) -> int:
        profile = _profile_for(store, args.profile)
        services = await CoreServices.create(paths, store)
        try:
            session, signed_in = await _restored(services, profile)
            if getattr(args, "json", False):
                data = _status_json(profile, session, signed_in)
                if not signed_in:
                    data["message"] = _not_signed_in(session, services)
                print(json.dumps(data, indent=2), flush=True)
                return EXIT_OK if signed_in else EXIT_FAILED
            if not signed_in or session.info is None:
                _say(_not_signed_in(session, services))
                return EXIT_FAILED
            info = session.info
            lines = [
                f"Profile:    {profile.id} ({profile.name})",
                f"Issuer:     {profile.issuer}",
                f"Signed in:  as {_describe_user(info)}"
                + (f" (subject {info.subject})" if info.subject and info.email else ""),
                f"Org:        {info.org or 'unknown'}",
                f"Scopes:     {' '.join(info.scopes) or '(none reported)'}",
                f"Expires:    access token {_until(info.access_expires_at)}",
                f"Stored in:  {info.keychain}",
            ]
            print("\n".join(lines), flush=True)
            return EXIT_OK
        finally:
            await _close(services)

    return _run(args, body)


def token_json(profile: Profile, token: str, info: SessionInfo | None) -> str:
    """``token --json``, the SDK's contract: the four documented keys first and unchanged
    (``access_token``, ``expires_at``, ``scopes``, ``profile``), then where the token may
    be used: the profile's ``api_base`` (null for a sign-in-only profile) and ``issuer``.
    The SDK sends the token only to that API."""
    return json.dumps(
        {
            "access_token": token,
            "expires_at": _rfc3339(info.access_expires_at if info else None),
            "scopes": list(info.scopes) if info else [],
            "profile": profile.id,
            "api_base": profile.api_base,
            "issuer": profile.issuer,
        }
    )


# A rejected access token read from stdin: far longer than any real one (a JWT is ~1 KB).
MAX_REJECTED_BYTES = 64 * 1024


def _rejected_token(args: argparse.Namespace) -> str | None:
    """``--rejected``'s token (``-``: one line of stdin), or None; UsageError when unusable."""
    value = getattr(args, "rejected", None)
    if value is None:
        return None
    if value == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("--rejected - reads the refused token from stdin; pipe it in.")
        raw = sys.stdin.buffer.read(MAX_REJECTED_BYTES + 1)
        if len(raw) > MAX_REJECTED_BYTES:
            raise UsageError("--rejected: the token on stdin is too long to be an access token.")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError("--rejected: the token on stdin is not UTF-8 text.") from None
    value = value.strip()
    if not value:
        raise UsageError("--rejected needs the access token the API refused (or - for stdin).")
    register_secret(value)  # a token, refused or not: hidden from here on
    return value


def run_token(args: argparse.Namespace) -> int:
    async def body(paths: AppPaths, store: ProfileStore) -> int:
        profile = _profile_for(store, args.profile)
        rejected = _rejected_token(args)
        services = await CoreServices.create(paths, store)
        try:
            # describe=False: a stored token that is still fresh costs no request at all.
            session, signed_in = await _restored(services, profile, describe=False)
            if not signed_in:
                _say(_not_signed_in(session, services))
                return EXIT_FAILED
            if rejected is not None:
                # The API refused it: renewed under the cross-process lock, unless the
                # stored entry already holds another token (another process renewed).
                token = await session.handle_unauthorized(rejected)
            else:
                token = await session.access_token()
            # Registered where it entered (the keychain entry, a token response); again here,
            # the one place this process prints a token, in case a new source is ever added.
            register_secret(token)
            # Only the token (or the one JSON document) on stdout, for scripts and the SDK.
            if getattr(args, "json", False):
                sys.stdout.write(token_json(profile, token, session.info) + "\n")
            else:
                sys.stdout.write(token + "\n")
            sys.stdout.flush()
            return EXIT_OK
        finally:
            await _close(services)

    return _run(args, body)


async def _close(services: CoreServices) -> None:
    """Close the services; say it when a renewed sign-in could not be saved (the next
    command will ask to sign in again), on stderr so stdout stays the result."""
    for warning in await services.aclose():
        _say(f"Warning: {warning}")


def run_logout(args: argparse.Namespace) -> int:
    async def body(paths: AppPaths, store: ProfileStore) -> int:
        profile = _profile_for(store, args.profile)
        services = await CoreServices.create(paths, store)
        try:
            _require_keychain(services)
            session = services.session_for(profile)
            had_entry = await asyncio.to_thread(
                services.credential_store.get, f"session/{profile.id}"
            )
            await session.sign_out()
            if had_entry:
                where = services.credential_store.backend_name
                revoked = (
                    "revoked at the server"
                    if session.last_sign_out_revoked
                    else "the server could not confirm revocation"
                )
                _say(f"Signed out of {profile.name}: {revoked}; removed from {where}.")
            else:
                _say(f"Not signed in to {profile.name}; nothing to do.")
            return EXIT_OK
        finally:
            await _close(services)

    return _run(args, body)
