"""Profiles (which TwinEdge to talk to) and non-secret preferences.

Everything here is plain data kept in a JSON file under the platform's config
directory (platformdirs), readable by the command line and the window alike.
Secrets never come here: tokens live in the keychain (``vault``), and this
module refuses to store anything but endpoints, ids and preferences.

Several processes write the file (the window, ``twinedge-desktop login``), so
:meth:`ProfileStore.save` is a read-merge-write under a file lock: it reads what
is on disk now and applies only this process's own changes since it last read
the file (profiles added, changed or removed, the current profile, each
preference), then replaces the file atomically. A profile another process added
meanwhile survives. :meth:`ProfileStore.changed_on_disk` and
:meth:`ProfileStore.reload` let a long-lived process notice such changes.

``TWINEDGE_DESKTOP_HOME`` moves config, data and logs under one directory, so
tests, demos and the packaged app's smoke test never touch a person's own files.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# How long save() waits for another process's save (a few milliseconds of work).
PROFILES_LOCK_WAIT = 10.0

APP_DIR_NAME = "twinedge-desktop"
HOME_ENV = "TWINEDGE_DESKTOP_HOME"

CLOUD_PROFILE_ID = "cloud"
SANDBOX_PROFILE_ID = "sandbox"
DESKTOP_CLIENT_ID = "twinedge-desktop"
DEFAULT_SIGN_IN_SCOPES: tuple[str, ...] = (
    "read:assets",
    "write:assets",
    "read:telemetry",
    "write:telemetry",
    "read:alerts",
    "write:alerts",
    "admin",
)


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        override = os.environ.get(HOME_ENV)
        if override:
            root = Path(override)
            return cls(root / "config", root / "data", root / "logs")
        import platformdirs  # imported here: only needed once, off the hot import path

        return cls(
            Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
        )

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.json"

    @property
    def sandbox_data_file(self) -> Path:
        """Where the embedded sandbox keeps its users, keys and signing key between runs."""
        return self.data_dir / "sandbox.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "twinedge-desktop.log"


@dataclass(frozen=True)
class Profile:
    """Which TwinEdge (or other authorization server) to sign in to, and its API.

    ``issuer`` is the authorization server's issuer URL; discovery finds its
    endpoints. ``api_base`` is the base of the REST API (ending in ``/v1``),
    ``audience`` what access tokens for that API carry in ``aud``.
    """

    id: str
    name: str
    issuer: str
    client_id: str = DESKTOP_CLIENT_ID
    api_base: str | None = None
    audience: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SIGN_IN_SCOPES
    builtin: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or data["id"]),
            issuer=str(data["issuer"]).rstrip("/"),
            client_id=str(data.get("client_id") or DESKTOP_CLIENT_ID),
            api_base=(str(data["api_base"]).rstrip("/") if data.get("api_base") else None),
            audience=(str(data["audience"]) if data.get("audience") else None),
            scopes=tuple(str(s) for s in data.get("scopes", DEFAULT_SIGN_IN_SCOPES)),
            builtin=bool(data.get("builtin", False)),
        )


CLOUD_PROFILE = Profile(
    id=CLOUD_PROFILE_ID,
    name="TwinEdge Cloud",
    issuer="https://auth.twinedgeai.com",
    api_base="https://api.twinedgeai.com/v1",
    audience="https://api.twinedgeai.com",
    builtin=True,
)


def sandbox_profile(base_url: str) -> Profile:
    """The "Local sandbox" profile for a sandbox listening at ``base_url``.

    The sandbox is its own issuer and serves the API under ``/v1``; its access
    tokens carry the API's audience, as TwinEdge's do (DESIGN.md), so the seed's own
    validation code accepts them unchanged.
    """
    base = base_url.rstrip("/")
    return Profile(
        id=SANDBOX_PROFILE_ID,
        name="Local sandbox",
        issuer=base,
        api_base=f"{base}/v1",
        audience=CLOUD_PROFILE.audience,
        builtin=True,
    )


def profile_id_for_issuer(issuer: str) -> str:
    """A stable, readable id for a profile created from an issuer URL."""
    slug = re.sub(r"[^a-z0-9]+", "-", issuer.lower().split("://", 1)[-1]).strip("-")
    return slug[:60] or "profile"


THEMES = ("system", "light", "dark")  # Preferences.theme: follow the system, or one palette


@dataclass
class Preferences:
    """Non-secret preferences; every field has a sensible default."""

    clipboard_clear_seconds: int = 30
    jwt_leeway_seconds: int = 60
    sign_in_timeout_seconds: int = 300
    notifications_enabled: bool = True
    theme: str = "system"  # one of THEMES


def _preference_value(name: str, value: Any) -> Any:
    """``value`` as preference ``name`` holds it; ValueError when it cannot be one (a damaged
    or hand-edited file). Checked by the default's type: bools stay bools, a theme is known."""
    default = getattr(Preferences, name)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{name} must be a number")
        return int(value)
    if name == "theme" and value not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}")
    return str(value)


