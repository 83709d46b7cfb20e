"""Which missed defects any detector could have found: each defect's signal against the camera's
noise and against the plate's own recorded background.

For every defective specimen of a simulated dataset the specimen's spec is solved twice without
a camera (:func:`thermodefect.simulate.surface_rise`): as it is and with its defects removed.
The difference is each defect's noise-free contrast, in K, at every frame. Per defect:

- **camera SNR**: the contrast's energy over the frames and the footprint's pixels against the
  camera's white noise per frame (NETD and the count step's quantisation, step / sqrt(12)).
  This is what an observer that knows the defect's every pixel and frame could reach; under 5
  the defect is under the camera's noise for any detector.
- **oracle filter z**: the defect's own contrast curve at its strongest pixel, used as a
  per-pixel temporal filter on the recorded sequence as the detectors see it
  (:func:`~thermodefect.detect.classical.prepare`), the response freed of its quadratic
  trend, blurred by half the defect's equivalent radius, in robust z over the plate outside
  every defect (6 pixels clear). Two filters, the better one counts: the curve itself, and
  the curve whitened by the background's own covariance over 64 log-spaced time bins
  (shrunk 5 % towards its mean variance), which discounts what the plate's structure shares
  with the curve. It is what a detector that knows the defect's time curve and size does
  against the plate's real background (texture, marks, heating, stripes, the other
  defects' halos); under 5 the defect is under the plate's own structure at the classical
  decision's level. It is no bound on every detector: one that models the structure
  (a texture's period, a mark's shape) can do better.

Each defect with d/z >= 2 is then counted as hit by ``--method`` or missed, and each miss as
under the camera's noise, under the plate's structure, or within reach.

    OMP_NUM_THREADS=1 python benchmarks/detectability.py wide --out runs/detectability
    # about 11 min on one core (two solves per defective plate)

Writes OUT/defects.jsonl (one row per defect) and prints a markdown table per group (the
family of a ``wide`` dataset, else the dataset).
"""

from __future__ import annotations

import argparse
import copy
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import ndimage

from thermodefect.benchmark.truth import defect_truth
from thermodefect.detect.classical import detect, prepare
from thermodefect.evaluate.matching import match_footprints
from thermodefect.io import load
from thermodefect.methods import robust_z
from thermodefect.preprocess.plate import detrend
from thermodefect.simulate import from_dict, surface_rise
from thermodefect.simulate.dataset import read_manifest

#: Signal-to-noise under which a defect counts as under the noise or the structure.
LEVEL = 5.0

#: Pixels around every defect left out of the background statistics.
CLEAR = 6

#: Edges of the log-spaced time bins the filters read (64 bins at most).
BINS = 65

#: Share of the background covariance shrunk towards its mean variance before whitening.
SHRINK = 0.05


def contrast(doc: dict) -> tuple[np.ndarray, object]:
    """Noise-free contrast (T_post, H, W) of all of a specimen's defects, in K, and its spec."""
    spec = from_dict(doc, check=False)
    bare = copy.deepcopy(doc)
    bare["defects"] = []
    with_defects = surface_rise(spec)[0]
    without = surface_rise(from_dict(bare, check=False))[0]
    return (with_defects - without).astype(np.float64), spec


def camera_noise(camera) -> float:
    """White noise per pixel and frame, K: NETD and the count step's quantisation."""
    return float(np.hypot(camera.netd_k, (camera.count_k or 0.0) / np.sqrt(12)))


