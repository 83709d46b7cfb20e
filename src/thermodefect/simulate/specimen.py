"""Specimens: a flat plate seen by the camera, and the defects hidden in it.

Coordinates: x to the right (image columns) and y down (image rows), in mm from the top-left
corner of the camera's field of view; depth z in mm from the front (heated, observed) face.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.simulate.materials import Material, material, porous

__all__ = [
    "DEFECT_KINDS",
    "SEED_PREFIX",
    "SHAPES",
    "Defect",
    "Plate",
    "check_coexistence",
    "inside_polygon",
    "mask_path",
    "outline_covers",
]

DEFECT_KINDS = ("hole", "insert", "porosity", "mask")
SHAPES = ("circle", "square", "rectangle", "ellipse", "polygon")


@dataclass(frozen=True)
class Defect:
    """One defect.

    Parameters
    ----------
    kind : {'hole', 'insert', 'porosity', 'mask'}
        ``hole``: flat-bottom hole, material removed from the back up to ``depth_mm`` below
        the front face. ``insert``: a thin layer of ``material`` (air for a delamination,
        PTFE for a calibrated insert), ``thickness_mm`` thick, its top at ``depth_mm``.
        ``porosity``: a patch of the plate's own material holding a volume share
        ``porosity`` of voids, from ``depth_mm`` down ``thickness_mm``. ``mask``: an
        arbitrary footprint (``mask``, a label image path or a bool array over the field of
        view) at ``depth_mm``, acting as an insert (``as_hole=False``) or a hole.
    depth_mm : float
        Depth below the front face, mm (the top of a layer).
    center_mm : (float, float)
        Centre (x, y) in mm from the image's top-left corner.
    size_mm : float or (float, float)
        Diameter or side, or the full axes (width, height) of an ellipse or rectangle, mm;
        ignored by polygons.
    shape : {'circle', 'square', 'rectangle', 'ellipse', 'polygon'}
        Footprint of holes, inserts and porosity, rotated by ``angle_deg``.
    angle_deg : float
        Rotation, degrees.
    thickness_mm : float
        Thickness of an insert's layer or a porosity patch, mm.
    material : str or dict
        The insert's material (:func:`~thermodefect.simulate.materials.material`).
    mask : str, ndarray or None
        Footprint of a ``mask`` defect: a label image path (``seed:N1`` for the seed's
        packaged labels) or a bool array.
    as_hole : bool
        A ``mask`` defect removes material instead of inserting a layer.
    points_mm : tuple of (float, float), optional
        Vertices (x, y) of a ``polygon``, mm from ``center_mm`` before the rotation.
    porosity : float
        Volume share of voids in a ``porosity`` patch, in (0, 0.6].

    Raises
    ------
    ThermodefectError
        For an unknown kind or shape, a non-positive depth, size or thickness, a polygon
        with fewer than three vertices, a porosity outside (0, 0.6], or a mask defect
        without its mask.
    """

    kind: str
    depth_mm: float
    center_mm: tuple[float, float] = (0.0, 0.0)
    size_mm: float | tuple[float, float] = 0.0
    shape: str = "circle"
    angle_deg: float = 0.0
    thickness_mm: float = 0.1
    material: str | dict = "air"
    mask: str | np.ndarray | None = None
    as_hole: bool = False
    points_mm: tuple[tuple[float, float], ...] | None = None
    porosity: float = 0.1

    def __post_init__(self):
        if self.kind not in DEFECT_KINDS:
            raise ThermodefectError(
                f"defect kind must be one of {', '.join(DEFECT_KINDS)}, got {self.kind!r}"
            )
        if self.shape not in SHAPES:
            raise ThermodefectError(
                f"defect shape must be one of {', '.join(SHAPES)}, got {self.shape!r}"
            )
        if self.depth_mm <= 0:
            raise ThermodefectError(f"defect depth_mm must be positive, got {self.depth_mm}")
        if self.kind == "mask" and self.mask is None:
            raise ThermodefectError("a 'mask' defect needs a mask (label image path or array)")
        if self.kind != "mask" and self.shape != "polygon" and np.min(self.size_mm) <= 0:
            raise ThermodefectError(f"defect size_mm must be positive, got {self.size_mm}")
        if self.thickness_mm <= 0:
            raise ThermodefectError(
                f"defect thickness_mm must be positive, got {self.thickness_mm}"
            )
        if self.shape == "polygon":
            points = np.asarray(self.points_mm if self.points_mm is not None else [], float)
            if points.ndim != 2 or points.shape[0] < 3 or points.shape[1] != 2:
                raise ThermodefectError("a polygon defect needs points_mm: three or more (x, y)")
            # as tuples, whatever came in (a spec file's lists): equal defects compare equal
            object.__setattr__(self, "points_mm", tuple((float(x), float(y)) for x, y in points))
        if self.kind == "porosity" and not 0 < self.porosity <= 0.6:
            raise ThermodefectError(f"defect porosity must be in (0, 0.6], got {self.porosity}")

    @property
    def removes_material(self) -> bool:
        """Whether the defect removes material (holes) rather than adding a layer.

        Returns
        -------
        bool
        """
        return self.kind == "hole" or (self.kind == "mask" and self.as_hole)

    @property
    def is_layer(self) -> bool:
        """Whether the defect is a layer between depth and depth + thickness (inserts,
        porosity, mask inserts) rather than removed material.

        Returns
        -------
        bool
        """
        return not self.removes_material

    @property
    def axes_mm(self) -> tuple[float, float]:
        """Full width along the defect's own x and y axes, in mm (equal for one size; the
        bounding box of a polygon's vertices)."""
        if self.shape == "polygon":
            points = np.asarray(self.points_mm, float)
            return tuple(float(v) for v in np.ptp(points, axis=0))  # type: ignore[return-value]
        if np.ndim(self.size_mm) == 0:
            return float(self.size_mm), float(self.size_mm)  # type: ignore[arg-type]
        sx, sy = self.size_mm  # type: ignore[misc]
        return float(sx), float(sy)

    def layer_material(self, body: Material | None = None) -> Material:
        """The material of an insert's layer, or of a porosity patch in ``body``.

        Parameters
        ----------
        body : Material, optional
            The plate's material (needed by porosity patches).

        Returns
        -------
        Material

        Raises
        ------
        ThermodefectError
            For a porosity patch without the plate's material.
        """
        if self.kind == "porosity":
            if body is None:
                raise ThermodefectError("a porosity patch needs the plate's material")
            return porous(body, self.porosity)
        return material(self.material)

    def footprint(self, shape: tuple[int, int], pitch_mm: float) -> np.ndarray:
        """The pixels whose centre lies inside the defect's outline.

        Parameters
        ----------
        shape : (int, int)
            Image (H, W) in pixels.
        pitch_mm : float
            Pixel size on the specimen, mm.

        Returns
        -------
        (H, W) ndarray of bool
        """
        y, x = (np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5) * pitch_mm
        return self.covers(x, y, shape, pitch_mm)

    def covers(
        self, x_mm: np.ndarray, y_mm: np.ndarray, shape: tuple[int, int], pitch_mm: float
    ) -> np.ndarray:
        """Whether points of the field of view lie inside the defect's outline.

        Parameters
        ----------
        x_mm, y_mm : ndarray
            Point coordinates, mm from the image's top-left corner (any equal shapes).
        shape : (int, int)
            Image (H, W) in pixels: the frame a ``mask`` defect's image is stretched over.
        pitch_mm : float
            Pixel size on the specimen, mm.

        Returns
        -------
        ndarray of bool
            The shape of ``x_mm``.
        """
        x, y = np.asarray(x_mm, float), np.asarray(y_mm, float)
        if self.kind == "mask":
            foot = _mask_footprint(self.mask, shape)
            rows = np.clip((y / pitch_mm).astype(int), 0, shape[0] - 1)
            cols = np.clip((x / pitch_mm).astype(int), 0, shape[1] - 1)
            return foot[rows, cols]
        return outline_covers(
            x, y, self.shape, self.center_mm, self.axes_mm, self.angle_deg, self.points_mm
        )


