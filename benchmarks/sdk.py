"""What the twinedge SDK costs over plain httpx, measured against baselines in the same run.

    .venv/bin/python benchmarks/sdk.py [--requests 2000] [--imports 30]

1. Per-request overhead: ``TwinEdgeClient`` (client credentials, token cached) against
   a raw ``httpx.Client`` sending the same bearer to the same sandbox endpoint over
   loopback. The two alternate request by request (which goes first alternates too),
   so machine noise hits both alike; medians per request, and the ratio. Target ≤ 1.1×.
2. Import cost in fresh interpreters: ``from twinedge import TwinEdgeClient`` (what a
   script does) and ``import twinedge`` against ``import httpx``, alternating runs,
   each minus the median of ``python -c pass``. Target ≤ 1.2×. Bytecode is compiled
   first, as pip does when it installs a wheel.
3. 100 concurrent calls on ``AsyncTwinEdgeClient`` with no token yet: how many token
   requests reach the sandbox (counted by an event hook; must be exactly 1), and the
   wall time against 100 concurrent raw httpx calls.

The sandbox runs in its own process (``python -m twinedge_desktop.sandbox --port 0``)
so it does not share the benchmark's GIL. Exits 1 if a correctness check fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Python puts this script's folder first on sys.path; a sibling named like a stdlib
# module (benchmarks/inspect.py) would then shadow it. Only the repository root is wanted.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
REPO = _HERE.parent

import argparse
import asyncio
import compileall
import os
import queue
import signal
import statistics
import subprocess
import threading
import time

import httpx
import twinedge
from twinedge import AsyncTwinEdgeClient, ClientCredentials, TwinEdgeClient

PATH = "/v1/assets"


class SandboxProcess:
    """The sandbox as a child process; its banner gives the address and the service secret."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "twinedge_desktop.sandbox", "--port", "0"],
            cwd=REPO,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        self.base_url = ""
        self.secret = ""
        deadline = time.monotonic() + 60
        while not (self.base_url and self.secret):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if "listening on" in line:
                self.base_url = line.rsplit(" ", 1)[1].strip()
            elif "service secret" in line:
                self.secret = line.rsplit(" ", 1)[1].strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _median_us(values: list[float]) -> float:
    return statistics.median(values) * 1e6


def _p90_us(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] * 1e6


def per_request(sandbox: SandboxProcess, count: int) -> float:
    """Medians of SDK vs raw requests (interleaved); returns the worse ratio."""
    credential = ClientCredentials("twinedge-service", sandbox.secret, issuer=sandbox.base_url)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    http = httpx.Client(timeout=30, limits=limits)
    sdk = TwinEdgeClient(credential=credential, base_url=sandbox.base_url, http_client=http)
    token = sdk.credential.token(http).value  # cached from here on
    raw = httpx.Client(timeout=30, limits=limits)
    url = f"{sandbox.base_url}{PATH}"
    headers = {"Authorization": f"Bearer {token}"}

    def sdk_response() -> None:
        sdk.request("GET", PATH)

    def raw_response() -> None:
        response = raw.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"raw request failed: {response.status_code}")

    def sdk_json() -> None:
        sdk.assets.list()

    def raw_json() -> None:
        raw.get(url, headers=headers).json()

    results: dict[str, list[float]] = {}
    for label, (mine, theirs) in {
        "request() -> Response": (sdk_response, raw_response),
        "assets.list() -> dict": (sdk_json, raw_json),
    }.items():
        for function in (mine, theirs) * 50:  # warm both connections and code paths
            function()
        sdk_times: list[float] = []
        raw_times: list[float] = []
        for index in range(count):
            order = ((mine, sdk_times), (theirs, raw_times))
            for function, sink in order if index % 2 else order[::-1]:
                started = time.perf_counter()
                function()
                sink.append(time.perf_counter() - started)
        ratio = statistics.median(sdk_times) / statistics.median(raw_times)
        results[label] = [ratio]
        print(
            f"  {label:<24} SDK median {_median_us(sdk_times):7.0f} µs "
            f"(p90 {_p90_us(sdk_times):6.0f})   raw httpx {_median_us(raw_times):7.0f} µs "
            f"(p90 {_p90_us(raw_times):6.0f})   ratio {ratio:.3f}  (target ≤ 1.1)"
        )
    http.close()
    raw.close()
    return max(value[0] for value in results.values())


def without_network(count: int) -> None:
    """The SDK's own cost per request in microseconds: both sides on one in-memory
    ``httpx.MockTransport``, so the difference is what the SDK adds (no network noise)."""
    key = "te_Ay9YhXZe7vvROT9ONAI5m1oKxYwHr4iT3ibXJY"
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"data": []}))
    sdk = TwinEdgeClient(api_key=key, http_client=httpx.Client(transport=transport))
    raw = httpx.Client(transport=transport)
    url = f"https://api.twinedgeai.com{PATH}"
    headers = {"Authorization": f"Bearer {key}"}
    sdk_times: list[float] = []
    raw_times: list[float] = []
    for index in range(count):
        pairs = [
            (lambda: sdk.request("GET", PATH), sdk_times),
            (lambda: raw.get(url, headers=headers), raw_times),
        ]
        for function, sink in pairs if index % 2 else pairs[::-1]:
            started = time.perf_counter()
            function()
            sink.append(time.perf_counter() - started)
    sdk_median, raw_median = _median_us(sdk_times[100:]), _median_us(raw_times[100:])
    print(
        f"  in memory (MockTransport)  SDK {sdk_median:6.1f} µs   raw httpx {raw_median:6.1f} µs"
        f"   the SDK adds {sdk_median - raw_median:+.1f} µs a request"
    )


