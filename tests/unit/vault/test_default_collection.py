"""The Secret Service's default collection is named by its alias, so a moment when the
alias is not found is retried instead of making secretstorage create a collection (a
prompt that, unanswered, read as "prompt dismissed": seen in CI with ten processes at
once). A keyring with no default collection at all still gets one, as keyring does."""

from __future__ import annotations

import pytest
from keyring.errors import InitError

from twinedge_desktop.vault import KeychainUnavailable
from twinedge_desktop.vault.store import DEFAULT_COLLECTION, KeyringStore


class ItemNotFoundException(Exception):
    """secretstorage's, by module and name (the vault checks them, not the class)."""


ItemNotFoundException.__module__ = "secretstorage.exceptions"


class FakeSecretService:
    """keyring's SecretService backend, reduced to how it finds its collection: a named
    collection that is not there fails with InitError from ItemNotFoundException; without
    a name, keyring lets secretstorage create the default one, which prompts."""

    def __init__(self, alias_missing_for: int, prompt_answered: bool = False) -> None:
        self.alias_missing_for = alias_missing_for  # lookups that find no alias
        self.prompt_answered = prompt_answered
        self.lookups = 0
        self.prompts = 0

    def _collection(self) -> None:
        self.lookups += 1
        missing = self.lookups <= self.alias_missing_for
        if hasattr(self, "preferred_collection"):
            if missing:
                try:
                    raise ItemNotFoundException("No such object path")
                except ItemNotFoundException as exc:
                    raise InitError(f"Failed to create the collection: {exc}.") from exc
            return
        if missing:
            self.prompts += 1
            if not self.prompt_answered:
                raise InitError("Failed to create the collection: Prompt dismissed..")

    def get_password(self, service: str, key: str) -> str | None:
        self._collection()
        return "stored"

    def set_password(self, service: str, key: str, value: str) -> None:
        self._collection()

    def delete_password(self, service: str, key: str) -> None:
        self._collection()


FakeSecretService.__module__ = "keyring.backends.SecretService"


def test_the_default_collection_is_named_by_its_alias() -> None:
    backend = FakeSecretService(alias_missing_for=0)
    KeyringStore(backend, "twinedge-test")
    assert backend.preferred_collection == DEFAULT_COLLECTION  # type: ignore[attr-defined]


def test_a_collection_the_person_configured_is_kept() -> None:
    backend = FakeSecretService(alias_missing_for=0)
    backend.preferred_collection = "/org/freedesktop/secrets/collection/work"  # type: ignore[attr-defined]
    KeyringStore(backend, "twinedge-test")
    assert backend.preferred_collection == "/org/freedesktop/secrets/collection/work"  # type: ignore[attr-defined]


@pytest.mark.parametrize("call", ["get", "set", "delete"])
def test_an_alias_missing_for_a_moment_is_tried_again_without_a_prompt(call: str) -> None:
    backend = FakeSecretService(alias_missing_for=2)
    store = KeyringStore(backend, "twinedge-test")
    if call == "get":
        assert store.get("session/x") == "stored"
    elif call == "set":
        store.set("session/x", "value")
    else:
        store.delete("session/x")
    assert backend.prompts == 0
    assert backend.preferred_collection == DEFAULT_COLLECTION  # type: ignore[attr-defined]


def test_a_keyring_without_a_default_collection_is_asked_to_make_one() -> None:
    # Missing at every try (4) and at the create-if-missing lookup after them.
    backend = FakeSecretService(alias_missing_for=5, prompt_answered=True)
    store = KeyringStore(backend, "twinedge-test")
    assert store.get("session/x") == "stored"
    assert backend.prompts == 1
    assert not hasattr(backend, "preferred_collection")


def test_a_dismissed_prompt_for_a_missing_collection_is_still_reported() -> None:
    backend = FakeSecretService(alias_missing_for=5, prompt_answered=False)
    store = KeyringStore(backend, "twinedge-test")
    with pytest.raises(KeychainUnavailable) as caught:
        store.get("session/x")
    assert caught.value.reason == "prompt-dismissed"


class DBusErrorResponse(Exception):
    """jeepney's error reply: its ``name`` is the D-Bus error's."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class SecretServiceNotAvailableException(Exception):
    pass


SecretServiceNotAvailableException.__module__ = "secretstorage.exceptions"


class DroppingSecretService(FakeSecretService):
    """Answers its first ``drops`` calls the way secretstorage reports a D-Bus error."""

    def __init__(self, drops: int, error_name: str) -> None:
        super().__init__(alias_missing_for=0)
        self.drops = drops
        self.error_name = error_name

    def get_password(self, service: str, key: str) -> str | None:
        if self.drops:
            self.drops -= 1
            reply = DBusErrorResponse(self.error_name)
            raise SecretServiceNotAvailableException("dropped") from reply
        return super().get_password(service, key)


def test_a_call_the_secret_service_dropped_without_an_answer_is_tried_again() -> None:
    backend = DroppingSecretService(drops=2, error_name="org.freedesktop.DBus.Error.NoReply")
    assert KeyringStore(backend, "twinedge-test").get("session/x") == "stored"


def test_no_secret_service_at_all_is_reported_at_once() -> None:
    backend = DroppingSecretService(drops=1, error_name="org.freedesktop.DBus.Error.ServiceUnknown")
    with pytest.raises(KeychainUnavailable):
        KeyringStore(backend, "twinedge-test").get("session/x")
    assert backend.drops == 0 and backend.lookups == 0  # asked once, not again
