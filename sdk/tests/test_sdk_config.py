"""Constructing clients: the seed's two forms, addresses, HTTPS only, and bad arguments."""

from __future__ import annotations

import httpx
import pytest
from sdk_helpers import API, ISSUER, KNOWN_GOOD_KEYS, MockApi, make_key

from twinedge import (
    ApiKeyCredential,
    AsyncTwinEdgeClient,
    ClientCredentials,
    ConfigurationError,
    TwinEdgeClient,
    TwinEdgeError,
)


def test_the_seeds_api_key_form_sends_the_key_as_bearer() -> None:
    key = make_key()
    api = MockApi()
    with TwinEdgeClient(api_key=key, http_client=api.client()) as client:
        assert client.assets.list() == {"data": [], "next_cursor": None}
    assert isinstance(client.credential, ApiKeyCredential)
    assert client.credential.source == "argument"
    (request,) = api.requests
    assert str(request.url) == f"{API}/v1/assets"
    assert request.headers["authorization"] == f"Bearer {key}"


def test_the_seeds_oauth_form_uses_client_credentials_at_the_issuer() -> None:
    api = MockApi()
    client = TwinEdgeClient(client_id="svc", client_secret="s3cret-value", http_client=api.client())
    client.me()
    token_request, me_request = api.requests
    assert str(token_request.url) == f"{ISSUER}/oauth/token"
    form = dict(httpx.QueryParams(token_request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "svc",
        "client_secret": "s3cret-value",
    }
    assert str(me_request.url) == f"{API}/v1/me"
    assert me_request.headers["authorization"] == "Bearer access-token-1"
    assert isinstance(client.credential, ClientCredentials)
    assert client.issuer == ISSUER


def test_scopes_are_sent_space_separated_once_each() -> None:
    api = MockApi()
    client = TwinEdgeClient(
        client_id="svc",
        client_secret="x" * 20,
        scopes=["read:telemetry", "read:assets", "read:telemetry"],
        http_client=api.client(),
    )
    client.telemetry.list()
    form = dict(httpx.QueryParams(api.requests[0].content.decode()))
    assert form["scope"] == "read:telemetry read:assets"


def test_resource_helpers_and_request_reach_the_contract_paths() -> None:
    api = MockApi()
    client = TwinEdgeClient(api_key=make_key(), http_client=api.client())
    client.assets.list(limit=5)
    client.telemetry.list()
    client.alerts.list()
    client.me()
    response = client.request("GET", "/v1/api-keys", params={"limit": 2})
    assert isinstance(response, httpx.Response)
    assert [str(r.url) for r in api.requests] == [
        f"{API}/v1/assets?limit=5",
        f"{API}/v1/telemetry",
        f"{API}/v1/alerts",
        f"{API}/v1/me",
        f"{API}/v1/api-keys?limit=2",
    ]


def test_known_good_keys_from_the_desktop_app_pass_the_offline_check() -> None:
    for key in KNOWN_GOOD_KEYS:
        assert ApiKeyCredential(key).prefix == key[:12]


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("sk_live_abcdef", "not a TwinEdge API key"),
        (KNOWN_GOOD_KEYS[0][:-1], "not a TwinEdge API key"),  # a partial copy
        (KNOWN_GOOD_KEYS[0][:20] + "X" + KNOWN_GOOD_KEYS[0][21:], "wrong checksum"),
    ],
)
def test_a_malformed_api_key_is_refused_without_quoting_it(key: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TwinEdgeClient(api_key=key)
    assert words in str(caught.value)
    if key.strip():
        assert key not in str(caught.value) and key not in repr(caught.value)


def test_whitespace_around_a_pasted_key_is_ignored() -> None:
    key = make_key()
    api = MockApi()
    TwinEdgeClient(api_key=f"  {key}\n", http_client=api.client()).me()
    assert api.bearers == [f"Bearer {key}"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"api_key": KNOWN_GOOD_KEYS[0], "client_id": "svc", "client_secret": "x"}, "not both"),
        ({"client_id": "svc"}, "client_secret is missing"),
        ({"client_secret": "x"}, "client_id is missing"),
        ({"client_id": " ", "client_secret": "x"}, "client_id is empty"),
        ({"client_id": "svc", "client_secret": ""}, "client_secret is empty"),
        ({"api_key": KNOWN_GOOD_KEYS[0], "scopes": ["read:assets"]}, "fixed when it is created"),
        ({"client_id": "svc", "client_secret": "x", "scopes": ["read assets"]}, "scope names"),
        ({"api_key": KNOWN_GOOD_KEYS[0], "rate_limit_attempts": 0}, "rate_limit_attempts"),
        ({"api_key": KNOWN_GOOD_KEYS[0], "rate_limit_max_wait": -1}, "rate_limit_max_wait"),
        (
            {"api_key": KNOWN_GOOD_KEYS[0], "rate_limit_max_wait": float("inf")},
            "rate_limit_max_wait",
        ),
    ],
)
def test_conflicting_or_incomplete_arguments_say_what_is_wrong(
    kwargs: dict[str, object], words: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TwinEdgeClient(**kwargs)  # type: ignore[arg-type]
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TwinEdgeError)


