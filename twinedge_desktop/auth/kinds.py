"""The states a session is in and the kinds of credential it holds, as types.

Kept apart from ``session.py`` (which imports httpx) so the window can compare
states at startup without loading the network stack.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class CredentialKind(StrEnum):
    """How a session holds its access: a person's sign-in, a service client, or an API key.

    A ``StrEnum`` so the keychain entry and ``status --json`` keep their string values.
    """

    USER = "user"
    SERVICE = "service"
    API_KEY = "api_key"


class SessionState(Enum):
    SIGNED_OUT = "signed_out"
    RESTORING = "restoring"
    SIGNING_IN = "signing_in"
    SIGNED_IN = "signed_in"
