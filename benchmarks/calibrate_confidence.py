"""Fit the confidence of detected regions and measure its calibration.

Runs PCT (significance) on every specimen of the fitting sets, or with ``--model`` PCT with
the network's confirmed regions added (``thermodefect detect``'s default with ``--model
default``), labels each reported region true when it touches a defect (the benchmark's rule for a
false call), and fits P(true) = sigmoid(b0 + b1 ln(peak z) + b2 ln(area px)) by maximum
likelihood. Then reports, on the fitting sets and on held-out sets, the expected calibration
error (ECE, 10 equal-width bins, weighted by their counts) and draws the reliability diagram.

    python benchmarks/calibrate_confidence.py \
        --fit wide:train wide:val bench:val --test wide:test bench:test check:all \
        --figure docs/images/confidence-reliability.png [--model default]

Prints the coefficients of its fit; ECE is reported for that fit and for the coefficients the
package holds (``thermodefect.detect.confidence``), which the figure draws.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import ndimage

from thermodefect.benchmark.truth import defect_truth
from thermodefect.detect import detect
from thermodefect.detect.confidence import features
from thermodefect.io import load
from thermodefect.simulate.dataset import read_manifest


def regions_of(spec: str, ckpt=None) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) region features and (n,) labels of every region PCT (with the network ``ckpt``'s
    confirmed regions added, when given) reports on DATA:SPLIT."""
    from thermodefect.detect import detect_combined

    folder, split = spec.split(":")
    xs, ys = [], []
    for row in read_manifest(Path(folder)):
        if split != "all" and row["split"] != split:
            continue
        seq = load(Path(folder) / f"{row['name']}.mat")
        feet, _ = defect_truth(Path(folder), row["name"], seq.image_shape)
        found = detect(seq) if ckpt is None else detect_combined(seq, ckpt)
        labels, n = ndimage.label(found.mask, structure=np.ones((3, 3)))
        touched = np.zeros(n + 1, bool)
        for foot in feet:
            touched[np.unique(labels[foot])] = True
        for region in found.regions:
            xs.append(features(float(found.feature[labels == region.id].max()), region.area_px))
            ys.append(touched[region.id])
    return np.array(xs).reshape(-1, 2), np.array(ys, bool)


def fit(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Logistic regression coefficients (intercept first) by Newton's method."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        grad = design.T @ (y - p) - ridge * beta
        hess = design.T @ (design * (p * (1 - p))[:, None]) + ridge * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, list]:
    """Expected calibration error and the (mean confidence, share true, count) of each bin."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    rows, total = [], 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            rows.append((float(p[sel].mean()), float(y[sel].mean()), int(sel.sum())))
            total += sel.sum() * abs(p[sel].mean() - y[sel].mean())
    return total / max(len(p), 1), rows


def main() -> None:
    from thermodefect.detect.confidence import confidence_of

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit", nargs="+", required=True, help="DATA:SPLIT sets to fit on")
    ap.add_argument("--test", nargs="+", default=[], help="DATA:SPLIT held-out sets")
    ap.add_argument("--figure", type=Path, help="reliability diagram (PNG)")
    ap.add_argument("--model", help="a checkpoint added to PCT ('default': the built-in one)")
    args = ap.parse_args()
    ckpt = None
    if args.model:
        from thermodefect.detect import load_model

        ckpt = load_model(None if args.model == "default" else Path(args.model))
    parts = [regions_of(s, ckpt) for s in args.fit]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    beta = fit(x, y)
    print(f"fitted on {len(y)} regions ({int((~y).sum())} false): coefficients {beta.round(4)}")
    sets = {"fit": (x, y)} | {s: regions_of(s, ckpt) for s in args.test}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect calibration")
    for name, (xs, ys) in sets.items():
        stored = np.array([confidence_of(*row) for row in np.exp(xs)]) if len(xs) else xs
        fitted = 1 / (1 + np.exp(-(beta[0] + xs @ beta[1:]))) if len(xs) else xs
        error, rows = ece(stored, ys)
        print(f"{name}: {len(ys)} regions, {int((~ys).sum())} false; ECE of the package's "
              f"confidence {error:.3f} (of this fit {ece(fitted, ys)[0]:.3f})")  # fmt: skip
        for mean, share, count in rows:
            print(f"    confidence {mean:.2f}: {share:.2f} true of {count}")
        if rows:
            ax.plot(
                [r[0] for r in rows], [r[1] for r in rows], "o-", label=f"{name} (ECE {error:.3f})"
            )
    ax.set_xlabel("stated confidence")
    ax.set_ylabel("share of regions that are defects")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, loc="lower right")
    who = "PCT" if ckpt is None else f"PCT + {args.model}"
    ax.set_title(f"Reliability of region confidence ({who})", fontsize=9)
    fig.tight_layout()
    if args.figure:
        fig.savefig(args.figure, dpi=110)


if __name__ == "__main__":
    main()