def test_an_explicit_credential_stands_alone() -> None:
    credential = ApiKeyCredential(make_key())
    assert TwinEdgeClient(credential=credential).credential is credential
    with pytest.raises(ConfigurationError, match="do not also give issuer"):
        TwinEdgeClient(credential=credential, issuer="https://auth.example.com")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://127.0.0.1.nip.io:8765",
        "http://localhost.example.com",
        "http://sub.localhost",
        "http://10.0.0.5:8765",
        "ftp://api.example.com",
        "api.twinedgeai.com",
        "https://",
        "http://[::1",
        "https://api.example.com:99999",
        "https://user:pw@api.example.com",
        "https://api.example.com/?next=1",
    ],
)
def test_insecure_or_malformed_addresses_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError) as by_argument:
        TwinEdgeClient(api_key=make_key(), base_url=url)
    assert "base_url" in str(by_argument.value)
    with pytest.raises(ConfigurationError) as issuer:
        TwinEdgeClient(client_id="svc", client_secret="x", issuer=url)
    assert "issuer" in str(issuer.value)
    if url.startswith("http://") and "[" not in url and "@" not in url and "?" not in url:
        assert "unencrypted" in str(by_argument.value)


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/v1", "http://127.0.0.1:8765"),  # as sandbox metadata names it
        ("http://[::1]:8765", "http://[::1]:8765"),
        ("http://localhost:8765", "http://localhost:8765"),
        ("https://gateway.example.com/twinedge/", "https://gateway.example.com/twinedge"),
    ],
)
def test_https_and_loopback_http_are_accepted(url: str, root: str) -> None:
    api = MockApi()
    client = TwinEdgeClient(api_key=make_key(), base_url=url, http_client=api.client())
    assert client.base_url == root
    client.me()
    assert str(api.requests[0].url) == f"{root}/v1/me"


def test_environment_overrides_the_default_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINEDGE_API_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("TWINEDGE_ISSUER", "http://[::1]:9998")
    client = TwinEdgeClient(client_id="svc", client_secret="x")
    assert (client.base_url, client.issuer) == ("http://127.0.0.1:9999", "http://[::1]:9998")
    # An argument wins over the environment.
    explicit = TwinEdgeClient(
        client_id="svc",
        client_secret="x",
        base_url="https://api.example.com",
        issuer="https://auth.example.com",
    )
    assert (explicit.base_url, explicit.issuer) == (
        "https://api.example.com",
        "https://auth.example.com",
    )
    monkeypatch.setenv("TWINEDGE_API_URL", "http://api.example.com")
    with pytest.raises(ConfigurationError, match="TWINEDGE_API_URL"):
        TwinEdgeClient(api_key=make_key())
    monkeypatch.setenv("TWINEDGE_API_URL", "")
    monkeypatch.setenv("TWINEDGE_ISSUER", "http://auth.example.com")
    with pytest.raises(ConfigurationError, match="TWINEDGE_ISSUER"):
        TwinEdgeClient(client_id="svc", client_secret="x")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/v1/assets",
        "//evil.example.com/v1/assets",
        "https://api.twinedgeai.com.evil.example.com/v1/assets",
        "v1/assets",
    ],
)
def test_request_never_sends_the_credential_to_another_server(target: str) -> None:
    api = MockApi()
    client = TwinEdgeClient(api_key=make_key(), http_client=api.client())
    with pytest.raises(ConfigurationError, match="would send your credential elsewhere"):
        client.request("GET", target)
    assert api.requests == []


def test_a_url_under_base_url_is_accepted_and_authorization_cannot_be_overridden() -> None:
    api = MockApi()
    client = TwinEdgeClient(api_key=make_key(), http_client=api.client())
    client.request("GET", f"{API}/v1/alerts")
    assert str(api.requests[0].url) == f"{API}/v1/alerts"
    with pytest.raises(ConfigurationError, match="Authorization"):
        client.request("GET", "/v1/alerts", headers={"authorization": "Bearer other"})


def test_the_client_closes_its_own_http_client_but_not_one_passed_in() -> None:
    api = MockApi()
    passed_in = api.client()
    with TwinEdgeClient(api_key=make_key(), http_client=passed_in):
        pass
    assert not passed_in.is_closed
    own = TwinEdgeClient(api_key=make_key())
    own.close()
    with pytest.raises(RuntimeError):
        own.me()


def test_the_async_client_takes_the_same_arguments() -> None:
    import asyncio

    key = make_key()
    api = MockApi()

    async def run() -> dict[str, object]:
        async with AsyncTwinEdgeClient(
            api_key=key, base_url="http://[::1]:1", http_client=api.async_client()
        ) as client:
            assert client.base_url == "http://[::1]:1"
            await client.alerts.list()
            await client.telemetry.list()
            await client.request("GET", "/v1/assets")
            return await client.me()

    assert asyncio.run(run()) == {"data": [], "next_cursor": None}
    assert [r.url.path for r in api.requests] == [
        "/v1/alerts",
        "/v1/telemetry",
        "/v1/assets",
        "/v1/me",
    ]
    assert set(api.bearers) == {f"Bearer {key}"}
    with pytest.raises(ConfigurationError):
        AsyncTwinEdgeClient(api_key=key, base_url="http://api.example.com")


def test_timeouts_default_to_30_s_and_can_be_set_per_client_and_per_request() -> None:
    api = MockApi()
    client = TwinEdgeClient(api_key=make_key(), http_client=api.client())
    client.request("GET", "/v1/me", timeout=2.5)
    client.me()
    per_request, passed_in = (r.extensions["timeout"] for r in api.requests)
    assert per_request == dict.fromkeys(("connect", "read", "write", "pool"), 2.5)
    # A client you pass in keeps its own settings (httpx's default is 5 s).
    assert passed_in == dict.fromkeys(("connect", "read", "write", "pool"), 5.0)
    assert TwinEdgeClient(api_key=make_key())._http.timeout == httpx.Timeout(30.0)
    assert TwinEdgeClient(api_key=make_key(), timeout=5)._http.timeout == httpx.Timeout(5.0)
