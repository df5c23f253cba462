"""The text behind Help ▸ Copy diagnostics: what a bug report needs, and no secret.

It lists the app's and its libraries' versions, the platform and session (so a
support engineer sees "WSL" or "SSH" at a glance), the keychain backend in use
and each profile's endpoints. Profiles hold only endpoints and ids, but an
issuer URL typed by a person could still carry a password or a query string,
so URLs lose their user-info part and the whole report goes through
:func:`twinedge_desktop.redaction.redact` before it is returned.

No Qt at import time: the command line and tests use this without a window;
Qt's version is looked up only when the report is built.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from twinedge_desktop import APP_NAME, __version__
from twinedge_desktop.config import ProfileStore
from twinedge_desktop.redaction import redact

# (label, distribution name, module whose __version__ is the fallback, or None).
# The fallback matters in a PyInstaller bundle built without a package's metadata.
# keyring has no __version__, and only the vault may import it (tests/unit/test_layering.py).
_LIBRARIES: tuple[tuple[str, str, str | None], ...] = (
    ("httpx", "httpx", "httpx"),
    ("keyring", "keyring", None),
    ("PyJWT", "PyJWT", "jwt"),
    ("cryptography", "cryptography", "cryptography"),
    ("truststore", "truststore", "truststore"),
    ("qasync", "qasync", "qasync"),
)

NO_KEYCHAIN = "none available (tokens are not remembered)"


def collect_diagnostics(
    profile_store: ProfileStore,
    keychain_backend_name: str | None,
    *,
    log_file: Path | None = None,
) -> str:
    """A plain-text report for bug reports, redacted.

    ``keychain_backend_name`` is the credential store's ``backend_name`` (None
    when no system keychain works). ``log_file`` (optional) is shown with the
    home directory abbreviated to ``~``.
    """
    lines = [
        f"{APP_NAME} {__version__} ({_how_installed()})",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
        f"Qt: {_qt_versions()}",
    ]
    lines += [f"{label}: {_version_of(dist, module)}" for label, dist, module in _LIBRARIES]
    lines += [
        f"Platform: {platform.platform()} ({platform.machine() or 'unknown machine'})",
        f"Session: {_session_description()}",
        f"Keychain backend: {keychain_backend_name or NO_KEYCHAIN}",
    ]
    if log_file is not None:
        lines.append(f"Log file: {_home_abbreviated(log_file)}")
    lines.append("Profiles (* = current):")
    for profile in profile_store.profiles.values():
        marker = "*" if profile.id == profile_store.current_id else " "
        lines.append(f"{marker} {profile.id} ({profile.name})")
        lines.append(f"    issuer: {_safe_url(profile.issuer)}")
        lines.append(f"    API base: {_safe_url(profile.api_base) if profile.api_base else '-'}")
        lines.append(f"    audience: {_safe_url(profile.audience) if profile.audience else '-'}")
        lines.append(f"    client id: {profile.client_id}")
    return redact("\n".join(lines) + "\n")


def _how_installed() -> str:
    if getattr(sys, "frozen", False):
        return "bundle"
    return "Python package"


def _version_of(distribution: str, module_name: str | None) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        pass
    if module_name is None:
        return "unknown version"
    try:
        module = __import__(module_name)
    except ImportError:
        return "not installed"
    return str(getattr(module, "__version__", "unknown version"))


def _qt_versions() -> str:
    """Qt's runtime version and PySide6's; imported here, not at module level."""
    try:
        import PySide6
        from PySide6 import QtCore
    except ImportError:
        return "not installed"
    text = f"{QtCore.qVersion()} (PySide6 {PySide6.__version__})"
    # The platform plugin (xcb, wayland, offscreen…) explains many display problems;
    # it is only known once an application object exists.
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        text += f", platform plugin {QGuiApplication.platformName()}"
    return text


def _session_description() -> str:
    """Desktop session facts that explain "the browser did not open" or "no keychain"."""
    facts: list[str] = []
    session_type = os.environ.get("XDG_SESSION_TYPE")
    if session_type:
        facts.append(session_type)
    desktop = os.environ.get("XDG_CURRENT_DESKTOP")
    if desktop:
        facts.append(f"desktop {desktop}")
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        facts.append("no display")
    if _is_wsl():
        facts.append("WSL")
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        facts.append("over SSH")
    if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        facts.append("no D-Bus session bus address")
    if os.environ.get("BROWSER"):
        facts.append("$BROWSER set")
    proxies = sorted(
        name.upper()
        for name in ("https_proxy", "http_proxy", "all_proxy", "HTTPS_PROXY", "HTTP_PROXY")
        if os.environ.get(name)
    )
    if proxies:
        # Only the names: a proxy URL may carry a user name and password.
        facts.append("proxy variables " + ", ".join(dict.fromkeys(proxies)))
    return ", ".join(facts) or "nothing notable"


def _is_wsl() -> bool:
    if os.environ.get("WSL_DISTRO_NAME"):
        return True
    return "microsoft" in platform.release().lower()


def _safe_url(url: str) -> str:
    """``url`` without ``user:password@`` (redact() handles query strings)."""
    try:
        parts = urlsplit(url)
        if "@" not in parts.netloc:
            return url
        port = parts.port
    except ValueError:
        # Unparseable: keep only what cannot be a credential.
        return url.split("@", 1)[-1]
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _home_abbreviated(path: Path) -> str:
    try:
        return "~" + os.sep + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
