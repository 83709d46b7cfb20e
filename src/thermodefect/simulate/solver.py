"""3-D transient heat conduction in a plate after a flash: finite volumes on torch.

Cells: the camera's pixels laterally (pitch dx = dy) and ``nz`` equal layers through the
thickness. Each cell holds its own conductivities (x, y, z) and heat capacity; face
conductances are harmonic means. Holes remove cells (their bottom becomes an exposed back
face); inserts, delaminations and porosity patches are layers of their own material from
their depth down, which replace the plate over the share of each cell they fill: that share
counts with its heat capacity, in series with the rest of the cell through the thickness and
in parallel with it in plane; through the thickness the share is taken per half cell, so a
layer much thinner than a cell adds its excess resistance t (1/k_layer - 1/k_plate) at the
cell face nearest to it, and a thick one is resolved by the cells it spans.

Time stepping: Strang splitting. Each step of length h moves heat laterally for h/2, solves
the through-thickness conduction implicitly for h (a tridiagonal system per pixel column by
the Thomas algorithm: backward Euler for the first ``SMOOTHING_STEPS`` steps, Crank-Nicolson
after them, Rannacher's start), then laterally for h/2 again; the two lateral halves between
outputs are merged. The lateral part is explicit: one forward-Euler step while h/2 is within
its stability limit, else a second-order Runge-Kutta-Legendre super-time-step (RKL2) whose
s stages are stable up to (s^2 + s - 2) / 4 Euler limits. No step size is unstable, so fine
pixels on conductive plates no longer force thousands of steps. Steps start at a quarter of
the flash duration, grow geometrically (factor ``growth``) and stay below ``relative_step``
times the elapsed time (the flash duration while it lasts), landing exactly on every output
time. The flash is a surface flux Q/tau over [0, tau] with a spatial profile; faces exchange
heat with the ambient (temperature rise 0) through coefficients h (0 = adiabatic).

The surface temperature is extrapolated from the first two cell centres with a zero-slope
quadratic, T_s = (9 T_0 - T_1) / 8, exact for the adiabatic front face's symmetric profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.simulate.specimen import Plate

if TYPE_CHECKING:
    import torch

__all__ = [
    "PROFILES",
    "SMOOTHING_STEPS",
    "Boundary",
    "Flash",
    "Grid",
    "Model",
    "build_model",
    "heat_content",
    "lateral_limit",
    "march",
    "rkl2_stages",
    "simulate_surface",
    "surface",
]

PROFILES = ("uniform", "gaussian", "gradient", "lamps", "image")
SMOOTHING_STEPS = 4


@dataclass(frozen=True)
class Flash:
    """The heating pulse.

    Parameters
    ----------
    energy_j_m2 : float
        Absorbed energy per area at the profile's mean, J/m^2.
    duration_s : float
        Length of the pulse, s (0 = instantaneous).
    profile : {'uniform', 'gaussian', 'gradient', 'lamps', 'image'}
        Spatial distribution: even; a lamp centred at ``center`` whose intensity falls to
        ``1 - nonuniformity`` of the peak at the farthest corner; a linear ramp losing
        ``nonuniformity`` of its peak across the field along ``angle_deg``; several lamps
        (``lamps``), each falling to ``1 - nonuniformity`` of its peak at half the image's
        diagonal; or ``image``.
    nonuniformity : float
        Share of the peak intensity lost at the far side, in [0, 1).
    center : (float, float)
        Centre of the ``gaussian`` lamp as fractions of width and height.
    angle_deg : float
        Direction of the ``gradient`` (0 = left to right), degrees.
    image : str, optional
        For ``profile='image'``: a grey image (PNG, ...) or a 2-D ``.npy`` array of the
        relative intensity, non-negative, stretched to the camera's image size (bilinear).
        A relative path starts from the spec file's folder.
    pulse : tuple of float, optional
        Measured pulse shape: relative power at equally spaced times from 0 to
        ``duration_s``, linear in between (a xenon flash: a fast rise and a long tail).
        Default: rectangular.
    lamps : tuple of (float, float), optional
        For ``profile='lamps'``: the centre of each lamp as fractions of width and height
        (outside [0, 1] for a lamp beside the field of view).

    Raises
    ------
    ThermodefectError
        For an unknown profile, a non-positive energy, a negative duration, a
        non-uniformity outside [0, 1), an image profile without an image, a lamps profile
        without lamps, or a pulse with fewer than two samples, a negative sample, none
        positive or no duration.
    """

    energy_j_m2: float = 6000.0
    duration_s: float = 0.003
    profile: str = "uniform"
    nonuniformity: float = 0.3
    center: tuple[float, float] = (0.5, 0.5)
    angle_deg: float = 0.0
    image: str | None = None
    pulse: tuple[float, ...] | None = None
    lamps: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self):
        if self.profile not in PROFILES:
            raise ThermodefectError(
                f"flash profile must be one of {', '.join(PROFILES)}, got {self.profile!r}"
            )
        if self.energy_j_m2 <= 0 or self.duration_s < 0:
            raise ThermodefectError("flash energy_j_m2 must be positive and duration_s >= 0")
        if not 0 <= self.nonuniformity < 1:
            raise ThermodefectError(
                f"flash nonuniformity must be in [0, 1), got {self.nonuniformity}"
            )
        if (self.profile == "image") != (self.image is not None):
            raise ThermodefectError("flash image goes with profile 'image', and only with it")
        if (self.profile == "lamps") != bool(self.lamps):
            raise ThermodefectError("flash lamps go with profile 'lamps', and only with it")
        if self.lamps and np.shape(self.lamps)[1:] != (2,):
            raise ThermodefectError("flash lamps must each be an (x, y) pair of fractions")
        if self.pulse is not None and self.duration_s == 0:
            raise ThermodefectError("a flash pulse shape needs a positive duration_s")
        if self.pulse is not None:
            samples = np.asarray(self.pulse, float)
            if samples.ndim != 1 or samples.size < 2 or (samples < 0).any() or samples.max() <= 0:
                raise ThermodefectError(
                    "flash pulse must list at least two non-negative powers, one positive"
                )

    def pattern(self, shape: tuple[int, int]) -> np.ndarray:
        """Absorbed energy per area over the image, averaging ``energy_j_m2``.

        Parameters
        ----------
        shape : (int, int)
            Image (H, W).

        Returns
        -------
        (H, W) ndarray of float64
            J/m^2.

        Raises
        ------
        ThermodefectError
            For an unreadable image, or one with negative values or a zero mean.
        """
        h, w = shape
        y, x = (np.mgrid[0:h, 0:w] + 0.5) / np.array([h, w])[:, None, None]
        if self.profile == "uniform":
            p = np.ones(shape)
        elif self.profile == "gaussian":
            cx, cy = self.center
            r2 = (x - cx) ** 2 + (y - cy) ** 2
            far = max((a - cx) ** 2 + (b - cy) ** 2 for a in (0, 1) for b in (0, 1))
            p = (1 - self.nonuniformity) ** (r2 / far) if self.nonuniformity > 0 else np.ones(shape)
        elif self.profile == "gradient":
            a = np.deg2rad(self.angle_deg)
            s = (x - 0.5) * np.cos(a) + (y - 0.5) * np.sin(a)
            s = (s - s.min()) / max(s.max() - s.min(), 1e-12)
            p = 1 - self.nonuniformity * s
        elif self.profile == "lamps":
            p = sum(
                (1 - self.nonuniformity) ** (((x - lx) ** 2 + (y - ly) ** 2) / 0.5)
                for lx, ly in self.lamps or ()
            )
        else:
            p = _intensity_image(str(self.image), shape)
        return self.energy_j_m2 * p / p.mean()

    def energy_between(self, t0: float, t1: float) -> float:
        """Fraction of a pulse of positive duration delivered in [t0, t1].

        Parameters
        ----------
        t0, t1 : float
            Interval, s after the pulse starts.

        Returns
        -------
        float
        """
        return max(0.0, self._delivered(t1) - self._delivered(t0))

    def _delivered(self, t: float) -> float:
        """Fraction of the pulse delivered by ``t``: exact for the piecewise-linear shape."""
        u = min(max(t / self.duration_s, 0.0), 1.0)
        if self.pulse is None:
            return u
        p = np.asarray(self.pulse, float)
        x = u * (p.size - 1)
        i = min(int(x), p.size - 2)
        f = x - i
        areas = (p[:-1] + p[1:]) / 2
        partial = p[i] * f + (p[i + 1] - p[i]) * f * f / 2
        return float((areas[:i].sum() + partial) / areas.sum())


def _intensity_image(path: str, shape: tuple[int, int]) -> np.ndarray:
    """A flash intensity image from a picture or a ``.npy`` array, stretched to ``shape``."""
    from scipy.ndimage import zoom

    from thermodefect.io.images import read_grey

    if path.lower().endswith(".npy"):
        try:
            image = np.load(path, allow_pickle=False).astype(np.float64)
        except (OSError, ValueError) as exc:
            raise ThermodefectError(f"cannot read the flash image ({exc})", path) from exc
    else:
        image = read_grey(path).astype(np.float64)
    if image.ndim != 2 or not np.isfinite(image).all() or (image < 0).any() or image.mean() <= 0:
        raise ThermodefectError(
            "a flash image must be 2-D, finite, non-negative and not all zero", path
        )
    factors = (shape[0] / image.shape[0], shape[1] / image.shape[1])
    return np.maximum(zoom(image, factors, order=1, mode="nearest", grid_mode=True), 0)


@dataclass(frozen=True)
class Boundary:
    """Heat-transfer coefficients to the ambient, W/(m^2 K); 0 makes a face adiabatic.

    Parameters
    ----------
    h_front : float
        Front (heated, observed) face.
    h_back : float
        Back face, and the bottoms of flat-bottom holes.
    h_edge : float
        Lateral faces: the edges of a plate smaller than the field of view, the walls of
        holes.
    h_edges : (float, float, float, float), optional
        Lateral faces by the way they face, (left, right, top, bottom) in the image, instead
        of ``h_edge`` (a plate clamped on one side, a wall of a hole facing a fan).

    Raises
    ------
    ThermodefectError
        For a negative coefficient, or ``h_edges`` without four values.
    """

    h_front: float = 10.0
    h_back: float = 10.0
    h_edge: float = 10.0
    h_edges: tuple[float, float, float, float] | None = None

    def __post_init__(self):
        values = [self.h_front, self.h_back, self.h_edge, *(self.h_edges or ())]
        if self.h_edges is not None and len(self.h_edges) != 4:
            raise ThermodefectError("boundary h_edges needs four values: left, right, top, bottom")
        if any(not h >= 0 for h in values):
            raise ThermodefectError("heat-transfer coefficients must be non-negative")

    def lateral(self) -> tuple[float, float, float, float]:
        """Coefficients of the faces looking left, right, up and down, W/(m^2 K).

        Returns
        -------
        (float, float, float, float)
        """
        if self.h_edges is None:
            return (self.h_edge, self.h_edge, self.h_edge, self.h_edge)
        left, right, top, bottom = self.h_edges
        return (left, right, top, bottom)


@dataclass(frozen=True)
class Grid:
    """Discretisation: one cell per pixel laterally, ``nz`` layers through the thickness.

    Parameters
    ----------
    shape : (int, int)
        Image (H, W).
    pitch_mm : float
        Pixel size, mm.
    nz : int
        Layers.

    Raises
    ------
    ThermodefectError
        For nz < 2, an empty shape or a non-positive pitch.
    """

    shape: tuple[int, int]
    pitch_mm: float
    nz: int = 24

    def __post_init__(self):
        if self.nz < 2 or min(self.shape) < 1 or self.pitch_mm <= 0:
            raise ThermodefectError("grid needs nz >= 2, a positive shape and pixel pitch")


@dataclass
class Model:
    """Cell and face arrays of a discretised plate (torch tensors, SI units).

    Parameters
    ----------
    heat : (nz, H, W) torch.Tensor
        rho c dz per unit plan area, J/(m^2 K); 1 for removed cells.
    active : (nz, H, W) torch.Tensor of bool
        Cells holding material.
    gz : (nz + 1, H, W) torch.Tensor
        Conductances of the faces between layers, W/(m^2 K) (the two ends zero).
    sink : (nz, H, W) torch.Tensor
        Exchange with the ambient through front and back faces, W/(m^2 K).
    gx : (nz, H, W - 1) torch.Tensor
        Conductances between columns per unit plan area, W/(m^2 K).
    gy : (nz, H - 1, W) torch.Tensor
        Conductances between rows per unit plan area, W/(m^2 K).
    edge : (nz, H, W) torch.Tensor
        Lateral loss to the ambient, W/(m^2 K).
    dz : float
        Layer thickness, m.
    depth_faces : dict of int to float
        Defect index -> depth (mm) of the face that represents it.
    """

    heat: torch.Tensor  # (nz, H, W) J/(m^2 K): rho c dz per unit plan area; 1 for removed cells
    active: torch.Tensor  # (nz, H, W) bool
    gz: torch.Tensor  # (nz + 1, H, W) W/(m^2 K): conductances of interior faces (ends zero)
    sink: torch.Tensor  # (nz, H, W) W/(m^2 K): exchange with the ambient through front/back faces
    gx: torch.Tensor  # (nz, H, W - 1) W/(m^2 K) per unit plan area between columns
    gy: torch.Tensor  # (nz, H - 1, W)
    edge: torch.Tensor  # (nz, H, W) W/(m^2 K): lateral loss to the ambient
    dz: float
    depth_faces: dict  # defect index -> depth (mm) of the face used


def build_model(
    plate: Plate,
    grid: Grid,
    boundary: Boundary,
    *,
    conductivity: np.ndarray | None = None,
    device="cpu",
    dtype=None,
) -> Model:
    """Discretise ``plate`` on ``grid``.

    Parameters
    ----------
    plate : Plate
        Plate and defects.
    grid : Grid
        The cells.
    boundary : Boundary
        Losses to the ambient.
    conductivity : (H, W) ndarray, optional
        In-plane conductivity relative to the plate's, per pixel (a ply texture).
    device : str
        Torch device.
    dtype : torch.dtype, optional
        Default float32.

    Returns
    -------
    Model
    """
    import torch

    dtype = dtype or torch.float32
    nz, (h, w) = grid.nz, grid.shape
    dz = plate.thickness_mm * 1e-3 / nz
    dx = grid.pitch_mm * 1e-3
    body = plate.body_material()
    on_plate = plate.region(grid.shape, grid.pitch_mm)
    active = np.broadcast_to(on_plate, (nz, h, w)).copy()
    # per cell: heat capacity (J/(m^3 K)), the plate's share of the cell and the layers'
    # in-plane conductivities times their shares (W/(m K): in parallel with the plate); per
    # half cell: the through-thickness resistivity (m K/W: a layer in series with the plate's
    # share), so a thin layer's resistance sits at the cell face nearest to it
    rho_c = np.full((nz, h, w), body.rho_c)
    inv_kz = np.full((2 * nz, h, w), 1 / body.k_z)
    plate_share = np.ones((nz, h, w))
    layer_kx, layer_ky = np.zeros((nz, h, w)), np.zeros((nz, h, w))
    depth_faces = {}
    for i, d in enumerate(plate.defects):
        foot = d.footprint(grid.shape, grid.pitch_mm) & on_plate
        if d.removes_material:
            face = int(np.clip(round(d.depth_mm * 1e-3 / dz), 1, nz - 1))
            depth_faces[i] = face * dz * 1e3
            active[face:, foot] = False
            continue
        depth_faces[i] = d.depth_mm
        layer = d.layer_material(body)
        halves = layer_share(d.depth_mm, d.thickness_mm, 2 * nz, plate.thickness_mm)
        inv_kz += halves[:, None, None] * foot[None] * (1 / layer.k_z - 1 / body.k_z)
        share = halves.reshape(nz, 2).mean(axis=1)[:, None, None] * foot[None]
        rho_c += share * (layer.rho_c - body.rho_c)
        plate_share -= share
        layer_kx += share * layer.k_x
        layer_ky += share * layer.k_y
    heat = np.where(active, rho_c * dz, 1.0)
    gz = np.zeros((nz + 1, h, w))
    both = active[1:] & active[:-1]
    gz[1:-1] = np.where(both, 1.0 / (dz / 2 * (inv_kz[1:-1:2] + inv_kz[2::2])), 0.0)
    # losses to the ambient through the front face and each column's exposed bottom (the
    # plate's back or a hole's bottom)
    exposed_bottom = active & ~np.concatenate([active[1:], np.zeros((1, h, w), bool)])
    sink = np.where(exposed_bottom, boundary.h_back, 0.0)
    sink[0] += np.where(active[0], boundary.h_front, 0.0)
    if conductivity is not None:
        plate_share = plate_share * np.asarray(conductivity, float)[None]
    kx, ky = body.k_x * plate_share + layer_kx, body.k_y * plate_share + layer_ky
    gx = np.where(active[:, :, 1:] & active[:, :, :-1], _harmonic(kx[:, :, 1:], kx[:, :, :-1]), 0.0)
    gy = np.where(active[:, 1:, :] & active[:, :-1, :], _harmonic(ky[:, 1:, :], ky[:, :-1, :]), 0.0)
    gx, gy = gx * dz / dx**2, gy * dz / dx**2
    # a lateral face is exposed where the neighbour is missing; beyond the image only when
    # the plate ends inside it
    beyond = plate.size_mm is not None
    outside = np.full((nz, h, 1), beyond), np.full((nz, 1, w), beyond)
    missing = (
        ~np.concatenate([~outside[0], active[:, :, :-1]], axis=2),  # left
        ~np.concatenate([active[:, :, 1:], ~outside[0]], axis=2),  # right
        ~np.concatenate([~outside[1], active[:, :-1, :]], axis=1),  # up
        ~np.concatenate([active[:, 1:, :], ~outside[1]], axis=1),  # down
    )
    edge = sum(h_face * (active & m) for h_face, m in zip(boundary.lateral(), missing, strict=True))
    edge = edge * dz / dx

    def t(a, dt=dtype):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=device)

    return Model(
        t(heat), t(active, torch.bool), t(gz), t(sink), t(gx), t(gy), t(edge), dz, depth_faces
    )


def layer_share(depth_mm: float, thickness_mm: float, nz: int, plate_mm: float) -> np.ndarray:
    """Share of each of ``nz`` equal cells through a plate that a layer fills.

    Parameters
    ----------
    depth_mm : float
        Depth of the layer's top below the front face, mm.
    thickness_mm : float
        The layer's thickness, mm.
    nz : int
        Cells through the thickness.
    plate_mm : float
        Plate thickness, mm.

    Returns
    -------
    (nz,) ndarray
        Between 0 and 1; sums to ``thickness_mm / (plate_mm / nz)`` for a layer inside the plate.
    """
    tops = np.arange(nz) * plate_mm / nz
    bottoms = tops + plate_mm / nz
    overlap = np.minimum(bottoms, depth_mm + thickness_mm) - np.maximum(tops, depth_mm)
    return np.clip(overlap / (plate_mm / nz), 0.0, 1.0)


def _harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Conductivity of the face between two cells of conductivities a and b: 2ab / (a + b)."""
    return 2 * a * b / (a + b)


