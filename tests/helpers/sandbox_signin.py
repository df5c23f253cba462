"""Sign in to the real sandbox from a test, the way the app does (browser flow, PKCE).

The core's :class:`CoreServices` and :class:`Session` run the real sign-in with a
MemoryStore; ``open_browser`` hands the authorization URL to the form driver in
tests/helpers/signin.py (over real HTTP), then follows the final redirect to the
session's loopback listener, as a browser would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.helpers.signin import async_complete_sign_in
from twinedge_desktop.api.keys import ApiKeysService
from twinedge_desktop.auth.session import Session, SessionInfo
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import CredentialStore, MemoryStore, open_system_store

SIGN_IN_TIMEOUT = 30.0


@dataclass
class SignedIn:
    core: CoreServices
    session: Session
    service: ApiKeysService
    info: SessionInfo


@asynccontextmanager
async def signed_in(
    base_url: str,
    email: str = "engineer@example.com",
    *,
    credential_store: CredentialStore | None = None,
) -> AsyncIterator[SignedIn]:
    """Signed in to the sandbox's profile (made current) in ``credential_store`` (a fresh
    MemoryStore unless given)."""
    paths = AppPaths.default()  # under the test's isolated TWINEDGE_DESKTOP_HOME
    store = ProfileStore.load(paths.profiles_file)
    profile = sandbox_profile(base_url)
    store.put(profile, make_current=True)
    core = await CoreServices.create(
        paths, store, credential_store=credential_store or MemoryStore()
    )
    drivers: set[asyncio.Task[Any]] = set()

    async def drive(url: str) -> None:
        callback = await async_complete_sign_in(url, email=email)
        async with httpx.AsyncClient(timeout=10.0) as client:
            await client.get(callback)

    def open_browser(url: str) -> bool:
        task = asyncio.ensure_future(drive(url))
        drivers.add(task)
        task.add_done_callback(drivers.discard)
        return True

    try:
        session = core.session_for(profile)
        info = await asyncio.wait_for(
            session.sign_in_with_browser(open_browser=open_browser, timeout=SIGN_IN_TIMEOUT),
            SIGN_IN_TIMEOUT,
        )
        yield SignedIn(core, session, core.api_keys_for(session), info)
    finally:
        for task in list(drivers):
            task.cancel()
        await core.aclose()


async def sign_in_for_processes(base_url: str, email: str = "engineer@example.com") -> SignedIn:
    """Sign in to the sandbox as ``twinedge-desktop login`` would leave it, without a browser:
    the entry in the real system keychain (the test's private Secret Service, from the
    environment), the sandbox's profile saved as the current one under the test's
    ``TWINEDGE_DESKTOP_HOME``. Other processes (the installed command) then use it.
    Returns what the sign-in knew (its services are closed)."""
    keychain = await asyncio.to_thread(open_system_store)
    async with signed_in(base_url, email, credential_store=keychain) as done:
        done.core.profiles.save()
        return done
