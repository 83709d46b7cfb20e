"""Example images of the standard benchmark for docs/benchmark-data.md.

thermodefect simulate bench --preset mixed --n 60 --seed 2020
python benchmarks/figures_benchmark_data.py bench [--out docs/images]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/images"))
    ap.add_argument("--n", type=int, default=6)
    args = ap.parse_args()
    import numpy as np

    from thermodefect.io import load
    from thermodefect.methods import pct
    from thermodefect.preprocess import detect_flash
    from thermodefect.report import overview

    with open(args.data / "manifest.csv") as fh:
        rows = list(csv.DictReader(fh))
    rows = rows[: args.n]
    panels = []
    for row in rows:
        seq = load(args.data / f"{row['name']}.mat")
        shown = min(seq.n_frames - 1, detect_flash(seq) + 10)
        title = f"{row['material']} {row['thickness_mm']} mm, {row['heating']} flash"
        panels.append((row["name"], [
            (f"frame {shown}\n{title}", seq.frames[shown]),
            ("PCT 1", pct(seq, 2).components[1]),
            (f"label, {row['n_defects']} defects", np.where(seq.mask, 0, 255)),
        ]))  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    print(overview(panels, args.out / "benchmark-examples.png"))


if __name__ == "__main__":
    main()
