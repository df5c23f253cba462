"""The scanner is core code: no Qt, no keyring, no network at import; the commands stay light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_scan_package_imports_with_qt_blocked_and_without_the_network_stack() -> None:
    code = (
        "import sys\n"
        "for blocked in ('PySide6', 'shiboken6', 'qasync', 'keyring'):\n"
        "    sys.modules[blocked] = None  # importing it now raises ImportError\n"
        "import twinedge_desktop.scan, twinedge_desktop.scan.match\n"
        "assert 'httpx' not in sys.modules, 'the engine must not pull in the network stack'\n"
        "import twinedge_desktop.cli.scan, twinedge_desktop.cli.keys\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_building_the_parser_does_not_import_the_scanner_or_the_api() -> None:
    code = (
        "import sys\n"
        "from twinedge_desktop.cli import build_parser\n"
        "build_parser()\n"
        "loaded = [m for m in ('twinedge_desktop.scan', 'httpx', 'twinedge_desktop.api') "
        "if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