def _run_python(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    return time.perf_counter() - started


def import_cost(runs: int) -> float:
    """Median wall time of fresh interpreters per import, minus ``python -c pass``."""
    package = Path(twinedge.__file__).parent
    compileall.compile_dir(str(package), quiet=1)  # as pip does for an installed wheel
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    codes = {
        "pass": "pass",
        "import httpx": "import httpx",
        "import asyncio, httpx": "import asyncio, httpx",
        "import twinedge": "import twinedge",
        "from twinedge import TwinEdgeClient": "from twinedge import TwinEdgeClient",
        "from twinedge import AsyncTwinEdgeClient": "from twinedge import AsyncTwinEdgeClient",
    }
    # Each SDK import against what a script would import anyway without the SDK: an
    # asyncio script imports asyncio whatever HTTP client it uses.
    baselines = {
        "import twinedge": "import httpx",
        "from twinedge import TwinEdgeClient": "import httpx",
        "from twinedge import AsyncTwinEdgeClient": "import asyncio, httpx",
    }
    samples: dict[str, list[float]] = {label: [] for label in codes}
    for code in codes.values():  # warm the file cache
        _run_python(code, env)
    for _ in range(runs):
        for label, code in codes.items():
            samples[label].append(_run_python(code, env))
    floor = statistics.median(samples["pass"])
    cost = {label: statistics.median(samples[label]) - floor for label in codes}
    print(f"  python -c pass                             {floor * 1e3:6.1f} ms (subtracted below)")
    for label in ("import httpx", "import asyncio, httpx"):
        print(f"  {label:<42} {cost[label] * 1e3:6.1f} ms")
    worst = 0.0
    for label, baseline in baselines.items():
        ratio = cost[label] / cost[baseline]
        worst = max(worst, ratio)
        print(
            f"  {label:<42} {cost[label] * 1e3:6.1f} ms   ×{ratio:.2f} of {baseline}"
            "  (target ≤ 1.2)"
        )
    return worst


async def concurrent_calls(sandbox: SandboxProcess, calls: int) -> tuple[int, float, float]:
    token_requests = 0

    async def count(request: httpx.Request) -> None:
        nonlocal token_requests
        if request.url.path == "/oauth/token":
            token_requests += 1

    http = httpx.AsyncClient(timeout=60, event_hooks={"request": [count]})
    async with AsyncTwinEdgeClient(
        client_id="twinedge-service",
        client_secret=sandbox.secret,
        base_url=sandbox.base_url,
        issuer=sandbox.base_url,
        http_client=http,
    ) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(client.assets.list() for _ in range(calls)))
        sdk_seconds = time.perf_counter() - started
        assert all(result["data"] for result in results)
        token = await client.credential.token_async(http)
    async with httpx.AsyncClient(timeout=60) as raw:
        headers = {"Authorization": f"Bearer {token.value}"}
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(raw.get(f"{sandbox.base_url}{PATH}", headers=headers) for _ in range(calls))
        )
        raw_seconds = time.perf_counter() - started
        assert all(response.status_code == 200 for response in responses)
    await http.aclose()
    return token_requests, sdk_seconds, raw_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per side (2000)")
    parser.add_argument("--imports", type=int, default=30, help="interpreters per import (30)")
    parser.add_argument("--concurrent", type=int, default=100, help="async calls at once (100)")
    args = parser.parse_args()

    python = sys.version.split()[0]
    print(f"twinedge {twinedge.__version__}, httpx {httpx.__version__}, Python {python}")
    failures: list[str] = []
    sandbox = SandboxProcess()
    try:
        print(f"\n1. Per-request overhead, token cached ({args.requests} each, interleaved)")
        ratio = per_request(sandbox, args.requests)
        without_network(max(args.requests, 5000))
        if ratio > 1.1:
            failures.append(f"per-request ratio {ratio:.3f} > 1.1")
        print(f"\n3. {args.concurrent} concurrent async calls with no token yet")
        token_requests, sdk_seconds, raw_seconds = asyncio.run(
            concurrent_calls(sandbox, args.concurrent)
        )
        print(
            f"  token requests: {token_requests} (must be 1)   "
            f"wall: SDK {sdk_seconds * 1e3:.0f} ms (includes the token request), "
            f"raw httpx {raw_seconds * 1e3:.0f} ms"
        )
        if token_requests != 1:
            failures.append(f"{token_requests} token requests for {args.concurrent} calls")
    finally:
        sandbox.stop()
    print(f"\n2. Import cost in fresh interpreters (median of {args.imports})")
    worst = import_cost(args.imports)
    if worst > 1.2:
        failures.append(f"import ratio {worst:.2f} > 1.2")
    print("\n" + ("FAILED: " + "; ".join(failures) if failures else "All targets met."))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
