"""What the simulator knows about each specimen of a dataset: every defect's footprint and size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "defect_truth",
    "depth_truth",
]


def defect_truth(
    data_dir: Path, name: str, shape: tuple[int, int]
) -> tuple[list[np.ndarray], np.ndarray]:
    """Each defect's footprint and its equivalent-diameter / depth ratio, from the specimen's
    JSON (the spec rebuilt, so that overlapping defects stay separate).

    Parameters
    ----------
    data_dir : Path
        The dataset.
    name : str
        The specimen.
    shape : (int, int)
        Image (H, W) of its sequence.

    Returns
    -------
    footprints : list of (H, W) ndarray of bool
        One per defect.
    ratio : (n,) ndarray of float64
        Equivalent diameter / simulated depth of each defect.

    Raises
    ------
    ThermodefectError
        When the specimen's JSON is missing or unreadable.
    """
    from thermodefect.simulate import from_dict

    path = Path(data_dir) / f"{name}.json"
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ThermodefectError(
            "missing: the benchmark needs each specimen's JSON for its defects", path
        ) from None
    except (OSError, ValueError) as exc:
        raise ThermodefectError(f"cannot read the specimen's JSON ({exc})", path) from None
    spec = from_dict(doc, check=False)
    pitch = spec.camera.pixel_pitch_mm
    feet = [d.footprint(shape, pitch) for d in spec.plate.defects]
    truth = doc["ground_truth"]["defects"]
    diam = np.array([t["equivalent_diameter_mm"] for t in truth])
    depth = np.array([t["simulated_depth_mm"] for t in truth])
    return feet, diam / np.maximum(depth, 1e-9)


def depth_truth(data_dir: Path, name: str) -> tuple[np.ndarray, dict] | None:
    """Each defect's simulated depth and what a user would give ``detect`` for depths.

    Parameters
    ----------
    data_dir : Path
        The dataset.
    name : str
        The specimen (its JSON already read by :func:`defect_truth`).

    Returns
    -------
    depths : (n,) ndarray of float64
        mm, in the order of :func:`defect_truth`'s footprints.
    settings : dict
        ``diffusivity`` (m^2/s, through the thickness), ``spread`` (sqrt(a_lateral / a_z))
        and ``thickness_mm``.
    None
        When the JSON does not record the plate's material.
    """
    doc = json.loads((Path(data_dir) / f"{name}.json").read_text())
    material = doc["ground_truth"].get("plate_material")
    if material is None:
        return None
    rho_c = material["density"] * material["heat_capacity"]
    settings = {
        "diffusivity": material["k_z"] / rho_c,
        "spread": (material["k_x"] * material["k_y"]) ** 0.25 / material["k_z"] ** 0.5,
        "thickness_mm": doc["plate"]["thickness_mm"],
    }
    return np.array([t["simulated_depth_mm"] for t in doc["ground_truth"]["defects"]]), settings
