"""Choosing which TwinEdge to talk to: the profile switcher, add, rename and remove.

A profile is created from an issuer URL by discovery (RFC 8414): the dialog
checks the URL (HTTPS, or HTTP to this computer only), reads the server's
metadata and builds the profile with the core's one rule
(:func:`~twinedge_desktop.auth.profiles.profile_for_issuer`, as ``login --issuer``
does: the API address typed, else the metadata's ``api_base_url``); nothing else is
needed but a client id. The API's audience is taken from the first access token.

:class:`ProfileSwitching` is what switching, adding, renaming and removing do (change,
save with the profiles file's read-merge-write, say so); the Account page then binds
the current profile's session. Built-in profiles (TwinEdge Cloud, the local sandbox)
are neither renamed nor removed; removing one signs it out (revoked at the server) and
deletes its saved sign-in from the keychain, after a confirmation whose default is Cancel.

Signals:
    ProfileSwitcher.profile_chosen(str): the id of the profile the person picked.
    ProfileSwitcher.add_requested(): the person picked "Add profile…".
    ProfileSwitcher.opening(): the list is about to open (a moment to look for profiles
        other processes added).
    AddProfileDialog.profile_created(Profile): discovery succeeded; the new profile.
    RenameProfileDialog.renamed(str): the new name.
    ProfileSwitching.current_changed(): the profiles or the current one changed (saved).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.config import CLOUD_PROFILE_ID, DESKTOP_CLIENT_ID, ConfigError, Profile
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import icon
from twinedge_desktop.ui.common.widgets import fit_to_contents

if TYPE_CHECKING:
    from twinedge_desktop.config import ProfileStore
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.tasks import TaskRunner

ADD_PROFILE = "__add__"
MAX_NAME_LENGTH = 60

# What discovery returns; the dialog needs only these attributes of ServerMetadata.
Discover = Callable[[str], Awaitable[Any]]


def check_url(text: str, what: str = "issuer URL") -> tuple[str | None, str | None]:
    """(normalised URL, None) when acceptable, else (None, a sentence saying why not).

    HTTPS everywhere, plain HTTP only to this computer (the sandbox): tokens and
    sign-in codes must never cross a network unencrypted.
    """
    # Imported here: only adding a profile needs them. The one HTTPS rule sign-in and
    # the API client apply (api/urls.py), so the dialog never accepts what they refuse.
    from urllib.parse import urlsplit

    from twinedge_desktop.api.urls import is_secure_url

    value = text.strip()
    if not value:
        return None, f"Enter the {what}."
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number
        hostname = parts.hostname
    except ValueError:  # e.g. "http://[::1" or a port that is not a number
        hostname = None
    if not hostname or parts.scheme not in ("https", "http"):
        return None, f"The {what} must be a full address such as https://auth.example.com."
    if not is_secure_url(value):
        return None, (
            f"The {what} must use HTTPS. Plain HTTP is allowed only for this computer "
            "(127.0.0.1, ::1 or localhost)."
        )
    if parts.query or parts.fragment:
        return None, f"The {what} must not contain a query (?…) or fragment (#…)."
    return value.rstrip("/"), None


def same_name(a: str, b: str) -> bool:
    """Whether two profile names would read the same in the profile list (spacing and case
    aside): "Local sandbox" and "local  sandbox" cannot both be there."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def name_problem(name: str, taken: Iterable[str]) -> str | None:
    """Why ``name`` (already normalised) cannot name a profile, or None when it can."""
    if not name or not name.isprintable():
        return "Enter a name of printable characters."
    if len(name) > MAX_NAME_LENGTH:
        return f"A profile name has at most {MAX_NAME_LENGTH} characters."
    for other in taken:
        if same_name(name, other):
            return f"Another profile is already named {other}. Choose another name."
    return None


