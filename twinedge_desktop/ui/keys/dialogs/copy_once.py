"""Show a new API key once: the shared copy-once dialog with the keys' words, snippets and
"Test key".

The generic part (masked field, concealed copy, clearing countdown, the "I have stored
it" gate, snippet tabs, wiping) is :mod:`twinedge_desktop.ui.common.copy_once`; here are
what only keys have: the snippets that call an endpoint the key may call
(:mod:`twinedge_desktop.ui.keys.snippets`) and "Test key", which calls ``GET /v1/me``
with the new key. :class:`CopyOncePanel` is also the rotation's step 2.

A successful test *uses* the key: the server records its last use, and the list must know
at once, since the revoke dialog asks for the key's name only for a key used recently.
So the panel says so (``key_updated``) twice: at once, with the last use set to now
(nothing can act on the stale "never used" in between), then with the key as the server
has it, read afresh.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from twinedge_desktop.api.errors import ApiError
from twinedge_desktop.api.models import CreatedApiKey, Me
from twinedge_desktop.timefmt import Clock, utc_now
from twinedge_desktop.ui.common import copy_once as common
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.keys.snippets import DEFAULT_API_BASE, key_snippets

if TYPE_CHECKING:
    from twinedge_desktop.api.keys import ApiKeysService

WHAT = "key"
NOT_SHOWN_AGAIN = common.not_shown_again(WHAT)
MASK = common.MASK
masked = common.masked

__all__ = ["DEFAULT_API_BASE", "MASK", "NOT_SHOWN_AGAIN", "CopyOnceDialog", "CopyOncePanel"]


def heading(created: CreatedApiKey) -> str:
    """Which key this is: its name and public prefix."""
    return f"{created.key.name or '(name unreadable)'} · {created.key.prefix}…"


class CopyOncePanel(common.CopyOncePanel):
    """The new key, its snippets, Copy, Test and the "I have stored this key" confirmation.

    Signals:
        acknowledged_changed(bool): the person ticked (or unticked) "I have stored this key".
        key_updated(ApiKey): the new key changed on the server (a test used it): its
            public fields, for the list.
    """

    key_updated = Signal(object)

    def __init__(
        self,
        created: CreatedApiKey,
        service: ApiKeysService,
        runner: TaskRunner,
        clipboard: SecretClipboard,
        clear_after_seconds: int,
        parent: QWidget | None = None,
        *,
        api_base: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        snippets, note = key_snippets(
            created.secret, api_base or DEFAULT_API_BASE, created.key.scopes
        )
        super().__init__(
            created.secret,
            what=WHAT,
            heading=heading(created),
            visible_prefix=created.key.prefix,
            snippets=snippets,
            note=note,
            clipboard=clipboard,
            clear_after_seconds=clear_after_seconds,
            parent=parent,
        )
        del snippets
        self._created: CreatedApiKey | None = created
        self._key = created.key  # public fields only: outlives the wipe
        self._service = service
        self._runner = runner
        self._clock = clock

        self.test_button = QPushButton("&Test key")
        self.test_button.setAccessibleName("Test the key against the API")
        self.test_button.setToolTip("Call GET /v1/me with the new key: shows that it works.")
        self.test_result = InlineMessage("success")
        self.test_result.setObjectName("testResult")
        self.test_error = InlineMessage("error")
        self.test_error.setObjectName("testError")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        self.extras.addLayout(test_row)
        self.extras.addWidget(self.test_result)
        self.extras.addWidget(self.test_error)
        self.test_button.clicked.connect(self.test_key)

    def test_key(self) -> None:
        secret = self.secret
        if secret is None:
            return
        self.test_button.setEnabled(False)
        self.test_result.clear_message()
        self.test_error.clear_message()
        self._runner.start(
            self._test(secret), owner=self, on_error=self._test_failed, name="test-api-key"
        )

    async def _test(self, secret: str) -> None:
        me: Me = await self._service.test_key(secret)
        del secret
        self.test_button.setEnabled(True)
        scopes = ", ".join(me.scopes) or "no scopes"
        self.test_result.show_message(
            f"The key works: the API accepted it for organisation {me.org} with {scopes}."
        )
        # The key was used just now: say so before anything can act on "never used"...
        used = dataclasses.replace(self._key, last_used_at=self._clock())
        self._key = used
        self.key_updated.emit(used)
        # ...then as the server recorded it (its own clock). A failed read leaves the
        # estimate, which errs the safe way (revoking asks for the name); not an error.
        try:
            fresh = await self._service.find(used.id)
        except ApiError:  # the test itself worked; the estimate stands
            return
        if fresh is not None:
            self._key = fresh
            self.key_updated.emit(fresh)

    def _test_failed(self, exc: BaseException) -> bool:
        self.test_button.setEnabled(self.holds_secret)
        self.test_error.show_message(f"The key did not work: {error_message(exc)}")
        return True

    def wipe(self) -> None:
        """Forget the key: the shared wipe, and this panel's own reference and test task."""
        self._runner.cancel_owned_by(self)
        self._created = None
        super().wipe()
        self.test_button.setEnabled(False)


class CopyOnceDialog(common.CopyOnceDialog):
    """ "Your new API key": the shared copy-once dialog around :class:`CopyOncePanel`."""

    def __init__(
        self,
        created: CreatedApiKey,
        service: ApiKeysService,
        runner: TaskRunner,
        clipboard: SecretClipboard,
        clear_after_seconds: int,
        parent: QWidget | None = None,
        *,
        api_base: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        panel = CopyOncePanel(
            created, service, runner, clipboard, clear_after_seconds, api_base=api_base, clock=clock
        )
        del created
        super().__init__(panel, title="Your new API key", parent=parent)
        self.panel: CopyOncePanel = panel
