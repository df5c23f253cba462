"""A private Xvfb X server for tests that need a real X11 display (selections, xcb).

``xvfb_display()`` starts ``Xvfb`` on a free display number (``-displayfd``: the server
picks it and says which), without TCP, and stops it afterwards. Skips the test when
Xvfb is not installed (scripts/dev installs it: DEBIAN_PACKAGES has ``xvfb``).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
from collections.abc import Iterator

import pytest

START_TIMEOUT = 15.0


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    """The DISPLAY of a fresh Xvfb (e.g. ":42"), running until the block ends."""
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [binary, "-displayfd", str(write_end), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], START_TIMEOUT)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        if not number:
            raise RuntimeError(f"Xvfb did not start within {START_TIMEOUT:.0f} s")
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
