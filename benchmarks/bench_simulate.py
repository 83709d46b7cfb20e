"""Time the simulator on two specimens.

1. 256 x 256 pixels at 0.5 mm, 300 frames at 30 Hz, 20 layers: CFRP plate 3 mm thick with four
   flat-bottom holes and an insert, Gaussian flash, every camera effect on. Prints the solver
   time, the camera model's time and the total; with CUDA available the same specimen is also
   timed on the GPU.
2. Fine pixels on a conductive plate: unidirectional CFRP (9.4 W/mK along the fibres) 3 mm
   thick, 100 x 100 pixels at 0.2 mm, 1000 frames over 32 s, a PTFE insert and a hole; the
   explicit lateral step limit (2.8 ms) would need over 11000 steps here.

    python benchmarks/bench_simulate.py [--nz 20] [--frames 300]
"""

from __future__ import annotations

import argparse
import time


def _spec(nz: int, frames: int):
    from thermodefect.simulate import from_dict

    holes = [
        {
            "kind": "hole",
            "center_mm": [16 + 28 * i, 30],
            "size_mm": 8 + 2 * i,
            "depth_mm": 0.3 + 0.3 * i,
        }
        for i in range(4)
    ]
    insert = {"kind": "insert", "shape": "ellipse", "center_mm": [64, 90], "size_mm": [24, 12],
              "depth_mm": 0.6, "material": "ptfe", "thickness_mm": 0.2}  # fmt: skip
    return from_dict({
        "name": "bench",
        "plate": {"thickness_mm": 3.0, "material": "cfrp"},
        "defects": [*holes, insert],
        "flash": {"profile": "gaussian", "nonuniformity": 0.3},
        "camera": {"height": 256, "width": 256, "pixel_pitch_mm": 0.5, "frame_rate": 30.0,
                   "n_frames": frames},
        "solver": {"nz": nz},
    })  # fmt: skip


def _fine_spec():
    from thermodefect.simulate import from_dict

    return from_dict({
        "name": "fine",
        "plate": {"thickness_mm": 3.0, "material": "cfrp-ud"},
        "defects": [
            {"kind": "insert", "shape": "ellipse", "center_mm": [10, 10], "size_mm": [6, 3],
             "depth_mm": 1.0, "material": "ptfe", "thickness_mm": 0.05},
            {"kind": "hole", "center_mm": [5, 14], "size_mm": 3, "depth_mm": 0.8},
        ],
        "flash": {"profile": "uniform"},
        "camera": {"height": 100, "width": 100, "pixel_pitch_mm": 0.2,
                   "frame_rate": 1000 / 32, "n_frames": 1000},
        "solver": {"nz": 24},
    })  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nz", type=int, default=20)
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()
    import numpy as np
    import torch

    from thermodefect.simulate import run, surface_rise

    spec = _spec(args.nz, args.frames)
    run(_spec(4, 20))  # warm up imports and torch
    t0 = time.perf_counter()
    rise, _, _ = surface_rise(spec)
    t1 = time.perf_counter()
    spec.camera.record(rise, np.random.default_rng(0))
    t2 = time.perf_counter()
    print(f"simulate 256x256 px, {args.frames} frames, {args.nz} layers on CPU "
          f"({torch.get_num_threads()} threads): solver {t1 - t0:.2f} s, camera {t2 - t1:.2f} s, "
          f"total {t2 - t0:.2f} s (target <= 10 s)")  # fmt: skip
    t0 = time.perf_counter()
    surface_rise(_fine_spec())
    print(f"simulate 100x100 px at 0.2 mm, cfrp-ud, 1000 frames over 32 s, 24 layers: solver "
          f"{time.perf_counter() - t0:.2f} s (target <= 10 s)")  # fmt: skip
    if torch.cuda.is_available():
        surface_rise(_spec(4, 20), device="cuda")
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        surface_rise(spec, device="cuda")
        torch.cuda.synchronize()
        print(f"GPU {torch.cuda.get_device_name()}: solver {time.perf_counter() - t0:.2f} s")
    else:
        print("GPU: none available, skipped")


if __name__ == "__main__":
    main()
