"""Choosing which TwinEdge to talk to: the profile switcher and "Add profile…".

A profile is created from an issuer URL by discovery (RFC 8414): the dialog
checks the URL (HTTPS, or HTTP to this computer only), reads the server's
metadata and builds the profile; nothing else is needed but a client id.

:class:`ProfileSwitching` is what switching and adding do (make current, save, say so);
the Account page then binds the current profile's session.

Signals:
    ProfileSwitcher.profile_chosen(str): the id of the profile the person picked.
    ProfileSwitcher.add_requested(): the person picked "Add profile…".
    AddProfileDialog.profile_created(Profile): discovery succeeded; the new profile.
    ProfileSwitching.current_changed(): another profile is current (and saved).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.config import (
    DESKTOP_CLIENT_ID,
    ConfigError,
    Profile,
    profile_id_for_issuer,
)
from twinedge_desktop.ui.common.style import icon

if TYPE_CHECKING:
    from twinedge_desktop.config import ProfileStore
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.tasks import TaskRunner

ADD_PROFILE = "__add__"

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


def origin_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ProfileSwitcher(QComboBox):
    """The toolbar's profile list, ending with "Add profile…"."""

    profile_chosen = Signal(str)
    add_requested = Signal()

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
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._discover = discover
        self._runner = runner
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

    def check_and_add(self) -> None:
        issuer, problem = check_url(self.issuer.text())
        if problem is None and not self.client_id.text().strip():
            problem = "Enter the client id registered for this app."
        api_base: str | None = None
        if problem is None and self.api_base.text().strip():
            api_base, problem = check_url(self.api_base.text(), "API base URL")
        if problem is not None or issuer is None:
            self.status.setText(problem or "")
            return
        self.ok_button.setEnabled(False)
        self.status.setText(f"Reading the settings of {issuer}…")
        self._runner.start(
            self._discover_and_build(issuer, api_base),
            owner=self,
            on_error=self._failed,
            name="discovery",
        )

    async def _discover_and_build(self, issuer: str, api_base: str | None) -> None:
        from urllib.parse import urlsplit

        metadata = await self._discover(issuer)
        announced = str(metadata.issuer).rstrip("/")
        host = urlsplit(announced).hostname or announced
        profile = Profile(
            id=profile_id_for_issuer(announced),
            name=self.name.text().strip() or host,
            issuer=announced,
            client_id=self.client_id.text().strip(),
            api_base=api_base,
            audience=origin_of(api_base) if api_base else None,
        )
        self.ok_button.setEnabled(True)
        self.status.setText("")
        self.profile_created.emit(profile)
        self.accept()

    def _failed(self, exc: BaseException) -> bool:
        from twinedge_desktop.ui.common.tasks import describe_error

        self.ok_button.setEnabled(True)
        self.status.setText(describe_error(exc))
        return True


class ProfileSwitching(QObject):
    """Switch to another profile, or add one from discovery; the profile list is saved each time.

    Built with the window's chrome (the profile list is in the toolbar); adding a profile
    needs the HTTP client, so it waits for :meth:`attach`.
    """

    current_changed = Signal()

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
        self._profiles.current_id = profile_id
        self._save()
        self.current_changed.emit()

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

        dialog = AddProfileDialog(discover, runner, self._dialog_parent)
        dialog.profile_created.connect(self.add)
        # open(), not exec(): no nested event loop inside the qasync loop.
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def add(self, profile: Profile) -> None:
        """Keep ``profile`` and make it current (saved)."""
        self._profiles.put(profile, make_current=True)
        self._save()
        self._messages.info(f"Added the profile {profile.name}.")
        self.current_changed.emit()

    def _dialog_closed(self, *_args: object) -> None:
        self.dialog = None

    def _save(self) -> None:
        try:
            self._profiles.save()
        except OSError as exc:
            self._messages.warning(f"Could not save the profile list: {exc.strerror or exc}")
