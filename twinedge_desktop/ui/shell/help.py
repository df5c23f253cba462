"""The Help menu's work: About, Copy diagnostics, the log file's location and folder.

Everything here is said without a secret: the diagnostics are redacted by
:func:`~twinedge_desktop.diagnostics.collect_diagnostics`, and the log is redacted
before it is written.

Built with the window's first frame, so Qt's ``Qt`` namespace (~35 ms to import, measured)
is imported inside the methods that use it, after the paint.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from twinedge_desktop import APP_NAME, __version__
from twinedge_desktop.ui.common.style import icon

if TYPE_CHECKING:
    from twinedge_desktop.config import ProfileStore
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.common.messages import MessageBridge

HOMEPAGE = "https://api.twinedgeai.com"  # pyproject.toml's [project.urls] Homepage
LICENCE = "MIT"


class Help(QObject):
    """Help ▸ …, for one window. ``log_file`` is set once logging is configured (``app.py``),
    ``services`` once they exist: until then the texts say the app is still starting."""

    def __init__(self, window: QWidget, profiles: ProfileStore, messages: MessageBridge) -> None:
        super().__init__(window)
        self._window = window
        self._profiles = profiles
        self._messages = messages
        self.log_file: Path | None = None
        self.services: CoreServices | None = None
        self.about_box: QMessageBox | None = None
        self.log_location_box: QMessageBox | None = None

    def about(self) -> QMessageBox:
        """Help ▸ About: version, licence and links."""
        from PySide6.QtCore import Qt

        box = QMessageBox(self._window)
        box.setObjectName("about")
        box.setWindowTitle(f"About {APP_NAME}")
        box.setIconPixmap(icon("shield").pixmap(48, 48))
        box.setText(f"<b>{APP_NAME}</b> {__version__}")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setInformativeText(
            "Sign in to the TwinEdge industrial API, manage API keys and inspect tokens.<br><br>"
            f"Licence: {LICENCE}<br>"
            f'Website: <a href="{HOMEPAGE}">{HOMEPAGE}</a><br>'
            "Help ▸ Copy diagnostics puts what a bug report needs on the clipboard."
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.about_box = box
        box.open()
        return box

    def diagnostics_text(self) -> str:
        """The redacted report behind Help ▸ Copy diagnostics (no secret, ever)."""
        from twinedge_desktop.diagnostics import collect_diagnostics

        services = self.services
        if services is None:
            backend: str | None = "not opened yet (the app is still starting)"
        elif services.keychain_error is not None:
            backend = None  # collect_diagnostics says "none available"
        else:
            backend = str(services.credential_store.backend_name)
        return collect_diagnostics(self._profiles, backend, log_file=self.log_file)

    def copy_diagnostics(self) -> None:
        """Help ▸ Copy diagnostics: versions, platform, keychain, endpoints; redacted."""
        QGuiApplication.clipboard().setText(self.diagnostics_text())
        self._messages.info(
            "Diagnostics copied to the clipboard (versions, platform, keychain, endpoints; "
            "no tokens or keys). Paste them into your bug report."
        )

    def show_log_location(self) -> QMessageBox:
        """Help ▸ Show log file location: the path, selectable, and a way to open its folder."""
        from PySide6.QtCore import Qt

        box = QMessageBox(self._window)
        box.setObjectName("log-location")
        box.setWindowTitle("Log file")
        if self.log_file is None:
            box.setText("The log file is not set up yet (the app is still starting).")
        else:
            from twinedge_desktop.logging_setup import BACKUP_COUNT, MAX_LOG_BYTES

            box.setText(str(self.log_file))
            box.setInformativeText(
                f"Rotated at {MAX_LOG_BYTES // 1_000_000} MB ({BACKUP_COUNT} old files kept). "
                "Tokens, keys and codes are redacted before anything is written. Add --debug "
                "to the command line for more detail."
            )
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            open_folder = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
            open_folder.clicked.connect(self.open_log_folder)
        box.addButton(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.log_location_box = box
        box.open()
        return box

    def open_log_folder(self) -> bool:
        """Help ▸ Open log folder, in the system's file manager."""
        if self.log_file is None:
            self._messages.warning("The log file is not set up yet: try again in a moment.")
            return False
        folder = self.log_file.parent
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            return True
        self._messages.warning(f"Could not open a file manager. The log folder is {folder}")
        return False