def outline_covers(x, y, shape: str, center_mm, axes_mm, angle_deg: float, points_mm=None):
    """Whether points lie inside an outline: a circle, square, rectangle, ellipse or polygon.

    Parameters
    ----------
    x, y : ndarray
        Point coordinates, mm (any equal shapes).
    shape : {'circle', 'square', 'rectangle', 'ellipse', 'polygon'}
        The outline.
    center_mm : (float, float)
        Its centre (x, y), mm.
    axes_mm : (float, float)
        Full widths along its own axes (the diameter or side twice for one size), mm.
    angle_deg : float
        Rotation, degrees.
    points_mm : sequence of (float, float), optional
        A polygon's vertices relative to the centre, before the rotation, mm.

    Returns
    -------
    ndarray of bool
        The shape of ``x``.
    """
    cx, cy = center_mm
    a = np.deg2rad(angle_deg)
    u = (x - cx) * np.cos(a) + (y - cy) * np.sin(a)
    v = -(x - cx) * np.sin(a) + (y - cy) * np.cos(a)
    if shape == "polygon":
        return inside_polygon(u, v, np.asarray(points_mm, float))
    sx, sy = axes_mm
    if shape == "square":
        return (np.abs(u) <= sx / 2) & (np.abs(v) <= sx / 2)
    if shape == "rectangle":
        return (np.abs(u) <= sx / 2) & (np.abs(v) <= sy / 2)
    if shape == "circle":
        return u**2 + v**2 <= (sx / 2) ** 2
    return (u / (sx / 2)) ** 2 + (v / (sy / 2)) ** 2 <= 1


