"""The signed-in person, for the commands that manage things: ``keys``, ``apps``, ``scan``.

Those commands act as the person signed in to the profile, restored from the keychain
as ``token`` and ``status`` do. Managing API keys and OAuth applications accepts only a
person's (user) access token: the server answers 403 ``insufficient_scope`` to a
service client or an API key. So the stored sign-in's kind is checked here first, and
the person is told why and what to run, before anything is asked of the server.

:func:`run_async_command` runs such a command on a fresh loop and turns every expected
failure into a message on stderr and an exit code (``cli/common.py``), never a traceback.

Only the standard library is imported at module level: every start of the program
builds the parser, and these modules are imported while it does.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twinedge_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    UsageError,
    keychain_problem,
    say,
)

if TYPE_CHECKING:
    from twinedge_desktop.api.apps import OAuthAppsService
    from twinedge_desktop.api.keys import ApiKeysService
    from twinedge_desktop.auth.session import Session
    from twinedge_desktop.config import Profile
    from twinedge_desktop.services import CoreServices


class NotSignedIn(Exception):
    """No usable sign-in of a person for the profile; the text says why and what to run."""


@dataclass(frozen=True)
class Account:
    """The person signed in to ``profile``, with the services their commands use."""

    services: CoreServices
    profile: Profile
    session: Session

    @property
    def keys(self) -> ApiKeysService:
        """The API-keys endpoints (SignInError when the profile has no API address)."""
        return self.services.api_keys_for(self.session)

    @property
    def apps(self) -> OAuthAppsService:
        """The OAuth-applications endpoints (SignInError when the profile has no API address)."""
        return self.services.oauth_apps_for(self.session)


def login_command(profile: Profile) -> str:
    """The command that signs in to ``profile`` (``--profile`` only when it is not the cloud)."""
    from twinedge_desktop.config import CLOUD_PROFILE

    return "twinedge-desktop login" + (
        "" if profile.id == CLOUD_PROFILE.id else f" --profile {profile.id}"
    )


_KIND_NAMES = {"service": "service client", "api_key": "API key"}


@asynccontextmanager
async def signed_in(profile_name: str | None, *, purpose: str) -> AsyncIterator[Account]:
    """The person signed in to the profile (the current one unless named), restored from the
    keychain. ``purpose`` names what the command manages ("API keys"), for the messages.

    Raises :class:`NotSignedIn` when there is no usable sign-in (no keychain, signed out,
    the sign-in was refused) or the stored sign-in is not a person's; ConfigError for an
    unknown profile name. The services are closed on the way out.
    """
    from twinedge_desktop.auth.kinds import CredentialKind
    from twinedge_desktop.config import AppPaths, ProfileStore
    from twinedge_desktop.services import CoreServices

    paths = AppPaths.default()
    store = ProfileStore.load(paths.profiles_file)
    profile = store.get(profile_name) if profile_name else store.current
    services = await CoreServices.create(paths, store)
    try:
        login = login_command(profile)
        if services.keychain_error is not None:
            raise NotSignedIn(keychain_problem(profile.name, services.keychain_error))
        session = services.session_for(profile)
        if not await session.restore():
            reason = session.signed_out_reason
            raise NotSignedIn(
                f"{reason.user_message} Run: {login}"
                if reason is not None
                else f"Not signed in to {profile.name} (profile {profile.id!r}). Run: {login}"
            )
        info = session.info
        if info is not None and info.kind is not CredentialKind.USER:
            raise NotSignedIn(
                f"Profile {profile.id!r} is signed in as a "
                f"{_KIND_NAMES.get(info.kind.value, info.kind.value)}, and {purpose} are "
                "managed only with a person's sign-in (the server would refuse this one). "
                f"Run: {login}"
            )
        yield Account(services, profile, session)
    finally:
        for warning in await services.aclose():
            say(f"Warning: {warning}")


def run_async_command(
    args: argparse.Namespace,
    body: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
    *,
    check_usage: Callable[[argparse.Namespace], None] | None = None,
) -> int:
    """Run ``body`` on a fresh loop with logging set up; expected errors become a message
    and an exit code. ``check_usage`` runs first: bad usage needs neither the keychain nor
    the network. A :class:`NotSignedIn` is said as it is (exit 1)."""
    import asyncio

    from twinedge_desktop.api.errors import ApiError, InsufficientScope, ValidationFailed
    from twinedge_desktop.auth.errors import SignInError
    from twinedge_desktop.config import AppPaths, ConfigError
    from twinedge_desktop.logging_setup import configure_logging
    from twinedge_desktop.redaction import redact
    from twinedge_desktop.vault import KeychainUnavailable

    try:
        if check_usage is not None:
            check_usage(args)
        configure_logging(AppPaths.default(), bool(getattr(args, "debug", False)))
        return asyncio.run(body(args))
    except (UsageError, ConfigError) as exc:
        say(f"Error: {redact(str(exc))}")
        return EXIT_USAGE
    except ValidationFailed as exc:
        say(f"Error: {exc.user_message}")
        return EXIT_USAGE
    except NotSignedIn as exc:
        say(str(exc))
        return EXIT_FAILED
    except InsufficientScope as exc:
        say(f"Error: {exc.user_message}")
        if exc.required_scopes:
            say(f"Missing: {' '.join(exc.required_scopes)}")
        return EXIT_FAILED
    except (SignInError, ApiError, KeychainUnavailable) as exc:
        say(f"Error: {exc.user_message}")
        return EXIT_FAILED
    except BrokenPipeError:
        raise  # the reader of stdout left (`| head`): main() ends quietly
    except OSError as exc:
        say(f"Error: {redact(str(exc)) or type(exc).__name__}")
        return EXIT_FAILED
