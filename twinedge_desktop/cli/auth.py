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
import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import ApiError
from twinedge_desktop.api.keys import ApiKeysService
from twinedge_desktop.api.models import Me
from twinedge_desktop.auth.discovery import ServerMetadata, discover, is_secure_url
from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.auth.session import CredentialKind, Session, SessionInfo
from twinedge_desktop.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, say
from twinedge_desktop.config import (
    CLOUD_PROFILE,
    DEFAULT_SIGN_IN_SCOPES,
    DESKTOP_CLIENT_ID,
    AppPaths,
    ConfigError,
    Profile,
    ProfileStore,
    profile_id_for_issuer,
)
from twinedge_desktop.redaction import redact
from twinedge_desktop.services import CoreServices
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
    except OSError as exc:
        _say(f"Error: {redact(str(exc)) or type(exc).__name__}")
        return EXIT_FAILED


def _profile_for(store: ProfileStore, name: str | None) -> Profile:
    return store.get(name) if name else store.current


def _require_keychain(services: CoreServices) -> None:
    if services.keychain_error is not None:
        raise services.keychain_error


# -- browser ------------------------------------------------------------------------------


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def system_browser_opener(enabled: bool = True) -> Callable[[str], bool]:
    """An ``open_browser`` for the terminal: ``webbrowser`` (so ``$BROWSER`` is honoured).

    The browser runs in a daemon thread: some ``webbrowser`` launchers wait for
    the browser process to exit, and the sign-in listener must keep serving on
    the loop meanwhile. Without ``$BROWSER`` and without a display (SSH, a
    container) nothing is launched, so a console browser never takes over the
    terminal: the printed link is the way in.
    """

    def open_browser(url: str) -> bool:
        if not enabled:
            return False
        if not os.environ.get("BROWSER") and not _has_display():
            return False
        try:
            browser = webbrowser.get()
        except webbrowser.Error:
            return False
        thread = threading.Thread(
            target=_open_quietly, args=(browser, url), name="open-browser", daemon=True
        )
        thread.start()
        return True

    return open_browser


def _open_quietly(browser: webbrowser.BaseBrowser, url: str) -> None:
    try:
        browser.open(url)
    except Exception:  # the link is printed; a failing launcher only deserves a log line
        log.warning("The browser could not be started", exc_info=True)


# -- login -----------------------------------------------------------------------------------


def _default_scopes(metadata: ServerMetadata) -> tuple[str, ...]:
    """TwinEdge's scopes when the server knows them; else let the server choose its default."""
    supported = set(metadata.scopes_supported)
    if not supported:
        return ()
    return tuple(s for s in DEFAULT_SIGN_IN_SCOPES if s in supported)


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


async def _profile_from_issuer(
    services: CoreServices, store: ProfileStore, args: argparse.Namespace
) -> tuple[Profile, ServerMetadata]:
    issuer = str(args.issuer).strip().rstrip("/")
    metadata = await discover(services.http, issuer)
    profile_id = args.profile or profile_id_for_issuer(metadata.issuer)
    existing = store.profiles.get(profile_id)
    client_id = args.client_id or (existing.client_id if existing else DESKTOP_CLIENT_ID)
    scopes = _requested_scopes(args)
    if existing is not None and existing.issuer.rstrip("/") == metadata.issuer.rstrip("/"):
        profile = replace(existing, client_id=client_id, scopes=scopes or existing.scopes)
    else:
        if existing is not None and existing.builtin:
            raise UsageError(
                f"The profile {profile_id!r} is built in and cannot be pointed at another issuer."
            )
        cloud = metadata.issuer.rstrip("/") == CLOUD_PROFILE.issuer
        parts = httpx.URL(metadata.issuer)
        profile = Profile(
            id=profile_id,
            name=CLOUD_PROFILE.name if cloud else (parts.host or metadata.issuer),
            issuer=metadata.issuer.rstrip("/"),
            client_id=client_id,
            api_base=CLOUD_PROFILE.api_base if cloud else None,
            audience=CLOUD_PROFILE.audience if cloud else None,
            scopes=scopes or _default_scopes(metadata),
        )
    return profile, metadata