def inside_polygon(x: np.ndarray, y: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Whether points lie inside a polygon, by the even-odd crossing rule.

    Parameters
    ----------
    x, y : ndarray
        Point coordinates (any equal shapes).
    points : (N, 2) ndarray
        The polygon's vertices in order (closed implicitly).

    Returns
    -------
    ndarray of bool
        The shape of ``x``.
    """
    inside = np.zeros(np.shape(x), bool)
    for (x0, y0), (x1, y1) in zip(points, np.roll(points, -1, axis=0), strict=True):
        if y0 == y1:
            continue
        crosses = (y0 > y) != (y1 > y)
        at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (x < at)
    return inside


SEED_PREFIX = "seed:"


def mask_path(mask: str | Path) -> Path:
    """The file a mask reference names; ``seed:N1`` is the seed's packaged N1 label.

    Parameters
    ----------
    mask : str or Path
        A path or ``seed:NAME``.

    Returns
    -------
    Path

    Raises
    ------
    ThermodefectError
        For an unknown seed label.
    """
    if isinstance(mask, str) and mask.startswith(SEED_PREFIX):
        from importlib.resources import files

        path = files("thermodefect.data.seed_labels") / f"{mask[len(SEED_PREFIX) :]}_label.png"
        if not path.is_file():
            raise ThermodefectError(f"no packaged seed label {mask!r}")
        return Path(str(path))
    return Path(mask)


def _mask_footprint(mask, shape: tuple[int, int]) -> np.ndarray:
    from thermodefect.io.masks import fit_mask, read_label_png

    if isinstance(mask, (str, Path)):
        return read_label_png(mask_path(mask), shape)
    return fit_mask(np.asarray(mask, bool), shape)


@dataclass(frozen=True)
class Plate:
    """A flat plate of ``thickness_mm`` filling the field of view (lateral faces beyond it),
    or of ``size_mm = (width, height)`` centred in it, its edges then visible.

    Parameters
    ----------
    thickness_mm : float
        Plate thickness, mm.
    material : str or dict
        Its material (:func:`~thermodefect.simulate.materials.material`).
    size_mm : (float, float), optional
        Width and height, mm; default: beyond the field of view.
    defects : tuple of Defect
        Its defects.

    Raises
    ------
    ThermodefectError
        For a non-positive thickness, a defect at or below the back face, or a layer
        reaching it.
    """

    thickness_mm: float
    material: str | dict = "cfrp"
    size_mm: tuple[float, float] | None = None
    defects: tuple[Defect, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.thickness_mm <= 0:
            raise ThermodefectError(f"plate thickness_mm must be positive, got {self.thickness_mm}")
        for d in self.defects:
            if d.depth_mm >= self.thickness_mm:
                raise ThermodefectError(
                    f"defect depth {d.depth_mm} mm is not inside the {self.thickness_mm} mm plate"
                )
            if d.is_layer and d.depth_mm + d.thickness_mm >= self.thickness_mm:
                raise ThermodefectError(
                    f"a {d.thickness_mm} mm layer at {d.depth_mm} mm reaches the back face of "
                    f"the {self.thickness_mm} mm plate"
                )

    def body_material(self) -> Material:
        """The plate's material.

        Returns
        -------
        Material
        """
        return material(self.material)

    def region(self, shape: tuple[int, int], pitch_mm: float) -> np.ndarray:
        """The pixels on the plate.

        Parameters
        ----------
        shape : (int, int)
            Image (H, W) in pixels.
        pitch_mm : float
            Pixel size on the specimen, mm.

        Returns
        -------
        (H, W) ndarray of bool
        """
        if self.size_mm is None:
            return np.ones(shape, bool)
        h, w = shape
        y, x = (np.mgrid[0:h, 0:w] + 0.5) * pitch_mm
        cx, cy = w * pitch_mm / 2, h * pitch_mm / 2
        return (np.abs(x - cx) <= self.size_mm[0] / 2) & (np.abs(y - cy) <= self.size_mm[1] / 2)

    def ground_truth(self, shape: tuple[int, int], pitch_mm: float) -> np.ndarray:
        """The union of all defect footprints on the plate.

        Parameters
        ----------
        shape : (int, int)
            Image (H, W) in pixels.
        pitch_mm : float
            Pixel size on the specimen, mm.

        Returns
        -------
        (H, W) ndarray of bool
        """
        mask = np.zeros(shape, bool)
        for d in self.defects:
            mask |= d.footprint(shape, pitch_mm)
        return mask & self.region(shape, pitch_mm)


def check_coexistence(plate: Plate, shape: tuple[int, int], pitch_mm: float) -> None:
    """Refuse defects that cannot exist together where their footprints overlap.

    A layer (insert, porosity) below a hole's bottom would lie in removed material; two
    layers whose depth ranges intersect would occupy the same volume. Holes may overlap
    holes (a stepped hole).

    Parameters
    ----------
    plate : Plate
        Plate and defects.
    shape : (int, int)
        Image (H, W) in pixels.
    pitch_mm : float
        Pixel size on the specimen, mm.

    Raises
    ------
    ThermodefectError
        Naming the two defects (indices into the spec's ``defects``).
    """
    feet = [d.footprint(shape, pitch_mm) for d in plate.defects]
    for i, a in enumerate(plate.defects):
        for j in range(i + 1, len(plate.defects)):
            b = plate.defects[j]
            if not (feet[i] & feet[j]).any():
                continue
            for upper, lower, ui, li in ((a, b, i, j), (b, a, j, i)):
                if upper.removes_material and lower.is_layer and lower.depth_mm >= upper.depth_mm:
                    raise ThermodefectError(
                        f"defects[{li}] lies in the material removed by the hole defects[{ui}] "
                        "where they overlap"
                    )
            if a.is_layer and b.is_layer:
                top, bottom = (a, b) if a.depth_mm <= b.depth_mm else (b, a)
                if bottom.depth_mm < top.depth_mm + top.thickness_mm:
                    raise ThermodefectError(
                        f"defects[{i}] and defects[{j}] overlap in the same volume "
                        "(their layers intersect)"
                    )
