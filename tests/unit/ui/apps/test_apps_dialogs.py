"""The OAuth application dialogs driven like a person would: register (validation as you type,
the server's errors on their fields, a lost response), edit, rotate the secret, delete."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QWidget

from tests.helpers.apps import FakeAppsService, fixed_clock, make_app
from tests.helpers.keys import ENGINEER_SCOPES, VIEWER_SCOPES
from tests.helpers.waiting import settle, until, wait_signal
from twinedge_desktop.api.apps import InvalidRedirectUris, RedirectUriCheck, check_redirect_uris
from twinedge_desktop.api.errors import (
    InsufficientScope,
    NetworkError,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.ui.apps.dialogs import (
    REGISTER_RETRY_HINT,
    DeleteAppDialog,
    EditAppDialog,
    RegisterAppDialog,
    RotateSecretDialog,
)
from twinedge_desktop.ui.apps.form import NARROWING_NOTE
from twinedge_desktop.ui.common.tasks import TaskRunner

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def runner(messages: Any) -> TaskRunner:
    return TaskRunner(messages)


@pytest.fixture
def service() -> FakeAppsService:
    return FakeAppsService()


@pytest.fixture
def host(qtbot: Any) -> QWidget:
    """A window for the dialogs to belong to, as the page is: when a dialog closes, the
    application still has a window (else Qt ends the event loop the test runs on)."""
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    return window


def register_dialog(
    qtbot: Any,
    service: FakeAppsService,
    runner: TaskRunner,
    scopes: tuple[str, ...] | None = ENGINEER_SCOPES,
    parent: QWidget | None = None,
) -> RegisterAppDialog:
    dialog = RegisterAppDialog(service, runner, scopes, parent)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def fill(
    qtbot: Any,
    dialog: RegisterAppDialog,
    name: str = "Plant dashboard",
    uris: str = "https://app.example.com/callback",
    scopes: tuple[str, ...] = ("read:assets",),
    kind: ApplicationType = ApplicationType.WEB,
) -> None:
    dialog.form.type_buttons[kind].setChecked(True)
    qtbot.keyClicks(dialog.form.name_edit, name)
    if uris:
        dialog.form.uris_edit.setFocus()
        for number, line in enumerate(uris.split("\n")):
            if number:
                qtbot.keyClick(dialog.form.uris_edit, Qt.Key.Key_Return)
            qtbot.keyClicks(dialog.form.uris_edit, line)
    for scope in scopes:
        dialog.form.scopes.boxes[scope].setChecked(True)


# -- register: validation as you type -----------------------------------------------------


def test_the_name_is_checked_as_it_is_typed_but_not_before(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner
) -> None:
    dialog = register_dialog(qtbot, service, runner)
    form = dialog.form
    assert form.name_error.isHidden()  # nothing typed yet: no scolding
    qtbot.keyClicks(form.name_edit, "Plant")
    assert form.name_error.isHidden()
    assert form.name_count.text() == "5/100"
    form.name_edit.setText("Plant\u202eevil")  # a bidirectional override (Trojan Source)
    assert not form.name_error.isHidden()
    assert "bidirectional" in form.name_error.text()
    form.name_edit.setText("x" * 101)
    assert "longer than 100" in form.name_error.text()
    form.name_edit.setText("   ")
    assert "empty" in form.name_error.text()
    form.name_edit.setText("Plant dashboard")
    assert form.name_error.isHidden()


def test_redirect_uris_are_checked_line_by_line_with_the_servers_rules(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner
) -> None:
    dialog = register_dialog(qtbot, service, runner)
    form = dialog.form
    edit = form.uris_edit
    edit.setFocus()
    qtbot.keyClicks(edit, "https://app.example.com/callback")
    assert form.uris_error.isHidden() and edit.extraSelections() == []
    # A second line that the server refuses for a web app: named, explained and tinted.
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "http://app.example.com/cb")
    assert not form.uris_error.isHidden()
    text = form.uris_error.text()
    assert text.startswith("Line 2 (http://app.example.com/cb): http:// is allowed only on")
    assert [s.cursor.blockNumber() for s in edit.extraSelections()] == [1]
    # The same words the server would send back (one implementation of the rules).
    reason = check_redirect_uris(ApplicationType.WEB, form.redirect_uris()).reasons[1]
    assert reason is not None and reason in text
    # Each kind of problem, as typed.
    cases = {
        "https://app.example.com/cb#frag": "fragment",
        "https://*.example.com/cb": "wildcard",
        "app.example.com/cb": "not an absolute URI",
        "https://app.example.com/callback": "listed twice",
    }
    for uri, words in cases.items():
        edit.setPlainText(f"https://app.example.com/callback\n{uri}")
        assert words in form.uris_error.text(), uri
    edit.setPlainText("\n".join(f"https://app.example.com/cb{n}" for n in range(11)))
    assert "At most 10 redirect URIs (11 given)." in form.uris_error.text()
    edit.setPlainText("https://app.example.com/callback\n\n   \n")  # blank lines are ignored
    assert form.redirect_uris() == ("https://app.example.com/callback",)
    assert form.uris_error.isHidden()


def test_the_type_changes_the_rules_and_a_service_has_no_redirect_uris(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner
) -> None:
    dialog = register_dialog(qtbot, service, runner)
    form = dialog.form
    form.uris_edit.setPlainText("http://localhost:8080/callback")
    assert form.uris_error.isHidden()  # fine for a web app on a developer's machine
    form.type_buttons[ApplicationType.NATIVE].setChecked(True)
    assert "use 127.0.0.1 or [::1] instead of localhost" in form.uris_error.text()
    assert "any port" in form.uris_hint.text()
    form.uris_edit.setPlainText("com.example.tablet:/callback\nhttp://127.0.0.1/callback")
    assert form.uris_error.isHidden()
    form.type_buttons[ApplicationType.SPA].setChecked(True)
    assert "must use https://" in form.uris_error.text()  # private-use schemes are native-only
    form.type_buttons[ApplicationType.SERVICE].setChecked(True)
    assert not form.uris_edit.isVisibleTo(dialog)
    assert form.uris_error.isHidden() and form.redirect_uris() == ()
    assert "no redirect URIs" in form.uris_hint.text()
    # Each type says in one line how it signs in.
    texts = [form.type_buttons[k].accessibleDescription() for k in ApplicationType]
    assert "server keeps the client secret" in texts[0]
    assert all("PKCE" in t for t in texts[1:3]) and "client credentials" in texts[3]


def test_only_the_scopes_the_person_may_grant_are_offered(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner
) -> None:
    viewer = register_dialog(qtbot, service, runner, VIEWER_SCOPES)
    boxes = viewer.form.scopes.boxes
    assert boxes["read:assets"].isEnabled()
    assert not boxes["write:assets"].isEnabled() and not boxes["admin"].isEnabled()
    assert "your account does not have it" in boxes["write:alerts"].toolTip()
    assert viewer.form.scopes.restricted_note.isVisibleTo(viewer)
    admin = register_dialog(qtbot, service, runner, ("admin",))
    assert all(box.isEnabled() for box in admin.form.scopes.boxes.values())
    assert not admin.form.scopes.restricted_note.isVisibleTo(admin)
    admin.form.scopes.boxes["admin"].setChecked(True)
    assert "full access" in admin.form.admin_warning.text()


async def test_register_with_problems_shows_each_and_sends_nothing(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner
) -> None:
    dialog = register_dialog(qtbot, service, runner)
    assert dialog.accept_button.isDefault()  # Register: not destructive, Enter sends
    qtbot.keyClick(dialog.form.name_edit, Qt.Key.Key_Return)
    await settle()
    assert service.create_calls == []
    assert "empty" in dialog.form.name_error.text()
    assert dialog.form.uris_error.text() == "Add at least one redirect URI."
    assert "choose at least one scope" in dialog.form.scopes_error.text().lower()
    assert dialog.form.name_edit.hasFocus()


async def test_register_sends_the_form_and_hands_over_the_secret_once(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    dialog = register_dialog(qtbot, service, runner, parent=host)
    fill(qtbot, dialog, scopes=("read:assets", "read:alerts"))
    registered = wait_signal(dialog.registered)
    qtbot.keyClick(dialog.form.name_edit, Qt.Key.Key_Return)
    (created,) = await registered
    call = service.create_calls[0]
    assert (call.name, call.application_type, call.redirect_uris, call.scopes) == (
        "Plant dashboard",
        ApplicationType.WEB,
        ("https://app.example.com/callback",),
        ("read:assets", "read:alerts"),
    )
    assert call.idempotency_key == dialog.idempotency_key
    assert created.client_secret == service.secrets[created.app.id]
    await settle()
    assert not dialog.isVisible()


@pytest.mark.parametrize(
    ("error", "field", "where"),
    [
        ("invalid_redirect_uri", "redirect_uris", "uris_error"),
        ("invalid_request", "name", "name_error"),
        ("invalid_request", "scopes", "scopes_error"),
        ("invalid_request", "application_type", "type_error"),
    ],
)
async def test_a_422_lands_on_the_field_it_names_and_keeps_the_input(
    qtbot: Any,
    service: FakeAppsService,
    runner: TaskRunner,
    error: str,
    field: str,
    where: str,
) -> None:
    dialog = register_dialog(qtbot, service, runner)
    fill(qtbot, dialog, uris="https://app.example.com/callback\nhttps://app.example.com/two")
    message = f"The server did not accept the request in “{field}”: the server said no."
    failure = ValidationFailed(message, status=422, error=error, field=field)
    if field == "redirect_uris":
        # The verdict on the URIs sent (here: the server refused the second one for a reason
        # of its own), so the very line at fault is marked.
        sent = dialog.form.redirect_uris()
        check = RedirectUriCheck(sent, (None, "is not allowed by policy"), None)
        failure = InvalidRedirectUris(failure, check)
    service.fail["create"] = failure
    dialog.submit()
    await until(lambda: not dialog.busy)
    await settle()
    assert getattr(dialog.form, where).text() == message
    assert dialog.error.isHidden()  # not repeated below the form
    assert dialog.isVisible()
    assert dialog.form.name_edit.text() == "Plant dashboard"
    assert dialog.form.selected_scopes() == ("read:assets",)
    if field == "redirect_uris":
        assert [s.cursor.blockNumber() for s in dialog.form.uris_edit.extraSelections()] == [1]


async def test_a_403_says_which_scope_the_person_lacks(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner
) -> None:
    dialog = register_dialog(qtbot, service, runner)
    fill(qtbot, dialog, scopes=("write:assets",))
    service.fail["create"] = InsufficientScope(
        "You do not have permission for this: your token or key lacks the required scope. "
        "It needs: write:assets.",
        required_scopes=("write:assets",),
        status=403,
    )
    dialog.submit()
    await until(lambda: not dialog.busy)
    await settle()
    assert dialog.form.scopes_error.text() == (
        "Your account lacks write:assets, so the application cannot have it."
    )
    assert "It needs: write:assets" in dialog.error.text()


async def test_a_lost_answer_then_register_again_gives_one_app_and_its_secret(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    dialog = register_dialog(qtbot, service, runner, parent=host)
    fill(qtbot, dialog)
    service.fail["create_after"] = NetworkError(status=None)  # made, but the answer was lost
    dialog.submit()
    await until(lambda: not dialog.busy)
    await settle()
    assert REGISTER_RETRY_HINT in dialog.error.text()
    assert dialog.form.name_edit.text() == "Plant dashboard"
    registered = wait_signal(dialog.registered)
    dialog.submit()
    (created,) = await registered
    assert len(service.apps) == 1
    assert [c.idempotency_key for c in service.create_calls] == [dialog.idempotency_key] * 2
    assert created.client_secret == service.secrets[service.apps[0].id]


@pytest.mark.parametrize(
    ("failure", "words", "hint"),
    [
        (
            ServerError("The TwinEdge server had a problem (HTTP 500).", status=500),
            "HTTP 500",
            True,
        ),
        (RateLimited("Too many requests.", status=429, retry_after=7), "wait about 7 s", False),
    ],
)
async def test_other_failures_are_said_below_the_form(
    qtbot: Any,
    service: FakeAppsService,
    runner: TaskRunner,
    failure: Exception,
    words: str,
    hint: bool,
) -> None:
    dialog = register_dialog(qtbot, service, runner)
    fill(qtbot, dialog)
    service.fail["create"] = failure
    dialog.submit()
    await until(lambda: not dialog.busy)
    await settle()
    assert words in dialog.error.text()
    assert (REGISTER_RETRY_HINT in dialog.error.text()) is hint
    assert dialog.accept_button.isEnabled() and not dialog.progress.isVisible()


async def test_busy_while_registering(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    dialog = register_dialog(qtbot, service, runner, parent=host)
    fill(qtbot, dialog)
    dialog.submit()
    assert dialog.busy and dialog.progress.isVisible()
    assert not dialog.accept_button.isEnabled() and dialog.form.name_edit.isReadOnly()
    assert not dialog.submit()  # a second press while busy sends nothing
    await until(lambda: not dialog.isVisible())
    assert len(service.create_calls) == 1


# -- edit ----------------------------------------------------------------------------------


async def test_edit_sends_only_what_changed_and_keeps_the_type(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app(scopes=("read:assets", "read:alerts"))
    service.apps.append(app)
    dialog = EditAppDialog(app, service, runner, ENGINEER_SCOPES, host)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    form = dialog.form
    assert form.name_edit.text() == app.name and form.type_buttons == {}
    assert form.redirect_uris() == app.redirect_uris
    form.scopes.boxes["read:alerts"].setChecked(False)
    assert form.narrowing_note.text() == NARROWING_NOTE
    form.uris_edit.appendPlainText("https://app.example.com/second")
    updated = wait_signal(dialog.updated)
    dialog.submit()
    (app_now,) = await updated
    assert service.update_calls == [
        (
            app.id,
            {
                "redirect_uris": (
                    "https://app.example.com/callback",
                    "https://app.example.com/second",
                ),
                "scopes": ("read:assets",),
            },
        )
    ]
    assert app_now.scopes == ("read:assets",)


async def test_edit_keeps_a_scope_the_person_cannot_grant_removable(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner
) -> None:
    app = make_app(scopes=("read:assets", "write:assets"))  # made before a role change
    dialog = EditAppDialog(app, service, runner, VIEWER_SCOPES)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    boxes = dialog.form.scopes.boxes
    assert boxes["write:assets"].isEnabled() and boxes["write:assets"].isChecked()
    assert not boxes["write:alerts"].isEnabled()


async def test_edit_without_changes_sends_nothing(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app()
    dialog = EditAppDialog(app, service, runner, ENGINEER_SCOPES, host)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    updated = wait_signal(dialog.updated)
    dialog.submit()
    assert (await updated) == (app,)
    assert service.update_calls == []


# -- rotate --------------------------------------------------------------------------------


def rotate_dialog(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, app: Any, parent: QWidget
) -> Any:
    dialog = RotateSecretDialog(app, service, runner, parent, clock=fixed_clock)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


async def test_rotate_is_never_the_default_and_keeps_the_old_secret_24_hours(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app()
    service.apps.append(app)
    dialog = rotate_dialog(qtbot, service, runner, app, host)
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel.isDefault() and not dialog.rotate_button.isDefault()
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("current secret (…wxyz)" in t and "24 hours" in t for t in texts)
    qtbot.keyClick(dialog.end_now_box, Qt.Key.Key_Return)  # Enter cancels, never rotates
    await settle()
    assert service.rotate_calls == [] and not dialog.isVisible()

    dialog = rotate_dialog(qtbot, service, runner, app, host)
    rotated = wait_signal(dialog.rotated)
    dialog.rotate_button.click()
    (new,) = await rotated
    assert service.rotate_calls == [(app.id, False, dialog.idempotency_key)]
    assert new.previous_secret_expires_at is not None
    assert new.client_secret == service.secrets[app.id]


async def test_ending_the_old_secret_at_once_is_said_and_sent(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app(previous_secret_hours_left=3)
    service.apps.append(app)
    dialog = rotate_dialog(qtbot, service, runner, app, host)
    earlier = dialog.findChild(type(dialog.error), "earlierSecret")
    assert earlier is not None and "rotating again ends it now" in earlier.text()
    assert dialog.end_now_warning.isHidden()
    qtbot.keyClick(dialog.end_now_box, Qt.Key.Key_Space)
    assert dialog.revoke_previous
    assert "stops working the moment" in dialog.end_now_warning.text()
    assert dialog.rotate_button.property("danger") is True
    rotated = wait_signal(dialog.rotated)
    dialog.rotate_button.click()
    (new,) = await rotated
    assert service.rotate_calls[0][1] is True and new.previous_secret_expires_at is None


async def test_a_lost_rotation_answer_is_retried_with_the_same_request(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app()
    service.apps.append(app)
    dialog = rotate_dialog(qtbot, service, runner, app, host)
    service.fail["rotate_after"] = NetworkError()
    dialog.rotate_button.click()
    await until(lambda: not dialog.busy)
    await settle()
    assert "cannot make a third secret" in dialog.error.text()
    assert not dialog.end_now_box.isEnabled()  # the replay must carry the same choice
    rotated = wait_signal(dialog.rotated)
    dialog.rotate_button.click()
    (new,) = await rotated
    keys = {call[2] for call in service.rotate_calls}
    assert keys == {dialog.idempotency_key} and len(service.rotate_calls) == 2
    assert new.client_secret == service.secrets[app.id]


# -- delete --------------------------------------------------------------------------------


def delete_dialog(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, app: Any, parent: QWidget
) -> Any:
    dialog = DeleteAppDialog(app, service, runner, parent)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


async def test_delete_asks_for_the_typed_name_and_says_the_sign_ins_end(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app("Plant dashboard")
    service.apps.append(app)
    dialog = delete_dialog(qtbot, service, runner, app, host)
    warning = dialog.findChild(type(dialog.error), "deleteWarning")
    assert warning is not None
    assert "Every sign-in of this application ends at once" in warning.text()
    assert "invalid_client" in warning.text()
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel.isDefault() and not dialog.delete_button.isDefault()
    assert not dialog.delete_button.isEnabled()
    assert dialog.focusWidget() is dialog.name_confirm
    qtbot.keyClicks(dialog.name_confirm, "Plant dash")
    qtbot.keyClick(dialog.name_confirm, Qt.Key.Key_Return)  # not the name yet: nothing
    await settle()
    assert service.delete_calls == [] and dialog.isVisible()
    qtbot.keyClicks(dialog.name_confirm, "board")
    assert dialog.delete_button.isEnabled() and dialog.delete_button.property("danger")
    assert cancel.isDefault() and not dialog.delete_button.isDefault()  # still, once it can act
    deleted = wait_signal(dialog.deleted)
    qtbot.keyClick(dialog.name_confirm, Qt.Key.Key_Return)
    assert (await deleted) == (app,)
    assert service.delete_calls == [app.id] and service.apps == []


async def test_deleting_an_app_already_gone_counts_as_done(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app("Gone")
    dialog = delete_dialog(qtbot, service, runner, app, host)
    qtbot.keyClicks(dialog.name_confirm, "Gone")
    deleted = wait_signal(dialog.deleted)
    dialog.delete_button.click()
    assert (await deleted) == (app,)


async def test_a_failed_delete_says_why_and_stays_open(
    qtbot: Any, service: FakeAppsService, runner: TaskRunner, host: QWidget
) -> None:
    app = make_app("Kept")
    service.apps.append(app)
    service.fail["delete"] = ServerError("The TwinEdge server had a problem (HTTP 503).")
    dialog = delete_dialog(qtbot, service, runner, app, host)
    qtbot.keyClicks(dialog.name_confirm, "Kept")
    dialog.delete_button.click()
    await until(lambda: not dialog.busy)
    await settle()
    assert "HTTP 503" in dialog.error.text() and dialog.isVisible()
    assert dialog.delete_button.isEnabled()
