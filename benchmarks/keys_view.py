"""How the API Keys page copes with 10,000 keys from the real sandbox.

Starts the sandbox (in-memory, test controls on), bulk-creates 10,000 keys for
engineer@example.com, signs in through the real browser flow (the test form
driver), shows a KeysPage and measures:

- load time: from ``set_service`` until every page is in the table;
- the longest event-loop stall during the load: a 1 ms precise QTimer records the
  largest gap between its ticks (target < 50 ms: the window never freezes);
- filter keystrokes: typing into the filter box and deleting again, each
  keystroke timed from the key event to the table repainted (target median < 16 ms).

Prints the numbers; asserts nothing (speed is not a test here). Run from the
repository root::

    .venv/bin/python benchmarks/keys_view.py [--count 10000] [--runs 1]

It runs offscreen unless QT_QPA_PLATFORM says otherwise (e.g. under ``xvfb-run``).
"""

from __future__ import annotations

import sys

# Run as a script, this directory comes first on sys.path, and a sibling benchmark's name
# (benchmarks/inspect.py) would shadow the standard library's: put the repository root there
# instead, before anything imports ``inspect``.
_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path[:] = [_HERE + "/.."] + [p for p in sys.path[1:]]

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="keys to seed (default 10000)")
    parser.add_argument("--runs", type=int, default=1, help="loads to measure (default 1)")
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="skip the app's garbage-collector set-up (gc.freeze() after start-up, "
        "collection from the event loop: twinedge_desktop.app.run); shows what the GC "
        "costs the stalls",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the sandbox in a thread of this process (its Python work then competes "
        "with the window for the GIL, which a real server never does)",
    )
    return parser.parse_args()


class StallProbe:
    """Largest gap between ticks of a 1 ms timer: how long the event loop was busy at once."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self._last = 0
        self.longest_ms = 0.0
        self.ticks = 0

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self.longest_ms = 0.0
        self.ticks = 0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.longest_ms = max(self.longest_ms, (now - self._last) / 1e6)
        self._last = now
        self.ticks += 1


class SandboxProcess:
    """``python -m twinedge_desktop.sandbox --test-controls`` on a free port, like a real server:
    its work does not share this process's interpreter lock with the window."""

    def __init__(self, timeout: float = 30.0) -> None:
        import socket
        import subprocess

        import httpx

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "twinedge_desktop.sandbox",
                "--port",
                str(port),
                "--test-controls",
            ],
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:  # bounded: the server prints nothing machine-readable when ready
            try:
                httpx.get(f"{self.base_url}/.well-known/oauth-authorization-server", timeout=1)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


