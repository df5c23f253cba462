"""What the Health page remembers between runs: dismissed findings and the day each key
was last the subject of a reminder, per profile, organisation and person.

Kept in the app's settings file (``window.ini``, ``QSettings`` INI format), like the API
Keys page's rotation reminders, as one entry per finding or key:

    health/<profile>:<org>:<person>/dismissed/<key id>:<kind> = <day dismissed>
    health/<profile>:<org>:<person>/reminded/<key id> = <day of the last reminder>

Nothing secret: ids, kinds and dates.

Several processes use the file at once (two windows, say). ``QSettings`` merges what
different processes write to *different* entries, but "has this key had its reminder
today? if not, it has now" is a read-modify-write that two windows could both pass, and
the person would get two notifications. So every change here runs under one file lock
(``filelock``, beside the settings file) and re-reads the file first
(``QSettings.sync()``), which makes :meth:`HealthSettings.claim_reminders` a
test-and-set across processes (tests/integration/ui/test_health_settings_processes.py
runs it in real processes).

Every method does file I/O and may wait for the lock: the page calls them with
``asyncio.to_thread``. Each call opens its own ``QSettings`` on the file (QSettings is
reentrant: distinct objects may be used in different threads, also on one file).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterator
from datetime import date
from pathlib import Path
from urllib.parse import quote, unquote

from PySide6.QtCore import QSettings

from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.ui.health.report import FindingId

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 10.0  # other processes hold it for a file read and write: milliseconds
_GROUP = "health"

# (profile id, organisation, person): whose findings these are.
Owner = tuple[str, str, str]


class HealthSettingsBusy(TimeoutError):
    """Another process kept the Health settings locked too long."""


class HealthSettings:
    """Dismissals and reminder days in the settings file at ``path`` (INI format)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(f".{path.name}.health.lock")

    @classmethod
    def beside(cls, settings: QSettings) -> HealthSettings:
        """The same file as ``settings`` (the window's ``window.ini``)."""
        return cls(Path(settings.fileName()))

    # -- plumbing ------------------------------------------------------------------------------

    @staticmethod
    def _prefix(owner: Owner) -> str:
        # Subjects may hold "/" or "|" (e.g. "auth0|abc"): quoted, they stay one settings key.
        return f"{_GROUP}/" + ":".join(quote(part, safe="") for part in owner)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[QSettings]:
        """The settings, freshly read, under the lock; written back when the block ends."""
        import filelock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.lock_path), thread_local=False)
        try:
            lock.acquire(timeout=LOCK_WAIT_SECONDS)
        except filelock.Timeout:
            raise HealthSettingsBusy(
                f"Another TwinEdge Desktop window kept {self.path} locked; try again."
            ) from None
        try:
            settings = QSettings(str(self.path), QSettings.Format.IniFormat)
            settings.sync()  # what other processes wrote since this process last looked
            yield settings
            settings.sync()
            if settings.status() is not QSettings.Status.NoError:
                raise OSError(f"Could not write {self.path} ({settings.status().name}).")
        finally:
            lock.release()

    def _read(self) -> QSettings:
        settings = QSettings(str(self.path), QSettings.Format.IniFormat)
        settings.sync()
        return settings

    # -- dismissed findings ----------------------------------------------------------------

    def dismissed(self, owner: Owner) -> set[FindingId]:
        """The findings ``owner`` dismissed (unreadable entries are skipped)."""
        settings = self._read()
        settings.beginGroup(f"{self._prefix(owner)}/dismissed")
        found: set[FindingId] = set()
        for name in settings.childKeys():
            key_id, _, kind = unquote(name).rpartition(":")
            try:
                found.add((key_id, FindingKind(kind)))
            except ValueError:
                log.warning("Ignored an unreadable dismissed finding in the settings.")
        return found

    def set_dismissed(self, owner: Owner, finding: FindingId, dismissed: bool, day: date) -> None:
        """Dismiss ``finding`` (remembered), or bring it back."""
        name = self._dismissed_name(owner, finding)
        with self._locked() as settings:
            if dismissed:
                settings.setValue(name, day.isoformat())
            else:
                settings.remove(name)

    def forget_dismissals(self, owner: Owner, findings: Collection[FindingId]) -> None:
        """Drop dismissals of findings that are gone (the check found them settled)."""
        if not findings:
            return
        with self._locked() as settings:
            for finding in findings:
                settings.remove(self._dismissed_name(owner, finding))

    def _dismissed_name(self, owner: Owner, finding: FindingId) -> str:
        key_id, kind = finding
        return f"{self._prefix(owner)}/dismissed/" + quote(f"{key_id}:{kind.value}", safe="")

    # -- reminders: at most one per key and day ------------------------------------------------

    def claim_reminders(self, owner: Owner, key_ids: Collection[str], today: date) -> list[str]:
        """Of ``key_ids``, those that have had no reminder on ``today``, now marked as
        having had it (one test-and-set for all, under the lock). Older marks of other
        keys are dropped on the way, so the entries never outgrow the keys reminded of."""
        group = f"{self._prefix(owner)}/reminded"
        claimed: list[str] = []
        with self._locked() as settings:
            settings.beginGroup(group)
            stale = [
                name
                for name in settings.childKeys()
                if str(settings.value(name)) < today.isoformat()
            ]
            for name in stale:
                settings.remove(name)
            for key_id in key_ids:
                name = quote(key_id, safe="")
                if str(settings.value(name, "")) == today.isoformat():
                    continue
                settings.setValue(name, today.isoformat())
                claimed.append(key_id)
            settings.endGroup()
        return claimed

    def release_reminders(self, owner: Owner, key_ids: Collection[str], today: date) -> None:
        """Undo claims whose notifications could not be shown (so a later try may)."""
        if not key_ids:
            return
        with self._locked() as settings:
            for key_id in key_ids:
                name = f"{self._prefix(owner)}/reminded/" + quote(key_id, safe="")
                if str(settings.value(name, "")) == today.isoformat():
                    settings.remove(name)

    def reminded_on(self, owner: Owner, key_id: str) -> date | None:
        value = self._read().value(f"{self._prefix(owner)}/reminded/" + quote(key_id, safe=""))
        try:
            return date.fromisoformat(str(value)) if value else None
        except ValueError:
            return None


__all__ = ["HealthSettings", "HealthSettingsBusy", "Owner"]
