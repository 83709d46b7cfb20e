"""Train the learned depth estimator (:mod:`thermodefect.detect.depth_learned`) and measure it
beside the analytic ones on sets it was not trained on.

For every specimen of each DATA:SPLIT: PCT's detection (``thermodefect detect``'s default),
each defect it hits read as ``detect --material --thickness`` reads it (the region covering
most of the defect, its curve against the sound ring, the early diameter, the analytic
estimates), cached per set under ``--cache``. Defects shallower than the record resolves get
a bound, not a depth, and are left out. DATA:SPLIT:truth reads every defect on its true
footprint instead (found or not: about three times the training cases). The ensemble is
trained on ``--train``, stopped and its interval set on ``--val``, and the median relative
depth error of every rule is printed for each ``--val`` and ``--test`` set, all and at
d/z >= 2, with the 5-95 % range of estimated / true depth (the interval of the reported
depth is set from the validation sets'):

    python benchmarks/train_depth_regressor.py --train wide:train:truth \\
        --val wide:val:truth bench:val:truth --test wide:val wide:test bench:test check:all \\
        demo_out/data:all --cache runs/depth-cases \\
        --out src/thermodefect/data/models/depth_regressor.npz
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
from scipy import ndimage

from thermodefect.benchmark.truth import defect_truth, depth_truth
from thermodefect.detect import detect
from thermodefect.detect.depth import (
    combine,
    defect_curves,
    depth_of_curves,
    depth_of_region,
    size_windows,
)
from thermodefect.detect.depth_learned import curve_features, fit_regressor, load_regressor
from thermodefect.evaluate import match_footprints
from thermodefect.io import load
from thermodefect.simulate.dataset import read_manifest


def cases(spec: str, cache: Path) -> list[dict]:
    """Every defect PCT hits on DATA:SPLIT with what the depth step reads of it (cached); with
    DATA:SPLIT:truth, every defect read on its true footprint instead of the region."""
    folder, split, *truth = spec.split(":")
    path = cache / f"{Path(folder).name}-{split}{'-truth' if truth else ''}.pkl"
    if path.is_file():
        rows = pickle.loads(path.read_bytes())
        return [{**r, "estimate": estimate(r)} for r in rows]
    out = []
    for row in read_manifest(Path(folder)):
        if split != "all" and row["split"] != split:
            continue
        name = row["name"]
        seq = load(Path(folder) / f"{name}.mat")
        truth = depth_truth(Path(folder), name)
        feet, ratio = defect_truth(Path(folder), name, seq.image_shape)
        if truth is None or not feet:
            continue
        depths, settings = truth
        found = detect(seq)
        match = match_footprints(found.mask, feet)
        labels, n = ndimage.label(found.mask, structure=np.ones((3, 3)))
        windows = size_windows(found.cooling)
        times = np.asarray(found.cooling.times, np.float64)
        every = np.any(feet, axis=0) if truth else found.mask
        for i, foot in enumerate(feet):
            overlap = np.bincount(labels[np.asarray(foot, bool)], minlength=n + 1)[1:]
            if truth:
                region = np.asarray(foot, bool)
            elif not match.hits[i] or not overlap.any():
                continue
            else:
                region = labels == int(np.argmax(overlap)) + 1
            est = depth_of_region(found.cooling, region, every, found.feature,
                                  settings["diffusivity"], thickness_mm=settings["thickness_mm"],
                                  spread=settings["spread"], windows=windows)  # fmt: skip
            settings = {**settings, "frame_rate": found.cooling.meta.frame_rate}
            defect, sound = defect_curves(found.cooling, region, every, found.feature)
            out.append(dict(name=name, true_mm=float(depths[i]), ratio=float(ratio[i]),
                            times=times, defect=defect, sound=sound, settings=settings,
                            diameter_mm=est.diameter_mm))  # fmt: skip
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return [{**r, "estimate": estimate(r)} for r in out]


def estimate(row: dict):
    """The analytic depth step on a cached defect's curves, as the code reads them now."""
    s = row["settings"]
    return depth_of_curves(row["times"], row["defect"], row["sound"], s["frame_rate"],
                           s["diffusivity"], diameter_mm=row["diameter_mm"],
                           thickness_mm=s["thickness_mm"], spread=s["spread"],
                           learned=False)  # fmt: skip


