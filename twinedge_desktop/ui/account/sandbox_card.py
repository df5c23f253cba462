"""How to sign in to the local sandbox: its demo accounts and password, and its service client.

Shown on the sandbox profile's Account page (while signed out, and below the account when
signed in), so a person trying the app with ``--sandbox`` can use every way of signing in
without reading the terminal: the browser sign-in with a demo account, "Service account…"
with the service client's id and secret, and an API key made on the API Keys page.

The service client's secret is a demo secret but is handled as a secret: masked until
"Show", copied with the password-manager markers and cleared from the clipboard after the
person's clipboard time (:class:`~twinedge_desktop.ui.common.clipboard.SecretClipboard`),
never logged.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.page import SandboxAccess
from twinedge_desktop.ui.common.style import icon, set_role
from twinedge_desktop.ui.common.text import escape
from twinedge_desktop.ui.common.widgets import label

# The sandbox's published default (DESIGN.md, README): shown so a person can sign in.
DEFAULT_DEMO_PASSWORD = "twinedge-demo"  # noqa: S105
COPIED_LABEL_MS = 2000


class SandboxCard(QFrame):
    """The local sandbox's demo accounts and service client (see module docstring)."""

    def __init__(self, clear_after_seconds: Callable[[], int], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        set_role(self, "card")
        self._clear_after_seconds = clear_after_seconds
        self._access: SandboxAccess | None = None
        self._clipboard = SecretClipboard(parent=self)
        self._clipboard.remaining_changed.connect(self._clipboard_countdown)

        self.title = label("Local sandbox", "subheading", wrap=False)
        self.accounts = label()
        self.accounts.setAccessibleName("Sandbox demo accounts")
        self.client_id = QLineEdit()
        self.client_id.setReadOnly(True)
        self.client_id.setAccessibleName("Sandbox service client id")
        self.copy_id_button = QPushButton(icon("copy"), "Copy")
        self.copy_id_button.setAccessibleName("Copy the service client id")
        self.copy_id_button.clicked.connect(self.copy_client_id)
        self.secret = QLineEdit()
        self.secret.setReadOnly(True)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Sandbox service client secret")
        # A toggle button, not a check box: it looks the same in a card in both themes.
        self.show_secret = QPushButton("Show")
        self.show_secret.setCheckable(True)
        self.show_secret.setAccessibleName("Show the service client secret")
        self.show_secret.toggled.connect(self._reveal)
        self.copy_secret_button = QPushButton(icon("copy"), "Copy")
        self.copy_secret_button.setAccessibleName("Copy the service client secret")
        self.copy_secret_button.clicked.connect(self.copy_secret)
        self.service_hint = label("", "muted")

        id_row = QHBoxLayout()
        id_row.addWidget(self.client_id, 1)
        id_row.addWidget(self.copy_id_button)
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret, 1)
        secret_row.addWidget(self.show_secret)
        secret_row.addWidget(self.copy_secret_button)
        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self._form.addRow("Service client", id_row)
        self._form.addRow("Client secret", secret_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.accounts)
        layout.addLayout(self._form)
        layout.addWidget(self.service_hint)
        self.set_access(None)

    @property
    def access(self) -> SandboxAccess | None:
        return self._access

    def set_access(self, access: SandboxAccess | None) -> None:
        """Show ``access`` (the sandbox this app runs), or what is known of one started
        elsewhere (None: the default demo password, and where to find its secret)."""
        self._access = access
        users = access.demo_users if access else ()
        password = access.demo_password if access else DEFAULT_DEMO_PASSWORD
        people = ", ".join(f"<b>{escape(user)}</b>" for user in users) or (
            "<b>engineer@example.com</b>, <b>admin@example.com</b> or <b>viewer@example.com</b>"
        )
        default = "" if access else " (unless the sandbox was started with another)"
        self.accounts.setText(
            f"Sign in with your browser as {people}: the password is "
            f"<b>{escape(password)}</b>{default}."
        )
        known = access is not None
        self.client_id.setText(access.service_client_id if access else "")
        self.secret.setText(access.service_client_secret if access else "")
        self.secret.setCursorPosition(0)
        self.show_secret.setChecked(False)
        for row in range(self._form.rowCount()):  # the service client's id and secret
            self._form.setRowVisible(row, known)
        self.service_hint.setText(
            "Service account… signs in with this client id and secret (client credentials)."
            if known
            else "Its service client's secret is printed in the terminal where the sandbox "
            "started (twinedge-desktop sandbox)."
        )

    def _reveal(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.secret.setEchoMode(mode)
        self.show_secret.setText("Hide" if shown else "Show")

    def copy_client_id(self) -> None:
        if self._access is not None:  # an id is not a secret: a plain copy
            QGuiApplication.clipboard().setText(self._access.service_client_id)
            self._flash(self.copy_id_button, "Copied")

    def copy_secret(self) -> None:
        """Copy the secret as a password manager would; cleared after the person's time."""
        if self._access is None:
            return
        self._clipboard.copy(self._access.service_client_secret, self._clear_after_seconds())

    def _clipboard_countdown(self, remaining: int) -> None:
        if remaining > 0:
            self.copy_secret_button.setText(f"Copied ({remaining} s)")
        else:
            self.copy_secret_button.setText("Copy")

    def _flash(self, button: QPushButton, text: str) -> None:
        button.setText(text)
        QTimer.singleShot(COPIED_LABEL_MS, self, lambda: button.setText("Copy"))
