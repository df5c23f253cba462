"""Load on the sandbox: concurrent clients refreshing tokens, listing keys, using a key.

    .venv/bin/python benchmarks/sandbox_load.py [--seconds 20] [--clients 50] [--keys 10000]
    .venv/bin/python benchmarks/sandbox_load.py --limiter 40000   # the rate limiter alone
    .venv/bin/python benchmarks/sandbox_load.py --usage-cost 20000  # one key request's write

Starts the sandbox in its own process (``python -m twinedge_desktop.sandbox
--port 0 --test-controls``) so the load generator does not share its GIL,
bulk-creates the keys, signs every client in (PKCE over HTTP), then runs the
clients for the given time. Each client loops: refresh its token (rotation),
list one page of keys (walking the cursor through all of them), then call
``GET /v1/assets`` with an API key of its own (a request the key-usage counters
record).

Prints requests/s, p50/p99 latency per request kind and overall, and the error
count; first, the same mix from a single client for a short baseline, so the
loaded latency reads as a ratio measured in the same run. Exits 1 if any
request failed.

``--limiter N``: N distinct callers hit the sandbox's rate limiter in one window,
in-process; prints µs per hit against one caller hitting it N times (the baseline,
same run). The limiter before issue 15 rebuilt its dict on every hit past 10,000
callers: 20,000 callers took 13 s, 40,000 took 68 s.

``--usage-cost N``: N key-usage records (one upsert on the (key, day, endpoint) row
plus ``last_used_at``, one transaction) on a file-backed store, against the plain
``UPDATE api_keys SET last_used_at`` every key request made before (same run).

Both micro-benchmarks run against whichever sandbox code is importable, so the
script, copied into an older checkout, measures that one.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Python puts this script's folder first on sys.path; a sibling named like a stdlib
# module (benchmarks/inspect.py) would then shadow it. Only the repository root is wanted.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
REPO = _HERE.parent
sys.path.insert(0, str(REPO))

import argparse
import asyncio
import os
import queue
import signal
import statistics
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers.signin import async_complete_sign_in
from tests.integration.sandbox.flows import authorize_url, pkce_pair, query

CLIENT_ID = "twinedge-desktop"
REDIRECT_URI = "http://127.0.0.1:53682/callback"
SCOPES = "read:assets write:assets read:telemetry read:alerts"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"refresh": [], "list": [], "key": []}
    )
    errors: Counter[str] = field(default_factory=Counter)

    def total(self) -> int:
        return sum(len(values) for values in self.latencies.values())


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class SandboxProcess:
    """The sandbox as a child process; reads its banner for the URL."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "twinedge_desktop.sandbox", "--port", "0", "--test-controls"],
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
        deadline = time.monotonic() + 60
        while not self.base_url:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if "listening on" in line:
                self.base_url = line.rsplit(" ", 1)[1].strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


async def sign_in(http: httpx.AsyncClient, base_url: str) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    url = authorize_url(base_url, scope=SCOPES, redirect_uri=REDIRECT_URI, code_challenge=challenge)
    code = query(await async_complete_sign_in(url))["code"]
    response = await http.post(
        f"{base_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "code_verifier": verifier,
        },
    )
    response.raise_for_status()
    tokens: dict[str, Any] = response.json()
    return tokens


