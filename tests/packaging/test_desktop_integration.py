"""The Linux desktop entry, AppStream metainfo and icons: valid, consistent, up to date.

The validators are Debian's ``desktop-file-validate`` (desktop-file-utils) and
``appstreamcli`` (appstream). Without them the validator tests skip locally and
fail under CI (``CI`` set), where .ci/run is expected to install them.
"""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from twinedge_desktop import __version__

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
APP_ID = "io.twinedge.Desktop"
DESKTOP_FILE = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
SVG = REPO / "twinedge_desktop" / "resources" / "app" / "twinedge-desktop.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing in CI: apt-get install desktop-file-utils appstream")
        pytest.skip(f"{name} not installed (apt-get install desktop-file-utils appstream)")
    return path


def _problems(output: str) -> list[str]:
    """Lines a validator marks as errors or warnings (hints and infos are advice)."""
    return [
        line
        for line in output.splitlines()
        if line.startswith(("E:", "W:")) or ": error:" in line or ": warning:" in line
    ]


def test_desktop_file_passes_desktop_file_validate() -> None:
    result = subprocess.run(
        [_validator("desktop-file-validate"), str(DESKTOP_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert _problems(output) == []


def test_metainfo_passes_appstreamcli_validate() -> None:
    result = subprocess.run(
        [_validator("appstreamcli"), "validate", "--no-net", "--no-color", str(METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert _problems(output) == []


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_console_script_with_the_packaged_icon() -> None:
    entry = _desktop_entry()
    assert entry["Exec"] == "twinedge-desktop"
    assert entry["Icon"] == APP_ID
    assert entry["Name"].startswith("TwinEdge")
    for size in SIZES:
        assert (LINUX / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (LINUX / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == (
        SVG.read_bytes()
    )


def test_metainfo_matches_the_desktop_file_and_the_package_version() -> None:
    root = ET.parse(METAINFO).getroot()  # noqa: S314 - our own file, not untrusted input
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP_FILE.name
    assert root.findtext("provides/binary") == "twinedge-desktop"
    releases = root.findall("releases/release")
    assert releases, "metainfo lists no release"
    # Software centres show the newest release: it must be the version being shipped.
    assert releases[0].get("version") == __version__


def _qimage(path: Path) -> Any:
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), path
    return image


@pytest.mark.parametrize("size", SIZES)
def test_each_hicolor_png_has_its_directory_size(size: int, qapp: Any) -> None:
    image = _qimage(LINUX / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png")
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()


@pytest.mark.parametrize("size", [16, 48, 256])
def test_committed_pngs_are_rendered_from_the_current_svg(size: int, qapp: Any) -> None:
    """A changed SVG without re-running packaging/generate_icons.py fails here."""
    import importlib.util

    from PySide6.QtGui import QImage

    spec = importlib.util.spec_from_file_location(
        "generate_icons", REPO / "packaging" / "generate_icons.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    fresh = QImage.fromData(module.render_png(SVG, size))
    committed = _qimage(LINUX / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png")
    fmt = QImage.Format.Format_ARGB32
    fresh, committed = fresh.convertToFormat(fmt), committed.convertToFormat(fmt)
    total = 0
    for y in range(size):
        for x in range(size):
            a, b = fresh.pixel(x, y), committed.pixel(x, y)
            total += sum(abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF)) for s in (0, 8, 16, 24))
    # Mean difference per channel: 0 for the same renderer; a Qt upgrade may shift
    # antialiasing by a few levels, a changed drawing moves it by far more.
    assert total / (size * size * 4) < 2.0


def test_windows_ico_holds_every_size_as_png() -> None:
    data = (REPO / "packaging" / "windows" / "twinedge-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for index in range(count):
        width, height, *_rest, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(data)
        sizes.add((width or 256, height or 256))
    assert sizes == {(s, s) for s in (16, 24, 32, 48, 64, 128, 256)}


def test_macos_icns_holds_the_retina_sizes() -> None:
    data = (REPO / "packaging" / "macos" / "twinedge-desktop.icns").read_bytes()
    magic, total = struct.unpack_from(">4sI", data, 0)
    assert magic == b"icns" and total == len(data)
    types = set()
    offset = 8
    while offset < total:
        kind, length = struct.unpack_from(">4sI", data, offset)
        types.add(kind)
        assert length >= 8
        offset += length
    assert offset == total
    # ic10 = 1024 px (512@2x), ic09 = 512, ic08 = 256, ic07 = 128, ic12 = 32@2x (64 px).
    assert {b"ic10", b"ic09", b"ic08", b"ic07"} <= types


def test_install_desktop_entry_script_installs_a_valid_entry_and_removes_it(
    tmp_path: Path,
) -> None:
    """What pipx and bundle users run to get a menu entry: Exec is the real program."""
    program = tmp_path / "opt" / "twinedge-desktop" / "twinedge-desktop"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    program.chmod(0o755)
    prefix = tmp_path / "prefix"
    script = LINUX / "install-desktop-entry.sh"

    subprocess.run(
        ["sh", str(script), "--prefix", str(prefix), "--exec", str(program)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    installed = prefix / "share" / "applications" / DESKTOP_FILE.name
    text = installed.read_text(encoding="utf-8")
    assert f"\nExec={program}\n" in text
    assert f"\nTryExec={program}\n" in text
    assert f"\nExec={program} --sandbox\n" in text
    for size in SIZES:
        icon = prefix / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert icon.is_file(), icon
    assert (prefix / "share" / "metainfo" / METAINFO.name).is_file()
    result = subprocess.run(
        [_validator("desktop-file-validate"), str(installed)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and _problems(result.stdout + result.stderr) == []

    subprocess.run(
        ["sh", str(script), "--prefix", str(prefix), "--uninstall"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert not installed.exists()
    assert not list((prefix / "share" / "icons").rglob(f"{APP_ID}.*"))


def test_install_desktop_entry_script_refuses_a_missing_program(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "sh",
            str(LINUX / "install-desktop-entry.sh"),
            "--prefix",
            str(tmp_path),
            "--exec",
            str(tmp_path / "nowhere" / "twinedge-desktop"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "pass --exec" in result.stderr
    assert not (tmp_path / "share" / "applications").exists()
