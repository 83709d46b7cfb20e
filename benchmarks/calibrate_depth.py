"""Fit the constants of the depth estimators (:mod:`thermodefect.detect.depth`) on simulated
defects of known depth.

Each case is one round defect in the middle of an ideal camera's view (finite volumes, 32 x
32 px, 20 layers, 600 frames over 1.5 L^2/a, adiabatic faces, no noise): flat-bottom holes
and 50 um air delaminations in quasi-isotropic CFRP 3 mm and aluminium 4 mm, at 0.25 and 0.5
of the thickness, with diameter/depth 2, 4 and 8. The defect's true footprint is the region
(calibration of the estimators, not of the detection). For each estimator the script prints
c0 and c1 of its constant C(r) = c0 + c1 / r against the effective aspect ratio r = (d/z)
sqrt(a_z / a_lateral) (a repeated-median line through the constants that give each true
depth), the 5 % and 95 % quantiles of estimated / true depth with C read at the aspect ratio
the estimate itself gives (the values :data:`CALIBRATION` holds), and the median relative
error per diameter/depth.

    python benchmarks/calibrate_depth.py
"""

from __future__ import annotations

import time

import numpy as np
from scipy import ndimage
from scipy.stats import siegelslopes

from thermodefect.detect.depth import (
    ANALYTIC,
    ASPECT_RANGE,
    defect_curves,
    lateral_spread,
    read_times,
)
from thermodefect.sequence import Meta, Sequence
from thermodefect.simulate import (
    Boundary,
    Camera,
    Defect,
    Flash,
    Plate,
    SimulationSpec,
    surface_rise,
)
from thermodefect.simulate.spec import SolverSettings

PLATES = {"cfrp": 3.0, "aluminium": 4.0}
SHARES = (0.25, 0.5)
RATIOS = (2.0, 4.0, 8.0)
KINDS = ("hole", "air")
PIXELS = 32


def simulate_case(material: str, kind: str, share: float, ratio: float):
    """The cooling, the true footprint, the diffusivity and the true depth (m) of one case."""
    thickness = PLATES[material]
    depth = share * thickness
    diameter = ratio * depth
    plate = Plate(thickness, material)
    a = plate.body_material().diffusivity("z")
    pitch = max(3.0 * diameter, 4.0 * depth) / PIXELS
    centre = (PIXELS * pitch / 2, PIXELS * pitch / 2)
    if kind == "hole":
        defect = Defect("hole", depth, center_mm=centre, size_mm=diameter)
    else:
        defect = Defect("insert", depth, center_mm=centre, size_mm=diameter, material="air",
                        thickness_mm=0.05)  # fmt: skip
    plate = Plate(thickness, material, defects=(defect,))
    duration = 1.5 * (thickness * 1e-3) ** 2 / a
    camera = Camera(height=PIXELS, width=PIXELS, pixel_pitch_mm=pitch, n_frames=600,
                    preflash_frames=0, frame_rate=599 / duration, ideal=True,
                    subtract_first_frame=False)  # fmt: skip
    spec = SimulationSpec("depth", plate, Flash(duration_s=0.0), Boundary(0, 0, 0), camera,
                          SolverSettings(nz=20))  # fmt: skip
    rise, times, _ = surface_rise(spec)
    keep = times > 0
    seq = Sequence(np.ascontiguousarray(rise[keep]), times[keep],
                   meta=Meta(frame_rate=camera.frame_rate, pixel_pitch_mm=pitch))  # fmt: skip
    return seq, plate.ground_truth((PIXELS, PIXELS), pitch), a, depth * 1e-3


def raw_quantities(seq: Sequence, truth: np.ndarray) -> dict:
    """Each estimator's time (s) or blind frequency (Hz) on the true footprint (None where
    it reads none, or reads a TSR time after the matching contrast's peak)."""
    feature = ndimage.distance_transform_edt(truth)
    defect, sound = defect_curves(seq, truth, truth, feature)
    found = read_times(np.asarray(seq.times, np.float64), defect, sound, seq.meta.frame_rate)
    return {name: found.get(name) for name in ANALYTIC}