class _Through:
    """Implicit through-thickness step: (C + k A) u = rhs per pixel column, solved by the
    Thomas algorithm, elimination and back-substitution in one pass (no factorisation to keep,
    so every step size costs the same)."""

    def __init__(self, model: Model):
        import torch

        zero = torch.zeros_like(model.heat)
        active = model.active
        self.heat = model.heat
        self.lower = torch.where(active, model.gz[:-1], zero)
        self.upper = torch.where(active, model.gz[1:], zero)
        self.lower[0] = 0
        self.upper[-1] = 0
        self.diag = torch.where(active, model.gz[:-1] + model.gz[1:] + model.sink, zero)
        self.cprime = torch.empty_like(zero)
        self.scratch = torch.empty_like(zero[0])

    def solve(self, rhs, k: float):
        """Overwrite ``rhs`` with the solution for ``k`` = theta times the step, s."""
        import torch

        c, m = self.cprime, self.scratch
        torch.add(self.heat[0], self.diag[0], alpha=k, out=m).reciprocal_()
        torch.mul(self.upper[0], m, out=c[0]).mul_(-k)
        rhs[0] *= m
        for i in range(1, rhs.shape[0]):  # m = 1 / (C + k D + k L c'), L and U negated
            torch.mul(self.lower[i], c[i - 1], out=m).add_(self.diag[i]).mul_(k)
            m.add_(self.heat[i]).reciprocal_()
            torch.mul(self.upper[i], m, out=c[i]).mul_(-k)
            rhs[i].add_(self.lower[i] * rhs[i - 1], alpha=k).mul_(m)
        for i in range(rhs.shape[0] - 2, -1, -1):
            rhs[i] -= c[i] * rhs[i + 1]
        return rhs