class ProfileSwitcher(QComboBox):
    """The toolbar's profile list, ending with "Add profile…"."""

    profile_chosen = Signal(str)
    add_requested = Signal()
    opening = Signal()

    def __init__(self, store: ProfileStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.setAccessibleName("Profile")
        self.setToolTip("Which TwinEdge to sign in to (Ctrl+P)")
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.activated.connect(self._activated)
        self.reload()

    def reload(self) -> None:
        """Rebuild the list from the store and select the current profile."""
        with QSignalBlocker(self):
            self.clear()
            for profile in self._ordered():
                self.addItem(icon("server"), profile.name, profile.id)
                self.setItemData(self.count() - 1, profile.issuer, 3)  # ToolTipRole
            self.insertSeparator(self.count())
            self.addItem(icon("add"), "Add profile…", ADD_PROFILE)
            self.select(self._store.current_id)

    def showPopup(self) -> None:
        self.opening.emit()  # profiles another process added are listed before it opens
        super().showPopup()

    def _ordered(self) -> list[Profile]:
        # Built-ins first (Cloud, then the sandbox), then the person's own by name.
        rank = {"cloud": 0, "sandbox": 1}
        return sorted(
            self._store.profiles.values(), key=lambda p: (rank.get(p.id, 2), p.name.lower())
        )

    def select(self, profile_id: str) -> None:
        index = self.findData(profile_id)
        if index >= 0:
            with QSignalBlocker(self):
                self.setCurrentIndex(index)

    def _activated(self, index: int) -> None:
        data = self.itemData(index)
        if data == ADD_PROFILE:
            self.select(self._store.current_id)  # keep showing the real current profile
            self.add_requested.emit()
        elif isinstance(data, str) and data != self._store.current_id:
            self.profile_chosen.emit(data)


class AddProfileDialog(QDialog):
    """Issuer URL + client id (+ optional API base) → discovery → a new profile."""

    profile_created = Signal(object)

    def __init__(
        self,
        discover: Discover,
        runner: TaskRunner,
        store: ProfileStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._discover = discover
        self._runner = runner
        self._store = store
        self.setWindowTitle("TwinEdge — Add profile")
        intro = QLabel(
            "Connect to another TwinEdge (or any standards-compliant authorization server). "
            "The app reads the server's settings from its issuer URL; you only need the "
            "client id registered for this app."
        )
        intro.setWordWrap(True)
        self.issuer = QLineEdit()
        self.issuer.setPlaceholderText("https://auth.example.com")
        self.issuer.setAccessibleName("Issuer URL")
        self.client_id = QLineEdit(DESKTOP_CLIENT_ID)
        self.client_id.setAccessibleName("Client ID")
        self.api_base = QLineEdit()
        self.api_base.setPlaceholderText("optional, e.g. https://api.example.com/v1")
        self.api_base.setAccessibleName("API base URL")
        self.name = QLineEdit()
        self.name.setPlaceholderText("optional, defaults to the server's host name")
        self.name.setAccessibleName("Profile name")
        form = QFormLayout()
        form.addRow("Issuer URL", self.issuer)
        form.addRow("Client ID", self.client_id)
        form.addRow("API base URL", self.api_base)
        form.addRow("Name", self.name)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        self.status.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Check and add")
        self.buttons.accepted.connect(self.check_and_add)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(540, self.sizeHint().height())

    def _say(self, text: str) -> None:
        """A status or problem inside the dialog, which grows to show it."""
        self.status.setText(text)
        self.status.setVisible(bool(text))
        fit_to_contents(self)

    def check_and_add(self) -> None:
        issuer, problem = check_url(self.issuer.text())
        if problem is None and not self.client_id.text().strip():
            problem = "Enter the client id registered for this app."
        api_base: str | None = None
        if problem is None and self.api_base.text().strip():
            api_base, problem = check_url(self.api_base.text(), "API base URL")
        name = " ".join(self.name.text().split())
        if problem is None and name:
            problem = name_problem(name, ())  # names in use: once the profile's id is known
        if problem is not None or issuer is None:
            self._say(problem or "")
            return
        self.ok_button.setEnabled(False)
        self._say(f"Reading the settings of {issuer}…")
        self._runner.start(
            self._discover_and_build(issuer, api_base),
            owner=self,
            on_error=self._failed,
            name="discovery",
        )

    async def _discover_and_build(self, issuer: str, api_base: str | None) -> None:
        from twinedge_desktop.auth.profiles import profile_for_issuer

        metadata = await self._discover(issuer)
        # The core's one rule, as `login --issuer`: the API typed here, else the server's
        # own api_base_url; an existing profile of that issuer is updated, not doubled.
        profile = profile_for_issuer(
            self._store, metadata, client_id=self.client_id.text().strip(), api_url=api_base
        )
        name = " ".join(self.name.text().split())
        if name:
            profile = replace(profile, name=name)
            others = [p.name for p in self._store.profiles.values() if p.id != profile.id]
            problem = name_problem(name, others)
            if problem is not None:
                self.ok_button.setEnabled(True)
                self._say(problem)
                return
        self.ok_button.setEnabled(True)
        self._say("")
        self.profile_created.emit(profile)
        self.accept()

    def _failed(self, exc: BaseException) -> bool:
        from twinedge_desktop.ui.common.tasks import describe_error

        self.ok_button.setEnabled(True)
        self._say(describe_error(exc))
        return True


class RenameProfileDialog(QDialog):
    """A new name for a profile (1 to 60 characters); says what is wrong inside."""

    renamed = Signal(str)

    def __init__(
        self, profile: Profile, taken: Iterable[str] = (), parent: QWidget | None = None
    ) -> None:
        """``taken``: the names of the other profiles, which this one may not take."""
        super().__init__(parent)
        self._taken = tuple(taken)
        self.setWindowTitle("TwinEdge — Rename profile")
        intro = QLabel(f"A new name for the profile for {profile.issuer}.")
        intro.setWordWrap(True)
        self.name = QLineEdit(profile.name)
        self.name.setAccessibleName("Profile name")
        self.name.setMaxLength(MAX_NAME_LENGTH)
        self.name.selectAll()
        self.error = InlineMessage("error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Rename")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name", self.name)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(440, self.sizeHint().height())

    def _submit(self) -> None:
        name = " ".join(self.name.text().split())
        problem = name_problem(name, self._taken)
        if problem is not None:
            self.error.show_message(problem)
            fit_to_contents(self)
            self.name.setFocus()
            return
        self.renamed.emit(name)
        self.accept()


class ProfileSwitching(QObject):
    """Switch to another profile, or add one from discovery; the profile list is saved each time.

    Built with the window's chrome (the profile list is in the toolbar); adding a profile
    needs the HTTP client, so it waits for :meth:`attach`.
    """

    current_changed = Signal()
    removed = Signal(str)

    def __init__(
        self,
        profiles: ProfileStore,
        messages: MessageBridge,
        dialog_parent: QWidget,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._profiles = profiles
        self._messages = messages
        self._dialog_parent = dialog_parent
        self._runner: TaskRunner | None = None
        self._services: CoreServices | None = None
        self.dialog: AddProfileDialog | None = None
        self.rename_dialog: RenameProfileDialog | None = None
        self.remove_box: QMessageBox | None = None
        # The profiles used before the current one, most recent last (this run only): where
        # removing the current profile goes back to. Changes made by another process (a
        # `login` in a terminal) are noticed at the next action here (:meth:`_note_current`).
        self._used_before: list[str] = []
        self._current_seen = profiles.current_id

    def attach(self, runner: TaskRunner, services: CoreServices) -> None:
        """The task runner and the services, once they exist: adding a profile works from here."""
        self._runner = runner
        self._services = services

    def switch_to(self, profile_id: str) -> None:
        """Make ``profile_id`` current (saved)."""
        try:
            self._profiles.get(profile_id)
        except ConfigError as exc:
            self._messages.error(str(exc))
            return
        self._note_current()
        self._profiles.current_id = profile_id
        self._save()
        self._note_current()
        self.current_changed.emit()

    def _note_current(self) -> None:
        """Remember the profile that was current until now, if the current one changed."""
        current = self._profiles.current_id
        if current == self._current_seen:
            return
        if self._current_seen in self._used_before:
            self._used_before.remove(self._current_seen)
        self._used_before.append(self._current_seen)
        self._current_seen = current

    def _previous_profile(self, removed_id: str) -> Profile | None:
        """The most recently used profile before ``removed_id`` that still exists."""
        for profile_id in reversed(self._used_before):
            profile = self._profiles.profiles.get(profile_id)
            if profile is not None and profile_id != removed_id:
                return profile
        return None

    def add_profile(self) -> AddProfileDialog | None:
        """Open "Add profile…" (issuer URL, client id → discovery → a new current profile)."""
        services, runner = self._services, self._runner
        if services is None or runner is None:
            self._messages.warning("Still starting up: try again in a moment.")
            return None
        http = services.http

        async def discover(issuer: str) -> Any:
            from twinedge_desktop.auth.discovery import discover as run_discovery

            return await run_discovery(http, issuer)

        dialog = AddProfileDialog(discover, runner, self._profiles, self._dialog_parent)
        dialog.profile_created.connect(self.add)
        self._open(dialog, "dialog")
        return dialog

    def add(self, profile: Profile) -> None:
        """Keep ``profile`` and make it current (saved)."""
        self._note_current()
        self._profiles.put(profile, make_current=True)
        self._save()
        self._note_current()
        self._messages.info(f"Added the profile {profile.name}.")
        self.current_changed.emit()

    def rename_current(self) -> RenameProfileDialog | None:
        """Profile ▸ Rename profile…: a new name for the current profile (not a built-in)."""
        profile = self._profiles.current
        if profile.builtin:
            self._messages.info(f"{profile.name} is built in: it keeps its name.")
            return None
        taken = [p.name for p in self._profiles.profiles.values() if p.id != profile.id]
        dialog = RenameProfileDialog(profile, taken, self._dialog_parent)
        dialog.renamed.connect(lambda name: self.rename(profile.id, name))
        self._open(dialog, "rename_dialog")
        return dialog

    def rename(self, profile_id: str, name: str) -> None:
        profile = self._profiles.profiles.get(profile_id)
        if profile is None or profile.builtin or profile.name == name:
            return
        others = [p.name for p in self._profiles.profiles.values() if p.id != profile_id]
        problem = name_problem(name, others)
        if problem is not None:  # another process took the name while the dialog was open
            self._messages.warning(problem)
            return
        self._profiles.put(replace(profile, name=name))
        self._save()
        self._messages.info(f"Renamed the profile {profile.name} to {name}.")
        self.current_changed.emit()

    def remove_current(self) -> QMessageBox | None:
        """Profile ▸ Remove profile…: after a confirmation (Cancel is the default), sign the
        current profile out, delete its saved sign-in and forget it. Not a built-in one."""
        profile = self._profiles.current
        if profile.builtin:
            self._messages.info(f"{profile.name} is built in: it cannot be removed.")
            return None
        if self._services is None or self._runner is None:
            self._messages.warning("Still starting up: try again in a moment.")
            return None
        box = QMessageBox(self._dialog_parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("TwinEdge — Remove profile")
        box.setText(f"Remove the profile {profile.name}?")
        box.setInformativeText(
            f"TwinEdge Desktop signs out of {profile.issuer} (the server revokes the sign-in) "
            "and deletes the saved sign-in from your keychain. Your API keys stay at the "
            "server. You can add the profile again from its issuer URL."
        )
        remove = box.addButton("Sign out and remove", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)  # Enter never removes
        box.setEscapeButton(cancel)
        box.buttonClicked.connect(
            lambda button: self._confirmed_removal(profile) if button is remove else None
        )
        self._open(box, "remove_box")
        return box

    def _confirmed_removal(self, profile: Profile) -> None:
        if self._runner is None:
            return
        self._runner.start(self.remove(profile.id), owner=self, name="remove-profile")

    async def remove(self, profile_id: str) -> None:
        """Sign ``profile_id`` out (revoked, deleted from the keychain) and forget it."""
        profile = self._profiles.profiles.get(profile_id)
        services = self._services
        if profile is None or profile.builtin or services is None:
            return
        self._note_current()
        session = services.session_for(profile)
        await session.sign_out()  # revokes (best effort) and deletes the keychain entry
        self._profiles.profiles.pop(profile_id, None)
        now_using = ""
        if self._profiles.current_id == profile_id:
            # Back to the profile the person used before this one, else the default.
            previous = self._previous_profile(profile_id)
            self._profiles.current_id = previous.id if previous is not None else CLOUD_PROFILE_ID
            how = "the profile you used before" if previous is not None else "the default"
            now_using = f" Now using {self._profiles.current.name} ({how})."
        self._save()
        self._note_current()
        if profile_id in self._used_before:  # gone: a profile of that id made later is new
            self._used_before.remove(profile_id)
        outcome = (
            "its sign-in was revoked and deleted from the keychain"
            if session.last_sign_out_revoked
            else "its saved sign-in was deleted from the keychain"
        )
        self._messages.info(f"Removed the profile {profile.name}: {outcome}.{now_using}")
        self.removed.emit(profile_id)
        self.current_changed.emit()

    def _open(self, dialog: QDialog, attribute: str) -> None:
        """Open ``dialog`` as ``self.<attribute>`` until it closes (open(), not exec(): no
        nested event loop inside the qasync loop)."""
        setattr(self, attribute, dialog)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def closed(*_args: object) -> None:
            if getattr(self, attribute) is dialog:
                setattr(self, attribute, None)

        dialog.destroyed.connect(closed)
        dialog.open()

    def _save(self) -> None:
        try:
            self._profiles.save()
        except OSError as exc:
            self._messages.warning(f"Could not save the profile list: {exc.strerror or exc}")
