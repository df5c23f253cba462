"""The synchronous client, :class:`TwinEdgeClient`."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from twinedge import __version__
from twinedge._base import (
    DEFAULT_RATE_LIMIT_ATTEMPTS,
    DEFAULT_RATE_LIMIT_MAX_WAIT,
    DEFAULT_TIMEOUT_SECONDS,
    ClientCore,
    Headers,
    QueryParams,
)
from twinedge._http import RateLimitBudget, is_invalid_token
from twinedge.credentials import AccessToken, Credential
from twinedge.errors import TwinEdgeError

__all__ = ["Resource", "TwinEdgeClient"]

logger = logging.getLogger("twinedge")


class Resource:
    """One collection of the API, e.g. ``client.assets``."""

    def __init__(self, client: TwinEdgeClient, path: str) -> None:
        self._client = client
        self.path = path

    def list(self, **params: Any) -> dict[str, Any]:
        """``GET`` the collection: ``{"data": [...], "next_cursor": ...}`` as a dict.
        Keyword arguments become query parameters (``limit=50``, ``cursor=...``)."""
        return self._client.get_json(self.path, params=params or None)

    def __repr__(self) -> str:
        return f"Resource({self.path!r})"


class TwinEdgeClient:
    """A client for the TwinEdge API.

    ::

        client = TwinEdgeClient(api_key="te_…")                          # an API key
        client = TwinEdgeClient(client_id="…", client_secret="…")        # a service account
        client = TwinEdgeClient()   # TWINEDGE_API_KEY, then TWINEDGE_CLIENT_ID + _SECRET,
                                    # then TwinEdge Desktop's sign-in

    ``client.credential`` is the credential in use (its ``repr`` shows no secret).
    ``base_url`` / ``issuer`` default to ``$TWINEDGE_API_URL`` / ``$TWINEDGE_ISSUER``,
    else TwinEdge's servers; both must be HTTPS (plain HTTP only on this computer).

    Each request carries a bearer token from the credential. A 401 ``invalid_token``
    with a renewable credential (client credentials, TwinEdge Desktop) renews the
    token once and retries; a 429 waits for ``Retry-After`` and retries, at most
    ``rate_limit_attempts`` tries and ``rate_limit_max_wait`` seconds of waiting in all.
    Retried requests are sent again as given, so bodies must be bytes, text, JSON or
    form data (not a stream).

    Thread-safe: share one client between threads; they share one token renewal.
    Close it (or use ``with``) to release its connections.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Sequence[str] | str | None = None,
        credential: Credential | None = None,
        base_url: str | None = None,
        issuer: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_SECONDS,
        rate_limit_attempts: int = DEFAULT_RATE_LIMIT_ATTEMPTS,
        rate_limit_max_wait: float = DEFAULT_RATE_LIMIT_MAX_WAIT,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._core = ClientCore(
            api_key=api_key,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            credential=credential,
            base_url=base_url,
            issuer=issuer,
            rate_limit_attempts=rate_limit_attempts,
            rate_limit_max_wait=rate_limit_max_wait,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=timeout, headers=self._core.default_headers(__version__)
        )
        self.assets = Resource(self, "/v1/assets")
        self.telemetry = Resource(self, "/v1/telemetry")
        self.alerts = Resource(self, "/v1/alerts")

    @property
    def credential(self) -> Credential:
        """The credential in use: which one the chain chose, and from where (``.source``)."""
        return self._core.credential

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def issuer(self) -> str | None:
        return self._core.issuer

    def me(self) -> dict[str, Any]:
        """``GET /v1/me``: who the credential acts for, its organisation and scopes."""
        return self.get_json("/v1/me")

    def get_json(self, path: str, *, params: QueryParams = None) -> dict[str, Any]:
        """``GET path`` and return its JSON object (typed errors for error statuses)."""
        response = self.request("GET", path, params=params)
        return self._core.json_body(response)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        headers: Headers = None,
        timeout: float | httpx.Timeout | None = None,
        raise_for_status: bool = True,
    ) -> httpx.Response:
        """Send ``method path`` (a path such as ``/v1/assets``, or a URL under ``base_url``)
        with the credential, and return the response.

        With ``raise_for_status`` (the default), an error status raises its typed
        :class:`~twinedge.TwinEdgeError` after the retries described on the class;
        without it, the last response is returned whatever its status.
        """
        core = self._core
        budget = RateLimitBudget(core.rate_limit_attempts, core.rate_limit_max_wait)
        credential = core.credential
        token = credential.token(self._http)
        renewed = False
        while True:
            # After each token: with TwinEdge Desktop's sign-in the app names the API the
            # token is for, and nothing is sent before that is checked.
            url = core.url(path)
            request = core.build(
                self._http,
                method,
                url,
                token,
                params=params,
                json=json,
                data=data,
                content=content,
                headers=headers,
                timeout=timeout,
            )
            response = self._send(request, url, token)
            if not renewed and credential.renewable and is_invalid_token(response):
                renewed = True
                replacement = credential.renew(token, self._http)
                if replacement is not None:
                    logger.debug("%s %s: 401, retrying once with a renewed token", method, url)
                    response.close()
                    token = replacement
                    continue
            elif response.status_code == 429:
                wait = budget.next_wait(response)
                if wait is not None:
                    logger.info("%s %s: rate limited; retrying in %.1f s", method, url, wait)
                    response.close()
                    time.sleep(wait)
                    token = credential.token(self._http)  # it may have come due meanwhile
                    continue
            if raise_for_status and response.is_error:
                raise core.failure(response, token)
            return response

    def _send(self, request: httpx.Request, url: str, token: AccessToken) -> httpx.Response:
        failure: TwinEdgeError | None = None
        try:
            return self._http.send(request)
        except httpx.TransportError as exc:
            failure = self._core.transport_failure(exc, url, token)
        # Raised here, unchained: httpx's error (and its request, with the Authorization
        # header) must not travel along as __context__; its scrubbed text is in ours.
        raise failure

    def close(self) -> None:
        """Release the connections (not those of an ``http_client`` you passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> TwinEdgeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return self._core.describe("TwinEdgeClient")
