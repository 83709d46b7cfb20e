"""Shared timing for the benchmark scripts: interleaved repeats, minimum per candidate."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable


def timed_command(argv: list[str]) -> float:
    """Wall seconds of one ``thermodefect`` command (``--quiet``) in a fresh process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "thermodefect.cli", "--quiet", *argv], check=True)
    return time.perf_counter() - start


def best_times(
    candidates: dict[str, Callable], repeats: int, sync: Callable = lambda: None
) -> dict[str, float]:
    """Seconds per candidate: each runs once to warm up, then ``repeats`` times interleaved
    with the others (so that load on a shared machine hits all alike); the minimum is kept.
    ``sync`` waits for asynchronous devices (``torch.cuda.synchronize``)."""
    for fn in candidates.values():
        fn()
    sync()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            t0 = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - t0)
    return {name: min(v) for name, v in times.items()}
