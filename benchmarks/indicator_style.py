"""What the check-box and radio-button style (``ui/common/indicator_style.py``) costs.

``IndicatorStyle`` is a ``QProxyStyle`` over Fusion written in Python, so every primitive
Qt draws crosses into Python once to be passed on. Measured the way a person pays it: a
full repaint of a 40×7 table (about 460 primitives, the size of the keys page at
1920×1080), rendered offscreen into a pixmap, with plain Fusion (the baseline, in the same
process and run) and with ``IndicatorStyle``; and the repaint of a dialog's worth of check
boxes and radio buttons (the primitives it draws itself). Prints the median and best per
repaint and the ratio to the baseline.

    .venv/bin/python benchmarks/indicator_style.py [--rounds N]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/inspect.py would shadow the standard library's ``inspect`` (see startup.py).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (default 30)")
    args = parser.parse_args()

    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import (
        QApplication,
        QCheckBox,
        QGridLayout,
        QRadioButton,
        QStyleFactory,
        QTableWidget,
        QTableWidgetItem,
        QWidget,
    )

    from twinedge_desktop.ui.common.indicator_style import IndicatorStyle

    app = QApplication([sys.argv[0], "-style", "Fusion"])
    table = QTableWidget(40, 7)
    table.resize(1400, 1000)
    for row in range(40):
        for column in range(7):
            table.setItem(row, column, QTableWidgetItem(f"cell {row}, {column}: some text"))
    form = QWidget()
    grid = QGridLayout(form)
    for index in range(12):
        grid.addWidget(QCheckBox(f"read:scope{index}"), index, 0)
        grid.addWidget(QRadioButton(f"choice {index}"), index, 1)
    form.resize(400, 500)
    table.show()
    form.show()

    def timed(widget: QWidget) -> list[float]:
        pixmap = QPixmap(widget.size())
        for _ in range(5):  # warm-up: fonts, glyph caches
            widget.render(pixmap)
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            widget.render(pixmap)
            times.append((time.perf_counter() - start) * 1000)
        return times

    def measure(install: Callable[[], None]) -> dict[str, list[float]]:
        install()
        app.processEvents()
        return {"table": timed(table), "check boxes": timed(form)}

    fusion = measure(lambda: app.setStyle(QStyleFactory.create("Fusion")))
    ours = measure(lambda: app.setStyle(IndicatorStyle()))
    print(f"{'repaint':<14}{'Fusion median':>15}{'ours median':>13}{'ratio':>8}{'best ratio':>12}")
    for name in fusion:
        base, mine = fusion[name], ours[name]
        ratio = statistics.median(mine) / statistics.median(base)
        best = min(mine) / min(base)
        print(
            f"{name:<14}{statistics.median(base):>12.2f} ms{statistics.median(mine):>10.2f} ms"
            f"{ratio:>8.2f}{best:>12.2f}"
        )


if __name__ == "__main__":
    main()
