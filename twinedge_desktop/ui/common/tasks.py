"""Start coroutines from the UI without losing them or their errors.

Every coroutine a view starts goes through :class:`TaskRunner`: it keeps a
strong reference to the task (asyncio only keeps weak ones), cancels a view's
tasks when that view is destroyed, and turns every exception into a visible
message through the :class:`MessageBridge` and the log. Nothing is fire-and-forget.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject

from twinedge_desktop.redaction import redact
from twinedge_desktop.timefmt import format_duration
from twinedge_desktop.ui.common.messages import MessageBridge

log = logging.getLogger(__name__)

T = TypeVar("T")
ErrorHandler = Callable[[BaseException], bool]


def is_expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure the app expects and words for the person (consent
    declined, a wrong client secret, a server that cannot be reached, permission denied,
    no keychain…): the core's typed errors carry that sentence as ``user_message``.

    Expected failures are logged as one redacted line without a traceback; anything else
    is a bug and keeps its traceback in the log.
    """
    from twinedge_desktop.config import ConfigError

    return isinstance(getattr(exc, "user_message", None), str) or isinstance(exc, ConfigError)


def describe_error(exc: BaseException) -> str:
    """A sentence for the person: the typed errors' own text, else the kind of failure.

    Errors raised by the services carry messages written for people (and free of
    secrets); anything else is unexpected: it is described, never named by its class
    (a person cannot act on "KeyError"), and the log has the details.
    """
    if getattr(exc, "user_message", None):
        return redact(str(exc.user_message))  # type: ignore[attr-defined]
    if isinstance(exc, TimeoutError):
        return "The operation timed out. Check your connection and try again."
    if isinstance(exc, OSError):  # ConnectionError included
        detail = redact(exc.strerror or str(exc))
        where = f": {detail}" if detail else ""
        return f"The system reported a network or file problem{where}. Try again."
    text = redact(str(exc))
    if type(exc).__module__.startswith("twinedge_desktop") and text:
        return text
    return (
        "Something unexpected went wrong"
        + (f" ({text})" if text else "")
        + ". The details are in the log (Help ▸ Show log file location)."
    )


def error_message(exc: BaseException) -> str:
    """What an API error means for the person, with how long to wait when told to (429)."""
    text = describe_error(exc)
    retry_after = getattr(exc, "retry_after", None)
    if getattr(exc, "status", None) == 429 and retry_after:
        text = f"{text} (wait about {format_duration(float(retry_after))})"
    return text


class TaskRunner(QObject):
    """Owns every task the UI starts. Create one in ``app.py`` and pass it to views."""

    def __init__(self, messages: MessageBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._messages = messages
        self._tasks: dict[asyncio.Task[Any], QObject | None] = {}
        self._watched_owners: set[int] = set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def start(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        owner: QObject | None = None,
        on_error: ErrorHandler | None = None,
        name: str | None = None,
    ) -> asyncio.Task[T]:
        """Run ``coro`` on the loop; cancel it when ``owner`` is destroyed.

        Exceptions go to ``on_error`` first (return True when handled, for example
        to show the error inline); otherwise to the message bridge as an error.
        Cancellation is not an error.
        """
        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks[task] = owner
        if owner is not None and id(owner) not in self._watched_owners:
            self._watched_owners.add(id(owner))
            owner_id = id(owner)
            owner.destroyed.connect(lambda *_: self._owner_destroyed(owner_id))
        task.add_done_callback(lambda t: self._finished(t, on_error))
        return task

    def cancel_owned_by(self, owner: QObject) -> None:
        for task, task_owner in list(self._tasks.items()):
            if task_owner is owner:
                task.cancel()

    def _owner_destroyed(self, owner_id: int) -> None:
        self._watched_owners.discard(owner_id)
        for task, task_owner in list(self._tasks.items()):
            # The owner is being destroyed: compare by identity only, never touch it.
            if task_owner is not None and id(task_owner) == owner_id:
                task.cancel()

    def _finished(self, task: asyncio.Task[Any], on_error: ErrorHandler | None) -> None:
        self._tasks.pop(task, None)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        if is_expected(exc):
            # A message for the person (shown below, or by the handler): one line, no traceback.
            log.info("Task %s: %s", task.get_name(), describe_error(exc))
        else:
            log.error("Task %s failed", task.get_name(), exc_info=exc)
        if on_error is not None:
            try:
                if on_error(exc):
                    return
            except Exception:  # an error handler that fails must not hide the original error
                log.exception("Error handler for task %s failed", task.get_name())
        self._messages.error(describe_error(exc))

    async def shutdown(self, timeout: float = 3.0) -> None:
        """Cancel what is still running and wait for it, at most ``timeout`` seconds."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
