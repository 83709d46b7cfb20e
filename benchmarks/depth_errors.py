"""How far the depth estimators (:mod:`thermodefect.detect.depth`) are from the simulated
depths, on the defects a classical detection found, and the plate's thickness and
diffusivity from its back wall; several datasets in one figure.

For every specimen of a dataset split: detect (PCT by default) and give the depth step the
plate material's diffusivity and thickness from the specimen's JSON (what ``--material`` and
``--thickness`` give a user). Prints the depth-and-size table ``thermodefect benchmark``
writes (:mod:`thermodefect.benchmark.depth`: each estimator, the combined depth and the two
diameters, binned by diameter/depth, and how often the interval holds the true depth); then
how close the diffusivity the sound plate's back wall gives (``--thickness`` alone) comes to
the material's, and the thickness map (:mod:`thermodefect.detect.thickness`) to the plate's.

    python benchmarks/depth_errors.py bench --split test
    python benchmarks/depth_errors.py check --split all
    python benchmarks/depth_errors.py check bench wide --split test \\
        --plot depth-estimated-vs-true.png        # several sets, and a figure of them
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from thermodefect.benchmark.depth import DepthHit, depth_hits, depth_markdown, plot_depths
from thermodefect.benchmark.run import select_rows
from thermodefect.benchmark.truth import defect_truth, depth_truth
from thermodefect.detect import detect
from thermodefect.io import load
from thermodefect.simulate.dataset import read_manifest


def specimen(data: Path, name: str, method: str) -> tuple[list[DepthHit], float | None, tuple]:
    """The depth hits of one specimen; the diffusivity its sound plate's back wall gives over
    the true one (None where the record is too short); and its thickness map's median over
    the true thickness with the share of its pixels read (NaN, 0 where none is)."""
    from thermodefect.detect.depth import back_wall_diffusivity
    from thermodefect.detect.thickness import sound_thickness
    from thermodefect.errors import ThermodefectError
    from thermodefect.evaluate import match_footprints

    seq = load(data / f"{name}.mat")
    feet, ratio = defect_truth(data, name, seq.image_shape)
    depths, settings = depth_truth(data, name)
    a, thickness = settings["diffusivity"], settings["thickness_mm"]
    found = detect(seq, method)
    try:
        wall = back_wall_diffusivity(found.cooling, found.mask, thickness) / a
    except ThermodefectError:
        wall = None
    plate = sound_thickness(seq, found, a)
    read = np.isfinite(plate)
    thick = (float(np.median(plate[read])) / thickness if read.any() else np.nan,
             float(read.mean()))  # fmt: skip
    hits = []
    if feet:
        hits = depth_hits(found, feet, match_footprints(found.mask, feet), depths,
                          ratio * depths, settings)  # fmt: skip
    return hits, wall, thick


def report(data: Path, split: str, method: str) -> list[DepthHit]:
    """Print the tables of one dataset (see the module docstring); its depth hits."""
    names = [r["name"] for r in select_rows(read_manifest(data), split, None, False, data)]
    hits, walls, thicknesses = [], [], []
    for name in names:
        found, wall, thick = specimen(data, name, method)
        hits += found
        walls.append(wall)
        thicknesses.append(thick)
    print(f"{data.name}, split {split}:\n")
    print(depth_markdown({method: {"depth_hits": hits}}).split("\n", 4)[-1])
    read = np.array([w for w in walls if w is not None])
    if len(read):
        err = np.abs(read - 1)
        print(
            f"diffusivity from the back wall (--thickness alone): {len(read)}/{len(walls)} "
            f"specimens, |a / true a - 1| median {np.median(err):.3f}, p90 "
            f"{np.quantile(err, 0.9):.3f}, within 5 %: {np.mean(err <= 0.05):.0%}"
        )
    ratio = np.array([t for t, _ in thicknesses])
    if np.isfinite(ratio).any():
        err = np.abs(ratio[np.isfinite(ratio)] - 1)
        share = np.mean([s for _, s in thicknesses])
        print(
            f"thickness map (--material): read on {len(err)}/{len(ratio)} specimens "
            f"({share:.0%} of the pixels), |median / true L - 1| median {np.median(err):.3f}, "
            f"p90 {np.quantile(err, 0.9):.3f}, within 5 %: {np.mean(err <= 0.05):.0%}"
        )
    print()
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, nargs="+", help="datasets (check: always all)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--method", default="pct")
    parser.add_argument("--plot", type=Path, help="PNG of estimated against true depth")
    args = parser.parse_args()
    panels = {}
    for data in args.data:
        split = "all" if data.name == "check" else args.split
        panels[data.name] = {"depth_hits": report(data, split, args.method)}
    if args.plot:
        plot_depths(panels, args.plot)


if __name__ == "__main__":
    main()
