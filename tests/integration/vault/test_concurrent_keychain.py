"""Reading the keychain entry while another process rewrites it: never a spurious failure.

gnome-keyring serves a read as "search, then fetch the item found". When another process
replaces the entry in between, the item found is gone and secretstorage raises
ItemNotFoundException; the vault used to report that as an unusable keychain, so a
``twinedge-desktop status`` racing a renewal said "Not signed in" (about 1 command in
100). The vault now reads again, a few milliseconds later.

Both tests use a real Secret Service (gnome-keyring on a private D-Bus session) and real
processes for the writer: one makes the race happen at exactly the bad moment, every
time; the other runs writers and readers at once, as the app's processes do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.keychain import (  # noqa: F401 - the *_fixture imports register fixtures
    PrivateSecretService,
    secret_service_fixture,
)
from twinedge_desktop.vault import KeychainUnavailable, open_system_store

pytestmark = pytest.mark.keychain

SERVICE = "twinedge-desktop-race-test"
ENTRY = "session/race"
TIMEOUT = 60
# Another process replaces the entry (remove, then write again), as a renewal elsewhere
# or a sign-out followed by a sign-in does.
REPLACE = f"""
import sys
from twinedge_desktop.vault import open_system_store
store = open_system_store({SERVICE!r})
store.delete({ENTRY!r})
store.set({ENTRY!r}, sys.argv[1])
"""
WRITER = f"""
import json, sys
from twinedge_desktop.vault import open_system_store
store = open_system_store({SERVICE!r})
for n in range(int(sys.argv[1])):
    store.set({ENTRY!r}, json.dumps({{"n": n, "pad": "x" * 500}}))
"""
READER = f"""
import json, sys
from twinedge_desktop.vault import KeychainUnavailable, open_system_store
store = open_system_store({SERVICE!r})
failures = reads = 0
for _ in range(int(sys.argv[1])):
    reads += 1
    try:
        value = store.get({ENTRY!r})
        assert value is None or json.loads(value)["pad"] == "x" * 500
    except KeychainUnavailable as exc:
        failures += 1
        print("failure:", exc.reason, exc.user_message, file=sys.stderr)
print(json.dumps({{"reads": reads, "failures": failures}}))
"""
REPO = Path(__file__).resolve().parents[3]


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def environment(service: PrivateSecretService) -> dict[str, str]:
    env = {**os.environ, **service.env, "PYTHONPATH": str(REPO)}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    return env


def test_a_read_whose_item_is_replaced_midway_reads_again(
    secret_service: PrivateSecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race at exactly the bad moment: after this process's search found the item and
    before it reads it, another process replaces the entry."""
    import secretstorage.item

    store = open_system_store(SERVICE)
    store.set(ENTRY, "before")
    original_init = secretstorage.item.Item.__init__
    raced: list[int] = []

    def item_found(self: object, *args: object, **kwargs: object) -> None:
        if not raced:  # the search has answered with the item's path: now the other write
            raced.append(1)
            subprocess.run(
                python(REPLACE, "after"),
                env=environment(secret_service),
                timeout=TIMEOUT,
                check=True,
            )
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(secretstorage.item.Item, "__init__", item_found)
    assert store.get(ENTRY) == "after"
    assert raced == [1]


@pytest.mark.timeout(120)
def test_readers_and_writers_in_separate_processes_never_see_a_failure(
    secret_service: PrivateSecretService,
) -> None:
    env = environment(secret_service)
    open_system_store(SERVICE).set(ENTRY, json.dumps({"n": -1, "pad": "x" * 500}))
    # One writer at a time, as in the app (every write of the entry is made under the
    # sign-in lock), and several readers that take no lock (status, token, the window).
    # (Heavier loads than this make gnome-keyring 42 itself drop off the bus now and
    # then, on this 2-core machine: that is the daemon's limit, not the app's.)
    writers = [subprocess.Popen(python(WRITER, "200"), env=env)]
    readers = [
        subprocess.Popen(
            python(READER, "100"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = []
    for reader in readers:
        out, err = reader.communicate(timeout=TIMEOUT)
        assert reader.returncode == 0, err.decode()
        results.append((json.loads(out), err.decode()))
    for writer in writers:
        assert writer.wait(timeout=TIMEOUT) == 0
    for counts, err in results:
        assert counts == {"reads": 100, "failures": 0}, err


def test_other_keychain_failures_are_not_retried(
    secret_service: PrivateSecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the vanished item is transient: a locked keychain fails at once."""
    store = open_system_store(SERVICE)
    secret_service.lock()
    calls: list[int] = []
    backend = store._backend  # type: ignore[attr-defined]
    original = backend.get_password

    def counted(*args: object) -> object:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(backend, "get_password", counted)
    with pytest.raises(KeychainUnavailable) as failure:
        store.get(ENTRY)
    assert failure.value.reason == "locked" and calls == [1]
