"""Rotate an API key, following the product page's "Key Rotation":
create a new key, update your applications, delete the old key.

Steps, in one dialog:

1. **New key**: the form pre-filled from the old key (same scopes, same expiry
   policy: its lifetime in days from today, or "never"); one Idempotency-Key for
   the whole flow, so a retry after a lost response cannot make two keys.
2. **Copy**: the copy-once panel; "Next" waits for "I have stored this key".
   Leaving this step wipes the secret.
3. **Update your applications**: where the old key is used, and when it was last used,
   read afresh from the server (the list may be hours old, and "used a minute ago"
   is what says an application still needs it); "Check again" reads it again.
4. **Revoke the old key**: now (the revoke confirmation opens) or later, in which
   case a reminder stays on the old key's row.

Closing after the new key exists counts as "later": the reminder is set either way.

The new key's name is the old one with a "(rotated YYYY-MM-DD)" suffix that *replaces* an
earlier one (:func:`rotated_name`), within the API's 64 characters. The dialog is as tall
as the step it shows (a stack sized by its current page, in a
:class:`~twinedge_desktop.ui.common.dialog_body.DialogBody`): step 2's snippets get their
room, steps 3 and 4 no empty area, and a small screen scrolls.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.models import ApiKey, CreatedApiKey, KeyStatus
from twinedge_desktop.timefmt import Clock, absolute_time, utc_now
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.copy_once import DiscardSecretBox, ask_close_without_storing
from twinedge_desktop.ui.common.dialog_body import DialogBody
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.text import escape
from twinedge_desktop.ui.keys.dialogs.copy_once import WHAT, CopyOncePanel
from twinedge_desktop.ui.keys.dialogs.form import NAME_MAX, KeyForm, lifetime_days
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.keys.dialogs.submit import KeySubmission
from twinedge_desktop.ui.keys.dialogs.summary import add_key_summary, last_use_text
from twinedge_desktop.ui.keys.model import key_status

# One or more "(rotated …)" suffixes at the end of a name, whole or cut short (an earlier
# version cut the old suffix at 64 characters and added another: "x (rotated 2026-12
# (rotated 2026-12-04)").
_ROTATED_SUFFIXES = re.compile(r"(?:\s*\(rotated(?:\s[\d-]*)?\)?)+\s*$")

if TYPE_CHECKING:
    from collections.abc import Sequence

    from twinedge_desktop.api.keys import ApiKeysService


class RotationStep(IntEnum):
    """The rotation's steps, in order; the value is the step's index in the dialog's stack."""

    CREATE = 0
    COPY = 1
    UPDATE = 2
    REVOKE = 3


STEP_TITLES = {
    RotationStep.CREATE: "Step 1 of 4 · Create the new key",
    RotationStep.COPY: "Step 2 of 4 · Copy the new key",
    RotationStep.UPDATE: "Step 3 of 4 · Update your applications",
    RotationStep.REVOKE: "Step 4 of 4 · Revoke the old key",
}


def rotated_name(old_name: str, now: datetime) -> str:
    """The new key's name: ``old_name`` without its "(rotated …)" suffixes, plus today's,
    within :data:`NAME_MAX` characters. The suffix stays whole; a base too long for the
    rest is cut and ends in "…"."""
    suffix = f"(rotated {now.astimezone().strftime('%Y-%m-%d')})"
    base = _ROTATED_SUFFIXES.sub("", old_name).strip()
    room = NAME_MAX - len(suffix) - 1  # the space between them
    if len(base) > room:
        base = base[: room - 1].rstrip() + "…"
    return f"{base} {suffix}" if base else suffix


