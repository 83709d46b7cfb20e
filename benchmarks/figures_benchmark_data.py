"""Example images of the standard benchmark and of the randomised set's families for
docs/benchmark-data.md.

thermodefect simulate bench --preset mixed --n 60 --seed 2020
python benchmarks/figures_benchmark_data.py bench [--out docs/images]
thermodefect simulate wide --preset wide --n 135 --seed 2026
python benchmarks/figures_benchmark_data.py wide --families   # the first plate with defects of each
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
    ap.add_argument("--families", action="store_true", help="one plate with defects per family")
    args = ap.parse_args()
    import numpy as np

    from thermodefect.io import load
    from thermodefect.methods import pct
    from thermodefect.preprocess import detect_flash
    from thermodefect.report import overview

    with open(args.data / "manifest.csv") as fh:
        rows = list(csv.DictReader(fh))
    if args.families:
        first: dict[str, dict] = {}
        for row in rows:
            if row["n_defects"] != "0":
                first.setdefault(row["family"], row)
        rows = list(first.values())
    else:
        rows = rows[: args.n]
    panels = []
    for row in rows:
        seq = load(args.data / f"{row['name']}.mat")
        shown = min(seq.n_frames - 1, detect_flash(seq) + 10)
        title = f"{row['material']} {row['thickness_mm']} mm, {row['heating']} flash"
        if args.families:
            title = f"{row['family']}: {title}"
        panels.append((row["name"], [
            (f"frame {shown}\n{title}", seq.frames[shown]),
            ("PCT 1", pct(seq, 2).components[1]),
            (f"label, {row['n_defects']} defects", np.where(seq.mask, 0, 255)),
        ]))  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    name = "benchmark-wide-families.png" if args.families else "benchmark-examples.png"
    print(overview(panels, args.out / name))


if __name__ == "__main__":
    main()
