"""A rotated refresh token the keychain refuses to save, against the real sandbox and a real
gnome-keyring: kept in memory, used, saved again once the keychain works, and the sign-in
survives a restart. The sandbox revokes the whole sign-in when a spent refresh token is
presented, so "survives" proves the rotated token (not the spent one) was saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.keychain import PrivateSecretService
from tests.integration.core.helpers import FormBrowser
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.session import Session, SessionState
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.timefmt import utc_now
from twinedge_desktop.vault import CredentialStore, KeychainUnavailable, open_system_store

pytestmark = pytest.mark.keychain


class RefusingKeychain:
    """The real keychain, except that writes are refused while ``refusing`` is set (as a
    locked keychain or a dismissed unlock prompt does)."""

    def __init__(self, real: CredentialStore) -> None:
        self.real = real
        self.refusing = False
        self.refused = 0
        self.backend_name = real.backend_name
        self.is_persistent = real.is_persistent

    def get(self, key: str) -> str | None:
        return self.real.get(key)

    def set(self, key: str, value: str) -> None:
        if self.refusing:
            self.refused += 1
            raise KeychainUnavailable("locked", "The system keychain is locked.")
        self.real.set(key, value)

    def delete(self, key: str) -> None:
        self.real.delete(key)


def clock_ahead(by: list[timedelta]) -> Callable[[], datetime]:
    return lambda: utc_now() + by[0]


async def until(session: Session, condition: Callable[[], bool], timeout: float = 20) -> None:
    import asyncio

    if condition():
        return
    met = asyncio.Event()
    remove = session.add_listener(lambda: met.set() if condition() else None)
    try:
        await asyncio.wait_for(met.wait(), timeout)
    finally:
        remove()


async def test_the_sign_in_survives_a_refused_keychain_write_and_a_restart(
    sandbox: Any, sandbox_controls: Any, secret_service: PrivateSecretService, tmp_path: Path
) -> None:
    profile = sandbox_profile(sandbox.base_url)
    keychain = RefusingKeychain(open_system_store())
    ahead = [timedelta(0)]
    async with build_http_client() as http:
        window = Session(
            profile,
            http,
            keychain,
            clock=clock_ahead(ahead),
            lock_dir=tmp_path,
            save_retry_delays=(0.1,),
        )
        await window.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
        spent = json.loads(keychain.get(f"session/{profile.id}") or "{}")["refresh_token"]

        keychain.refusing = True
        ahead[0] = timedelta(minutes=61)
        sandbox_controls.shift_clock(ahead[0].total_seconds())
        renewed = await window.access_token()  # the sandbox rotated; the keychain refused
        assert window.state is SessionState.SIGNED_IN and window.keychain_problem is not None
        stored = json.loads(keychain.get(f"session/{profile.id}") or "{}")
        assert stored["refresh_token"] == spent  # the keychain still has the spent one
        me = await http.get(
            f"{sandbox.base_url}/v1/me", headers={"Authorization": f"Bearer {renewed}"}
        )
        assert me.status_code == 200  # and the session keeps working meanwhile

        await until(window, lambda: keychain.refused >= 2)  # retried on its timer
        keychain.refusing = False
        await until(window, lambda: window.keychain_problem is None)
        assert await window.aclose() is None

        # A restart an hour later: the saved (rotated) token renews; the spent one would
        # have made the sandbox revoke the whole sign-in.
        ahead[0] = timedelta(minutes=122)
        sandbox_controls.shift_clock(ahead[0].total_seconds())
        restarted = Session(profile, http, keychain, clock=clock_ahead(ahead), lock_dir=tmp_path)
        assert await restarted.restore() is True
        token = await restarted.access_token()
        me = await http.get(
            f"{sandbox.base_url}/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert me.status_code == 200 and me.json()["email"] == "engineer@example.com"
        assert restarted.refresh_count == 1
