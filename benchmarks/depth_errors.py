"""How far the depth estimators (:mod:`thermodefect.detect.depth`) are from the simulated
depths, on the defects a classical detection found.

For every specimen of a dataset split: detect (PCT by default), estimate each region's depth
with the plate material's through-thickness diffusivity and thickness from the specimen's JSON
(what ``--material`` and ``--thickness`` give a user), and match each true defect to
the region that covers most of it. Prints, per estimator and for the combined depth, the
median and 90th percentile of |estimated / true depth - 1| binned by diameter/depth, the
share of true depths inside the reported interval, and how many found defects got a depth;
then how close the diffusivity the sound plate's back wall gives (``--thickness`` alone) comes
to the material's, and the thickness map (:mod:`thermodefect.detect.thickness`) to the plate's.

    python benchmarks/depth_errors.py bench --split test
    python benchmarks/depth_errors.py check --split all
    python benchmarks/depth_errors.py check bench wide --split test \\
        --plot depth-estimated-vs-true.png        # several sets, and a figure of them
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from thermodefect.benchmark.run import select_rows
from thermodefect.benchmark.truth import defect_truth
from thermodefect.detect import detect
from thermodefect.detect.depth import ESTIMATORS
from thermodefect.io import load
from thermodefect.simulate.dataset import read_manifest

BINS = ((0.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, np.inf))


def estimates_of(data: Path, name: str, method: str) -> tuple[list[dict], float | None, tuple]:
    """One row per true defect the detection found: true depth, d/z, kind, each estimator's
    depth and the combined one (mm), and the reported interval; the diffusivity the sound
    plate's back wall gives over the true one (None where the record is too short); and the
    thickness map's median over the true thickness with the share of its pixels read (NaN,
    0 where none is)."""
    from scipy import ndimage

    from thermodefect.detect.depth import back_wall_diffusivity, depth_of_region
    from thermodefect.detect.thickness import sound_thickness
    from thermodefect.errors import ThermodefectError

    doc = json.loads((data / f"{name}.json").read_text())
    material = doc["ground_truth"]["plate_material"]
    a = material["k_z"] / (material["density"] * material["heat_capacity"])
    spread = (material["k_x"] * material["k_y"]) ** 0.25 / material["k_z"] ** 0.5
    thickness = doc["plate"]["thickness_mm"]
    seq = load(data / f"{name}.mat")
    feet, ratio = defect_truth(data, name, seq.image_shape)
    found = detect(seq, method)
    try:
        wall = back_wall_diffusivity(found.cooling, found.mask, thickness) / a
    except ThermodefectError:
        wall = None
    plate = sound_thickness(seq, found, a)
    read = np.isfinite(plate)
    thick = (float(np.median(plate[read])) / thickness if read.any() else np.nan,
             float(read.mean()))  # fmt: skip
    labels, _ = ndimage.label(found.mask, structure=np.ones((3, 3)))
    rows = []
    for foot, dz, truth in zip(feet, ratio, doc["ground_truth"]["defects"], strict=True):
        overlap = np.bincount(labels[foot], minlength=labels.max() + 1)
        overlap[0] = 0
        if overlap.max() < 0.2 * foot.sum():
            continue
        region = labels == int(np.argmax(overlap))
        est = depth_of_region(found.cooling, region, found.mask, found.feature, a,
                              thickness_mm=thickness, spread=spread)  # fmt: skip
        values = dict(est.estimates_mm)
        if est.depth_mm is not None:
            values["combined"] = est.depth_mm
        rows.append({"true": truth["simulated_depth_mm"], "dz": dz, "kind": truth["kind"],
                     "values": values, "interval": (est.lo_mm, est.hi_mm)})  # fmt: skip
    return rows, wall, thick


def report(data: Path, split: str, method: str) -> list[dict]:
    """Print the tables of one dataset (see the module docstring); its rows."""
    names = [r["name"] for r in select_rows(read_manifest(data), split, None, False, data)]
    rows, walls, thicknesses = [], [], []
    for name in names:
        found, wall, thick = estimates_of(data, name, method)
        rows += found
        walls.append(wall)
        thicknesses.append(thick)
    print(f"{data.name}, split {split}: {len(rows)} defects found by {method}")
    header = " | ".join(f"d/z {lo:g}-{hi:g}" for lo, hi in BINS)
    print(f"| estimator | depth given | median, p90 |error| all | {header} |")
    print("| --- | --- | --- |" + " --- |" * len(BINS))
    for name in (*ESTIMATORS, "combined"):
        err = np.array([r["values"][name] / r["true"] - 1 if name in r["values"] else np.nan
                        for r in rows])  # fmt: skip
        dz = np.array([r["dz"] for r in rows])
        cells = []
        for lo, hi in BINS:
            e = np.abs(err[(dz >= lo) & (dz < hi) & np.isfinite(err)])
            cells.append(f"{np.median(e):.2f}, {np.quantile(e, 0.9):.2f} ({len(e)})" if len(e)
                         else "-")  # fmt: skip
        ok = np.abs(err[np.isfinite(err)])
        overall = f"{np.median(ok):.2f}, {np.quantile(ok, 0.9):.2f}" if len(ok) else "-"
        print(f"| {name} | {len(ok)}/{len(rows)} | {overall} | " + " | ".join(cells) + " |")
    inside = [r["interval"][0] <= r["true"] <= r["interval"][1] for r in rows
              if r["interval"][0] is not None]  # fmt: skip
    if inside:
        print(f"\ntrue depth inside the reported interval: {np.mean(inside):.0%} of {len(inside)}")
    read = np.array([w for w in walls if w is not None])
    if len(read):
        err = np.abs(read - 1)
        print(
            f"diffusivity from the back wall (--thickness alone): {len(read)}/{len(walls)} "
            f"specimens, |a / true a - 1| median {np.median(err):.3f}, p90 "
            f"{np.quantile(err, 0.9):.3f}, within 5 %: {np.mean(err <= 0.05):.0%}"
        )
    ratio = np.array([t for t, _ in thicknesses])
    read = np.isfinite(ratio)
    if read.any():
        err = np.abs(ratio[read] - 1)
        share = np.mean([s for _, s in thicknesses])
        print(
            f"thickness map (--material): read on {read.sum()}/{len(ratio)} specimens "
            f"({share:.0%} of the pixels), |median / true L - 1| median {np.median(err):.3f}, "
            f"p90 {np.quantile(err, 0.9):.3f}, within 5 %: {np.mean(err <= 0.05):.0%}"
        )
    print()
    return rows


def plot(panels: dict, path: Path) -> None:
    """Estimated against true depth, one panel per dataset, one colour per estimator."""
    from thermodefect.io.images import figure, save_figure

    fig, axes = figure((4.2 * len(panels), 4.4), cols=len(panels))
    colours = {"tsr": "tab:blue", "contrast": "tab:orange", "ppt": "tab:green",
               "combined": "black"}  # fmt: skip
    for ax, (name, rows) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        top = max([r["true"] for r in rows] + [1.0]) * 1.3
        ax.plot([0, top], [0, top], color="0.6", lw=0.8)
        for key, colour in colours.items():
            pairs = [(r["true"], r["values"][key]) for r in rows if key in r["values"]]
            if pairs:
                x, y = zip(*pairs, strict=True)
                ax.scatter(x, y, s=16 if key == "combined" else 7, color=colour, label=key,
                           zorder=3 if key == "combined" else 2)  # fmt: skip
        ax.set(xlim=(0, top), ylim=(0, 2 * top), xlabel="true depth (mm)",
               ylabel="estimated depth (mm)",
               title=f"{name}: {len(rows)} defects found")  # fmt: skip
        ax.legend(fontsize=7)
    save_figure(fig, path, dpi=100)


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
        panels[data.name] = report(data, split, args.method)
    if args.plot:
        plot(panels, args.plot)


if __name__ == "__main__":
    main()
