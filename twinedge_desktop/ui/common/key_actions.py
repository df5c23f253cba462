"""What one page may ask the API Keys page to do with a key, as a small typed value.

The Health page finds that a key should be rotated, revoked, replaced or looked at; the
flows for those (the guided rotation, the revoke confirmation, the create dialog, the
key's details) belong to the API Keys page. Features never import each other, so the
Health page emits a :class:`KeyActionRequest` and the window's shell hands it to the
page that performs key actions (``ui/shell/routes.py``; the protocols are in
``ui/common/page.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from twinedge_desktop.api.models import ApiKey


class KeyAction(Enum):
    """The flows of the API Keys page another page may start."""

    ROTATE = "rotate"  # the guided rotation (new key, copy, update, revoke the old one)
    REVOKE = "revoke"  # the revoke confirmation
    REPLACE = "replace"  # "Create API key", pre-filled from the key (an expiry, ``scopes``)
    SHOW_DETAILS = "show_details"  # the key's details, with its usage


@dataclass(frozen=True, slots=True)
class KeyActionRequest:
    """Start ``action`` on ``key`` (the key as the asking page has it: public fields only).

    For :attr:`KeyAction.REPLACE`, ``scopes`` are the new key's (empty: the key's own) and
    ``why`` is one sentence for the top of the create dialog ("It never expires…").
    """

    action: KeyAction
    key: ApiKey
    scopes: tuple[str, ...] = ()
    why: str = ""


__all__ = ["KeyAction", "KeyActionRequest"]
