"""Credential stores: the system keychain through ``keyring``, or memory for this run.

The store's job is small on purpose (get / set / delete a string, and say
whether it is a real system keychain). Calls are synchronous because keyring
is; async callers wrap every call in ``asyncio.to_thread`` since a keychain
call may block on D-Bus or on an unlock prompt.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

log = logging.getLogger(__name__)

# Windows Credential Manager refuses blobs over 2,560 bytes; staying under 2,500
# keeps every entry portable to every keychain keyring supports.
MAX_ENTRY_BYTES = 2500

DEFAULT_SERVICE = "twinedge-desktop"

# A read racing another process's write of the same entry can find the item it was just
# told about already replaced (the Secret Service swaps the item: search → item gone →
# ItemNotFoundException; seen once in ~280 reads with a writer running; a write can meet
# the same). Such a call is tried again, a few milliseconds later, a few times; every
# other failure is reported at once. Worst case added: 5 + 10 + 20 ms. Not retried: an
# ItemNotFoundException that made secretstorage try to create a collection (it prompts).
TRANSIENT_RETRY_PAUSES: tuple[float, ...] = (0.005, 0.010, 0.020)

# The Secret Service's default collection, by its alias. Unaided, keyring asks
# secretstorage for "the default collection, created if missing"; when gnome-keyring
# answers the alias lookup with "no such object" for a moment (seen in CI, once, among ten
# `token` processes reading at once), secretstorage *creates* a collection, which needs a
# prompt; with nobody to answer it that is "prompt dismissed", and a working sign-in read
# as unreadable. Named, the lookup fails like any transient ItemNotFoundException and is
# tried again; only when the alias stays missing (a keyring with no default collection)
# is keyring's create-if-missing path taken, as it would be unaided.
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
DBUS_NO_REPLY = "org.freedesktop.DBus.Error.NoReply"

_T = TypeVar("_T")


@runtime_checkable
class CredentialStore(Protocol):
    """Where secrets that must outlive the process are kept."""

    @property
    def backend_name(self) -> str:
        """Person-readable, e.g. "Secret Service (GNOME Keyring)"."""
        ...

    @property
    def is_persistent(self) -> bool:
        """True for a real system keychain."""
        ...

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class KeychainUnavailable(Exception):
    """No secure system keychain can be used; ``user_message`` says why and what to do.

    ``reason`` is a short machine-readable code: ``no-dbus``, ``no-secret-service``,
    ``locked``, ``prompt-dismissed``, ``insecure-backend``, ``no-backend``, ``error``, or
    ``too-large`` (an entry over the size limit, raised by the session that wrote it).
    """

    def __init__(self, reason: str, user_message: str) -> None:
        super().__init__(user_message)
        self.reason = reason
        self.user_message = user_message

    def __str__(self) -> str:
        return self.user_message


def _check_size(value: str) -> None:
    size = len(value.encode("utf-8"))
    if size > MAX_ENTRY_BYTES:
        # The value is a secret: the message gives its size, never its content.
        raise ValueError(
            f"A keychain entry must stay under {MAX_ENTRY_BYTES} bytes; this one is {size}."
        )


class MemoryStore:
    """A CredentialStore that forgets everything when the process ends.

    Used by tests and when the person chooses to continue without a keychain.
    """

    backend_name = "memory (this session only)"
    is_persistent = False

    def __init__(self) -> None:
        self._items: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._items.get(key)

    def set(self, key: str, value: str) -> None:
        _check_size(value)
        with self._lock:
            self._items[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def keys(self) -> list[str]:
        """The keys held (for tests and diagnostics; never the values)."""
        with self._lock:
            return sorted(self._items)


def _friendly_backend_name(backend: Any) -> str:
    module = type(backend).__module__
    name = type(backend).__name__
    if module.endswith("SecretService"):
        daemon = _secret_service_daemon()
        return f"Secret Service ({daemon})" if daemon else "Secret Service"
    if module.endswith("libsecret"):
        return "Secret Service (libsecret)"
    if module.endswith("kwallet"):
        return "KWallet"
    if "macOS" in module:
        return "macOS Keychain"
    if module.endswith("Windows"):
        return "Windows Credential Manager"
    return f"{module}.{name}"


def _secret_service_daemon() -> str | None:
    """Which program serves org.freedesktop.secrets, for a status line ("GNOME Keyring").

    Best effort: the D-Bus daemon knows the owner's process id, /proc its name.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        bus = DBusAddress(
            "/org/freedesktop/DBus",
            bus_name="org.freedesktop.DBus",
            interface="org.freedesktop.DBus",
        )
        with open_dbus_connection(bus="SESSION") as connection:
            message = new_method_call(
                bus, "GetConnectionUnixProcessID", "s", ("org.freedesktop.secrets",)
            )
            reply = connection.send_and_get_reply(message, timeout=2)
            pid = int(reply.body[0])
        with open(f"/proc/{pid}/comm", encoding="utf-8") as handle:
            comm = handle.read().strip()
    except Exception:  # a nicer name is optional; any failure just omits it
        return None
    known = {
        "gnome-keyring-d": "GNOME Keyring",
        "gnome-keyring-daemon": "GNOME Keyring",
        "keepassxc": "KeePassXC",
        "kwalletd5": "KWallet",
        "kwalletd6": "KWallet",
        "ksecretd": "KWallet",
    }
    return known.get(comm, comm or None)