class CurrentPageStack(QStackedWidget):
    """A stack as large as the page it shows (``QStackedWidget`` is as large as its largest
    page, which leaves the short steps mostly empty)."""

    def sizeHint(self) -> QSize:
        current = self.currentWidget()
        return current.sizeHint() if current is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        current = self.currentWidget()
        return current.minimumSizeHint() if current is not None else super().minimumSizeHint()

    def hasHeightForWidth(self) -> bool:
        current = self.currentWidget()
        return current.hasHeightForWidth() if current is not None else False

    def heightForWidth(self, width: int) -> int:
        # QStackedLayout answers for its tallest page; a scroll area asks this.
        current = self.currentWidget()
        return current.heightForWidth(width) if current is not None else -1


def reminder_text(old: ApiKey, new: ApiKey, now: datetime) -> str:
    return (
        f"Rotated on {absolute_time(now)}: replaced by “{new.name}” ({new.prefix}…). "
        "Revoke this key once your applications use the new one."
    )


class RotateKeyDialog(QDialog):
    """The guided rotation. Open with ``open()``.

    Signals:
        created(ApiKey): the new key exists (public fields only), for the list.
        old_revoked(ApiKey): the old key as revoked, for the list to update in place.
        revoke_later(ApiKey, str): the old key stays active; keep the reminder text on its row.
        old_updated(ApiKey): the old key as the server has it now (a fresher last use).
        new_updated(ApiKey): the new key changed on the server (step 2's test used it).
    """

    created = Signal(object)
    old_revoked = Signal(object)
    revoke_later = Signal(object, str)
    old_updated = Signal(object)
    new_updated = Signal(object)

    def __init__(
        self,
        old_key: ApiKey,
        service: ApiKeysService,
        runner: TaskRunner,
        session_scopes: Sequence[str] | None,
        clipboard: SecretClipboard,
        clear_after_seconds: int,
        parent: QWidget | None = None,
        *,
        api_base: str | None = None,
        clock: Clock = utc_now,
        existing_names: Collection[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rotate API key")
        self.setAccessibleName("Rotate API key")
        self._old = old_key
        self._new: ApiKey | None = None
        self._service = service
        self._runner = runner
        self._clipboard = clipboard
        self._clear_after = clear_after_seconds
        self._api_base = api_base
        self._clock = clock
        self._finished_flow = False
        self._next_after_check = False  # "Next" pressed on step 3 while its check runs
        self._last_use_known = True  # False after a failed check: revoking asks for the name
        self._old_settled = False  # the old key turned out revoked or gone elsewhere
        self._confirm: DiscardSecretBox | None = None
        self.revoke_dialog: RevokeKeyDialog | None = None
        self.copy_panel: CopyOncePanel | None = None

        self.step_title = QLabel()
        self.step_title.setAccessibleName("Rotation step")
        self.step_title.setWordWrap(True)
        self.stack = CurrentPageStack()

        # Step 1: the new key, like the old one.
        create_page = QWidget()
        create_layout = QVBoxLayout(create_page)
        create_layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            f"Rotation replaces <b>{escape(old_key.name)}</b> ({escape(old_key.prefix)}…) with a "
            "new key with the same scopes and expiry policy. The old key keeps working until "
            "you revoke it in the last step."
        )
        intro.setWordWrap(True)
        create_layout.addWidget(intro)
        self.form = KeyForm(session_scopes, create_page, clock=clock, existing_names=existing_names)
        self.form.prefill(
            rotated_name(old_key.name, clock()),
            [s for s in old_key.scopes if self.form.restriction_reason(s) is None],
            lifetime_days(old_key),
        )
        dropped = [s for s in old_key.scopes if self.form.restriction_reason(s) is not None]
        self.dropped_note = InlineMessage("warning")
        if dropped:
            self.dropped_note.show_message(
                "The old key has scopes you cannot grant, so the new key will not have them: "
                + ", ".join(dropped)
            )
        create_layout.addWidget(self.form)
        create_layout.addWidget(self.dropped_note)
        self.create_error = InlineMessage("error")
        self.create_error.setObjectName("rotateCreateError")
        create_layout.addWidget(self.create_error)
        self.submission = KeySubmission(
            self.form,
            service,
            runner,
            self.create_error,
            owner=self,  # one Idempotency-Key for the whole rotation
            task_name="rotate-api-key",
            retry_hint="Trying again is safe: it cannot make a second key.",
        )
        self.submission.busy_changed.connect(self._busy_changed)
        self.submission.created.connect(self._created)
        self.stack.addWidget(create_page)

        # Step 2: filled in once the key exists.
        self.copy_page = QWidget()
        QVBoxLayout(self.copy_page).setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(self.copy_page)

        # Step 3: update your applications.
        update_page = QWidget()
        update_layout = QVBoxLayout(update_page)
        update_layout.setContentsMargins(0, 0, 0, 0)
        self.update_text = QLabel()
        self.update_text.setWordWrap(True)
        self.update_text.setAccessibleName("Update your applications")
        update_layout.addWidget(self.update_text)
        self.last_use = QLabel(f"The old key was last used: {last_use_text(old_key, clock())}.")
        self.last_use.setAccessibleName("Old key last used")
        self.last_use.setWordWrap(True)
        self.check_again_button = QPushButton("Check &again")
        self.check_again_button.setAccessibleName("Check again when the old key was last used")
        self.check_again_button.setToolTip(
            "Read the old key's last use from the server again: once your applications use "
            "the new key, it stops changing."
        )
        self.check_again_button.clicked.connect(self.check_last_use)
        last_use_row = QHBoxLayout()
        last_use_row.addWidget(self.last_use, 1)
        last_use_row.addWidget(self.check_again_button)
        update_layout.addLayout(last_use_row)
        update_layout.addStretch(1)
        self.stack.addWidget(update_page)

        # Step 4: revoke now or later.
        revoke_page = QWidget()
        revoke_layout = QVBoxLayout(revoke_page)
        revoke_layout.setContentsMargins(0, 0, 0, 0)
        revoke_intro = QLabel(
            "Revoke the old key as soon as nothing uses it any more. If some application "
            "still needs it, choose “Later”: a reminder stays on the old key in the list."
        )
        revoke_intro.setWordWrap(True)
        revoke_layout.addWidget(revoke_intro)
        self._summary = QFormLayout()
        add_key_summary(self._summary, old_key, clock())
        revoke_layout.addLayout(self._summary)
        buttons_row = QDialogButtonBox()
        self.revoke_now_button = QPushButton("&Revoke old key now…")
        self.revoke_now_button.setAccessibleName("Revoke the old key now")
        self.revoke_now_button.setProperty("danger", True)
        self.later_button = QPushButton("&Later (keep a reminder)")
        self.later_button.setAccessibleName("Revoke later and keep a reminder")
        buttons_row.addButton(self.revoke_now_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons_row.addButton(self.later_button, QDialogButtonBox.ButtonRole.ActionRole)
        revoke_layout.addWidget(buttons_row)
        revoke_layout.addStretch(1)
        self.stack.addWidget(revoke_page)

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()
        self.buttons = QDialogButtonBox()
        self.next_button = self.buttons.addButton(
            "&Create new key", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.next_button.setProperty("primary", True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        self.body = DialogBody(self.stack, self, preferred_width=560)
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step_title)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

        self.next_button.clicked.connect(self.next_step)
        self.cancel_button.clicked.connect(self.reject)
        self.revoke_now_button.clicked.connect(self.revoke_now)
        self.later_button.clicked.connect(self.revoke_later_chosen)
        self._show_step(RotationStep.CREATE)

    # -- state ---------------------------------------------------------------------------

    @property
    def step(self) -> RotationStep:
        return RotationStep(self.stack.currentIndex())

    @property
    def new_key(self) -> ApiKey | None:
        return self._new

    @property
    def idempotency_key(self) -> str:
        return self.submission.idempotency_key

    @property
    def confirmation(self) -> DiscardSecretBox | None:
        return self._confirm

    def _show_step(self, step: RotationStep) -> None:
        changed = self.stack.currentIndex() != step
        self.stack.setCurrentIndex(step)
        self.stack.updateGeometry()
        if changed and self.isVisible():
            # Once the new page's layout is done: as tall as this step, no taller.
            QTimer.singleShot(0, self, self.body.fit_window)
        self.step_title.setText(f"<b>{STEP_TITLES[step]}</b>")
        labels = {
            RotationStep.CREATE: "&Create new key",
            RotationStep.COPY: "&Next",
            RotationStep.UPDATE: "&Next",
        }
        self.next_button.setVisible(step in labels)
        self.next_button.setText(labels.get(step, ""))
        # Not "&Close": step 2's "&Copy" has Alt+C.
        self.cancel_button.setText("Cl&ose" if step is not RotationStep.CREATE else "Cancel")
        self._update_buttons()
        if step is RotationStep.REVOKE:
            self.revoke_now_button.setFocus()

    def _update_buttons(self, *_args: object) -> None:
        enabled = not self.submission.busy
        if self.step is RotationStep.COPY:
            enabled = self.copy_panel is not None and self.copy_panel.acknowledged

        self.next_button.setEnabled(enabled)
        # What Enter does: the step's button, except that before the key is stored,
        # Enter copies it (never "Next" past a key nobody has kept).
        panel = self.copy_panel
        if self.step is RotationStep.COPY and panel is not None and not panel.acknowledged:
            panel.copy_button.setDefault(True)
        elif self.step is not RotationStep.REVOKE:  # there, Enter presses the focused button
            self.next_button.setDefault(True)

    # -- steps ---------------------------------------------------------------------------

    def next_step(self) -> None:
        step = self.step
        if step is RotationStep.CREATE:
            self.submission.submit()
        elif (
            step is RotationStep.COPY
            and self.copy_panel is not None
            and self.copy_panel.acknowledged
        ):
            self.copy_panel.wipe()
            self._show_step(RotationStep.UPDATE)
            self.check_last_use()
        elif step is RotationStep.UPDATE:
            if not self.check_again_button.isEnabled():
                # The old key's last use is still being read: it decides whether revoking
                # asks for the key's name. Go on as soon as it is known.
                self._next_after_check = True
                return
            if self._old_settled:
                self.done(QDialog.DialogCode.Accepted)  # nothing left to revoke
                return
            self._show_step(RotationStep.REVOKE)

    def check_last_use(self) -> None:
        """Read the old key afresh: its last use on step 3, and what step 4 shows and asks."""
        if not self.check_again_button.isEnabled():
            return  # a check is under way
        self.check_again_button.setEnabled(False)
        self.last_use.setText("Checking when the old key was last used…")
        self._runner.start(
            self._check_last_use(),
            owner=self,
            on_error=self._check_failed,
            name="check-old-key-last-use",
        )

    async def _check_last_use(self) -> None:
        # No widget is touched before the answer: closing the dialog cancels this task,
        # and the dialog may be gone by then.
        fresh = await self._service.find(self._old.id)
        self.check_again_button.setEnabled(True)
        self._last_use_known = True
        now = self._clock()
        if fresh is None or key_status(fresh, now) is not KeyStatus.ACTIVE:
            # Revoked (or expired, or deleted) elsewhere meanwhile: nothing left to revoke.
            self._old_settled = True
            state = "no longer listed" if fresh is None else f"already {key_status(fresh, now)}"
            self.last_use.setText(
                f"The old key is {state}: there is nothing left to revoke. "
                "Your applications must use the new key."
            )
            if fresh is not None:
                self._old = fresh
                self.old_updated.emit(fresh)
            self.next_button.setText("&Finish")
            self._next_after_check = False  # say it here rather than on a step with no use
            return
        self._old = fresh
        self.last_use.setText(f"The old key was last used: {last_use_text(fresh, now)}.")
        while self._summary.rowCount():
            self._summary.removeRow(0)
        add_key_summary(self._summary, fresh, now)
        self.old_updated.emit(fresh)
        if self._next_after_check:
            self._next_after_check = False
            self._show_step(RotationStep.REVOKE)

    def _check_failed(self, exc: BaseException) -> bool:
        self.check_again_button.setEnabled(True)
        self._last_use_known = False  # so revoking asks for the key's name
        self._next_after_check = False  # stay: the person reads why, then decides
        self.last_use.setText(
            f"Could not check the old key's last use: {error_message(exc)} "
            f"Last known use: {last_use_text(self._old, self._clock())}. "
            "Check again, or go on: revoking will then ask for the key's name."
        )
        return True

    def _created(self, created: CreatedApiKey) -> None:
        self._new = created.key
        self.created.emit(created.key)
        panel = CopyOncePanel(
            created,
            self._service,
            self._runner,
            self._clipboard,
            self._clear_after,
            self.copy_page,
            api_base=self._api_base,
            clock=self._clock,
        )
        panel.key_updated.connect(self.new_updated)
        del created
        layout = self.copy_page.layout()
        assert layout is not None
        layout.addWidget(panel)
        self.copy_panel = panel
        panel.acknowledged_changed.connect(self._update_buttons)
        self.update_text.setText(
            f"Put the new key <b>{escape(self._new.name)}</b> ({escape(self._new.prefix)}…) "
            f"wherever <b>{escape(self._old.name)}</b> ({escape(self._old.prefix)}…) is used: "
            "environment variables, <tt>.env</tt> files, CI/CD secrets, services and scripts. "
            "Restart or redeploy them, and check that they work with the new key."
        )
        self._show_step(RotationStep.COPY)
        panel.copy_button.setFocus()

    def _busy_changed(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self._update_buttons()

    def revoke_now(self) -> None:
        if self.revoke_dialog is not None:
            return
        dialog = RevokeKeyDialog(
            self._old,
            self._service,
            self._runner,
            self,
            clock=self._clock,
            intro="Revoke the old key now. Applications still using it will get 401 errors.",
            require_name=not self._last_use_known,
        )
        dialog.revoked.connect(self._old_revoked)
        dialog.finished.connect(self._revoke_dialog_closed)
        self.revoke_dialog = dialog
        dialog.open()

    def _revoke_dialog_closed(self, _result: int) -> None:
        dialog, self.revoke_dialog = self.revoke_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _old_revoked(self, revoked: ApiKey) -> None:
        self._finished_flow = True
        self.old_revoked.emit(revoked)
        self.done(QDialog.DialogCode.Accepted)

    def revoke_later_chosen(self) -> None:
        self._remember_later()
        self.done(QDialog.DialogCode.Accepted)

    def _remember_later(self) -> None:
        if self._new is not None and not self._finished_flow and not self._old_settled:
            self._finished_flow = True
            self.revoke_later.emit(self._old, reminder_text(self._old, self._new, self._clock()))

    # -- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        panel = self.copy_panel
        if (
            self.step is RotationStep.COPY
            and panel is not None
            and not panel.acknowledged
            and panel.holds_secret
        ):
            self._ask_before_closing()
            return
        self.done(QDialog.DialogCode.Rejected)

    def _ask_before_closing(self) -> None:
        if self._confirm is not None:
            return
        self._confirm = ask_close_without_storing(
            self,
            WHAT,
            "The new key exists already; the old key stays active with a reminder.",
            lambda: self.done(QDialog.DialogCode.Rejected),
        )
        self._confirm.finished.connect(self._confirm_finished)

    def _confirm_finished(self, _result: int) -> None:
        self._confirm = None

    def done(self, result: int) -> None:
        self._runner.cancel_owned_by(self)
        if self.copy_panel is not None:
            self.copy_panel.wipe()
        self._remember_later()  # a new key exists and the old one was not revoked
        super().done(result)