@dataclass(frozen=True)
class _Snapshot:
    """The file's content as plain JSON values: what a merge compares and writes."""

    profiles: dict[str, dict[str, Any]]
    current: str
    preferences: dict[str, Any]
    extra: dict[str, Any]  # top-level keys this version does not know, kept as they are

    @classmethod
    def empty(cls) -> _Snapshot:
        return cls({}, CLOUD_PROFILE_ID, asdict(Preferences()), {})

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> _Snapshot:
        profiles: dict[str, dict[str, Any]] = {}
        items = raw.get("profiles", [])
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                profiles[item["id"]] = item
        prefs = raw.get("preferences")
        current = raw.get("current")
        extra = {k: v for k, v in raw.items() if k not in ("current", "profiles", "preferences")}
        return cls(
            profiles,
            current if isinstance(current, str) else CLOUD_PROFILE_ID,
            dict(prefs) if isinstance(prefs, dict) else asdict(Preferences()),
            extra,
        )

    def to_raw(self) -> dict[str, Any]:
        return {
            **self.extra,
            "current": self.current,
            "profiles": list(self.profiles.values()),
            "preferences": self.preferences,
        }


def _merge(base: _Snapshot, mine: _Snapshot, theirs: _Snapshot) -> _Snapshot:
    """Three-way merge: this process's changes (``base`` → ``mine``) applied on ``theirs``.

    A profile this process added or changed is written as it has it; one it removed is
    removed; every other profile is what the file holds now (so another process's
    additions, changes and removals stand). The current profile and each preference
    are this process's only where it changed them.
    """
    profiles = dict(theirs.profiles)
    for profile_id in mine.profiles.keys() | base.profiles.keys():
        if profile_id not in mine.profiles:
            profiles.pop(profile_id, None)  # removed here
        elif mine.profiles[profile_id] != base.profiles.get(profile_id):
            profiles[profile_id] = mine.profiles[profile_id]  # added or changed here
    current = mine.current if mine.current != base.current else theirs.current
    if current != CLOUD_PROFILE_ID and current not in profiles:
        current = theirs.current if theirs.current in profiles else CLOUD_PROFILE_ID
    preferences = dict(theirs.preferences)
    for name, value in mine.preferences.items():
        if value != base.preferences.get(name):
            preferences[name] = value
    return _Snapshot(profiles, current, preferences, theirs.extra)


class ProfilesBusy(TimeoutError):
    """Another process held the profiles file's lock too long (an OSError, like every
    other reason the file cannot be written)."""


