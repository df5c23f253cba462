"""The OAuth playground's engine: each step of a registered app's flows, explained and recorded.

No UI here (the window's playground is built on it), no Qt, and nothing the desktop
sign-in depends on. The steps, after the seed's "Supported Flows":

1. :func:`build_authorization_request` — the authorization URL parameter by parameter,
   each with a one-line reason (Authorization Code, with PKCE S256 unless turned off for
   a ``web`` app).
2. :func:`parse_callback` — a pasted callback URL (or the parameters a loopback listener
   received, :func:`check_callback_params`) checked in the order that is safe: ``state``
   first (RFC 6749 §10.12), then the issuer (RFC 9207), then ``error``, then ``code``.
   Each failure is a :class:`CallbackError` whose ``issue`` says which.
   When the redirect URI points at this computer, :func:`loopback_redirect` says where, and
   :func:`open_listener` starts ``auth/loopback.py``'s listener there (the registered port,
   or any port for a native app) knowing the request's ``state``, so the code comes back
   to the playground itself and a callback for another request is refused.
3. :class:`Playground` — the token requests: code exchange (``client_secret_basic``,
   ``client_secret_post`` or a public client's verifier), refresh, client credentials.
   Each returns a :class:`TokenExchange`: the request and response exactly as sent and
   received, shown with secrets masked (:meth:`TokenExchange.as_text`), and as a
   ``curl`` command whose secrets are shell variables unless explicitly revealed.

Requests are built, sent and read by ``auth/oauth.py``'s :class:`OAuthClient`, the same
code the desktop sign-in uses.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx

from twinedge_desktop.api.errors import ApiError
from twinedge_desktop.auth.discovery import ServerMetadata, discover
from twinedge_desktop.auth.errors import SignInError, clean_server_text
from twinedge_desktop.auth.loopback import LoopbackListener
from twinedge_desktop.auth.oauth import ClientAuthMethod, OAuthClient, TokenResponse
from twinedge_desktop.auth.pkce import code_challenge_s256, new_code_verifier, new_state
from twinedge_desktop.oauth_apps_rules import ApplicationType, redirect_uri_problem
from twinedge_desktop.redaction import register_secret

MASK = "••••"
# Form fields and response fields that hold a credential.
SECRET_FORM_FIELDS = frozenset(
    {"client_secret", "code", "code_verifier", "refresh_token", "password", "assertion"}
)
SECRET_RESPONSE_FIELDS = frozenset({"access_token", "refresh_token", "id_token"})
# The shell variables a masked curl command uses in place of each secret.
CURL_VARIABLES = {
    "client_secret": "CLIENT_SECRET",
    "code": "CODE",
    "code_verifier": "CODE_VERIFIER",
    "refresh_token": "REFRESH_TOKEN",
    "password": "PASSWORD",
    "assertion": "ASSERTION",
}
# Headers a curl rendering leaves to curl (it sets them itself) or that say nothing.
_CURL_SKIPPED_HEADERS = frozenset(
    {"host", "content-length", "content-type", "user-agent", "accept-encoding", "connection"}
)
_SHELL_SAFE = re.compile(r"^[A-Za-z0-9_.:/=@%+,-]*$")


class PlaygroundError(SignInError):
    """A playground step cannot be taken as asked (a service app at the authorization
    endpoint, a public app without PKCE, a redirect URI the rules refuse)."""


def mask(value: str) -> str:
    """A secret for display: ``••••`` and, for long values, its last four characters
    (as an app's ``secret_hint``), enough to tell two apart and nothing to use."""
    return MASK + value[-4:] if len(value) >= 16 else MASK


# -- 1. the authorization request ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExplainedParameter:
    """One query parameter of an authorization URL and why it is there."""

    name: str
    value: str
    reason: str


@dataclass(frozen=True)
class AuthorizationRequest:
    """An authorization URL and what it takes to finish it (its state and PKCE verifier)."""

    url: str
    parameters: tuple[ExplainedParameter, ...]
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str = field(repr=False)
    code_verifier: str | None = field(default=None, repr=False)

    @property
    def uses_pkce(self) -> bool:
        return self.code_verifier is not None


def build_authorization_request(
    metadata: ServerMetadata,
    *,
    client_id: str,
    application_type: ApplicationType,
    redirect_uri: str,
    scopes: Sequence[str] = (),
    use_pkce: bool = True,
    state: str | None = None,
    code_verifier: str | None = None,
) -> AuthorizationRequest:
    """The authorization URL of the Authorization Code flow (RFC 6749 §4.1) for an app.

    PKCE S256 is used unless ``use_pkce`` is False, which only a ``web`` app may choose
    (the sandbox then expects no verifier; with one it verifies it).
    """
    if application_type is ApplicationType.SERVICE:
        raise PlaygroundError(
            "A service application has no browser sign-in: it uses client credentials."
        )
    if not use_pkce and application_type.requires_pkce:
        raise PlaygroundError(
            f"A {application_type.label.lower()} is a public client and must use PKCE."
        )
    if use_pkce and not metadata.supports_pkce_s256:
        raise PlaygroundError("The authorization server does not support PKCE with S256.")
    problem = redirect_uri_problem(application_type, redirect_uri)
    if problem is not None:
        raise PlaygroundError(f"The redirect URI {problem}.")
    state = state or new_state()
    verifier = (code_verifier or new_code_verifier()) if use_pkce else None
    register_secret(verifier)
    loopback = application_type is ApplicationType.NATIVE and redirect_uri.startswith("http://")
    parameters = [
        ExplainedParameter(
            "response_type",
            "code",
            "Ask for an authorization code, which the app then exchanges for tokens "
            "(RFC 6749 §4.1).",
        ),
        ExplainedParameter(
            "client_id", client_id, "Which registered application asks (public, not a secret)."
        ),
        ExplainedParameter(
            "redirect_uri",
            redirect_uri,
            "Where the browser returns with the code; a loopback address may use any port "
            "(RFC 8252 §7.3)."
            if loopback
            else "Where the browser returns with the code; it must match a registered "
            "redirect URI exactly.",
        ),
    ]
    if scopes:
        parameters.append(
            ExplainedParameter(
                "scope",
                " ".join(scopes),
                "The permissions asked for; tokens get at most these, within the app's "
                "scopes and the person's own.",
            )
        )
    parameters.append(
        ExplainedParameter(
            "state",
            state,
            "A random value the callback must bring back, tying it to this request "
            "(CSRF protection, RFC 6749 §10.12).",
        )
    )
    if verifier is not None:
        parameters += [
            ExplainedParameter(
                "code_challenge",
                code_challenge_s256(verifier),
                "The SHA-256 of a secret verifier the app keeps (PKCE, RFC 7636): only "
                "whoever started the flow can redeem the code.",
            ),
            ExplainedParameter(
                "code_challenge_method",
                "S256",
                "How the challenge was made: SHA-256 (the only method TwinEdge accepts).",
            ),
        ]
    parts = urlsplit(metadata.authorization_endpoint)
    # Keep any query the endpoint already has (RFC 6749 §3.1 allows one).
    query = [*parse_qsl(parts.query, keep_blank_values=True)]
    query += [(parameter.name, parameter.value) for parameter in parameters]
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return AuthorizationRequest(
        url=url,
        parameters=tuple(parameters),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=tuple(scopes),
        state=state,
        code_verifier=verifier,
    )


# -- 2. the callback -----------------------------------------------------------------------


class CallbackIssue(Enum):
    """What is wrong with a callback, so a view can point at it."""

    MALFORMED = "malformed"
    WRONG_REDIRECT = "wrong_redirect"
    FRAGMENT = "fragment"
    WRONG_STATE = "wrong_state"
    WRONG_ISSUER = "wrong_issuer"
    ERROR_RESPONSE = "error_response"
    NO_CODE = "no_code"


class CallbackError(SignInError):
    """A callback that must not be used. ``issue`` says why; for an error response,
    ``error`` is the server's OAuth error code and ``description`` its (cleaned) text."""

    def __init__(
        self,
        issue: CallbackIssue,
        message: str,
        *,
        error: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(message, error=error)
        self.issue = issue
        self.description = description


@dataclass(frozen=True)
class Callback:
    """A callback that belongs to its request: the code to exchange."""

    code: str = field(repr=False)
    state: str = field(repr=False)
    issuer: str | None


_CALLBACK_ERRORS = {
    "access_denied": "Access was denied on the consent page (access_denied).",
    "invalid_scope": "The server refused the requested scopes (invalid_scope).",
    "invalid_request": "The server refused the request as malformed (invalid_request).",
    "unauthorized_client": "This application may not use this flow (unauthorized_client).",
    "unsupported_response_type": "The server does not support this response_type "
    "(unsupported_response_type).",
    "server_error": "The authorization server had a problem (server_error).",
    "temporarily_unavailable": "The authorization server is temporarily unavailable "
    "(temporarily_unavailable).",
}
_RESPONSE_PARAMETERS = ("code", "state", "error")


def _single_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise CallbackError(
                CallbackIssue.MALFORMED,
                f"The parameter {clean_server_text(name, 40)} appears more than once; a "
                "genuine authorization response has each parameter once.",
            )
        values[name] = value
    return values


def _same_target(pasted: str, redirect_uri: str) -> bool:
    mine, theirs = urlsplit(redirect_uri), urlsplit(pasted)
    return (mine.scheme.lower(), mine.netloc.lower(), mine.path or "/") == (
        theirs.scheme.lower(),
        theirs.netloc.lower(),
        theirs.path or "/",
    )


def parse_callback(
    pasted: str, request: AuthorizationRequest, metadata: ServerMetadata
) -> Callback:
    """The callback a person pasted (the whole address, or just its ``?query``), checked
    against the request it must belong to. Raises :class:`CallbackError`."""
    text = pasted.strip()
    if not text:
        raise CallbackError(
            CallbackIssue.MALFORMED,
            "Paste the whole address the browser was sent to; it starts with the redirect URI.",
        )
    if text.startswith("?"):
        query, fragment = text[1:].partition("#")[::2]
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", text):
        try:
            parts = urlsplit(text)
        except ValueError:
            raise CallbackError(CallbackIssue.MALFORMED, "This is not a valid address.") from None
        if not _same_target(text, request.redirect_uri):
            shown = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            raise CallbackError(
                CallbackIssue.WRONG_REDIRECT,
                f"This address goes to {clean_server_text(shown, 120)}, not to this request's "
                f"redirect URI {clean_server_text(request.redirect_uri, 120)}.",
            )
        query, fragment = parts.query, parts.fragment
    elif "=" in text:
        query, fragment = text.partition("#")[::2]
    else:
        raise CallbackError(
            CallbackIssue.MALFORMED,
            "This is not a callback address: paste the whole address the browser was sent "
            "to, such as https://app.example.com/callback?code=…&state=….",
        )
    params = _single_values(parse_qsl(query, keep_blank_values=True))
    if not any(name in params for name in _RESPONSE_PARAMETERS):
        in_fragment = dict(parse_qsl(fragment, keep_blank_values=True))
        if any(name in in_fragment for name in _RESPONSE_PARAMETERS):
            raise CallbackError(
                CallbackIssue.FRAGMENT,
                "The response is in the address's fragment (after #), where implicit-flow "
                "responses go; the authorization code flow returns it in the query.",
            )
        raise CallbackError(
            CallbackIssue.NO_CODE,
            "The address has no code, state or error parameter: it is not an authorization "
            "response.",
        )
    return check_callback_params(params, request, metadata)


def check_callback_params(
    params: Mapping[str, str], request: AuthorizationRequest, metadata: ServerMetadata
) -> Callback:
    """Check a callback's parameters (from :func:`parse_callback` or a loopback listener).

    A code is registered for redaction as it arrives, also when the callback is then
    refused: the person pasted it (or the listener accepted it), so it is in this process.
    """
    register_secret(params.get("code"))
    received_state = params.get("state")
    if not received_state:
        raise CallbackError(
            CallbackIssue.WRONG_STATE,
            "The response has no state, so it cannot be tied to this request; do not use its "
            "code (RFC 6749 §10.12).",
        )
    if not secrets.compare_digest(
        received_state.encode("utf-8", "replace"), request.state.encode("utf-8")
    ):
        raise CallbackError(
            CallbackIssue.WRONG_STATE,
            "The response's state is not this request's: it belongs to another request or was "
            "forged, so its code must not be used (RFC 6749 §10.12).",
        )
    issuer = params.get("iss")
    if metadata.iss_parameter_supported and not issuer:
        raise CallbackError(
            CallbackIssue.WRONG_ISSUER,
            "The response has no iss parameter although the server promises one (RFC 9207): "
            "it may come from another server.",
        )
    if issuer is not None and issuer != metadata.issuer:
        raise CallbackError(
            CallbackIssue.WRONG_ISSUER,
            f"The response names the issuer {clean_server_text(issuer, 120)}, not "
            f"{clean_server_text(metadata.issuer, 120)}: it may come from another server "
            "(a mix-up attack, RFC 9207).",
        )
    error = params.get("error")
    if error:
        description = params.get("error_description")
        cleaned = clean_server_text(description, 200) if description else None
        message = _CALLBACK_ERRORS.get(
            error, f"The server answered with an error ({clean_server_text(error, 60)})."
        )
        if cleaned:
            message += f" Server said: {cleaned}"
        raise CallbackError(CallbackIssue.ERROR_RESPONSE, message, error=error, description=cleaned)
    code = params.get("code")
    if not code:
        raise CallbackError(CallbackIssue.NO_CODE, "The response has neither a code nor an error.")
    return Callback(code=code, state=received_state, issuer=issuer)


# -- 2b. a callback this computer can receive ------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoopbackRedirect:
    """A registered redirect URI that points at this computer (plain ``http://`` on a loopback
    address), so the playground can receive the code itself with a :class:`LoopbackListener`
    instead of asking the person to paste the address their browser landed on.

    ``port`` is None for a native app's loopback URI, which matches on any port (RFC 8252
    §7.3): the listener takes one the OS chooses. Otherwise the URI was registered with its
    port (a web app or SPA in development) and is matched exactly: the listener must bind
    that port, and ``registered`` is sent as it is.
    """

    registered: str
    host: str  # as written in the URI: "127.0.0.1", "[::1]" or "localhost"
    port: int | None
    path: str
    query: str

    def uri_for(self, port: int) -> str:
        """The redirect URI to send when the listener listens on ``port``."""
        if self.port is not None:
            return self.registered
        query = f"?{self.query}" if self.query else ""
        return f"http://{self.host}:{port}{self.path}{query}"


def loopback_redirect(
    application_type: ApplicationType, redirect_uri: str
) -> LoopbackRedirect | None:
    """The loopback target of ``redirect_uri``, or None when the browser must be sent
    elsewhere (``https://``, a private-use scheme, another host): then the person pastes
    the callback. A URI the rules refuse is None too."""
    if redirect_uri_problem(application_type, redirect_uri) is not None:
        return None
    parts = urlsplit(redirect_uri)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "http" or host not in ("127.0.0.1", "::1", "localhost"):
        return None
    shown = "[::1]" if host == "::1" else host
    any_port = application_type is ApplicationType.NATIVE
    port = None if any_port else (parts.port or 80)
    return LoopbackRedirect(redirect_uri, shown, port, parts.path or "/", parts.query)


async def open_listener(redirect: LoopbackRedirect, *, state: str) -> tuple[LoopbackListener, str]:
    """A started :class:`LoopbackListener` for ``redirect`` that accepts only callbacks with
    ``state`` (others are refused and it keeps waiting, RFC 6749 §10.12), and the redirect
    URI to put in the authorization request.

    Raises ``OSError`` when it cannot listen there: a fixed port already in use (the
    application's own development server may be running) or below 1024, or ``[::1]`` on a
    computer without IPv6 loopback. The caller then falls back to a pasted callback.
    """
    listener = LoopbackListener(
        redirect.path,
        expected_state=state,
        port=redirect.port or 0,
        host_names=("localhost",) if redirect.host == "localhost" else (),
    )
    try:
        await listener.start()
    except BaseException:  # a failed or cancelled start leaves no port open
        await listener.aclose()
        raise
    if redirect.host == "[::1]" and f"[::1]:{listener.port}" not in listener.addresses:
        await listener.aclose()
        raise OSError("This computer has no IPv6 loopback address ([::1]) to listen on.")
    return listener, redirect.uri_for(listener.port)


# -- 3. token requests, recorded -----------------------------------------------------------------


def _shell_word(literal: str, variable: str | None = None) -> str:
    """``literal`` (then ``$variable``) as one shell word: quoted only as much as needed."""
    if variable is None:
        return literal if literal and _SHELL_SAFE.fullmatch(literal) else shlex.quote(literal)
    if _SHELL_SAFE.fullmatch(literal):
        return f'"{literal}${variable}"'
    return f'{shlex.quote(literal)}"${variable}"'


@dataclass(frozen=True)
class RecordedRequest:
    """A token request as it was sent. ``repr`` and the ``masked_*`` views hide secrets."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    form: tuple[tuple[str, str], ...] = field(repr=False)
    basic_credentials: tuple[str, str] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, request: httpx.Request, basic: tuple[str, str] | None) -> RecordedRequest:
        body = request.content.decode("utf-8", "replace")
        return cls(
            method=request.method,
            url=str(request.url),
            headers=tuple((name, value) for name, value in request.headers.items()),
            form=tuple(parse_qsl(body, keep_blank_values=True)),
            basic_credentials=basic,
        )

    def masked_headers(self) -> tuple[tuple[str, str], ...]:
        shown = []
        for name, value in self.headers:
            if name.lower() == "authorization":
                scheme = value.partition(" ")[0]
                value = f"{scheme} {MASK}"
            shown.append((name, value))
        return tuple(shown)

    def masked_form(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (name, mask(value) if name in SECRET_FORM_FIELDS else value)
            for name, value in self.form
        )

    def as_curl(self, *, reveal_secrets: bool = False) -> str:
        """The request as a ``curl`` command. Unless ``reveal_secrets``, each secret is a
        shell variable (``$CLIENT_SECRET``, ``$CODE``, ``$CODE_VERIFIER``, ``$REFRESH_TOKEN``)
        so the command can be shared and run after ``export CLIENT_SECRET=…`` (a secret
        with characters other than letters, digits and ``-._~`` must be exported
        percent-encoded, as Basic credentials are sent)."""
        lines = [f"curl -sS -X {self.method} {_shell_word(self.url)}"]
        for name, value in self.headers:
            lowered = name.lower()
            if lowered in _CURL_SKIPPED_HEADERS:
                continue
            if lowered == "authorization" and self.basic_credentials is not None:
                # Form-urlencoded, as sent (RFC 6749 §2.3.1); curl Base64-encodes the pair.
                client_id, secret = (quote(part, safe="") for part in self.basic_credentials)
                if reveal_secrets:
                    lines.append(f"-u {_shell_word(f'{client_id}:{secret}')}")
                else:
                    lines.append(f"-u {_shell_word(f'{client_id}:', 'CLIENT_SECRET')}")
                continue
            if lowered == "authorization" and not reveal_secrets:
                scheme = value.partition(" ")[0]
                lines.append(f"-H {_shell_word(f'Authorization: {scheme} ', 'AUTHORIZATION')}")
                continue
            lines.append(f"-H {_shell_word(f'{name}: {value}')}")
        for name, value in self.form:
            variable = CURL_VARIABLES.get(name) if name in SECRET_FORM_FIELDS else None
            if variable is not None and not reveal_secrets:
                lines.append(f"--data-urlencode {_shell_word(f'{name}=', variable)}")
            else:
                lines.append(f"--data-urlencode {_shell_word(f'{name}={value}')}")
        return " \\\n  ".join(lines)

    def __repr__(self) -> str:
        form = ", ".join(f"{name}={value}" for name, value in self.masked_form())
        return f"RecordedRequest({self.method} {self.url}; {form})"


@dataclass(frozen=True)
class RecordedResponse:
    """A token response as it was received. ``repr`` and :meth:`masked_text` hide tokens."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    text: str = field(repr=False)

    @classmethod
    def of(cls, response: httpx.Response) -> RecordedResponse:
        return cls(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=tuple((name, value) for name, value in response.headers.items()),
            text=response.text,
        )

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def masked_text(self) -> str:
        """The body for display: JSON pretty-printed with every token masked; anything
        else shortened and redacted."""
        data = self.json()
        if isinstance(data, dict):
            shown = {
                key: mask(value)
                if key in SECRET_RESPONSE_FIELDS and isinstance(value, str)
                else value
                for key, value in data.items()
            }
            return json.dumps(shown, indent=2, ensure_ascii=False)
        return clean_server_text(self.text, 500)

    def revealed_text(self) -> str:
        """The body as received, JSON pretty-printed, tokens included (a view's "reveal")."""
        data = self.json()
        if isinstance(data, dict):
            return json.dumps(data, indent=2, ensure_ascii=False)
        return self.text[:2000]


@dataclass(frozen=True)
class TokenExchange:
    """One token request and what came of it: tokens, or the error (and, unless the
    network failed, the server's response)."""

    grant_type: str
    request: RecordedRequest
    response: RecordedResponse | None
    tokens: TokenResponse | None
    error: SignInError | ApiError | None
    elapsed_seconds: float

    @property
    def ok(self) -> bool:
        return self.tokens is not None

    def raise_for_error(self) -> TokenResponse:
        """The tokens, or the error this exchange ended with."""
        if self.tokens is not None:
            return self.tokens
        assert self.error is not None
        raise self.error

    def as_curl(self, *, reveal_secrets: bool = False) -> str:
        return self.request.as_curl(reveal_secrets=reveal_secrets)

    def as_text(self, *, reveal_secrets: bool = False) -> str:
        """Request and response as a person reads them, secrets masked unless
        ``reveal_secrets`` (the playground's "Reveal secrets", for this screen only)."""
        request = self.request
        headers = request.headers if reveal_secrets else request.masked_headers()
        form = request.form if reveal_secrets else request.masked_form()
        lines = [f"{request.method} {request.url}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines.append("")
        lines.append("&".join(f"{name}={value}" for name, value in form))
        lines.append("")
        if self.response is None:
            lines.append(f"→ no response ({self.error})")
        else:
            lines.append(
                f"→ HTTP {self.response.status} {self.response.reason} "
                f"({self.elapsed_seconds * 1000:.0f} ms)"
            )
            lines.append(
                self.response.revealed_text() if reveal_secrets else self.response.masked_text()
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        outcome = "ok" if self.ok else f"error={type(self.error).__name__}"
        status = self.response.status if self.response is not None else None
        return f"TokenExchange({self.grant_type}, status={status}, {outcome})"


@dataclass(frozen=True)
class AppCredentials:
    """Who the playground acts as: a client id, and the secret of a confidential app with
    the way it is sent (``client_secret_basic`` or ``client_secret_post``)."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    auth_method: ClientAuthMethod = ClientAuthMethod.BASIC


class Playground:
    """Token requests against one authorization server, each recorded as a :class:`TokenExchange`.

    Network failures and error answers are recorded, not raised, so a view can show what
    happened; :meth:`TokenExchange.raise_for_error` raises them for scripts.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        metadata: ServerMetadata,
        *,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._http = http
        self.metadata = metadata
        self._timer = timer

    @classmethod
    async def for_issuer(cls, http: httpx.AsyncClient, issuer: str) -> Playground:
        """A playground for the server at ``issuer`` (RFC 8414 discovery)."""
        return cls(http, await discover(http, issuer))

    def authorization_request(
        self,
        *,
        client_id: str,
        application_type: ApplicationType,
        redirect_uri: str,
        scopes: Sequence[str] = (),
        use_pkce: bool = True,
        state: str | None = None,
    ) -> AuthorizationRequest:
        """``state``: the request's state when it is drawn beforehand (a loopback listener
        that must know it, :func:`open_listener`); a new one otherwise."""
        return build_authorization_request(
            self.metadata,
            client_id=client_id,
            application_type=application_type,
            redirect_uri=redirect_uri,
            scopes=scopes,
            use_pkce=use_pkce,
            state=state,
        )

    def parse_callback(self, pasted: str, request: AuthorizationRequest) -> Callback:
        return parse_callback(pasted, request, self.metadata)

    async def exchange_code(
        self, credentials: AppCredentials, callback: Callback | str, request: AuthorizationRequest
    ) -> TokenExchange:
        """Authorization code → tokens; the verifier goes along when the request used PKCE."""
        code = callback.code if isinstance(callback, Callback) else callback
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
        }
        if request.code_verifier is not None:
            form["code_verifier"] = request.code_verifier
        return await self._exchange(credentials, form)

    async def refresh(
        self, credentials: AppCredentials, refresh_token: str, *, scopes: Sequence[str] = ()
    ) -> TokenExchange:
        """A refresh (the refresh token rotates: keep the new one from the result)."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scopes:
            form["scope"] = " ".join(scopes)
        return await self._exchange(credentials, form)

    async def client_credentials(
        self, credentials: AppCredentials, *, scopes: Sequence[str] = ()
    ) -> TokenExchange:
        """A service application's token (no user, no refresh token)."""
        form = {"grant_type": "client_credentials"}
        if scopes:
            form["scope"] = " ".join(scopes)
        return await self._exchange(credentials, form)

    async def _exchange(self, credentials: AppCredentials, form: dict[str, str]) -> TokenExchange:
        # Whatever the person typed or pasted into the request is hidden from here on; the
        # tokens of the answer are registered where it is read (OAuthClient).
        register_secret(credentials.client_secret)
        for name in SECRET_FORM_FIELDS:
            register_secret(form.get(name))
        oauth = OAuthClient(
            self._http,
            self.metadata,
            credentials.client_id,
            credentials.client_secret,
            auth_method=credentials.auth_method,
        )
        request = oauth.build_token_request(form)
        basic = (
            (credentials.client_id, credentials.client_secret)
            if credentials.client_secret is not None and oauth.auth_method is ClientAuthMethod.BASIC
            else None
        )
        recorded = RecordedRequest.of(request, basic)
        started = self._timer()
        try:
            response = await oauth.send_token_request(request)
        except ApiError as exc:  # the network, or the HTTPS rule refusing the address
            return TokenExchange(
                form["grant_type"], recorded, None, None, exc, self._timer() - started
            )
        elapsed = self._timer() - started
        tokens: TokenResponse | None = None
        error: SignInError | None = None
        try:
            tokens = OAuthClient.read_token_response(response)
        except SignInError as exc:
            error = exc
        return TokenExchange(
            form["grant_type"], recorded, RecordedResponse.of(response), tokens, error, elapsed
        )
