"""Cross-check of the two solvers: finite elements (tetrahedra) against finite volumes.

Each case is one plate seen by an ideal camera in pixels of 0.5 and of 0.25 mm, simulated by
both solvers at fine settings (finite volumes: 48 layers; finite elements: nodes at the
pixels' corners, unjittered, so both see the same square outlines; relative step 0.01).
Printed per case: the largest difference over the record of the mean rise of the sound area
(1 mm or more from a defect) and of the defect's interior (1 mm or more inside its outline),
relative to the
sound rise of the same frame, and of the defect's contrast (interior minus sound) relative
to its peak contrast; frames within the first 2 % of the record are left out (both solvers
are least resolved there). The outline pixels are left out because the two solvers sample
them differently: the finite volumes at the pixel centre, the finite elements by
interpolating the nodes around it.

Then, for the CFRP hole, how the gap at the defect's centre closes as the lateral spacing is
refined (finite volumes at 0.125 mm pixels as the reference), and the time of one 100 x 100
px, 1000-frame finite-element specimen.

    python benchmarks/fe_vs_fv.py            # the tables docs/simulator.md quotes
    python benchmarks/fe_vs_fv.py --settings # and the aluminium hole's centre as each solver's
                                             # layers, pixels and steps are refined (2 min)
    python benchmarks/fe_vs_fv.py --section  # and cross sections refined until both solvers
                                             # converge (a slot across the view; 3 minutes)
    python benchmarks/fe_vs_fv.py --fine     # and the air insert's and aluminium hole's gaps
                                             # with finite-element nodes every 1, 1/2 and 1/4
                                             # pixel (about 15 minutes)
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

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

SLOT = {"center_mm": (8.0, 10.0), "size_mm": (6.0, 40.0), "shape": "rectangle"}
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
            Defect("insert", 0.75, (8.0, 8.0), 6.0, "square", material="resin", thickness_mm=0.03),
        ),
    ),
    "hole aluminium 3 mm at 1 mm": Plate(
        3.0,
        "aluminium",
        defects=(Defect("hole", 1.0, center_mm=(8.0, 8.0), size_mm=6.0, shape="square"),),
    ),
}


def spec_for(plate: Plate, method: str, pitch_mm: float = 0.5) -> SimulationSpec:
    """Both solvers' spec of ``plate``: a 16 mm square view in pixels of ``pitch_mm``, 1.5 L^2/a
    over 120 frames."""
    a = plate.body_material().diffusivity("z")
    duration = 1.5 * (plate.thickness_mm * 1e-3) ** 2 / a
    n = round(16 / pitch_mm)
    camera = Camera(height=n, width=n, pixel_pitch_mm=pitch_mm, n_frames=120, preflash_frames=0,
                    frame_rate=119 / duration, ideal=True, subtract_first_frame=False)  # fmt: skip
    solver = (
        SolverSettings(nz=48, relative_step=0.01)
        if method == "fv"
        else SolverSettings(nz=24, method="fe", mesh_px=1.0, mesh_jitter=0.0, relative_step=0.01)
    )
    return SimulationSpec("cross-check", plate, Flash(duration_s=0.002), Boundary(), camera,
                          solver)  # fmt: skip


def compare(plate: Plate, mesh_px: float = 1.0, pitch_mm: float = 0.5) -> dict:
    """Differences of the finite-element from the finite-volume rise (shares, see above) in
    pixels of ``pitch_mm``, the finite elements' nodes ``mesh_px`` pixels apart."""
    rises = {}
    seconds = {}
    for method in ("fv", "fe"):
        spec = spec_for(plate, method, pitch_mm)
        if method == "fe":
            spec = replace(spec, solver=replace(spec.solver, mesh_px=mesh_px))
        start = time.perf_counter()
        rises[method], times, _ = surface_rise(spec)
        seconds[method] = time.perf_counter() - start
    late = times > 0.02 * times[-1]
    n = round(16 / pitch_mm)
    rim = round(1.0 / pitch_mm)
    truth = plate.ground_truth((n, n), pitch_mm)
    mask = binary_erosion(truth, iterations=rim)
    sound = ~binary_dilation(truth, iterations=rim)
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


