"""Stores that stand in for the keychain while the app runs without one.

:class:`UnavailableStore` answers "nothing stored" and refuses to save, carrying
the reason no keychain works; :class:`SwitchableStore` is what sessions hold, so
"continue without a keychain" (or a keychain found later) swaps its target
without rebuilding every session. Neither ever writes a secret to a file.
"""

from __future__ import annotations

from twinedge_desktop.vault.store import CredentialStore, KeychainUnavailable


class UnavailableStore:
    """Stands in while no keychain works: nothing to restore, and saving raises the reason."""

    is_persistent = False

    def __init__(self, error: KeychainUnavailable) -> None:
        self.unavailable_error = error
        self.backend_name = "unavailable"

    def get(self, key: str) -> str | None:
        return None

    def set(self, key: str, value: str) -> None:
        raise self.unavailable_error

    def delete(self, key: str) -> None:
        return None


class SwitchableStore:
    """The store sessions hold; ``continue_without_keychain`` swaps what it points at."""

    def __init__(self, target: CredentialStore) -> None:
        self.target = target

    @property
    def backend_name(self) -> str:
        return self.target.backend_name

    @property
    def is_persistent(self) -> bool:
        return self.target.is_persistent

    @property
    def unavailable_error(self) -> KeychainUnavailable | None:
        return getattr(self.target, "unavailable_error", None)

    def get(self, key: str) -> str | None:
        return self.target.get(key)

    def set(self, key: str, value: str) -> None:
        self.target.set(key, value)

    def delete(self, key: str) -> None:
        self.target.delete(key)
