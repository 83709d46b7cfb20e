"""The randomised generator: specimens spread over what inspections meet, in named families.

Every specimen is drawn from a base of moderate conditions (composite and polymer plates,
a good camera, near-even heating) and then one family pushes its own axes to the extremes:

- ``holes``: flat-bottom holes of every outline (circle, square, rectangle, ellipse, polygon);
- ``inserts``: thin inserts and delaminations of air, PTFE, resin and Kapton, 10-300 um;
- ``impact``: impact damage (stacked irregular delaminations growing with depth) and
  porosity patches;
- ``metal``: aluminium and steel plates 3-8 mm thick;
- ``thin``: composite plates 1-2 mm thick;
- ``camera``: heavy camera artefacts (NETD up to 100 mK, stripes, row and interlaced line
  noise, vignetting, bad-pixel clusters, motion, drift, 8-bit counts, raw counts without
  the lookup table) and a solver's mesh texture;
- ``heating``: strongly uneven heating (gradients up to x2, off-centre lamps, several
  lamps), hood reflections, emissivity marks and text, plate edges in view;
- ``fe``: the finite-element solver's output;
- ``sound``: plates without defects, drawn with the settings of any other family.

In every family but ``sound`` one specimen in four is sound too, so a dataset of ``wide``
holds sound plates of every kind. Specimen ``i`` of preset ``wide`` belongs to family
``FAMILIES[i % 9]``; ``wide-FAMILY`` draws that family only. Every draw is a field of the
specimen's spec (written to its JSON), so any specimen can be reproduced, varied, or set by
hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.simulate.camera import Camera
from thermodefect.simulate.materials import material
from thermodefect.simulate.solver import Boundary, Flash
from thermodefect.simulate.spec import SimulationSpec, SolverSettings
from thermodefect.simulate.specimen import Defect, Plate, check_coexistence
from thermodefect.simulate.surface import Mark, Surface

__all__ = [
    "COMPOSITES",
    "FAMILIES",
    "METALS",
    "WIDE_PRESETS",
    "family_of",
    "specimen_index",
    "wide",
]

FAMILIES = ("holes", "inserts", "impact", "metal", "thin", "camera", "heating", "fe", "sound")
COMPOSITES = ("cfrp", "cfrp-ud", "gfrp", "pvc", "pmma")
METALS = ("aluminium", "steel")
INSERT_MATERIALS = ("air", "ptfe", "resin", "kapton")
SOUND_SHARE = 4  # in the defect families, every SOUND_SHARE-th specimen is sound


def family_of(index: int) -> str:
    """The family of specimen ``index`` of the ``wide`` preset.

    Parameters
    ----------
    index : int
        Specimen index.

    Returns
    -------
    str
    """
    return FAMILIES[index % len(FAMILIES)]


def specimen_index(name: str) -> int:
    """The index a dataset gives a specimen: the digits at the end of its name (0 if none).

    Parameters
    ----------
    name : str
        A specimen name such as ``wide_017``.

    Returns
    -------
    int
    """
    digits = "".join(c for c in name[-4:] if c.isdigit())
    return int(digits or 0)


def _round(value, digits=3):
    return float(np.round(value, digits))


def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _plate_material(rng, family: str):
    """A library name, or a unidirectional CFRP of random lateral anisotropy (3:1 to 20:1)."""
    if family == "metal":
        return str(rng.choice(METALS))
    name = str(rng.choice(COMPOSITES))
    if name != "cfrp-ud":
        return name
    k_z = _round(rng.uniform(0.5, 0.75))
    k_y = _round(k_z * rng.uniform(0.8, 1.0))
    return {
        "name": "cfrp-ud",
        "k_x": _round(k_y * rng.uniform(3, 20)),
        "k_y": k_y,
        "k_z": k_z,
        "density": 1560.0,
        "heat_capacity": 1000.0,
        "source": "wide generator: UD CFRP, fibres along x",
    }


def _thickness(rng, family: str) -> float:
    if family == "metal":
        return _round(rng.uniform(3, 8), 2)
    if family == "thin":
        return _round(rng.uniform(1, 2), 2)
    return _round(rng.uniform(1.5, 6), 2)


def _outline(rng, size: float) -> dict:
    """Shape, size and rotation of a defect outline about ``size`` mm across."""
    shape = str(rng.choice(["circle", "square", "rectangle", "ellipse", "polygon"]))
    out: dict = {"shape": shape, "angle_deg": _round(rng.uniform(0, 180), 1), "size_mm": size}
    if shape in ("rectangle", "ellipse"):
        out["size_mm"] = (_round(size, 2), _round(size * rng.uniform(0.4, 1.0), 2))
    elif shape == "polygon":
        out["points_mm"] = _polygon(rng, size / 2, int(rng.integers(5, 10)), 1.0, 0.25)
    return out


def _reach(outline: dict) -> float:
    """Distance from the centre to the farthest point of an outline, mm."""
    if outline["shape"] == "polygon":
        return float(np.max(np.hypot(*np.array(outline["points_mm"]).T)))
    axes = np.broadcast_to(outline["size_mm"], (2,))
    if outline["shape"] == "circle":
        return float(axes[0] / 2)
    if outline["shape"] == "square":
        return float(axes[0] / np.sqrt(2))
    return float(np.hypot(*axes) / 2)


def _polygon(rng, radius: float, n: int, elongation: float, roughness: float) -> tuple:
    """A star-shaped polygon of ``n`` vertices around the origin, ``radius`` mm on average."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = radius * (1 + roughness * rng.uniform(-1, 1, n))
    return tuple(
        (_round(ri * np.cos(a) * elongation, 3), _round(ri * np.sin(a), 3))
        for ri, a in zip(r, angles, strict=True)
    )