def refinement() -> dict:
    """Largest gap at the CFRP hole's centre over the record, relative to the sound rise of
    each frame, against finite volumes at 0.125 mm pixels: {(solver, spacing mm): share}."""
    plate = CASES["hole CFRP 2 mm at 0.625 mm"]
    runs = {("fv", 0.5): 0.5, ("fv", 0.125): 0.125, ("fe", 0.5): 0.5, ("fe", 0.25): 0.25}
    centres = {}
    for (method, spacing), pitch in runs.items():
        base = spec_for(plate, method)
        n = round(16 / pitch)
        camera = replace(base.camera, height=n, width=n, pixel_pitch_mm=pitch)
        rise, times, _ = surface_rise(replace(base, camera=camera))
        centres[method, spacing] = (rise[:, n // 2 - 1 : n // 2 + 1, n // 2 - 1 : n // 2 + 1]
                                    .mean(axis=(1, 2)), rise[:, 2, 2])  # fmt: skip
    late = times > 0.02 * times[-1]
    ref, sound = centres["fv", 0.125]
    return {
        key: float(np.max(np.abs(centre - ref)[late] / sound[late]))
        for key, (centre, _) in centres.items()
        if key != ("fv", 0.125)
    }


def settings_study() -> dict:
    """Largest gap at the aluminium hole's centre over the record, relative to the sound rise,
    against the finite volumes as :func:`spec_for` sets them, when one setting changes:
    {(solver, setting): share}."""
    plate = CASES["hole aluminium 3 mm at 1 mm"]
    runs = {
        ("fv", "96 layers"): ("fv", {"nz": 96}, 0.5),
        ("fv", "0.25 mm pixels"): ("fv", {}, 0.25),
        ("fv", "relative step 0.0025"): ("fv", {"relative_step": 0.0025}, 0.5),
        ("fe", "as in the table"): ("fe", {}, 0.5),
        ("fe", "48 planes"): ("fe", {"nz": 48}, 0.5),
        ("fe", "relative step 0.0025"): ("fe", {"relative_step": 0.0025}, 0.5),
    }
    centres = {}
    for key, (method, change, pitch) in [(("fv", "base"), ("fv", {}, 0.5)), *runs.items()]:
        base = spec_for(plate, method)
        n = round(16 / pitch)
        camera = replace(base.camera, height=n, width=n, pixel_pitch_mm=pitch)
        rise, times, _ = surface_rise(replace(base, camera=camera,
                                              solver=replace(base.solver, **change)))  # fmt: skip
        centre = rise[:, n // 2 - 1 : n // 2 + 1, n // 2 - 1 : n // 2 + 1].mean(axis=(1, 2))
        centres[key] = (centre, rise[:, 1, 1], times)
    ref, sound, times = centres["fv", "base"]
    late = times > 0.02 * times[-1]
    return {key: float(np.max(np.abs(c - ref)[late] / sound[late]))
            for key, (c, _, _) in centres.items() if key != ("fv", "base")}  # fmt: skip


SECTIONS = {
    "hole CFRP 2 mm at 0.625 mm": Plate(2.0, "cfrp", defects=(Defect("hole", 0.625, **SLOT),)),
    "air insert 0.1 mm at 0.5 mm, UD-CFRP": Plate(
        2.0, "cfrp-ud", defects=(Defect("insert", 0.5, thickness_mm=0.1, **SLOT),)
    ),
    "hole aluminium 3 mm at 1 mm": Plate(3.0, "aluminium", defects=(Defect("hole", 1.0, **SLOT),)),
    "air insert 0.1 mm at 1 mm, aluminium": Plate(
        3.0, "aluminium", defects=(Defect("insert", 1.0, thickness_mm=0.1, **SLOT),)
    ),
}


def section(plate: Plate, method: str, pitch_mm: float, **solver) -> tuple[np.ndarray, ...]:
    """Mean rise of the slot's interior (1.5 mm inside its edges) and of the sound plate (the
    first millimetre of the view), and the times, of a cross section: a 16 x 1 mm view."""
    base = spec_for(plate, method)
    camera = replace(base.camera, height=4, width=round(16 / pitch_mm), pixel_pitch_mm=pitch_mm)
    spec = replace(base, camera=camera, solver=replace(base.solver, nz=48, **solver))
    rise, times, _ = surface_rise(spec)
    x = (np.arange(camera.width) + 0.5) * pitch_mm
    profile = rise.mean(axis=1)
    return profile[:, (x > 6.5) & (x < 9.5)].mean(1), profile[:, x < 1.0].mean(1), times


def convergence() -> dict:
    """Largest gap of each solver's slot interior over the record, relative to the sound rise,
    against finite volumes at 0.0625 mm pixels and relative step 0.0005 (converged within
    0.3 %): {(case, solver, spacing mm): share}; finite elements with nodes at the pixels'
    corners, both with 48 layers or planes."""
    out = {}
    for name, plate in SECTIONS.items():
        ref, sound, times = section(plate, "fv", 0.0625, relative_step=0.0005)
        late = times > 0.02 * times[-1]
        for method in ("fv", "fe"):
            for pitch in (0.5, 0.25, 0.125):
                inner, _, _ = section(plate, method, pitch)
                out[name, method, pitch] = float(np.max(np.abs(inner - ref)[late] / sound[late]))
    return out


def speed() -> tuple[float, int, int]:
    """Seconds, nodes and elements of a 100 x 100 px at 0.2 mm, 1000-frame (260 Hz) FE run:
    UD-CFRP 3 mm with a 30 um resin insert and a flat-bottom hole."""
    plate = Plate(
        3.0,
        "cfrp-ud",
        defects=(
            Defect("insert", 1.0, (7.0, 8.0), (5.0, 3.0), "ellipse", material="resin",
                   thickness_mm=0.03),
            Defect("hole", 1.5, center_mm=(14.0, 13.0), size_mm=4.0),
        ),
    )  # fmt: skip
    camera = Camera(height=100, width=100, pixel_pitch_mm=0.2, frame_rate=260.0, n_frames=1000,
                    preflash_frames=0, ideal=True)  # fmt: skip
    spec = SimulationSpec("speed", plate, Flash(duration_s=0.005), Boundary(), camera,
                          SolverSettings(method="fe"))  # fmt: skip
    start = time.perf_counter()
    _, _, model = surface_rise(spec)
    return time.perf_counter() - start, model.mesh.p.shape[1], model.mesh.t.shape[1]


def main() -> None:
    for pitch in (0.5, 0.25):
        print(f"\n{pitch} mm pixels")
        print(f"{'case':42s} {'sound':>7s} {'defect':>7s} {'contrast':>8s} {'FV s':>6s} "
              f"{'FE s':>6s}")  # fmt: skip
        for name, plate in CASES.items():
            r = compare(plate, pitch_mm=pitch)
            cells = [f"{100 * r[k]:6.2f}%" if k in r else "      -" for k in ("sound", "defect")]
            contrast = f"{100 * r['contrast']:7.2f}%" if "contrast" in r else "       -"
            print(f"{name:42s} {cells[0]} {cells[1]} {contrast} {r['fv_s']:6.1f} {r['fe_s']:6.1f}")
    print("\nCFRP hole, gap at the centre against finite volumes at 0.125 mm pixels:")
    for (method, spacing), gap in refinement().items():
        print(f"  {method} {spacing:5.3f} mm {100 * gap:5.2f}%")
    if "--settings" in sys.argv[1:]:
        print("\naluminium hole, gap at the centre against the finite volumes of the table:")
        for (method, setting), gap in settings_study().items():
            print(f"  {method} {setting:22s} {100 * gap:5.2f}%")
    if "--section" in sys.argv[1:]:
        print("\ncross sections (a 5 mm slot across a 16 x 1 mm view), gap of the slot's interior")
        print("against converged finite volumes, at spacings of 0.5, 0.25 and 0.125 mm:")
        gaps = convergence()
        for name in SECTIONS:
            for method in ("fv", "fe"):
                cells = " ".join(f"{100 * gaps[name, method, p]:5.2f}%" for p in (0.5, 0.25, 0.125))
                print(f"  {name:38s} {method} {cells}")
    if "--fine" in sys.argv[1:]:
        print(
            "\nlargest gap over the defect's interior, finite-element nodes every 1, 1/2, 1/4 px:"
        )
        for name in ("air insert 0.1 mm at 0.5 mm, UD-CFRP", "hole aluminium 3 mm at 1 mm"):
            gaps = [compare(CASES[name], mesh_px)["defect"] for mesh_px in (1.0, 0.5, 0.25)]
            print(f"  {name:42s} " + " ".join(f"{100 * g:5.2f}%" for g in gaps))
    seconds, nodes, elements = speed()
    print(f"\n100 x 100 px, 1000 frames, FE: {seconds:.1f} s ({nodes} nodes, {elements} elements)")


if __name__ == "__main__":
    main()
