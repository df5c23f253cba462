"""The asyncio client, :class:`AsyncTwinEdgeClient` (a module of its own, so the sync
client's ``import`` does not pay for ``asyncio``)."""

from __future__ import annotations

import asyncio
import logging
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

__all__ = ["AsyncResource", "AsyncTwinEdgeClient"]

logger = logging.getLogger("twinedge")


class AsyncResource:
    """One collection of the API, e.g. ``client.assets``."""

    def __init__(self, client: AsyncTwinEdgeClient, path: str) -> None:
        self._client = client
        self.path = path

    async def list(self, **params: Any) -> dict[str, Any]:
        """``GET`` the collection: ``{"data": [...], "next_cursor": ...}`` as a dict.
        Keyword arguments become query parameters (``limit=50``, ``cursor=...``)."""
        return await self._client.get_json(self.path, params=params or None)

    def __repr__(self) -> str:
        return f"AsyncResource({self.path!r})"


class AsyncTwinEdgeClient:
    """:class:`~twinedge.TwinEdgeClient` for asyncio: the same arguments, and every
    request method is a coroutine.

    ::

        async with AsyncTwinEdgeClient() as client:
            assets = await client.assets.list()

    Concurrent tasks share one token renewal: a hundred requests started together
    with a due token make one token request. A client belongs to one event loop (as
    its ``httpx.AsyncClient`` does).
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
        http_client: httpx.AsyncClient | None = None,
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
        self._http = http_client or httpx.AsyncClient(
            timeout=timeout, headers=self._core.default_headers(__version__)
        )
        self.assets = AsyncResource(self, "/v1/assets")
        self.telemetry = AsyncResource(self, "/v1/telemetry")
        self.alerts = AsyncResource(self, "/v1/alerts")

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

    async def me(self) -> dict[str, Any]:
        """``GET /v1/me``: who the credential acts for, its organisation and scopes."""
        return await self.get_json("/v1/me")

    async def get_json(self, path: str, *, params: QueryParams = None) -> dict[str, Any]:
        """``GET path`` and return its JSON object (typed errors for error statuses)."""
        response = await self.request("GET", path, params=params)
        return self._core.json_body(response)

    async def request(
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
        """See :meth:`twinedge.TwinEdgeClient.request`."""
        core = self._core
        budget = RateLimitBudget(core.rate_limit_attempts, core.rate_limit_max_wait)
        credential = core.credential
        token = await credential.token_async(self._http)
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
            response = await self._send(request, url, token)
            if not renewed and credential.renewable and is_invalid_token(response):
                renewed = True
                replacement = await credential.renew_async(token, self._http)
                if replacement is not None:
                    logger.debug("%s %s: 401, retrying once with a renewed token", method, url)
                    await response.aclose()
                    token = replacement
                    continue
            elif response.status_code == 429:
                wait = budget.next_wait(response)
                if wait is not None:
                    logger.info("%s %s: rate limited; retrying in %.1f s", method, url, wait)
                    await response.aclose()
                    await asyncio.sleep(wait)
                    token = await credential.token_async(self._http)
                    continue
            if raise_for_status and response.is_error:
                raise core.failure(response, token)
            return response

    async def _send(self, request: httpx.Request, url: str, token: AccessToken) -> httpx.Response:
        failure: TwinEdgeError | None = None
        try:
            return await self._http.send(request)
        except httpx.TransportError as exc:
            failure = self._core.transport_failure(exc, url, token)
        raise failure  # unchained, as in TwinEdgeClient._send

    async def close(self) -> None:
        """Release the connections (not those of an ``http_client`` you passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncTwinEdgeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return self._core.describe("AsyncTwinEdgeClient")