async def create_key(http: httpx.AsyncClient, base_url: str, access_token: str) -> str:
    response = await http.post(
        f"{base_url}/v1/api-keys",
        json={"name": "load", "scopes": ["read:assets"]},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    response.raise_for_status()
    return str(response.json()["key"])


async def client_loop(
    base_url: str, tokens: dict[str, Any], deadline: float, page_size: int, stats: Stats
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        refresh_token = tokens["refresh_token"]
        access_token = tokens["access_token"]
        api_key = await create_key(http, base_url, access_token)
        cursor: str | None = None
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await http.post(
                    f"{base_url}/oauth/token",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": refresh_token,
                        "client_id": CLIENT_ID,
                    },
                )
                stats.latencies["refresh"].append(time.perf_counter() - started)
                if response.status_code != 200:
                    stats.errors[f"refresh HTTP {response.status_code}"] += 1
                    return  # the chain is broken; this client cannot continue
                body = response.json()
                refresh_token, access_token = body["refresh_token"], body["access_token"]
            except httpx.HTTPError as exc:
                stats.errors[f"refresh {type(exc).__name__}"] += 1
                return
            started = time.perf_counter()
            params: dict[str, str | int] = {"limit": page_size}
            if cursor:
                params["cursor"] = cursor
            try:
                response = await http.get(
                    f"{base_url}/v1/api-keys",
                    params=params,
                    headers={"Authorization": f"Bearer {access_token}"},
                )
                stats.latencies["list"].append(time.perf_counter() - started)
                if response.status_code != 200:
                    stats.errors[f"list HTTP {response.status_code}"] += 1
                    continue
                page = response.json()
                if len(page["data"]) == 0:
                    stats.errors["list returned an empty page"] += 1
                cursor = page["next_cursor"]
            except httpx.HTTPError as exc:
                stats.errors[f"list {type(exc).__name__}"] += 1
            started = time.perf_counter()
            try:
                response = await http.get(
                    f"{base_url}/v1/assets", headers={"Authorization": f"Bearer {api_key}"}
                )
                stats.latencies["key"].append(time.perf_counter() - started)
                if response.status_code != 200:
                    stats.errors[f"key HTTP {response.status_code}"] += 1
            except httpx.HTTPError as exc:
                stats.errors[f"key {type(exc).__name__}"] += 1


async def run_phase(
    base_url: str, clients: int, seconds: float, page_size: int
) -> tuple[Stats, float]:
    async with httpx.AsyncClient(timeout=30.0) as http:
        # Sign in a few at a time: the sign-in pages are not what is measured.
        sessions: list[dict[str, Any]] = []
        for start in range(0, clients, 10):
            batch = min(10, clients - start)
            sessions += await asyncio.gather(*(sign_in(http, base_url) for _ in range(batch)))
    stats = Stats()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(client_loop(base_url, tokens, deadline, page_size, stats) for tokens in sessions)
    )
    return stats, time.perf_counter() - started


def report(title: str, stats: Stats, elapsed: float) -> None:
    everything = [v for values in stats.latencies.values() for v in values]
    print(f"{title}:")
    print(
        f"  requests {stats.total():,} in {elapsed:.1f} s = {stats.total() / elapsed:,.0f} req/s;"
        f" errors {sum(stats.errors.values())}"
    )
    for kind, values in [*stats.latencies.items(), ("all", everything)]:
        if values:
            print(
                f"  {kind:<8} n={len(values):>7,}  p50 {_percentile(values, 0.50) * 1000:7.1f} ms"
                f"  p99 {_percentile(values, 0.99) * 1000:7.1f} ms"
                f"  mean {statistics.fmean(values) * 1000:7.1f} ms"
            )
    for error, count in stats.errors.most_common(5):
        print(f"  error: {error} x{count}")


def _limiter_hit() -> Any:
    """``hit(caller, now)`` of the sandbox's rate limiter, whichever version is installed."""
    try:
        from twinedge_desktop.sandbox.limits import TokenBuckets

        return TokenBuckets(limit=100_000, window=60).hit
    except ImportError:  # before issue 15
        from twinedge_desktop.sandbox.controls import RateLimiter  # type: ignore[attr-defined]

        return RateLimiter().hit


def limiter_benchmark(callers: int) -> None:
    """µs per hit for ``callers`` distinct callers in one window, against one caller."""
    names = [f"key:key_{index:08d}" for index in range(callers)]
    results = {}
    for label, keys in (("1 caller", [names[0]] * callers), (f"{callers:,} callers", names)):
        hit = _limiter_hit()
        started = time.perf_counter()
        for key in keys:
            hit(key, 1_000.0)
        results[label] = time.perf_counter() - started
    base, many = results["1 caller"], results[f"{callers:,} callers"]
    print(f"rate limiter, {callers:,} hits in one window:")
    print(f"  1 caller:               {base:8.3f} s = {base / callers * 1e6:6.2f} µs/hit")
    print(
        f"  {callers:,} distinct callers: {many:8.3f} s = {many / callers * 1e6:6.2f} µs/hit"
        f"  ({many / base:.2f}x the 1-caller baseline)"
    )


