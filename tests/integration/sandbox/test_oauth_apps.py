"""The OAuth applications contract (``/v1/oauth-apps``) and registered apps at
``/oauth/authorize`` and ``/oauth/token``, over real HTTP to a real sandbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.helpers.oauth_apps import (
    APPS,
    HTTP,
    authorize_url,
    basic,
    bearer,
    client_credentials,
    create_app,
    created,
    exchange_code,
    pkce_pair,
    query,
    refresh,
    sign_in_for_code,
)
from tests.helpers.redirect_uri_cases import REDIRECT_CASES, RedirectCase
from tests.helpers.sandbox import SandboxControls
from tests.helpers.signin import _FormParser, complete_sign_in
from tests.integration.sandbox.flows import (
    ADMIN,
    VIEWER,
    assert_error,
    service_token,
    user_tokens,
)
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread

ENGINEER_SCOPES = "read:assets write:assets read:telemetry write:telemetry read:alerts write:alerts"
WEB_REDIRECT = "https://app.example.com/callback"


def token_for(
    base_url: str, email: str = "engineer@example.com", scope: str = ENGINEER_SCOPES
) -> str:
    token: str = user_tokens(base_url, email=email, scope=scope)["access_token"]
    return token


@pytest.fixture
def engineer(sandbox: RunningSandbox) -> str:
    return token_for(sandbox.base_url)


@pytest.fixture
def admin(sandbox: RunningSandbox) -> str:
    return token_for(sandbox.base_url, ADMIN, "admin")


@pytest.fixture
def viewer(sandbox: RunningSandbox) -> str:
    return token_for(sandbox.base_url, VIEWER, "read:assets read:telemetry read:alerts")


def call(base_url: str, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    headers = {**bearer(token), **kwargs.pop("headers", {})}
    return HTTP.request(method, f"{base_url}{path}", headers=headers, **kwargs)


def listed_ids(base_url: str, token: str) -> list[str]:
    response = call(base_url, "GET", APPS, token)
    assert response.status_code == 200, response.text
    return [app["id"] for app in response.json()["data"]]


def claims(access_token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(access_token, options={"verify_signature": False})
    return decoded


# -- the shared redirect-URI table, against the server -------------------------------------


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[RunningSandbox, str]]:
    """One sandbox and one engineer token for the whole table (it only creates apps)."""
    running = start_in_thread(test_controls=True)
    try:
        yield running, token_for(running.base_url)
    finally:
        running.stop()


@pytest.mark.parametrize("case", REDIRECT_CASES, ids=lambda case: case.id)
def test_redirect_uri_table_against_the_sandbox(
    shared_sandbox: tuple[RunningSandbox, str], case: RedirectCase
) -> None:
    running, token = shared_sandbox
    response = create_app(
        running.base_url,
        token,
        application_type=case.application_type.value,
        redirect_uris=[case.uri],
    )
    if case.refused_because is None:
        assert response.status_code == 201, response.text
        assert response.json()["redirect_uris"] == [case.uri]
    else:
        body = assert_error(response, 422, "invalid_redirect_uri")
        assert body["field"] == "redirect_uris"
        assert case.refused_because in body["error_description"]


def test_redirect_uri_list_rules(sandbox: RunningSandbox, engineer: str) -> None:
    base = sandbox.base_url
    ten = [f"https://app.example.com/cb{n}" for n in range(10)]
    assert create_app(base, engineer, redirect_uris=ten).status_code == 201
    for uris, fragment in (
        ([*ten, "https://app.example.com/cb10"], "at most 10"),
        ([], "at least one"),
        ([WEB_REDIRECT, WEB_REDIRECT], "listed twice"),
        ("https://app.example.com/cb", "list of URI strings"),
        ([WEB_REDIRECT, 7], "list of URI strings"),
    ):
        body = assert_error(
            create_app(base, engineer, redirect_uris=uris),  # type: ignore[arg-type]
            422,
            "invalid_redirect_uri",
        )
        assert body["field"] == "redirect_uris" and fragment in body["error_description"]
    missing = HTTP.post(
        f"{base}{APPS}",
        json={"name": "x", "application_type": "spa", "scopes": ["read:assets"]},
        headers=bearer(engineer),
    )
    assert assert_error(missing, 422, "invalid_redirect_uri")["field"] == "redirect_uris"
    service = create_app(base, engineer, application_type="service", redirect_uris=[WEB_REDIRECT])
    assert assert_error(service, 422, "invalid_redirect_uri")["field"] == "redirect_uris"


# -- create, read, the secret --------------------------------------------------------------


def test_create_returns_the_app_and_its_secret_once(sandbox: RunningSandbox, engineer: str) -> None:
    base = sandbox.base_url
    response = create_app(
        base,
        engineer,
        name="Plant dashboard",
        redirect_uris=[WEB_REDIRECT, "http://localhost:3000/callback"],
        scopes=["read:assets", "read:telemetry"],
    )
    app = created(response)
    assert response.headers["location"] == f"{APPS}/{app['id']}"
    assert response.headers["cache-control"] == "no-store"
    assert set(app) == {
        "id", "client_id", "name", "application_type", "redirect_uris", "scopes", "created_at",
        "created_by", "secret_hint", "previous_secret_expires_at", "client_secret",
    }  # fmt: skip
    secret = app["client_secret"]
    assert len(secret) == 43 and secret.isalnum()
    assert app["secret_hint"] == secret[-4:]
    assert app["name"] == "Plant dashboard" and app["application_type"] == "web"
    assert app["scopes"] == ["read:assets", "read:telemetry"]
    assert app["created_by"] == "engineer@example.com"
    assert app["previous_secret_expires_at"] is None
    created_at = datetime.fromisoformat(app["created_at"])
    assert abs(created_at - datetime.now(UTC)) < timedelta(minutes=1)
    # Shown once: never again in a read or a list.
    one = call(base, "GET", f"{APPS}/{app['id']}", engineer)
    assert one.status_code == 200 and "client_secret" not in one.json()
    assert {k: v for k, v in app.items() if k != "client_secret"} == one.json()
    everything = call(base, "GET", APPS, engineer).text
    assert secret not in everything and app["client_id"] in everything


@pytest.mark.parametrize(
    ("application_type", "redirect_uris", "has_secret"),
    [
        ("web", [WEB_REDIRECT], True),
        ("service", None, True),
        ("spa", ["https://spa.example.com/"], False),
        ("native", ["com.example.app:/callback"], False),
    ],
)
def test_only_confidential_types_get_a_secret(
    sandbox: RunningSandbox,
    engineer: str,
    application_type: str,
    redirect_uris: list[str] | None,
    has_secret: bool,
) -> None:
    app = created(
        create_app(
            sandbox.base_url,
            engineer,
            application_type=application_type,
            redirect_uris=redirect_uris,
        )
    )
    assert ("client_secret" in app) is has_secret
    assert (app["secret_hint"] is not None) is has_secret
    if application_type == "service":
        assert app["redirect_uris"] == []


def test_only_a_hash_of_the_secret_is_stored(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with start_in_thread(str(data), test_controls=True) as running:
        token = token_for(running.base_url)
        app = created(create_app(running.base_url, token, application_type="service"))
        rotated = call(running.base_url, "POST", f"{APPS}/{app['id']}/secret", token)
        assert rotated.status_code == 201
    import hashlib

    connection = sqlite3.connect(data)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    for secret in (app["client_secret"], rotated.json()["client_secret"]):
        assert secret not in dump
        assert hashlib.sha256(secret.encode()).hexdigest() in dump
    for wal in tmp_path.glob("sandbox.sqlite3*"):
        raw = wal.read_bytes()
        assert app["client_secret"].encode() not in raw
        assert rotated.json()["client_secret"].encode() not in raw


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a" * 101, "longer than 100"),
        ("tab\tname", "control character"),
        ("two\nlines", "control character"),
        ("line\u2028separator", "line or paragraph separator"),
        ("invoice\u202egnp.exe", "bidirectional"),
        ("\u200b\u200b", "nothing visible"),
        ("\u3164", "nothing visible"),
        (None, "must be a string"),
        (42, "must be a string"),
    ],
)
def test_bad_names_are_422_on_name(
    sandbox: RunningSandbox, engineer: str, name: Any, fragment: str
) -> None:
    body = assert_error(create_app(sandbox.base_url, engineer, name=name), 422, "invalid_request")
    assert body["field"] == "name" and fragment in body["error_description"]


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("a" * 100, "a" * 100),
        ("  padded  ", "padded"),
        ("👩\u200d💻 Dev tools", "👩\u200d💻 Dev tools"),
    ],
)
def test_good_names_are_kept(
    sandbox: RunningSandbox, engineer: str, name: str, stored: str
) -> None:
    assert created(create_app(sandbox.base_url, engineer, name=name))["name"] == stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"application_type": "desktop"}, "application_type"),
        ({"application_type": None}, "application_type"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["read:everything"]}, "scopes"),
        ({"scopes": "read:assets"}, "scopes"),
        ({"owner": "someone"}, "owner"),
        ({"client_id": "mine"}, "client_id"),
    ],
)
def test_other_bad_values_are_422_with_their_field(
    sandbox: RunningSandbox, engineer: str, body: dict[str, Any], field: str
) -> None:
    full = {
        "name": "x",
        "application_type": "web",
        "redirect_uris": [WEB_REDIRECT],
        "scopes": ["read:assets"],
        **body,
    }
    response = HTTP.post(f"{sandbox.base_url}{APPS}", json=full, headers=bearer(engineer))
    assert assert_error(response, 422, "invalid_request")["field"] == field


def test_a_body_that_is_not_an_object_or_not_json(sandbox: RunningSandbox, engineer: str) -> None:
    url = f"{sandbox.base_url}{APPS}"
    as_list = HTTP.post(url, json=["x"], headers=bearer(engineer))
    assert assert_error(as_list, 422, "invalid_request")["field"] is None
    garbage = HTTP.post(
        url, content=b"{nope", headers={**bearer(engineer), "Content-Type": "application/json"}
    )
    assert_error(garbage, 400, "invalid_request")


# -- who may do what -----------------------------------------------------------------------


def test_an_apps_scopes_must_be_within_its_creators(
    sandbox: RunningSandbox, engineer: str, viewer: str, admin: str
) -> None:
    base = sandbox.base_url
    denied = create_app(base, viewer, scopes=["read:assets", "write:assets"])
    assert_error(denied, 403, "insufficient_scope")
    assert 'scope="write:assets"' in denied.headers["www-authenticate"]
    assert_error(create_app(base, engineer, scopes=["admin"]), 403, "insufficient_scope")
    # Within the token's scopes, not the account's: a narrower sign-in makes narrower apps.
    narrow = token_for(base, scope="read:assets")
    assert_error(create_app(base, narrow, scopes=["write:assets"]), 403, "insufficient_scope")
    assert create_app(base, viewer, scopes=["read:alerts"]).status_code == 201
    assert create_app(base, admin, scopes=["admin", "write:alerts"]).status_code == 201
    assert listed_ids(base, engineer) == []  # nothing was created by the refusals


def test_owners_manage_their_own_apps_and_admins_all(
    sandbox: RunningSandbox, engineer: str, viewer: str, admin: str
) -> None:
    base = sandbox.base_url
    mine = created(create_app(base, engineer, name="Engineer's"))
    theirs = created(create_app(base, viewer, name="Viewer's"))
    path = f"{APPS}/{mine['id']}"
    assert listed_ids(base, engineer) == [mine["id"]]
    assert listed_ids(base, viewer) == [theirs["id"]]
    assert listed_ids(base, admin) == [theirs["id"], mine["id"]]
    for method, extra in (
        ("GET", {}),
        ("PATCH", {"json": {"name": "taken over"}}),
        ("POST", {}),
        ("DELETE", {}),
    ):
        target = f"{path}/secret" if method == "POST" else path
        assert_error(call(base, method, target, viewer, **extra), 404, "not_found")
    assert call(base, "GET", path, admin).status_code == 200
    renamed = call(base, "PATCH", path, admin, json={"name": "Renamed by admin"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed by admin"
    # An admin cannot give someone's app more than its owner has.
    beyond = call(base, "PATCH", path, admin, json={"scopes": ["read:assets", "admin"]})
    assert_error(beyond, 403, "insufficient_scope")
    assert call(base, "POST", f"{path}/secret", admin).status_code == 201
    assert call(base, "DELETE", path, admin).status_code == 204
    assert_error(call(base, "GET", path, engineer), 404, "not_found")


def test_only_a_users_access_token_manages_apps(sandbox: RunningSandbox, engineer: str) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, application_type="service"))
    key = call(
        base, "POST", "/v1/api-keys", engineer, json={"name": "k", "scopes": ["read:assets"]}
    )
    api_key = key.json()["key"]
    built_in = service_token(base, sandbox.service_client_secret).json()["access_token"]
    own_client = client_credentials(base, app["client_id"], app["client_secret"]).json()
    path = f"{APPS}/{app['id']}"
    for credential in (api_key, built_in, own_client["access_token"]):
        for method, target, extra in (
            ("GET", APPS, {}),
            ("POST", APPS, {"json": {"name": "x"}}),
            ("GET", path, {}),
            ("PATCH", path, {"json": {"name": "x"}}),
            ("POST", f"{path}/secret", {}),
            ("DELETE", path, {}),
        ):
            body = assert_error(
                call(base, method, target, credential, **extra), 403, "insufficient_scope"
            )
            assert "user's access token" in body["error_description"]
    assert_error(HTTP.get(f"{base}{APPS}"), 401, "invalid_token")
    assert listed_ids(base, engineer) == [app["id"]]


# -- idempotent create ---------------------------------------------------------------------


def test_a_replayed_create_returns_the_identical_response(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    base = sandbox.base_url
    first = create_app(base, engineer, name="Once", idempotency_key="create-1")
    second = create_app(base, engineer, name="Once", idempotency_key="create-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content  # the same app and the same secret
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert len(listed_ids(base, engineer)) == 1
    changed = create_app(base, engineer, name="Twice", idempotency_key="create-1")
    assert assert_error(changed, 422, "invalid_request")["field"] == "Idempotency-Key"
    other = create_app(base, engineer, name="Once", idempotency_key="create-2")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    bad_key = create_app(base, engineer, idempotency_key="has space")
    assert assert_error(bad_key, 422, "invalid_request")["field"] == "Idempotency-Key"
    # After 10 minutes the key is forgotten: the same request makes a new app.
    sandbox_controls.shift_clock(601)
    later_token = token_for(base)
    later = create_app(base, later_token, name="Once", idempotency_key="create-1")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]


def test_a_dropped_response_then_a_retry_yields_exactly_one_app(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    base = sandbox.base_url
    sandbox_controls.fault(APPS, method="POST", drop="after")
    with pytest.raises(httpx.RemoteProtocolError):
        create_app(base, engineer, application_type="service", idempotency_key="lost-1")
    retry = create_app(base, engineer, application_type="service", idempotency_key="lost-1")
    app = created(retry)
    assert listed_ids(base, engineer) == [app["id"]]
    # The secret from the retry is the app's real secret.
    assert client_credentials(base, app["client_id"], app["client_secret"]).status_code == 200


# -- secrets: rotation and grace -----------------------------------------------------------


def _rotate(base: str, token: str, app_id: str, **kwargs: Any) -> httpx.Response:
    return call(base, "POST", f"{APPS}/{app_id}/secret", token, **kwargs)


def test_both_secrets_work_during_the_24_hour_grace_then_only_the_new_one(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, application_type="service"))
    old = app["client_secret"]
    rotated = _rotate(base, engineer, app["id"])
    assert rotated.status_code == 201 and rotated.headers["cache-control"] == "no-store"
    new = rotated.json()["client_secret"]
    assert new != old and rotated.json()["secret_hint"] == new[-4:]
    until = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    assert abs(until - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
    for secret in (old, new):
        for method in ("basic", "post"):
            ok = client_credentials(base, app["client_id"], secret, method=method)
            assert ok.status_code == 200, ok.text
    sandbox_controls.shift_clock(24 * 3600 - 60)
    assert client_credentials(base, app["client_id"], old).status_code == 200
    sandbox_controls.shift_clock(24 * 3600 + 1)
    assert_error(client_credentials(base, app["client_id"], old), 401, "invalid_client")
    assert_error(
        client_credentials(base, app["client_id"], old, method="post"), 401, "invalid_client"
    )
    assert client_credentials(base, app["client_id"], new).status_code == 200
    fresh = token_for(base)
    assert (
        call(base, "GET", f"{APPS}/{app['id']}", fresh).json()["previous_secret_expires_at"] is None
    )


def test_revoke_previous_ends_the_old_secret_at_once(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, application_type="service"))
    rotated = _rotate(base, engineer, app["id"], json={"revoke_previous": True})
    assert rotated.status_code == 201
    assert rotated.json()["previous_secret_expires_at"] is None
    assert_error(
        client_credentials(base, app["client_id"], app["client_secret"]), 401, "invalid_client"
    )
    assert (
        client_credentials(base, app["client_id"], rotated.json()["client_secret"]).status_code
        == 200
    )


def test_rotating_twice_keeps_only_the_secret_that_was_current(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, application_type="service"))
    first = _rotate(base, engineer, app["id"]).json()["client_secret"]
    second = _rotate(base, engineer, app["id"]).json()["client_secret"]
    assert_error(
        client_credentials(base, app["client_id"], app["client_secret"]), 401, "invalid_client"
    )
    for secret in (first, second):
        assert client_credentials(base, app["client_id"], secret).status_code == 200


def test_secret_rotation_is_idempotent_and_only_for_confidential_apps(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer))
    headers = {"Idempotency-Key": "rotate-1"}
    first = _rotate(base, engineer, app["id"], headers=headers)
    again = _rotate(base, engineer, app["id"], headers=headers)
    assert first.status_code == again.status_code == 201 and first.content == again.content
    other_body = _rotate(base, engineer, app["id"], headers=headers, json={"revoke_previous": True})
    assert assert_error(other_body, 422, "invalid_request")["field"] == "Idempotency-Key"
    bad = _rotate(base, engineer, app["id"], json={"revoke_previous": "yes"})
    assert assert_error(bad, 422, "invalid_request")["field"] == "revoke_previous"
    spa = created(create_app(base, engineer, application_type="spa"))
    public = _rotate(base, engineer, spa["id"])
    assert assert_error(public, 422, "invalid_request")["field"] == "application_type"
    assert_error(_rotate(base, engineer, "app_unknown"), 404, "not_found")


# -- registered apps at /oauth/authorize and /oauth/token ----------------------------------


@pytest.mark.parametrize("method", ["basic", "post"])
def test_a_web_app_signs_people_in_with_its_secret(
    sandbox: RunningSandbox, engineer: str, method: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, scopes=["read:assets", "read:alerts"]))
    code, _ = sign_in_for_code(
        base, app["client_id"], WEB_REDIRECT, scope="read:assets read:alerts", pkce=False
    )
    response = exchange_code(
        base,
        code,
        WEB_REDIRECT,
        client_id=app["client_id"],
        secret=app["client_secret"],
        method=method,
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["scope"] == "read:assets read:alerts" and tokens["refresh_token"]
    issued = claims(tokens["access_token"])
    assert issued["client_id"] == app["client_id"] and issued["sub"] == "user-123"
    me = call(base, "GET", "/v1/me", tokens["access_token"]).json()
    assert me["kind"] == "user" and me["client_id"] == app["client_id"]
    renewed = refresh(
        base,
        tokens["refresh_token"],
        client_id=app["client_id"],
        secret=app["client_secret"],
        method=method,
    )
    assert renewed.status_code == 200 and renewed.json()["refresh_token"] != tokens["refresh_token"]
    # Refresh is for the app's own client authentication, not anyone's.
    assert_error(
        refresh(base, renewed.json()["refresh_token"], client_id=app["client_id"]),
        401,
        "invalid_client",
    )


def test_a_wrong_or_missing_secret_is_invalid_client(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer))
    for method in ("basic", "post"):
        code, _ = sign_in_for_code(base, app["client_id"], WEB_REDIRECT, pkce=False)
        wrong = exchange_code(
            base, code, WEB_REDIRECT, client_id=app["client_id"], secret="x" * 43, method=method
        )
        assert_error(wrong, 401, "invalid_client")
        if method == "basic":
            assert wrong.headers["www-authenticate"].startswith("Basic")
    code, _ = sign_in_for_code(base, app["client_id"], WEB_REDIRECT, pkce=False)
    assert_error(
        exchange_code(base, code, WEB_REDIRECT, client_id=app["client_id"]), 401, "invalid_client"
    )
    other = created(create_app(base, engineer))
    assert_error(
        client_credentials(base, app["client_id"], other["client_secret"]), 401, "invalid_client"
    )


def test_web_pkce_is_optional_but_verified_when_sent(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer))
    client_id, secret = app["client_id"], app["client_secret"]
    code, verifier = sign_in_for_code(base, client_id, WEB_REDIRECT, pkce=True)
    assert verifier is not None
    wrong = exchange_code(
        base, code, WEB_REDIRECT, client_id=client_id, secret=secret, verifier=pkce_pair()[0]
    )
    assert_error(wrong, 400, "invalid_grant")
    code, verifier = sign_in_for_code(base, client_id, WEB_REDIRECT, pkce=True)
    missing = exchange_code(base, code, WEB_REDIRECT, client_id=client_id, secret=secret)
    assert_error(missing, 400, "invalid_grant")
    code, verifier = sign_in_for_code(base, client_id, WEB_REDIRECT, pkce=True)
    right = exchange_code(
        base, code, WEB_REDIRECT, client_id=client_id, secret=secret, verifier=verifier
    )
    assert right.status_code == 200, right.text


@pytest.mark.parametrize(
    ("application_type", "redirect_uri"),
    [("spa", "https://spa.example.com/callback"), ("native", "com.example.app:/callback")],
)
def test_public_apps_must_use_pkce(
    sandbox: RunningSandbox, engineer: str, application_type: str, redirect_uri: str
) -> None:
    base = sandbox.base_url
    app = created(
        create_app(base, engineer, application_type=application_type, redirect_uris=[redirect_uri])
    )
    without = HTTP.get(authorize_url(base, app["client_id"], redirect_uri))
    assert without.status_code == 303
    params = query(without.headers["location"])
    assert params["error"] == "invalid_request" and "PKCE" in params["error_description"]
    assert without.headers["location"].startswith(redirect_uri + "?")
    code, verifier = sign_in_for_code(base, app["client_id"], redirect_uri, pkce=True)
    no_verifier = exchange_code(base, code, redirect_uri, client_id=app["client_id"])
    assert_error(no_verifier, 400, "invalid_grant")
    code, verifier = sign_in_for_code(base, app["client_id"], redirect_uri, pkce=True)
    tokens = exchange_code(base, code, redirect_uri, client_id=app["client_id"], verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    renewed = refresh(base, tokens.json()["refresh_token"], client_id=app["client_id"])
    assert renewed.status_code == 200


def test_a_native_apps_loopback_redirect_works_on_any_port(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    native = created(
        create_app(
            base, engineer, application_type="native", redirect_uris=["http://127.0.0.1/callback"]
        )
    )
    for port in (49152, 61234):
        redirect_uri = f"http://127.0.0.1:{port}/callback"
        code, verifier = sign_in_for_code(base, native["client_id"], redirect_uri)
        ok = exchange_code(
            base, code, redirect_uri, client_id=native["client_id"], verifier=verifier
        )
        assert ok.status_code == 200, ok.text
    for wrong in ("http://127.0.0.1:5000/other", "http://localhost:5000/callback"):
        page = HTTP.get(
            authorize_url(base, native["client_id"], wrong, code_challenge=pkce_pair()[1])
        )
        assert page.status_code == 400 and "location" not in page.headers
        assert "Invalid redirect" in page.text
    # A web app's loopback redirect is exact, port included.
    web = created(create_app(base, engineer, redirect_uris=["http://127.0.0.1:8080/callback"]))
    page = HTTP.get(authorize_url(base, web["client_id"], "http://127.0.0.1:8081/callback"))
    assert page.status_code == 400 and "location" not in page.headers


def test_a_service_app_uses_client_credentials_only(sandbox: RunningSandbox, engineer: str) -> None:
    base = sandbox.base_url
    app = created(
        create_app(
            base, engineer, application_type="service", scopes=["read:assets", "read:alerts"]
        )
    )
    response = client_credentials(base, app["client_id"], app["client_secret"])
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["scope"] == "read:assets read:alerts" and "refresh_token" not in tokens
    me = call(base, "GET", "/v1/me", tokens["access_token"]).json()
    assert me["kind"] == "client" and me["sub"] == app["client_id"] and me["name"] == app["name"]
    narrowed = client_credentials(base, app["client_id"], app["client_secret"], scope="read:alerts")
    assert narrowed.json()["scope"] == "read:alerts"
    beyond = client_credentials(base, app["client_id"], app["client_secret"], scope="write:assets")
    assert_error(beyond, 400, "invalid_scope")
    page = HTTP.get(
        authorize_url(base, app["client_id"], WEB_REDIRECT, code_challenge=pkce_pair()[1])
    )
    assert page.status_code == 400 and "location" not in page.headers
    code_grant = HTTP.post(
        f"{base}/oauth/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": WEB_REDIRECT},
        headers=basic(app["client_id"], app["client_secret"]),
    )
    assert_error(code_grant, 400, "unauthorized_client")


def test_tokens_never_carry_more_than_the_apps_scopes(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, scopes=["read:assets"]))
    secret = app["client_secret"]
    # The engineer may write, the app may not: the token only reads.
    code, _ = sign_in_for_code(
        base, app["client_id"], WEB_REDIRECT, scope="read:assets write:assets", pkce=False
    )
    tokens = exchange_code(base, code, WEB_REDIRECT, client_id=app["client_id"], secret=secret)
    assert tokens.json()["scope"] == "read:assets"
    assert claims(tokens.json()["access_token"])["scope"] == "read:assets"
    assert_error(
        call(base, "GET", "/v1/alerts", tokens.json()["access_token"]), 403, "insufficient_scope"
    )
    # An admin signing in to the app gets the app's scopes, not admin.
    code, _ = sign_in_for_code(
        base, app["client_id"], WEB_REDIRECT, scope=None, pkce=False, email=ADMIN
    )
    admin_tokens = exchange_code(
        base, code, WEB_REDIRECT, client_id=app["client_id"], secret=secret
    )
    assert admin_tokens.json()["scope"] == "read:assets"
    # Asking only for what the app may not have ends with invalid_scope at the redirect.
    url = authorize_url(base, app["client_id"], WEB_REDIRECT, scope="write:assets")
    assert query(complete_sign_in(url))["error"] == "invalid_scope"
    # A refresh cannot widen the grant either.
    widened = refresh(
        base, tokens.json()["refresh_token"], client_id=app["client_id"], secret=secret
    )
    assert widened.json()["scope"] == "read:assets"


def test_narrowing_an_apps_scopes_revokes_tokens_that_carry_more(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, scopes=["read:assets", "write:assets"]))
    client_id, secret = app["client_id"], app["client_secret"]

    def grant(scope: str) -> dict[str, Any]:
        code, _ = sign_in_for_code(base, client_id, WEB_REDIRECT, scope=scope, pkce=False)
        response = exchange_code(base, code, WEB_REDIRECT, client_id=client_id, secret=secret)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    wide, narrow = grant("read:assets write:assets"), grant("read:assets")
    patched = call(base, "PATCH", f"{APPS}/{app['id']}", engineer, json={"scopes": ["read:assets"]})
    assert patched.status_code == 200 and patched.json()["scopes"] == ["read:assets"]
    for tokens in (wide, narrow):
        assert_error(call(base, "GET", "/v1/me", tokens["access_token"]), 401, "invalid_token")
    assert_error(
        refresh(base, wide["refresh_token"], client_id=client_id, secret=secret),
        400,
        "invalid_grant",
    )
    renewed = refresh(base, narrow["refresh_token"], client_id=client_id, secret=secret)
    assert renewed.status_code == 200 and renewed.json()["scope"] == "read:assets"
    # Widening again is allowed within the owner's scopes and revokes nothing.
    again = call(
        base,
        "PATCH",
        f"{APPS}/{app['id']}",
        engineer,
        json={"scopes": ["read:assets", "write:assets"]},
    )
    assert again.status_code == 200
    assert call(base, "GET", "/v1/me", renewed.json()["access_token"]).status_code == 200


def test_deleting_an_app_stops_its_client_id_and_revokes_its_tokens(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, scopes=["read:assets"]))
    client_id, secret = app["client_id"], app["client_secret"]
    code, _ = sign_in_for_code(base, client_id, WEB_REDIRECT, pkce=False)
    tokens = exchange_code(base, code, WEB_REDIRECT, client_id=client_id, secret=secret).json()
    unused_code, _ = sign_in_for_code(base, client_id, WEB_REDIRECT, pkce=False)
    pending_url = authorize_url(base, client_id, WEB_REDIRECT)
    assert HTTP.get(pending_url).status_code == 200  # a sign-in page open in some browser

    assert call(base, "DELETE", f"{APPS}/{app['id']}", engineer).status_code == 204

    assert_error(call(base, "GET", "/v1/me", tokens["access_token"]), 401, "invalid_token")
    assert_error(
        refresh(base, tokens["refresh_token"], client_id=client_id, secret=secret),
        401,
        "invalid_client",
    )
    assert_error(
        exchange_code(base, unused_code, WEB_REDIRECT, client_id=client_id, secret=secret),
        401,
        "invalid_client",
    )
    page = HTTP.get(pending_url)
    assert page.status_code == 400 and "Unknown application" in page.text
    assert_error(call(base, "GET", f"{APPS}/{app['id']}", engineer), 404, "not_found")
    assert_error(call(base, "DELETE", f"{APPS}/{app['id']}", engineer), 404, "not_found")
    assert listed_ids(base, engineer) == []


def test_a_sign_in_under_way_fails_once_its_app_is_deleted(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer))
    with httpx.Client(timeout=10.0) as browser:
        signin = browser.get(authorize_url(base, app["client_id"], WEB_REDIRECT))
        form = _FormParser()
        form.feed(signin.text)
        assert form.form is not None
        consent = browser.post(
            base + form.form.action,
            data={**form.form.fields, "email": "engineer@example.com", "password": "twinedge-demo"},
        )
        assert consent.status_code == 200 and "Allow access?" in consent.text
        decision = _FormParser()
        decision.feed(consent.text)
        assert decision.form is not None
        assert call(base, "DELETE", f"{APPS}/{app['id']}", engineer).status_code == 204
        allowed = browser.post(
            base + decision.form.action, data={**decision.form.fields, "decision": "allow"}
        )
    assert allowed.status_code == 400 and "location" not in allowed.headers
    assert "no longer valid" in allowed.text


def test_a_deleted_apps_create_response_is_not_replayed(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    first = created(create_app(base, engineer, idempotency_key="same-key"))
    assert call(base, "DELETE", f"{APPS}/{first['id']}", engineer).status_code == 204
    # The stored response (which holds the dead app's secret) went with the app.
    again = created(create_app(base, engineer, idempotency_key="same-key"))
    assert again["id"] != first["id"] and again["client_secret"] != first["client_secret"]
    assert listed_ids(base, engineer) == [again["id"]]


def test_deleting_a_service_app_revokes_its_client_tokens(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer, application_type="service"))
    token = client_credentials(base, app["client_id"], app["client_secret"]).json()["access_token"]
    assert call(base, "GET", "/v1/assets", token).status_code == 200
    assert call(base, "DELETE", f"{APPS}/{app['id']}", engineer).status_code == 204
    assert_error(call(base, "GET", "/v1/assets", token), 401, "invalid_token")
    assert_error(
        client_credentials(base, app["client_id"], app["client_secret"]), 401, "invalid_client"
    )


def test_the_consent_page_names_the_app_escaped(sandbox: RunningSandbox, engineer: str) -> None:
    base = sandbox.base_url
    name = '<script>alert("x")</script> & Co'
    app = created(create_app(base, engineer, name=name))
    with httpx.Client(timeout=10.0) as browser:
        signin = browser.get(authorize_url(base, app["client_id"], WEB_REDIRECT))
        assert signin.status_code == 200
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in signin.text
        assert "<script>" not in signin.text
        parser = _FormParser()
        parser.feed(signin.text)
        assert parser.form is not None
        consent = browser.post(
            base + parser.form.action,
            data={
                **parser.form.fields,
                "email": "engineer@example.com",
                "password": "twinedge-demo",
            },
        )
    assert consent.status_code == 200 and "Allow access?" in consent.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in consent.text
    assert "<script>" not in consent.text
    assert (
        "registered in this organisation by <strong>engineer@example.com</strong>" in consent.text
    )


# -- update, paging ------------------------------------------------------------------------


def test_update_changes_what_it_names_and_validates_the_same_way(
    sandbox: RunningSandbox, engineer: str
) -> None:
    base = sandbox.base_url
    app = created(create_app(base, engineer))
    path = f"{APPS}/{app['id']}"
    new_redirect = "https://app.example.com/v2/callback"
    response = call(
        base, "PATCH", path, engineer, json={"name": "v2", "redirect_uris": [new_redirect]}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["name"], updated["redirect_uris"]) == ("v2", [new_redirect])
    assert updated["client_id"] == app["client_id"] and updated["scopes"] == app["scopes"]
    # At once: the old redirect URI is refused, the new one signs in.
    old = HTTP.get(authorize_url(base, app["client_id"], WEB_REDIRECT))
    assert old.status_code == 400
    assert sign_in_for_code(base, app["client_id"], new_redirect, pkce=False)[0]
    unchanged = call(base, "PATCH", path, engineer, json={})
    assert unchanged.status_code == 200 and unchanged.json() == updated
    for body, error, field in (
        ({"application_type": "spa"}, "invalid_request", "application_type"),
        ({"redirect_uris": ["http://app.example.com/cb"]}, "invalid_redirect_uri", "redirect_uris"),
        ({"name": "\u202eevil"}, "invalid_request", "name"),
        ({"scopes": []}, "invalid_request", "scopes"),
        ({"surprise": 1}, "invalid_request", "surprise"),
    ):
        rejected = call(base, "PATCH", path, engineer, json=body)
        assert assert_error(rejected, 422, error)["field"] == field
    assert_error(
        call(base, "PATCH", path, engineer, json={"scopes": ["admin"]}), 403, "insufficient_scope"
    )
    assert call(base, "GET", path, engineer).json() == updated


def test_listing_pages_through_cursors(sandbox: RunningSandbox, engineer: str) -> None:
    base = sandbox.base_url
    made = [created(create_app(base, engineer, name=f"app {n}"))["id"] for n in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = call(base, "GET", APPS, engineer, params=params).json()
        assert len(page["data"]) <= 2
        seen += [app["id"] for app in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # An app created while paging never shifts the pages that follow.
        if len(seen) == 2:
            created(create_app(base, engineer, name="made while paging"))
    assert seen == list(reversed(made))
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "bm9wZQ"}, "cursor"),
        ({"sort": "name"}, "sort"),
    ):
        bad = call(base, "GET", APPS, engineer, params=params)
        assert assert_error(bad, 422, "invalid_request")["field"] == field