def lateral_limit(model: Model) -> float:
    """Largest stable explicit lateral step.

    Parameters
    ----------
    model : Model
        The discretised plate (:func:`build_model`).

    Returns
    -------
    float
        s (infinite when nothing conducts laterally).
    """
    import torch

    rate = model.edge.clone()
    rate[:, :, 1:] += model.gx
    rate[:, :, :-1] += model.gx
    rate[:, 1:, :] += model.gy
    rate[:, :-1, :] += model.gy
    worst = float(torch.max(rate / model.heat))
    return float("inf") if worst == 0 else 0.9 / worst


def rkl2_stages(ratio: float) -> int:
    """Stages of the explicit lateral step: 1 (forward Euler) up to the stability limit, else
    the fewest RKL2 stages s whose stable step (s^2 + s - 2) / 4 limits covers ``ratio``.

    Parameters
    ----------
    ratio : float
        The step over the forward-Euler limit (:func:`lateral_limit`).

    Returns
    -------
    int
    """
    if ratio <= 1:
        return 1
    return max(2, int(np.ceil((np.sqrt(9 + 16 * ratio) - 1) / 2 - 1e-9)))


def _rkl2_b(j: int) -> float:
    return 1 / 3 if j < 2 else (j * j + j - 2) / (2 * j * (j + 1))


