"""Secondary sign-in dialogs: a service account (client credentials) and an API key.

Both only collect input; the session controller runs the sign-in. Secret fields
are masked, with a "Show" toggle, and their text is cleared when the dialog closes.
A problem with the input is said inside the dialog, which grows to show it.

Signals:
    ServiceSignInDialog.submitted(str, str, list): client id, client secret, scopes.
    ApiKeyDialog.submitted(str): the API key.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.keyformat import KeyCheck, check_key
from twinedge_desktop.scopes import SCOPES
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.style import set_role
from twinedge_desktop.ui.common.widgets import fit_to_contents

DIALOG_WIDTH = 520  # wide enough for the intros in a few lines; narrower than the window


def masked_field(accessible_name: str) -> tuple[QLineEdit, QCheckBox, QHBoxLayout]:
    """A password-mode line edit and a "Show" check box that reveals it."""
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(accessible_name)
    show = QCheckBox("Show")
    show.setAccessibleName(f"Show {accessible_name.lower()}")
    show.toggled.connect(
        lambda on: edit.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        )
    )
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(show)
    return edit, show, row


class ServiceSignInDialog(QDialog):
    """Client id, client secret and scopes for a service account."""

    submitted = Signal(str, str, list)

    def __init__(
        self,
        default_client_id: str = "",
        parent: QWidget | None = None,
        *,
        scopes: Sequence[str] = (),
        problem: str | None = None,
    ) -> None:
        """``scopes`` are ticked, and ``problem`` (why the last attempt failed) is shown,
        when the dialog reopens after a failed sign-in; the secret is always typed again."""
        super().__init__(parent)
        self.setWindowTitle("TwinEdge — Service account sign-in")
        intro = QLabel(
            "Sign in as a service account with its client id and secret (OAuth client "
            "credentials). Service tokens cannot manage API keys; they are for checking "
            "what a service can reach."
        )
        intro.setWordWrap(True)
        self.client_id = QLineEdit(default_client_id)
        self.client_id.setAccessibleName("Client ID")
        self.client_id.setPlaceholderText("e.g. twinedge-service")
        self.secret, self.show_secret, secret_row = masked_field("Client secret")
        self.scope_boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for index, scope in enumerate(SCOPES):
            box = QCheckBox(scope.name)
            box.setToolTip(scope.description)
            box.setAccessibleName(f"{scope.name}: {scope.description}")
            box.setChecked(scope.name in scopes)
            self.scope_boxes[scope.name] = box
            grid.addWidget(box, index // 2, index % 2)
        hint = QLabel("No scope ticked asks for the client's default scopes.")
        set_role(hint, "muted")
        form = QFormLayout()
        form.addRow("Client ID", self.client_id)
        form.addRow("Client secret", secret_row)
        form.addRow("Scopes", grid)
        form.addRow("", hint)
        self.error = InlineMessage("error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.finished.connect(lambda _result: self.secret.clear())
        self.resize(DIALOG_WIDTH, self.sizeHint().height())
        if problem:
            self.show_problem(f"The last attempt failed: {problem}")
        if default_client_id:
            self.secret.setFocus()

    def show_problem(self, text: str) -> None:
        """Say what is wrong inside the dialog, which grows to show it."""
        self.error.show_message(text)
        fit_to_contents(self)

    def _submit(self) -> None:
        client_id = self.client_id.text().strip()
        secret = self.secret.text()
        if not client_id or not secret:
            self.show_problem("Enter both the client id and the client secret.")
            return
        scopes = [name for name, box in self.scope_boxes.items() if box.isChecked()]
        self.submitted.emit(client_id, secret, scopes)
        self.accept()


_KEY_PROBLEMS = {
    KeyCheck.NOT_A_KEY: "That is not a TwinEdge API key: keys start with te_.",
    KeyCheck.WRONG_LENGTH: "That key has the wrong length: a TwinEdge key has 41 characters. "
    "Was it copied completely?",
    KeyCheck.BAD_CHARACTERS: "That key contains characters a TwinEdge key never has.",
    KeyCheck.BAD_CHECKSUM: "That key's checksum does not match: a character was probably "
    "mistyped or lost when copying.",
}


class ApiKeyDialog(QDialog):
    """An API key to check what it can read (read-only)."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, problem: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("TwinEdge — Use an API key")
        intro = QLabel(
            "Paste an API key (it starts with te_) to see its organisation and scopes. "
            "The key is used for read-only checks in this session and is not saved."
        )
        intro.setWordWrap(True)
        self.key, self.show_key, key_row = masked_field("API key")
        self.key.setPlaceholderText("te_…")
        self.error = InlineMessage("error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use key")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("API key", key_row)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.finished.connect(lambda _result: self.key.clear())
        self.resize(DIALOG_WIDTH, self.sizeHint().height())
        if problem:
            self.show_problem(f"The last key did not work: {problem}")

    def show_problem(self, text: str) -> None:
        """Say what is wrong inside the dialog, which grows to show it."""
        self.error.show_message(text)
        fit_to_contents(self)

    def _submit(self) -> None:
        key = self.key.text().strip()
        problem = _KEY_PROBLEMS.get(check_key(key))
        if problem:
            self.show_problem(problem)
            return
        self.submitted.emit(key)
        self.accept()
