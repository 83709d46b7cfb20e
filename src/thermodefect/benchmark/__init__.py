"""Benchmarks on simulated datasets: every classical method and network scored on a split of
a dataset with known ground truth (pixel scores, hits, false calls, POD), decision rules chosen
on the validation split."""

from thermodefect.benchmark.run import (
    SCORE_KEYS,
    BenchmarkResult,
    NetworkInfo,
    method_names,
    run_benchmark,
    tune_decisions,
)
from thermodefect.benchmark.summary import HEADER, csv_text, markdown, pod_fits, records
from thermodefect.benchmark.truth import defect_truth

__all__ = [
    "HEADER",
    "SCORE_KEYS",
    "BenchmarkResult",
    "NetworkInfo",
    "csv_text",
    "defect_truth",
    "markdown",
    "method_names",
    "pod_fits",
    "records",
    "run_benchmark",
    "tune_decisions",
]
