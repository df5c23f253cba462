"""Bad input, limits, rate limiting and the injected faults, signing-key rotation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.sandbox import SandboxControls
from tests.integration.sandbox.flows import (
    CLIENT_ID,
    HTTP,
    TIMEOUT,
    api,
    assert_error,
    refresh,
    user_tokens,
)
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread

KEYS = "/v1/api-keys"


@pytest.fixture
def engineer(sandbox: RunningSandbox) -> str:
    token: str = user_tokens(sandbox.base_url, scope="read:assets write:assets")["access_token"]
    return token


def _post_raw(base_url: str, token: str, content: bytes, content_type: str) -> httpx.Response:
    return HTTP.post(
        base_url + KEYS,
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )


@pytest.mark.parametrize(
    "content", [b"{", b"not json", b"\xff\xfe\x00", b"", b'{"name": "x",}', b"[1, 2"]
)
def test_malformed_json_is_400(sandbox: RunningSandbox, engineer: str, content: bytes) -> None:
    response = _post_raw(sandbox.base_url, engineer, content, "application/json")
    assert_error(response, 400, "invalid_request")


def test_json_body_with_another_content_type_is_415(sandbox: RunningSandbox, engineer: str) -> None:
    body = json.dumps({"name": "x", "scopes": ["read:assets"]}).encode()
    response = _post_raw(sandbox.base_url, engineer, body, "text/plain")
    assert_error(response, 415, "invalid_request")


def test_oversized_body_is_413(sandbox: RunningSandbox, engineer: str) -> None:
    big = json.dumps({"name": "x" * 70_000, "scopes": ["read:assets"]}).encode()
    assert_error(
        _post_raw(sandbox.base_url, engineer, big, "application/json"), 413, "request_too_large"
    )


def test_oversized_chunked_body_without_length_is_413(
    sandbox: RunningSandbox, engineer: str
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"y" * 4096
        yield b'", "scopes": ["read:assets"]}'

    response = HTTP.post(
        sandbox.base_url + KEYS,
        content=chunks(),
        headers={"Authorization": f"Bearer {engineer}", "Content-Type": "application/json"},
    )
    assert_error(response, 413, "request_too_large")


def test_oversized_token_form_is_413(sandbox: RunningSandbox) -> None:
    response = HTTP.post(
        f"{sandbox.base_url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "r" * 100_000,
            "client_id": CLIENT_ID,
        },
    )
    assert_error(response, 413, "request_too_large")


def test_form_with_a_file_part_is_refused_cleanly(sandbox: RunningSandbox) -> None:
    response = HTTP.post(
        f"{sandbox.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        files={"client_secret": ("secret.txt", b"x")},
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "client_id=%00&redirect_uri=%ff",
        "client_id=twinedge-desktop&redirect_uri=" + "x" * 5000,
        "client_id=twinedge-desktop&redirect_uri=http://[::1/callback",
        "client_id=twinedge-desktop&redirect_uri=http://127.0.0.1:abc/callback",
        "client_id=%E2%80%AE&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback",
    ],
)
def test_garbage_authorize_requests_get_an_error_page(sandbox: RunningSandbox, query: str) -> None:
    response = HTTP.get(f"{sandbox.base_url}/oauth/authorize?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


def test_signin_post_to_unknown_request_is_an_error_page(sandbox: RunningSandbox) -> None:
    response = HTTP.post(
        f"{sandbox.base_url}/oauth/authorize/nope/signin", data={"email": "a", "password": "b"}
    )
    assert response.status_code == 400
    assert "Sign-in expired" in response.text


# A module-scoped sandbox for the property test: Hypothesis runs many examples per test.
@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[RunningSandbox, str]]:
    with start_in_thread() as running:
        token = user_tokens(running.base_url, scope="read:assets write:assets")["access_token"]
        yield running, token


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    # Infinity and NaN are not JSON (RFC 8259 §6): test_input_validation.py has them.
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
create_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "name": json_values,
            "scopes": json_values | st.lists(st.sampled_from(["read:assets", "admin", "x"])),
            "expires_at": json_values | st.datetimes().map(lambda d: d.isoformat()),
        },
    )
    | json_values
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=create_bodies)
def test_any_json_body_gets_a_contract_answer(
    shared_sandbox: tuple[RunningSandbox, str], body: Any
) -> None:
    running, token = shared_sandbox
    response = _post_raw(running.base_url, token, json.dumps(body).encode(), "application/json")
    assert response.status_code in (201, 403, 422), response.text
    if response.status_code != 201:
        assert set(response.json()) >= {"error", "error_description"}


@settings(max_examples=40, deadline=None)
@given(
    credential=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=300
    )
)
def test_any_bearer_string_is_invalid_token(
    shared_sandbox: tuple[RunningSandbox, str], credential: str
) -> None:
    running, _ = shared_sandbox
    response = HTTP.get(
        f"{running.base_url}/v1/me", headers={"Authorization": f"Bearer {credential}"}
    )
    assert_error(response, 401, "invalid_token")


# -- rate limiting ------------------------------------------------------------------------------


def test_rate_limit_gives_429_with_retry_after(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    sandbox_controls.rate_limit(3, window_seconds=60)
    remaining = []
    for _ in range(3):
        response = api(sandbox.base_url, "GET", "/v1/assets", engineer)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    limited = api(sandbox.base_url, "GET", "/v1/assets", engineer)
    assert_error(limited, 429, "rate_limited")
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert limited.headers["x-ratelimit-remaining"] == "0"
    # Another caller has its own budget.
    assert HTTP.get(f"{sandbox.base_url}/.well-known/jwks.json").status_code == 200
    # A new window starts after Retry-After.
    sandbox_controls.shift_clock(retry_after + 1)
    assert api(sandbox.base_url, "GET", "/v1/assets", engineer).status_code == 200


# -- faults -------------------------------------------------------------------------------------


def test_status_fault_hits_count_requests_then_clears(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    sandbox_controls.fault("/v1/api-keys", method="GET", count=2, status=503)
    for _ in range(2):
        response = api(sandbox.base_url, "GET", KEYS, engineer)
        assert_error(response, 503, "temporarily_unavailable")
        assert response.headers["retry-after"] == "1"
    assert api(sandbox.base_url, "GET", KEYS, engineer).status_code == 200


def test_fault_matches_method_and_glob(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    sandbox_controls.fault("/v1/api-keys/*", method="DELETE", status=500)
    assert api(sandbox.base_url, "GET", KEYS, engineer).status_code == 200
    assert_error(api(sandbox.base_url, "DELETE", f"{KEYS}/key_x", engineer), 500, "server_error")
    assert_error(api(sandbox.base_url, "DELETE", f"{KEYS}/key_x", engineer), 404, "not_found")


def test_clear_faults(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    sandbox_controls.fault("/v1/me", count=5, status=500)
    sandbox_controls.clear_faults()
    assert api(sandbox.base_url, "GET", "/v1/me", engineer).status_code == 200


def test_delay_fault_holds_the_response(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    sandbox_controls.fault("/v1/me", delay=1.5)
    with pytest.raises(httpx.ReadTimeout):
        HTTP.get(
            f"{sandbox.base_url}/v1/me",
            headers={"Authorization": f"Bearer {engineer}"},
            timeout=httpx.Timeout(TIMEOUT, read=0.25),
        )
    # The fault was for one request; the next one is answered normally.
    assert api(sandbox.base_url, "GET", "/v1/me", engineer).status_code == 200


def test_drop_before_loses_the_request(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    sandbox_controls.fault(KEYS, method="POST", drop="before")
    with pytest.raises(httpx.RemoteProtocolError):
        api(sandbox.base_url, "POST", KEYS, engineer, json={"name": "a", "scopes": ["read:assets"]})
    assert api(sandbox.base_url, "GET", KEYS, engineer).json()["data"] == []


def test_drop_after_commits_and_an_idempotent_retry_gets_the_same_key(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls, engineer: str
) -> None:
    sandbox_controls.fault(KEYS, method="POST", drop="after")
    body = {"name": "lost response", "scopes": ["read:assets"]}
    headers = {"Idempotency-Key": "retry-me"}
    with pytest.raises(httpx.RemoteProtocolError):
        api(sandbox.base_url, "POST", KEYS, engineer, json=body, headers=headers)
    listed = api(sandbox.base_url, "GET", KEYS, engineer).json()["data"]
    assert [key["name"] for key in listed] == ["lost response"]
    retry = api(sandbox.base_url, "POST", KEYS, engineer, json=body, headers=headers)
    assert retry.status_code == 201
    assert retry.json()["id"] == listed[0]["id"]
    assert len(api(sandbox.base_url, "GET", KEYS, engineer).json()["data"]) == 1


def test_drop_after_on_refresh_rotates_anyway(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    tokens = user_tokens(sandbox.base_url)
    sandbox_controls.fault("/oauth/token", drop="after")
    with pytest.raises(httpx.RemoteProtocolError):
        refresh(sandbox.base_url, tokens["refresh_token"])
    # The token was spent by the lost request; after the reuse grace (60 s) presenting it
    # again is re-use and ends the sign-in. (Within the grace: test_refresh_grace.py.)
    sandbox_controls.shift_clock(61)
    assert_error(refresh(sandbox.base_url, tokens["refresh_token"]), 400, "invalid_grant")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"path": "no-slash"}, "path"),
        ({"path": "/v1/me", "status": 200}, "status"),
        ({"path": "/v1/me", "drop": "sideways"}, "drop"),
        ({"path": "/v1/me", "count": 0}, "count"),
        ({"path": "/v1/me", "delay": -1}, "delay"),
    ],
)
def test_fault_control_validates(sandbox: RunningSandbox, body: dict[str, Any], field: str) -> None:
    response = HTTP.post(f"{sandbox.base_url}/_sandbox/faults", json=body)
    assert assert_error(response, 422, "invalid_request")["field"] == field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/_sandbox/seed-keys", b'{"email": "\\ud800"}', "email"),
        ("/_sandbox/seed-keys", b'{"email": "a\\udfffb@example.com"}', "email"),
        ("/_sandbox/seed-usage", b'{"key_id": "\\ud800"}', "key_id"),
    ],
)
def test_a_lone_surrogate_in_a_test_control_is_422(
    sandbox: RunningSandbox, path: str, body: bytes, field: str
) -> None:
    """Valid JSON whose text UTF-8 cannot carry (SQLite refused it: a 500)."""
    response = HTTP.post(
        f"{sandbox.base_url}{path}", content=body, headers={"Content-Type": "application/json"}
    )
    assert assert_error(response, 422, "invalid_request")["field"] == field


# -- signing-key rotation -----------------------------------------------------------------------


def test_key_rotation_keeps_the_old_key_published_for_an_overlap(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    before = user_tokens(sandbox.base_url)
    old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
    new_kid = sandbox_controls.rotate_key()
    assert new_kid != old_kid
    kids = [k["kid"] for k in HTTP.get(f"{sandbox.base_url}/.well-known/jwks.json").json()["keys"]]
    assert set(kids) == {old_kid, new_kid}
    assert api(sandbox.base_url, "GET", "/v1/me", before["access_token"]).status_code == 200
    after = refresh(sandbox.base_url, before["refresh_token"]).json()
    assert jwt.get_unverified_header(after["access_token"])["kid"] == new_kid
    sandbox_controls.shift_clock(3 * 3600)
    kids = [k["kid"] for k in HTTP.get(f"{sandbox.base_url}/.well-known/jwks.json").json()["keys"]]
    assert kids == [new_kid]


form_fields = st.dictionaries(
    st.sampled_from(
        [
            "grant_type",
            "code",
            "redirect_uri",
            "client_id",
            "client_secret",
            "code_verifier",
            "refresh_token",
            "scope",
            "token",
            "token_type_hint",
            "x",
        ]
    ),
    st.one_of(
        st.sampled_from(
            [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "twinedge-desktop",
                "twinedge-service",
                "admin",
                "",
            ]
        ),
        st.text(max_size=60),
    ),
    max_size=7,
)


@settings(max_examples=60, deadline=None)
@given(form=form_fields, path=st.sampled_from(["/oauth/token", "/oauth/revoke"]))
def test_any_token_or_revocation_form_gets_a_contract_answer(
    shared_sandbox: tuple[RunningSandbox, str], form: dict[str, str], path: str
) -> None:
    running, _ = shared_sandbox
    response = HTTP.post(f"{running.base_url}{path}", data=form)
    assert response.status_code in (200, 400, 401), response.text
    if response.status_code != 200:
        assert response.json()["error"] in (
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "invalid_scope",
            "unauthorized_client",
            "unsupported_grant_type",
        )


@settings(max_examples=60, deadline=None)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    "twinedge-desktop",
                    "http://127.0.0.1:5000/callback",
                    "code",
                    "S256",
                    "plain",
                    "read:assets",
                    "A" * 43,
                ]
            ),
            st.text(max_size=60),
        ),
        max_size=7,
    )
)
def test_any_authorization_request_gets_a_page_or_a_redirect(
    shared_sandbox: tuple[RunningSandbox, str], params: dict[str, str]
) -> None:
    running, _ = shared_sandbox
    response = HTTP.get(f"{running.base_url}/oauth/authorize", params=params)
    assert response.status_code in (200, 303, 400), response.text
    if response.status_code == 303:
        assert response.headers["location"].startswith(params["redirect_uri"])


def test_the_sandbox_state_repr_shows_no_secret(sandbox: RunningSandbox) -> None:
    """A repr in a log line or a debugger must not carry the service secret, the demo
    password, a CSRF token or an idempotent replay's copy of a new key's secret."""
    from tests.integration.sandbox.flows import authorize_url, pkce_pair

    state = sandbox._state  # the object whose repr is under test
    token = user_tokens(sandbox.base_url)["access_token"]
    created = HTTP.post(
        f"{sandbox.base_url}/v1/api-keys",
        json={"name": "repr", "scopes": ["read:assets"]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "repr-test"},
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    # A sign-in left half-way holds a pending request with its CSRF token.
    HTTP.get(authorize_url(sandbox.base_url, code_challenge=pkce_pair()[1]), timeout=TIMEOUT)
    assert state.pending and state.idempotency
    text = repr(state)
    for secret in (
        sandbox.service_client_secret,
        "twinedge-demo",
        created.json()["key"],
        *(pending.csrf_token for pending in state.pending.values()),
    ):
        assert secret not in text