def _place(rng, placed: list, radius: float, view) -> tuple[float, float] | None:
    """A centre for a defect of ``radius`` mm inside the view, clear of those placed."""
    margin = radius + 0.5
    if 2 * margin >= min(view):
        return None
    for _ in range(60):
        c = (rng.uniform(margin, view[0] - margin), rng.uniform(margin, view[1] - margin))
        if all(np.hypot(c[0] - x, c[1] - y) > radius + r + 1.0 for x, y, r in placed):
            placed.append((c[0], c[1], radius))
            return _round(c[0], 2), _round(c[1], 2)
    return None


def _simple_defects(rng, kinds, thickness: float, view, pitch: float, n: int) -> list[Defect]:
    """``n`` holes and inserts of random outline, size and depth, apart from each other."""
    placed: list = []
    out = []
    for _ in range(n):
        size = float(rng.uniform(max(2.0, 4 * pitch), min(12.0, 0.35 * min(view))))
        kind = str(rng.choice(kinds))
        depth = thickness * rng.uniform(0.1, 0.6)
        layer = _round(_log_uniform(rng, 0.01, 0.3), 3)
        if kind == "insert":
            depth = min(depth, thickness - layer - 0.1)
        outline = _outline(rng, _round(size, 2))
        centre = _place(rng, placed, _reach(outline), view)
        if centre is None:
            continue
        out.append(
            Defect(
                kind=kind,
                depth_mm=_round(depth),
                center_mm=centre,
                material=str(rng.choice(INSERT_MATERIALS)) if kind == "insert" else "air",
                thickness_mm=layer,
                **outline,
            )
        )
    return out


