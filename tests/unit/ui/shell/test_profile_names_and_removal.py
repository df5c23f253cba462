"""Profile ▸ Rename and Remove as a person meets them (review 2, item 11): a name already
in use is refused, a rename reaches the Account page and the status line, and removing the
current profile goes back to the one used before it. The whole window, fake services."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QWidget

from tests.helpers.session_fakes import FakeServices, user_info
from tests.helpers.waiting import until
from tests.unit.ui.shell.conftest import Attach
from twinedge_desktop.auth.kinds import SessionState
from twinedge_desktop.config import Profile, ProfileStore
from twinedge_desktop.ui.account.profiles import ProfileSwitching
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.shell.main_window import MainWindow

CORP = Profile(id="corp", name="Corp", issuer="https://auth.corp.example")
LAB = Profile(id="lab", name="Lab", issuer="https://auth.lab.example")


async def test_a_rename_to_a_name_in_use_is_refused_with_a_reason(
    window: MainWindow, attach: Attach, store: ProfileStore
) -> None:
    attach(FakeServices())
    store.put(CORP)
    store.put(LAB)
    window.profile_switching.switch_to("corp")
    dialog = window.profile_switching.rename_current()
    assert dialog is not None
    for taken, shown in (("local  SANDBOX", "Local sandbox"), ("lab", "Lab")):
        dialog.name.setText(taken)
        dialog.ok_button.click()
        assert dialog.isVisible()  # still open, saying why
        assert f"Another profile is already named {shown}" in dialog.error.text()
    assert store.profiles["corp"].name == "Corp"
    dialog.name.setText("corp")  # its own name in another case is fine
    dialog.ok_button.click()
    assert not dialog.isVisible()
    assert store.profiles["corp"].name == "corp"


async def test_a_renamed_profile_is_named_anew_on_the_account_page_and_status_line(
    window: MainWindow, attach: Attach, store: ProfileStore
) -> None:
    services = FakeServices()
    attach(services)
    store.put(CORP)
    window.profile_switching.switch_to("corp")
    await until(lambda: not window.account.controller.restoring)
    services.sessions["corp"].set_state(SessionState.SIGNED_IN, user_info("corp"))
    page = window.account.account_page
    assert page.profile_value.text().startswith("Corp — ")
    assert window.session_label.text().endswith("— Corp")

    window.profile_switching.rename("corp", "Corp staging")
    assert page.profile_value.text() == "Corp staging — https://auth.corp.example"
    assert window.session_label.text().endswith("— Corp staging")
    assert window.windowTitle() == "TwinEdge Desktop — Corp staging"


async def test_removing_the_current_profile_goes_back_to_the_one_used_before(
    window: MainWindow, attach: Attach, store: ProfileStore, messages: Any
) -> None:
    attach(FakeServices())
    store.put(CORP)
    store.put(LAB)
    switching = window.profile_switching
    switching.switch_to("corp")  # from the sandbox (the fixture's current profile)
    switching.switch_to("lab")
    await switching.remove("lab")
    assert store.current_id == "corp"
    assert json.loads(store.path.read_text())["current"] == "corp"
    assert window.windowTitle() == "TwinEdge Desktop — Corp"
    assert messages.records[-1][1].endswith("Now using Corp (the profile you used before).")

    store.put(LAB, make_current=True)  # made current by another process (a `login`)
    store.save()
    store.profiles.pop("corp")  # and Corp removed there too
    store.save()
    await switching.remove("lab")
    assert store.current_id == "sandbox"  # Corp is gone: the one before it
    assert messages.records[-1][1].endswith(
        "Now using Local sandbox (the profile you used before)."
    )


async def test_with_no_profile_used_before_removing_goes_to_the_default(
    qtbot: Any, store: ProfileStore, messages: Any
) -> None:
    store.put(LAB, make_current=True)  # current from the start: nothing used before it
    store.save()
    parent = QWidget()
    qtbot.addWidget(parent)
    switching = ProfileSwitching(store, messages, parent)
    switching.attach(TaskRunner(messages), FakeServices())  # type: ignore[arg-type]
    await switching.remove("lab")
    assert store.current_id == "cloud"
    assert messages.records[-1][1].endswith("Now using TwinEdge Cloud (the default).")
