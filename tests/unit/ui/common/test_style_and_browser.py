"""Palettes (light, dark, following the system), icons, and opening the browser."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from twinedge_desktop.ui.common import browser
from twinedge_desktop.ui.common.style import ICONS_DIR, SCHEMES, ThemeManager, icon


def _contrast(a: QColor, b: QColor) -> float:
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture
def theme(qapp: QApplication) -> Any:
    manager = ThemeManager(qapp)
    yield manager
    manager._app_rules = False
    qapp.setStyleSheet("")
    manager.force(None)
    qapp.styleHints().unsetColorScheme()


def test_feature_page_rules_follow_the_scheme(qapp: QApplication, theme: ThemeManager) -> None:
    assert qapp.styleSheet() == ""  # none before the first paint: the shell stays fast
    theme.use_app_style_sheet()
    assert 'QPushButton[primary="true"]' in qapp.styleSheet()
    assert SCHEMES["light"]["highlight"] in qapp.styleSheet()
    theme.force("dark")
    assert SCHEMES["dark"]["highlight"] in qapp.styleSheet()
    assert SCHEMES["light"]["highlight"] not in qapp.styleSheet()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_forced_scheme_applies_a_readable_palette(theme: ThemeManager, scheme: str) -> None:
    theme.force(scheme)
    palette = QGuiApplication.palette()
    assert palette.color(QPalette.ColorRole.Window) == QColor(SCHEMES[scheme]["window"])
    # WCAG AA (4.5:1) for body text and for text on the accent colour.
    assert (
        _contrast(
            palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
        )
        >= 4.5
    )
    assert (
        _contrast(
            palette.color(QPalette.ColorRole.HighlightedText),
            palette.color(QPalette.ColorRole.Highlight),
        )
        >= 4.5
    )
    muted = QColor(SCHEMES[scheme]["muted"])
    assert _contrast(muted, palette.color(QPalette.ColorRole.Window)) >= 4.5
    assert theme.scheme == scheme


def test_follows_the_system_colour_scheme(
    qapp: QApplication, theme: ThemeManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The offscreen platform cannot change its colour scheme, so the system's answer is
    # replaced and the change signal emitted as the platform would.
    from twinedge_desktop.ui.common import style

    monkeypatch.setattr(style, "system_scheme", lambda: "dark")
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.scheme == "dark"
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window) == QColor(
        SCHEMES["dark"]["window"]
    )
    theme.force("light")  # a forced scheme wins over the system
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.scheme == "light"
    theme.force(None)
    assert theme.scheme == "dark"


def test_icons_render_in_the_palette_text_colour(theme: ThemeManager) -> None:
    names = sorted(p.stem for p in ICONS_DIR.glob("*.svg"))
    assert {"key", "inspect", "account", "sign-in", "sign-out", "refresh"} <= set(names)
    for scheme in ("light", "dark"):
        theme.force(scheme)
        text = QColor(SCHEMES[scheme]["text"])
        for name in names:
            image = icon(name).pixmap(24, 24).toImage()
            colours = {
                image.pixelColor(x, y).rgb()
                for x in range(24)
                for y in range(24)
                if image.pixelColor(x, y).alpha() == 255
            }
            assert colours, f"{name} drew nothing"
            assert text.rgb() in colours, f"{name} is not drawn in the text colour ({scheme})"
    disabled = icon("key").pixmap(24, 24, QIcon.Mode.Disabled).toImage()
    assert any(disabled.pixelColor(x, 12).alpha() for x in range(24))


def test_icons_are_on_a_24px_grid() -> None:
    for path in ICONS_DIR.glob("*.svg"):
        text = path.read_text()
        assert 'viewBox="0 0 24 24"' in text, path.name
        assert "currentColor" in text, path.name


_REPORTER = """\
import json, sys
with open(sys.argv[1], "w") as fifo:
    fifo.write(json.dumps(sys.argv[2:]))
