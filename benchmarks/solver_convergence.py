"""How far the finite-volume solver's time stepping is from converged, and what it costs.

A 50 x 50-pixel plate at 0.2 mm, 24 layers, 300 frames, with a PTFE insert 1.0 mm deep and a
flat-bottom hole 0.8 mm deep, on two materials: aluminium 3 mm thick over 0.28 s (3 L^2/a;
the flash lasts 3 ms, a third of the defects' diffusion time) and unidirectional CFRP 3 mm
thick over 10 s. The reference steps at most 1/64 of a frame interval and 0.005 of the
elapsed time. Printed per ``relative_step``: wall time, the largest error of the surface
temperature over the frame's mean, and the largest error of the contrast (the image minus
its median) over the reference's peak contrast.

    python benchmarks/solver_convergence.py
"""

from __future__ import annotations

import time

import numpy as np


def _model(material: str):
    from thermodefect.simulate import from_dict
    from thermodefect.simulate.solver import Grid, build_model

    spec = from_dict({
        "name": "convergence",
        "plate": {"thickness_mm": 3.0, "material": material},
        "defects": [
            {"kind": "insert", "shape": "ellipse", "center_mm": [5, 5], "size_mm": [4, 2],
             "depth_mm": 1.0, "material": "ptfe", "thickness_mm": 0.05},
            {"kind": "hole", "center_mm": [3, 7], "size_mm": 2, "depth_mm": 0.8},
        ],
        "flash": {"profile": "uniform"},
        "camera": {"height": 50, "width": 50, "pixel_pitch_mm": 0.2},
    })  # fmt: skip
    grid = Grid(spec.camera.shape, spec.camera.pixel_pitch_mm, 24)
    return build_model(spec.plate, grid, spec.boundary), spec.flash


def _contrast(frames: np.ndarray) -> np.ndarray:
    return frames - np.median(frames, axis=(1, 2), keepdims=True)


def main() -> None:
    from thermodefect.simulate.solver import simulate_surface

    for material, duration in (("aluminium", 0.28), ("cfrp-ud", 10.0)):
        model, flash = _model(material)
        times = np.arange(1, 301) * duration / 300
        ref = simulate_surface(model, flash, times, relative_step=0.005, max_step=duration / 19200)
        peak = np.abs(_contrast(ref)).max()
        print(f"{material}, 3 mm, 300 frames over {duration:g} s:")
        for relative_step in (0.2, 0.05, 0.02):
            t0 = time.perf_counter()
            out = simulate_surface(model, flash, times, relative_step=relative_step)
            took = time.perf_counter() - t0
            level = (np.abs(out - ref).max(axis=(1, 2)) / ref.mean(axis=(1, 2))).max()
            contrast = np.abs(_contrast(out) - _contrast(ref)).max() / peak
            print(f"  relative_step {relative_step:<5g} {took:5.2f} s   surface error "
                  f"{100 * level:5.2f} % of the mean   contrast error {100 * contrast:5.2f} % "
                  "of the peak")  # fmt: skip


if __name__ == "__main__":
    main()
