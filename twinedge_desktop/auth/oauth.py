"""The token endpoint (RFC 6749) and revocation (RFC 7009) over the shared httpx client.

A token request is built (:meth:`OAuthClient.build_token_request`), sent, and read
(:meth:`OAuthClient.read_token_response`) in three steps, so the OAuth playground can show exactly
what went over the wire while using the same code as the desktop sign-in.
"""

from __future__ import annotations

import base64
import logging
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from twinedge_desktop.api.errors import NetworkError, transport_problem
from twinedge_desktop.api.http import send_bounded
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.errors import SignInError, clean_server_text
from twinedge_desktop.redaction import register_secret
from twinedge_desktop.timefmt import format_duration

log = logging.getLogger(__name__)

TOKEN_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
REVOKE_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# httpx's timeouts above are per network operation: a server that sends a byte every few
# seconds never trips them. These bound the whole exchange (connect, send, every byte of
# the answer), read at call time so tests can lower them. A token request answers in well
# under a second; 30 s is what a person waits on a slow VPN before calling it broken.
# Revocation is best effort at sign-out, which must not keep the person waiting long.
TOKEN_DEADLINE_SECONDS = 30.0
REVOKE_DEADLINE_SECONDS = 10.0
# Transport failures before any byte of the request left: the server cannot have acted.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)
# A token response holds a few KB (an RS256 JWT access token is ~1 KB, an id token as
# much, a refresh token tens of bytes); 1 MiB is hundreds of times that, and bounds what a
# broken or hostile endpoint (a captive portal's endless page) can make this process hold.
MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TokenResponse:
    """A successful token response; ``repr`` never shows the tokens."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: float | None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None
    id_token: str | None = field(default=None, repr=False)


class TokenEndpointError(SignInError):
    """The token endpoint answered with an OAuth error (``error`` holds its code)."""

    def __init__(self, user_message: str, *, error: str | None, status: int) -> None:
        super().__init__(user_message, error=error)
        self.status = status


_ERROR_MESSAGES = {
    "invalid_grant": "The authorization server rejected the grant: the sign-in code or saved "
    "sign-in is invalid, expired or already used.",
    "invalid_client": "The authorization server does not recognise this application "
    "(client id or secret not accepted).",
    "unauthorized_client": "This application is not allowed to use this kind of sign-in at the "
    "authorization server.",
    "invalid_scope": "The authorization server refused the requested scopes.",
    "unsupported_grant_type": "The authorization server does not support this kind of sign-in.",
    "invalid_request": "The authorization server rejected the request as malformed.",
}


class ClientAuthMethod(StrEnum):
    """How a client authenticates at the token endpoint (RFC 8414's names)."""

    NONE = "none"
    BASIC = "client_secret_basic"
    POST = "client_secret_post"


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The ``Authorization`` header value of ``client_secret_basic`` (RFC 6749 §2.3.1: both
    parts form-urlencoded before Base64, so a ``:`` in either cannot split them wrongly)."""
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")


class OAuthClient:
    """Talks to one authorization server as one client (public unless a secret is given).

    ``auth_method`` chooses how a confidential client sends its secret; None (the
    default) uses HTTP Basic unless the server lists only ``client_secret_post``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        metadata: ServerMetadata,
        client_id: str,
        client_secret: str | None = None,
        *,
        auth_method: ClientAuthMethod | None = None,
    ) -> None:
        self._http = http
        self.metadata = metadata
        self.client_id = client_id
        self._client_secret = client_secret
        self._auth_method = auth_method

    @property
    def auth_method(self) -> ClientAuthMethod:
        if self._client_secret is None:
            return ClientAuthMethod.NONE
        if self._auth_method is not None and self._auth_method is not ClientAuthMethod.NONE:
            return self._auth_method
        methods = self.metadata.token_endpoint_auth_methods_supported
        if methods and "client_secret_basic" not in methods and "client_secret_post" in methods:
            return ClientAuthMethod.POST
        # RFC 6749 §2.3.1: every server must support HTTP Basic; it is also RFC 8414's default.
        return ClientAuthMethod.BASIC

    def _auth(self, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Client authentication: (the form to send, extra headers)."""
        method = self.auth_method
        if method is ClientAuthMethod.NONE or self._client_secret is None:
            return {**form, "client_id": self.client_id}, {}
        if method is ClientAuthMethod.POST:
            return {
                **form,
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            }, {}
        return form, {"Authorization": basic_authorization(self.client_id, self._client_secret)}

    def build_token_request(self, form: dict[str, str]) -> httpx.Request:
        """The token request for ``form`` (a grant's parameters), client authentication
        added; send it with the same ``httpx.AsyncClient``."""
        body, auth_headers = self._auth(form)
        return self._http.build_request(
            "POST",
            self.metadata.token_endpoint,
            content=urlencode(body),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                **auth_headers,
            },
            timeout=TOKEN_TIMEOUT,
        )

    async def send_token_request(self, request: httpx.Request) -> httpx.Response:
        """Send a built token request and read the whole answer, within
        :data:`TOKEN_DEADLINE_SECONDS` and :data:`MAX_TOKEN_RESPONSE_BYTES`.

        Transport failures and the deadline become :class:`NetworkError` (a renewal
        retries those once with the same refresh token); a larger answer is
        :class:`~twinedge_desktop.api.errors.FetchTooLarge`.
        """
        deadline = TOKEN_DEADLINE_SECONDS
        try:
            return await send_bounded(
                self._http,
                request,
                deadline=deadline,
                max_bytes=MAX_TOKEN_RESPONSE_BYTES,
                what="The authorization server's answer",
            )
        except (TimeoutError, httpx.TimeoutException):
            raise NetworkError(
                "The authorization server did not answer within "
                f"{format_duration(deadline)}; stopped waiting. Try again."
            ) from None
        except httpx.TransportError as exc:
            raise NetworkError(
                f"The authorization server could not be reached: {transport_problem(exc)}. "
                "Check your connection and try again.",
                # Only a connection that was never made proves the request was not sent.
                request_sent=not isinstance(exc, _NOT_SENT),
            ) from None

    async def _token_request(self, form: dict[str, str]) -> TokenResponse:
        response = await self.send_token_request(self.build_token_request(form))
        return self.read_token_response(response)

    @staticmethod
    def read_token_response(response: httpx.Response) -> TokenResponse:
        """A token endpoint's answer as tokens, or the typed error it stands for.

        Every token in the answer is registered for redaction before anything else is
        checked: from here on it is hidden wherever it turns up, bare or not, even when
        the answer is then refused (an unknown token type) and the token never used.
        """
        data = _json_object(response)
        if response.status_code != 200:
            raise _token_error(response.status_code, data)
        for name in ("access_token", "refresh_token", "id_token"):
            value = data.get(name)
            if isinstance(value, str):
                register_secret(value)
        access_token = data.get("access_token")
        token_type = str(data.get("token_type") or "")
        if not isinstance(access_token, str) or not access_token:
            raise SignInError("The authorization server's answer did not contain an access token.")
        if token_type.lower() != "bearer":
            raise SignInError(
                "The authorization server issued a "
                f"{clean_server_text(token_type, 40) or 'untyped'} "
                "token; this app only uses Bearer tokens."
            )
        expires = _lifetime(data.get("expires_in"))
        refresh = data.get("refresh_token")
        scope = data.get("scope")
        id_token = data.get("id_token")
        return TokenResponse(
            access_token=access_token,
            token_type="Bearer",  # noqa: S106 - a token type, not a secret
            expires_in=expires,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            scope=scope if isinstance(scope, str) else None,
            id_token=id_token if isinstance(id_token, str) else None,
        )

    async def exchange_code(
        self, code: str, redirect_uri: str, code_verifier: str
    ) -> TokenResponse:
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> TokenResponse:
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    async def client_credentials(self, scopes: tuple[str, ...] = ()) -> TokenResponse:
        form = {"grant_type": "client_credentials"}
        if scopes:
            form["scope"] = " ".join(scopes)
        return await self._token_request(form)

    async def revoke(self, token: str, token_type_hint: str) -> bool:
        """RFC 7009 revocation; True when the server confirmed. Never raises: best effort."""
        endpoint = self.metadata.revocation_endpoint
        if not endpoint:
            return False
        body, auth_headers = self._auth({"token": token, "token_type_hint": token_type_hint})
        request = self._http.build_request(
            "POST",
            endpoint,
            content=urlencode(body),
            headers={"Content-Type": "application/x-www-form-urlencoded", **auth_headers},
            timeout=REVOKE_TIMEOUT,
        )
        deadline = REVOKE_DEADLINE_SECONDS
        try:
            # The answer's body is not needed, but it is read (within the cap) so the
            # connection can be reused; the deadline bounds the whole exchange.
            response = await send_bounded(
                self._http,
                request,
                deadline=deadline,
                max_bytes=MAX_TOKEN_RESPONSE_BYTES,
                what="The revocation endpoint's answer",
            )
        except TimeoutError:
            log.warning(
                "Token revocation: the server did not answer within %s", format_duration(deadline)
            )
            return False
        except httpx.HTTPError as exc:
            log.warning("Token revocation failed: %s", type(exc).__name__)
            return False
        except Exception as exc:  # e.g. the HTTPS rule refusing the endpoint: still best effort
            log.warning("Token revocation failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning("Token revocation answered HTTP %s", response.status_code)
            return False
        return True


# A lifetime beyond this is not one (and would overflow datetime arithmetic).
MAX_TOKEN_LIFETIME = 10 * 365 * 24 * 3600.0


def _lifetime(value: Any) -> float | None:
    """``expires_in`` as seconds; None (unknown) for anything that is not a usable lifetime.

    Zero or negative would make every call refresh; huge, infinite or NaN values would
    overflow. Unknown is safe: the token is used until the API answers 401.
    """
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_TOKEN_LIFETIME:
        return None
    return seconds


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _token_error(status: int, data: dict[str, Any]) -> TokenEndpointError:
    error = data.get("error") if isinstance(data.get("error"), str) else None
    description = data.get("error_description")
    message = _ERROR_MESSAGES.get(error or "")
    if message is None:
        if status >= 500:
            message = f"The authorization server had a problem (HTTP {status}). Try again shortly."
        else:
            message = f"The authorization server refused the request (HTTP {status})."
    if isinstance(description, str) and description.strip():
        message = f"{message} Server said: {clean_server_text(description, 200)}"
    return TokenEndpointError(message, error=error, status=status)
