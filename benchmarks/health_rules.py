"""What the Health rules cost for 10,000 keys with 30 days of usage each.

The Health page runs :func:`twinedge_desktop.health.rules.check_keys` off the UI thread
over every key of the organisation. The keys and reports here are made up but cover
every rule (old, idle, never-expiring, expiring, write-scoped, spiky, failing and
healthy keys, some without a report), deterministic from the seed. The baseline,
measured in the same run, is what the page pays anyway before the rules can run:
reading the same 10,000 reports from their JSON (:meth:`KeyUsage.from_json`, after
``json.loads``). The script prints the median of the rounds, per key and in total,
and the ratio to the baseline.

    .venv/bin/python benchmarks/health_rules.py [--keys N] [--rounds N]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/inspect.py would shadow the standard library's ``inspect`` (see startup.py).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import random
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from twinedge_desktop.api.models import ApiKey, KeyUsage
from twinedge_desktop.health.rules import check_keys

NOW = datetime(2030, 6, 1, 12, tzinfo=UTC)
SCOPE_SETS = (
    ("read:assets",),
    ("read:assets", "read:telemetry"),
    ("read:telemetry", "write:telemetry"),
    ("admin",),
    ("read:alerts", "write:alerts"),
)


def _key(rng: random.Random, index: int) -> ApiKey:
    created = NOW - timedelta(days=rng.uniform(0, 200))
    expiry = rng.choice([None, rng.uniform(1, 120)])
    last_used = rng.choice([None, rng.uniform(0, 60), rng.uniform(0, 2)])
    return ApiKey(
        id=f"key_{index:06d}",
        name=f"key {index}",
        prefix="te_AbCdEfGhI",
        scopes=rng.choice(SCOPE_SETS),
        created_at=created,
        expires_at=None if expiry is None else NOW + timedelta(days=expiry),
        last_used_at=None if last_used is None else NOW - timedelta(days=last_used),
        revoked_at=NOW - timedelta(days=1) if rng.random() < 0.05 else None,
        created_by="engineer@example.com",
    )


def _report(rng: random.Random, key: ApiKey) -> dict[str, Any]:
    volume = rng.choice([0, 5, 100, 1000])
    spike = rng.random() < 0.1
    error_rate = rng.choice([0.0, 0.01, 0.3])
    days = []
    for offset in range(29, -1, -1):
        requests = round(volume * rng.uniform(0.5, 1.5)) if rng.random() < 0.8 else 0
        if spike and offset == 3:
            requests = volume * 9
        days.append(
            {
                "date": (NOW - timedelta(days=offset)).strftime("%Y-%m-%d"),
                "requests": requests,
                "errors": round(requests * error_rate),
            }
        )
    total = sum(day["requests"] for day in days)
    endpoints = {"GET /v1/assets": total}
    if rng.random() < 0.3 and total:
        endpoints = {"GET /v1/assets": total - 1, "POST /v1/telemetry": 1}
    return {
        "key_id": key.id,
        "days": days,
        "by_endpoint": endpoints,
        "last_used_at": key.last_used_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if key.last_used_at
        else None,
        "last_used_ip": "192.0.2.10",
    }


def _timed(action: Any, rounds: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main(count: int, rounds: int) -> None:
    rng = random.Random(2026)
    keys = [_key(rng, index) for index in range(count)]
    texts = {key.id: json.dumps(_report(rng, key)) for key in keys if rng.random() < 0.95}

    def read_reports() -> dict[str, KeyUsage]:
        return {
            key_id: KeyUsage.from_json(json.loads(text), key_id=key_id)
            for key_id, text in texts.items()
        }

    baseline, usage = _timed(read_reports, rounds)
    rules, found = _timed(lambda: check_keys(keys, usage, NOW), rounds)
    kinds = Counter(f.kind.value for findings in found.values() for f in findings)
    print(f"{count:,} keys, {len(usage):,} with a 30-day report; median of {rounds} rounds")
    print(
        f"{'reading the reports from JSON (baseline)':<44} {baseline * 1e3:8.1f} ms"
        f"   {baseline / count * 1e6:6.2f} µs/key"
    )
    print(
        f"{'check_keys (every rule)':<44} {rules * 1e3:8.1f} ms"
        f"   {rules / count * 1e6:6.2f} µs/key   ratio {rules / baseline:4.2f}x"
    )
    print("findings: " + ", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items())))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    main(arguments.keys, arguments.rounds)
