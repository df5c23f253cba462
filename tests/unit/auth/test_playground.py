"""The playground's engine: the explained authorization URL, callback checks, and recorded
token exchanges (masked for display, as curl) against httpx.MockTransport."""

from __future__ import annotations

import asyncio
import base64
import shlex
from collections.abc import Callable
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from twinedge_desktop.api.errors import NetworkError
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.oauth import ClientAuthMethod, TokenEndpointError
from twinedge_desktop.auth.pkce import code_challenge_s256
from twinedge_desktop.auth.playground import (
    MASK,
    AppCredentials,
    AuthorizationRequest,
    CallbackError,
    CallbackIssue,
    Playground,
    PlaygroundError,
    build_authorization_request,
    check_callback_params,
    loopback_redirect,
    mask,
    open_listener,
    parse_callback,
)
from twinedge_desktop.oauth_apps_rules import ApplicationType

ISSUER = "https://auth.example.test"
REDIRECT = "https://app.example.com/callback"
CLIENT_ID = "client-abc"
SECRET = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg"
CODE = "the-authorization-code-0123456789"
ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.signature-part-xyz"
REFRESH = "refresh-token-abcdefghijklmnopqrstuvwxyz"


def metadata(**extra: object) -> ServerMetadata:
    return ServerMetadata.from_json(
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/oauth/authorize",
            "token_endpoint": f"{ISSUER}/oauth/token",
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            **extra,
        }
    )


def request_for(
    application_type: ApplicationType = ApplicationType.WEB,
    redirect_uri: str = REDIRECT,
    **options: object,
) -> AuthorizationRequest:
    return build_authorization_request(
        metadata(),
        client_id=CLIENT_ID,
        application_type=application_type,
        redirect_uri=redirect_uri,
        scopes=("read:assets", "read:alerts"),
        **options,  # type: ignore[arg-type]
    )


# -- the authorization URL ---------------------------------------------------------------


def test_the_authorization_url_is_explained_parameter_by_parameter() -> None:
    request = build_authorization_request(
        metadata(authorization_endpoint=f"{ISSUER}/oauth/authorize?tenant=north"),
        client_id=CLIENT_ID,
        application_type=ApplicationType.NATIVE,
        redirect_uri="http://127.0.0.1:50123/callback",
        scopes=("read:assets",),
    )
    names = [parameter.name for parameter in request.parameters]
    assert names == [
        "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
        "code_challenge_method",
    ]  # fmt: skip
    for parameter in request.parameters:
        assert parameter.reason and "\n" not in parameter.reason and len(parameter.reason) < 160
    by_name = {parameter.name: parameter for parameter in request.parameters}
    assert "any port" in by_name["redirect_uri"].reason
    assert request.code_verifier is not None
    assert by_name["code_challenge"].value == code_challenge_s256(request.code_verifier)
    assert by_name["state"].value == request.state and len(request.state) >= 43
    query = dict(parse_qsl(urlsplit(request.url).query))
    assert query.pop("tenant") == "north"  # the endpoint's own query is kept
    assert query == {parameter.name: parameter.value for parameter in request.parameters}
    assert request.code_verifier not in request.url and request.code_verifier not in repr(request)


def test_a_web_app_may_leave_out_pkce_and_nobody_else_may() -> None:
    web = request_for(use_pkce=False)
    assert web.code_verifier is None and "code_challenge" not in web.url
    assert "exactly" in {p.name: p for p in web.parameters}["redirect_uri"].reason
    for kind, uri in ((ApplicationType.SPA, REDIRECT), (ApplicationType.NATIVE, REDIRECT)):
        with pytest.raises(PlaygroundError, match="must use PKCE"):
            request_for(kind, uri, use_pkce=False)
    with pytest.raises(PlaygroundError, match="client credentials"):
        request_for(ApplicationType.SERVICE)
    with pytest.raises(PlaygroundError, match="fragment"):
        request_for(redirect_uri=REDIRECT + "#x")
    with pytest.raises(PlaygroundError, match="S256"):
        build_authorization_request(
            metadata(code_challenge_methods_supported=["plain"]),
            client_id=CLIENT_ID,
            application_type=ApplicationType.SPA,
            redirect_uri=REDIRECT,
        )


# -- callbacks ---------------------------------------------------------------------------


