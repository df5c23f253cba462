"""The keychain-backed credential store: the only module that touches ``keyring``.

Everything secret that must outlive the process (refresh tokens, a service
client's secret) goes through a :class:`CredentialStore`. The system store is
chosen once at start; when no secure backend works, :func:`open_system_store`
raises :class:`KeychainUnavailable` naming the reason. There is no plaintext
fallback: :class:`MemoryStore` remembers for this run only, and only when the
caller explicitly asks for it.
"""

from __future__ import annotations

from twinedge_desktop.vault.standins import SwitchableStore, UnavailableStore
from twinedge_desktop.vault.store import (
    DEFAULT_SERVICE as KEYCHAIN_SERVICE,
)
from twinedge_desktop.vault.store import (
    MAX_ENTRY_BYTES,
    CredentialStore,
    KeychainUnavailable,
    KeyringStore,
    MemoryStore,
    open_system_store,
)

__all__ = [
    "KEYCHAIN_SERVICE",
    "MAX_ENTRY_BYTES",
    "CredentialStore",
    "KeychainUnavailable",
    "KeyringStore",
    "MemoryStore",
    "SwitchableStore",
    "UnavailableStore",
    "open_system_store",
]