def _impact(rng, thickness: float, view, pitch: float) -> list[Defect]:
    """One impact: 3-6 stacked, irregular air delaminations growing and turning with depth,
    and 0-2 porosity patches elsewhere."""
    placed: list = []
    r_top = float(rng.uniform(max(1.2, 2.5 * pitch), 3.0))
    fits = (min(view) / 2 - 0.6) / 1.6  # the widest stack _place can fit in the view
    r_bottom = min(r_top * rng.uniform(1.8, 3.0), 0.3 * min(view), fits)
    r_top = min(r_top, r_bottom / 1.5)
    centre = _place(rng, placed, r_bottom * 1.6, view)
    out = []
    if centre is not None:
        n = int(rng.integers(3, 7))
        depths = np.linspace(rng.uniform(0.12, 0.3), rng.uniform(0.55, 0.75), n) * thickness
        ply = rng.uniform(0, 180)
        for k, (depth, radius) in enumerate(
            zip(depths, np.linspace(r_top, r_bottom, n), strict=True)
        ):
            out.append(
                Defect(
                    "insert",
                    depth_mm=_round(depth),
                    center_mm=(
                        _round(centre[0] + rng.uniform(-0.3, 0.3), 2),
                        _round(centre[1] + rng.uniform(-0.3, 0.3), 2),
                    ),
                    shape="polygon",
                    points_mm=_polygon(rng, radius, int(rng.integers(8, 14)), 1.5, 0.2),
                    angle_deg=_round((ply + 45 * k) % 180, 1),
                    material="air",
                    thickness_mm=_round(rng.uniform(0.01, 0.04), 3),
                )
            )
    for _ in range(int(rng.integers(0, 3))):
        axes = (_round(rng.uniform(3, 8), 2), _round(rng.uniform(2, 5), 2))
        spot = _place(rng, placed, max(axes) / 2 * 1.2, view)
        if spot is None:
            continue
        depth = thickness * rng.uniform(0.15, 0.4)
        out.append(
            Defect(
                "porosity",
                depth_mm=_round(depth),
                center_mm=spot,
                size_mm=axes,
                shape="ellipse",
                angle_deg=_round(rng.uniform(0, 180), 1),
                thickness_mm=_round(thickness * rng.uniform(0.2, 0.35)),
                porosity=_round(rng.uniform(0.05, 0.3), 2),
            )
        )
    return out


def _defects(rng, family: str, thickness: float, view, pitch: float) -> list[Defect]:
    n = int(rng.integers(2, 6))
    if family in ("holes", "metal"):
        return _simple_defects(rng, ["hole"], thickness, view, pitch, n)
    if family == "inserts":
        return _simple_defects(rng, ["insert"], thickness, view, pitch, n)
    if family == "impact":
        return _impact(rng, thickness, view, pitch)
    return _simple_defects(rng, ["hole", "insert"], thickness, view, pitch, n)