def _callback(request: AuthorizationRequest, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{request.redirect_uri}?{query}"


def test_a_genuine_callback_gives_its_code() -> None:
    request = request_for()
    pasted = _callback(request, code=CODE, state=request.state, iss=ISSUER)
    callback = parse_callback(f"  {pasted}\n", request, metadata())
    assert (callback.code, callback.issuer) == (CODE, ISSUER)
    assert CODE not in repr(callback) and request.state not in repr(callback)
    bare = parse_callback(f"?code={CODE}&state={request.state}&iss={ISSUER}", request, metadata())
    assert bare.code == CODE
    from_listener = check_callback_params(
        {"code": CODE, "state": request.state, "iss": ISSUER}, request, metadata()
    )
    assert from_listener.code == CODE


@pytest.mark.parametrize(
    ("make", "issue", "words"),
    [
        (lambda r: "", CallbackIssue.MALFORMED, "Paste the whole address"),
        (lambda r: "hello there", CallbackIssue.MALFORMED, "not a callback address"),
        (
            lambda r: f"https://evil.example/callback?code=x&state={r.state}&iss={ISSUER}",
            CallbackIssue.WRONG_REDIRECT,
            "not to this request's redirect URI",
        ),
        (lambda r: f"{REDIRECT}?code=x&iss={ISSUER}", CallbackIssue.WRONG_STATE, "no state"),
        (
            lambda r: f"{REDIRECT}?code=x&state=someone-elses&iss={ISSUER}",
            CallbackIssue.WRONG_STATE,
            "not this request's",
        ),
        (
            # A forged error response is still refused for its state first.
            lambda r: f"{REDIRECT}?error=access_denied&state=forged",
            CallbackIssue.WRONG_STATE,
            "RFC 6749 §10.12",
        ),
        (
            lambda r: f"{REDIRECT}?code=x&state={r.state}&iss=https://other.example",
            CallbackIssue.WRONG_ISSUER,
            "mix-up",
        ),
        (lambda r: f"{REDIRECT}?code=x&state={r.state}", CallbackIssue.WRONG_ISSUER, "no iss"),
        (
            lambda r: (
                f"{REDIRECT}?error=access_denied&error_description=nope"
                f"&state={r.state}&iss={ISSUER}"
            ),
            CallbackIssue.ERROR_RESPONSE,
            "Access was denied",
        ),
        (lambda r: f"{REDIRECT}?state={r.state}&iss={ISSUER}", CallbackIssue.NO_CODE, "neither"),
        (lambda r: f"{REDIRECT}?foo=bar", CallbackIssue.NO_CODE, "not an authorization"),
        (
            lambda r: f"{REDIRECT}#code=x&state={r.state}",
            CallbackIssue.FRAGMENT,
            "fragment",
        ),
        (
            lambda r: f"{REDIRECT}?code=a&code=b&state={r.state}&iss={ISSUER}",
            CallbackIssue.MALFORMED,
            "more than once",
        ),
    ],
)
def test_bad_callbacks_say_what_is_wrong(
    make: Callable[[AuthorizationRequest], str], issue: CallbackIssue, words: str
) -> None:
    request = request_for()
    with pytest.raises(CallbackError) as caught:
        parse_callback(make(request), request, metadata())
    assert caught.value.issue is issue
    assert words in str(caught.value)


def test_an_error_response_keeps_the_code_and_a_cleaned_description() -> None:
    request = request_for()
    leaked = "access_token=abcdefghijklmnop"
    with pytest.raises(CallbackError) as caught:
        parse_callback(
            _callback(
                request,
                error="invalid_scope",
                error_description=leaked,
                state=request.state,
                iss=ISSUER,
            ),
            request,
            metadata(),
        )
    assert caught.value.error == "invalid_scope"
    assert "abcdefghijklmnop" not in str(caught.value)
    assert caught.value.description is not None and "[REDACTED]" in caught.value.description


def test_a_server_without_iss_support_is_only_checked_when_iss_is_sent() -> None:
    plain = metadata(authorization_response_iss_parameter_supported=False)
    request = request_for()
    assert check_callback_params({"code": CODE, "state": request.state}, request, plain).code
    with pytest.raises(CallbackError) as caught:
        check_callback_params(
            {"code": CODE, "state": request.state, "iss": "https://x.example"}, request, plain
        )
    assert caught.value.issue is CallbackIssue.WRONG_ISSUER


# -- token exchanges -----------------------------------------------------------------------


class FakeTokenEndpoint:
    """Records token requests and answers with tokens (or a given error / failure)."""

    def __init__(self, response: httpx.Response | Exception | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.response = response

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.response, Exception):
            raise self.response
        if self.response is not None:
            return self.response
        return httpx.Response(
            200,
            json={
                "access_token": ACCESS,
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": REFRESH,
                "scope": "read:assets",
            },
        )

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.requests[-1].content.decode(), keep_blank_values=True)


def playground(endpoint: FakeTokenEndpoint) -> Playground:
    http = build_http_client(transport=httpx.MockTransport(endpoint), trust_env=False)
    return Playground(http, metadata())


