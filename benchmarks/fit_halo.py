"""Fit the weight of the early diameter in the halo-corrected diameter
(:data:`thermodefect.detect.depth.HALO_WEIGHT`), and score it on held-out sets.

The defects PCT finds (the benchmark's depth hits, with the specimen's material and
thickness) on the train splits of the standard and randomised sets give, for each weight w,
the median and 90th percentile of |outline^(1 - w) early^w / true diameter - 1| at d/z >= 2;
then w = 0 (the outline), 0.5 and 1 (the early diameter) on the test splits, the unseen set
and the FE check set.

    python benchmarks/fit_halo.py /work/data   # a folder holding bench, wide, bench2021, check
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from thermodefect.benchmark import run_benchmark

FIT = (("bench", "train"), ("wide", "train"))
HELD_OUT = (("bench", "test"), ("wide", "test"), ("bench2021", "all"), ("check", "all"))


def diameters(root: Path, sets) -> tuple[np.ndarray, ...]:
    """True, early and outline diameters (mm) and d/z of the defects PCT finds in ``sets``."""
    rows = []
    for name, split in sets:
        result = run_benchmark(root / name, methods=["pct"], split=split, quiet=True)
        rows += [(h.true_diameter_mm, h.early_diameter_mm, h.outline_ratio * h.true_diameter_mm,
                  h.ratio) for h in result.stats["pct"]["depth_hits"]
                 if h.early_diameter_mm and h.outline_ratio]  # fmt: skip
    return tuple(np.array(c) for c in zip(*rows, strict=True))


def scores(w: float, true, early, outline, ratio) -> str:
    """Median and p90 of the corrected diameter's relative error at d/z >= 2."""
    keep = ratio >= 2
    err = np.abs(outline[keep] ** (1 - w) * early[keep] ** w / true[keep] - 1)
    return f"{np.median(err):.3f}, {np.quantile(err, 0.9):.3f} ({keep.sum()})"


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    fit = diameters(root, FIT)
    print("train splits of bench and wide: weight -> median, p90 (defects)")
    for w in np.arange(0.0, 1.01, 0.1):
        print(f"  {w:.1f}  {scores(w, *fit)}")
    for name, split in HELD_OUT:
        held = diameters(root, [(name, split)])
        cells = "  ".join(f"w={w:g}: {scores(w, *held)}" for w in (0.0, 0.5, 1.0))
        print(f"{name} ({split}): {cells}")


if __name__ == "__main__":
    main()
