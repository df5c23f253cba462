"""OAuthAppsService and the playground's token requests against the real sandbox (with
injected faults), and the playground's curl commands run by the real curl."""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from twinedge_desktop.api.apps import (
    ApplicationType,
    InvalidRedirectUris,
    OAuthAppsService,
    new_idempotency_key,
)
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import InsufficientScope, NotFound
from twinedge_desktop.auth.oauth import ClientAuthMethod, TokenEndpointError
from twinedge_desktop.auth.playground import AppCredentials, Playground
from twinedge_desktop.auth.session import Session
from twinedge_desktop.sandbox.embedded import RunningSandbox
from twinedge_desktop.services import CoreServices


@pytest.fixture
def apps(services: CoreServices, session: Session) -> OAuthAppsService:
    api_base = session.profile.api_base
    assert api_base is not None
    return OAuthAppsService(ApiClient(services.http, api_base, session))


@pytest.fixture
async def playground(services: CoreServices, sandbox: RunningSandbox) -> Playground:
    return await Playground.for_issuer(services.http, sandbox.base_url)


async def _service_app(apps: OAuthAppsService, name: str = "Reporting job") -> Any:
    return await apps.create(
        name,
        ApplicationType.SERVICE,
        [],
        ["read:assets", "read:alerts"],
        idempotency_key=new_idempotency_key(),
    )


async def test_the_whole_life_of_an_app(apps: OAuthAppsService) -> None:
    created = await apps.create(
        "Plant dashboard",
        ApplicationType.WEB,
        ["https://app.example.com/callback"],
        ["read:assets"],
        idempotency_key=new_idempotency_key(),
    )
    app = created.app
    assert created.client_secret and app.secret_hint == created.client_secret[-4:]
    assert app.application_type is ApplicationType.WEB
    assert app.created_by == "engineer@example.com"
    assert [listed.id for listed in await apps.list_all()] == [app.id]
    assert await apps.get(app.id) == app

    updated = await apps.update(app, name="Dashboard v2", scopes=["read:assets", "read:alerts"])
    assert (updated.name, updated.scopes) == ("Dashboard v2", ("read:assets", "read:alerts"))

    rotated = await apps.rotate_secret(app.id, idempotency_key=new_idempotency_key())
    assert rotated.client_secret != created.client_secret
    until = rotated.previous_secret_expires_at
    assert until is not None
    assert abs(until - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
    assert rotated.app.previous_secret_works(datetime.now(UTC))

    assert await apps.delete(app.id) is True
    assert await apps.delete(app.id) is False
    with pytest.raises(NotFound):
        await apps.get(app.id)


@pytest.mark.parametrize("drops", [1, 2])
async def test_lost_create_responses_make_exactly_one_app_with_a_working_secret(
    apps: OAuthAppsService, playground: Playground, sandbox_controls: Any, drops: int
) -> None:
    sandbox_controls.fault("/v1/oauth-apps", method="POST", count=drops, drop="after")
    created = await _service_app(apps)
    assert [app.id for app in await apps.list_all()] == [created.app.id]
    assert created.client_secret is not None
    exchange = await playground.client_credentials(
        AppCredentials(created.app.client_id, created.client_secret)
    )
    assert exchange.ok, exchange.as_text()


async def test_a_lost_rotation_response_rotates_once(
    apps: OAuthAppsService, playground: Playground, sandbox_controls: Any
) -> None:
    created = await _service_app(apps)
    assert created.client_secret is not None
    sandbox_controls.fault(f"/v1/oauth-apps/{created.app.id}/secret", drop="after")
    rotated = await apps.rotate_secret(created.app.id, idempotency_key=new_idempotency_key())
    # Rotated once: the first secret is in its grace and the returned one is current.
    for secret in (created.client_secret, rotated.client_secret):
        exchange = await playground.client_credentials(
            AppCredentials(created.app.client_id, secret)
        )
        assert exchange.ok, exchange.as_text()


async def test_the_servers_refusals_arrive_as_typed_errors(apps: OAuthAppsService) -> None:
    with pytest.raises(InvalidRedirectUris) as bad_uri:
        await apps.create(
            "x",
            ApplicationType.NATIVE,
            ["com.example.app:/callback", "http://localhost/callback"],
            ["read:assets"],
            idempotency_key=new_idempotency_key(),
        )
    assert bad_uri.value.field == "redirect_uris"
    assert bad_uri.value.check.reasons[0] is None
    assert bad_uri.value.check.reasons[1] is not None
    assert "localhost" in bad_uri.value.check.reasons[1]
    with pytest.raises(InsufficientScope) as beyond:
        await apps.create(
            "x", ApplicationType.SERVICE, [], ["read:assets", "admin"],
            idempotency_key=new_idempotency_key(),
        )  # fmt: skip
    assert beyond.value.required_scopes == ("admin",)
    assert await apps.list_all() == []


@pytest.mark.parametrize("method", [ClientAuthMethod.BASIC, ClientAuthMethod.POST])
async def test_the_playground_records_a_real_exchange(
    apps: OAuthAppsService, playground: Playground, method: ClientAuthMethod
) -> None:
    created = await _service_app(apps)
    assert created.client_secret is not None
    good = await playground.client_credentials(
        AppCredentials(created.app.client_id, created.client_secret, method),
        scopes=["read:alerts"],
    )
    tokens = good.raise_for_error()
    assert tokens.scope == "read:alerts" and good.response is not None
    assert good.response.status == 200 and created.client_secret not in good.as_text()
    wrong = await playground.client_credentials(
        AppCredentials(created.app.client_id, "x" * 43, method)
    )
    assert isinstance(wrong.error, TokenEndpointError) and wrong.error.error == "invalid_client"
    assert wrong.response is not None and wrong.response.status == 401


async def _bash(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, ["bash", "-c", command], capture_output=True, text=True, timeout=30, env=env
    )


@pytest.mark.parametrize("method", [ClientAuthMethod.BASIC, ClientAuthMethod.POST])
async def test_the_curl_commands_work_when_run(
    apps: OAuthAppsService, playground: Playground, method: ClientAuthMethod
) -> None:
    """What a person pastes into a terminal: the revealed command as is, the masked one
    after ``export CLIENT_SECRET=…``."""
    created = await _service_app(apps)
    assert created.client_secret is not None
    exchange = await playground.client_credentials(
        AppCredentials(created.app.client_id, created.client_secret, method)
    )
    masked = exchange.as_curl()
    assert created.client_secret not in masked
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_PROXY": "*"}
    for command, env in (
        (exchange.as_curl(reveal_secrets=True), environment),
        (masked, {**environment, "CLIENT_SECRET": created.client_secret}),
    ):
        ran = await _bash(command, env)
        assert ran.returncode == 0, ran.stderr
        assert '"token_type":"Bearer"' in ran.stdout.replace(" ", ""), ran.stdout
    without = await _bash(masked, environment)
    assert "invalid_client" in without.stdout  # the masked command carries no secret
