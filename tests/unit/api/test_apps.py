"""OAuthAppsService and OAuthApp against httpx.MockTransport: paging, idempotent create,
typed errors that keep their field, rotation, delete."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from twinedge_desktop.api.apps import (
    ApplicationType,
    InvalidRedirectUris,
    OAuthApp,
    OAuthAppsService,
    new_idempotency_key,
)
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import ApiError, InsufficientScope, ValidationFailed
from twinedge_desktop.api.http import build_http_client

BASE = "https://api.example.test/v1"
SECRET = "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3t"


class StaticTokens:
    async def access_token(self) -> str:
        return "user-token"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token"


async def _no_sleep(seconds: float) -> None:
    return None


def service(handler: Callable[[httpx.Request], httpx.Response]) -> OAuthAppsService:
    http = build_http_client(transport=httpx.MockTransport(handler), trust_env=False)
    return OAuthAppsService(ApiClient(http, BASE, StaticTokens(), sleep=_no_sleep))


def app_json(n: int = 1, **extra: object) -> dict[str, object]:
    return {
        "id": f"app_{n}",
        "client_id": f"client-{n}",
        "name": f"App {n}",
        "application_type": "web",
        "redirect_uris": ["https://app.example.com/callback"],
        "scopes": ["read:assets"],
        "created_at": "2030-01-01T00:00:00Z",
        "created_by": "engineer@example.com",
        "secret_hint": "3t3t",
        "previous_secret_expires_at": None,
        **extra,
    }


def problem(status: int, error: str, description: str, **extra: object) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": description, **extra})


async def test_list_follows_cursors_until_the_end() -> None:
    pages = {
        None: {"data": [app_json(1), app_json(2)], "next_cursor": "c1"},
        "c1": {"data": [app_json(3)], "next_cursor": None},
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    progress: list[int] = []
    apps = await service(handler).list_all(on_progress=progress.append)
    assert [app.id for app in apps] == ["app_1", "app_2", "app_3"]
    assert progress == [2, 3]
    assert [r.url.path for r in seen] == ["/v1/oauth-apps"] * 2
    assert all(r.headers["authorization"] == "Bearer user-token" for r in seen)


async def test_a_repeating_cursor_or_a_malformed_list_is_an_error() -> None:
    def looping(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [app_json()], "next_cursor": "same"})

    with pytest.raises(ApiError, match="did not advance"):
        await service(looping).list_all()

    def malformed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": "app_1"}], "next_cursor": None})

    with pytest.raises(ApiError, match="not in the expected form"):
        await service(malformed).list_all()

    def unknown_type(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=app_json(application_type="mainframe"))

    with pytest.raises(ApiError, match="not in the expected form"):
        await service(unknown_type).get("app_1")


async def test_create_sends_the_idempotency_key_and_returns_the_secret_once() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201, json={**app_json(), "client_secret": SECRET})

    key = new_idempotency_key()
    created = await service(handler).create(
        "App 1",
        ApplicationType.WEB,
        ["https://app.example.com/callback"],
        ["read:assets"],
        idempotency_key=key,
    )
    assert sent[0].method == "POST" and sent[0].headers["idempotency-key"] == key
    assert json.loads(sent[0].content) == {
        "name": "App 1",
        "application_type": "web",
        "redirect_uris": ["https://app.example.com/callback"],
        "scopes": ["read:assets"],
    }
    assert created.client_secret == SECRET
    assert created.app.application_type is ApplicationType.WEB and created.app.is_confidential
    assert SECRET not in repr(created) and "3t3t" in repr(created)


async def test_create_is_retried_with_the_same_key_after_a_lost_response() -> None:
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.headers["idempotency-key"])
        if len(attempts) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(201, json={**app_json(), "client_secret": SECRET})

    created = await service(handler).create(
        "App 1", ApplicationType.WEB, ["https://a.example.com/cb"], ["read:assets"],
        idempotency_key="one-logical-create",
    )  # fmt: skip
    assert attempts == ["one-logical-create", "one-logical-create"]
    assert created.client_secret == SECRET


async def test_a_public_app_has_no_secret_but_a_confidential_one_must() -> None:
    def public(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=app_json(application_type="spa", secret_hint=None))

    created = await service(public).create(
        "SPA", ApplicationType.SPA, ["https://spa.example.com/"], ["read:assets"],
        idempotency_key="k",
    )  # fmt: skip
    assert created.client_secret is None and not created.app.is_confidential

    def forgetful(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=app_json())

    with pytest.raises(ApiError, match="did not return its secret"):
        await service(forgetful).create(
            "Web", ApplicationType.WEB, ["https://a.example.com/cb"], ["read:assets"],
            idempotency_key="k",
        )  # fmt: skip


async def test_an_invalid_redirect_uri_marks_the_uri_at_fault() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return problem(
            422,
            "invalid_redirect_uri",
            "redirect_uris[1] (http://a.example.com/cb) http:// is allowed only on localhost",
            field="redirect_uris",
        )

    uris = ["https://a.example.com/cb", "http://a.example.com/cb", "https://a.example.com/x#y"]
    with pytest.raises(InvalidRedirectUris) as caught:
        await service(handler).create(
            "x", ApplicationType.WEB, uris, ["read:assets"], idempotency_key="k"
        )
    error = caught.value
    assert isinstance(error, ValidationFailed)
    assert error.field == "redirect_uris" and error.status == 422
    assert error.error == "invalid_redirect_uri"
    assert error.check.reasons[0] is None
    assert error.check.reasons[1] is not None and "http://" in error.check.reasons[1]
    assert error.check.reasons[2] is not None and "fragment" in error.check.reasons[2]
    assert "redirect_uris" in str(error) and "http://" in str(error)


async def test_other_validation_errors_keep_their_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return problem(422, "invalid_request", "name contains a control character", field="name")

    with pytest.raises(ValidationFailed) as caught:
        await service(handler).create(
            "bad\tname", ApplicationType.SERVICE, [], ["read:assets"], idempotency_key="k"
        )
    assert not isinstance(caught.value, InvalidRedirectUris)
    assert caught.value.field == "name" and "control character" in str(caught.value)


async def test_a_403_says_which_scopes_are_missing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        response = problem(403, "insufficient_scope", "not yours: write:assets admin")
        response.headers["WWW-Authenticate"] = (
            'Bearer realm="TwinEdge", error="insufficient_scope", scope="write:assets admin"'
        )
        return response

    with pytest.raises(InsufficientScope) as caught:
        await service(handler).create(
            "x", ApplicationType.SERVICE, [], ["write:assets", "admin"], idempotency_key="k"
        )
    assert caught.value.required_scopes == ("write:assets", "admin")
    assert "write:assets admin" in str(caught.value)


async def test_update_sends_only_what_changes() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=app_json(name="Renamed"))

    app = OAuthApp.from_json(app_json())
    updated = await service(handler).update(app, name="Renamed")
    assert sent[0].method == "PATCH" and sent[0].url.path == "/v1/oauth-apps/app_1"
    assert json.loads(sent[0].content) == {"name": "Renamed"}
    assert updated.name == "Renamed"
    await service(handler).update(app, redirect_uris=[], scopes=["read:alerts"])
    assert json.loads(sent[1].content) == {"redirect_uris": [], "scopes": ["read:alerts"]}


async def test_rotate_secret_returns_the_new_secret_and_the_grace() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        body = app_json(secret_hint="NEW1", previous_secret_expires_at="2030-01-02T00:00:00Z")
        return httpx.Response(201, json={**body, "client_secret": "x" * 39 + "NEW1"})

    rotated = await service(handler).rotate_secret("app_1", idempotency_key="rot-1")
    assert sent[0].url.path == "/v1/oauth-apps/app_1/secret"
    assert sent[0].headers["idempotency-key"] == "rot-1"
    assert json.loads(sent[0].content) == {"revoke_previous": False}
    assert rotated.client_secret.endswith("NEW1") and rotated.client_secret not in repr(rotated)
    assert rotated.previous_secret_expires_at == datetime(2030, 1, 2, tzinfo=UTC)
    assert rotated.app.previous_secret_works(datetime(2030, 1, 1, 23, tzinfo=UTC))
    assert not rotated.app.previous_secret_works(datetime(2030, 1, 2, tzinfo=UTC))
    await service(handler).rotate_secret("app_1", revoke_previous=True, idempotency_key="rot-2")
    assert json.loads(sent[1].content) == {"revoke_previous": True}


async def test_delete_says_whether_it_deleted_and_quotes_the_id() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        if request.url.raw_path.endswith(b"gone"):
            return problem(404, "not_found", "No OAuth application with this id")
        return httpx.Response(204)

    apps = service(handler)
    assert await apps.delete("app_1") is True
    assert await apps.delete("gone") is False
    assert await apps.delete("../api-keys/x") is True
    assert paths[-1] == "/v1/oauth-apps/..%2Fapi-keys%2Fx"
