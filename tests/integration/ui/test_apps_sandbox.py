"""The OAuth Applications page against the real sandbox over loopback HTTP, signed in through
the real browser flow, with Try it's browser step run by real headless Chromium.

The issue's promise, end to end: register a web app → its secret once → Try it from the
authorization URL through Chromium to the code, the tokens and a refresh → rotate the
secret (both secrets work during the grace) → delete → its client id gets invalid_client.
Then the faults: a lost Register answer yields one app and its secret; a viewer's 403
says which scope is missing.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from PySide6.QtGui import QGuiApplication

from tests.helpers.sandbox import SandboxControls
from tests.helpers.sandbox_signin import signed_in
from tests.helpers.waiting import settle, until
from tests.integration.ui.apps_support import (
    BROWSER_TIMEOUT,
    NETWORK_TIMEOUT,
    closed,
    free_port,
    make_apps_page,
    use_chromium,
    visible,
)
from twinedge_desktop.auth.playground import AppCredentials, Playground
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.ui.apps.dialogs import (
    REGISTER_RETRY_HINT,
    DeleteAppDialog,
    RegisterAppDialog,
    RotateSecretDialog,
)
from twinedge_desktop.ui.apps.model import Column
from twinedge_desktop.ui.apps.page import AppsPage, PageState
from twinedge_desktop.ui.apps.try_it import GONE_TEXT
from twinedge_desktop.ui.common.copy_once import CopyOnceDialog

pytestmark = [
    pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)"),
    pytest.mark.browser,
]


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    """As in test_keys_sandbox: collect Qt objects here, not on the sandbox's thread."""
    gc.collect()
    yield
    gc.collect()


async def register(
    page: AppsPage,
    qtbot: Any,
    name: str,
    kind: ApplicationType,
    uris: str,
    scopes: tuple[str, ...],
) -> RegisterAppDialog:
    dialog = page.register_app()
    assert dialog is not None
    dialog.form.type_buttons[kind].setChecked(True)
    qtbot.keyClicks(dialog.form.name_edit, name)
    dialog.form.uris_edit.setPlainText(uris)
    for scope in scopes:
        dialog.form.scopes.boxes[scope].setChecked(True)
    dialog.submit()
    return dialog


async def secret_shown(page: AppsPage, timeout: float = NETWORK_TIMEOUT) -> CopyOnceDialog:
    await until(lambda: bool(visible(page, CopyOnceDialog)), timeout)
    (dialog,) = visible(page, CopyOnceDialog)
    return dialog


