"""Discovery, JWKS, the home page, common headers and the absence of test controls."""

from __future__ import annotations

import httpx
import jwt
import pytest

from tests.integration.sandbox.flows import HTTP, TIMEOUT, assert_error, user_tokens
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread
from twinedge_desktop.scopes import ALL_SCOPE_NAMES


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
)
def test_metadata_at_both_well_known_paths(sandbox: RunningSandbox, path: str) -> None:
    response = HTTP.get(sandbox.base_url + path, timeout=TIMEOUT)
    assert response.status_code == 200
    meta = response.json()
    base = sandbox.base_url
    assert meta["issuer"] == base
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
    }
    assert tuple(meta["scopes_supported"]) == ALL_SCOPE_NAMES
    assert meta["api_base_url"] == f"{base}/v1"


def test_access_token_verifies_against_published_jwks(sandbox: RunningSandbox) -> None:
    tokens = user_tokens(sandbox.base_url)
    jwks = HTTP.get(f"{sandbox.base_url}/.well-known/jwks.json", timeout=TIMEOUT).json()
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "RS256"
    published = {key["kid"]: key for key in jwks["keys"]}
    assert header["kid"] in published
    assert all("d" not in key for key in jwks["keys"]), "private parts must never be published"
    claims = jwt.decode(
        tokens["access_token"],
        jwt.PyJWK(published[header["kid"]]).key,
        algorithms=["RS256"],
        audience="https://api.twinedgeai.com",
        issuer=sandbox.base_url,
    )
    assert claims["sub"] == "user-123"
    assert claims["org"] == "org-456"
    assert claims["scope"] == "read:assets write:assets"
    assert claims["client_id"] == "twinedge-desktop"
    assert claims["exp"] - claims["iat"] == 3600
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "read:assets write:assets"


def test_every_response_carries_rate_limit_headers(sandbox: RunningSandbox) -> None:
    for method, path in [
        ("GET", "/.well-known/jwks.json"),
        ("GET", "/v1/me"),
        ("POST", "/oauth/token"),
        ("GET", "/no-such-page"),
        ("GET", "/"),
    ]:
        response = HTTP.request(method, sandbox.base_url + path, timeout=TIMEOUT)
        for header in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            assert response.headers[header].isdigit(), (path, header)


def test_unknown_paths_and_methods_get_json_errors(sandbox: RunningSandbox) -> None:
    assert_error(HTTP.get(f"{sandbox.base_url}/v1/nothing", timeout=TIMEOUT), 404, "not_found")
    assert_error(
        HTTP.put(f"{sandbox.base_url}/v1/api-keys", timeout=TIMEOUT), 405, "method_not_allowed"
    )


def test_home_page_names_the_issuer_and_demo_users(sandbox: RunningSandbox) -> None:
    page = HTTP.get(sandbox.base_url + "/", timeout=TIMEOUT)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert sandbox.base_url in page.text
    for email in ("engineer@example.com", "admin@example.com", "viewer@example.com"):
        assert email in page.text
    css = HTTP.get(sandbox.base_url + "/static/sandbox.css", timeout=TIMEOUT)
    assert css.status_code == 200 and "body" in css.text


def test_test_controls_do_not_exist_without_the_flag() -> None:
    with start_in_thread() as plain:
        for path in ("faults", "clock", "rotate-key", "rate-limit", "seed-keys"):
            response = HTTP.post(f"{plain.base_url}/_sandbox/{path}", json={}, timeout=TIMEOUT)
            assert_error(response, 404, "not_found")


def test_test_controls_are_refused_off_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_in_thread(host="0.0.0.0", test_controls=True)
    with pytest.raises(ValueError, match="non-loopback"):
        start_in_thread(host="0.0.0.0")


def test_ipv6_loopback_sandbox_has_bracketed_issuer() -> None:
    try:
        sandbox = start_in_thread(host="::1")
    except OSError as exc:  # a machine without IPv6 loopback
        pytest.skip(f"no IPv6 loopback here: {exc}")
    with sandbox:
        assert sandbox.base_url.startswith("http://[::1]:")
        meta = HTTP.get(
            f"{sandbox.base_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT
        ).json()
        assert meta["issuer"] == sandbox.base_url


def test_stop_is_idempotent_and_frees_the_port() -> None:
    sandbox = start_in_thread()
    url = sandbox.base_url
    sandbox.stop()
    sandbox.stop()
    with pytest.raises(httpx.ConnectError):
        HTTP.get(url + "/", timeout=TIMEOUT)
