"""What people looked for and did not find (issue 11, part A): View ▸ Theme, Preferences…,
renaming and removing profiles, and profiles and sign-ins changed by other processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.helpers.session_fakes import FakeServices, user_info
from tests.helpers.waiting import until
from tests.unit.ui.shell.conftest import Attach
from twinedge_desktop.auth.kinds import SessionState
from twinedge_desktop.config import Profile, ProfileStore
from twinedge_desktop.ui.common.style import SCHEMES, ThemeManager
from twinedge_desktop.ui.keys.page import KeysPage
from twinedge_desktop.ui.shell.main_window import MainWindow
from twinedge_desktop.ui.shell.preferences import PreferencesDialog

CORP = Profile(id="corp", name="Corp", issuer="https://auth.corp.example")


@pytest.fixture
def theme(qapp: QApplication) -> Iterator[ThemeManager]:
    manager = ThemeManager(qapp)
    yield manager
    manager.force(None)
    qapp.styleHints().unsetColorScheme()


def window_colour() -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorRole.Window)


def saved(store: ProfileStore) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(store.path.read_text())
    return data


# --- View ▸ Theme ----------------------------------------------------------------------------
def test_view_theme_switches_the_palette_live_and_is_remembered(
    qtbot: Any,
    window: MainWindow,
    theme: ThemeManager,
    messages: Any,
    store: ProfileStore,
    settings: QSettings,
) -> None:
    actions = window.window_actions
    assert actions is not None
    titles = [a.text().replace("&", "") for a in actions.theme_menu.actions()]
    assert titles == ["System", "Light", "Dark"]
    assert actions.theme["system"].isChecked()  # the default: follow the system
    window.preferences.use_theme_manager(theme)

    actions.theme["dark"].trigger()
    assert window_colour() == QColor(SCHEMES["dark"]["window"])  # at once, no restart
    assert theme.scheme == "dark"
    assert saved(store)["preferences"]["theme"] == "dark"
    actions.theme["light"].trigger()
    assert window_colour() == QColor(SCHEMES["light"]["window"])
    assert actions.theme["light"].isChecked() and not actions.theme["dark"].isChecked()

    # The next window (a restart) starts from the saved choice.
    again = MainWindow(messages=messages, profiles=ProfileStore.load(store.path), settings=settings)
    qtbot.addWidget(again)
    assert again.window_actions is not None and again.window_actions.theme["light"].isChecked()
    actions.theme["system"].trigger()
    assert saved(store)["preferences"]["theme"] == "system"


# --- Preferences… ---------------------------------------------------------------------------
async def test_preferences_are_applied_at_once_and_saved_with_the_profiles_merge(
    qtbot: Any, window: MainWindow, attach: Attach, store: ProfileStore, theme: ThemeManager
) -> None:
    attach(FakeServices())
    window.preferences.use_theme_manager(theme)
    actions = window.window_actions
    assert actions is not None
    assert actions.preferences.shortcut().toString() == "Ctrl+,"
    assert actions.preferences.menuRole() == actions.preferences.MenuRole.PreferencesRole
    # Another process adds a profile meanwhile: the window's save must not lose it.
    other = ProfileStore.load(store.path)
    other.put(CORP)
    other.save()

    actions.preferences.trigger()
    dialog = window.preferences.dialog
    assert isinstance(dialog, PreferencesDialog) and dialog.isVisible()
    assert (dialog.clipboard.value(), dialog.sign_in_timeout.value()) == (30, 300)
    assert dialog.notifications.isChecked()
    dialog.clipboard.setValue(45)
    dialog.sign_in_timeout.setValue(120)
    dialog.notifications.setChecked(False)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    preferences = saved(store)["preferences"]
    assert preferences["clipboard_clear_seconds"] == 45
    assert preferences["sign_in_timeout_seconds"] == 120
    assert preferences["notifications_enabled"] is False
    assert preferences["theme"] == "dark"
    assert "corp" in {p["id"] for p in saved(store)["profiles"]}  # merged, not overwritten
    # Applied now: the palette, the next sign-in's wait, the keys page's clipboard time.
    assert theme.scheme == "dark"
    assert window.account.controller.sign_in_timeout == 120
    keys = window.page("keys")
    assert isinstance(keys, KeysPage)
    assert keys._preferences.clipboard_clear_seconds == 45
    assert store.preferences.notifications_enabled is False


def test_preferences_cancel_changes_nothing(window: MainWindow, store: ProfileStore) -> None:
    dialog = window.preferences.open_dialog()
    dialog.clipboard.setValue(5)
    dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
    assert store.preferences.clipboard_clear_seconds == 30
    assert not store.path.exists()  # nothing written


def test_a_damaged_preference_falls_back_alone(tmp_path: Any) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(
        json.dumps(
            {
                "current": "cloud",
                "profiles": [],
                "preferences": {
                    "clipboard_clear_seconds": 12,
                    "theme": "purple",
                    "notifications_enabled": "yes",
                },
            }
        )
    )
    store = ProfileStore.load(path)
    assert store.preferences.clipboard_clear_seconds == 12  # the good one stays
    assert store.preferences.theme == "system"
    assert store.preferences.notifications_enabled is True


# --- Profile ▸ Rename / Remove ----------------------------------------------------------------
def test_built_in_profiles_are_neither_renamed_nor_removed(
    window: MainWindow, store: ProfileStore, messages: Any
) -> None:
    actions = window.window_actions
    assert actions is not None
    texts = [a.text().replace("&", "") for a in actions.profile_menu.actions()]
    assert texts == ["Switch profile…", "Add profile…", "Rename profile…", "Remove profile…"]
    assert store.current.builtin  # the sandbox
    assert not actions.rename_profile.isEnabled() and not actions.remove_profile.isEnabled()
    assert window.profile_switching.rename_current() is None
    assert window.profile_switching.remove_current() is None


async def test_rename_a_profile(
    window: MainWindow, attach: Attach, store: ProfileStore, messages: Any
) -> None:
    attach(FakeServices())
    store.put(CORP, make_current=True)
    store.save()
    window.profiles_changed()
    actions = window.window_actions
    assert actions is not None and actions.rename_profile.isEnabled()
    actions.rename_profile.trigger()
    dialog = window.profile_switching.rename_dialog
    assert dialog is not None and dialog.name.text() == "Corp"
    dialog.name.setText("   ")
    dialog.ok_button.click()
    assert "printable" in dialog.error.text() and dialog.isVisible()  # said inside
    dialog.name.setText("Corp staging")
    dialog.ok_button.click()
    assert store.current.name == "Corp staging"
    assert [p["name"] for p in saved(store)["profiles"] if p["id"] == "corp"] == ["Corp staging"]
    assert window.windowTitle() == "TwinEdge Desktop — Corp staging"
    assert window.profile_switcher.currentText() == "Corp staging"


async def test_remove_a_profile_signs_it_out_after_a_confirmation_whose_default_is_cancel(
    qtbot: Any, window: MainWindow, attach: Attach, store: ProfileStore, messages: Any
) -> None:
    services = FakeServices()
    attach(services)
    store.put(CORP, make_current=True)
    store.save()
    window.profiles_changed()
    session = services.sessions["corp"]
    await until(lambda: not window.account.controller.restoring)
    session.set_state(SessionState.SIGNED_IN, user_info("corp"))

    box = window.profile_switching.remove_current()
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "keychain" in box.informativeText()
    assert box.defaultButton() is box.escapeButton()  # Cancel: Enter never removes
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert "corp" in store.profiles and "sign_out" not in session.calls

    box = window.profile_switching.remove_current()
    assert box is not None
    remove = next(b for b in box.buttons() if b.text() == "Sign out and remove")
    remove.click()
    await until(lambda: "corp" not in store.profiles)
    assert "sign_out" in session.calls  # revoked, and deleted from the keychain
    assert "corp" not in {p["id"] for p in saved(store)["profiles"]}
    # Back to the profile used before Corp (the sandbox), not to TwinEdge Cloud.
    assert store.current_id == "sandbox"
    assert window.windowTitle() == "TwinEdge Desktop — Local sandbox"
    assert window.profile_switcher.findData("corp") < 0
    assert any(
        "Removed the profile Corp" in text and "Now using Local sandbox" in text
        for _, text in messages.records
    )


# --- other processes ------------------------------------------------------------------------
async def test_profiles_added_elsewhere_appear_when_the_window_is_activated(
    window: MainWindow, attach: Attach, store: ProfileStore, messages: Any
) -> None:
    store.save()  # as the window has it on disk
    services = FakeServices()
    attach(services)
    await until(lambda: not window.account.controller.restoring)
    # `twinedge-desktop login --issuer …` in a terminal: a new profile, made current.
    elsewhere = ProfileStore.load(store.path)
    elsewhere.put(CORP, make_current=True)
    elsewhere.save()
    assert window.profile_switcher.findData("corp") < 0

    window.activation.window_activated()
    assert window.profile_switcher.findData("corp") >= 0
    assert store.current_id == "corp"
    assert window.account.controller.session is services.sessions["corp"]
    assert any("chosen in another" in text for _, text in messages.records)
    # The sign-in of the current profile is looked at too (one keychain read).
    await until(lambda: "sync" in services.sessions["corp"].calls)

    # Opening the profile list looks as well.
    elsewhere.put(Profile(id="lab", name="Lab", issuer="https://auth.lab.example"))
    elsewhere.save()
    window.profile_switcher.opening.emit()
    assert window.profile_switcher.findData("lab") >= 0


def test_the_window_keeps_its_own_unsaved_change_when_it_reloads(
    window: MainWindow, store: ProfileStore
) -> None:
    store.put(Profile(id="mine", name="Mine", issuer="https://auth.mine.example"))
    elsewhere = ProfileStore.load(store.path)
    elsewhere.put(CORP)
    elsewhere.save()
    assert window.activation.check_profiles()
    assert {"mine", "corp"} <= set(store.profiles)  # never loses either


async def test_the_theme_and_profile_menus_have_the_readmes_mnemonics(
    qtbot: Any, window: MainWindow, store: ProfileStore
) -> None:
    """The README's keys: Alt+V, T, D for View ▸ Theme ▸ Dark; the mnemonics are unique."""
    actions = window.window_actions
    assert actions is not None
    for menu in (actions.view_menu, actions.theme_menu, actions.profile_menu):
        letters = [
            a.text()[a.text().index("&") + 1].lower()
            for a in menu.actions()
            if "&" in a.text() and not a.isSeparator()
        ]
        assert len(letters) == len(set(letters)), letters
    assert "&Theme" in [a.text() for a in actions.view_menu.actions()]
    assert [a.text() for a in actions.profile_menu.actions()][2:] == [
        "&Rename profile…",
        "Re&move profile…",
    ]