def _recording(rng, family: str, a_z: float, thickness: float) -> dict:
    """Frame rate, frames, pre-flash frames: 0.2-3 L^2/a at 10-500 Hz, 50-2000 frames."""
    diffusion = (thickness * 1e-3) ** 2 / a_z
    duration = _log_uniform(rng, 0.2, 3.0) * diffusion
    most = 500 if family == "fe" else 2000
    rate = float(np.clip(_log_uniform(rng, 50, most) / duration, 10, 500))
    frames = int(np.clip(round(duration * rate), 50, most))
    rate = float(np.clip(frames / duration, 10, 500))
    return {
        "frame_rate": _round(rate, 2),
        "n_frames": frames,
        "preflash_frames": int(rng.integers(0, min(31, frames // 4))),
    }


def _counts(rng, family: str, peak_k: float) -> dict:
    """Bit depth, lookup table or raw counts, and a count step that keeps the peak on scale."""
    bits = int(rng.choice([8, 14, 16], p=[0.5, 0.3, 0.2] if family == "camera" else [0, 0.5, 0.5]))
    floor = float(rng.uniform(1, 5) if bits == 8 else rng.uniform(2, 20))
    span = (floor + 1.3 * peak_k) * rng.uniform(1.0, 1.5)
    raw = rng.random() < (0.5 if family == "camera" else 0.15)
    return {
        "bits": bits,
        "floor_k": _round(floor, 2),
        "count_k": float(f"{span / (2**bits - 1):.3g}"),
        "response": str(rng.choice(["linear", "planck"])),
        "band_um": float(rng.choice([4.0, 10.0])),
        "output": "counts" if raw else "kelvin",
    }


def _camera_effects(rng, family: str) -> dict:
    if family == "camera":
        return {
            "netd_k": _round(rng.uniform(0.03, 0.1)),
            "blur_px": _round(rng.uniform(0.3, 1.5), 2),
            "offset_k": _round(rng.uniform(0.05, 0.3)),
            "gain": _round(rng.uniform(0.01, 0.05)),
            "stripes_k": _round(rng.uniform(0.0, 0.1)),
            "row_noise_k": _round(rng.uniform(0.0, 0.05)),
            "interlace_k": _round(rng.uniform(0.0, 0.05)),
            "vignetting": _round(rng.uniform(0.0, 0.4), 2),
            "dead_pixels": int(rng.integers(0, 20)),
            "hot_pixels": int(rng.integers(0, 20)),
            "bad_clusters": int(rng.integers(0, 8)),
            "motion_px": _round(rng.uniform(0.0, 0.3), 2),
            "drift_k": _round(rng.uniform(-0.5, 0.5)),
            "mesh_k": _round(rng.uniform(0.0, 0.05)),
            "emissivity_variation": _round(rng.uniform(0.0, 0.03)),
        }
    return {
        "netd_k": _round(rng.uniform(0.01, 0.04)),
        "blur_px": _round(rng.uniform(0.0, 0.8), 2),
        "offset_k": _round(rng.uniform(0.0, 0.05)),
        "gain": _round(rng.uniform(0.0, 0.01)),
        "dead_pixels": int(rng.integers(0, 3)),
        "hot_pixels": int(rng.integers(0, 3)),
        "drift_k": _round(rng.uniform(-0.05, 0.05)),
        "mesh_k": _round(rng.uniform(0.0, 0.01)) if rng.random() < 0.2 else 0.0,
        "emissivity_variation": _round(rng.uniform(0.0, 0.01)),
    }


def _pulse(rng) -> dict:
    out: dict = {"duration_s": _round(rng.uniform(0.002, 0.02), 4)}
    if rng.random() < 0.4:  # a xenon flash: fast rise, long tail
        tail = rng.uniform(2, 6)
        shape = np.exp(-np.linspace(0, tail, 12))
        shape[0] = rng.uniform(0.1, 0.5)
        out["pulse"] = tuple(_round(v) for v in shape)
    return out


def _flash(rng, family: str, energy: float) -> dict:
    out: dict = {"energy_j_m2": _round(energy, 1), **_pulse(rng)}
    strong = family == "heating"
    profile = str(
        rng.choice(["gradient", "gaussian", "lamps"])
        if strong
        else rng.choice(["uniform", "gaussian", "gradient"], p=[0.5, 0.25, 0.25])
    )
    out["profile"] = profile
    out["nonuniformity"] = _round(rng.uniform(0.2, 0.5) if strong else rng.uniform(0.0, 0.2), 2)
    if profile == "gaussian":
        spread = 0.4 if strong else 0.15
        out["center"] = tuple(_round(0.5 + rng.uniform(-spread, spread), 2) for _ in range(2))
    elif profile == "gradient":
        out["angle_deg"] = _round(rng.uniform(0, 360), 1)
    elif profile == "lamps":
        out["lamps"] = tuple(
            (_round(rng.uniform(-0.2, 1.2), 2), _round(rng.uniform(-0.2, 1.2), 2))
            for _ in range(int(rng.integers(2, 5)))
        )
    return out


def _surface(rng, family: str, view, composite: bool) -> Surface:
    texture = {}
    if composite and rng.random() < 0.5:
        texture = {
            "texture": _round(rng.uniform(0.005, 0.03)),
            "texture_k": _round(rng.uniform(0.0, 0.3), 2) if family != "fe" else 0.0,
            "texture_kind": str(rng.choice(["weave", "fibres"])),
            "texture_period_mm": _round(rng.uniform(1.0, 5.0), 2),
            "texture_angle_deg": _round(rng.uniform(0, 180), 1),
        }
    if family != "heating":
        return Surface(**texture)
    marks = []
    for _ in range(int(rng.integers(0, 4))):
        centre = (_round(rng.uniform(0, view[0]), 2), _round(rng.uniform(0, view[1]), 2))
        emissivity = _round(rng.uniform(0.85, 1.15), 3)
        if rng.random() < 0.5:  # a paint mark
            marks.append(
                Mark(
                    centre,
                    (_round(rng.uniform(1, 6), 2), _round(rng.uniform(1, 6), 2)),
                    emissivity,
                    str(rng.choice(["rectangle", "ellipse"])),
                    _round(rng.uniform(0, 180), 1),
                )
            )
            continue
        stroke = rng.uniform(0.3, 0.8)  # a line of text: short strokes in a row
        for k in range(int(rng.integers(3, 8))):
            marks.append(
                Mark(
                    (_round(centre[0] + 1.6 * k * stroke * 2, 2), centre[1]),
                    (_round(stroke, 2), _round(stroke * rng.uniform(3, 5), 2)),
                    emissivity,
                    "rectangle",
                    _round(rng.uniform(-20, 20), 1),
                )
            )
    reflection = {}
    if rng.random() < 0.6:
        reflection = {
            "reflection_k": _round(rng.uniform(0.05, 0.5)),
            "reflection_center": (
                _round(rng.uniform(0.1, 0.9), 2),
                _round(rng.uniform(0.1, 0.9), 2),
            ),
            "reflection_width": _round(rng.uniform(0.1, 0.3), 2),
            "reflection_fade_s": _round(_log_uniform(rng, 0.05, 2.0), 3),
        }
    return Surface(marks=tuple(marks), **texture, **reflection)


def wide(rng: np.random.Generator, name: str, family: str | None = None) -> SimulationSpec:
    """One specimen of the randomised generator (see the module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the specimen.
    name : str
        Its name; its last digits are the specimen's index.
    family : str, optional
        One of :data:`FAMILIES`; default by the index (:func:`family_of`).

    Returns
    -------
    SimulationSpec

    Raises
    ------
    ThermodefectError
        For an unknown family.
    """
    index = specimen_index(name)
    family = family or family_of(index)
    if family not in FAMILIES:
        raise ThermodefectError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    sound = family == "sound" or (index // len(FAMILIES)) % SOUND_SHARE == SOUND_SHARE - 1
    style = str(rng.choice(FAMILIES[:-1])) if family == "sound" else family
    mat = _plate_material(rng, style)
    body = material(mat)
    thickness = _thickness(rng, style)
    small = style == "fe"
    height = int(rng.choice([48, 64, 80] if small else [64, 80, 96, 112]))
    width = int(rng.choice([48, 64, 80, 96] if small else [64, 80, 96, 112, 128]))
    pitch = _round(rng.uniform(0.2, 0.6), 2)
    view = (width * pitch, height * pitch)
    in_view = style == "heating" and rng.random() < 0.5
    size = (_round(view[0] - rng.uniform(1, 3), 2), _round(view[1] - rng.uniform(1, 3), 2))
    defect_view = (size[0] - 2, size[1] - 2) if in_view else view
    defects = [] if sound else _defects(rng, style, thickness, defect_view, pitch)
    if in_view:  # defects were placed in the plate's frame: shift into the view's
        dx, dy = (view[0] - defect_view[0]) / 2, (view[1] - defect_view[1]) / 2
        defects = [
            replace(d, center_mm=(_round(d.center_mm[0] + dx, 2), _round(d.center_mm[1] + dy, 2)))
            for d in defects
        ]
    plate = Plate(thickness, mat, size_mm=size if in_view else None, defects=tuple(defects))
    energy = float(rng.uniform(3000, 9000))
    a_z = body.diffusivity("z")
    recording = _recording(rng, style, a_z, thickness)
    first = 1 / recording["frame_rate"]
    peak = energy / (body.effusivity * np.sqrt(np.pi * first))
    h = float(rng.uniform(3, 15))
    camera = Camera(
        height=height,
        width=width,
        pixel_pitch_mm=pitch,
        **recording,
        **_camera_effects(rng, style),
        **_counts(rng, style, min(peak, 3 * energy / (body.rho_c * thickness * 1e-3))),
    )
    flash = Flash(**_flash(rng, style, energy))
    h_back = _round(h * rng.uniform(0.5, 1.5), 2)
    edges: tuple[float, float, float, float] | None = None
    if in_view:
        left, right, top, bottom = (_round(rng.uniform(3, 30), 1) for _ in range(4))
        edges = (left, right, top, bottom)
    spec = SimulationSpec(
        name=name,
        plate=plate,
        flash=flash,
        boundary=Boundary(h_front=_round(h, 2), h_back=h_back, h_edges=edges),
        camera=camera,
        surface=_surface(rng, style, view, mat not in METALS),
        solver=SolverSettings(nz=16, method="fe", mesh_px=2.0)
        if style == "fe"
        else SolverSettings(nz=20),
        seed=int(rng.integers(2**31)),
        family=family,
    )
    check_coexistence(plate, camera.shape, pitch)
    return spec


#: preset name -> preset(rng, name), for ``wide`` and each ``wide-FAMILY``.
WIDE_PRESETS: dict[str, Callable[[np.random.Generator, str], SimulationSpec]] = {
    "wide": wide,
    **{f"wide-{f}": partial(wide, family=f) for f in FAMILIES},
}
