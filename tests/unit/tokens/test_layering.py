"""The token logic is plain asyncio: importing it must not need Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_tokens_package_imports_with_qt_blocked() -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None  # any Qt import now raises ImportError\n"
        "import twinedge_desktop.tokens, twinedge_desktop.cli.inspect\n"
        "import twinedge_desktop.tokens.keys, twinedge_desktop.tokens.verify\n"
        "assert not any(name.startswith('PySide6.') for name in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
