"""Which Qt files the PyInstaller bundle keeps: the rules behind ``twinedge-desktop.spec``.

Kept apart from the spec (which only PyInstaller can execute) so the rules are plain,
testable Python (tests/packaging/test_bundle_trim.py). Paths are bundle destinations as
PyInstaller lists them, e.g. ``PySide6/Qt/plugins/platforms/libqxcb.so`` (Linux),
``PySide6/plugins/platforms/qwindows.dll`` (Windows),
``PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore`` (macOS).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

# Shared libraries that may stay: the used modules plus what their platform plugins link.
KEPT_QT_LIBRARIES: set[str] = {
    "Core",
    "Gui",
    "Widgets",
    "Svg",
    "Network",  # only present when the spec collected QtNetwork (the code imports it)
    "DBus",
    "XcbQpa",  # Linux: the xcb platform plugin's implementation
    "WaylandClient",  # Linux: the wayland platform plugin's implementation
}
# Plugin type → file-name stems kept (without lib prefix and extension). A type not listed
# is dropped whole. Each entry says why the app needs it.
KEPT_QT_PLUGINS: dict[str, set[str] | None] = {
    # The window system: native ones, plus offscreen (headless runs, the smoke test, CI)
    # and minimal (a last resort that still lets --help-type paths start Qt).
    "platforms": {"qxcb", "qwayland", "qoffscreen", "qminimal", "qwindows", "qcocoa"},
    # SVG icons (QIcon("….svg") and the app's tinted icon engine draw through these).
    "imageformats": {"qsvg", "qico"},
    "iconengines": {"qsvgicon"},
    # Native look: Windows 11/10 style, macOS style.
    "styles": None,  # every style the wheel ships (only Windows/macOS wheels have any)
    # Linux: file dialogs and "open this link" through the desktop portal; no GTK theme
    # (it would pull libgtk-3 and its dependency tree into the bundle).
    "platformthemes": {"qxdgdesktopportal"},
    # Linux: dead keys / compose sequences and IBus input methods in text fields
    # (the virtual keyboard plugin is left out: it drags in QtQuick and QtQml).
    "platforminputcontexts": {
        "composeplatforminputcontextplugin",
        "ibusplatforminputcontextplugin",
    },
    # Linux Wayland: the xdg-shell window protocol and client-side decorations.
    "wayland-shell-integration": {"xdg-shell"},
    "wayland-decoration-client": None,
    # wayland-graphics-integration-client is left out: widgets draw into shared memory;
    # its EGL plugin would need QtOpenGL.
}


def plugin_stem(filename: str) -> str:
    """``qxcb`` for ``libqxcb.so`` / ``qxcb.dll`` / ``libqxcb.dylib``."""
    stem = PurePosixPath(filename.replace("\\", "/")).name.split(".")[0]
    return stem[3:] if stem.startswith("lib") else stem


def plugin_wanted(plugin_type: str, filename: str) -> bool:
    """Whether a Qt plugin of ``plugin_type`` (a plugins/ sub-folder) goes into the bundle."""
    if plugin_type not in KEPT_QT_PLUGINS:
        return False
    allowed = KEPT_QT_PLUGINS[plugin_type]
    return allowed is None or plugin_stem(filename) in allowed


def qt_library_stem(dest: str) -> str | None:
    """``Widgets`` for libQt6Widgets.so.6 / Qt6Widgets.dll / QtWidgets.framework, else None."""
    for part in PurePosixPath(dest.replace("\\", "/")).parts:
        for prefix in ("libQt6", "Qt6", "Qt"):
            if part.startswith(prefix) and (
                ".so" in part or part.endswith((".dll", ".framework", ".dylib", ".pyd"))
            ):
                return part[len(prefix) :].split(".")[0]
    return None


def keep(dest: str) -> bool:
    """Safety net after analysis: no Qt translations, plugins or libraries of unused modules."""
    normalized = dest.replace("\\", "/")
    if not normalized.startswith("PySide6/") and "/PySide6/" not in normalized:
        return True
    if "/translations/" in normalized:
        return False  # the UI is English only; Qt's own translations would mix languages
    name = PurePosixPath(normalized).name
    if name.lower() == "opengl32sw.dll":
        return False  # Windows: 20 MB software OpenGL; widgets draw without OpenGL
    parts = PurePosixPath(normalized).parts
    if "plugins" in parts:
        index = parts.index("plugins")
        if len(parts) >= index + 3:
            return plugin_wanted(parts[index + 1], name)
    library = qt_library_stem(normalized)
    if library is not None:
        return library in KEPT_QT_LIBRARIES
    return True


def trimmed(toc: Iterable[tuple[str, str, str]], label: str) -> list[tuple[str, str, str]]:
    """The entries of a PyInstaller TOC that :func:`keep` accepts; prints what it dropped."""
    entries = list(toc)
    kept = [entry for entry in entries if keep(entry[0])]
    dropped = sorted(entry[0] for entry in entries if not keep(entry[0]))
    print(f"[twinedge spec] {label}: kept {len(kept)}, dropped {len(dropped)}")
    for dest in dropped:
        print(f"[twinedge spec]   - {dest}")
    return kept