class _Lateral:
    """Lateral conduction and edge losses, stepped explicitly: forward Euler, or the
    second-order Runge-Kutta-Legendre super-time-step (RKL2; Meyer, Balsara and Aslam,
    J. Comput. Phys. 257, 2014) whose s stages are stable up to (s^2 + s - 2) / 4 Euler limits,
    so a step of n limits costs about sqrt(4 n) evaluations instead of n."""

    def __init__(self, model: Model):
        import torch

        self.model = model
        self.limit = lateral_limit(model)
        self.inv_heat = 1 / model.heat
        self.edges = bool(model.edge.abs().sum() > 0)
        self.buffers = [torch.empty_like(model.heat) for _ in range(5)]

    def rate(self, u, out):
        """dU/dt of the lateral part, K/s, written into ``out``."""
        import torch

        m = self.model
        if self.edges:
            torch.mul(m.edge, u, out=out)
            out.neg_()
        else:
            out.zero_()
        fx = m.gx * (u[:, :, 1:] - u[:, :, :-1])
        out[:, :, :-1] += fx
        out[:, :, 1:] -= fx
        fy = m.gy * (u[:, 1:, :] - u[:, :-1, :])
        out[:, :-1, :] += fy
        out[:, 1:, :] -= fy
        out *= self.inv_heat
        return out

    def advance(self, u, step: float):
        """``u`` after ``step`` seconds of lateral conduction, in place."""
        import torch

        stages = rkl2_stages(step / self.limit)
        rate, first, *ys = self.buffers
        if stages == 1:
            return u.add_(self.rate(u, rate), alpha=step)
        w1 = 4 / (stages * stages + stages - 2)
        self.rate(u, first)
        prev2, prev = u, torch.add(u, first, alpha=_rkl2_b(1) * w1 * step, out=ys[0])
        for j in range(2, stages + 1):
            mu = (2 * j - 1) / j * _rkl2_b(j) / _rkl2_b(j - 1)
            nu = -(j - 1) / j * _rkl2_b(j) / _rkl2_b(j - 2)
            y = torch.mul(prev, mu, out=ys[(j - 1) % 3])
            y.add_(prev2, alpha=nu).add_(u, alpha=1 - mu - nu)
            y.add_(self.rate(prev, rate), alpha=mu * w1 * step)
            y.add_(first, alpha=-(1 - _rkl2_b(j - 1)) * mu * w1 * step)
            prev2, prev = prev, y
        return u.copy_(prev)


