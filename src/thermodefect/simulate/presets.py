"""Dataset presets: random but reproducible specimen descriptions.

Each preset is a function ``(rng, name) -> SimulationSpec``. Recording times follow the
plate's diffusion time L^2 / a so that deep defects have time to show; sizes are chosen so
the standard benchmark (``mixed``, 60 specimens) simulates in a few minutes on 2 CPU cores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from importlib.resources import files
from typing import Any

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.registry import Registry
from thermodefect.simulate.camera import Camera
from thermodefect.simulate.materials import material
from thermodefect.simulate.solver import Boundary, Flash
from thermodefect.simulate.spec import SimulationSpec, SolverSettings
from thermodefect.simulate.specimen import Defect, Plate, check_coexistence
from thermodefect.simulate.wide import FAMILIES, WIDE_PRESETS, specimen_index, wide

__all__ = [
    "CHECK_SETS",
    "FE_CHECK_CAMERA",
    "FE_CHECK_SOUND",
    "MIXED_MATERIALS",
    "PRESETS",
    "SEED_LAYOUTS",
    "cfrp_delam",
    "cfrp_fbh",
    "fe_check",
    "mixed",
    "seed_layouts",
    "tiny",
]

SEED_LAYOUTS = sorted(
    p.name[: -len("_label.png")]
    for p in files("thermodefect.data.seed_labels").iterdir()
    if p.name.endswith("_label.png")
)


def _camera(
    rng, plate_material: str, thickness_mm: float, shape, *, n_frames=160, noisy=False, **kw
):
    """A camera recording about 1.2 L^2/a after the flash, with realistic noise."""
    a = material(plate_material).diffusivity("z")
    duration = 1.2 * (thickness_mm * 1e-3) ** 2 / a
    frame_rate = float(np.round((n_frames - 5) / duration, 3))
    netd = float(rng.uniform(0.02, 0.08)) if noisy else 0.025
    return Camera(
        height=shape[0],
        width=shape[1],
        n_frames=n_frames,
        preflash_frames=5,
        frame_rate=frame_rate,
        netd_k=netd,
        **kw,
    )


def _flash(rng, uneven: bool) -> Flash:
    if not uneven:
        return Flash(energy_j_m2=float(rng.uniform(4000, 8000)))
    profile = str(rng.choice(["gaussian", "gradient"]))
    return Flash(
        energy_j_m2=float(rng.uniform(4000, 8000)),
        profile=profile,
        nonuniformity=float(rng.uniform(0.15, 0.45)),
        center=(float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7))),
        angle_deg=float(rng.uniform(0, 360)),
    )


def _grid_holes(rng, shape, pitch, thickness, rows, cols, kind="hole"):
    h, w = shape[0] * pitch, shape[1] * pitch
    diameters = np.linspace(0.06, 0.16, cols) * min(h, w) * rng.uniform(0.9, 1.1)
    depths = np.linspace(0.12, 0.55, rows) * thickness
    out = []
    for r in range(rows):
        for c in range(cols):
            centre = (
                (c + 0.5) * w / cols + rng.uniform(-1, 1),
                (r + 0.5) * h / rows + rng.uniform(-1, 1),
            )
            d = Defect(
                kind=kind,
                depth_mm=float(np.round(depths[r] * rng.uniform(0.95, 1.05), 3)),
                center_mm=(float(centre[0]), float(centre[1])),
                size_mm=float(np.round(diameters[c], 2)),
                shape="circle" if kind == "hole" else str(rng.choice(["circle", "square"])),
                material=str(rng.choice(["air", "ptfe"])) if kind == "insert" else "air",
                thickness_mm=float(np.round(rng.uniform(0.05, 0.25), 3))
                if kind == "insert"
                else 0.1,
            )
            out.append(d)
    return tuple(out)


def tiny(rng, name: str) -> SimulationSpec:
    """48 x 64 pixels, 40 frames, two or three holes: for tests and the README demo.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the specimen.
    name : str
        Its name.

    Returns
    -------
    SimulationSpec
    """
    thickness = 2.0
    shape, pitch = (48, 64), 0.5
    n = int(rng.integers(2, 4))
    defects = tuple(
        Defect(
            "hole",
            depth_mm=float(np.round(rng.uniform(0.3, 0.9), 2)),
            center_mm=(float(8 + 11 * i + rng.uniform(0, 3)), float(rng.uniform(7, 17))),
            size_mm=float(np.round(rng.uniform(3.5, 6.0), 1)),
        )
        for i in range(n)
    )
    return SimulationSpec(
        name=name,
        plate=Plate(thickness, "cfrp", defects=defects),
        flash=_flash(rng, bool(rng.random() < 0.5)),
        camera=_camera(rng, "cfrp", thickness, shape, n_frames=40, pixel_pitch_mm=pitch),
        solver=SolverSettings(nz=12),
        seed=int(rng.integers(2**31)),
    )


def _cfrp_grid(rng, name: str, kind: str, max_cols: int) -> SimulationSpec:
    thickness = float(rng.choice([2.0, 3.0, 4.0]))
    shape, pitch = (96, 160), 0.5
    rows, cols = int(rng.integers(2, 4)), int(rng.integers(3, max_cols + 1))
    defects = _grid_holes(rng, shape, pitch, thickness, rows, cols, kind=kind)
    return SimulationSpec(
        name=name,
        plate=Plate(thickness, "cfrp", defects=defects),
        flash=_flash(rng, bool(rng.random() < 0.5)),
        camera=_camera(rng, "cfrp", thickness, shape, pixel_pitch_mm=pitch),
        solver=SolverSettings(nz=20),
        seed=int(rng.integers(2**31)),
    )


def cfrp_fbh(rng, name: str) -> SimulationSpec:
    """CFRP plates with grids of flat-bottom holes, diameter across, depth down (like N*).

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the specimen.
    name : str
        Its name.

    Returns
    -------
    SimulationSpec
    """
    return _cfrp_grid(rng, name, "hole", 5)


def cfrp_delam(rng, name: str) -> SimulationSpec:
    """CFRP plates with air delaminations and PTFE inserts at several depths.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the specimen.
    name : str
        Its name.

    Returns
    -------
    SimulationSpec
    """
    return _cfrp_grid(rng, name, "insert", 4)


def seed_layouts(rng, name: str) -> SimulationSpec:
    """Defect layouts read from the seed's label PNGs, at a random depth each.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the specimen.
    name : str
        Its name.

    Returns
    -------
    SimulationSpec
    """
    from PIL import Image

    layout = str(rng.choice(SEED_LAYOUTS))
    path = files("thermodefect.data.seed_labels") / f"{layout}_label.png"
    with Image.open(str(path)) as im:
        aspect = im.width / im.height
    height = 96
    shape = (height, round(height * aspect))
    thickness = float(rng.choice([2.0, 3.0, 4.0]))
    defects = (
        Defect(
            "mask",
            depth_mm=float(np.round(rng.uniform(0.15, 0.5) * thickness, 3)),
            mask=f"seed:{layout}",
            as_hole=bool(rng.random() < 0.5),
            material="air",
            thickness_mm=0.15,
        ),
    )
    return SimulationSpec(
        name=name,
        plate=Plate(thickness, "cfrp", defects=defects),
        flash=_flash(rng, bool(rng.random() < 0.5)),
        camera=_camera(rng, "cfrp", thickness, shape, pixel_pitch_mm=0.5),
        solver=SolverSettings(nz=20),
        seed=int(rng.integers(2**31)),
    )


MIXED_MATERIALS = {
    "cfrp": (2.0, 4.0),
    "gfrp": (2.0, 4.0),
    "aluminium": (2.0, 5.0),
    "steel": (2.0, 4.0),
    "pvc": (2.0, 4.0),
}


def _coexisting(drawn: list[Defect], plate: Plate, shape, pitch_mm: float) -> tuple[Defect, ...]:
    """The drawn defects in order, each dropped that cannot exist beside those kept before it
    (a layer in a hole's removed material, two layers in one volume:
    :func:`~thermodefect.simulate.specimen.check_coexistence`); the random draws are
    unchanged, so only specimens that held such a pair change."""
    kept: list[Defect] = []
    for d in drawn:
        try:
            check_coexistence(replace(plate, defects=(*kept, d)), shape, pitch_mm)
        except ThermodefectError:
            continue
        kept.append(d)
    return tuple(kept)


def mixed(rng, name: str) -> SimulationSpec:
    """Materials, heating, noise and defect kinds at random; one plate in six is sound.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the specimen.
    name : str
        Its name.

    Returns
    -------
    SimulationSpec
    """
    mat = str(rng.choice(list(MIXED_MATERIALS)))
    lo, hi = MIXED_MATERIALS[mat]
    thickness = float(np.round(rng.uniform(lo, hi), 1))
    shape, pitch = (96, 128), 0.5
    defects: tuple[Defect, ...] = ()
    if rng.random() >= 1 / 6:
        n = int(rng.integers(2, 7))
        h, w = shape[0] * pitch, shape[1] * pitch
        items = []
        for _ in range(n):
            kind = str(rng.choice(["hole", "hole", "insert"]))
            size = float(np.round(rng.uniform(3.0, 12.0), 1))
            centre = (float(rng.uniform(size, w - size)), float(rng.uniform(size, h - size)))
            items.append(
                Defect(
                    kind=kind,
                    depth_mm=float(np.round(rng.uniform(0.1, 0.6) * thickness, 3)),
                    center_mm=centre,
                    size_mm=size
                    if rng.random() < 0.7
                    else (size, float(np.round(size * rng.uniform(0.5, 1.5), 1))),
                    shape=str(rng.choice(["circle", "circle", "square", "ellipse"])),
                    angle_deg=float(rng.uniform(0, 180)),
                    material=str(rng.choice(["air", "ptfe"])),
                    thickness_mm=float(np.round(rng.uniform(0.05, 0.3), 3)),
                )
            )
        defects = _coexisting(
            [
                d
                if d.shape == "ellipse" or np.ndim(d.size_mm) == 0
                else Defect(**{**d.__dict__, "size_mm": d.axes_mm[0]})
                for d in items
            ],
            Plate(thickness, mat),
            shape,
            pitch,
        )
    return SimulationSpec(
        name=name,
        plate=Plate(thickness, mat, defects=defects),
        flash=_flash(rng, bool(rng.random() < 0.6)),
        boundary=Boundary(h_front=float(rng.uniform(5, 15)), h_back=float(rng.uniform(5, 15))),
        camera=_camera(
            rng,
            mat,
            thickness,
            shape,
            noisy=True,
            pixel_pitch_mm=pitch,
            blur_px=float(rng.uniform(0.3, 1.2)),
        ),
        solver=SolverSettings(nz=20),
        seed=int(rng.integers(2**31)),
    )


#: Presets that make check sets: every specimen goes to the test split.
CHECK_SETS = ("fe-check",)
FE_CHECK_SOUND = (1, 4, 6)
FE_CHECK_CAMERA: dict[str, Any] = {
    "blur_px": 0.0,
    "netd_k": 0.0,
    "offset_k": 0.0,
    "gain": 0.0,
    "dead_pixels": 0,
    "hot_pixels": 0,
    "emissivity_variation": 0.0,
    "drift_k": 0.0,
    "count_k": 0.001,
}


def fe_check(rng, name: str) -> SimulationSpec:
    """The independent check set: finite elements only, shaped like another group's FE data.

    Unidirectional or quasi-isotropic CFRP 1.3-4.6 mm thick, 80 x 96 pixels of 0.25 mm (a
    size no training preset uses), 300-500 frames at 30-260 Hz over 0.4-1.5 L^2/a, one or
    two pre-flash frames, a 3-8 ms flash, thin resin, Kapton or air inserts (30-100 um) and
    flat-bottom holes as ellipses and rotated rectangles at 0.25-0.6 of the thickness, heat
    lost at the plate's edges (the plate ends 1 mm inside the view), no noise but 1 mK
    quantisation. Specimens whose index leaves 1, 4 or 6 modulo 8 are sound.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the specimen.
    name : str
        Its name; its last digits are the specimen's index.

    Returns
    -------
    SimulationSpec
    """
    index = specimen_index(name)
    mat = str(rng.choice(["cfrp-ud", "cfrp"]))
    thickness = float(np.round(rng.uniform(1.3, 4.6), 2))
    shape, pitch = (80, 96), 0.25
    view = (shape[1] * pitch, shape[0] * pitch)
    size = (view[0] - 2.0, view[1] - 2.0)
    defects: list[Defect] = []
    if index % 8 not in FE_CHECK_SOUND:
        for k in range(int(rng.integers(2, 4))):
            axes = (
                float(np.round(rng.uniform(2.5, 6.0), 2)),
                float(np.round(rng.uniform(2.0, 4.5), 2)),
            )
            hole = rng.random() < 0.3
            defects.append(
                Defect(
                    "hole" if hole else "insert",
                    depth_mm=float(np.round(rng.uniform(0.25, 0.6) * thickness, 3)),
                    center_mm=(
                        float(5 + 7 * k + rng.uniform(-1, 1)),
                        float(rng.uniform(7, view[1] - 7)),
                    ),
                    size_mm=axes,
                    shape="ellipse",
                    angle_deg=float(np.round(rng.uniform(0, 180), 1)),
                    material=str(rng.choice(["resin", "kapton", "air"])),
                    thickness_mm=float(np.round(rng.uniform(0.03, 0.1), 3)),
                )
            )
    a = material(mat).diffusivity("z")
    duration = float(rng.uniform(0.4, 1.5)) * (thickness * 1e-3) ** 2 / a
    n_frames = int(rng.integers(300, 501))
    rate = float(np.round(np.clip(n_frames / duration, 30, 260), 2))
    edges = tuple(float(np.round(rng.uniform(5, 30), 1)) for _ in range(4))
    return SimulationSpec(
        name=name,
        plate=Plate(thickness, mat, size_mm=size, defects=tuple(defects)),
        flash=Flash(
            energy_j_m2=float(rng.uniform(3000, 8000)),
            duration_s=float(np.round(rng.uniform(0.003, 0.008), 4)),
        ),
        boundary=Boundary(h_front=10.0, h_back=10.0, h_edges=edges),  # type: ignore[arg-type]
        camera=Camera(
            height=shape[0],
            width=shape[1],
            pixel_pitch_mm=pitch,
            frame_rate=rate,
            n_frames=n_frames,
            preflash_frames=int(rng.integers(1, 3)),
            **FE_CHECK_CAMERA,
        ),
        solver=SolverSettings(nz=16, method="fe", mesh_px=2.0, mesh_jitter=0.25),
        seed=int(rng.integers(2**31)),
    )


#: name -> preset(rng, name) -> SimulationSpec.
PRESETS: Registry[Callable[[np.random.Generator, str], SimulationSpec]] = Registry("preset")
PRESETS.add("tiny", tiny, summary="48 x 64 px, 40 frames, 2-3 holes (tests)")
PRESETS.add("cfrp-fbh", cfrp_fbh, summary="CFRP, grids of flat-bottom holes")
PRESETS.add("cfrp-delam", cfrp_delam, summary="CFRP, air delaminations and PTFE inserts")
PRESETS.add("seed-layouts", seed_layouts, summary="the seed's label layouts at random depths")
PRESETS.add("fe-check", fe_check, summary="the independent check set: FE solver only, 3 of 8 sound")
PRESETS.add("mixed", mixed, summary="the standard benchmark: materials, heating, noise, kinds")
PRESETS.add("wide", wide, summary="the randomised generator: all nine families in turn")
for _family in FAMILIES:
    PRESETS.add(f"wide-{_family}", WIDE_PRESETS[f"wide-{_family}"], summary=f"wide, {_family} only")
