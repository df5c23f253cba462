"""What :class:`~twinedge.TwinEdgeClient` and :class:`~twinedge.AsyncTwinEdgeClient`
share: choosing the credential, resolving addresses, building each request and
deciding what a response means. The two clients add only the I/O (send, sleep).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from twinedge._http import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    api_root,
    check_retry_settings,
    error_from_response,
    json_object,
    network_error,
    resolve_url,
    user_agent,
)
from twinedge.credentials import (
    AccessToken,
    ApiKeyCredential,
    ClientCredentials,
    Credential,
    DesktopCredential,
    default_credential,
)
from twinedge.errors import ConfigurationError, InvalidToken, TwinEdgeError

logger = logging.getLogger("twinedge")

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_RATE_LIMIT_ATTEMPTS = 3
DEFAULT_RATE_LIMIT_MAX_WAIT = 30.0

QueryParams = Mapping[str, Any] | None
Headers = Mapping[str, str] | None


def resolve_base_url(base_url: str | None) -> str:
    """``base_url``, else ``$TWINEDGE_API_URL``, else TwinEdge's API; checked and normalised."""
    explicit, _ = explicit_base_url(base_url)
    return explicit or DEFAULT_BASE_URL


def explicit_base_url(base_url: str | None) -> tuple[str | None, str | None]:
    """The API root someone chose (``base_url=``, else ``$TWINEDGE_API_URL``) and where it
    came from, checked and normalised; ``(None, None)`` when nobody chose one."""
    if base_url:
        return api_root(base_url), "base_url"
    from_env = os.environ.get(BASE_URL_ENV, "").strip()
    if from_env:
        try:
            return api_root(from_env), BASE_URL_ENV
        except ConfigurationError as exc:
            raise ConfigurationError(f"{BASE_URL_ENV}: {exc.description}") from None
    return None, None


def _comparable(root: str) -> str:
    """An API root for comparing: scheme and host in lower case (they are case-blind)."""
    parts = urlsplit(root)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def choose_credential(
    *,
    api_key: str | None,
    client_id: str | None,
    client_secret: str | None,
    scopes: Sequence[str] | str | None,
    credential: Credential | None,
    issuer: str | None,
) -> Credential:
    """The seed's two forms, an explicit credential, or the default chain (nothing given)."""
    if credential is not None:
        extra = [
            name
            for name, value in (
                ("api_key", api_key),
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("scopes", scopes),
                ("issuer", issuer),
            )
            if value is not None
        ]
        if extra:
            raise ConfigurationError(
                f"credential= is complete on its own; do not also give {', '.join(extra)}"
            )
        if not isinstance(credential, Credential):
            raise ConfigurationError(
                "credential must be an ApiKeyCredential, ClientCredentials or DesktopCredential"
            )
        return credential
    if api_key is not None:
        if client_id is not None or client_secret is not None:
            raise ConfigurationError("give api_key, or client_id and client_secret, not both")
        if scopes is not None:
            raise ConfigurationError(
                "scopes apply to client credentials; an API key's scopes are fixed when it "
                "is created"
            )
        return ApiKeyCredential(api_key)
    if client_id is not None or client_secret is not None:
        if client_id is None or client_secret is None:
            missing = "client_secret" if client_secret is None else "client_id"
            raise ConfigurationError(
                f"client_id and client_secret go together: {missing} is missing"
            )
        return ClientCredentials(client_id, client_secret, scopes=scopes, issuer=issuer)
    return default_credential(issuer=issuer, scopes=scopes)


