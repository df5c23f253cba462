"""Median time to decode + verify one token with a warm JWKS cache.

Prints the median (and p95) of ``TokenInspector.inspect`` for a fresh RS256
access token once the issuer's metadata and JWKS are cached, beside
``decode_only`` and a baseline measured in the same run: a bare
``jwt.decode`` (PyJWT) with the key object already built, i.e. the cost of the
RSA verification itself. The issuer is an ``httpx.MockTransport`` so the number
measures the inspector, not a network.

    .venv/bin/python benchmarks/inspect.py [--runs N]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's ``inspect`` (the name the project asked for):
# run as a script, its own directory would shadow that module, so put the repository first.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from twinedge_desktop.tokens import TokenInspector

ISSUER = "https://auth.bench.test"
AUDIENCE = "https://api.bench.test"


def summary(name: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{name:<38} median {median * 1e6:8.1f} µs   p95 {p95 * 1e6:8.1f} µs")
    return median


async def main(runs: int) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "k1", "alg": "RS256", "use": "sig"})
    fetches = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        fetches += 1
        if request.url.path.endswith("oauth-authorization-server"):
            body = {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks.json"}
        else:
            body = {"keys": [jwk]}
        return httpx.Response(200, json=body, headers={"Cache-Control": "max-age=3600"})

    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-123", "org": "org-456",
        "scope": "read:assets read:telemetry write:alerts", "client_id": "twinedge-desktop",
        "jti": "bench", "iat": now, "exp": now + 3600,
    }  # fmt: skip
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    public = key.public_key()

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        inspector = TokenInspector(http)
        warm = await inspector.inspect(token, issuer=ISSUER, audience=AUDIENCE)
        assert warm.verdict.is_valid, warm.findings
        fetches_after_warmup = fetches

        async def timed_inspect() -> float:
            start = time.perf_counter()
            report = await inspector.inspect(token, issuer=ISSUER, audience=AUDIENCE)
            elapsed = time.perf_counter() - start
            assert report.verdict.is_valid
            return elapsed

        def timed(call: Callable[[], object]) -> float:
            start = time.perf_counter()
            call()
            return time.perf_counter() - start

        baseline = [
            timed(lambda: jwt.decode(token, public, algorithms=["RS256"], audience=AUDIENCE))
            for _ in range(runs)
        ]
        decode_only = [timed(lambda: inspector.decode_only(token)) for _ in range(runs)]
        inspect = [await timed_inspect() for _ in range(runs)]
        assert fetches == fetches_after_warmup, "the warm runs must not fetch"

    print(f"{runs} runs each, RS256 2048-bit, warm JWKS cache ({fetches} fetches in total)")
    base = summary("baseline: jwt.decode (PyJWT)", baseline)
    summary("TokenInspector.decode_only", decode_only)
    full = summary("TokenInspector.inspect (decode+verify)", inspect)
    print(f"inspect / baseline ratio: {full / base:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    asyncio.run(main(parser.parse_args().runs))
