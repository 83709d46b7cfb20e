"""Peak resident memory of loading a large sequence, relative to the array it yields.

Writes a 2000 x 480 x 640 float32 sequence (2.46 GB) as MATLAB v7.3 (the only MATLAB
layout that holds it), our HDF5, NumPy (T, H, W) and NumPy (H, W, T), then loads each in a
fresh process and reports the peak resident set (VmHWM) / array size, the process baseline
subtracted. Linux only.

    python benchmarks/bench_load_memory.py [--frames 2000] [--dir /tmp/td-mem]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

CHILD = """
import sys
import numpy as np
import thermodefect.io as tio
import h5py, scipy.io, tifffile  # imported before the baseline so it excludes their code

def high_water_kb():  # VmHWM: peak resident set of this process image (not inherited)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))

base = high_water_kb()
seq = tio.load(sys.argv[1], layout=sys.argv[2] or None)
if seq.frames.__class__.__name__ == "memmap":
    float(np.asarray(seq.frames[::50]).sum())
print((high_water_kb() - base) * 1024 / (seq.frames.size * 4))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/td-mem"))
    args = ap.parse_args()
    from thermodefect.io import matlab, save
    from thermodefect.sequence import Sequence

    args.dir.mkdir(parents=True, exist_ok=True)
    frames = np.empty((args.frames, 480, 640), np.float32)
    rng = np.random.default_rng(0)
    for t0 in range(0, args.frames, 100):
        frames[t0 : t0 + 100] = rng.standard_normal((min(100, args.frames - t0), 480, 640))
    seq = Sequence(frames, np.arange(args.frames) / 100.0)
    files = {
        "MATLAB v7.3 (H, W, T)": (args.dir / "big.mat", ""),
        "HDF5 (ours)": (args.dir / "big.h5", ""),
        "NumPy .npy (T, H, W) float32": (args.dir / "big.npy", ""),
        "NumPy .npy (H, W, T) float32": (args.dir / "big_hwt.npy", "HWT"),
    }
    matlab.write(seq, files["MATLAB v7.3 (H, W, T)"][0], version="7.3")
    save(seq, files["HDF5 (ours)"][0])
    np.save(files["NumPy .npy (T, H, W) float32"][0], frames)
    hwt = np.lib.format.open_memmap(
        files["NumPy .npy (H, W, T) float32"][0], "w+", np.float32, (480, 640, args.frames)
    )
    for t0 in range(0, args.frames, 100):
        hwt[:, :, t0 : t0 + 100] = np.moveaxis(frames[t0 : t0 + 100], 0, 2)
    del hwt, seq, frames
    gb = args.frames * 480 * 640 * 4 / 1e9
    print(
        f"peak resident memory while loading a {args.frames}x480x640 float32 sequence ({gb:.2f} GB)"
    )
    for name, (path, layout) in files.items():
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), layout], capture_output=True, text=True
        )
        ratio = out.stdout.strip() or out.stderr.strip().splitlines()[-1]
        print(f"  {name:<30s} {float(ratio):.2f}x the array (target <= 1.5x)")
    shutil.rmtree(args.dir)


if __name__ == "__main__":
    main()
