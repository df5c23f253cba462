"""What other processes changed while the window was in the background, noticed.

The window, ``twinedge-desktop login``/``logout``/``token``, scripts and the SDK share the
profiles file and the keychain. When the window is activated, and when the profile list
or the Profile menu opens, it looks:

- the profiles file (one ``stat``, :meth:`ProfileStore.changed_on_disk`): a profile
  added by ``login --issuer`` appears in the switcher, one renamed or removed elsewhere
  follows, a newly current one becomes current here too; this window's own unsaved
  changes stay on top (:meth:`ProfileStore.reload` merges), so nothing is lost;
- the current profile's sign-in (one keychain read, :meth:`Session.sync_with_keychain`):
  signed out elsewhere ends it here with a reason, signed in or renewed elsewhere is
  adopted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

from twinedge_desktop.config import ConfigError, ProfileStore

if TYPE_CHECKING:
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.shell.main_window import MainWindow


class ActivationSync(QObject):
    """Follows other processes' changes for one window (see module docstring)."""

    def __init__(self, window: MainWindow, profiles: ProfileStore, messages: MessageBridge) -> None:
        super().__init__(window)
        self._window = window
        self._profiles = profiles
        self._messages = messages
        self._runner: TaskRunner | None = None
        self._services: CoreServices | None = None
        window.installEventFilter(self)
        window.profile_switcher.opening.connect(self.check_profiles)
        if window.window_actions is not None:
            window.window_actions.profile_menu.aboutToShow.connect(self.check_profiles)

    def attach(self, runner: TaskRunner, services: CoreServices) -> None:
        """The services exist: the sign-in can be followed too from now on."""
        self._runner = runner
        self._services = services

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.WindowActivate:
            self.window_activated()
        return False

    def window_activated(self) -> None:
        self.check_profiles()
        self.follow_sign_in()

    def check_profiles(self) -> bool:
        """Take in the profiles file if another process changed it; True when it did."""
        profiles = self._profiles
        if not profiles.changed_on_disk():
            return False
        current = profiles.current_id
        try:
            changed = profiles.reload()
        except ConfigError as exc:  # damaged meanwhile: keep what the window has
            self._messages.warning(str(exc))
            return False
        if changed:
            self._window.profiles_changed()
            if profiles.current_id != current:
                self._messages.info(
                    f"{profiles.current.name} is the current profile now: it was chosen in "
                    "another TwinEdge Desktop process."
                )
        return changed

    def follow_sign_in(self) -> None:
        """Look at the current profile's stored sign-in (another process may have changed it)."""
        runner, services = self._runner, self._services
        if runner is None or services is None:
            return
        session = services.session_for(self._profiles.current)
        runner.start(session.sync_with_keychain(), owner=self, name="sync-sign-in")
