"""Startup cost of the window against a bare PySide6 window, measured in the same run.

Each sample is a fresh process (``python benchmarks/startup.py --child KIND``):

- ``bare``: QApplication + a QLabel shown as the window (the floor for any Qt app);
- ``app``: ``twinedge_desktop.cli.main([])``, exactly as ``twinedge-desktop`` starts the
  window (its command line is parsed first: a cost of the first paint too).

Measured per sample: wall time from spawning the process to the first paint of
the window (a Paint event reaching it, seen by an event filter on that window
only, the same way for both kinds), the peak RSS at that moment, and, for the
app, the peak RSS once startup has finished (services created, session restore
done) — after the first paint, the app loads httpx, keyring and PyJWT on purpose.
Samples alternate between kinds so machine noise hits both alike; the script
prints medians and the ratios app/bare. Targets (issue 16): time ≤ 1.3×, memory ≤ 1.25×.

Run: ``.venv/bin/python benchmarks/startup.py [--runs 9]`` (offscreen by default;
set QT_QPA_PLATFORM=xcb under Xvfb to include the X server round trips).

``--against DIR`` also samples the app of another checkout (``git worktree add DIR
main``, say), in the same alternation (bare, app, the other app), and prints its ratios
and the median of the per-run ratios this app / that app: the way to compare a change
on a shared, noisy machine, where two separate runs can differ by more than the change.

``--instructions`` counts instead the CPU instructions each kind executes up to its first
paint, once each under valgrind (callgrind; ``apt-get install valgrind``), with a fixed
hash seed. The count repeats to within ~0.1% however busy the machine is, so it shows a
change of a millisecond that wall-clock medians on a loaded machine cannot; it leaves out
what instructions do not show (waiting for the disk, the X server, other processes).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Running a script puts its directory first on sys.path, and benchmarks/inspect.py
# would then shadow the standard library's ``inspect`` (which PySide6 imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

REPO = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT = 60.0
CALLGRIND_TIMEOUT = 600.0  # a run under valgrind is ~80x slower
SETTLE_LIMIT_MS = 10_000


def _rss_mib() -> float:
    # ru_maxrss is in KiB on Linux: the peak resident set of this process so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, *, at_paint: bool = False) -> None:
    """Runs in the measured process: report first paint (and settle) as JSON lines;
    ``at_paint``: end the process right at the first paint (``--instructions``)."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QWidget

    # The app makes its own QApplication (with "-style Fusion", as ``twinedge-desktop``
    # does); one made here first would make it set the style through Python instead.
    if kind == "bare":
        app = QApplication(sys.argv[:1])
    report: dict[str, float] = {}

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (
                "paint" not in report
                and event.type() == QEvent.Type.Paint
                and isinstance(watched, QWidget)
                and watched.isWindow()
            ):
                report["paint"] = time.time()
                report["paint_rss"] = _rss_mib()
                print(json.dumps({"event": "paint", **report}), flush=True)
                if at_paint:
                    os._exit(0)  # nothing after the paint is counted
                QTimer.singleShot(0, settle)
            return False

    def main_window() -> QWidget | None:
        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "MainWindow":
                return widget
        return None

    waited = [0]

    def settle() -> None:
        if kind == "bare":
            report["settled_rss"] = _rss_mib()
            print(json.dumps({"event": "settled", **report}), flush=True)
            app.quit()
            return
        window = main_window()
        label = getattr(window, "session_label", None)
        text = label.text() if label is not None else ""
        started = text and not text.startswith(("Starting", "Restoring"))
        if started or waited[0] >= SETTLE_LIMIT_MS:
            report["settled_rss"] = _rss_mib()
            report["settled"] = time.time()
            print(json.dumps({"event": "settled", "status": text, **report}), flush=True)
            if window is not None:
                window.close()
            return
        waited[0] += 20
        QTimer.singleShot(20, settle)  # a benchmark's own poll, not a test wait

    # The watcher filters the window's own events only. An application-wide Python
    # event filter would be called (and build a Python wrapper) for every event of
    # every widget: a cost that grows with the number of widgets, so it taxed the app
    # (hundreds of construction events) far more than the one-label bare window.
    watcher = FirstPaint()
    if kind == "bare":
        label = QLabel("TwinEdge Desktop")
        label.installEventFilter(watcher)
        label.resize(1040, 700)
        label.show()
        app.exec()
        return
    from twinedge_desktop.cli import main

    try:
        from twinedge_desktop.ui.shell.main_window import MainWindow
    except ModuleNotFoundError:  # an --against checkout from before ui/ was split by feature
        from twinedge_desktop.ui.main_window import (  # type: ignore[import-not-found,no-redef]
            MainWindow,
        )

    shown = MainWindow.show

    def show_watched(window: MainWindow) -> None:
        window.installEventFilter(watcher)
        shown(window)

    MainWindow.show = show_watched  # type: ignore[method-assign,assignment]

    raise SystemExit(main([]))  # the console script's function, as ``twinedge-desktop`` runs it


