"""A key list with a damaged entry, over real HTTP, through the app's real API stack.

The sandbox no longer stores such entries (and may not), so a loopback server plays
a server that does: the list's first page carries the incident's entry (a key whose
expiry, ``9999-12-31T23:59:59-23:59``, is the year 10000 in UTC) and entries that are
not even objects; the second page is normal. ``build_http_client``, ``ApiClient``
(capped, deadline-bound reads) and ``ApiKeysService`` run as in the app.
"""

from __future__ import annotations

import asyncio
import json

from tests.helpers.hostile_server import Document, hostile_server
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.http import build_http_client
from twinedge_desktop.api.keys import ApiKeysService


def _key(n: int, **extra: object) -> dict[str, object]:
    return {
        "id": f"key_{n}",
        "name": f"Key {n}",
        "prefix": f"te_abcdefg{n}",
        "scopes": ["read:assets"],
        "created_at": "2030-01-01T00:00:00Z",
        "expires_at": None,
        "last_used_at": None,
        "revoked_at": None,
        "created_by": "engineer@example.com",
        **extra,
    }


class _Tokens:
    async def access_token(self) -> str:
        return "user-token-integration"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token-integration"


async def test_the_list_survives_a_damaged_entry_and_keeps_paging() -> None:
    # The loopback server routes by path only: the second page is put in place once the
    # first has been read (the client asks for it with the first page's cursor).
    first = {
        "data": [
            _key(1),
            _key(2, expires_at="9999-12-31T23:59:59-23:59", revoked_at="2030-02-01T00:00:00Z"),
            None,
            _key(4),
        ],
        "next_cursor": "page-2",
    }
    second = {"data": [_key(5)], "next_cursor": None}
    with hostile_server({}) as server:
        server.routes["/v1/api-keys"] = Document(json.dumps(first).encode())
        http = build_http_client(trust_env=False)
        try:
            service = ApiKeysService(ApiClient(http, server.url("/v1"), _Tokens()))
            pages = service.list_pages()
            page_one = await asyncio.wait_for(anext(pages), 20)
            server.routes["/v1/api-keys"] = Document(json.dumps(second).encode())
            page_two = await asyncio.wait_for(anext(pages), 20)
            await pages.aclose()
        finally:
            await http.aclose()

    assert [k.id for k in page_one] == ["key_1", "key_2", "", "key_4"]
    assert [k.id for k in page_two] == ["key_5"]
    damaged = page_one[1]
    assert damaged.problem is not None and "9999-12-31T23:59:59-23:59" in damaged.problem
    assert damaged.name == "Key 2" and damaged.revoked_at is not None
    assert page_one[2].problem == "the entry is null, not an object"
    assert all(k.problem is None for k in (page_one[0], page_one[3], page_two[0]))
