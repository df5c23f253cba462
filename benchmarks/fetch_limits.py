"""Memory and time of fetching from a misbehaving server, with and without the limits.

Each case runs in a fresh process (peak RSS is per process) against a loopback server
in that process (tests/helpers/hostile_server.py) through the app's real client:

- ``baseline``: a normal 4 KB document with ``get_json_document``;
- ``endless``: an endless body with ``get_json_document`` (stops at the 1 MiB cap);
- ``trickle``: one byte every 0.1 s with ``get_json_document`` and a 2 s deadline;
- ``bomb``: 1 GiB of zeros gzip-compressed to ~1 MiB, ``Content-Encoding: gzip``, with
  ``get_json_document``: inflated never past the cap (httpx's own decoder, inflating each
  64 KiB chunk whole, measured +130 MiB here; the compressed body the in-process server
  holds counts too);
- ``unbounded``: a 256 MiB body with a plain ``http.get`` (what discovery did before):
  the growth the cap prevents, scaled down from the 2 GB document of the report.

Prints the peak RSS of each, its growth over the baseline, and the wall time.

    .venv/bin/python benchmarks/fetch_limits.py
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/inspect.py would shadow the standard library's ``inspect`` (see startup.py).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncio
import json
import resource
import subprocess
import time

CASES = ("baseline", "endless", "trickle", "bomb", "unbounded")
UNBOUNDED_BYTES = 256 * 1024 * 1024


def _gzip_of_zeros(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed without ever holding them (RSS stays honest)."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + compressor.flush()


async def _child(case: str) -> str:
    from tests.helpers.hostile_server import Document, Endless, Trickle, hostile_server
    from twinedge_desktop.api.errors import FetchError
    from twinedge_desktop.api.http import build_http_client, get_json_document

    routes = {
        "/baseline": Document(json.dumps({"keys": ["x" * 4000]}).encode()),
        "/endless": Endless(),
        "/trickle": Trickle(interval=0.1),
        "/bomb": Document(
            _gzip_of_zeros(1024**3) if case == "bomb" else b"", headers={"Content-Encoding": "gzip"}
        ),
        # An endless server that announces 256 MiB: the client stops there, the server
        # holds nothing, so the RSS growth is the client's alone.
        "/unbounded": Endless(content_length=UNBOUNDED_BYTES),
    }
    with hostile_server(routes) as server:
        async with build_http_client(trust_env=False) as http:
            try:
                if case == "unbounded":
                    await http.get(server.url("/unbounded"), timeout=60)
                    return "read-whole"
                await get_json_document(http, server.url(f"/{case}"), timeout=2.0)
                return "ok"
            except FetchError as exc:
                return type(exc).__name__


def main() -> None:
    results = {}
    for case in CASES:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", case],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        outcome, peak_kib = done.stdout.split()
        results[case] = (outcome, int(peak_kib) / 1024, time.perf_counter() - start)
    base = results["baseline"][1]
    for case, (outcome, peak, seconds) in results.items():
        print(
            f"{case:<10} {outcome:<14} peak RSS {peak:7.1f} MiB  (+{peak - base:6.1f} MiB over "
            f"baseline)  {seconds:5.2f} s"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        outcome = asyncio.run(_child(sys.argv[2]))
        print(outcome, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    else:
        main()