def oracle_z(curve: np.ndarray, frames: np.ndarray, background: np.ndarray, foot, radius):
    """The better of the plain and the whitened filter's z on ``foot`` (module docstring)."""
    edges = np.unique(np.geomspace(1, len(curve) + 1, BINS).astype(int) - 1)
    width = np.diff(edges).astype(np.float64)
    binned = np.add.reduceat(frames, edges[:-1], axis=0) / width[:, None, None]
    binned -= binned.mean(axis=(1, 2), keepdims=True)
    shape = np.add.reduceat(curve, edges[:-1]) / width
    sample = binned[:, background]
    sample = sample - sample.mean(axis=1, keepdims=True)
    cov = sample @ sample.T / sample.shape[1]
    cov = (1 - SHRINK) * cov + SHRINK * np.trace(cov) / len(cov) * np.eye(len(cov))
    best = 0.0
    for weights in (shape - shape.mean(), np.linalg.solve(cov, shape)):
        response = np.tensordot(weights, binned, axes=(0, 0))
        flat = detrend(response, background)
        z = robust_z(ndimage.gaussian_filter(flat, radius), background)
        sign = 1.0 if np.median(z[foot]) >= 0 else -1.0
        best = max(best, float((sign * z[foot]).max()))
    return best


def specimen_rows(data: Path, row: dict, method: str) -> list[dict]:
    """One record per defect of a specimen (see the module docstring)."""
    doc = json.loads((data / f"{row['name']}.json").read_text())
    delta, spec = contrast(doc)
    seq = load(data / f"{row['name']}.mat")
    cooling = prepare(seq)
    feet = defect_truth(data, row["name"], cooling.image_shape)[0]
    hits = match_footprints(detect(seq, method, prepared=cooling).mask, feet).hits
    frames = np.asarray(cooling.frames, np.float64)
    n = min(len(frames), len(delta))  # both end at the record's last frame
    frames, delta = frames[-n:], delta[-n:]
    plate = cooling.meta.extra.get("plate")
    plate = np.ones(frames.shape[1:], bool) if plate is None else np.asarray(plate, bool)
    background = plate & ~ndimage.binary_dilation(np.any(feet, axis=0), iterations=CLEAR)
    energy = (delta**2).sum(axis=0)
    sigma = camera_noise(spec.camera)
    truth = doc["ground_truth"]["defects"]
    out = []
    for i, (foot, hit, t) in enumerate(zip(feet, hits, truth, strict=True)):
        y, x = np.unravel_index(np.argmax(np.where(foot, energy, -1.0)), foot.shape)
        radius = max(1.0, float(np.sqrt(foot.sum() / np.pi)) / 2)
        out.append({
            "name": row["name"], "group": row.get("family") or data.name, "defect": i,
            "ratio": t["equivalent_diameter_mm"] / t["simulated_depth_mm"], "hit": bool(hit),
            "camera_snr": float(np.sqrt(energy[foot].sum()) / sigma) if sigma > 0 else np.inf,
            "oracle_z": oracle_z(delta[:, y, x], frames, background, foot, radius),
        })  # fmt: skip
    return out


def verdict(rec: dict) -> str:
    """hit, or why a miss was missed."""
    if rec["hit"]:
        return "hit"
    if rec["camera_snr"] < LEVEL:
        return "under the camera's noise"
    if rec["oracle_z"] < LEVEL:
        return "under the plate's structure"
    return "within reach"


VERDICTS = ("hit", "under the camera's noise", "under the plate's structure", "within reach")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datasets", nargs="+", type=Path, help="simulated dataset folders")
    ap.add_argument("--method", default="pct", help="the classical method whose hits are counted")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    counts: dict = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    with open(args.out / "defects.jsonl", "w") as log:
        for data in args.datasets:
            for row in read_manifest(data):
                if not int(row.get("n_defects") or 0):
                    continue
                for rec in specimen_rows(data, row, args.method):
                    log.write(json.dumps(rec) + "\n")
                    if rec["ratio"] >= 2:
                        counts[rec["group"]][verdict(rec)] += 1
    print(f"defects with d/z >= 2, {args.method}\n")
    print(f"| group | {' | '.join(VERDICTS)} |\n| --- |" + " --- |" * len(VERDICTS))
    counts["all"] = {v: sum(by[v] for by in counts.values()) for v in VERDICTS}
    for group, by in counts.items():
        print(f"| {group} | {' | '.join(str(by[v]) for v in VERDICTS)} |")


if __name__ == "__main__":
    main()
