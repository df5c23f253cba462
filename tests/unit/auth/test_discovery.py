"""Discovery: RFC 8414 first, OpenID fallback, exact issuer, HTTPS rules, usable metadata."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.discovery import (
    discover,
    is_secure_url,
    well_known_urls,
)
from twinedge_desktop.auth.errors import DiscoveryError


def _client(routes: dict[str, tuple[int, Any]], seen: list[str] | None = None) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(str(request.url))
        status, body = routes.get(str(request.url), (404, {"error": "not_found"}))
        return httpx.Response(status, json=body)

    return build_http_client(transport=httpx.MockTransport(handler), trust_env=False)


def _meta(issuer: str, **extra: Any) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        **extra,
    }


def test_well_known_locations_follow_rfc8414_for_issuers_with_a_path() -> None:
    assert well_known_urls("https://idp.example/tenant/a") == [
        "https://idp.example/.well-known/oauth-authorization-server/tenant/a",
        "https://idp.example/tenant/a/.well-known/openid-configuration",
    ]
    assert well_known_urls("https://idp.example/") == [
        "https://idp.example/.well-known/oauth-authorization-server",
        "https://idp.example/.well-known/openid-configuration",
    ]


async def test_rfc8414_metadata_is_read_with_every_field() -> None:
    issuer = "https://idp.example"
    meta = _meta(
        issuer,
        jwks_uri=f"{issuer}/jwks",
        revocation_endpoint=f"{issuer}/revoke",
        scopes_supported=["a", "b"],
        code_challenge_methods_supported=["S256"],
        authorization_response_iss_parameter_supported=True,
    )
    async with _client({f"{issuer}/.well-known/oauth-authorization-server": (200, meta)}) as http:
        found = await discover(http, issuer)
    assert found.issuer == issuer
    assert found.token_endpoint == f"{issuer}/token"
    assert found.revocation_endpoint == f"{issuer}/revoke"
    assert found.scopes_supported == ("a", "b")
    assert found.iss_parameter_supported is True
    assert found.supports_pkce_s256


async def test_falls_back_to_openid_discovery_and_iss_support_defaults_to_false() -> None:
    issuer = "https://idp.example/realm"
    seen: list[str] = []
    routes = {f"{issuer}/.well-known/openid-configuration": (200, _meta(issuer))}
    async with _client(routes, seen) as http:
        found = await discover(http, issuer)
    assert seen[0].endswith("/.well-known/oauth-authorization-server/realm")
    assert found.iss_parameter_supported is False
    assert found.revocation_endpoint is None


async def test_a_different_issuer_in_the_metadata_is_refused() -> None:
    issuer = "https://idp.example"
    routes = {
        f"{issuer}/.well-known/oauth-authorization-server": (200, _meta("https://evil.example"))
    }
    async with _client(routes) as http:
        with pytest.raises(DiscoveryError, match="different issuer"):
            await discover(http, issuer)


async def test_plain_http_issuer_is_refused_unless_loopback() -> None:
    async with _client({}) as http:
        with pytest.raises(DiscoveryError, match="https"):
            await discover(http, "http://idp.example")


async def test_endpoints_on_plain_http_are_refused() -> None:
    issuer = "https://idp.example"
    meta = _meta(issuer)
    meta["token_endpoint"] = "http://idp.example/token"
    routes = {f"{issuer}/.well-known/oauth-authorization-server": (200, meta)}
    async with _client(routes) as http:
        with pytest.raises(DiscoveryError, match="token_endpoint"):
            await discover(http, issuer)


async def test_missing_required_field_is_named() -> None:
    issuer = "https://idp.example"
    meta = {"issuer": issuer, "authorization_endpoint": f"{issuer}/a"}
    routes = {f"{issuer}/.well-known/oauth-authorization-server": (200, meta)}
    async with _client(routes) as http:
        with pytest.raises(DiscoveryError, match="token_endpoint"):
            await discover(http, issuer)


async def test_no_metadata_anywhere_says_so() -> None:
    async with _client({}) as http:
        with pytest.raises(DiscoveryError, match="No authorization server metadata"):
            await discover(http, "https://idp.example")


async def test_unreachable_server_says_so() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with build_http_client(transport=httpx.MockTransport(handler), trust_env=False) as http:
        with pytest.raises(DiscoveryError, match="could not be reached"):
            await discover(http, "https://idp.example")


async def test_pkce_without_s256_is_detected() -> None:
    issuer = "https://idp.example"
    meta = _meta(issuer, code_challenge_methods_supported=["plain"])
    routes = {f"{issuer}/.well-known/oauth-authorization-server": (200, meta)}
    async with _client(routes) as http:
        found = await discover(http, issuer)
    assert not found.supports_pkce_s256


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://example.com/x", True),
        ("http://127.0.0.1:8080/", True),
        ("http://[::1]:9/", True),
        ("http://localhost:3000", True),
        ("http://example.com", False),
        ("http://127.0.0.1.evil.example/", False),
        ("ftp://example.com", False),
        # Malformed addresses are refused, never an exception (the CLI would show a traceback).
        ("http://[::1", False),
        ("https://[not-an-ip]/", False),
        ("http://127.0.0.1:99999/", False),
        # *.localhost may go to DNS on a resolver that does not special-case it.
        ("http://app.localhost:8080/", False),
    ],
)
def test_secure_url_rule(url: str, secure: bool) -> None:
    assert is_secure_url(url) is secure


def test_sign_in_and_the_inspector_share_one_url_rule() -> None:
    from twinedge_desktop.tokens.keys import is_allowed_url, metadata_urls

    for url in ("https://a.example", "http://127.0.0.1:1/", "http://[::1", "http://x.example"):
        assert is_allowed_url(url) is is_secure_url(url)
    for issuer in ("https://idp.example", "https://idp.example/tenant/", "http://127.0.0.1:9"):
        assert list(metadata_urls(issuer)) == well_known_urls(issuer)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:8765/v1/", "http://127.0.0.1:8765/v1"),
        ("https://api.example/v1", "https://api.example/v1"),
        ("http://api.example/v1", None),  # plain http off this computer: tokens never go there
        (42, None),
        (None, None),
    ],
)
def test_the_api_base_url_extension_is_read_when_usable(value: Any, expected: str | None) -> None:
    from twinedge_desktop.auth.discovery import ServerMetadata

    extra = {} if value is None else {"api_base_url": value}
    assert ServerMetadata.from_json(_meta("https://idp.example", **extra)).api_base_url == expected
