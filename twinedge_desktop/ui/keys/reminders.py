"""The "revoke later" reminders a rotation leaves on the old key, kept between runs.

A person who rotates a key and chooses "Later" must still see, the next time they open
the app, that the old key waits to be revoked: the reminder is the only thing that says
so. :class:`RevokeReminders` keeps them in the app's settings (``QSettings``), one entry
per profile, organisation and person (whose keys a list shows), as a small JSON object of
key id to reminder text. The texts
name keys and their public prefixes only: nothing secret is stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from urllib.parse import quote

from PySide6.QtCore import QSettings

log = logging.getLogger(__name__)

_GROUP = "keys/revokeReminders"


class RevokeReminders:
    """Reminders per (profile, organisation, person): ``load`` what ``save`` kept, or ``{}``."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    @staticmethod
    def _name(profile_id: str, org: str, subject: str) -> str:
        # Subjects may hold "/" or "|" (e.g. "auth0|abc"): quoted, they stay one settings key.
        parts = (quote(part, safe="") for part in (profile_id, org, subject))
        return f"{_GROUP}/" + ":".join(parts)

    def load(self, profile_id: str, org: str, subject: str) -> dict[str, str]:
        raw = self._settings.value(self._name(profile_id, org, subject))
        if raw is None:
            return {}
        try:
            data = json.loads(str(raw))
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # A damaged entry costs the reminders, never the start-up.
            log.warning("Ignored unreadable rotation reminders in the settings.")
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str) and v}

    def save(self, profile_id: str, org: str, subject: str, reminders: Mapping[str, str]) -> None:
        name = self._name(profile_id, org, subject)
        if reminders:
            self._settings.setValue(name, json.dumps(dict(reminders), sort_keys=True))
        else:
            self._settings.remove(name)
        self._settings.sync()
