"""Create an API key: the form, Create/Cancel, and errors inline.

The request goes through :class:`~twinedge_desktop.ui.keys.dialogs.submit.KeySubmission`
(one Idempotency-Key per dialog, so pressing Create again after a lost response cannot
make a second key); the new key and its secret go to the copy-once dialog.

The form sits in a :class:`~twinedge_desktop.ui.common.dialog_body.DialogBody`: when
validation messages or the "never expires" warning appear, the dialog grows to show them
(the scopes box keeps its rows) and, on a small screen, scrolls.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QVBoxLayout, QWidget

from twinedge_desktop.api.models import CreatedApiKey
from twinedge_desktop.timefmt import Clock, utc_now
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.form import KeyForm
from twinedge_desktop.ui.keys.dialogs.submit import KeySubmission

if TYPE_CHECKING:
    from twinedge_desktop.api.keys import ApiKeysService


class CreateKeyDialog(QDialog):
    """The "Create API key" dialog. Open it with ``open()``; it reports through signals.

    Signals:
        created(CreatedApiKey): the server created the key; the dialog then closes.
            The receiver owns the secret from here on (the copy-once dialog).
    """

    created = Signal(object)

    def __init__(
        self,
        service: ApiKeysService,
        runner: TaskRunner,
        session_scopes: Sequence[str] | None,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
        existing_names: Collection[str] = (),
    ) -> None:
        """``existing_names``: the person's active keys' names (a reused one gets a warning)."""
        super().__init__(parent)
        self.setWindowTitle("Create API key")
        self.setAccessibleName("Create API key")
        self._runner = runner
        self.form = KeyForm(session_scopes, clock=clock, existing_names=existing_names)
        self.error = InlineMessage("error")
        self.error.setObjectName("createError")
        self.submission = KeySubmission(
            self.form,
            service,
            runner,
            self.error,
            owner=self,
            task_name="create-api-key",
            retry_hint="Pressing Create again is safe: it repeats the same request, so it "
            "cannot make a second key.",
        )
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.setAccessibleName("Creating the key")
        self.progress.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("&Create key")
        self.create_button.setAccessibleName("Create key")
        self.create_button.setDefault(True)
        self.create_button.setProperty("primary", True)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            "The full key is shown once, right after it is created. Grant only the scopes "
            "the key needs."
        )
        intro.setWordWrap(True)
        column.addWidget(intro)
        column.addWidget(self.form)
        column.addWidget(self.error)
        column.addStretch(1)
        self.body = DialogBody(content, self, preferred_width=520)
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.submission.busy_changed.connect(self._busy_changed)
        self.submission.created.connect(self._created)
        self.form.name_edit.setFocus()

    @property
    def idempotency_key(self) -> str:
        return self.submission.idempotency_key

    @property
    def busy(self) -> bool:
        return self.submission.busy

    def submit(self) -> None:
        """Validate, then send the request (errors come back inline)."""
        self.submission.submit()

    def _created(self, created: CreatedApiKey) -> None:
        self.created.emit(created)
        del created  # the receiver keeps it; this dialog does not
        self.accept()

    def _busy_changed(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        # Enabled even when something is missing: pressing it shows what, inline.
        self.create_button.setEnabled(not busy)

    def reject(self) -> None:
        # Closing while the request runs cancels the task (owner=self); the Idempotency-Key
        # goes with the dialog, so a new dialog is a new request by design.
        self._runner.cancel_owned_by(self)
        super().reject()
