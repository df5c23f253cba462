"""Render every app icon from the one SVG, ``twinedge_desktop/resources/app/twinedge-desktop.svg``.

Writes
- ``packaging/linux/icons/hicolor/NxN/apps/io.twinedge.Desktop.png`` for the sizes
  desktops expect, plus ``scalable/apps/io.twinedge.Desktop.svg``;
- ``packaging/windows/twinedge-desktop.ico`` (16–256 px);
- ``packaging/macos/twinedge-desktop.icns`` (16–1024 px).

Qt's QSvgRenderer draws the PNGs (PySide6 is already a dependency, and it is the
renderer the app itself uses for the window icon, so what ships matches what the
window shows). Pillow only *packs* the Qt-rendered images into .ico and .icns;
it never resamples them (each size is rendered from the vector source).
Pillow is a build-time tool only: ``pip install pillow``.

Run from anywhere: ``python packaging/generate_icons.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The one source of every icon size; it ships inside the package (docs/contracts.md).
SOURCE_SVG = REPO / "twinedge_desktop" / "resources" / "app" / "twinedge-desktop.svg"
APP_ID = "io.twinedge.Desktop"
LINUX_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn at ``size`` × ``size`` pixels, antialiased, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stubs type the format as bytes; at run time only str is accepted.
    saved: bool = image.save(buffer, "PNG")  # type: ignore[call-overload]
    if not saved:
        raise SystemExit(f"Qt could not encode the {size} px icon as PNG")
    buffer.close()
    return bytes(data.data())


def generate(out: Path, svg: Path = SOURCE_SVG) -> list[Path]:
    """Write every icon under ``out`` (laid out like ``packaging/``); return the files."""
    from PIL import Image

    pngs = {size: render_png(svg, size) for size in sorted({*LINUX_SIZES, *ICNS_SIZES})}
    written: list[Path] = []

    hicolor = out / "linux" / "icons" / "hicolor"
    for size in LINUX_SIZES:
        target = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
        written.append(target)
    scalable = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)

    images = {size: Image.open(io.BytesIO(data)) for size, data in pngs.items()}

    ico = out / "windows" / "twinedge-desktop.ico"
    ico.parent.mkdir(parents=True, exist_ok=True)
    # Pillow picks, for each requested size, the appended image of exactly that size.
    images[256].save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != 256],
    )
    written.append(ico)

    icns = out / "macos" / "twinedge-desktop.icns"
    icns.parent.mkdir(parents=True, exist_ok=True)
    images[1024].save(
        icns, format="ICNS", append_images=[images[s] for s in ICNS_SIZES if s != 1024]
    )
    written.append(icns)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=REPO / "packaging", help="output root (default: packaging/)"
    )
    parser.add_argument("--svg", type=Path, default=SOURCE_SVG, help="source SVG")
    args = parser.parse_args(argv)
    for path in generate(args.out, args.svg):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
