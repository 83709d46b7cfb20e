"""How hole size and depth shape the contrast: the numbers quoted in docs/simulator.md.

0. Parker check of the validation test: largest error after the third frame of a sound plate
   (CFRP 2 mm at 50 Hz, aluminium 3 mm at 500 Hz, 40 layers, instantaneous flash).
1. Time of peak contrast at a fixed hole diameter (4, 6 and 10 mm; depths 0.4-1.3 mm in
   4 mm CFRP): the fitted exponent of t_peak against depth.
2. Half-maximum diameter at peak contrast for 20 mm holes at 0.3-1.2 mm.

    python benchmarks/diffusion_study.py        (about 2 minutes on 2 cores)
"""

from __future__ import annotations

import numpy as np
import torch

from thermodefect.simulate import Boundary, Defect, Flash, Plate
from thermodefect.simulate.solver import Grid, build_model, simulate_surface


def surface(plate, times, shape, pitch, nz):
    model = build_model(plate, Grid(shape, pitch, nz), Boundary(0, 0, 0), dtype=torch.float64)
    return simulate_surface(model, Flash(5000.0, 0.0), times)


def main() -> None:
    from thermodefect.simulate import LIBRARY
    from thermodefect.simulate.analytic import parker_front

    for name, thickness, fps in (("cfrp", 2.0, 50.0), ("aluminium", 3.0, 500.0)):
        frames = np.arange(1, 201) / fps
        got = surface(Plate(thickness, name), frames, (4, 4), 1.0, 40)[:, 2, 2]
        m = LIBRARY[name]
        ref = parker_front(frames, thickness * 1e-3, m.diffusivity(), 5000.0 / m.rho_c)
        error = np.abs(got / ref - 1)[3:].max()
        print(f"Parker, {name} {thickness} mm: max error after frame 3 = {error:.2%}")
    times = np.geomspace(0.02, 40.0, 120)
    shape, pitch, nz = (32, 32), 0.5, 24
    sound = surface(Plate(4.0, "cfrp"), times, shape, pitch, nz)[:, 16, 16]
    depths = np.array([0.4, 0.6, 0.9, 1.3])
    for diameter in (4.0, 6.0, 10.0):
        peaks = []
        for d in depths:
            hole = Defect("hole", d, center_mm=(8.0, 8.0), size_mm=diameter)
            c = surface(Plate(4.0, "cfrp", defects=(hole,)), times, shape, pitch, nz)[:, 16, 16]
            peaks.append(times[np.argmax(c - sound)])
        exponent = np.polyfit(np.log(depths), np.log(peaks), 1)[0]
        print(f"{diameter:4.0f} mm holes: t_peak {np.round(peaks, 2)} s, exponent {exponent:.2f}")
    times = np.geomspace(0.05, 30.0, 50)
    sound = surface(Plate(4.0, "cfrp"), times, (48, 48), 1.0, 24)
    for d in (0.3, 0.6, 0.9, 1.2):
        hole = Defect("hole", d, center_mm=(24.0, 24.0), size_mm=20.0)
        c = surface(Plate(4.0, "cfrp", defects=(hole,)), times, (48, 48), 1.0, 24) - sound
        image = c[int(np.argmax(c[:, 24, 24]))]
        width = 2 * np.sqrt((image >= 0.5 * image.max()).sum() / np.pi)
        print(f"20 mm hole {d} mm deep: peak contrast {image.max():.2f} K, ", end="")
        print(f"half-maximum diameter {width:.1f} mm")


if __name__ == "__main__":
    main()