"""


def _reporter(root: Path) -> tuple[Path, Path]:
    """A "browser" script that writes the arguments it got to a FIFO (no polling)."""
    script, fifo = root / "browser.py", root / "report.fifo"
    script.write_text(_REPORTER)
    os.mkfifo(fifo)
    return script, fifo


def _report(fifo: Path, timeout: float = 20) -> list[str]:
    """What the launched browser got: a read of the FIFO in a thread, bounded."""
    result: list[str] = []

    def read() -> None:
        with open(fifo) as handle:  # blocks until the browser opens the FIFO to write
            result.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    assert result, "the browser was never started"
    argv: list[str] = json.loads(result[0])
    return argv


def test_browser_env_var_is_honoured_and_read_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window follows $BROWSER exactly as the command line (twinedge_desktop.browser)."""
    url = "http://127.0.0.1:9/oauth/authorize?client_id=twinedge-desktop&state=xyz"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, first_fifo = _reporter(tmp_path / "a")
    monkeypatch.setenv("BROWSER", f"{sys.executable} {first} {first_fifo}")
    assert browser.open_browser(url) is True  # returns at once: nothing is waited for
    assert _report(first_fifo) == [url]
    # A command line with %s and arguments, after a missing entry (os.pathsep-separated):
    # the variable is read again, not cached from the first call.
    second, second_fifo = _reporter(tmp_path / "b")
    monkeypatch.setenv(
        "BROWSER",
        f"{tmp_path / 'missing'}:{sys.executable} {second} {second_fifo} --new-window %s",
    )
    assert browser.open_browser(url) is True
    assert _report(second_fifo) == ["--new-window", url]


def test_a_browser_variable_that_starts_nothing_says_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER", str(tmp_path / "no-such-browser"))
    assert browser.open_browser("http://127.0.0.1:9/authorize") is False  # the link is shown


def test_without_browser_env_qt_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROWSER", raising=False)
    asked: list[str] = []

    def fake_open(url: Any) -> bool:
        asked.append(url.toString())
        return False

    monkeypatch.setattr(browser.QDesktopServices, "openUrl", staticmethod(fake_open))
    assert browser.open_browser("https://auth.example.com/oauth/authorize") is False
    assert asked == ["https://auth.example.com/oauth/authorize"]


def test_a_first_guess_from_the_platform_palette_is_confirmed_after_the_paint(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twinedge_desktop.ui.common import style

    # A platform that hands Qt a dark palette: the first frame is dark already.
    dark_platform = QPalette()
    dark_platform.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    qapp.setPalette(dark_platform)
    monkeypatch.setattr(style, "system_scheme", lambda: "light")
    manager = ThemeManager(qapp, exact_scheme=False)
    try:
        assert manager.scheme == "dark"
        # The exact answer (here: light) wins once the window is on screen.
        manager.confirm_scheme()
        assert manager.scheme == "light"
        assert QGuiApplication.palette().color(QPalette.ColorRole.Window) == QColor(
            SCHEMES["light"]["window"]
        )
        manager.force("dark")
        manager.confirm_scheme()  # a forced scheme is left alone
        assert manager.scheme == "dark"
    finally:
        manager.force(None)
        qapp.styleHints().unsetColorScheme()


def _contrast(a: QColor, b: QColor) -> float:
    def luminance(color: QColor) -> float:
        channels = [
            v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
            for v in (color.redF(), color.greenF(), color.blueF())
        ]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_one_is_dark_judged_by_the_window_colour(qapp: QApplication) -> None:
    from twinedge_desktop.ui.common import style

    assert style.is_dark(style.build_palette("dark"))
    assert not style.is_dark(style.build_palette("light"))
    mixed = style.build_palette("light")
    mixed.setColor(QPalette.ColorRole.Window, QColor("#202020"))  # light fields, dark window
    assert style.is_dark(mixed)
    before = qapp.palette()
    qapp.setPalette(mixed)
    try:
        assert style.platform_palette_scheme() == "dark"  # the first frame's guess agrees
    finally:
        qapp.setPalette(before)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tones_are_readable_on_every_background_of_the_palette(scheme: str) -> None:
    from twinedge_desktop.ui.common import style

    palette = style.build_palette(scheme)
    backgrounds = [
        palette.color(role)
        for role in (
            QPalette.ColorRole.Window,
            QPalette.ColorRole.Base,
            QPalette.ColorRole.AlternateBase,
        )
    ]
    for kind in ("error", "warning", "success"):
        accent = style.tone(palette, kind)  # type: ignore[arg-type]
        assert min(_contrast(accent, b) for b in backgrounds) >= 4.5, (scheme, kind)


def test_the_monospace_font_is_fixed_pitch(qapp: QApplication) -> None:
    from PySide6.QtGui import QFontInfo

    from twinedge_desktop.ui.common import style

    font = style.monospace_font()
    assert QFontInfo(font).fixedPitch()
    assert font.styleHint() == font.StyleHint.Monospace