def table(spec: str, rows: list[dict], regressor) -> str:
    """One line per rule: median (p90) of |estimated / true - 1|, all and at d/z >= 2."""
    kept = [r for r in rows if r["estimate"].shallower_mm is None]
    x = np.array([features(r) for r in kept]).reshape(len(kept), -1)
    learned = np.exp(regressor.predict(x)[0]) if len(kept) else np.array([])
    true = np.array([r["true_mm"] for r in kept])
    wide = np.array([r["ratio"] >= 2 for r in kept])
    rules = {
        "analytic (median of two or more)": [combine(analytic(r)) for r in kept],
        "learned": list(learned),
        "reported: with the learned one": [
            combine({**analytic(r), "learned": v}) for r, v in zip(kept, learned, strict=True)
        ],
    }
    below = sum(r["true_mm"] <= r["estimate"].shallower_mm for r in rows if r not in kept)
    lines = [f"{spec}: {len(rows)} defects hit, {len(rows) - len(kept)} shallower than the "
             f"record (true depth below the bound: {below})"]  # fmt: skip
    for label, values in rules.items():
        got = np.array([np.nan if v is None else v for v in values], float)
        err = np.abs(got / true - 1)
        has = np.isfinite(err)
        cells = []
        for sel in (has, has & wide):
            e = err[sel]
            q = f"{np.median(e):.3f} ({np.quantile(e, 0.9):.2f}, {len(e)})" if len(e) else "-"
            cells.append(q)
        q05, q95 = np.quantile(got[has] / true[has], [0.05, 0.95]) if has.any() else (0, 0)
        lines.append(f"  {label:32s} all {cells[0]:22s} d/z>=2 {cells[1]:22s} "
                     f"estimated / true 5-95 %: {q05:.2f}-{q95:.2f}")  # fmt: skip
    return "\n".join(lines)


def features(row: dict) -> np.ndarray:
    """The learned estimator's input of a cached defect."""
    s = row["settings"]
    return curve_features(row["times"], row["defect"], row["sound"], s["diffusivity"],
                          diameter_mm=row["diameter_mm"], spread=s["spread"],
                          analytic_mm=analytic(row))  # fmt: skip


def analytic(row: dict) -> dict:
    """The analytic estimators' depths of a cached defect, mm."""
    return dict(row["estimate"].estimates_mm)


def design(specs, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and ln(true depth / mm) of every resolved defect of the sets."""
    rows = [r for spec in specs for r in cases(spec, cache) if r["estimate"].shallower_mm is None]
    return np.array([features(r) for r in rows]), np.log([r["true_mm"] for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="+", required=True, help="DATA:SPLIT to train on")
    parser.add_argument("--val", nargs="+", required=True, help="DATA:SPLIT to stop on")
    parser.add_argument("--test", nargs="*", default=[], help="DATA:SPLIT to measure on")
    parser.add_argument("--cache", type=Path, default=Path("runs/depth-cases"))
    parser.add_argument("--out", type=Path, help="write the trained estimator here")
    parser.add_argument("--model", type=Path, help="measure this estimator instead of training")
    args = parser.parse_args()
    if args.model:
        regressor = load_regressor(args.model)
    else:
        x, y = design(args.train, args.cache)
        xv, yv = design(args.val, args.cache)
        print(f"training on {len(y)} defects, stopping on {len(yv)}")
        regressor = fit_regressor(x, y, xv, yv, info={"train": args.train, "val": args.val,
                                                       "defects": len(y)})  # fmt: skip
        print(f"interval of ln(true / estimated) on val: {regressor.residual}")
        if args.out:
            print(f"written {regressor.save(args.out)}")
    for spec in [*args.val, *args.test]:
        print(table(spec, cases(spec, args.cache), regressor))


if __name__ == "__main__":
    main()
