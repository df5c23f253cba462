"""The credential store: size limit, keyring errors turned into reasons, no insecure fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.errors import InitError, KeyringLocked, NoKeyringError

from tests.helpers.fake_auth_server import InMemoryKeyring
from twinedge_desktop.vault import (
    MAX_ENTRY_BYTES,
    CredentialStore,
    KeychainUnavailable,
    KeyringStore,
    MemoryStore,
    open_system_store,
)


def test_memory_store_round_trip_and_missing_delete_is_fine() -> None:
    store = MemoryStore()
    assert isinstance(store, CredentialStore)
    assert store.is_persistent is False
    assert store.get("k") is None
    store.set("k", "v")
    assert store.get("k") == "v"
    store.delete("k")
    store.delete("k")
    assert store.get("k") is None


@pytest.mark.parametrize("store", [MemoryStore(), KeyringStore(InMemoryKeyring(), name="test")])
def test_entries_over_2500_bytes_are_refused_without_showing_the_value(
    store: CredentialStore,
) -> None:
    secret = "s" * (MAX_ENTRY_BYTES + 1)
    with pytest.raises(ValueError) as info:
        store.set("k", secret)
    assert secret not in str(info.value)
    assert store.get("k") is None
    store.set("k", "s" * MAX_ENTRY_BYTES)  # exactly at the limit is fine


def test_keyring_store_uses_its_backend_and_service() -> None:
    backend = InMemoryKeyring()
    store = KeyringStore(backend, "svc", name="Test keychain")
    store.set("a", "1")
    assert backend.items == {("svc", "a"): "1"}
    assert store.get("a") == "1"
    store.delete("a")
    store.delete("a")  # PasswordDeleteError for a missing entry is swallowed
    assert store.is_persistent and store.backend_name == "Test keychain"


class _Failing(InMemoryKeyring):
    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "reason", "words"),
    [
        (KeyringLocked("Failed to unlock the collection!"), "locked", "locked"),
        (InitError("Failed to unlock: Prompt dismissed"), "prompt-dismissed", "dismissed"),
        (RuntimeError("boom"), "error", "boom"),  # its words, never its class name
    ],
)
def test_keyring_failures_become_keychain_unavailable_with_a_reason(
    exc: Exception, reason: str, words: str
) -> None:
    store = KeyringStore(_Failing(exc), name="x")
    with pytest.raises(KeychainUnavailable) as info:
        store.set("k", "refresh-token-value")
    assert info.value.reason == reason
    assert words in info.value.user_message
    assert type(exc).__name__ not in info.value.user_message
    assert "refresh-token-value" not in info.value.user_message
    assert str(info.value) == info.value.user_message


def test_no_keyring_error_without_dbus_names_dbus(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    store = KeyringStore(_Failing(NoKeyringError("No recommended backend")), name="x")
    with pytest.raises(KeychainUnavailable) as info:
        store.get("k")
    assert info.value.reason == "no-dbus"
    assert "D-Bus" in info.value.user_message


def test_fail_backend_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with pytest.raises(KeychainUnavailable) as info:
        open_system_store()
    assert info.value.reason == "no-dbus"


def test_null_backend_is_never_used_as_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    with pytest.raises(KeychainUnavailable) as info:
        open_system_store()
    assert info.value.reason == "insecure-backend"
    assert "secure" in info.value.user_message
