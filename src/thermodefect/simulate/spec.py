"""The simulation description: one JSON/YAML schema for input specs and for what the
simulator writes beside every specimen, so any specimen can be reproduced or varied.

Top level: ``name``, ``seed``, ``family``, ``plate``, ``defects`` (a list), ``flash``,
``boundary``, ``camera``, ``surface``, ``solver``; a ``ground_truth`` section (written by the
simulator) is ignored on input. Every section's fields are those of its dataclass; see
``docs/simulator.md``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

from thermodefect.errors import ThermodefectError
from thermodefect.simulate.camera import Camera
from thermodefect.simulate.solver import Boundary, Flash
from thermodefect.simulate.specimen import SEED_PREFIX, Defect, Plate, check_coexistence
from thermodefect.simulate.surface import Mark, Surface

__all__ = [
    "IGNORED_TOP",
    "SOLVERS",
    "SimulationSpec",
    "SolverSettings",
    "from_dict",
    "read_spec",
    "resolve_mask",
]

IGNORED_TOP = ("ground_truth", "thermodefect_version")


SOLVERS = ("fv", "fe")


@dataclass(frozen=True)
class SolverSettings:
    """Which solver, its discretisation and time stepping.

    Parameters
    ----------
    nz : int
        Layers through the thickness (finite volumes); elements of the bulk, none thicker
        than thickness / nz (finite elements, graded finer towards the front face).
    growth : float
        Factor by which successive time steps grow.
    relative_step : float
        Largest step as a fraction of the elapsed time. 0.02 keeps a 3 mm aluminium plate
        with 0.8-1 mm deep defects at 0.2 mm pixels within 1 % of a converged solution
        (``benchmarks/solver_convergence.py``) with holes and PTFE inserts, 1.6 % over a
        0.1 mm air layer (``benchmarks/fe_vs_fv.py --section``); composites tolerate far
        larger steps.
    method : {'fv', 'fe'}
        Finite volumes on the pixel grid (:mod:`~thermodefect.simulate.solver`) or finite
        elements on a tetrahedral mesh (:mod:`~thermodefect.simulate.fe`).
    mesh_px : float
        Finite elements: lateral node spacing, pixels.
    mesh_jitter : float
        Finite elements: random lateral displacement of the interior nodes, share of the
        spacing, in [0, 0.3].

    Raises
    ------
    ThermodefectError
        For nz < 2, growth < 1, a relative step outside (0, 1], an unknown method, or a mesh
        spacing or jitter out of range.
    """

    nz: int = 24
    growth: float = 1.25
    relative_step: float = 0.02
    method: str = "fv"
    mesh_px: float = 2.0
    mesh_jitter: float = 0.2

    def __post_init__(self):
        if self.nz < 2 or self.growth < 1 or not 0 < self.relative_step <= 1:
            raise ThermodefectError("solver needs nz >= 2, growth >= 1, 0 < relative_step <= 1")
        if self.method not in SOLVERS:
            raise ThermodefectError(
                f"solver method must be one of {', '.join(SOLVERS)}, got {self.method!r}"
            )
        if self.mesh_px < 0.25 or not 0 <= self.mesh_jitter <= 0.3:
            raise ThermodefectError("solver needs mesh_px >= 0.25 and 0 <= mesh_jitter <= 0.3")


@dataclass(frozen=True)
class SimulationSpec:
    """Everything that defines one simulated specimen.

    Parameters
    ----------
    name : str
        File stem of the specimen.
    plate : Plate
        Plate and defects.
    flash : Flash
        The heating pulse.
    boundary : Boundary
        Heat losses to the ambient.
    camera : Camera
        Recording settings and camera effects.
    solver : SolverSettings
        Discretisation.
    seed : int
        Seed of the camera's noise.
    surface : Surface
        Ply texture, emissivity marks and reflections on the front face.
    family : str
        The family of the randomised generator that drew the specimen ('' otherwise).
    """

    name: str
    plate: Plate
    flash: Flash = field(default_factory=Flash)
    boundary: Boundary = field(default_factory=Boundary)
    camera: Camera = field(default_factory=Camera)
    solver: SolverSettings = field(default_factory=SolverSettings)
    seed: int = 0
    surface: Surface = field(default_factory=Surface)
    family: str = ""

    def to_dict(self) -> dict:
        """The JSON-serialisable schema form (defects listed at the top level).

        Returns
        -------
        dict

        Raises
        ------
        ThermodefectError
            For a mask defect given as an array (only image paths can be written).
        """
        plate = {
            "thickness_mm": self.plate.thickness_mm,
            "material": self.plate.material,
            "size_mm": None if self.plate.size_mm is None else list(self.plate.size_mm),
        }
        defects = []
        for d in self.plate.defects:
            item = _plain(dataclasses.asdict(d))
            if not isinstance(item.get("mask"), (str, type(None))):
                raise ThermodefectError("only masks given as image paths can be written to JSON")
            defects.append(item)
        return {
            "name": self.name,
            "seed": self.seed,
            "family": self.family,
            "plate": plate,
            "defects": defects,
            "flash": _plain(dataclasses.asdict(self.flash)),
            "boundary": _plain(dataclasses.asdict(self.boundary)),
            "camera": _plain(dataclasses.asdict(self.camera)),
            "surface": _plain(dataclasses.asdict(self.surface)),
            "solver": _plain(dataclasses.asdict(self.solver)),
        }


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _build(cls, data, where: str, **extra):
    if not isinstance(data, dict):
        raise ThermodefectError(f"{where} must be an object (mapping), found {type(data).__name__}")
    names = [f.name for f in dataclasses.fields(cls) if f.name not in extra]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(names)}"
            raise ThermodefectError(f"{where}.{key}: unknown field{hint}")
    required = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in extra
    ]
    for name in required:
        if name not in data:
            raise ThermodefectError(f"{where}.{name}: missing (required)")
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return cls(**kwargs, **extra)
    except ThermodefectError as exc:
        raise ThermodefectError(f"{where}: {exc.problem}") from None
    except (TypeError, ValueError) as exc:
        raise ThermodefectError(f"{where}: {exc}") from None


def resolve_mask(mask, base: Path | None):
    """A mask path relative to the spec file's folder made absolute; ``seed:`` kept.

    Parameters
    ----------
    mask : str, ndarray or None
        The mask reference of a defect.
    base : Path or None
        Folder of the spec file.

    Returns
    -------
    str, ndarray or None
    """
    relative = isinstance(mask, str) and not mask.startswith(SEED_PREFIX)
    if relative and base is not None and not Path(mask).is_absolute():
        return str(base / mask)
    return mask


def from_dict(data: dict, *, base: Path | None = None, check: bool = True) -> SimulationSpec:
    """Build and check a spec; errors name the offending field, e.g. ``camera.frame_rte``.

    Parameters
    ----------
    data : dict
        The schema form (:meth:`SimulationSpec.to_dict`).
    base : Path, optional
        Folder that relative mask and flash image paths start from.
    check : bool
        Refuse defects that cannot coexist. Reading back the specs of presets drawn before
        the check existed (``mixed`` overlaps some inserts with holes) needs ``False``.

    Returns
    -------
    SimulationSpec

    Raises
    ------
    ThermodefectError
        For unknown or invalid fields, or defects that cannot coexist
        (:func:`~thermodefect.simulate.specimen.check_coexistence`).
    """
    if not isinstance(data, dict):
        raise ThermodefectError("a simulation spec must be an object (mapping)")
    top = (
        "name", "seed", "family", "plate", "defects", "flash", "boundary", "camera", "surface",
        "solver",
    )  # fmt: skip
    for key in data:
        if key not in top and key not in IGNORED_TOP:
            close = difflib.get_close_matches(key, top, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(top)}"
            raise ThermodefectError(f"{key}: unknown section{hint}")
    for key in ("name", "plate"):
        if key not in data:
            raise ThermodefectError(f"{key}: missing (required)")
    raw_defects = data.get("defects", [])
    if not isinstance(raw_defects, list):
        raise ThermodefectError("defects must be a list")
    defects = []
    for i, d in enumerate(raw_defects):
        defect = _build(Defect, d, f"defects[{i}]")
        if defect.kind == "mask":
            defect = dataclasses.replace(defect, mask=resolve_mask(defect.mask, base))
        defects.append(defect)
    plate = _build(Plate, data["plate"], "plate", defects=tuple(defects))
    sections = {
        "flash": Flash,
        "boundary": Boundary,
        "camera": Camera,
        "solver": SolverSettings,
    }
    built = {k: _build(cls, data.get(k, {}), k) for k, cls in sections.items()}
    built["surface"] = _surface(data.get("surface", {}))
    image = built["flash"].image
    if image is not None and base is not None and not Path(image).is_absolute():
        built["flash"] = dataclasses.replace(built["flash"], image=str(base / image))
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ThermodefectError(f"seed: must be a non-negative integer, found {seed!r}")
    camera = built["camera"]
    if check:
        check_coexistence(plate, camera.shape, camera.pixel_pitch_mm)
    return SimulationSpec(
        name=str(data["name"]), plate=plate, seed=seed, family=str(data.get("family", "")), **built
    )


def _surface(data) -> Surface:
    """The ``surface`` section, its marks checked one by one."""
    if not isinstance(data, dict):
        raise ThermodefectError(f"surface must be an object (mapping), found {type(data).__name__}")
    raw = data.get("marks", [])
    if not isinstance(raw, list):
        raise ThermodefectError("surface.marks must be a list")
    marks = tuple(_build(Mark, m, f"surface.marks[{i}]") for i, m in enumerate(raw))
    rest = {k: v for k, v in data.items() if k != "marks"}
    return _build(Surface, rest, "surface", marks=marks)


def read_spec(path: str | Path) -> SimulationSpec:
    """Read a spec from JSON or YAML; errors name the file and the field.

    Parameters
    ----------
    path : str or Path
        A ``.json``, ``.yaml`` or ``.yml`` file.

    Returns
    -------
    SimulationSpec

    Raises
    ------
    ThermodefectError
        For an unreadable file or an invalid spec.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise ThermodefectError(f"cannot read ({exc.strerror or exc})", path) from exc
    except json.JSONDecodeError as exc:
        raise ThermodefectError(
            f"corrupt JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", path
        ) from exc
    except yaml.YAMLError as exc:
        raise ThermodefectError(f"corrupt YAML ({exc})", path) from exc
    try:
        return from_dict(data, base=path.parent)
    except ThermodefectError as exc:
        raise ThermodefectError(exc.problem, path) from None
