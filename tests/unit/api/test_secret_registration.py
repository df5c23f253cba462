"""Secrets the API hands out once (a new key, a client secret) are hidden in the log at once.

Logged bare through the app's real logging setup (``tests/helpers/logs.py``). The client
secrets are plain base62, as the sandbox's are: no pattern recognises them.
"""

from __future__ import annotations

import json

import httpx

from tests.helpers.logs import RedactedLog
from twinedge_desktop.api.apps import ApplicationType, OAuthAppsService, new_idempotency_key
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.http import build_http_client

BASE = "https://api.example.test/v1"
CREATED_SECRET = "Created0Secret1Of2A3Web4App5abcdefghijklmn"
ROTATED_SECRET = "Rotated0Secret1Of2A3Web4App5abcdefghijklmn"


class StaticTokens:
    async def access_token(self) -> str:
        return "user-token"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token"


def _app(**extra: object) -> dict[str, object]:
    return {
        "id": "app_1",
        "client_id": "client-1",
        "name": "App",
        "application_type": "web",
        "redirect_uris": ["https://app.example.com/callback"],
        "scopes": ["read:assets"],
        "created_at": "2030-01-01T00:00:00Z",
        "created_by": "engineer@example.com",
        "secret_hint": "klmn",
        "previous_secret_expires_at": None,
        **extra,
    }


def _server(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/secret"):
        return httpx.Response(201, json=_app(client_secret=ROTATED_SECRET))
    assert json.loads(request.content)["name"] == "App"
    return httpx.Response(201, json=_app(client_secret=CREATED_SECRET))


async def test_client_secrets_from_create_and_rotate_are_hidden(redacted_log: RedactedLog) -> None:
    async with build_http_client(transport=httpx.MockTransport(_server), trust_env=False) as http:
        service = OAuthAppsService(ApiClient(http, BASE, StaticTokens()))
        created = await service.create(
            "App",
            ApplicationType.WEB,
            ["https://app.example.com/callback"],
            ["read:assets"],
            idempotency_key=new_idempotency_key(),
        )
        assert created.client_secret == CREATED_SECRET
        assert redacted_log.hides(CREATED_SECRET)
        rotated = await service.rotate_secret("app_1", idempotency_key=new_idempotency_key())
        assert rotated.client_secret == ROTATED_SECRET
        assert redacted_log.hides(ROTATED_SECRET)