def constant_of(name: str, value: float, a: float, depth: float) -> float:
    """The C that turns ``value`` into ``depth`` (m)."""
    if name == "ppt":
        return depth / np.sqrt(a / (np.pi * value))
    return depth**2 / (a * value)


def fit(name: str, rows: list) -> tuple[float, float, np.ndarray]:
    """c0, c1 of C(r) = c0 + c1 / r by a robust (repeated-median) line through the cases, and
    each case's estimated / true depth once C is read at the aspect ratio its own estimate
    gives (as at run time)."""
    used = [r for r in rows if r["q"][name] is not None]
    inv = np.array([1 / np.clip(r["aspect"], *ASPECT_RANGE) for r in used])
    cs = np.array([constant_of(name, r["q"][name], r["a"], r["depth"]) for r in used])
    c1, c0 = siegelslopes(cs, inv)  # robust: a few cases read a later, lateral peak
    ratios = []
    for r in rows:
        if r["q"][name] is None:
            ratios.append(np.nan)
            continue
        aspect, depth = 3.0, None
        for _ in range(6):
            c = c0 + c1 / np.clip(aspect, *ASPECT_RANGE)
            value = r["q"][name]
            depth = (c * np.sqrt(r["a"] / (np.pi * value)) if name == "ppt"
                     else np.sqrt(c * r["a"] * value))  # fmt: skip
            aspect = r["diameter"] / depth / r["spread"]
        ratios.append(depth / r["depth"])
    return float(c0), float(c1), np.array(ratios)


def main() -> None:
    rows = []
    start = time.perf_counter()
    for material in PLATES:
        spread = lateral_spread(material)
        for kind in KINDS:
            for share in SHARES:
                for ratio in RATIOS:
                    seq, truth, a, depth = simulate_case(material, kind, share, ratio)
                    rows.append({"material": material, "kind": kind, "share": share,
                                 "ratio": ratio, "a": a, "depth": depth,
                                 "diameter": ratio * depth, "spread": spread,
                                 "aspect": ratio / spread,
                                 "q": raw_quantities(seq, truth)})  # fmt: skip
    print(f"{len(rows)} cases simulated in {time.perf_counter() - start:.0f} s\n")
    print("| estimator | c0 | c1 | q05 | q95 | read | median, p90 |error| | "
          + " | ".join(f"d/z {r:g}" for r in RATIOS) + " |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |" + " --- |" * len(RATIOS))
    combined = []
    for name in ANALYTIC:
        c0, c1, est = fit(name, rows)
        combined.append(est)
        ok = np.isfinite(est)
        q05, q95 = np.quantile(est[ok], [0.05, 0.95])
        err = np.abs(est[ok] - 1)
        per = [np.nanmedian(np.abs(est[[r["ratio"] == d for r in rows]] - 1)) for d in RATIOS]
        print(f"| {name} | {c0:.3f} | {c1:.3f} | {q05:.2f} | {q95:.2f} | {ok.sum()}/{len(rows)} | "
              f"{np.median(err):.2f}, {np.quantile(err, 0.9):.2f} | "
              + " | ".join(f"{p:.2f}" for p in per) + " |")  # fmt: skip
    both = np.nanmedian(np.array(combined), axis=0)
    err = np.abs(both - 1)
    q05, q95 = np.quantile(both, [0.05, 0.95])
    per = [np.median(err[[r["ratio"] == d for r in rows]]) for d in RATIOS]
    print(f"| combined (median) | | | {q05:.2f} | {q95:.2f} | {len(rows)}/{len(rows)} | "
          f"{np.median(err):.2f}, {np.quantile(err, 0.9):.2f} | "
          + " | ".join(f"{p:.2f}" for p in per) + " |")  # fmt: skip
    print("\nper case: C that gives the true depth")
    for r in rows:
        cells = [f"{constant_of(n, r['q'][n], r['a'], r['depth']):5.2f}" if r["q"][n] else "  -  "
                 for n in ANALYTIC]  # fmt: skip
        print(
            f"  {r['material']:9s} {r['kind']:4s} {r['share']:4.2f} d/z {r['ratio']:3.0f} "
            f"(r {r['aspect']:4.1f})  " + " ".join(cells)
        )


if __name__ == "__main__":
    main()