class KeyringStore:
    """A CredentialStore over one keyring backend instance, chosen once.

    The backend is held directly (not keyring's global), so what was checked at
    start is what every later call uses.
    """

    is_persistent = True

    def __init__(self, backend: Any, service: str = DEFAULT_SERVICE, *, name: str | None = None):
        self._backend = backend
        self._service = service
        self.backend_name = name or _friendly_backend_name(backend)
        # A collection the person configured (keyringrc.cfg) is theirs to keep.
        self._named_default = type(backend).__module__.endswith("SecretService") and not hasattr(
            backend, "preferred_collection"
        )
        if self._named_default:
            backend.preferred_collection = DEFAULT_COLLECTION

    def _call(self, call: Callable[[], _T]) -> _T:
        try:
            return _retrying_transient(call)
        except Exception as exc:
            # Only a missing collection (keyring's InitError made of ItemNotFoundException),
            # not an item that kept changing under the read.
            missing = _item_not_found(exc.__cause__)
            if not (self._named_default and missing):
                raise
        # The default collection stayed missing: a keyring without one. Let keyring
        # create it, as it does unaided (it may ask the person, through the keyring's
        # own prompt).
        log.info("The keychain has no default collection; asking it to make one")
        del self._backend.preferred_collection
        self._named_default = False
        return call()

    def get(self, key: str) -> str | None:
        try:
            value = self._call(lambda: self._backend.get_password(self._service, key))
        except Exception as exc:
            raise _translate(exc) from None
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        _check_size(value)
        try:
            # A write replaces the item whole: trying it again is harmless.
            self._call(lambda: self._backend.set_password(self._service, key, value))
        except Exception as exc:
            raise _translate(exc) from None

    def delete(self, key: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._call(lambda: self._backend.delete_password(self._service, key))
        except PasswordDeleteError:
            return  # not there: nothing to delete
        except Exception as exc:
            raise _translate(exc) from None


def _is_transient(exc: BaseException) -> bool:
    """The item a search just found was replaced or removed by another process's write,
    the default collection's alias was not found for a moment, or the Secret Service
    dropped the call's connection without answering (secretstorage's exceptions, or
    keyring's InitError made of one)."""
    return any(
        _item_not_found(error) or _no_reply(error)
        for error in (exc, exc.__cause__)
        if error is not None
    )


def _item_not_found(error: BaseException | None) -> bool:
    """secretstorage's ItemNotFoundException (checked by name: no platform imports it)."""
    kind = type(error)
    return kind.__name__ == "ItemNotFoundException" and kind.__module__.startswith("secretstorage")


def _no_reply(error: BaseException) -> bool:
    """secretstorage's "not available" made of a D-Bus NoReply: the service dropped this
    call's connection (seen once in CI among ten processes at once); the next call opens a
    new one. Other "not available" answers (no service at all) are reported at once."""
    return getattr(error.__cause__, "name", None) == DBUS_NO_REPLY


def _retrying_transient(call: Callable[[], _T]) -> _T:
    """``call()``, tried again after :data:`TRANSIENT_RETRY_PAUSES` while it fails only
    because another process replaced the item under it. Blocking: runs in a worker thread
    like every keychain call."""
    for pause in TRANSIENT_RETRY_PAUSES:
        try:
            return call()
        except Exception as exc:
            if not _is_transient(exc):
                raise
            log.debug("The keychain item changed under a read; reading again")
            time.sleep(pause)
    return call()


_UNLOCK_HINT = (
    "Unlock your keyring (for example by signing in to your desktop session, or with "
    "your keyring's unlock dialog) and try again."
)


def _translate(exc: BaseException) -> KeychainUnavailable:
    """A keyring failure as a KeychainUnavailable naming the reason (never secret data)."""
    from keyring.errors import InitError, KeyringLocked, NoKeyringError

    text = str(exc)
    if isinstance(exc, KeyringLocked):
        return KeychainUnavailable(
            "locked",
            "The system keychain is locked, so TwinEdge Desktop can neither read nor save your "
            f"sign-in. {_UNLOCK_HINT}",
        )
    if isinstance(exc, InitError) and "dismissed" in text.lower():
        return KeychainUnavailable(
            "prompt-dismissed",
            "The keychain's unlock prompt was dismissed, so TwinEdge Desktop can neither read "
            "nor save your sign-in. " + _UNLOCK_HINT,
        )
    if isinstance(exc, NoKeyringError):
        return _no_backend_error()
    # The keyring's own words (redacted, shortened), never its exception's class name.
    if isinstance(exc, InitError):
        return KeychainUnavailable(
            "error",
            f"The system keychain could not be opened ({_short(text) or 'no reason given'}). "
            "Check that your keyring service is running.",
        )
    return KeychainUnavailable(
        "error",
        f"The system keychain reported an error ({_short(text) or 'no reason given'}).",
    )


def _short(text: str) -> str:
    from twinedge_desktop.redaction import redact

    text = redact(" ".join(text.split()))
    return text if len(text) <= 200 else text[:197] + "..."


def _no_backend_error() -> KeychainUnavailable:
    """Why no keychain backend is usable, as specifically as the platform lets us say."""
    platform: str = sys.platform  # a plain str: the check is at run time, per platform
    if platform.startswith("linux") or "bsd" in platform:
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not _default_bus_socket_exists():
            return KeychainUnavailable(
                "no-dbus",
                "No keychain is available: there is no D-Bus session bus, so no Secret Service "
                "(GNOME Keyring, KWallet or KeePassXC) can be reached. Start a desktop session, "
                "or run inside `dbus-run-session` with gnome-keyring-daemon started and unlocked.",
            )
        cause = _secret_service_cause()
        return KeychainUnavailable(
            "no-secret-service",
            "No keychain is available: no Secret Service is running on the D-Bus session bus"
            + (f" ({cause})" if cause else "")
            + ". Install and start GNOME Keyring (gnome-keyring-daemon), KWallet or KeePassXC "
            "with its Secret Service integration, then try again.",
        )
    return KeychainUnavailable(
        "no-backend",
        "No system keychain is available to keep your sign-in. Check that your "
        "operating system's credential store is working, then try again.",
    )


def _default_bus_socket_exists() -> bool:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(runtime) and os.path.exists(os.path.join(str(runtime), "bus"))


def _secret_service_cause() -> str | None:
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - evaluating it raises the cause
    except Exception as exc:
        return _short(str(exc))
    return None


# Backends that would put secrets in a plain file, or nowhere: never acceptable.
_INSECURE_BACKEND_HINTS = ("plaintext", "null", "fail", "encryptedkeyring", "alt.file")


def _is_insecure(backend: Any) -> bool:
    qualified = f"{type(backend).__module__}.{type(backend).__name__}".lower()
    if any(hint in qualified for hint in _INSECURE_BACKEND_HINTS):
        return True
    try:
        return float(backend.priority) < 1
    except Exception:  # priority raising means the backend is not usable here
        return True


def _detect_backend() -> Any:
    """The backend keyring would pick, evaluated now (not keyring's cached answer)."""
    import keyring.backend
    import keyring.core
    from keyring.backends.chainer import ChainerBackend

    configured = keyring.core.load_env() or keyring.core.load_config()
    if configured is not None:
        chosen: Any = configured
    else:
        # keyring caches the list of viable backends for the life of the process;
        # a keychain daemon started after an earlier failure ("Try again") must be
        # seen, so ask afresh.
        with contextlib.suppress(AttributeError, KeyError):  # never computed yet
            keyring.backend.get_all_keyring.reset()
        candidates = [
            b for b in keyring.backend.get_all_keyring() if not isinstance(b, ChainerBackend)
        ]
        if not candidates:
            from keyring.backends import fail

            return fail.Keyring()  # type: ignore[no-untyped-call]
        chosen = max(candidates, key=keyring.backend.by_priority)
    if isinstance(chosen, ChainerBackend):
        # Choose once: the chainer's first backend is the one it would write to.
        backends = list(chosen.backends)
        if backends:
            chosen = backends[0]
    return chosen


def open_system_store(service: str = DEFAULT_SERVICE) -> CredentialStore:
    """The platform keychain as a CredentialStore, checked to work right now.

    Raises :class:`KeychainUnavailable` when no secure backend is usable (no
    D-Bus, no Secret Service, locked, prompt dismissed, only insecure backends).
    Blocking (D-Bus, maybe an unlock prompt): async callers use ``asyncio.to_thread``.
    """
    try:
        backend = _detect_backend()
    except Exception as exc:
        raise _translate(exc) from None
    module = type(backend).__module__.lower()
    if module.endswith(".fail") or module.endswith("fail"):
        raise _no_backend_error()
    if _is_insecure(backend):
        raise KeychainUnavailable(
            "insecure-backend",
            f"The configured keyring backend ({type(backend).__module__}.{type(backend).__name__}) "
            "does not keep secrets in a secure system keychain, so TwinEdge Desktop will not use "
            "it. Configure a system keychain (PYTHON_KEYRING_BACKEND or keyringrc.cfg).",
        )
    store = KeyringStore(backend, service)
    # Probe once so a locked or broken keychain is reported now, not at the first sign-in.
    store.get("probe")
    log.info("Using the %s keychain", store.backend_name)
    return store