async def main_async(args: argparse.Namespace) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from tests.helpers.sandbox import SandboxControls
    from tests.helpers.sandbox_signin import signed_in
    from twinedge_desktop.config import Preferences
    from twinedge_desktop.sandbox.embedded import start_in_thread
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.keys.page import KeysPage

    if args.in_process:
        sandbox: Any = start_in_thread(test_controls=True)
    else:
        sandbox = await asyncio.to_thread(SandboxProcess)
    try:
        controls = SandboxControls(sandbox.base_url)
        started = time.perf_counter()
        created = await asyncio.to_thread(controls.seed_keys, args.count)
        print(f"seeded {created:,} keys in {time.perf_counter() - started:.2f} s")
        messages = MessageBridge()
        runner = TaskRunner(messages)
        page = KeysPage(runner, messages, Preferences())
        page.resize(1200, 800)
        page.show()
        async with signed_in(sandbox.base_url) as session:
            if args.gc_freeze:
                # As the app does (twinedge_desktop.app.run), so the numbers are the app's:
                # cyclic garbage collected from the event loop, start-up objects frozen.
                from twinedge_desktop.app import freeze_long_lived_objects
                from twinedge_desktop.ui.common.collector import MainThreadCollector

                collector = MainThreadCollector()
                collector.start()
                freeze_long_lived_objects()
            probe = StallProbe()
            loads: list[float] = []
            stalls: list[float] = []
            for _run in range(args.runs):
                page.set_service(None, None)
                await asyncio.sleep(0.05)
                probe.start()
                started = time.perf_counter()
                page.set_service(session.service, session.info)
                assert page.load_task is not None
                await page.load_task
                loads.append(time.perf_counter() - started)
                await asyncio.sleep(0.05)  # the last paint after the load
                probe.stop()
                stalls.append(probe.longest_ms)
                rows = page.model.total_count()
                if rows != args.count:
                    print(f"expected {args.count} rows, got {rows}", file=sys.stderr)
                    return 1

            app = QApplication.instance()
            assert app is not None
            page.activateWindow()
            page.filter_edit.setFocus()
            applied: list[float] = []  # key event to model, proxy and view updated
            keystrokes: list[float] = []  # ... and the table repainted

            def timed(action: Any) -> None:
                t0 = time.perf_counter()
                action()
                t1 = time.perf_counter()
                app.processEvents()  # layout and paint of the table, as the next frame would
                t2 = time.perf_counter()
                applied.append((t1 - t0) * 1000)
                keystrokes.append((t2 - t0) * 1000)

            typed = "seeded key 123"
            for char in typed:
                timed(lambda c=char: QTest.keyClick(page.filter_edit, c))
            shown_narrowest = page.proxy.rowCount()
            for _ in typed:
                timed(lambda: QTest.keyClick(page.filter_edit, Qt.Key.Key_Backspace))
            for char in "read:al":
                timed(lambda c=char: QTest.keyClick(page.filter_edit, c))
            # Baseline in the same run: repainting the same table with nothing changed.
            repaints: list[float] = []
            for _ in range(25):
                t0 = time.perf_counter()
                page.table.viewport().update()
                app.processEvents()
                repaints.append((time.perf_counter() - t0) * 1000)
            # Sort once by name, the heaviest re-order, for the record.
            t0 = time.perf_counter()
            page.proxy.sort(0, Qt.SortOrder.AscendingOrder)
            app.processEvents()
            sort_ms = (time.perf_counter() - t0) * 1000

        print(f"keys in the table:           {page.model.total_count():,}")
        for index, (load, stall) in enumerate(zip(loads, stalls, strict=True), start=1):
            print(f"run {index}: load time          {load * 1000:.0f} ms")
            print(f"run {index}: longest loop stall {stall:.1f} ms (target < 50 ms)")
        if len(stalls) > 1:
            print(
                f"over {len(stalls)} loads:             longest stall max {max(stalls):.1f} ms, "
                f"median {statistics.median(stalls):.1f} ms; "
                f"load median {statistics.median(loads) * 1000:.0f} ms"
            )
        print(
            f"filter keystrokes:           {len(keystrokes)} "
            f"(narrowest: {shown_narrowest} rows shown)"
        )
        print(
            f"filter keystroke, applied:   median {statistics.median(applied):.1f} ms "
            f"(target < 16 ms); max {max(applied):.1f} ms"
        )
        baseline = statistics.median(repaints)
        median_total = statistics.median(keystrokes)
        print(
            f"filter keystroke, repainted: median {median_total:.1f} ms; "
            f"p90 {statistics.quantiles(keystrokes, n=10)[-1]:.1f} ms; max {max(keystrokes):.1f} ms"
        )
        print(
            f"baseline, plain repaint:     median {baseline:.1f} ms "
            f"(keystroke/baseline = {median_total / baseline:.2f})"
        )
        print(f"sort 10k by name:            {sort_ms:.1f} ms")
        page.close()
        await runner.shutdown()
        return 0
    finally:
        sandbox.stop()


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    args = parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    try:
        return int(loop.run_until_complete(main_async(args)))
    finally:
        loop.close()


if __name__ == "__main__":
    raise SystemExit(main())
