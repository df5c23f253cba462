"""The bundle's Qt trimming rules (packaging/bundle_trim.py), on the paths each OS produces."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bundle_trim", REPO / "packaging" / "bundle_trim.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


trim = _load()


@pytest.mark.parametrize(
    ("plugin_type", "filename"),
    [
        ("platforms", "libqxcb.so"),
        ("platforms", "libqwayland.so"),
        ("platforms", "libqoffscreen.so"),
        ("platforms", "qwindows.dll"),
        ("platforms", "libqcocoa.dylib"),
        ("imageformats", "libqsvg.so"),
        ("imageformats", "qsvg.dll"),
        ("iconengines", "libqsvgicon.so"),
        ("platformthemes", "libqxdgdesktopportal.so"),
        ("platforminputcontexts", "libcomposeplatforminputcontextplugin.so"),
        ("platforminputcontexts", "libibusplatforminputcontextplugin.so"),
        ("wayland-shell-integration", "libxdg-shell.so"),
        ("wayland-decoration-client", "libadwaita.so"),
        ("styles", "qmodernwindowsstyle.dll"),
        ("styles", "libqmacstyle.dylib"),
    ],
)
def test_plugins_the_app_needs_are_kept(plugin_type: str, filename: str) -> None:
    assert trim.plugin_wanted(plugin_type, filename)


@pytest.mark.parametrize(
    ("plugin_type", "filename"),
    [
        ("platformthemes", "libqgtk3.so"),  # would pull libgtk-3 into the bundle
        ("platforminputcontexts", "libqtvirtualkeyboardplugin.so"),  # QtQuick + QtQml
        ("platforms", "libqeglfs.so"),
        ("platforms", "libqvnc.so"),
        ("imageformats", "libqjpeg.so"),
        ("imageformats", "qwebp.dll"),
        ("sqldrivers", "libqsqlite.so"),
        ("tls", "libqopensslbackend.so"),
        ("qmltooling", "libqmldbg_debugger.so"),
        ("wayland-graphics-integration-client", "libqt-plugin-wayland-egl.so"),
        ("wayland-shell-integration", "libivi-shell.so"),
        ("egldeviceintegrations", "libqeglfs-kms-integration.so"),
    ],
)
def test_plugins_the_app_never_loads_are_dropped(plugin_type: str, filename: str) -> None:
    assert not trim.plugin_wanted(plugin_type, filename)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "PySide6/Qt/lib/libicudata.so.73",
        "PySide6/QtWidgets.abi3.so",
        "PySide6/Qt6Gui.dll",
        "PySide6\\QtWidgets.pyd",
        "PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/libpyside6.abi3.so.6.11",
        "libssl.so.3",
        "twinedge_desktop/sandbox/templates/signin.html",
        "twinedge_desktop/resources/icons/key.svg",
    ],
)
def test_keeps_the_used_qt_and_everything_else(dest: str) -> None:
    assert trim.keep(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "PySide6/Qt/lib/libQt6Qml.so.6",
        "PySide6/Qt/lib/libQt6OpenGL.so.6",
        "PySide6/Qt/lib/libQt6VirtualKeyboard.so.6",
        "PySide6/QtQml.abi3.so",
        "PySide6/Qt6Quick.dll",
        "PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/translations/qtbase_fr.qm",
        "PySide6/opengl32sw.dll",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/plugins/imageformats/qjpeg.dll",
    ],
)
def test_drops_unused_qt_modules_translations_and_plugins(dest: str) -> None:
    assert not trim.keep(dest)


def test_trimmed_keeps_order_and_reports_what_it_dropped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    toc = [
        ("PySide6/Qt/lib/libQt6Core.so.6", "/src/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Quick.so.6", "/src/libQt6Quick.so.6", "BINARY"),
        ("libssl.so.3", "/usr/lib/libssl.so.3", "BINARY"),
    ]
    kept = trim.trimmed(toc, "binaries")
    assert kept == [toc[0], toc[2]]
    out = capsys.readouterr().out
    assert "binaries: kept 2, dropped 1" in out
    assert "PySide6/Qt/lib/libQt6Quick.so.6" in out
