"""What the front face adds to the picture: ply texture, emissivity marks and reflections.

The ply texture is the weave or fibre pattern of a composite's top ply: a periodic variation
of the emissivity (``texture``) and of the in-plane conductivity (``texture_k``, honoured by
the finite-volume solver). Marks are patches of another emissivity (paint, marker pen,
printed text). The surface is taken as grey, so a mark's absorptivity for the flash changes
with its emissivity: a mark both absorbs more heat and shows its rise brighter. A hood
reflection is warm lamp glass seen in the specimen: an additive blob that fades after the
flash. All of it belongs to the scene, so an ``ideal`` camera keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.simulate.specimen import outline_covers

__all__ = [
    "MARK_SHAPES",
    "TEXTURES",
    "Mark",
    "Surface",
]

TEXTURES = ("weave", "fibres")
MARK_SHAPES = ("rectangle", "ellipse", "polygon")


@dataclass(frozen=True)
class Mark:
    """A patch of the front face with its own emissivity.

    Parameters
    ----------
    center_mm : (float, float)
        Centre (x, y), mm from the image's top-left corner.
    size_mm : (float, float)
        Full width and height before the rotation, mm (ignored by polygons).
    emissivity : float
        Emissivity relative to the rest of the surface (1.1: ten per cent higher).
    shape : {'rectangle', 'ellipse', 'polygon'}
        Outline.
    angle_deg : float
        Rotation, degrees.
    points_mm : tuple of (float, float), optional
        A polygon's vertices relative to the centre, mm.

    Raises
    ------
    ThermodefectError
        For an unknown shape, a non-positive size or emissivity, or a polygon with fewer
        than three vertices.
    """

    center_mm: tuple[float, float]
    size_mm: tuple[float, float] = (2.0, 2.0)
    emissivity: float = 1.1
    shape: str = "rectangle"
    angle_deg: float = 0.0
    points_mm: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self):
        if self.shape not in MARK_SHAPES:
            raise ThermodefectError(
                f"mark shape must be one of {', '.join(MARK_SHAPES)}, got {self.shape!r}"
            )
        if self.emissivity <= 0 or min(self.size_mm) <= 0:
            raise ThermodefectError("a mark needs a positive size_mm and emissivity")
        if self.shape == "polygon" and len(self.points_mm or ()) < 3:
            raise ThermodefectError("a polygon mark needs points_mm: three or more (x, y)")

    def covers(self, x_mm: np.ndarray, y_mm: np.ndarray) -> np.ndarray:
        """Whether points lie on the mark.

        Parameters
        ----------
        x_mm, y_mm : ndarray
            Point coordinates, mm (any equal shapes).

        Returns
        -------
        ndarray of bool
        """
        return outline_covers(
            x_mm, y_mm, self.shape, self.center_mm, self.size_mm, self.angle_deg, self.points_mm
        )


@dataclass(frozen=True)
class Surface:
    """Ply texture, emissivity marks and a hood reflection on the front face.

    Parameters
    ----------
    texture : float
        Relative amplitude of the texture's emissivity variation (0.03: +-3 %).
    texture_k : float
        Relative amplitude of its in-plane conductivity variation, in [0, 0.9).
    texture_kind : {'weave', 'fibres'}
        A plain weave (a checkerboard of tows) or parallel fibre bundles.
    texture_period_mm : float
        Repeat of the pattern, mm.
    texture_angle_deg : float
        Direction of the warp or the fibres, degrees.
    marks : tuple of Mark
        Patches of another emissivity.
    reflection_k : float
        Apparent temperature of the hood reflection at its centre right after the flash, K.
    reflection_center : (float, float)
        Its centre as fractions of width and height.
    reflection_width : float
        Its Gaussian standard deviation as a fraction of the image's diagonal.
    reflection_fade_s : float
        Time constant over which it fades, s.

    Raises
    ------
    ThermodefectError
        For negative amplitudes, ``texture_k`` of 0.9 or more, an unknown texture, or a
        non-positive period, width or fade time.
    """

    texture: float = 0.0
    texture_k: float = 0.0
    texture_kind: str = "weave"
    texture_period_mm: float = 2.0
    texture_angle_deg: float = 0.0
    marks: tuple[Mark, ...] = field(default_factory=tuple)
    reflection_k: float = 0.0
    reflection_center: tuple[float, float] = (0.5, 0.5)
    reflection_width: float = 0.2
    reflection_fade_s: float = 0.2

    def __post_init__(self):
        if self.texture < 0 or self.reflection_k < 0 or not 0 <= self.texture_k < 0.9:
            raise ThermodefectError(
                "surface texture and reflection_k must be >= 0 and texture_k in [0, 0.9)"
            )
        if self.texture_kind not in TEXTURES:
            raise ThermodefectError(
                f"surface texture_kind must be one of {', '.join(TEXTURES)}, "
                f"got {self.texture_kind!r}"
            )
        if min(self.texture_period_mm, self.reflection_width, self.reflection_fade_s) <= 0:
            raise ThermodefectError(
                "surface texture_period_mm, reflection_width and reflection_fade_s must be positive"
            )
        marks = tuple(m if isinstance(m, Mark) else Mark(**m) for m in self.marks)
        object.__setattr__(self, "marks", marks)

    def pattern(self, shape: tuple[int, int], pitch_mm: float) -> np.ndarray:
        """The texture's pattern over the image, between -1 and 1.

        Parameters
        ----------
        shape : (int, int)
            Image (H, W) in pixels.
        pitch_mm : float
            Pixel size, mm.

        Returns
        -------
        (H, W) ndarray of float64
        """
        y, x = (np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5) * pitch_mm
        a = np.deg2rad(self.texture_angle_deg)
        u = (x * np.cos(a) + y * np.sin(a)) * 2 * np.pi / self.texture_period_mm
        v = (-x * np.sin(a) + y * np.cos(a)) * 2 * np.pi / self.texture_period_mm
        if self.texture_kind == "fibres":
            return np.sin(v) * (0.7 + 0.3 * np.sin(0.37 * v + 1.3))
        return np.tanh(3 * np.sin(u) * np.sin(v))

    def emissivity(self, shape: tuple[int, int], pitch_mm: float) -> np.ndarray | None:
        """Emissivity (and absorptivity) relative to the plate's mean, over the image, or None
        for an even surface (no texture, no marks).

        Parameters
        ----------
        shape : (int, int)
            Image (H, W) in pixels.
        pitch_mm : float
            Pixel size, mm.

        Returns
        -------
        (H, W) ndarray of float64 or None
        """
        if self.texture == 0 and not self.marks:
            return None
        out = np.ones(shape)
        if self.texture > 0:
            out += self.texture * self.pattern(shape, pitch_mm)
        if self.marks:
            y, x = (np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5) * pitch_mm
            for mark in self.marks:
                out[mark.covers(x, y)] *= mark.emissivity
        return out

    def conductivity(self, shape: tuple[int, int], pitch_mm: float) -> np.ndarray | None:
        """In-plane conductivity relative to the plate's, or None without ``texture_k``.

        Parameters
        ----------
        shape : (int, int)
            Image (H, W) in pixels.
        pitch_mm : float
            Pixel size, mm.

        Returns
        -------
        (H, W) ndarray of float64 or None
        """
        if self.texture_k == 0:
            return None
        return 1 + self.texture_k * self.pattern(shape, pitch_mm)

    def reflection(self, times: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
        """The hood reflection's apparent temperature at each time, or None without one.

        Parameters
        ----------
        times : (T,) ndarray
            Seconds after the flash (positive).
        shape : (int, int)
            Image (H, W) in pixels.

        Returns
        -------
        (T, H, W) ndarray of float32 or None
            K.
        """
        if self.reflection_k == 0:
            return None
        h, w = shape
        y, x = np.mgrid[0:h, 0:w] + 0.5
        cx, cy = self.reflection_center[0] * w, self.reflection_center[1] * h
        sigma = self.reflection_width * np.hypot(h, w)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))
        fade = self.reflection_k * np.exp(-np.asarray(times) / self.reflection_fade_s)
        return (fade[:, None, None] * blob).astype(np.float32)
