"""End-to-end time of learned detection on a 300 x 480 x 640 sequence (the issue's target:
at most 3 s on 2 CPU cores with the default model), split into its stages.

The sequence is synthetic but shaped like a real one: 20 pre-flash frames, a flash, a
1/sqrt(t) cooling scaled by an uneven heating field, a few warmer discs and camera noise,
written once as float32 .npy (THW), as our HDF5 and as a seed-layout .mat. Stages: load, input
representation, network forward (tiled), mask cleaning and measurement, files.

    python benchmarks/bench_detect_model.py [--model PATH] [--repeats 3] [--device cuda]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic_sequence(path: Path, t: int = 300, h: int = 480, w: int = 640) -> Path:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    heat = 1 + 0.3 * x / w + 0.2 * ((y - h / 2) / h) ** 2
    for r, c, rad in ((120, 160, 20), (300, 400, 12), (240, 520, 30)):
        heat += 0.05 * ((y - r) ** 2 + (x - c) ** 2 < rad**2)
    times = np.arange(t, dtype=np.float32) / 50
    curve = np.where(np.arange(t) >= 20, 1 / np.sqrt(np.maximum(times - times[20], 0.01)), 0)
    frames = np.empty((t, h, w), np.float32)
    for i in range(t):
        frames[i] = curve[i] * heat + rng.normal(0, 0.02, (h, w)).astype(np.float32)
    np.save(path, frames)
    return path


def main() -> None:
    from thermodefect.detect.model import detect_with_model, load_model
    from thermodefect.io import load, save
    from thermodefect.nn.infer import predict_probability
    from thermodefect.nn.inputs import representation
    from thermodefect.report import write_detection

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="checkpoint (default: the packaged model)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    import torch

    ckpt = load_model(args.model, args.device)
    print(f"model {ckpt.model_name}, torch threads {torch.get_num_threads()}, "
          f"device {args.device}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        npy = synthetic_sequence(Path(tmp) / "seq.npy")
        mat, h5 = Path(tmp) / "seq.mat", Path(tmp) / "seq.h5"
        save(load(npy), mat)
        save(load(npy), h5)
        for path in (npy, h5, mat):
            stages: dict[str, list[float]] = {}
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                seq = load(path)
                t1 = time.perf_counter()
                x = representation(seq, ckpt.inputs)
                t2 = time.perf_counter()
                predict_probability(ckpt.model, x, device=args.device)
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                t3 = time.perf_counter()
                found = detect_with_model(seq, ckpt, device=args.device)
                t4 = time.perf_counter()
                write_detection(found, Path(tmp) / "out", "seq")
                t5 = time.perf_counter()
                stage = {"load": t1 - t0, "representation": t2 - t1, "forward": t3 - t2,
                         "detect (repr+forward+regions)": t4 - t3, "files": t5 - t4,
                         "end to end": (t1 - t0) + (t4 - t3) + (t5 - t4)}  # fmt: skip
                for k, v in stage.items():
                    stages.setdefault(k, []).append(v)
            print(f"\n{path.suffix} ({path.stat().st_size / 1e6:.0f} MB), best of {args.repeats}:")
            for k, v in stages.items():
                print(f"  {k:32s} {min(v):6.2f} s")


if __name__ == "__main__":
    main()