@dataclass
class ProfileStore:
    """Profiles and the current one, persisted as JSON (merged and atomically replaced).

    ``profiles``, ``current_id`` and ``preferences`` may be changed directly; ``save``
    works out what changed since the file was last read and merges just that.
    """

    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    current_id: str = CLOUD_PROFILE_ID
    preferences: Preferences = field(default_factory=Preferences)
    # What the file held when this process last read or wrote it (the merge's base).
    _base: _Snapshot = field(default_factory=_Snapshot.empty, repr=False, compare=False)
    _seen: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> ProfileStore:
        store = cls(path=path)
        store.profiles[CLOUD_PROFILE.id] = CLOUD_PROFILE
        raw, seen = _read_raw(path)
        if raw is not None:
            store._base = _Snapshot.from_raw(raw)
            store._apply(store._base)
        store._seen = seen
        return store

    @property
    def current(self) -> Profile:
        return self.profiles.get(self.current_id, CLOUD_PROFILE)

    def get(self, profile_id: str) -> Profile:
        try:
            return self.profiles[profile_id]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            # Typed by a person (or a script): shown bounded, so a runaway argument does
            # not fill the terminal, with controls escaped by repr.
            shown = repr(profile_id[:80]) + ("…" if len(profile_id) > 80 else "")
            raise ConfigError(f"No profile named {shown}. Known profiles: {known}.") from None

    def put(self, profile: Profile, *, make_current: bool = False) -> None:
        self.profiles[profile.id] = profile
        if make_current:
            self.current_id = profile.id

    # -- several processes ---------------------------------------------------------------------

    def _snapshot(self) -> _Snapshot:
        """This process's view, as the file would hold it (profiles JSON kept from the base
        when unchanged, so fields a newer version added are not dropped)."""
        profiles: dict[str, dict[str, Any]] = {}
        for profile in self.profiles.values():
            if profile.id == CLOUD_PROFILE.id:
                continue
            data = profile.to_json()
            known = self._base.profiles.get(profile.id)
            if known is not None and _profile_or_none(known) == profile:
                data = known
            profiles[profile.id] = data
        for profile_id, item in self._base.profiles.items():
            # An entry this version cannot read was never shown, so never removed here: keep it.
            if profile_id not in profiles and _profile_or_none(item) is None:
                profiles[profile_id] = item
        return _Snapshot(profiles, self.current_id, asdict(self.preferences), self._base.extra)

    def _apply(self, snapshot: _Snapshot) -> None:
        """Make memory what ``snapshot`` says (damaged entries skipped, not fatal)."""
        profiles = {CLOUD_PROFILE.id: CLOUD_PROFILE}
        for item in snapshot.profiles.values():
            profile = _profile_or_none(item)
            if profile is not None and profile.id != CLOUD_PROFILE.id:
                profiles[profile.id] = profile
        self.profiles = profiles
        self.current_id = snapshot.current if snapshot.current in profiles else CLOUD_PROFILE_ID
        # Updated in place: pages hold this object (the keys page reads the clipboard time
        # when it copies), so a change saved or reloaded reaches them. A damaged value falls
        # back to its default rather than stopping the app (or resetting the others).
        for name, default in asdict(Preferences()).items():
            value = default
            if name in snapshot.preferences:
                try:
                    value = _preference_value(name, snapshot.preferences[name])
                except (TypeError, ValueError) as exc:
                    log.warning("Ignoring the saved preference %s: %s", name, exc)
            setattr(self.preferences, name, value)

    def _lock(self) -> Any:
        import filelock

        return filelock.FileLock(
            str(self.path.with_name(f".{self.path.name}.lock")), thread_local=False
        )

    @contextlib.contextmanager
    def _locked(self) -> Any:
        import filelock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self._lock()
        try:
            lock.acquire(timeout=PROFILES_LOCK_WAIT)
        except filelock.Timeout:
            from twinedge_desktop.timefmt import format_duration

            raise ProfilesBusy(
                f"Another TwinEdge Desktop process kept the profile list ({self.path}) locked "
                f"for over {format_duration(PROFILES_LOCK_WAIT)}. Try again."
            ) from None
        try:
            yield
        finally:
            lock.release()

    def save(self) -> None:
        """Merge this process's changes into the file as it is now, under a file lock, and
        replace it atomically. Memory then holds the merged result (including what other
        processes added). Raises OSError (``ProfilesBusy`` among them) when it cannot."""
        with self._locked():
            raw, _ = _read_raw(self.path, damaged_ok=True)
            theirs = _Snapshot.from_raw(raw) if raw is not None else _Snapshot.empty()
            merged = _merge(self._base, self._snapshot(), theirs)
            self._seen = _write_atomic(self.path, merged.to_raw())
            self._base = merged
            self._apply(merged)

    def changed_on_disk(self) -> bool:
        """Whether another process wrote the file since this one last read or wrote it.

        Cheap (one ``stat``; every save replaces the file, so its inode changes): a
        window can ask on focus or on a timer, then :meth:`reload`.
        """
        return _signature(self.path) != self._seen

    def reload(self) -> bool:
        """Take in what other processes saved, keeping this process's unsaved changes on
        top. Returns whether anything in memory changed (profiles, current, preferences)."""
        before = (dict(self.profiles), self.current_id, copy.copy(self.preferences))
        # No lock needed to read: every writer replaces the file in one rename.
        raw, seen = _read_raw(self.path)
        theirs = _Snapshot.from_raw(raw) if raw is not None else _Snapshot.empty()
        merged = _merge(self._base, self._snapshot(), theirs)
        self._base = theirs
        self._seen = seen
        self._apply(merged)
        return (self.profiles, self.current_id, self.preferences) != before


def _profile_or_none(data: dict[str, Any]) -> Profile | None:
    try:
        return Profile.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _read_raw(
    path: Path, *, damaged_ok: bool = False
) -> tuple[dict[str, Any] | None, tuple[int, int, int] | None]:
    """The file's JSON object and its signature; (None, None) when there is no file.

    A damaged file raises ConfigError, unless ``damaged_ok`` (a save is about to
    replace it): then it is moved aside as ``profiles.json.damaged-<time>`` so its
    content can still be recovered, and treated as empty.
    """
    seen = _signature(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        if not damaged_ok or isinstance(exc, OSError):
            raise ConfigError(f"Could not read the profiles file {path}: {exc}") from None
        raw = None
    if isinstance(raw, dict):
        return raw, seen
    if not damaged_ok:
        raise ConfigError(f"The profiles file {path} is not a JSON object.")
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    with contextlib.suppress(OSError):
        os.replace(path, aside)
        log.warning("The profiles file was damaged; kept it as %s and wrote a new one", aside)
    return None, None


def _write_atomic(path: Path, data: dict[str, Any]) -> tuple[int, int, int] | None:
    """Write a sibling temp file and rename it over: a crash never leaves half a file,
    and a reader sees the old file or the new one, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".profiles.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return _signature(path)


class ConfigError(Exception):
    """A profile or preference problem, worded for the person reading it."""