async def test_code_exchange_with_client_secret_basic() -> None:
    endpoint = FakeTokenEndpoint()
    request = request_for()
    exchange = await playground(endpoint).exchange_code(
        AppCredentials(CLIENT_ID, SECRET, ClientAuthMethod.BASIC), CODE, request
    )
    assert exchange.ok and exchange.tokens is not None
    assert exchange.tokens.access_token == ACCESS and exchange.tokens.refresh_token == REFRESH
    sent = endpoint.requests[-1]
    expected = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {expected}"
    assert endpoint.form == {
        "grant_type": ["authorization_code"],
        "code": [CODE],
        "redirect_uri": [REDIRECT],
        "code_verifier": [str(request.code_verifier)],
    }
    shown = exchange.as_text() + repr(exchange) + repr(exchange.request)
    for secret in (SECRET, CODE, str(request.code_verifier), ACCESS, REFRESH):
        assert secret not in shown
    assert "Basic " + MASK in shown and "HTTP 200" in shown and mask(ACCESS) in shown


async def test_code_exchange_with_client_secret_post_and_as_a_public_client() -> None:
    endpoint = FakeTokenEndpoint()
    request = request_for(use_pkce=False)
    exchange = await playground(endpoint).exchange_code(
        AppCredentials(CLIENT_ID, SECRET, ClientAuthMethod.POST), CODE, request
    )
    assert exchange.ok and "authorization" not in endpoint.requests[-1].headers
    assert endpoint.form["client_id"] == [CLIENT_ID] and endpoint.form["client_secret"] == [SECRET]
    assert "code_verifier" not in endpoint.form
    assert SECRET not in exchange.as_text()

    spa = request_for(ApplicationType.SPA)
    await playground(endpoint).exchange_code(AppCredentials(CLIENT_ID), CODE, spa)
    assert "authorization" not in endpoint.requests[-1].headers
    assert endpoint.form["client_id"] == [CLIENT_ID] and "client_secret" not in endpoint.form
    assert endpoint.form["code_verifier"] == [str(spa.code_verifier)]


async def test_refresh_and_client_credentials_send_their_grants() -> None:
    endpoint = FakeTokenEndpoint()
    credentials = AppCredentials(CLIENT_ID, SECRET)
    refreshed = await playground(endpoint).refresh(credentials, REFRESH, scopes=["read:assets"])
    assert refreshed.grant_type == "refresh_token"
    assert endpoint.form == {
        "grant_type": ["refresh_token"],
        "refresh_token": [REFRESH],
        "scope": ["read:assets"],
    }
    service = await playground(endpoint).client_credentials(credentials, scopes=["read:alerts"])
    assert service.grant_type == "client_credentials"
    assert endpoint.form == {"grant_type": ["client_credentials"], "scope": ["read:alerts"]}


async def test_an_error_answer_is_recorded_with_its_response() -> None:
    endpoint = FakeTokenEndpoint(
        httpx.Response(
            401,
            json={"error": "invalid_client", "error_description": "client authentication failed"},
            headers={"WWW-Authenticate": 'Basic realm="TwinEdge"'},
        )
    )
    exchange = await playground(endpoint).client_credentials(AppCredentials(CLIENT_ID, SECRET))
    assert not exchange.ok and exchange.response is not None
    assert exchange.response.status == 401
    assert (
        isinstance(exchange.error, TokenEndpointError) and exchange.error.error == "invalid_client"
    )
    assert "invalid_client" in exchange.as_text() and "HTTP 401" in exchange.as_text()
    with pytest.raises(TokenEndpointError):
        exchange.raise_for_error()


async def test_a_network_failure_is_recorded_without_a_response() -> None:
    endpoint = FakeTokenEndpoint(httpx.ConnectError("connection refused"))
    exchange = await playground(endpoint).client_credentials(AppCredentials(CLIENT_ID, SECRET))
    assert exchange.response is None and isinstance(exchange.error, NetworkError)
    assert "no response" in exchange.as_text()
    with pytest.raises(NetworkError):
        exchange.raise_for_error()


async def test_a_body_that_is_not_json_is_shown_redacted() -> None:
    endpoint = FakeTokenEndpoint(httpx.Response(502, text=f"proxy said Bearer {ACCESS}"))
    exchange = await playground(endpoint).client_credentials(AppCredentials(CLIENT_ID, SECRET))
    assert exchange.response is not None and ACCESS not in exchange.response.masked_text()
    assert exchange.response.text.endswith(ACCESS)  # the record itself keeps what came


# -- curl --------------------------------------------------------------------------------------


def _curl_arguments(command: str) -> list[str]:
    return shlex.split(command.replace("\\\n", " "))


