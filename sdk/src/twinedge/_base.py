"""What :class:`~twinedge.TwinEdgeClient` and :class:`~twinedge.AsyncTwinEdgeClient`
share: choosing the credential, resolving addresses, building each request and
deciding what a response means. The two clients add only the I/O (send, sleep).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

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
    if base_url:
        return api_root(base_url)
    from_env = os.environ.get(BASE_URL_ENV, "").strip()
    if from_env:
        try:
            return api_root(from_env)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{BASE_URL_ENV}: {exc.description}") from None
    return DEFAULT_BASE_URL


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
        self.base_url = resolve_base_url(base_url)
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
    def issuer(self) -> str | None:
        """The issuer whose token endpoint the credential uses (client credentials only)."""
        return self.credential.issuer

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
        return resolve_url(self.base_url, path)

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
