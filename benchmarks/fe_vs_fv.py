"""Cross-check of the two solvers: finite elements (tetrahedra) against finite volumes.

Each case is one plate seen by an ideal camera, simulated by both solvers at fine settings
(finite volumes: 48 layers; finite elements: nodes at the pixels' corners, unjittered, so
both see the same square outlines; relative step 0.01). Printed per case: the largest
difference over the record of the mean rise of the sound area (2 pixels or more from a
defect) and of the defect's interior (2 pixels or more inside its outline), relative to the
sound rise of the same frame, and of the defect's contrast (interior minus sound) relative
to its peak contrast; frames within the first 2 % of the record are left out (both solvers
are least resolved there). The outline pixels are left out because the two solvers sample
them differently: the finite volumes at the pixel centre, the finite elements by
interpolating the nodes around it.

    python benchmarks/fe_vs_fv.py            # the table docs/simulator.md quotes
"""

from __future__ import annotations

import time

import numpy as np
from scipy.ndimage import binary_dilation, binary_erosion

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

RESIN = {"name": "resin", "k": 0.2, "density": 1200.0, "heat_capacity": 1200.0}
CASES = {
    "sound CFRP 2 mm": Plate(2.0, "cfrp"),
    "hole CFRP 2 mm at 0.625 mm": Plate(
        2.0,
        "cfrp",
        defects=(Defect("hole", 0.625, center_mm=(8.0, 8.0), size_mm=6.0, shape="square"),),
    ),
    "air insert 0.1 mm at 0.5 mm, UD-CFRP": Plate(
        2.0,
        "cfrp-ud",
        defects=(Defect("insert", 0.5, center_mm=(8.0, 8.0), size_mm=6.0, shape="square"),),
    ),
    "resin insert 0.03 mm at 0.75 mm, UD-CFRP": Plate(
        2.0,
        "cfrp-ud",
        defects=(
            Defect("insert", 0.75, (8.0, 8.0), 6.0, "square", material=RESIN, thickness_mm=0.03),
        ),
    ),
    "hole aluminium 3 mm at 1 mm": Plate(
        3.0,
        "aluminium",
        defects=(Defect("hole", 1.0, center_mm=(8.0, 8.0), size_mm=6.0, shape="square"),),
    ),
}


def spec_for(plate: Plate, method: str) -> SimulationSpec:
    """Both solvers' spec of ``plate``: 32 x 32 px of 0.5 mm, 1.5 L^2/a over 120 frames."""
    a = plate.body_material().diffusivity("z")
    duration = 1.5 * (plate.thickness_mm * 1e-3) ** 2 / a
    camera = Camera(height=32, width=32, n_frames=120, preflash_frames=0,
                    frame_rate=119 / duration, ideal=True, subtract_first_frame=False)  # fmt: skip
    solver = (
        SolverSettings(nz=48, relative_step=0.01)
        if method == "fv"
        else SolverSettings(nz=24, method="fe", mesh_px=1.0, mesh_jitter=0.0, relative_step=0.01)
    )
    return SimulationSpec("cross-check", plate, Flash(duration_s=0.002), Boundary(), camera,
                          solver)  # fmt: skip


def compare(plate: Plate) -> dict:
    """Differences of the finite-element from the finite-volume rise (shares, see above)."""
    rises = {}
    seconds = {}
    for method in ("fv", "fe"):
        start = time.perf_counter()
        rises[method], times, _ = surface_rise(spec_for(plate, method))
        seconds[method] = time.perf_counter() - start
    late = times > 0.02 * times[-1]
    truth = plate.ground_truth((32, 32), 0.5)
    mask = binary_erosion(truth, iterations=2)
    sound = ~binary_dilation(truth, iterations=2)
    ref = rises["fv"][late][:, sound].mean(axis=1)
    out = {}
    out["sound"] = float(np.max(np.abs(rises["fe"][late][:, sound].mean(1) - ref) / ref))
    if mask.any():
        defect = {m: rises[m][late][:, mask].mean(1) for m in rises}
        out["defect"] = float(np.max(np.abs(defect["fe"] - defect["fv"]) / ref))
        contrast = {m: defect[m] - rises[m][late][:, sound].mean(1) for m in rises}
        peak = np.abs(contrast["fv"]).max()
        out["contrast"] = float(np.max(np.abs(contrast["fe"] - contrast["fv"])) / peak)
    out.update({f"{m}_s": s for m, s in seconds.items()})
    return out


def main() -> None:
    print(f"{'case':42s} {'sound':>7s} {'defect':>7s} {'contrast':>8s} {'FV s':>6s} {'FE s':>6s}")
    for name, plate in CASES.items():
        r = compare(plate)
        cells = [f"{100 * r[k]:6.2f}%" if k in r else "      -" for k in ("sound", "defect")]
        contrast = f"{100 * r['contrast']:7.2f}%" if "contrast" in r else "       -"
        print(f"{name:42s} {cells[0]} {cells[1]} {contrast} {r['fv_s']:6.1f} {r['fe_s']:6.1f}")


if __name__ == "__main__":
    main()
