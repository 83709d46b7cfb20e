"""End-to-end time and peak memory of ``thermodefect detect`` on a large sequence, as a user
waits for it: a fresh process per run, start-up and imports included.

Writes a 300 x 480 x 640 float32 .npy (369 MB: a plate with four holes, a Gaussian flash,
noise and a few dead pixels), runs the command line for each method (``model``: the
built-in network; ``default``: no option, PCT with the built-in network) and reports
wall-clock seconds (from the interpreter's start) and the peak resident set of the child
relative to the file's size; for the classical methods also the time of each preprocessing
stage in this process. Linux only.

    python benchmarks/bench_detect_cli.py [--methods default pct tsr model] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CHILD = """
import resource, sys
from thermodefect.cli import main
code = main(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(code, peak)
"""


def make_plate(path: Path, t: int = 300, h: int = 480, w: int = 640) -> None:
    """A cooling plate with four holes under a Gaussian flash, 5 pre-flash frames."""
    times = np.arange(t, dtype=np.float32) / 50.0 - 0.1
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    flash = np.exp(-(((x - 300) / 500) ** 2 + ((y - 200) / 400) ** 2)).astype(np.float32)
    holes = np.zeros((h, w), np.float32)
    for r, c, rad, strength in ((120, 150, 25, 0.3), (120, 450, 18, 0.2), (350, 200, 12, 0.15),
                                (350, 480, 30, 0.1)):  # fmt: skip
        holes[(y - r) ** 2 + (x - c) ** 2 <= rad**2] = strength
    rng = np.random.default_rng(0)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(t, h, w))
    for k, tk in enumerate(times):
        if tk <= 0:
            out[k] = rng.normal(0, 0.02, (h, w))
            continue
        curve = 1 / np.sqrt(tk) * (1 + holes * np.clip(tk / 0.5, 0, 1) * np.exp(-tk / 3))
        out[k] = curve * flash * 5 + rng.normal(0, 0.02, (h, w)).astype(np.float32)
    out[:, 10, 10] = 0.0  # dead pixels
    out[:, 300, 600] = 0.0
    out.flush()


def stages(path: Path, method: str) -> dict[str, float]:
    """Seconds of each stage of a classical detection, in this process (the outline: the
    regions redrawn at their halo-corrected size)."""
    from thermodefect.detect import prepare
    from thermodefect.detect.classical import mask_of
    from thermodefect.detect.features import features
    from thermodefect.detect.outline import halo_corrected
    from thermodefect.io import load
    from thermodefect.preprocess import correct_heating, extract_cooling, replace_bad_pixels

    out = {}
    t0 = time.perf_counter()
    seq = load(path)
    out["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fixed = replace_bad_pixels(seq)
    out["bad pixels"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cooling = extract_cooling(fixed)
    out["cooling"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    correct_heating(cooling)
    out["heating"] = time.perf_counter() - t0
    prepared = prepare(seq)
    t0 = time.perf_counter()
    image, faint = features(prepared, method)
    out[f"{method} feature"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    mask = mask_of(image, prepared, faint=faint)
    out["decision"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    halo_corrected(mask, image, prepared)
    out["outline"] = time.perf_counter() - t0
    return out


LABELS = {
    "model": "--model default (built-in network)",
    "default": "(no option: PCT and the built-in network)",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", nargs="+", default=["default", "pct", "tsr", "model"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/td-detect"))
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "plate.npy"
    if not path.exists():
        make_plate(path)
    size = path.stat().st_size
    print(f"{path}: {size / 2**20:.0f} MiB")
    for method in args.methods:
        walls, peaks = [], []
        how = {"model": ["--model", "default"], "default": []}.get(method, ["--method", method])
        for _ in range(args.repeats):
            cmd = [sys.executable, "-c", CHILD, "--quiet", "detect", str(path), *how,
                   "--out", str(args.dir / f"out_{method}")]  # fmt: skip
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            walls.append(time.perf_counter() - t0)
            code, peak = done.stdout.split()
            assert code == "0", done.stderr
            peaks.append(int(peak))
        label = LABELS.get(method, f"--method {method}")
        print(f"detect {label}: {min(walls):.2f}-{max(walls):.2f} s end to end, "
              f"peak memory {statistics.median(peaks) / size:.2f} x the file "
              f"({statistics.median(peaks) / 2**20:.0f} MiB)")  # fmt: skip
        if method not in ("model", "default"):
            parts = stages(path, method)
            print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()))


if __name__ == "__main__":
    main()
