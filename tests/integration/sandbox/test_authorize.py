"""The authorization endpoint and its pages, driven over HTTP like a browser."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers.signin import SignInFailed, complete_sign_in
from tests.integration.sandbox.flows import (
    ADMIN,
    ENGINEER,
    HTTP,
    REDIRECT_URI,
    TIMEOUT,
    VIEWER,
    authorize_url,
    get_code,
    pkce_pair,
    query,
    redeem,
)
from twinedge_desktop.sandbox.embedded import RunningSandbox


def _challenge() -> str:
    return pkce_pair()[1]


def test_allow_redirects_with_code_state_and_iss(sandbox: RunningSandbox) -> None:
    url = authorize_url(sandbox.base_url, code_challenge=_challenge(), state="xyz-123")
    final = complete_sign_in(url)
    assert final.startswith(REDIRECT_URI + "?")
    params = query(final)
    assert params["state"] == "xyz-123"
    assert params["iss"] == sandbox.base_url
    assert len(params["code"]) >= 32


def test_deny_redirects_with_access_denied(sandbox: RunningSandbox) -> None:
    url = authorize_url(sandbox.base_url, code_challenge=_challenge(), state="s1")
    params = query(complete_sign_in(url, decision="deny"))
    assert params["error"] == "access_denied"
    assert params["state"] == "s1"
    assert params["iss"] == sandbox.base_url
    assert "code" not in params


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:1/callback",
        "http://127.0.0.1:49152/callback",
        "http://127.0.0.1:65535/callback",
        "http://[::1]:8080/callback",
        "http://[::1]:61000/callback",
    ],
)
def test_loopback_redirect_on_any_port_is_accepted(
    sandbox: RunningSandbox, redirect_uri: str
) -> None:
    code, verifier = get_code(sandbox.base_url, redirect_uri=redirect_uri)
    response = redeem(sandbox.base_url, code, verifier, redirect_uri=redirect_uri)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:8080/callback",  # RFC 8252 §8.3: not the loopback IP literal
        "https://127.0.0.1:8080/callback",
        "http://127.0.0.1:8080/other",
        "http://127.0.0.1:8080/callback/",
        "http://127.0.0.1:8080/callback?x=1",
        "http://127.0.0.1:8080/callback#frag",
        "http://127.0.0.2:8080/callback",
        "http://evil.example:8080/callback",
        "http://user@127.0.0.1:8080/callback",
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1:99999/callback",
        "http://127.0.0.1/callback",
        "http://[::2]:8080/callback",
        "javascript:alert(1)",
        "",
        # The registration's port template itself is not a redirect URI.
        "http://127.0.0.1:{port}/callback",
        "http://[::1]:{port}/callback",
        "http://127.0.0.1:08080/callback",  # not the canonical form of a port
    ],
)
def test_unregistered_redirect_gets_an_error_page_never_a_redirect(
    sandbox: RunningSandbox, redirect_uri: str
) -> None:
    url = authorize_url(sandbox.base_url, redirect_uri=redirect_uri, code_challenge=_challenge())
    response = HTTP.get(url, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "Invalid redirect" in response.text


@pytest.mark.parametrize("client_id", ["unknown-app", "", None])
def test_unknown_client_gets_an_error_page(sandbox: RunningSandbox, client_id: str | None) -> None:
    url = authorize_url(sandbox.base_url, client_id=client_id, code_challenge=_challenge())
    response = HTTP.get(url, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Unknown application" in response.text


def test_service_client_cannot_use_browser_sign_in(sandbox: RunningSandbox) -> None:
    url = authorize_url(sandbox.base_url, client_id="twinedge-service", code_challenge=_challenge())
    response = HTTP.get(url, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_error_page_escapes_what_the_request_said(sandbox: RunningSandbox) -> None:
    evil = '<script>alert("x")</script>'
    response = HTTP.get(
        authorize_url(sandbox.base_url, client_id=evil, code_challenge=_challenge()),
        timeout=TIMEOUT,
    )
    assert evil not in response.text
    assert "&lt;script&gt;" in response.text
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("overrides", "error", "needle"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request", "PKCE"),
        ({"code_challenge": None}, "invalid_request", "PKCE"),
        ({"code_challenge_method": "plain"}, "invalid_request", "S256"),
        ({"code_challenge_method": None}, "invalid_request", "S256"),
        ({"code_challenge": "too-short"}, "invalid_request", "code_challenge"),
        ({"response_type": "token"}, "unsupported_response_type", "code"),
        ({"response_type": None}, "unsupported_response_type", "code"),
        ({"scope": "read:assets fly:planes"}, "invalid_scope", "fly:planes"),
    ],
)
def test_bad_requests_from_a_known_client_are_redirected_with_an_error(
    sandbox: RunningSandbox, overrides: dict[str, str | None], error: str, needle: str
) -> None:
    params: dict[str, str | None] = {"code_challenge": _challenge(), "state": "st"}
    params.update(overrides)
    response = HTTP.get(authorize_url(sandbox.base_url, **params), timeout=TIMEOUT)
    assert response.status_code in (302, 303)
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    result = query(location)
    assert result["error"] == error
    assert needle in result["error_description"]
    assert result["state"] == "st"
    assert result["iss"] == sandbox.base_url


def test_wrong_password_shows_the_form_again(sandbox: RunningSandbox) -> None:
    url = authorize_url(sandbox.base_url, code_challenge=_challenge())
    with pytest.raises(SignInFailed) as failure:
        complete_sign_in(url, password="wrong-password")
    assert failure.value.status == 400
    assert "Email or password is incorrect" in failure.value.page_text


def test_unknown_user_is_told_the_same_as_a_wrong_password(sandbox: RunningSandbox) -> None:
    url = authorize_url(sandbox.base_url, code_challenge=_challenge())
    with pytest.raises(SignInFailed) as failure:
        complete_sign_in(url, email="nobody@example.com")
    assert "Email or password is incorrect" in failure.value.page_text


def _signin_form(client: httpx.Client, base_url: str) -> tuple[str, str]:
    page = client.get(authorize_url(base_url, code_challenge=_challenge()))
    assert page.status_code == 200
    action = re.search(r'action="([^"]+)"', page.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert action and csrf
    return base_url + action.group(1), csrf.group(1)


def test_sign_in_without_the_csrf_token_is_refused(sandbox: RunningSandbox) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        action, _ = _signin_form(client, sandbox.base_url)
        response = client.post(action, data={"email": ENGINEER, "password": "twinedge-demo"})
    assert response.status_code == 403
    assert "Security check failed" in response.text


def test_sign_in_from_another_browser_session_is_refused(sandbox: RunningSandbox) -> None:
    """A forged cross-site post carries the form token but not this browser's cookie."""
    with httpx.Client(timeout=TIMEOUT) as client:
        action, csrf = _signin_form(client, sandbox.base_url)
    with httpx.Client(timeout=TIMEOUT) as other:
        response = other.post(
            action, data={"email": ENGINEER, "password": "twinedge-demo", "csrf_token": csrf}
        )
    assert response.status_code == 403