async def me(http: httpx.AsyncClient, base_url: str, token: str) -> dict[str, Any]:
    response = await http.get(f"{base_url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_register_try_it_rotate_and_delete_a_web_app(
    sandbox: Any, qtbot: Any, messages: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_chromium(monkeypatch, tmp_path / "browser.log")
    QGuiApplication.clipboard().clear()
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    async with signed_in(sandbox.base_url) as signed:
        page = make_apps_page(qtbot, messages, signed)
        await settle(page.load_task)
        assert page.state is PageState.EMPTY

        # -- Register a web app; its secret is shown once. ------------------------------------
        dialog = await register(
            page,
            qtbot,
            "Plant dashboard (dev)",
            ApplicationType.WEB,
            redirect,
            ("read:assets", "read:alerts"),
        )
        copy_once = await secret_shown(page)
        secret = copy_once.panel.secret
        assert secret is not None and len(secret) >= 32
        assert closed(dialog)()
        copy_once.panel.copy_button.click()
        assert QGuiApplication.clipboard().text() == secret
        copy_once.panel.ack_box.setChecked(True)
        copy_once.accept()
        await until(closed(copy_once))
        app = page.selected_app()
        assert app is not None and app.name == "Plant dashboard (dev)"
        assert app.secret_hint == secret[-4:]
        (listed,) = await signed.core.oauth_apps_for(signed.session).list_all()
        assert listed.id == app.id and listed.redirect_uris == (redirect,)

        # -- Try it: the authorization URL, then real Chromium signs in and allows. ----------
        try_it = page.try_app(app)
        assert try_it is not None
        await settle(try_it.last_task)
        assert not try_it.gone
        try_it.secret_edit.setFocus()
        try_it.secret_edit.paste()  # the secret is still on the clipboard (30 s)
        assert try_it.secret_edit.text() == secret
        try_it.build_request()
        await until(lambda: try_it.listening, NETWORK_TIMEOUT)
        request = try_it.authorization_request
        assert request is not None and request.redirect_uri == redirect
        names = [
            try_it.params_table.item(r, 0).text() for r in range(try_it.params_table.rowCount())
        ]
        assert {"state", "code_challenge", "redirect_uri", "scope"} <= set(names)
        try_it.open_button.click()  # the system browser: $BROWSER, that is Chromium
        await until(lambda: try_it.exchange_button.isEnabled(), BROWSER_TIMEOUT)
        assert "brought the code back here" in try_it.callback_ok.text()
        try_it.exchange_button.click()
        await until(lambda: bool(try_it.exchanges), NETWORK_TIMEOUT)
        exchange = try_it.exchanges[0]
        tokens = exchange.raise_for_error()
        assert tokens.scope == "read:assets read:alerts" and tokens.refresh_token
        assert secret not in try_it.exchange_view.toPlainText()
        assert tokens.access_token not in try_it.exchange_view.toPlainText()
        claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
        assert claims["client_id"] == app.client_id
        who = await me(signed.core.http, sandbox.base_url, tokens.access_token)
        assert (who["kind"], who["email"]) == ("user", "engineer@example.com")
        inspected: list[str] = []
        page.inspect_token_requested.connect(inspected.append)
        try_it.inspect_button.click()
        assert inspected == [tokens.access_token]

        async def refresh_ok() -> None:
            before = len(try_it.exchanges)
            try_it.refresh_button.click()
            await until(lambda: len(try_it.exchanges) == before + 1, NETWORK_TIMEOUT)
            last = try_it.exchanges[-1]
            assert last.ok, last.as_text()

        await refresh_ok()

        # -- Rotate the secret: during the grace both the old and the new one work. ----------
        rotate = page.rotate_secret(app)
        assert isinstance(rotate, RotateSecretDialog)
        rotate.rotate_button.click()
        rotated_dialog = await secret_shown(page)
        new_secret = rotated_dialog.panel.secret
        assert new_secret is not None and new_secret != secret
        assert "previous secret keeps working until" in rotated_dialog.panel.snippet_note.text()
        rotated_dialog.panel.ack_box.setChecked(True)
        rotated_dialog.accept()
        row = page.model.row_of(app.id)
        assert row is not None
        assert "old one ends in 1 day" in page.model.index(row, Column.SECRET).data()
        await refresh_ok()  # the old secret, still in the field
        try_it.secret_edit.setText(new_secret)
        await refresh_ok()  # the new one

        # -- Delete: the client id stops working at once. -----------------------------------
        delete = page.delete_app(app)
        assert isinstance(delete, DeleteAppDialog)
        qtbot.keyClicks(delete.name_confirm, app.name)
        delete.delete_button.click()
        await until(lambda: try_it.gone, NETWORK_TIMEOUT)
        assert page.model.rowCount() == 0 and page.state is PageState.EMPTY
        before = len(try_it.exchanges)
        try_it.refresh_button.click()
        await until(lambda: len(try_it.exchanges) == before + 1, NETWORK_TIMEOUT)
        refused = try_it.exchanges[-1]
        assert refused.response is not None and refused.response.status == 401
        assert getattr(refused.error, "error", None) == "invalid_client"
        await until(lambda: try_it.token_error.text() == GONE_TEXT, NETWORK_TIMEOUT)
        # Straight at the token endpoint, with either secret: invalid_client.
        playground = Playground(signed.core.http, await signed.session.metadata())
        for either in (secret, new_secret):
            check = await playground.client_credentials(AppCredentials(app.client_id, either))
            assert check.response is not None and check.response.status == 401
            assert getattr(check.error, "error", None) == "invalid_client"
        # A new Try it for the deleted app says so as it opens.
        try_it.close()
        again = page.try_app(app)
        assert again is not None
        await settle(again.last_task)
        assert again.gone and again.gone_banner.text() == GONE_TEXT
        again.close()
        await until(lambda: page._runner.pending == 0, NETWORK_TIMEOUT)


async def test_a_lost_register_answer_yields_one_app_and_its_secret(
    sandbox: Any, sandbox_controls: SandboxControls, qtbot: Any, messages: Any
) -> None:
    async with signed_in(sandbox.base_url) as signed:
        page = make_apps_page(qtbot, messages, signed)
        await settle(page.load_task)
        # The server registers it, then the connection drops before the answer arrives; the
        # client retries with the same Idempotency-Key and gets the stored answer.
        sandbox_controls.fault("/v1/oauth-apps", method="POST", drop="after", count=1)
        await register(
            page, qtbot, "Nightly export", ApplicationType.SERVICE, "", ("read:telemetry",)
        )
        shown = await secret_shown(page)
        secret = shown.panel.secret
        assert secret is not None
        apps = await signed.core.oauth_apps_for(signed.session).list_all()
        assert [a.name for a in apps] == ["Nightly export"]
        assert page.model.rowCount() == 1
        # The secret shown is the one app's own: client credentials work with it.
        playground = Playground(signed.core.http, await signed.session.metadata())
        exchange = await playground.client_credentials(AppCredentials(apps[0].client_id, secret))
        assert exchange.ok, exchange.as_text()
        shown.panel.ack_box.setChecked(True)
        shown.accept()


async def test_every_retry_lost_then_register_again_still_one_app(
    sandbox: Any, sandbox_controls: SandboxControls, qtbot: Any, messages: Any
) -> None:
    async with signed_in(sandbox.base_url) as signed:
        page = make_apps_page(qtbot, messages, signed)
        await settle(page.load_task)
        sandbox_controls.fault("/v1/oauth-apps", method="POST", drop="after", count=10)
        dialog = await register(
            page, qtbot, "Edge gateway", ApplicationType.SERVICE, "", ("read:assets",)
        )
        await until(lambda: bool(dialog.error.text()), 60)
        assert REGISTER_RETRY_HINT in dialog.error.text()
        assert dialog.form.name_edit.text() == "Edge gateway"
        sandbox_controls.clear_faults()
        dialog.submit()
        shown = await secret_shown(page)
        apps = await signed.core.oauth_apps_for(signed.session).list_all()
        assert [a.name for a in apps] == ["Edge gateway"]
        assert shown.panel.secret is not None and apps[0].secret_hint == shown.panel.secret[-4:]
        shown.panel.ack_box.setChecked(True)
        shown.accept()


async def test_a_viewers_403_says_which_scope_is_missing(
    sandbox: Any, qtbot: Any, messages: Any
) -> None:
    async with signed_in(sandbox.base_url, "viewer@example.com") as signed:
        page = make_apps_page(qtbot, messages, signed)
        await settle(page.load_task)
        dialog = page.register_app()
        assert dialog is not None
        # What the viewer may not grant is not offered…
        assert not dialog.form.scopes.boxes["write:assets"].isEnabled()
        dialog.reject()
        # …and when the page still believes they may (their role changed since it loaded),
        # the server's 403 names the missing scope, under the scopes.
        believed = dataclasses.replace(signed.info, scopes=("read:assets", "write:assets"))
        page.set_service(page.service, believed)
        stale = await register(
            page, qtbot, "Writer", ApplicationType.SERVICE, "", ("read:assets", "write:assets")
        )
        await until(lambda: bool(stale.form.scopes_error.text()), NETWORK_TIMEOUT)
        assert stale.form.scopes_error.text() == (
            "Your account lacks write:assets, so the application cannot have it."
        )
        assert "It needs: write:assets" in stale.error.text()
        assert await signed.core.oauth_apps_for(signed.session).list_all() == []
