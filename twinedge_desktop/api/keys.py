"""API-key management: list (following cursors), create (idempotent), revoke, me, test a key."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime
from typing import Any

import httpx

from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import ApiError, NotFound, clean_server_text
from twinedge_desktop.api.models import (
    ApiKey,
    CreatedApiKey,
    KeyUsage,
    Me,
    UsageFormatError,
    format_rfc3339,
)
from twinedge_desktop.redaction import register_secret

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200
# A server that hands out a new cursor with every page, forever (empty pages, say), would
# otherwise keep a list loading for ever. 1,000 full pages are 200,000 keys, far more
# than an organisation has; stopping there is a clear error instead of an endless spinner.
MAX_PAGES = 1_000
# GET /v1/api-keys/{id}/usage reports 1-90 days (DESIGN.md "Key usage"), 30 by default.
DEFAULT_USAGE_DAYS = 30
MAX_USAGE_DAYS = 90


def new_idempotency_key() -> str:
    """A fresh key for one *logical* create; reuse it when retrying that same create."""
    return str(uuid.uuid4())


class ApiKeysService:
    """The API-keys endpoints for one session (or none, for ``test_key`` only)."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client

    @property
    def api_base(self) -> str:
        """The API's base URL (ending in ``/v1``), for snippets that show how to call it."""
        return self._client.base_url

    async def list_pages(
        self, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncGenerator[list[ApiKey], None]:
        """Yield the keys a page at a time, newest first, following ``next_cursor``.

        Each entry is read on its own: one the server sent damaged (an unreadable
        time, a missing id, not even an object) is yielded as an :class:`ApiKey`
        with ``problem`` set, in its place, and the rest of the page and the pages
        after it are read as usual.
        """
        limit = max(1, min(MAX_PAGE_SIZE, page_size))
        cursor: str | None = None
        seen_cursors: set[str] = set()
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            response = await self._client.request("GET", "/api-keys", params=params)
            body = _json_object(response)
            items = body.get("data")
            if not isinstance(items, list):
                raise ApiError("The server's list of API keys was not in the expected form.")
            page = [ApiKey.from_json(item) for item in items]
            damaged = sum(1 for key in page if key.damaged)
            if damaged:
                # Counts only: the problems quote the server's values.
                log.warning(
                    "%d of %d API keys in a page could not be read in full", damaged, len(page)
                )
            yield page
            next_cursor = body.get("next_cursor")
            if not isinstance(next_cursor, str) or not next_cursor:
                return
            if next_cursor in seen_cursors:
                # A server that hands back a cursor twice would loop forever.
                raise ApiError("The server's list of API keys did not advance; stopped reading.")
            seen_cursors.add(next_cursor)
            cursor = next_cursor
        raise ApiError(
            f"The server's list of API keys did not end after {MAX_PAGES:,} pages; stopped reading."
        )

    async def find(self, key_id: str) -> ApiKey | None:
        """The key with this id as the server has it now (its last use, say), or None.

        The API has no "get one key": this reads the pages, newest first, until the key
        turns up, and stops there.
        """
        async with contextlib.aclosing(self.list_pages()) as pages:
            async for page in pages:
                for key in page:
                    if key.id == key_id:
                        return key
        return None

    async def list_all(self, *, on_progress: Callable[[int], None] | None = None) -> list[ApiKey]:
        keys: list[ApiKey] = []
        async for page in self.list_pages():
            keys.extend(page)
            if on_progress is not None:
                on_progress(len(keys))
        return keys

    async def create(
        self,
        name: str,
        scopes: Sequence[str],
        expires_at: datetime | None,
        *,
        idempotency_key: str,
    ) -> CreatedApiKey:
        """Create a key. The same ``idempotency_key`` on a retry returns the same key and secret.

        Transport failures are retried here with the same key; if they persist the
        caller keeps the key and tries again later, still getting one key only.
        The secret is returned even when the rest of the answer is damaged (the key
        then has ``problem`` set): it is shown only once, so losing it would cost the key.
        """
        body: dict[str, Any] = {"name": name, "scopes": list(scopes)}
        if expires_at is not None:
            body["expires_at"] = format_rfc3339(expires_at)
        response = await self._client.request(
            "POST", "/api-keys", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        data = _json_object(response)
        secret = data.get("key")
        if not isinstance(secret, str) or not secret:
            raise ApiError("The server created the key but did not return its secret.")
        register_secret(secret)
        return CreatedApiKey(key=ApiKey.from_json(data), secret=secret)

    async def usage(self, key_id: str, days: int = DEFAULT_USAGE_DAYS) -> KeyUsage:
        """The key's use over the last ``days`` UTC days (1-90), from
        ``GET /v1/api-keys/{id}/usage``; bounded like every call (``ApiClient``).

        Raises :class:`NotFound` for a key that is not yours (or not there), and
        :class:`ApiError` naming the field when the server's report is damaged.
        """
        if not 1 <= days <= MAX_USAGE_DAYS:
            raise ValueError(f"days must be from 1 to {MAX_USAGE_DAYS}")
        response = await self._client.request(
            "GET", f"/api-keys/{_path_segment(key_id)}/usage", params={"days": days}
        )
        try:
            return KeyUsage.from_json(_json_object(response), key_id=key_id)
        except UsageFormatError as exc:
            raise ApiError(
                f"The server's usage report for key {clean_server_text(key_id, 40)} could not "
                f"be read ({clean_server_text(str(exc), 200)})."
            ) from None

    async def revoke(self, key_id: str) -> None:
        """Revoke a key; a key that is already gone counts as done."""
        try:
            await self._client.request("DELETE", f"/api-keys/{_path_segment(key_id)}")
        except NotFound:
            return

    async def me(self) -> Me:
        response = await self._client.request("GET", "/me")
        return Me.from_json(_json_object(response))

    async def test_key(self, secret: str) -> Me:
        """Call ``GET /v1/me`` with the key itself: proves it works and shows what it may do."""
        response = await self._client.request("GET", "/me", bearer=secret)
        return Me.from_json(_json_object(response))


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object; a typed error for anything else (an HTML page from a
    proxy or captive portal, an empty body, a list), never a bare ValueError."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ApiError(
            "The server's answer was not in the expected form.", status=response.status_code
        )
    return data


def _path_segment(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