def march(
    model: Model,
    flash: Flash,
    times: np.ndarray,
    *,
    growth: float = 1.25,
    relative_step: float = 0.02,
    max_step: float | None = None,
    absorptivity: np.ndarray | None = None,
) -> Iterator:
    """Yield the cell temperature rises at each of ``times``.

    Strang splitting of lateral (explicit: Euler or RKL2) and through-thickness (implicit)
    conduction, see the module docstring. Through the thickness the first
    ``SMOOTHING_STEPS`` steps are backward Euler and the rest Crank-Nicolson (Rannacher's
    start, second order without oscillations); steps stay below ``relative_step`` times the
    elapsed time and below ``max_step``. With M = C + dt A / 2, Crank-Nicolson's
    M u' = (C - dt A / 2) u + E is solved as u' = M^-1 (2 C u + E) - u: one tridiagonal
    solve, no product with A.

    Parameters
    ----------
    model : Model
        The discretised plate (:func:`build_model`).
    flash : Flash
        The pulse.
    times : (T,) array_like
        Output times, s after the pulse starts, positive and increasing.
    growth : float
        Factor by which successive steps grow.
    relative_step : float
        Largest step as a fraction of the elapsed time (of the flash duration while it lasts).
    max_step : float, optional
        Largest step, s.
    absorptivity : (H, W) ndarray, optional
        Share of the flash's pattern absorbed, relative (a surface's emissivity marks).

    Yields
    ------
    (nz, H, W) torch.Tensor
        Temperature rise of every cell, K.

    Raises
    ------
    ThermodefectError
        For times that are not positive and increasing.
    """
    import torch

    times = np.asarray(times, np.float64)
    if times.ndim != 1 or np.any(np.diff(times) <= 0) or times[0] <= 0:
        raise ThermodefectError("output times must be positive and increasing")
    heat, active = model.heat, model.active
    shape = (int(heat.shape[1]), int(heat.shape[2]))
    pattern = flash.pattern(shape) * (1.0 if absorptivity is None else absorptivity)
    energy = torch.as_tensor(pattern, dtype=heat.dtype, device=heat.device)
    energy = torch.where(active[0], energy, torch.zeros_like(energy))
    u = torch.zeros_like(heat)
    longest = max_step or np.inf
    dt = first = min(
        longest, flash.duration_s / 4 if flash.duration_s > 0 else 1e-4 * times[0] + 1e-6
    )
    if flash.duration_s == 0:
        u[0] = energy / heat[0]
    through = _Through(model)
    t, n_steps = 0.0, 0
    lateral = _Lateral(model) if bool((model.gx.abs().sum() + model.gy.abs().sum()) > 0) else None
    pending = 0.0  # lateral seconds owed: the second half of the last step
    for target in times:
        while t < target * (1 - 1e-12):
            remaining = target - t
            scale = max(t, flash.duration_s)
            cap = min(longest, relative_step * scale) if scale > 0 else first
            step = remaining / np.ceil(remaining / min(dt, cap) * (1 - 1e-9))
            if lateral is not None:
                u = lateral.advance(u, pending + step / 2)
                pending = step / 2
            theta = 1.0 if n_steps < SMOOTHING_STEPS else 0.5
            rhs = heat * u
            if theta < 1:
                rhs *= 2
            if flash.duration_s > 0:
                share = flash.energy_between(t, t + step)
                if share > 0:
                    rhs[0] += share * energy
            solved = through.solve(rhs, theta * step)
            u = solved.sub_(u) if theta < 1 else solved
            t = target if remaining - step <= 1e-12 * target else t + step
            dt = min(dt, cap) * growth
            n_steps += 1
        if lateral is not None and pending > 0:
            u = lateral.advance(u, pending)
            pending = 0.0
        yield u


