"""What other people wrote reaches the terminal only through ``cli.common.terminal_safe``.

Key and application names come from a server, file names from whoever made the files;
an ESC sequence among them could repaint the screen or retitle the window, a bidi
override (U+202E) reorder what follows, a C1 CSI (U+009B) start a sequence on
terminals that honour 8-bit controls, a CR overwrite a line. ``keys list``, ``apps
list`` and ``scan`` run in-process here against a hostile API (an httpx mock) and a
hostile file name; no such character may reach their output unescaped.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.gitrepo import make_key
from tests.helpers.keychain import no_session_bus_fixture  # noqa: F401 - registers the fixture
from twinedge_desktop.auth.credentials import AccessToken, UserCredential, encode_entry
from twinedge_desktop.cli import main
from twinedge_desktop.cli.common import terminal_safe
from twinedge_desktop.config import CLOUD_PROFILE
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore

ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJl"
HOSTILE = (
    "Deploy\x1b[2J\x1b]0;owned\x07"  # clear screen, set the window title
    "\u202egnp.exe\u2066x\u2069"  # bidi override and isolates
    "\x9b31m\x85"  # C1: CSI, NEL
    "\u2028\rEND"  # line separator, carriage return
)


def visible_output_is_safe(text: str) -> bool:
    """No control, format or separator character except the line feeds between lines."""
    return not any(
        unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") and ch != "\n" for ch in text
    )


def test_terminal_safe_escapes_what_could_drive_a_terminal() -> None:
    shown = terminal_safe(HOSTILE)
    assert visible_output_is_safe(shown)
    assert shown == (
        "Deploy\\x1b[2J\\x1b]0;owned\\x07\\u202egnp.exe\\u2066x\\u2069\\x9b31m\\x85\\u2028\\rEND"
    )
    assert terminal_safe("evil\nname") == "evil\\nname"  # a file name cannot forge a line
    assert terminal_safe("bytes \udcff\udc85") == "bytes \\xff\\x85"  # undecodable bytes
    assert terminal_safe("private \ue000 unassigned \U000e0080") == (
        "private \\ue000 unassigned \\U000e0080"
    )
    for ordinary in ("Ünïcødé 数字 🚀", "tab-free plain text", "", "a b\u00a0c"):
        assert terminal_safe(ordinary) == ordinary


@pytest.fixture
def hostile_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The cloud profile signed in (a fresh stored token) to an API that sends hostile text."""
    now = datetime.now(UTC).replace(microsecond=0)
    created = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/me"):
            return httpx.Response(200, json={"sub": "user-1", "email": "e@example.com"})
        if path.endswith("/api-keys"):
            key = {
                "id": "key\x1b[31m-1", "name": HOSTILE, "prefix": "te_ab\x1b[2Jcdefg",
                "scopes": ["read:assets\x1b[0m"], "created_at": created, "expires_at": None,
                "last_used_at": None, "revoked_at": None, "created_by": "x\u202ey",
            }  # fmt: skip
            return httpx.Response(200, json={"data": [key], "next_cursor": None})
        if path.endswith("/oauth-apps"):
            app = {
                "id": "app\x1b]0;t\x07", "client_id": "c\u202e1", "name": HOSTILE,
                "application_type": "web", "redirect_uris": ["https://e.com/cb"],
                "scopes": ["read:assets"], "created_at": created, "created_by": "x",
                "secret_hint": "\x1b[5m", "previous_secret_expires_at": None,
            }  # fmt: skip
            return httpx.Response(200, json={"data": [app], "next_cursor": None})
        return httpx.Response(404, json={"error": "not_found"})

    store = MemoryStore()
    credential = UserCredential(CLOUD_PROFILE.client_id, "refresh-secret")
    access = AccessToken(ACCESS, now + timedelta(minutes=30), ("read:assets",))
    store.set(f"session/{CLOUD_PROFILE.id}", encode_entry(CLOUD_PROFILE.issuer, credential, access))
    original = CoreServices.create

    async def create(paths: Any, profiles: Any, **_: Any) -> CoreServices:
        transport = httpx.MockTransport(answer)
        return await original(
            paths, profiles, credential_store=store, http=httpx.AsyncClient(transport=transport)
        )

    monkeypatch.setattr(CoreServices, "create", create)
    yield


@pytest.mark.parametrize("command", [["keys", "list"], ["apps", "list"]], ids=" ".join)
def test_server_text_in_lists_is_escaped(
    hostile_api: None, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == 0
    out, err = capsys.readouterr()
    assert visible_output_is_safe(out + err), repr(out + err)
    assert "Deploy\\x1b[2J" in out  # escaped, still recognisable


def test_keys_list_json_keeps_the_servers_text_exactly(
    hostile_api: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON is for programs: the name is given as the server sent it (JSON escapes it)."""
    assert main(["keys", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data"][0]["name"] == HOSTILE


def test_a_hostile_file_name_is_escaped_in_scan_output(
    tmp_path: Path, no_session_bus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    name = "conf\x1b]0;owned\x07\u202etxt.env\x9b2J"
    (tmp_path / name).write_text(f"KEY={make_key('hostile file name')}\n")
    assert main(["scan", str(tmp_path)]) == 1  # not signed in: any valid key fails the scan
    out, err = capsys.readouterr()
    assert visible_output_is_safe(out + err), repr(out + err)
    assert "conf\\x1b]0;owned\\x07\\u202etxt.env\\x9b2J" in out
