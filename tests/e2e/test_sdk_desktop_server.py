"""The SDK with TwinEdge Desktop's sign-in, for real: the token goes only to the server that
issued it, and a token the API refuses is renewed by the app and retried once.

Real parts: the sandbox over loopback, a private gnome-keyring holding the sign-in (seeded
through the vault, no browser needed), the installed ``twinedge-desktop`` on PATH run by
the SDK (``token --json``, ``token --json --rejected -``), the SDK's own httpx client.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from twinedge import ConfigurationError, DesktopCredential, TwinEdgeClient

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    secret_service_fixture,
)
from tests.helpers.sandbox_signin import sign_in_for_processes

pytestmark = [pytest.mark.e2e, pytest.mark.keychain]

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def signed_in_desktop(
    sandbox: Any, secret_service: PrivateSecretService, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The desktop app signed in to the sandbox; this process set up as an engineer's
    script: the installed app on PATH, none of the SDK's variables."""
    import asyncio

    asyncio.run(sign_in_for_processes(sandbox.base_url))
    monkeypatch.setenv("PATH", os.pathsep.join([str(VENV_BIN), "/usr/bin", "/bin"]))
    for name in (
        "TWINEDGE_API_KEY",
        "TWINEDGE_CLIENT_ID",
        "TWINEDGE_CLIENT_SECRET",
        "TWINEDGE_API_URL",
        "TWINEDGE_ISSUER",
    ):
        monkeypatch.delenv(name, raising=False)
    return sandbox


def test_with_no_base_url_the_sdk_uses_the_api_the_desktop_is_signed_in_to(
    signed_in_desktop: Any,
) -> None:
    with TwinEdgeClient() as client:
        assert isinstance(client.credential, DesktopCredential)
        me = client.me()
        assert me["email"] == "engineer@example.com"
        assert client.base_url == signed_in_desktop.base_url  # not api.twinedgeai.com
        assert client.issuer == signed_in_desktop.base_url


@pytest.mark.parametrize("how", ["argument", "TWINEDGE_API_URL"])
def test_another_server_named_explicitly_is_refused(
    signed_in_desktop: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    sent: list[httpx.Request] = []
    recording = httpx.Client(
        transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))
    )
    if how == "argument":
        client = TwinEdgeClient(base_url="https://api.twinedgeai.com", http_client=recording)
    else:
        monkeypatch.setenv("TWINEDGE_API_URL", "https://api.twinedgeai.com")
        client = TwinEdgeClient(http_client=recording)
    with pytest.raises(ConfigurationError, match="server that did not issue it"):
        client.me()
    assert sent == []  # the sandbox's token never left for production


def test_a_revoked_access_token_is_renewed_by_the_app_and_the_call_succeeds(
    signed_in_desktop: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The API refuses the token (its jti revoked) although the app still thinks it
    fresh: the SDK hands it back (`token --json --rejected -`), the app renews it under
    its lock, and the call succeeds after exactly one retry."""
    caplog.set_level(logging.DEBUG, logger="twinedge")
    with TwinEdgeClient() as client:
        assert client.me()["sub"] == "user-123"
        credential = client.credential
        assert isinstance(credential, DesktopCredential)
        (first,) = credential.secrets()
        revoked = httpx.post(
            f"{signed_in_desktop.base_url}/oauth/revoke",
            data={
                "token": first,
                "token_type_hint": "access_token",
                "client_id": "twinedge-desktop",
            },
            timeout=15,
        )
        assert revoked.status_code == 200
        refused = httpx.get(
            f"{signed_in_desktop.base_url}/v1/me",
            headers={"Authorization": f"Bearer {first}"},
            timeout=15,
        )
        assert refused.status_code == 401  # really refused now
        assert client.me()["sub"] == "user-123"
        (second,) = credential.secrets()
    assert second != first
    retries = [r for r in caplog.records if "retrying once with a renewed token" in r.getMessage()]
    assert len(retries) == 1
    assert first not in caplog.text and second not in caplog.text
