"""Shared helpers for the benchmark scripts: JSON-line output and timing loops."""
from __future__ import annotations

import json
import os
import sys
import time


def pin_one_core() -> None:
    """Run on one core so figures compare one core against one core."""
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def emit(**fields) -> None:
    """Print one benchmark figure as a JSON line (DESIGN.md's format)."""
    for key in ("bench", "impl", "size", "metric", "value"):
        if key not in fields:
            raise KeyError(f"benchmark line lacks {key!r}")
    if isinstance(fields["value"], float):
        fields["value"] = round(fields["value"], 2)
    head = ("bench", "impl", "size", "metric", "value")
    ordered = {k: fields[k] for k in head}
    ordered.update((k, v) for k, v in fields.items() if k not in head)
    print(json.dumps(ordered), flush=True)


def timed(fn, seconds: float, min_calls: int = 1) -> tuple[int, float]:
    """Call fn() repeatedly for about `seconds`; return (calls, elapsed)."""
    calls = 0
    start = time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and calls >= min_calls:
            return calls, elapsed


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