async def _find_api(services: CoreServices, session: Session) -> Profile | None:
    """For a new profile, find a TwinEdge-style API from the token's audience (``{aud}/v1``).

    TwinEdge access tokens name the API as their audience and it serves ``/v1``;
    other servers simply do not answer, and the profile stays sign-in only.
    """
    profile = session.profile
    if profile.api_base:
        return None
    from twinedge_desktop.auth.session import unverified_claims

    token = await session.access_token()
    audience = unverified_claims(token).get("aud")
    if isinstance(audience, list):
        audience = audience[0] if audience else None
    if not isinstance(audience, str) or not is_secure_url(audience):
        return None
    api_base = f"{audience.rstrip('/')}/v1"
    try:
        response = await services.http.get(
            f"{api_base}/me",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=10.0,
        )
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, ApiError):
        return None
    if not isinstance(data, dict) or "sub" not in data:
        return None
    return replace(profile, api_base=api_base, audience=audience)


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
        if not args.issuer:
            _profile_for(store, args.profile)  # an unknown profile is bad usage
        services = await CoreServices.create(paths, store)
        try:
            _require_keychain(services)
            if args.issuer:
                profile, _metadata = await _profile_from_issuer(services, store, args)
            else:
                profile = _profile_for(store, args.profile)
                if _requested_scopes(args):
                    profile = replace(profile, scopes=_requested_scopes(args) or profile.scopes)
            session = services.session_for(profile)

            def show_link(url: str) -> None:
                _say(
                    f"Signing in to {profile.name} ({profile.issuer}) in your browser.\n"
                    "If no browser opens, open this link yourself:\n\n"
                    f"  {url}\n"
                )
                _say(f"Waiting for the browser (up to {_minutes(args.timeout)}; Ctrl+C cancels)…")

            info = await session.sign_in_with_browser(
                open_browser=system_browser_opener(not args.no_browser),
                on_authorization_url=show_link,
                timeout=float(args.timeout),
            )
            found = await _find_api(services, session)
            saved = found or profile
            store.put(saved, make_current=True)
            store.save()
            if found is not None:
                me = await ApiKeysService(
                    ApiClient(services.http, str(found.api_base), session)
                ).me()
                _say(f"Signed in to {saved.name} as {_describe_me(me)}.")
            else:
                _say(f"Signed in to {saved.name} as {_describe_user(info)}.")
            _say(f"Profile {saved.id!r} is now the current profile.")
            return EXIT_OK
        finally:
            await services.aclose()

    return _run(args, body)


def _describe_me(me: Me) -> str:
    if me.name and me.email:
        return f"{me.name} <{me.email}>"
    return me.email or me.sub or "an unnamed account"


def _minutes(seconds: float) -> str:
    return f"{round(seconds / 60)} min" if seconds >= 120 else f"{round(seconds)} s"


# -- status / token / logout --------------------------------------------------------------------


async def _restored(services: CoreServices, profile: Profile) -> tuple[Session, bool]:
    session = services.session_for(profile)
    if services.keychain_error is not None:
        return session, False
    return session, await session.restore()


def _not_signed_in(session: Session, services: CoreServices) -> str:
    profile = session.profile
    if services.keychain_error is not None:
        return f"Not signed in to {profile.name}. {services.keychain_error.user_message}"
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
        "access_expires_at": expires.isoformat().replace("+00:00", "Z") if expires else None,
        "keychain": info.keychain if info else None,
        "signed_out_reason": (
            session.signed_out_reason.user_message if session.signed_out_reason else None
        ),
    }


def _until(moment: datetime | None) -> str:
    if moment is None:
        return "unknown (the server did not say)"
    remaining = moment - datetime.now(UTC)
    minutes = max(0, int(remaining.total_seconds() // 60))
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} (in {minutes} min)"


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
            await services.aclose()

    return _run(args, body)


def run_token(args: argparse.Namespace) -> int:
    async def body(paths: AppPaths, store: ProfileStore) -> int:
        profile = _profile_for(store, args.profile)
        services = await CoreServices.create(paths, store)
        try:
            session, signed_in = await _restored(services, profile)
            if not signed_in:
                _say(_not_signed_in(session, services))
                return EXIT_FAILED
            token = await session.access_token()
            # Only the token on stdout, so $(twinedge-desktop token) works in scripts.
            sys.stdout.write(token + "\n")
            sys.stdout.flush()
            return EXIT_OK
        finally:
            await services.aclose()

    return _run(args, body)


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
            await services.aclose()

    return _run(args, body)