async def test_curl_masks_every_secret_unless_revealed() -> None:
    endpoint = FakeTokenEndpoint()
    request = request_for()
    exchange = await playground(endpoint).exchange_code(
        AppCredentials(CLIENT_ID, SECRET), CODE, request
    )
    masked = exchange.as_curl()
    for secret in (SECRET, CODE, str(request.code_verifier)):
        assert secret not in masked
    assert "$CLIENT_SECRET" in masked and "$CODE" in masked and "$CODE_VERIFIER" in masked
    words = _curl_arguments(masked)  # shlex leaves "$VAR" as text: no shell runs here
    assert words[:4] == ["curl", "-sS", "-X", "POST"] and words[4] == f"{ISSUER}/oauth/token"
    assert words[words.index("-u") + 1] == f"{CLIENT_ID}:$CLIENT_SECRET"

    revealed = _curl_arguments(exchange.as_curl(reveal_secrets=True))
    assert revealed[revealed.index("-u") + 1] == f"{CLIENT_ID}:{SECRET}"
    data = [revealed[i + 1] for i, word in enumerate(revealed) if word == "--data-urlencode"]
    assert data == [
        "grant_type=authorization_code",
        f"code={CODE}",
        f"redirect_uri={REDIRECT}",
        f"code_verifier={request.code_verifier}",
    ]


async def test_curl_quotes_awkward_values_for_the_shell() -> None:
    endpoint = FakeTokenEndpoint()
    odd_secret = 'it\'s $HOME `x` "q" & more'
    exchange = await playground(endpoint).client_credentials(
        AppCredentials("client 1", odd_secret, ClientAuthMethod.POST), scopes=["read:assets"]
    )
    revealed = _curl_arguments(exchange.as_curl(reveal_secrets=True))
    data = [revealed[i + 1] for i, word in enumerate(revealed) if word == "--data-urlencode"]
    assert f"client_secret={odd_secret}" in data and "client_id=client 1" in data
    masked = exchange.as_curl()
    assert odd_secret not in masked and '"client_secret=$CLIENT_SECRET"' in masked


# -- a callback this computer can receive ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "uri", "expected", "sent"),
    [
        # A native app's loopback URI matches on any port (RFC 8252 §7.3): the OS picks one.
        (
            ApplicationType.NATIVE,
            "http://127.0.0.1/callback",
            ("127.0.0.1", None, "/callback"),
            "http://127.0.0.1:51234/callback",
        ),
        (
            ApplicationType.NATIVE,
            "http://127.0.0.1:8080/cb?x=1",
            ("127.0.0.1", None, "/cb"),
            "http://127.0.0.1:51234/cb?x=1",
        ),
        (
            ApplicationType.NATIVE,
            "http://[::1]/callback",
            ("[::1]", None, "/callback"),
            "http://[::1]:51234/callback",
        ),
        # A web app's or SPA's is matched exactly: its own port, sent as registered.
        (
            ApplicationType.WEB,
            "http://127.0.0.1:8080/callback",
            ("127.0.0.1", 8080, "/callback"),
            "http://127.0.0.1:8080/callback",
        ),
        (ApplicationType.SPA, "http://localhost:3000/cb", ("localhost", 3000, "/cb"), None),
        (ApplicationType.WEB, "http://localhost/cb", ("localhost", 80, "/cb"), None),
        # Elsewhere: the person pastes the address.
        (ApplicationType.WEB, "https://app.example.com/callback", None, None),
        (ApplicationType.WEB, "https://127.0.0.1:8443/callback", None, None),
        (ApplicationType.NATIVE, "com.example.app:/callback", None, None),
        (ApplicationType.WEB, "http://app.example.com/cb", None, None),  # refused by the rules
    ],
)
def test_loopback_redirect_says_where_to_listen(
    kind: ApplicationType,
    uri: str,
    expected: tuple[str, int | None, str] | None,
    sent: str | None,
) -> None:
    target = loopback_redirect(kind, uri)
    if expected is None:
        assert target is None
        return
    assert target is not None
    assert (target.host, target.port, target.path) == expected
    assert target.uri_for(target.port or 51234) == (sent or uri)


async def test_open_listener_receives_only_its_own_requests_callback() -> None:
    target = loopback_redirect(ApplicationType.NATIVE, "http://127.0.0.1/callback?tenant=north")
    assert target is not None
    listener, redirect_uri = await open_listener(target, state="the-state")
    try:
        assert redirect_uri == f"http://127.0.0.1:{listener.port}/callback?tenant=north"
        async with httpx.AsyncClient() as browser:
            other = await browser.get(f"{redirect_uri}&code=c1&state=another")
            assert other.status_code == 400  # not this request's: refused, still waiting
            waiting = asyncio.ensure_future(listener.wait_for_callback())
            await browser.get(f"{redirect_uri}&code=c2&state=the-state")
            params = await asyncio.wait_for(waiting, 5)
        assert (params["code"], params["tenant"]) == ("c2", "north")
    finally:
        listener.finish(True, "done")
        await listener.aclose(grace=0)
