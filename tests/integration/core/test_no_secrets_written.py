"""After a full flow with DEBUG logging, no file the app wrote contains any secret used."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.recording import record_code_verifiers
from tests.integration.core.helpers import FormBrowser
from twinedge_desktop.api.keys import new_idempotency_key
from twinedge_desktop.auth.session import Session
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.logging_setup import configure_logging
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore


def read_every_file(root: Path) -> dict[Path, str]:
    return {
        path: path.read_bytes().decode("utf-8", "replace")
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.fixture
def app_logging(isolated_app_home: Path) -> Iterator[AppPaths]:
    """The app's own logging setup (file + stderr, redacting filters) at DEBUG, undone after."""
    root = logging.getLogger()
    before_handlers, before_level = list(root.handlers), root.level
    chatty = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    paths = AppPaths.default()
    configure_logging(paths, debug=True)
    yield paths
    for handler in [h for h in root.handlers if h not in before_handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(before_level)
    for name, level in chatty.items():
        logging.getLogger(name).setLevel(level)


async def test_full_flow_leaves_no_secret_in_any_written_file(
    sandbox: Any,
    sandbox_controls: Any,
    app_logging: AppPaths,
    isolated_app_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifiers = record_code_verifiers(monkeypatch)
    secrets: list[str] = ["twinedge-demo", sandbox.service_client_secret]

    keychain = MemoryStore()
    store = ProfileStore.load(app_logging.profiles_file)
    services = await CoreServices.create(app_logging, store, credential_store=keychain)
    try:
        profile = sandbox_profile(sandbox.base_url)
        store.put(profile, make_current=True)
        store.save()
        session = services.session_for(profile)

        def remember_refresh_token() -> None:
            raw = keychain.get(f"session/{profile.id}")
            if raw:
                secrets.append(json.loads(raw)["refresh_token"])

        browser = FormBrowser()
        await session.sign_in_with_browser(open_browser=browser, timeout=30)
        await browser.finished()
        secrets.extend(verifiers)
        secrets.extend(
            dict(httpx.URL(url).params)[name]
            for url in browser.callback_urls
            for name in ("code", "state")
        )
        remember_refresh_token()
        secrets.append(await session.access_token())
        # A 401 and a refresh, a key created through a lost response, an error with a body.
        sandbox_controls.shift_clock(7200)
        keys = services.api_keys_for(session)
        await keys.me()
        secrets.append(await session.access_token())
        remember_refresh_token()
        sandbox_controls.fault("/v1/api-keys", method="POST", count=1, drop="after")
        created = await keys.create(
            "grep-me", ["read:assets"], None, idempotency_key=new_idempotency_key()
        )
        secrets.append(created.secret)
        logging.getLogger("twinedge_desktop.test").debug("created %r", created)
        await keys.test_key(created.secret)
        service = Session(profile, services.http, MemoryStore())
        await service.sign_in_with_client_credentials(
            sandbox.service_client_id, sandbox.service_client_secret, ["read:assets"]
        )
        secrets.append(await service.access_token())
        await session.sign_out()
    finally:
        await services.aclose()
    for handler in logging.getLogger().handlers:
        handler.flush()

    written = read_every_file(isolated_app_home)
    assert app_logging.log_file in written and app_logging.profiles_file in written
    assert "HTTP Request" in written[app_logging.log_file]  # DEBUG/INFO lines were written
    leaks = [
        (str(path), secret[:6])
        for path, text in written.items()
        for secret in secrets
        if secret and secret in text
    ]
    assert leaks == []
    assert len(secrets) >= 10
