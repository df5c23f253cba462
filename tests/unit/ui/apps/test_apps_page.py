"""The OAuth Applications page: its states, loading, actions, and what it does with the
dialogs' results (the list, the secret shown once, Try it windows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt

from tests.helpers.apps import FakeAppsService, TokenEndpoint, fixed_clock, make_app
from tests.helpers.keys import ENGINEER_SCOPES, session_info
from tests.helpers.session_fakes import FakeSession, user_info
from tests.helpers.waiting import settle, until
from twinedge_desktop.api.errors import InsufficientScope, NetworkError
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import Preferences, sandbox_profile
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.ui.apps import page as page_module
from twinedge_desktop.ui.apps.dialogs import (
    DeleteAppDialog,
    EditAppDialog,
    RegisterAppDialog,
    RotateSecretDialog,
)
from twinedge_desktop.ui.apps.page import (
    NOT_A_PERSON_TEXT,
    SIGNED_OUT_TEXT,
    AppsPage,
    PageState,
)
from twinedge_desktop.ui.apps.secret import ShownSecret
from twinedge_desktop.ui.common.page import SessionBinding
from twinedge_desktop.ui.common.tasks import TaskRunner

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")


@dataclass
class SecretsShown:
    """What the page asked the copy-once seam to show (the seam is tested on its own)."""

    shown: list[ShownSecret]
    issuers: list[str | None]


@pytest.fixture
def secrets_shown(monkeypatch: pytest.MonkeyPatch) -> SecretsShown:
    record = SecretsShown([], [])

    def show(shown: ShownSecret, clipboard: Any, clear: int, parent: Any, **options: Any) -> None:
        record.shown.append(shown)
        record.issuers.append(options.get("issuer"))

    monkeypatch.setattr(page_module, "show_client_secret", show)
    return record


def make_page(qtbot: Any, messages: Any, opened: list[str] | None = None) -> AppsPage:
    urls = opened if opened is not None else []
    page = AppsPage(
        TaskRunner(messages),
        messages,
        Preferences(),
        open_browser=lambda url: urls.append(url) is None,
        clock=fixed_clock,
    )
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    return page


def playground_factory(endpoint: TokenEndpoint) -> Any:
    playground, _http = endpoint.playground()

    async def make() -> Any:
        return playground

    return make


async def loaded(page: AppsPage, service: FakeAppsService, **options: Any) -> None:
    page.set_service(service, session_info(ENGINEER_SCOPES), **options)  # type: ignore[arg-type]
    assert page.load_task is not None
    await settle(page.load_task)


def visible(page: AppsPage, kind: type) -> list[Any]:
    return [d for d in page.findChildren(kind) if d.isVisible()]


def closed(dialog: Any) -> Any:
    """A condition: the dialog is closed (dialogs delete themselves when they close)."""
    return lambda: not shiboken6.isValid(dialog) or not dialog.isVisible()


# -- states ------------------------------------------------------------------------------


async def test_signed_out_then_an_api_key_then_a_person(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    assert page.state is PageState.SIGNED_OUT
    assert page.signed_out_label.text() == SIGNED_OUT_TEXT
    assert not page.toolbar_widget.isVisible()
    # Signed in with an API key: the API refuses to manage apps with it, so say so, ask nothing.
    service = FakeAppsService()
    calls: list[str] = []

    def service_for(session: Any) -> FakeAppsService:
        calls.append(session.profile.id)
        return service

    page._service_for = service_for  # as ui/apps/__init__.py builds it
    session = FakeSession(sandbox_profile("http://127.0.0.1:8765"))
    key_info = user_info(kind=CredentialKind.API_KEY)
    page.bind(SessionBinding(session.profile, session, key_info))  # type: ignore[arg-type]
    assert page.state is PageState.SIGNED_OUT and calls == []
    assert page.signed_out_label.text() == NOT_A_PERSON_TEXT
    # A person: the list loads.
    service.apps.append(make_app("Plant dashboard"))
    page.bind(SessionBinding(session.profile, session, user_info()))  # type: ignore[arg-type]
    assert calls == ["sandbox"]
    await settle(page.load_task)
    assert page.state is PageState.LIST and page.model.rowCount() == 1
    assert page.count_label.text() == "1 application"
    # Signing out empties the list.
    page.bind(SessionBinding(session.profile, session, None))  # type: ignore[arg-type]
    assert page.state is PageState.SIGNED_OUT and page.model.rowCount() == 0
    assert page.signed_out_label.text() == SIGNED_OUT_TEXT


async def test_empty_and_error_states(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    service = FakeAppsService()
    await loaded(page, service)
    assert page.state is PageState.EMPTY
    service.fail["list"] = InsufficientScope(
        "You do not have permission for this: your token or key lacks the required scope. "
        "(OAuth applications can be managed only with a signed-in user's access token)",
        status=403,
    )
    page.refresh()
    await settle(page.load_task)
    assert page.state is PageState.ERROR
    assert "signed-in user's access token" in page.error_text.text()
    service.apps.append(make_app("Back"))
    page.retry_button.click()
    await settle(page.load_task)
    assert page.state is PageState.LIST
    # A failed refresh keeps the list and says so above it.
    service.fail["list"] = NetworkError()
    page.refresh()
    await settle(page.load_task)
    assert page.state is PageState.LIST and page.model.rowCount() == 1
    assert page.banner.text().startswith("Refreshing failed: The TwinEdge server could not")
    assert page.banner_retry.isVisibleTo(page)


async def test_busy_while_loading(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    service = FakeAppsService(apps=[make_app()])
    gate = service.list_gate = __import__("asyncio").Event()
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await settle()
    assert page.loading and page.progress.isVisible() and not page.refresh_button.isEnabled()
    gate.set()
    await settle(page.load_task)
    assert not page.loading and not page.progress.isVisible()


# -- actions -----------------------------------------------------------------------------


async def test_actions_follow_the_selection_and_the_type(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    web = make_app("Web one", created_days_ago=1)
    spa = make_app("SPA one", ApplicationType.SPA, created_days_ago=2)
    await loaded(page, FakeAppsService(apps=[web, spa]))
    page.table.clearSelection()
    assert page.register_button.isEnabled()
    assert not page.try_button.isEnabled() and not page.delete_button.isEnabled()
    assert page.select_app(web.id)
    assert page.try_button.isEnabled() and page.edit_button.isEnabled()
    assert page.rotate_button.isEnabled() and page.delete_button.isEnabled()
    page.select_app(spa.id)
    assert not page.rotate_button.isEnabled() and not page.rotate_action.isEnabled()
    assert "public client has no secret" in page.rotate_button.toolTip()


async def test_filter_by_text_and_type_with_a_no_match_message(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    await loaded(
        page,
        FakeAppsService(
            apps=[make_app("Plant dashboard"), make_app("Nightly", ApplicationType.SERVICE)]
        ),
    )
    qtbot.keyClicks(page.filter_edit, "plant")
    assert page.proxy.rowCount() == 1 and page.count_label.text() == "1 of 2 shown"
    page.type_combo.setCurrentIndex(page.type_combo.findData("service"))
    assert page.proxy.rowCount() == 0
    assert page.no_match.isVisibleTo(page)
    assert page.no_match.text() == "No application matches “plant” among Service applications."
    page.filter_edit.clear()
    assert page.proxy.rowCount() == 1 and not page.no_match.isVisibleTo(page)


async def test_register_adds_the_app_selects_it_and_shows_the_secret_once(
    qtbot: Any, messages: Any, secrets_shown: SecretsShown
) -> None:
    page = make_page(qtbot, messages)
    service = FakeAppsService()
    await loaded(page, service)
    page._binding = SessionBinding(sandbox_profile("http://127.0.0.1:8765"), None, None)
    dialog = page.register_app()
    assert isinstance(dialog, RegisterAppDialog)
    qtbot.keyClicks(dialog.form.name_edit, "Plant dashboard")
    dialog.form.uris_edit.setPlainText("https://app.example.com/callback")
    dialog.form.scopes.boxes["read:assets"].setChecked(True)
    dialog.submit()
    await until(closed(dialog))
    assert page.state is PageState.LIST
    app = page.selected_app()
    assert app is not None and app.name == "Plant dashboard"
    (shown,) = secrets_shown.shown
    assert shown.app == app and shown.secret == service.secrets[app.id] and not shown.rotated
    assert secrets_shown.issuers == ["http://127.0.0.1:8765"]


async def test_a_public_app_has_no_secret_to_show(
    qtbot: Any, messages: Any, secrets_shown: SecretsShown
) -> None:
    page = make_page(qtbot, messages)
    await loaded(page, FakeAppsService())
    dialog = page.register_app()
    assert dialog is not None
    dialog.form.type_buttons[ApplicationType.SPA].setChecked(True)
    qtbot.keyClicks(dialog.form.name_edit, "Portal")
    dialog.form.uris_edit.setPlainText("https://portal.example.com/cb")
    dialog.form.scopes.boxes["read:assets"].setChecked(True)
    dialog.submit()
    await until(closed(dialog))
    assert secrets_shown.shown == []
    assert "A public client has no secret" in messages.records[-1][1]


async def test_edit_rotate_and_delete_update_the_list(
    qtbot: Any, messages: Any, secrets_shown: SecretsShown
) -> None:
    page = make_page(qtbot, messages)
    app = make_app("Plant dashboard")
    service = FakeAppsService(apps=[app])
    await loaded(page, service)
    page.select_app(app.id)

    page.edit_action.trigger()
    edit = visible(page, EditAppDialog)[0]
    edit.form.name_edit.setText("Plant dashboard 2")
    edit.submit()
    await until(closed(edit))
    assert page.model.app_by_id(app.id).name == "Plant dashboard 2"  # type: ignore[union-attr]

    page.rotate_action.trigger()
    rotate = visible(page, RotateSecretDialog)[0]
    rotate.rotate_button.click()
    await until(closed(rotate))
    (shown,) = secrets_shown.shown
    assert shown.rotated and shown.secret == service.secrets[app.id]
    assert page.model.app_by_id(app.id).previous_secret_expires_at is not None  # type: ignore[union-attr]

    page.delete_action.trigger()
    delete = visible(page, DeleteAppDialog)[0]
    qtbot.keyClicks(delete.name_confirm, "Plant dashboard 2")
    delete.delete_button.click()
    await until(closed(delete))
    assert page.model.rowCount() == 0 and page.state is PageState.EMPTY
    assert messages.records[-1] == (
        "info",
        "Deleted “Plant dashboard 2”: its client ID no longer works and its sign-ins have ended.",
    )


async def test_enter_on_a_row_edits_it(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    app = make_app()
    await loaded(page, FakeAppsService(apps=[app]))
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    dialogs = visible(page, EditAppDialog)
    assert len(dialogs) == 1 and dialogs[0].app == app


async def test_try_it_opens_once_per_app_and_hears_of_its_deletion(
    qtbot: Any, messages: Any, secrets_shown: SecretsShown
) -> None:
    page = make_page(qtbot, messages)
    app = make_app("Plant dashboard")
    service = FakeAppsService(apps=[app])
    await loaded(page, service, playground=playground_factory(TokenEndpoint(app.client_id)))
    page.select_app(app.id)
    page.try_action.trigger()
    first = page.try_it_dialog(app.id)
    assert first is not None and first.isVisible() and not first.isModal()
    page.try_selected()
    assert page.try_it_dialog(app.id) is first  # brought forward, not a second one
    tokens: list[str] = []
    page.inspect_token_requested.connect(tokens.append)
    first.inspect_token_requested.emit("a.b.c")
    assert tokens == ["a.b.c"]
    page.delete_app(app)
    delete = visible(page, DeleteAppDialog)[0]
    qtbot.keyClicks(delete.name_confirm, app.name)
    delete.delete_button.click()
    await until(lambda: first.gone)
    assert "no longer exists" in first.gone_banner.text()
    first.close()
    await settle()
    assert page.try_it_dialog(app.id) is None


async def test_another_person_closes_the_try_it_windows(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    app = make_app()
    await loaded(
        page,
        FakeAppsService(apps=[app]),
        playground=playground_factory(TokenEndpoint(app.client_id)),
    )
    dialog = page.try_app(app)
    assert dialog is not None and dialog.isVisible()
    dialog.secret_edit.setText("typed-secret")
    page.set_service(None, None)
    assert not dialog.isVisible()
    assert page.try_it_dialog(app.id) is None


async def test_the_documented_shortcuts_reach_the_page(qtbot: Any, messages: Any) -> None:
    page = make_page(qtbot, messages)
    app = make_app("Plant dashboard")
    await loaded(
        page,
        FakeAppsService(apps=[app]),
        playground=playground_factory(TokenEndpoint(app.client_id)),
    )
    page.select_app(app.id)
    page.table.setFocus()
    shortcuts = {
        action.shortcut().toString(): action.text()
        for action in page.actions()
        if not action.shortcut().isEmpty()
    }
    assert shortcuts == {
        "Ctrl+N": "Register application",
        "Ctrl+T": "Try it",
        "Ctrl+E": "Edit",
        "Ctrl+R": "Rotate secret",
        "Del": "Delete",
        "Ctrl+F": "Filter",
        "F5": "Refresh",
    }
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.filter_edit.hasFocus() or page.focusWidget() is page.filter_edit
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    dialog = page.try_it_dialog(app.id)
    assert dialog is not None and dialog.isVisible()
    dialog.close()
    await settle()


def test_the_readme_lists_the_pages_shortcuts() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[4] / "README.md").read_text(encoding="utf-8")
    keyboard = readme.split("## Keyboard", 1)[1].split("\n## ", 1)[0]
    assert "Ctrl+5" in keyboard and "OAuth Applications" in keyboard
    row = next(line for line in keyboard.splitlines() if "Ctrl+T" in line)
    for key in ("Ctrl+N", "Ctrl+T", "Ctrl+E", "Ctrl+R", "Delete"):
        assert key in row


async def test_delete_in_the_filter_edits_its_text_and_deletes_once_it_is_empty(
    qtbot: Any, messages: Any
) -> None:
    # Review defect: Delete did nothing while the focus was in the filter.
    page = make_page(qtbot, messages)
    page.activateWindow()
    app = make_app("Plant dashboard")
    await loaded(page, FakeAppsService(apps=[app]))
    page.select_app(app.id)
    page.filter_edit.setFocus()
    qtbot.keyClicks(page.filter_edit, "pl")
    page.filter_edit.setCursorPosition(0)
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Delete)
    assert page.filter_edit.text() == "l"
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_End)
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Delete)
    assert page.filter_edit.text() == "l"
    assert not visible(page, DeleteAppDialog)
    page.filter_edit.clear()
    page.select_app(app.id)
    assert page.filter_edit.hasFocus()
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Delete)
    (delete,) = visible(page, DeleteAppDialog)
    delete.reject()


async def test_after_registering_the_focus_is_on_the_new_row(
    qtbot: Any, messages: Any, secrets_shown: SecretsShown
) -> None:
    page = make_page(qtbot, messages)
    await loaded(page, FakeAppsService(apps=[make_app("Older")]))
    page.filter_edit.setFocus()
    dialog = page.register_app()
    assert dialog is not None
    dialog.form.type_buttons[ApplicationType.SPA].setChecked(True)
    qtbot.keyClicks(dialog.form.name_edit, "Portal")
    dialog.form.uris_edit.setPlainText("https://portal.example.com/cb")
    dialog.form.scopes.boxes["read:assets"].setChecked(True)
    dialog.submit()
    await until(closed(dialog))
    await settle()
    assert page.focusWidget() is page.table
    selected = page.selected_app()
    assert selected is not None and selected.name == "Portal"


async def test_a_keyboard_jump_to_the_page_lands_in_the_filter(qtbot: Any, messages: Any) -> None:
    """Ctrl+5 moves the keyboard into the page at its filter (as Ctrl+1 on API Keys), not
    onto the first toolbar button; signed out, where the filter is hidden, on the first
    thing that takes the focus (Sign in)."""
    from twinedge_desktop.ui.shell.frame import PageKeyboard

    page = make_page(qtbot, messages)
    PageKeyboard.focus_into(page)
    assert page.focusWidget() is page.sign_in_button
    await loaded(page, FakeAppsService(apps=[make_app()]))
    # Pressed from elsewhere (the navigation list, another page): nothing here has it.
    page.focusWidget().clearFocus()
    PageKeyboard.focus_into(page)
    assert page.focusWidget() is page.filter_edit