def surface(u) -> np.ndarray:
    """Front-face temperature from the first two layers: (9 u_0 - u_1) / 8.

    Parameters
    ----------
    u : (nz, H, W) torch.Tensor
        Cell temperature rises.

    Returns
    -------
    (H, W) ndarray of float32
    """
    return ((9 * u[0] - u[1]) / 8).cpu().numpy()


def heat_content(model: Model, u) -> float:
    """Heat stored in the plate per unit plan area, summed over pixels.

    Parameters
    ----------
    model : Model
        The discretised plate (:func:`build_model`).
    u : (nz, H, W) torch.Tensor
        Cell temperature rises, K.

    Returns
    -------
    float
        J/m^2.
    """
    import torch

    return float(torch.where(model.active, model.heat * u, torch.zeros_like(u)).double().sum())


def simulate_surface(
    model: Model, flash: Flash, times: np.ndarray, *, progress=None, **steps
) -> np.ndarray:
    """Front-surface temperature rise at ``times``.

    Parameters
    ----------
    model : Model
        The discretised plate (:func:`build_model`).
    flash : Flash
        The pulse.
    times : (T,) array_like
        Seconds after the pulse starts.
    progress : callable, optional
        Called as ``progress(done, total)``.
    **steps
        Passed on to :func:`march` (``growth``, ``relative_step``, ``max_step``,
        ``absorptivity``).

    Returns
    -------
    (T, H, W) ndarray of float32
        K.
    """
    times = np.asarray(times, np.float64)
    out = np.empty((times.size, *model.heat.shape[1:]), np.float32)
    for i, u in enumerate(march(model, flash, times, **steps)):
        out[i] = surface(u)
        if progress is not None:
            progress(i + 1, times.size)
    return out