def test_consent_cannot_be_posted_before_sign_in(sandbox: RunningSandbox) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        action, csrf = _signin_form(client, sandbox.base_url)
        consent_action = action.replace("/signin", "/consent")
        response = client.post(consent_action, data={"decision": "allow", "csrf_token": csrf})
    assert response.status_code == 400
    assert "location" not in response.headers


def test_a_sign_in_page_cannot_be_used_twice(sandbox: RunningSandbox) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        action, csrf = _signin_form(client, sandbox.base_url)
        consent_page = client.post(
            action, data={"email": ENGINEER, "password": "twinedge-demo", "csrf_token": csrf}
        )
        consent_csrf = re.search(r'name="csrf_token" value="([^"]+)"', consent_page.text)
        assert consent_csrf
        consent_action = action.replace("/signin", "/consent")
        first = client.post(
            consent_action, data={"decision": "allow", "csrf_token": consent_csrf.group(1)}
        )
        assert first.status_code == 303
        again = client.post(
            consent_action, data={"decision": "allow", "csrf_token": consent_csrf.group(1)}
        )
    assert again.status_code == 400
    assert "location" not in again.headers


def test_consent_page_lists_the_scopes_and_escapes_state(sandbox: RunningSandbox) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        action, csrf = _signin_form(client, sandbox.base_url)
        consent = client.post(
            action, data={"email": ENGINEER, "password": "twinedge-demo", "csrf_token": csrf}
        )
    assert consent.status_code == 200
    assert "read:assets" in consent.text and "write:assets" in consent.text
    assert "Read asset data" in consent.text
    assert 'value="allow"' in consent.text and 'value="deny"' in consent.text


@pytest.mark.parametrize(
    ("email", "requested", "granted"),
    [
        (ENGINEER, "read:assets write:alerts admin", "read:assets write:alerts"),
        (VIEWER, "read:assets write:assets", "read:assets"),
        (ADMIN, "admin read:telemetry", "admin read:telemetry"),
        (VIEWER, "", "read:assets read:telemetry read:alerts"),
    ],
)
def test_granted_scopes_are_the_requested_ones_the_user_has(
    sandbox: RunningSandbox, email: str, requested: str, granted: str
) -> None:
    code, verifier = get_code(sandbox.base_url, email=email, scope=requested)
    tokens = redeem(sandbox.base_url, code, verifier).json()
    assert tokens["scope"] == granted


def test_no_grantable_scope_redirects_with_invalid_scope(sandbox: RunningSandbox) -> None:
    url = authorize_url(sandbox.base_url, scope="write:assets admin", code_challenge=_challenge())
    params = query(complete_sign_in(url, email=VIEWER))
    assert params["error"] == "invalid_scope"
    assert params["iss"] == sandbox.base_url


def test_repeated_parameters_are_refused(sandbox: RunningSandbox) -> None:
    base = authorize_url(sandbox.base_url, code_challenge=_challenge())
    response = HTTP.get(base + "&" + urlencode({"client_id": "x"}), timeout=TIMEOUT)
    assert response.status_code == 400
    assert "location" not in response.headers
    response = HTTP.get(base + "&" + urlencode({"scope": "admin"}), timeout=TIMEOUT)
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_pages_are_not_cached_or_framed(sandbox: RunningSandbox) -> None:
    page = HTTP.get(authorize_url(sandbox.base_url, code_challenge=_challenge()), timeout=TIMEOUT)
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_two_sign_ins_in_one_browser_both_complete(sandbox: RunningSandbox) -> None:
    with httpx.Client(timeout=TIMEOUT) as browser:
        first_action, first_csrf = _signin_form(browser, sandbox.base_url)
        second_action, second_csrf = _signin_form(browser, sandbox.base_url)
        for action, csrf in ((second_action, second_csrf), (first_action, first_csrf)):
            consent = browser.post(
                action, data={"email": ENGINEER, "password": "twinedge-demo", "csrf_token": csrf}
            )
            assert consent.status_code == 200, consent.text


async def test_async_sign_in_helper(sandbox: RunningSandbox) -> None:
    from tests.helpers.signin import async_complete_sign_in

    url = authorize_url(sandbox.base_url, code_challenge=_challenge(), state="async")
    params = query(await async_complete_sign_in(url, email=VIEWER))
    assert params["state"] == "async" and params["code"]