def _child_env(home: Path, pycache: Path, repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Bytecode as an installed app has it (pip and pipx compile at install time): the
    # warm-up run writes the .pyc files into a private cache that the measured runs
    # read. Without this, PYTHONDONTWRITEBYTECODE (set on these machines) makes every
    # run compile the app's own modules from source again, which the bare window,
    # having no modules of its own, never pays. The source tree is left untouched.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["TWINEDGE_DESKTOP_HOME"] = str(home)
    env["PYTHONPATH"] = str(repo)
    return env


def _sample(kind: str, home: Path, pycache: Path, repo: Path = REPO) -> dict[str, float]:
    env = _child_env(home, pycache, repo)
    started = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
        cwd=repo,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not events:
        raise RuntimeError(f"{kind} run failed ({done.returncode}): {done.stderr[-2000:]}")
    last = events[-1]
    result = {
        "paint_ms": (last["paint"] - started) * 1000,
        "paint_rss": last["paint_rss"],
        "settled_rss": last.get("settled_rss", last["paint_rss"]),
    }
    if "settled" in last:
        result["settled_ms"] = (last["settled"] - started) * 1000
    return result


def _instructions(kind: str, home: Path, pycache: Path, repo: Path) -> int:
    """Instructions ``kind`` executes from the interpreter's start to its first paint."""
    env = _child_env(home, pycache, repo)
    env["PYTHONHASHSEED"] = "0"  # the same dict and set layouts in every run
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={os.devnull}",
            sys.executable,
            __file__,
            "--child",
            kind,
            "--at-paint",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=CALLGRIND_TIMEOUT,
        check=False,
        cwd=repo,
    )
    collected = [line for line in done.stderr.splitlines() if "Collected :" in line]
    if done.returncode != 0 or not collected:
        raise RuntimeError(f"{kind} run under valgrind failed: {done.stderr[-2000:]}")
    return int(collected[-1].rsplit(":", 1)[1].strip())


def _count_instructions(kinds: dict[str, tuple[str, Path]]) -> int:
    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="twinedge-startup-") as tmp:
        pycache = Path(tmp) / "pycache"
        for kind, (child, repo) in kinds.items():
            _sample(child, Path(tmp) / f"warm-{kind}", pycache, repo)  # writes the .pyc files
            counts[kind] = _instructions(child, Path(tmp) / kind, pycache, repo)
    print("startup benchmark: instructions to the first paint (valgrind callgrind)")
    for kind, count in counts.items():
        print(
            f"  {kind:<8}: {count / 1e6:8.1f} M instructions, "
            f"{count / counts['bare']:.3f}x bare (target <= 1.3x)"
        )
    if "against" in counts:
        print(f"  this app / --against app: {counts['app'] / counts['against']:.3f}x")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="samples per kind (default 9)")
    parser.add_argument(
        "--against",
        type=Path,
        metavar="DIR",
        help="another checkout whose app is sampled in the same runs, for a paired comparison",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions to the first paint under valgrind instead of timing",
    )
    parser.add_argument("--child", choices=("bare", "app"), help=argparse.SUPPRESS)
    parser.add_argument("--at-paint", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, at_paint=args.at_paint)
        return 0

    # kind -> (the child's kind, the checkout it imports the app from)
    kinds: dict[str, tuple[str, Path]] = {"bare": ("bare", REPO), "app": ("app", REPO)}
    if args.against is not None:
        kinds["against"] = ("app", args.against.resolve())
    if args.instructions:
        return _count_instructions(kinds)
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="twinedge-startup-") as tmp:
        pycache = Path(tmp) / "pycache"
        # One warm-up of each (disk cache, .pyc files), not counted.
        for kind, (child, repo) in kinds.items():
            _sample(child, Path(tmp) / f"warm-{kind}", pycache, repo)
        for index in range(args.runs):
            for kind, (child, repo) in kinds.items():
                samples[kind].append(_sample(child, Path(tmp) / f"{kind}-{index}", pycache, repo))

    def median(kind: str, key: str) -> float:
        return statistics.median(s[key] for s in samples[kind] if key in s)

    def spread(kind: str, key: str) -> str:
        values = [s[key] for s in samples[kind] if key in s]
        return f"[{min(values):.1f}–{max(values):.1f}]"

    def paired(kind: str, base: str, key: str) -> list[float]:
        # The runs alternate kinds, so pair i ran under similar load.
        return [a[key] / b[key] for a, b in zip(samples[kind], samples[base], strict=True)]

    names = {"bare": "bare PySide6 window", "app": "TwinEdge Desktop", "against": "--against app"}
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    print(f"startup benchmark: {args.runs} runs per kind, platform {platform}")
    print("  (medians; [min–max] over the runs)")
    for kind in kinds:
        print(
            f"  {names[kind]:<20}: first paint {median(kind, 'paint_ms'):7.1f} ms "
            f"{spread(kind, 'paint_ms'):>15}, peak RSS {median(kind, 'paint_rss'):6.1f} MiB "
            f"{spread(kind, 'paint_rss')}"
        )
    for kind in kinds:
        if any("settled_ms" in s for s in samples[kind]):
            print(
                f"  {names[kind]:<20}: startup finished {median(kind, 'settled_ms'):7.1f} ms, "
                f"peak RSS {median(kind, 'settled_rss'):6.1f} MiB "
                "(services loaded, session restored)"
            )
    bare_rss = median("bare", "paint_rss")
    for kind in kinds:
        if kind == "bare":
            continue
        pairs = paired(kind, "bare", "paint_ms")
        print(
            f"  {names[kind]}: ratio time to first paint "
            f"{median(kind, 'paint_ms') / median('bare', 'paint_ms'):.2f}x (target <= 1.3x); "
            f"per-run pairs median {statistics.median(pairs):.2f}x "
            f"[{min(pairs):.2f}–{max(pairs):.2f}]"
        )
        print(
            f"  {names[kind]}: ratio peak RSS at paint "
            f"{median(kind, 'paint_rss') / bare_rss:.2f}x (target <= 1.25x), settled "
            f"{median(kind, 'settled_rss') / bare_rss:.2f}x"
        )
    if "against" in kinds:
        time_pairs = paired("app", "against", "paint_ms")
        rss_pairs = paired("app", "against", "paint_rss")
        print(
            f"  this app / --against app: first paint {statistics.median(time_pairs):.3f}x "
            f"(per-run pairs [{min(time_pairs):.2f}–{max(time_pairs):.2f}]), "
            f"peak RSS at paint {statistics.median(rss_pairs):.3f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
