"""ApiKeysService and the models: cursors, idempotent create, revoke semantics, masking."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import ApiError, InsufficientScope, NetworkError
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.api.keys import ApiKeysService, new_idempotency_key
from twinedge_desktop.api.models import ApiKey, CreatedApiKey, Me

BASE = "https://api.example.test/v1"
SECRET = "te_" + "A" * 32 + "000000"


class StaticTokens:
    async def access_token(self) -> str:
        return "user-token"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token"


async def _no_sleep(seconds: float) -> None:
    return None


def service(handler: httpx.MockTransport) -> ApiKeysService:
    http = build_http_client(transport=handler, trust_env=False)
    return ApiKeysService(ApiClient(http, BASE, StaticTokens(), sleep=_no_sleep))


def key_json(n: int, **extra: object) -> dict[str, object]:
    return {
        "id": f"key_{n}",
        "name": f"Key {n}",
        "prefix": "te_abcdefghi",
        "scopes": ["read:assets"],
        "created_at": "2030-01-01T00:00:00Z",
        "expires_at": None,
        "last_used_at": None,
        "revoked_at": None,
        "created_by": "person@example.test",
        **extra,
    }


async def test_list_follows_cursors_until_the_end() -> None:
    pages = {
        None: {"data": [key_json(1), key_json(2)], "next_cursor": "c1"},
        "c1": {"data": [key_json(3)], "next_cursor": "c2"},
        "c2": {"data": [key_json(4)], "next_cursor": None},
    }
    limits: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        limits.append(request.url.params["limit"])
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    progress: list[int] = []
    keys = await service(httpx.MockTransport(handler)).list_all(on_progress=progress.append)
    assert [k.id for k in keys] == ["key_1", "key_2", "key_3", "key_4"]
    assert progress == [2, 3, 4] and limits == ["200", "200", "200"]


async def test_a_cursor_that_repeats_stops_instead_of_looping() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [key_json(1)], "next_cursor": "same"})

    with pytest.raises(ApiError, match="did not advance"):
        await service(httpx.MockTransport(handler)).list_all()


async def test_create_sends_idempotency_key_and_returns_the_secret_once() -> None:
    bodies: list[dict[str, object]] = []
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            raise httpx.RemoteProtocolError("dropped after processing", request=request)
        return httpx.Response(201, json={**key_json(7), "key": SECRET})

    expiry = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    idem = new_idempotency_key()
    created = await service(httpx.MockTransport(handler)).create(
        "CI", ["read:assets"], expiry, idempotency_key=idem
    )
    assert keys == [idem, idem]  # the lost response was retried with the same key
    assert bodies[0] == {
        "name": "CI",
        "scopes": ["read:assets"],
        "expires_at": "2031-05-06T07:08:09Z",
    }
    assert created.secret == SECRET and created.key.id == "key_7"
    assert SECRET not in repr(created) and "te_abcdefghi" in repr(created)


async def test_create_that_keeps_failing_raises_and_the_caller_can_retry_with_the_same_key() -> (
    None
):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    with pytest.raises(NetworkError):
        await service(httpx.MockTransport(handler)).create(
            "CI", ["read:assets"], None, idempotency_key="same"
        )


def test_idempotency_keys_are_unique() -> None:
    assert len({new_idempotency_key() for _ in range(100)}) == 100


@pytest.mark.parametrize("status", [204, 404])
async def test_revoke_treats_already_gone_as_done(status: int) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.raw_path.decode()}")
        return httpx.Response(status, json={"error": "not_found"} if status == 404 else None)

    await service(httpx.MockTransport(handler)).revoke("key/1")
    assert seen == ["DELETE /v1/api-keys/key%2F1"]


async def test_revoke_without_permission_is_an_error() -> None:
    transport = httpx.MockTransport(
        lambda r: httpx.Response(403, json={"error": "insufficient_scope"})
    )
    with pytest.raises(InsufficientScope):
        await service(transport).revoke("key_1")


async def test_test_key_uses_the_key_itself_and_me_parses_kinds() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(
            200,
            json={"sub": "key_1", "org": "org-456", "scopes": ["read:assets"], "kind": "api_key"},
        )

    me = await service(httpx.MockTransport(handler)).test_key(SECRET)
    assert seen == [f"Bearer {SECRET}"]
    assert me == Me("key_1", "org-456", None, None, ("read:assets",), "api_key")


def test_api_key_status() -> None:
    now = datetime(2030, 6, 1, tzinfo=UTC)
    active = ApiKey.from_json(key_json(1))
    expired = ApiKey.from_json(key_json(2, expires_at="2030-05-01T00:00:00+00:00"))
    revoked = ApiKey.from_json(key_json(3, revoked_at="2030-05-01T00:00:00Z"))
    assert (active.status(now), expired.status(now), revoked.status(now)) == (
        "active",
        "expired",
        "revoked",
    )
    assert active.created_at.tzinfo is not None and active.scopes == ("read:assets",)


def test_created_key_repr_masks_the_secret() -> None:
    created = CreatedApiKey(ApiKey.from_json(key_json(1)), SECRET)
    assert SECRET not in repr(created) and SECRET not in str(created)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html>Sign in to the Wi-Fi</html>", "text/html"),  # a captive portal or proxy page
        (b"[1, 2]", "application/json"),
        (b"", "application/json"),
    ],
)
async def test_a_success_that_is_not_a_json_object_is_a_typed_error(
    body: bytes, content_type: str
) -> None:
    keys = service(
        httpx.MockTransport(
            lambda request: httpx.Response(
                200, content=body, headers={"Content-Type": content_type}
            )
        )
    )
    for call in (keys.me, lambda: keys.test_key(SECRET)):
        with pytest.raises(ApiError, match="expected form"):
            await call()
    with pytest.raises(ApiError, match="expected form"):
        await keys.create("k", ["read:assets"], None, idempotency_key=new_idempotency_key())
    with pytest.raises(ApiError, match="expected form"):
        await keys.list_all()


async def test_a_created_key_secret_is_hidden_bare_from_then_on() -> None:
    from twinedge_desktop.redaction import forget_all_secrets, redact

    forget_all_secrets()
    secret = "te_created-but-not-key-shaped-1234"  # not the key format: no pattern knows it

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={**key_json(1), "key": secret})

    try:
        await service(httpx.MockTransport(handler)).create("ci", [], None, idempotency_key="i")
        assert secret not in redact(f"copied {secret} to the clipboard")
    finally:
        forget_all_secrets()
