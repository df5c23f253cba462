"""Send the form's new key to the server: the one submit-and-retry both "Create API key" and
the rotation use.

:class:`KeySubmission` draws one Idempotency-Key when it is built and sends it with every
attempt, so pressing Create again after a lost response gets the server's stored answer
(the same key and secret) instead of a second key. A retry must send the *same* body for
the server to recognise it, so :class:`DraftMemory` keeps the exact request of an attempt
whose outcome is unknown. Errors are shown inline: next to the field the server named
(422), else below the form, saying when trying again is safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from twinedge_desktop.api.errors import ApiError, NetworkError
from twinedge_desktop.api.keys import new_idempotency_key
from twinedge_desktop.api.models import CreatedApiKey
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.keys.dialogs.form import KeyDraft, KeyForm

if TYPE_CHECKING:
    from twinedge_desktop.api.keys import ApiKeysService


class DraftMemory:
    """Keeps the exact request of an attempt whose outcome is unknown (the response was lost).

    A retry must send the *same* body with the same Idempotency-Key, or the server
    cannot recognise it as a replay: a preset expiry like "90 days" is an instant
    computed at submit time, so it is frozen here until the person changes the form.
    """

    def __init__(self) -> None:
        self._signature: tuple[object, ...] | None = None
        self._draft: KeyDraft | None = None

    def draft_for(self, form: KeyForm) -> KeyDraft:
        if self._draft is not None and form.signature() == self._signature:
            return self._draft
        return form.draft()

    def outcome_unknown(self, form: KeyForm, draft: KeyDraft) -> None:
        self._signature, self._draft = form.signature(), draft

    def forget(self) -> None:
        self._signature, self._draft = None, None


class KeySubmission(QObject):
    """Submits ``form`` as a new key, retry-safe (see module docstring).

    The request runs through ``runner`` as a task of ``owner`` (the dialog): closing the
    dialog cancels it. ``retry_hint`` is the sentence added when a response was lost.

    Signals:
        busy_changed(bool): a request started (True) or ended (False).
        created(CreatedApiKey): the server created the key. The receiver owns the secret.
    """

    busy_changed = Signal(bool)
    created = Signal(object)

    def __init__(
        self,
        form: KeyForm,
        service: ApiKeysService,
        runner: TaskRunner,
        error: InlineMessage,
        *,
        owner: QObject,
        task_name: str,
        retry_hint: str,
    ) -> None:
        super().__init__(owner)
        self._form = form
        self._service = service
        self._runner = runner
        self._error = error
        self._owner = owner
        self._task_name = task_name
        self._retry_hint = retry_hint
        # One key for the owner's lifetime: a retry after a lost response is a replay.
        self.idempotency_key = new_idempotency_key()
        self._drafts = DraftMemory()
        self._last_draft: KeyDraft | None = None
        self.busy = False

    def submit(self) -> bool:
        """Validate, then send the request; False when it was not sent (busy, or a problem
        in the form, now shown inline)."""
        if self.busy:
            return False
        self._error.clear_message()
        if not self._form.show_problems():
            return False
        draft = self._drafts.draft_for(self._form)
        self._last_draft = draft
        self._set_busy(True)
        self._runner.start(
            self._create(draft), owner=self._owner, on_error=self._failed, name=self._task_name
        )
        return True

    async def _create(self, draft: KeyDraft) -> None:
        created: CreatedApiKey = await self._service.create(
            draft.name, draft.scopes, draft.expires_at, idempotency_key=self.idempotency_key
        )
        self._set_busy(False)
        self.created.emit(created)
        del created  # the receiver keeps it; this does not

    def _failed(self, exc: BaseException) -> bool:
        self._set_busy(False)
        text = error_message(exc)
        if (
            isinstance(exc, ApiError)
            and exc.status == 422
            and self._form.set_field_error(exc.field, text)
        ):
            return True
        if isinstance(exc, NetworkError) and self._last_draft is not None:
            # The server may have made the key: the next attempt must be the same request.
            self._drafts.outcome_unknown(self._form, self._last_draft)
            text += f" {self._retry_hint}"
        self._error.show_message(text)
        return True  # shown here, next to what the person typed

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._form.set_inputs_enabled(not busy)
        self.busy_changed.emit(busy)