def usage_cost_benchmark(count: int) -> None:
    """µs per key request spent recording its use, new (upsert + last_used, one commit)
    against old (UPDATE last_used_at), on a file-backed store in WAL mode."""
    import tempfile

    from twinedge_desktop.sandbox.storage import Storage

    with tempfile.TemporaryDirectory() as folder:
        storage = Storage(f"{folder}/bench.sqlite3")
        storage.insert_api_keys(
            [("key_bench", "bench", "te_bench", "hash", "read:assets", 0.0, None, "u", "u", "o")]
        )
        database = storage._db  # the old statement, run on the same connection
        started = time.perf_counter()
        for index in range(count):
            database.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (float(index), "key_bench")
            )
        old = time.perf_counter() - started
        record = getattr(storage, "record_key_use", None)
        print(f"key-usage write per key request ({count:,} requests, one key):")
        print(f"  before (UPDATE last_used_at):            {old / count * 1e6:7.1f} µs")
        if record is None:
            print("  after: not in this checkout")
        else:
            endpoints = ("GET /v1/assets", "GET /v1/telemetry", "GET /v1/alerts")
            started = time.perf_counter()
            for index in range(count):
                record(
                    "key_bench",
                    endpoint=endpoints[index % 3],
                    error=index % 50 == 0,
                    used_at=1_800_000_000.0 + index * 10,
                    address="127.0.0.1",
                )
            new = time.perf_counter() - started
            print(
                f"  after (upsert + last_used, 1 transaction): {new / count * 1e6:7.1f} µs"
                f"  ({new / old:.2f}x; +{(new - old) / count * 1e6:.1f} µs a request)"
            )
        storage.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="load duration (20)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--keys", type=int, default=10_000, help="keys in the sandbox (10,000)")
    parser.add_argument("--page-size", type=int, default=50, help="keys per listing (50)")
    parser.add_argument(
        "--baseline-seconds", type=float, default=3.0, help="single-client baseline (3; 0 = skip)"
    )
    parser.add_argument(
        "--base-url",
        help="use an already running sandbox started with --test-controls (e.g. under a profiler)",
    )
    parser.add_argument(
        "--limiter", type=int, metavar="N", help="only the rate-limiter micro-benchmark"
    )
    parser.add_argument(
        "--usage-cost", type=int, metavar="N", help="only the key-usage write micro-benchmark"
    )
    args = parser.parse_args()
    if args.limiter or args.usage_cost:
        if args.limiter:
            limiter_benchmark(args.limiter)
        if args.usage_cost:
            usage_cost_benchmark(args.usage_cost)
        return 0

    sandbox = SandboxProcess() if not args.base_url else None
    base_url = sandbox.base_url if sandbox else args.base_url.rstrip("/")
    try:
        seeded = httpx.post(
            f"{base_url}/_sandbox/seed-keys",
            json={"count": args.keys, "email": "engineer@example.com"},
            timeout=120,
        )
        seeded.raise_for_status()
        print(f"sandbox {base_url} (separate process), {args.keys:,} keys seeded")
        baseline: Stats | None = None
        if args.baseline_seconds > 0:
            baseline, elapsed = asyncio.run(
                run_phase(base_url, 1, args.baseline_seconds, args.page_size)
            )
            report("baseline, 1 client", baseline, elapsed)
        stats, elapsed = asyncio.run(
            run_phase(base_url, args.clients, args.seconds, args.page_size)
        )
        report(f"load, {args.clients} clients", stats, elapsed)
        if baseline is not None and baseline.total():
            all_base = [v for values in baseline.latencies.values() for v in values]
            all_load = [v for values in stats.latencies.values() for v in values]
            print(
                f"  p50 under load / baseline p50: "
                f"{_percentile(all_load, 0.5) / _percentile(all_base, 0.5):.1f}x"
            )
        errors = sum(stats.errors.values()) + (sum(baseline.errors.values()) if baseline else 0)
    finally:
        if sandbox:
            sandbox.stop()
    if errors:
        print(f"FAILED: {errors} errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
