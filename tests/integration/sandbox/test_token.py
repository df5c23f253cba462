"""The token endpoint (three grants, PKCE, codes, refresh rotation) and revocation."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.helpers.sandbox import SandboxControls
from tests.helpers.signin import complete_sign_in
from tests.integration.sandbox.flows import (
    CLIENT_ID,
    HTTP,
    TIMEOUT,
    api,
    assert_error,
    authorize_url,
    get_code,
    pkce_pair,
    query,
    redeem,
    refresh,
    service_token,
    user_tokens,
)
from twinedge_desktop.sandbox.embedded import RunningSandbox


def _token(
    base_url: str, data: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return HTTP.post(f"{base_url}/oauth/token", data=data, headers=headers, timeout=TIMEOUT)


def test_code_exchange_gives_working_tokens(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    me = api(sandbox.base_url, "GET", "/v1/me", tokens["access_token"])
    assert me.status_code == 200
    assert me.json()["kind"] == "user"
    assert me.json()["email"] == "engineer@example.com"


def test_token_responses_are_not_cached(sandbox: RunningSandbox) -> None:
    code, verifier = get_code(sandbox.base_url)
    response = redeem(sandbox.base_url, code, verifier)
    assert response.headers["cache-control"] == "no-store"


def test_wrong_verifier_is_invalid_grant(sandbox: RunningSandbox) -> None:
    code, _ = get_code(sandbox.base_url)
    other_verifier, _ = pkce_pair()
    assert_error(redeem(sandbox.base_url, code, other_verifier), 400, "invalid_grant")


def test_missing_verifier_is_invalid_grant(sandbox: RunningSandbox) -> None:
    code, _ = get_code(sandbox.base_url)
    assert_error(redeem(sandbox.base_url, code, None), 400, "invalid_grant")


def test_challenge_itself_is_not_a_verifier(sandbox: RunningSandbox) -> None:
    """A downgrade to "plain" at the token endpoint: sending the challenge as verifier fails."""
    _, challenge = pkce_pair()
    url = authorize_url(sandbox.base_url, code_challenge=challenge)
    code = query(complete_sign_in(url))["code"]
    assert_error(redeem(sandbox.base_url, code, challenge), 400, "invalid_grant")


def test_code_is_single_use_and_reuse_revokes_its_tokens(sandbox: RunningSandbox) -> None:
    code, verifier = get_code(sandbox.base_url)
    first = redeem(sandbox.base_url, code, verifier)
    assert first.status_code == 200
    assert_error(redeem(sandbox.base_url, code, verifier), 400, "invalid_grant")
    # RFC 6749 §4.1.2: what the code gave is revoked once it is replayed.
    access, refresh_token = first.json()["access_token"], first.json()["refresh_token"]
    assert_error(api(sandbox.base_url, "GET", "/v1/me", access), 401, "invalid_token")
    assert_error(refresh(sandbox.base_url, refresh_token), 400, "invalid_grant")


def test_code_expires_after_60_seconds(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    code, verifier = get_code(sandbox.base_url)
    sandbox_controls.shift_clock(61)
    body = assert_error(redeem(sandbox.base_url, code, verifier), 400, "invalid_grant")
    assert "expired" in body["error_description"]


def test_code_still_works_just_before_60_seconds(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    code, verifier = get_code(sandbox.base_url)
    sandbox_controls.shift_clock(50)
    assert redeem(sandbox.base_url, code, verifier).status_code == 200


def test_redirect_uri_must_match_the_authorization_request(sandbox: RunningSandbox) -> None:
    code, verifier = get_code(sandbox.base_url)
    response = redeem(sandbox.base_url, code, verifier, redirect_uri="http://127.0.0.1:1/callback")
    assert_error(response, 400, "invalid_grant")


def test_unknown_code_is_invalid_grant(sandbox: RunningSandbox) -> None:
    assert_error(redeem(sandbox.base_url, "not-a-code", "x" * 43), 400, "invalid_grant")


@pytest.mark.parametrize("client_id", ["nobody", ""])
def test_unknown_client_is_invalid_client(sandbox: RunningSandbox, client_id: str) -> None:
    response = _token(
        sandbox.base_url,
        {"grant_type": "authorization_code", "code": "c", "client_id": client_id},
    )
    assert_error(response, 401, "invalid_client")


def test_missing_grant_type_and_unsupported_grant_type(sandbox: RunningSandbox) -> None:
    assert_error(_token(sandbox.base_url, {"client_id": CLIENT_ID}), 400, "invalid_request")
    response = _token(sandbox.base_url, {"grant_type": "password", "client_id": CLIENT_ID})
    assert_error(response, 400, "unsupported_grant_type")


def test_token_endpoint_wants_a_form(sandbox: RunningSandbox) -> None:
    response = HTTP.post(
        f"{sandbox.base_url}/oauth/token",
        json={"grant_type": "client_credentials"},
        timeout=TIMEOUT,
    )
    assert_error(response, 400, "invalid_request")


def test_repeated_form_parameters_are_refused(sandbox: RunningSandbox) -> None:
    response = HTTP.post(
        f"{sandbox.base_url}/oauth/token",
        content="grant_type=client_credentials&grant_type=refresh_token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    assert_error(response, 400, "invalid_request")


# -- client credentials ---------------------------------------------------------------------


def test_client_credentials_with_form_secret(sandbox: RunningSandbox) -> None:
    response = service_token(sandbox.base_url, sandbox.service_client_secret, "read:telemetry")
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "read:telemetry"
    assert "refresh_token" not in body
    me = api(sandbox.base_url, "GET", "/v1/me", body["access_token"]).json()
    assert me["kind"] == "client"
    assert me["sub"] == "twinedge-service"


def test_client_credentials_with_basic_auth_gets_all_client_scopes(sandbox: RunningSandbox) -> None:
    credentials = base64.b64encode(
        f"{sandbox.service_client_id}:{sandbox.service_client_secret}".encode()
    ).decode()
    response = _token(
        sandbox.base_url,
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 200
    scopes = set(response.json()["scope"].split())
    assert "read:assets" in scopes and "write:alerts" in scopes and "admin" not in scopes


def test_client_credentials_wrong_secret(sandbox: RunningSandbox) -> None:
    assert_error(service_token(sandbox.base_url, "wrong"), 401, "invalid_client")


def test_client_credentials_missing_secret(sandbox: RunningSandbox) -> None:
    response = _token(
        sandbox.base_url, {"grant_type": "client_credentials", "client_id": "twinedge-service"}
    )
    assert_error(response, 401, "invalid_client")


def test_client_credentials_scope_outside_the_client_is_invalid_scope(
    sandbox: RunningSandbox,
) -> None:
    response = service_token(sandbox.base_url, sandbox.service_client_secret, "admin")
    assert_error(response, 400, "invalid_scope")
    response = service_token(sandbox.base_url, sandbox.service_client_secret, "made:up")
    assert_error(response, 400, "invalid_scope")


def test_public_client_may_not_use_client_credentials(sandbox: RunningSandbox) -> None:
    response = _token(
        sandbox.base_url, {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    )
    assert_error(response, 400, "unauthorized_client")


def test_malformed_basic_credentials(sandbox: RunningSandbox) -> None:
    response = _token(
        sandbox.base_url,
        {"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!not-base64"},
    )
    assert_error(response, 401, "invalid_client")


# -- refresh ------------------------------------------------------------------------------------


def test_refresh_rotates_the_refresh_token(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    first = refresh(sandbox.base_url, tokens["refresh_token"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    assert rotated["scope"] == tokens["scope"]
    second = refresh(sandbox.base_url, rotated["refresh_token"])
    assert second.status_code == 200
    assert api(sandbox.base_url, "GET", "/v1/me", second.json()["access_token"]).status_code == 200


def test_refresh_token_reuse_revokes_the_whole_family(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    rotated = refresh(sandbox.base_url, tokens["refresh_token"]).json()
    # The successor is used, so a re-use of the first token is a replay, not a retry
    # (the reuse grace: test_refresh_grace.py).
    newest = refresh(sandbox.base_url, rotated["refresh_token"]).json()
    reuse = refresh(sandbox.base_url, tokens["refresh_token"])
    assert_error(reuse, 400, "invalid_grant")
    # The legitimate holder's newer tokens die with the family.
    assert_error(refresh(sandbox.base_url, newest["refresh_token"]), 400, "invalid_grant")
    me = api(sandbox.base_url, "GET", "/v1/me", newest["access_token"])
    assert_error(me, 401, "invalid_token")
    # Another sign-in's family is untouched.
    other = user_tokens(sandbox.base_url)
    assert refresh(sandbox.base_url, other["refresh_token"]).status_code == 200


def test_refresh_can_narrow_but_not_widen_scopes(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url, scope="read:assets write:assets")
    narrowed = refresh(sandbox.base_url, tokens["refresh_token"], scope="read:assets")
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "read:assets"
    widened = refresh(sandbox.base_url, narrowed.json()["refresh_token"], scope="read:alerts")
    assert_error(widened, 400, "invalid_scope")


def test_refresh_token_of_another_client_is_invalid_grant(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    response = _token(
        sandbox.base_url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "twinedge-service",
            "client_secret": sandbox.service_client_secret,
        },
    )
    # The service client is not allowed the refresh grant at all.
    assert_error(response, 400, "unauthorized_client")


def test_garbage_refresh_token_is_invalid_grant(sandbox: RunningSandbox) -> None:
    assert_error(refresh(sandbox.base_url, "garbage"), 400, "invalid_grant")
    assert_error(refresh(sandbox.base_url, ""), 400, "invalid_request")


def test_access_token_expires_after_an_hour(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    tokens = user_tokens(sandbox.base_url)
    sandbox_controls.shift_clock(3601)
    body = assert_error(
        api(sandbox.base_url, "GET", "/v1/me", tokens["access_token"]), 401, "invalid_token"
    )
    assert "expired" in body["error_description"]
    # The refresh token still works, and its access token is valid on the shifted clock.
    fresh = refresh(sandbox.base_url, tokens["refresh_token"]).json()
    assert api(sandbox.base_url, "GET", "/v1/me", fresh["access_token"]).status_code == 200


# -- revocation ---------------------------------------------------------------------------------


def _revoke(base_url: str, token: str, **extra: str) -> httpx.Response:
    return HTTP.post(
        f"{base_url}/oauth/revoke",
        data={"token": token, "client_id": CLIENT_ID, **extra},
        timeout=TIMEOUT,
    )


def test_revoking_a_refresh_token_revokes_its_family(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    response = _revoke(sandbox.base_url, tokens["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert_error(refresh(sandbox.base_url, tokens["refresh_token"]), 400, "invalid_grant")
    me = api(sandbox.base_url, "GET", "/v1/me", tokens["access_token"])
    assert_error(me, 401, "invalid_token")


def test_revoking_an_access_token(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    response = _revoke(sandbox.base_url, tokens["access_token"])
    assert response.status_code == 200
    assert_error(
        api(sandbox.base_url, "GET", "/v1/me", tokens["access_token"]), 401, "invalid_token"
    )
    # The refresh token is a separate credential and still works.
    assert refresh(sandbox.base_url, tokens["refresh_token"]).status_code == 200


def test_revoking_unknown_tokens_is_200(sandbox: RunningSandbox) -> None:
    for token in ("nothing-like-a-token", "eyJhbGciOiJub25lIn0.e30.", "te_" + "a" * 38):
        assert _revoke(sandbox.base_url, token).status_code == 200


def test_revocation_needs_a_client_and_a_token(sandbox: RunningSandbox) -> None:
    response = HTTP.post(f"{sandbox.base_url}/oauth/revoke", data={"token": "x"}, timeout=TIMEOUT)
    assert_error(response, 401, "invalid_client")
    response = HTTP.post(
        f"{sandbox.base_url}/oauth/revoke", data={"client_id": CLIENT_ID}, timeout=TIMEOUT
    )
    assert_error(response, 400, "invalid_request")


def test_a_client_cannot_revoke_another_clients_token(sandbox: RunningSandbox) -> None:
    service = service_token(sandbox.base_url, sandbox.service_client_secret).json()["access_token"]
    assert _revoke(sandbox.base_url, service).status_code == 200
    assert api(sandbox.base_url, "GET", "/v1/me", service).status_code == 200
