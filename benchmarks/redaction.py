"""What redaction costs per log line, against logging the same line without it.

Redaction runs on every log record (a filter on every handler), so its cost is
measured the way a log call pays it: a ``logging.Handler`` that formats the record
into memory, with and without :class:`~twinedge_desktop.redaction.RedactingFilter`,
for a mix of real log lines (request lines, token-endpoint bodies, reprs, tracebacks,
lines with nothing secret). The baseline is the same handler without the filter,
measured in the same run; the script prints the median per line and the ratio, with
0, 16 and 256 (the maximum) registered secrets, and ``redact()`` alone.

    .venv/bin/python benchmarks/redaction.py [--rounds N]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/inspect.py would shadow the standard library's ``inspect`` (see startup.py).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import io
import logging
import secrets
import statistics
import time

from twinedge_desktop.logging_setup import LOG_FORMAT
from twinedge_desktop.redaction import (
    MAX_SECRETS,
    RedactingFilter,
    forget_all_secrets,
    redact,
    register_secret,
)

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEiLCJzY29wZSI6InJlYWQ6YXNzZXRzIn0."
    "c2lnbmF0dXJlLWJ5dGVzLXRoYXQtYXJlLW5vdC1yZWFs"
)
LINES: tuple[tuple[str, tuple[object, ...]], ...] = (
    (
        'HTTP Request: %s %s "%s"',
        ("GET", "https://api.twinedgeai.com/v1/api-keys?limit=200", "200"),
    ),
    ("Discovered authorization server %s", ("https://auth.twinedgeai.com",)),
    ("GET /api-keys: HTTP %d; retry %d in %.2f s", (503, 1, 0.37)),
    ("token response %s", ("grant_type=refresh_token&refresh_token=rt-0123456789abcdef&scope=a",)),
    ("session %r", ({"access_token": JWT, "refresh_token": "rt-0123456789abcdef"},)),
    ("Authorization: Bearer %s", (JWT,)),
    ("Loaded %d keys in %d pages for organisation %s", (1234, 7, "org-456")),
    ("Window shown for profile %s after %.1f ms", ("TwinEdge cloud", 183.4)),
    ("request body %r", ('{"env": "A=1\\nte_yIwl9DrHwg4DZaobPoKHE5aUA15nankv3R4ua9"}',)),
    ("GET %s", ("https://api.twinedgeai.com/v1/assets?delete_after=30&note=write_te_st",)),
)


def _records() -> list[logging.LogRecord]:
    return [
        logging.LogRecord("twinedge_desktop.bench", logging.INFO, __file__, 1, msg, args, None)
        for msg, args in LINES
    ]


def _per_line(handler: logging.Handler, rounds: int) -> float:
    """Median seconds per record over ``rounds`` passes through every line."""
    samples = []
    for _ in range(rounds):
        records = _records()  # the filter rewrites msg/args: fresh records each pass
        start = time.perf_counter()
        for record in records:
            handler.handle(record)
        samples.append((time.perf_counter() - start) / len(records))
    return statistics.median(samples)


def _handler(with_filter: bool) -> logging.Handler:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    if with_filter:
        handler.addFilter(RedactingFilter())
    return handler


def _redact_only(rounds: int) -> float:
    texts = [msg % args for msg, args in LINES]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            redact(text)
        samples.append((time.perf_counter() - start) / len(texts))
    return statistics.median(samples)


def main(rounds: int) -> None:
    plain = _handler(with_filter=False)
    redacting = _handler(with_filter=True)
    baseline = _per_line(plain, rounds)
    print(f"{'log line, no filter (baseline)':<44} {baseline * 1e6:7.2f} µs")
    for count in (0, 16, MAX_SECRETS):
        forget_all_secrets()
        for _ in range(count):
            register_secret(secrets.token_urlsafe(32))
        with_filter = _per_line(redacting, rounds)
        alone = _redact_only(rounds)
        print(
            f"{f'log line with redaction, {count} secrets':<44} {with_filter * 1e6:7.2f} µs"
            f"   ratio {with_filter / baseline:4.2f}x   redact() alone {alone * 1e6:6.2f} µs"
        )
    forget_all_secrets()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    main(parser.parse_args().rounds)
