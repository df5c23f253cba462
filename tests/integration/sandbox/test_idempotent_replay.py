"""An ``Idempotency-Key`` replay never hands out the secret of a key that no longer works
(issue 15, finding 5): the answer is 409 ``conflict`` and says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.sandbox import SandboxControls
from tests.integration.sandbox.flows import ADMIN, api, assert_error, user_tokens
from twinedge_desktop.sandbox.embedded import RunningSandbox

KEYS = "/v1/api-keys"


@pytest.fixture
def engineer(sandbox: RunningSandbox) -> str:
    token: str = user_tokens(sandbox.base_url, scope="read:assets")["access_token"]
    return token


def _create(base_url: str, token: str, body: dict[str, object], key: str) -> object:
    return api(base_url, "POST", KEYS, token, json=body, headers={"Idempotency-Key": key})


@pytest.mark.parametrize("revoker", ["owner", "admin"])
def test_a_replay_after_revocation_is_409_without_the_secret(
    sandbox: RunningSandbox, engineer: str, revoker: str
) -> None:
    body = {"name": "lost response", "scopes": ["read:assets"]}
    created = api(
        sandbox.base_url, "POST", KEYS, engineer, json=body, headers={"Idempotency-Key": "once"}
    )
    assert created.status_code == 201
    secret, key_id = created.json()["key"], created.json()["id"]
    by = (
        engineer
        if revoker == "owner"
        else user_tokens(sandbox.base_url, email=ADMIN, scope="admin")["access_token"]
    )
    assert api(sandbox.base_url, "DELETE", f"{KEYS}/{key_id}", by).status_code == 204

    replay = api(
        sandbox.base_url, "POST", KEYS, engineer, json=body, headers={"Idempotency-Key": "once"}
    )
    error = assert_error(replay, 409, "conflict")
    assert "revoked" in error["error_description"] and key_id in error["error_description"]
    assert secret not in replay.text
    # And no second key was made by the replay.
    listed = api(sandbox.base_url, "GET", KEYS, engineer).json()["data"]
    assert [key["id"] for key in listed] == [key_id]


def test_a_replay_after_expiry_is_409(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    expires = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"name": "short", "scopes": ["read:assets"], "expires_at": expires}
    created = api(
        sandbox.base_url, "POST", KEYS, engineer, json=body, headers={"Idempotency-Key": "short"}
    )
    assert created.status_code == 201
    sandbox_controls.shift_clock(5 * 60)  # expired, still within the 10-minute replay window
    replay = api(
        sandbox.base_url, "POST", KEYS, engineer, json=body, headers={"Idempotency-Key": "short"}
    )
    assert "expired" in assert_error(replay, 409, "conflict")["error_description"]
    assert created.json()["key"] not in replay.text


def test_a_replay_of_a_working_key_is_still_identical(
    sandbox: RunningSandbox, engineer: str
) -> None:
    body = {"name": "fine", "scopes": ["read:assets"]}
    first = api(
        sandbox.base_url, "POST", KEYS, engineer, json=body, headers={"Idempotency-Key": "k"}
    )
    second = api(
        sandbox.base_url, "POST", KEYS, engineer, json=body, headers={"Idempotency-Key": "k"}
    )
    assert first.status_code == second.status_code == 201
    assert first.content == second.content


def test_revocation_forgets_the_kept_copy_of_the_secret(
    sandbox: RunningSandbox, engineer: str
) -> None:
    body = {"name": "scrubbed", "scopes": ["read:assets"]}
    created = api(
        sandbox.base_url, "POST", KEYS, engineer, json=body, headers={"Idempotency-Key": "s"}
    )
    secret = created.json()["key"]
    api(sandbox.base_url, "DELETE", f"{KEYS}/{created.json()['id']}", engineer)
    kept = b"".join(response.body for response in sandbox._state.idempotency.values())
    assert secret.encode() not in kept


# -- one helper for every create that hands out a secret (sandbox/idempotency.py) ---------------

APPS = "/v1/oauth-apps"
_APP = {
    "name": "Replayed",
    "application_type": "service",
    "redirect_uris": [],
    "scopes": ["read:assets"],
}


@pytest.mark.parametrize(
    ("path", "body"), [(KEYS, {"name": "k", "scopes": ["read:assets"]}), (APPS, _APP)]
)
def test_a_replay_is_identical_headers_included(
    sandbox: RunningSandbox, engineer: str, path: str, body: dict[str, object]
) -> None:
    headers = {"Idempotency-Key": "same"}
    first = api(sandbox.base_url, "POST", path, engineer, json=body, headers=headers)
    second = api(sandbox.base_url, "POST", path, engineer, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second.headers["idempotent-replayed"] == "true"
    for name in ("location", "cache-control", "content-type"):
        assert first.headers[name] == second.headers[name], name
    assert first.headers["location"] == f"{path}/{first.json()['id']}"


def test_one_idempotency_key_names_one_create_per_endpoint(
    sandbox: RunningSandbox, engineer: str
) -> None:
    headers = {"Idempotency-Key": "shared-by-two-endpoints"}
    key = api(
        sandbox.base_url,
        "POST",
        KEYS,
        engineer,
        json={"name": "k", "scopes": ["read:assets"]},
        headers=headers,
    )
    app = api(sandbox.base_url, "POST", APPS, engineer, json=_APP, headers=headers)
    assert key.status_code == app.status_code == 201
    assert "idempotent-replayed" not in app.headers
    assert app.json()["id"].startswith("app_") and key.json()["id"].startswith("key_")


def test_a_deleted_apps_kept_secret_is_dropped_at_once(
    sandbox: RunningSandbox, engineer: str
) -> None:
    created = api(
        sandbox.base_url, "POST", APPS, engineer, json=_APP, headers={"Idempotency-Key": "gone"}
    )
    secret = created.json()["client_secret"]
    api(sandbox.base_url, "DELETE", f"{APPS}/{created.json()['id']}", engineer)
    kept = b"".join(response.body for response in sandbox._state.idempotency.values())
    assert secret.encode() not in kept
