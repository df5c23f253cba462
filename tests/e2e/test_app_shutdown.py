"""The window quits in order on SIGTERM (a session logout) and SIGINT (Ctrl+C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.e2e
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_shuts_the_window_down_in_order(tmp_path: Path, signum: int) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TWINEDGE_DESKTOP_HOME=str(tmp_path))
    process = subprocess.Popen(
        [sys.executable, "-m", "twinedge_desktop", "--sandbox"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    log_file = tmp_path / "logs" / "twinedge-desktop.log"
    try:
        deadline = time.monotonic() + 60
        # Wait until the embedded sandbox is up: startup has finished its slow part.
        while time.monotonic() < deadline:
            if log_file.is_file() and "sandbox" in log_file.read_text(errors="replace").lower():
                break
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.1)
        else:
            pytest.fail("the app did not start its sandbox within 60 s")
        process.send_signal(signum)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")
    log_text = log_file.read_text(errors="replace")
    assert "Received signal" in log_text
    assert "TwinEdge Desktop stopped" in log_text  # the orderly shutdown ran to its end
