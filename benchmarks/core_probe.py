"""Main-thread latency while a background add runs: run by ``bench_core.py`` in the project venv.

python benchmarks/core_probe.py REPO    # REPO holds big.bin; prints one JSON line
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

PROBE_SLEEP = 0.002  # seconds the probe's main thread sleeps between two timed statements
PROBE_IDLE = 1.0  # seconds of probing before the add starts (the idle baseline)


def _probe_loop(stop: Callable[[], bool], until: float) -> tuple[list[float], list[float]]:
    """Latencies of ``sum(range(1000))`` after short sleeps: (sleep overshoot + statement, statement)."""
    wake: list[float] = []
    stmt: list[float] = []
    while not stop() and time.perf_counter() < until:
        t0 = time.perf_counter()
        time.sleep(PROBE_SLEEP)
        t1 = time.perf_counter()  # the main thread got the GIL back after its sleep
        sum(range(1000))
        t2 = time.perf_counter()
        wake.append(t2 - t0 - PROBE_SLEEP)
        stmt.append(t2 - t1)
    return wake, stmt


def _percentiles(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    if len(ms) < 2:
        return {"n": len(ms), "p50_ms": ms[0] if ms else math.nan, "p99_ms": ms[-1] if ms else math.nan}
    return {
        "n": len(ms),
        "p50_ms": statistics.median(ms),
        "p99_ms": statistics.quantiles(ms, n=100)[98],
        "max_ms": ms[-1],
    }


def latency_probe(root: Path) -> None:
    """Run inside the project venv: start a background add, probe the main thread until it ends."""
    import jupyter_datavc as dv

    idle = _probe_loop(lambda: False, time.perf_counter() + PROBE_IDLE)
    start = time.perf_counter()
    job = dv.Repo(root).start_add(str(root / "big.bin"), name="big")
    submitted = time.perf_counter() - start
    busy = _probe_loop(lambda: job.done, math.inf)
    version = job.wait()
    doc = {
        "submit_ms": submitted * 1000,
        "add_s": time.perf_counter() - start,
        "version": version.ref,
        "idle": _percentiles(idle[0]),
        "busy": _percentiles(busy[0]),
        "busy_statement_only": _percentiles(busy[1]),
    }
    print(json.dumps(doc))


if __name__ == "__main__":
    latency_probe(Path(sys.argv[1]))
