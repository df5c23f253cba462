"""Profiles (which TwinEdge to talk to) and non-secret preferences.

Everything here is plain data kept in a JSON file under the platform's config
directory (platformdirs), readable by the command line and the window alike.
Secrets never come here: tokens live in the keychain (``vault``), and this
module refuses to store anything but endpoints, ids and preferences.

``TWINEDGE_DESKTOP_HOME`` moves config, data and logs under one directory, so
tests, demos and the packaged app's smoke test never touch a person's own files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
    tokens carry the base URL as audience.
    """
    base = base_url.rstrip("/")
    return Profile(
        id=SANDBOX_PROFILE_ID,
        name="Local sandbox",
        issuer=base,
        api_base=f"{base}/v1",
        audience=base,
        builtin=True,
    )


def profile_id_for_issuer(issuer: str) -> str:
    """A stable, readable id for a profile created from an issuer URL."""
    slug = re.sub(r"[^a-z0-9]+", "-", issuer.lower().split("://", 1)[-1]).strip("-")
    return slug[:60] or "profile"


@dataclass
class Preferences:
    """Non-secret preferences; every field has a sensible default."""

    clipboard_clear_seconds: int = 30
    jwt_leeway_seconds: int = 60
    sign_in_timeout_seconds: int = 300


@dataclass
class ProfileStore:
    """Profiles and the current one, persisted as JSON (atomically replaced)."""

    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    current_id: str = CLOUD_PROFILE_ID
    preferences: Preferences = field(default_factory=Preferences)

    @classmethod
    def load(cls, path: Path) -> ProfileStore:
        store = cls(path=path)
        store.profiles[CLOUD_PROFILE.id] = CLOUD_PROFILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return store
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Could not read the profiles file {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"The profiles file {path} is not a JSON object.")
        for item in raw.get("profiles", []):
            try:
                profile = Profile.from_json(item)
            except (KeyError, TypeError, ValueError):
                continue  # a damaged entry is skipped, not fatal: the others still load
            if profile.id != CLOUD_PROFILE.id:
                store.profiles[profile.id] = profile
        current = raw.get("current")
        if isinstance(current, str) and current in store.profiles:
            store.current_id = current
        prefs = raw.get("preferences")
        if isinstance(prefs, dict):
            known = {k: v for k, v in prefs.items() if k in Preferences.__dataclass_fields__}
            # Damaged preferences fall back to the defaults rather than stopping the app.
            with contextlib.suppress(TypeError, ValueError):
                store.preferences = Preferences(**{k: int(v) for k, v in known.items()})
        return store

    @property
    def current(self) -> Profile:
        return self.profiles.get(self.current_id, CLOUD_PROFILE)

    def get(self, profile_id: str) -> Profile:
        try:
            return self.profiles[profile_id]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise ConfigError(
                f"No profile named {profile_id!r}. Known profiles: {known}."
            ) from None

    def put(self, profile: Profile, *, make_current: bool = False) -> None:
        self.profiles[profile.id] = profile
        if make_current:
            self.current_id = profile.id

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "current": self.current_id,
            "profiles": [p.to_json() for p in self.profiles.values() if p.id != CLOUD_PROFILE.id],
            "preferences": asdict(self.preferences),
        }
        # Write a sibling temp file and rename it over: a crash never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=".profiles.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class ConfigError(Exception):
    """A profile or preference problem, worded for the person reading it."""
