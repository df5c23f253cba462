"""/v1/me, the API-key endpoints and the sample read endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers.sandbox import SandboxControls
from tests.integration.sandbox.flows import (
    ADMIN,
    HTTP,
    VIEWER,
    api,
    assert_error,
    service_token,
    user_tokens,
)
from twinedge_desktop import keyformat
from twinedge_desktop.sandbox.embedded import RunningSandbox

ALL_ENGINEER_SCOPES = (
    "read:assets write:assets read:telemetry write:telemetry read:alerts write:alerts"
)


@pytest.fixture
def engineer(sandbox: RunningSandbox) -> str:
    """An access token of engineer@ with every scope the engineer has."""
    token: str = user_tokens(sandbox.base_url, scope=ALL_ENGINEER_SCOPES)["access_token"]
    return token


def _create(base_url: str, token: str, body: Any, **headers: str) -> Any:
    return api(base_url, "POST", "/v1/api-keys", token, json=body, headers=headers)


def _future(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_create_returns_the_secret_once(sandbox: RunningSandbox, engineer: str) -> None:
    expires = _future()
    response = _create(
        sandbox.base_url, engineer, {"name": "CI", "scopes": ["read:assets"], "expires_at": expires}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert keyformat.is_valid_key(created["key"])
    assert created["prefix"] == created["key"][:12]
    assert created["name"] == "CI"
    assert created["scopes"] == ["read:assets"]
    assert created["expires_at"] == expires
    assert created["revoked_at"] is None and created["last_used_at"] is None
    assert created["created_by"] == "engineer@example.com"
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    listed = api(sandbox.base_url, "GET", "/v1/api-keys", engineer).json()["data"]
    assert listed[0]["id"] == created["id"]
    assert "key" not in listed[0]
    assert created["key"] not in str(listed)
    one = api(sandbox.base_url, "GET", f"/v1/api-keys/{created['id']}", engineer).json()
    assert "key" not in one and one["prefix"] == created["prefix"]


def test_api_key_works_as_a_bearer_and_records_use(sandbox: RunningSandbox, engineer: str) -> None:
    created = _create(
        sandbox.base_url, engineer, {"name": "reader", "scopes": ["read:assets"]}
    ).json()
    key = created["key"]
    me = api(sandbox.base_url, "GET", "/v1/me", key).json()
    assert me["kind"] == "api_key"
    assert me["scopes"] == ["read:assets"]
    assert me["sub"] == "user-123" and me["org"] == "org-456"
    assets = api(sandbox.base_url, "GET", "/v1/assets", key)
    assert assets.status_code == 200 and assets.json()["data"]
    denied = api(sandbox.base_url, "GET", "/v1/telemetry", key)
    assert_error(denied, 403, "insufficient_scope")
    assert 'scope="read:telemetry"' in denied.headers["www-authenticate"]
    listed = api(sandbox.base_url, "GET", f"/v1/api-keys/{created['id']}", engineer).json()
    assert listed["last_used_at"] is not None


def test_sample_endpoints_need_their_read_scope(sandbox: RunningSandbox) -> None:
    viewer = user_tokens(sandbox.base_url, email=VIEWER, scope="read:alerts")["access_token"]
    assert api(sandbox.base_url, "GET", "/v1/alerts", viewer).status_code == 200
    assert_error(api(sandbox.base_url, "GET", "/v1/assets", viewer), 403, "insufficient_scope")
    admin = user_tokens(sandbox.base_url, email=ADMIN, scope="admin")["access_token"]
    for path in ("/v1/assets", "/v1/telemetry", "/v1/alerts"):
        assert api(sandbox.base_url, "GET", path, admin).status_code == 200


def test_me_reports_the_kind_of_caller(sandbox: RunningSandbox, engineer: str) -> None:
    assert api(sandbox.base_url, "GET", "/v1/me", engineer).json()["kind"] == "user"
    service = service_token(sandbox.base_url, sandbox.service_client_secret).json()
    assert (
        api(sandbox.base_url, "GET", "/v1/me", service["access_token"]).json()["kind"] == "client"
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer garbage",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEyMyJ9.",
        "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.e30.c2ln",
        "Bearer te_123",
        "Bearer te_" + "A" * 38,
        "Bearer " + "x" * 5000,
    ],
)
def test_bad_credentials_are_invalid_token(
    sandbox: RunningSandbox, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = HTTP.get(f"{sandbox.base_url}/v1/me", headers=headers)
    assert_error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_token_of_another_sandbox_is_rejected(sandbox: RunningSandbox) -> None:
    from twinedge_desktop.sandbox.embedded import start_in_thread

    with start_in_thread() as other:
        foreign = user_tokens(other.base_url)["access_token"]
    assert_error(api(sandbox.base_url, "GET", "/v1/me", foreign), 401, "invalid_token")


def test_key_management_needs_a_user_token(sandbox: RunningSandbox, engineer: str) -> None:
    key = _create(sandbox.base_url, engineer, {"name": "k", "scopes": ["read:assets"]}).json()
    service = service_token(sandbox.base_url, sandbox.service_client_secret).json()["access_token"]
    for token in (key["key"], service):
        assert_error(api(sandbox.base_url, "GET", "/v1/api-keys", token), 403, "insufficient_scope")
        response = _create(sandbox.base_url, token, {"name": "x", "scopes": ["read:assets"]})
        assert_error(response, 403, "insufficient_scope")
        response = api(sandbox.base_url, "DELETE", f"/v1/api-keys/{key['id']}", token)
        assert_error(response, 403, "insufficient_scope")


def test_new_key_scopes_must_be_within_the_callers(sandbox: RunningSandbox) -> None:
    viewer = user_tokens(sandbox.base_url, email=VIEWER, scope="read:assets read:alerts")
    token = viewer["access_token"]
    ok = _create(sandbox.base_url, token, {"name": "ok", "scopes": ["read:alerts"]})
    assert ok.status_code == 201
    for scopes in (
        ["write:assets"],
        ["read:telemetry"],
        ["admin"],
        ["read:assets", "write:alerts"],
    ):
        response = _create(sandbox.base_url, token, {"name": "escalate", "scopes": scopes})
        assert_error(response, 403, "insufficient_scope")


def test_admin_may_create_any_scopes(sandbox: RunningSandbox) -> None:
    admin = user_tokens(sandbox.base_url, email=ADMIN, scope="admin")["access_token"]
    response = _create(
        sandbox.base_url, admin, {"name": "all", "scopes": ["admin", "write:telemetry"]}
    )
    assert response.status_code == 201
    assert response.json()["scopes"] == ["admin", "write:telemetry"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["read:assets"]}, "name"),
        ({"name": "", "scopes": ["read:assets"]}, "name"),
        ({"name": "   ", "scopes": ["read:assets"]}, "name"),
        ({"name": "x" * 65, "scopes": ["read:assets"]}, "name"),
        ({"name": 5, "scopes": ["read:assets"]}, "name"),
        ({"name": "bell\u0007", "scopes": ["read:assets"]}, "name"),
        ({"name": "k"}, "scopes"),
        ({"name": "k", "scopes": []}, "scopes"),
        ({"name": "k", "scopes": "read:assets"}, "scopes"),
        ({"name": "k", "scopes": ["read:everything"]}, "scopes"),
        ({"name": "k", "scopes": [1]}, "scopes"),
        ({"name": "k", "scopes": ["read:assets"], "expires_at": "yesterday"}, "expires_at"),
        (
            {"name": "k", "scopes": ["read:assets"], "expires_at": "2001-01-01T00:00:00Z"},
            "expires_at",
        ),
        (
            {"name": "k", "scopes": ["read:assets"], "expires_at": "2999-01-01T00:00:00"},
            "expires_at",
        ),
        ({"name": "k", "scopes": ["read:assets"], "expires_at": "2999-01-01"}, "expires_at"),
        ({"name": "k", "scopes": ["read:assets"], "expires_at": 4102444800}, "expires_at"),
        ({"name": "k", "scopes": ["read:assets"], "owner": "admin@example.com"}, "owner"),
        (["not", "an", "object"], None),
    ],
)
def test_create_validation_is_422_with_the_field(
    sandbox: RunningSandbox, engineer: str, body: Any, field: str | None
) -> None:
    response = _create(sandbox.base_url, engineer, body)
    result = assert_error(response, 422, "invalid_request")
    assert result["field"] == field


def test_name_of_64_characters_is_fine(sandbox: RunningSandbox, engineer: str) -> None:
    response = _create(sandbox.base_url, engineer, {"name": "n" * 64, "scopes": ["read:assets"]})
    assert response.status_code == 201


def test_idempotent_create_replays_the_identical_response(
    sandbox: RunningSandbox, engineer: str
) -> None:
    body = {"name": "once", "scopes": ["read:assets"]}
    first = _create(sandbox.base_url, engineer, body, **{"Idempotency-Key": "abc-1"})
    second = _create(sandbox.base_url, engineer, body, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    listed = api(sandbox.base_url, "GET", "/v1/api-keys", engineer).json()["data"]
    assert [k["name"] for k in listed] == ["once"]
    other = _create(sandbox.base_url, engineer, body, **{"Idempotency-Key": "abc-2"})
    assert other.json()["id"] != first.json()["id"]


def test_idempotency_key_with_a_different_body_is_refused(
    sandbox: RunningSandbox, engineer: str
) -> None:
    _create(
        sandbox.base_url,
        engineer,
        {"name": "a", "scopes": ["read:assets"]},
        **{"Idempotency-Key": "k1"},
    )
    response = _create(
        sandbox.base_url,
        engineer,
        {"name": "b", "scopes": ["read:assets"]},
        **{"Idempotency-Key": "k1"},
    )
    result = assert_error(response, 422, "invalid_request")
    assert result["field"] == "Idempotency-Key"
    assert "different request body" in result["error_description"]


def test_idempotency_window_is_ten_minutes(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    body = {"name": "w", "scopes": ["read:assets"]}
    first = _create(sandbox.base_url, engineer, body, **{"Idempotency-Key": "win"})
    sandbox_controls.shift_clock(540)
    assert (
        _create(sandbox.base_url, engineer, body, **{"Idempotency-Key": "win"}).content
        == first.content
    )
    sandbox_controls.shift_clock(660)
    # The access token is still valid (it lives an hour); the replay window is over.
    later = _create(sandbox.base_url, engineer, body, **{"Idempotency-Key": "win"})
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]


def test_revoke_is_204_twice_and_the_key_stops_working(
    sandbox: RunningSandbox, engineer: str
) -> None:
    created = _create(sandbox.base_url, engineer, {"name": "r", "scopes": ["read:assets"]}).json()
    assert api(sandbox.base_url, "GET", "/v1/me", created["key"]).status_code == 200
    path = f"/v1/api-keys/{created['id']}"
    assert api(sandbox.base_url, "DELETE", path, engineer).status_code == 204
    assert api(sandbox.base_url, "DELETE", path, engineer).status_code == 204
    rejected = api(sandbox.base_url, "GET", "/v1/assets", created["key"])
    body = assert_error(rejected, 401, "invalid_token")
    assert "revoked" in body["error_description"]
    listed = api(sandbox.base_url, "GET", path, engineer).json()
    assert listed["revoked_at"] is not None


def test_revoke_unknown_key_is_404(sandbox: RunningSandbox, engineer: str) -> None:
    response = api(sandbox.base_url, "DELETE", "/v1/api-keys/key_doesnotexist", engineer)
    assert_error(response, 404, "not_found")


def test_other_users_keys_are_invisible_except_to_admin(
    sandbox: RunningSandbox, engineer: str
) -> None:
    created = _create(
        sandbox.base_url, engineer, {"name": "mine", "scopes": ["read:assets"]}
    ).json()
    viewer = user_tokens(sandbox.base_url, email=VIEWER, scope="read:assets")["access_token"]
    assert api(sandbox.base_url, "GET", "/v1/api-keys", viewer).json()["data"] == []
    response = api(sandbox.base_url, "DELETE", f"/v1/api-keys/{created['id']}", viewer)
    assert_error(response, 404, "not_found")
    admin = user_tokens(sandbox.base_url, email=ADMIN, scope="admin")["access_token"]
    ids = [k["id"] for k in api(sandbox.base_url, "GET", "/v1/api-keys", admin).json()["data"]]
    assert created["id"] in ids
    assert (
        api(sandbox.base_url, "DELETE", f"/v1/api-keys/{created['id']}", admin).status_code == 204
    )


def test_expired_key_is_rejected(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    expires = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    created = _create(
        sandbox.base_url,
        engineer,
        {"name": "short", "scopes": ["read:assets"], "expires_at": expires},
    ).json()
    assert api(sandbox.base_url, "GET", "/v1/assets", created["key"]).status_code == 200
    sandbox_controls.shift_clock(11 * 60)
    body = assert_error(
        api(sandbox.base_url, "GET", "/v1/assets", created["key"]), 401, "invalid_token"
    )
    assert "expired" in body["error_description"]


def test_key_with_a_valid_checksum_but_unknown_is_rejected(sandbox: RunningSandbox) -> None:
    unknown = keyformat.generate_key()
    assert_error(api(sandbox.base_url, "GET", "/v1/me", unknown), 401, "invalid_token")


# -- pagination ---------------------------------------------------------------------------------


def _page(base_url: str, token: str, **params: Any) -> Any:
    response = api(base_url, "GET", "/v1/api-keys", token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_pages_cover_every_key_once_newest_first(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    assert sandbox_controls.seed_keys(450) == 450
    seen: list[str] = []
    created_during: list[str] = []
    page = _page(sandbox.base_url, engineer, limit=200)
    while True:
        seen += [key["id"] for key in page["data"]]
        # Keys created while paging must not shift later pages.
        made = _create(sandbox.base_url, engineer, {"name": "during", "scopes": ["read:assets"]})
        created_during.append(made.json()["id"])
        if page["next_cursor"] is None:
            break
        page = _page(sandbox.base_url, engineer, limit=200, cursor=page["next_cursor"])
    assert len(seen) == 450
    assert len(set(seen)) == 450
    assert not set(seen) & set(created_during)
    names = [
        int(name.rsplit(" ", 1)[1])
        for name in (k["name"] for k in _page(sandbox.base_url, engineer, limit=5)["data"][3:])
    ]
    assert names == sorted(names, reverse=True)


def test_newest_first_order(sandbox: RunningSandbox, engineer: str) -> None:
    for name in ("first", "second", "third"):
        _create(sandbox.base_url, engineer, {"name": name, "scopes": ["read:assets"]})
    first_page = _page(sandbox.base_url, engineer, limit=2)
    assert [k["name"] for k in first_page["data"]] == ["third", "second"]
    rest = _page(sandbox.base_url, engineer, limit=2, cursor=first_page["next_cursor"])
    assert [k["name"] for k in rest["data"]] == ["first"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ({"sort": "name"}, "sort"),
    ],
)
def test_bad_list_parameters_are_422(
    sandbox: RunningSandbox, engineer: str, params: dict[str, Any], field: str
) -> None:
    response = api(sandbox.base_url, "GET", "/v1/api-keys", engineer, params=params)
    assert assert_error(response, 422, "invalid_request")["field"] == field


def test_limit_200_is_allowed(sandbox: RunningSandbox, engineer: str) -> None:
    assert _page(sandbox.base_url, engineer, limit=200)["data"] == []