class ClientCore:
    """Settings and per-request decisions; no I/O."""

    def __init__(
        self,
        *,
        api_key: str | None,
        client_id: str | None,
        client_secret: str | None,
        scopes: Sequence[str] | str | None,
        credential: Credential | None,
        base_url: str | None,
        issuer: str | None,
        rate_limit_attempts: int,
        rate_limit_max_wait: float,
    ) -> None:
        check_retry_settings(rate_limit_attempts, rate_limit_max_wait)
        self._chosen_base_url, self._base_url_source = explicit_base_url(base_url)
        self._configured_base_url = self._chosen_base_url or DEFAULT_BASE_URL
        self.credential = choose_credential(
            api_key=api_key,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            credential=credential,
            issuer=issuer,
        )
        self.rate_limit_attempts = rate_limit_attempts
        self.rate_limit_max_wait = float(rate_limit_max_wait)
        logger.debug("TwinEdge client for %s using %r", self.base_url, self.credential)

    @property
    def base_url(self) -> str:
        """Where requests go: for TwinEdge Desktop's sign-in, once the app has said, the API
        its token was issued for; otherwise ``base_url=``, ``$TWINEDGE_API_URL`` or
        TwinEdge's API."""
        credential = self.credential
        if (
            isinstance(credential, DesktopCredential)
            and credential.server_known
            and credential.api_root is not None
        ):
            return credential.api_root
        return self._configured_base_url

    @property
    def issuer(self) -> str | None:
        """The issuer whose token endpoint the credential uses (client credentials), or that
        issued TwinEdge Desktop's token (once the app has said)."""
        return self.credential.issuer

    def request_root(self) -> str:
        """The API root a request with the current token may go to; raises
        :class:`ConfigurationError` rather than send a token to a server that did not
        issue it. Called after the credential has produced the token."""
        credential = self.credential
        if not isinstance(credential, DesktopCredential) or not credential.server_known:
            return self._configured_base_url
        profile = credential.profile or credential.signed_in_profile or "current"
        desktop_root = credential.api_root
        if desktop_root is None:
            raise ConfigurationError(
                f"TwinEdge Desktop's profile {profile!r} has no API address (it was made for "
                "signing in only), so its token has no API to go to. Sign in to a server "
                "with an API (twinedge-desktop login --issuer URL), or use TWINEDGE_API_KEY."
            )
        chosen = self._chosen_base_url
        if chosen is not None and _comparable(chosen) != _comparable(desktop_root):
            raise ConfigurationError(
                f"{self._base_url_source} is {chosen}, but TwinEdge Desktop's profile "
                f"{profile!r} is signed in to {desktop_root}: its token would be sent to a "
                "server that did not issue it. Leave out "
                f"{self._base_url_source} (the desktop sign-in names its API), or sign "
                "TwinEdge Desktop in to that server, or use TWINEDGE_API_KEY for it."
            )
        return desktop_root

    def default_headers(self, version: str) -> dict[str, str]:
        return {"User-Agent": user_agent(version), "Accept": "application/json"}

    def build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        url: str,
        token: AccessToken,
        *,
        params: QueryParams,
        json: Any,
        data: Mapping[str, Any] | None,
        content: bytes | str | None,
        headers: Headers,
        timeout: float | httpx.Timeout | None,
    ) -> httpx.Request:
        merged = dict(headers or {})
        if any(name.lower() == "authorization" for name in merged):
            raise ConfigurationError(
                "the client sets Authorization from its credential; do not pass one in headers"
            )
        merged["Authorization"] = f"Bearer {token.value}"
        return http.build_request(
            method,
            url,
            params=params,
            json=json,
            data=data,
            content=content,
            headers=merged,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )

    def url(self, path: str) -> str:
        """The URL of ``path`` for the current token (call after getting the token)."""
        return resolve_url(self.request_root(), path)

    def secrets(self, token: AccessToken) -> tuple[str, ...]:
        return (token.value, *self.credential.secrets())

    def transport_failure(
        self, exc: httpx.TransportError, url: str, token: AccessToken
    ) -> TwinEdgeError:
        return network_error(exc, url, self.secrets(token))

    def failure(self, response: httpx.Response, token: AccessToken) -> TwinEdgeError:
        """The typed error for ``response``; for a sign-in the API refused, the next step."""
        error = error_from_response(response, secrets=self.secrets(token))
        if isinstance(error, InvalidToken) and isinstance(self.credential, DesktopCredential):
            profile = self.credential.profile or self.credential.signed_in_profile
            error = InvalidToken(
                f"{error.description}. {self.base_url} did not accept TwinEdge Desktop's "
                f"sign-in{f' (profile {profile!r})' if profile else ''}: check that it is "
                "signed in to this server, or run `twinedge-desktop login` again.",
                error=error.error,
                status=error.status,
            )
        return error

    def json_body(self, response: httpx.Response) -> dict[str, Any]:
        return json_object(response)

    def describe(self, kind: str) -> str:
        return f"{kind}(base_url={self.base_url!r}, credential={self.credential!r})"
