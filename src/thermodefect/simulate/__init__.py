"""Physics-based simulation of pulsed thermography with exact ground truth.

``run(spec)`` turns a :class:`~thermodefect.simulate.spec.SimulationSpec` into a recorded
Sequence (with its ground-truth mask) and a description of every defect; ``write_specimen``
stores both in the seed's layout; ``generate`` makes whole datasets from presets.
"""

from __future__ import annotations

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Meta, Sequence
from thermodefect.simulate.camera import Camera
from thermodefect.simulate.materials import LIBRARY, Material, material
from thermodefect.simulate.solver import Boundary, Flash, Grid, build_model, simulate_surface
from thermodefect.simulate.spec import SimulationSpec, SolverSettings, from_dict, read_spec
from thermodefect.simulate.specimen import Defect, Plate
from thermodefect.simulate.surface import Mark, Surface

__all__ = [
    "LIBRARY",
    "Boundary",
    "Camera",
    "Defect",
    "Flash",
    "Mark",
    "Material",
    "Plate",
    "SimulationSpec",
    "SolverSettings",
    "Surface",
    "from_dict",
    "material",
    "read_spec",
    "run",
    "surface_rise",
]


def surface_rise(spec: SimulationSpec, *, device: str = "cpu", progress=None):
    """Noise-free front-surface temperature rise at the camera's post-flash frame times.

    Parameters
    ----------
    spec : SimulationSpec
        The specimen, flash, boundary, camera, surface and solver settings; the surface's
        marks change the absorbed flash, its texture the in-plane conductivity.
    device : str
        Torch device of the solver (``"cpu"``, ``"cuda"``).
    progress : callable, optional
        Called as ``progress(done, total)`` after each output frame.

    Returns
    -------
    rise : (T_post, H, W) ndarray of float32
        Temperature rise in K (as absorbed; the camera applies the emissivity).
    times : (T_post,) ndarray of float64
        Seconds after the flash.
    model : Model or FeModel
        The discretised plate (:func:`thermodefect.simulate.solver.build_model`, or
        :func:`thermodefect.simulate.fe.build_fe_model` for ``solver.method = 'fe'``).

    Raises
    ------
    ThermodefectError
        For a ply texture's conductivity (``surface.texture_k``) given to the FE solver.
    """
    cam = spec.camera
    times = cam.times()
    post = times[times > 0]
    settings = spec.solver
    absorptivity = spec.surface.emissivity(cam.shape, cam.pixel_pitch_mm)
    conductivity = spec.surface.conductivity(cam.shape, cam.pixel_pitch_mm)
    if settings.method == "fe":
        if conductivity is not None:
            raise ThermodefectError(
                "the FE solver does not model a ply texture's conductivity (surface.texture_k)"
            )
        from thermodefect.simulate.fe import build_fe_model, fe_surface

        a_z = spec.plate.body_material().diffusivity("z")
        fe_model = build_fe_model(
            spec.plate,
            cam.shape,
            cam.pixel_pitch_mm,
            spec.boundary,
            spec.flash,
            nz=settings.nz,
            first_mm=0.25 * float(np.sqrt(a_z * post[0])) * 1e3,
            mesh_px=settings.mesh_px,
            jitter=settings.mesh_jitter,
            rng=np.random.default_rng([spec.seed, 1]),
            absorptivity=absorptivity,
        )
        rise = fe_surface(
            fe_model, spec.flash, post, relative_step=settings.relative_step, progress=progress
        )
        return rise, post, fe_model
    grid = Grid(cam.shape, cam.pixel_pitch_mm, settings.nz)
    model = build_model(spec.plate, grid, spec.boundary, conductivity=conductivity, device=device)
    rise = simulate_surface(
        model,
        spec.flash,
        post,
        growth=settings.growth,
        relative_step=settings.relative_step,
        absorptivity=absorptivity,
        progress=progress,
    )
    return rise, post, model


def run(spec: SimulationSpec, *, device: str = "cpu", progress=None) -> tuple[Sequence, dict]:
    """Simulate and record one specimen.

    Parameters
    ----------
    spec : SimulationSpec
        The specimen, flash, boundary, camera and solver settings.
    device : str
        Torch device of the solver (``"cpu"``, ``"cuda"``).
    progress : callable, optional
        Called as ``progress(done, total)`` after each output frame.

    Returns
    -------
    sequence : Sequence
        Camera frames (T, H, W) float32 in K, or in counts for a camera whose output is
        counts (first frame subtracted unless the camera says otherwise), times in s (flash
        at 0), the ground-truth mask and metadata.
    ground_truth : dict
        Every defect: kind, shape, centre and size in mm and pixels, equivalent diameter,
        requested and simulated depth (snapped to the layer grid), material; the mask's
        defect fraction.

    Raises
    ------
    ThermodefectError
        When the solver's temperatures are not finite (nothing is recorded).
    """
    rise, post, model = surface_rise(spec, device=device, progress=progress)
    if not np.isfinite(rise).all():
        raise ThermodefectError(f"specimen {spec.name!r}: the solver's temperatures are not "
                                "finite (NaN or inf); nothing recorded")  # fmt: skip
    cam = spec.camera
    frames = cam.record(
        rise,
        np.random.default_rng(spec.seed),
        emissivity=spec.surface.emissivity(cam.shape, cam.pixel_pitch_mm),
        reflection=spec.surface.reflection(post, cam.shape),
    )
    mask = spec.plate.ground_truth(cam.shape, cam.pixel_pitch_mm)
    sequence = Sequence(
        frames=frames,
        times=cam.times(),
        mask=mask,
        meta=Meta(
            source=None,
            frame_rate=cam.frame_rate,
            pixel_pitch_mm=cam.pixel_pitch_mm,
            units="counts" if cam.output == "counts" else "K",
            baseline="first" if cam.subtract_first_frame else "none",
            extra={"simulated": spec.name},
        ),
    )
    return sequence, _ground_truth(spec, model, mask)


def _ground_truth(spec: SimulationSpec, model, mask: np.ndarray) -> dict:
    cam = spec.camera
    pitch = cam.pixel_pitch_mm
    items = []
    for i, d in enumerate(spec.plate.defects):
        foot = d.footprint(cam.shape, pitch)
        rows, cols = np.nonzero(foot)
        item = {
            "index": i,
            "kind": d.kind,
            "shape": d.shape if d.kind != "mask" else "mask",
            "depth_mm": d.depth_mm,
            "simulated_depth_mm": round(float(model.depth_faces[i]), 6),
            "area_px": int(foot.sum()),
            "equivalent_diameter_mm": float(2 * np.sqrt(foot.sum() * pitch**2 / np.pi)),
            "center_px": [float(rows.mean()), float(cols.mean())] if rows.size else None,
            "material": None
            if d.removes_material
            else d.layer_material(spec.plate.body_material()).name,
        }
        if d.kind != "mask":
            size = d.size_mm if np.ndim(d.size_mm) == 0 else list(d.axes_mm)
            item.update(
                center_mm=list(d.center_mm), size_mm=size, size_px=float(np.max(d.size_mm)) / pitch
            )
        items.append(item)
    out = {
        "defects": items,
        "defect_fraction": float(mask.mean()),
        "plate_material": spec.plate.body_material().to_dict(),
        "solver": spec.solver.method,
    }
    if spec.solver.method == "fe":
        out["mesh"] = {"nodes": int(model.mesh.p.shape[1]), "elements": int(model.mesh.t.shape[1])}
    else:
        out["layer_mm"] = model.dz * 1e3
    return out
