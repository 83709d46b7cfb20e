"""3-D transient heat conduction in a plate after a flash: finite volumes on torch.

Cells: the camera's pixels laterally (pitch dx = dy) and ``nz`` equal layers through the
thickness. Each cell holds its own conductivities (x, y, z) and heat capacity; face
conductances are harmonic means. Holes remove cells (their bottom becomes an exposed back
face); inserts and delaminations add a thermal resistance (layer thickness / conductivity)
at the cell face nearest their depth, neglecting the thin layer's heat capacity.

Time stepping: each step first moves heat laterally (explicit, the step kept below the
lateral stability limit) and then solves the through-thickness conduction implicitly (a
tridiagonal system per pixel column by the Thomas algorithm: backward Euler for the first
``SMOOTHING_STEPS`` steps, Crank-Nicolson after them, Rannacher's start), so any time step is
stable through the thickness, where the gradients are steep. Steps start at a
quarter of the flash duration and grow geometrically (factor ``growth``) to the largest
stable one, landing exactly on every output time. The flash is a surface flux Q/tau over
[0, tau] with a spatial profile; faces exchange heat with the ambient (temperature rise 0)
through coefficients h (0 = adiabatic).

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
    "simulate_surface",
    "surface",
]

PROFILES = ("uniform", "gaussian", "gradient")
SMOOTHING_STEPS = 4


@dataclass(frozen=True)
class Flash:
    """The heating pulse.

    Parameters
    ----------
    energy_j_m2 : float
        Absorbed energy per area at the profile's mean, J/m^2.
    duration_s : float
        Length of the rectangular pulse, s (0 = instantaneous).
    profile : {'uniform', 'gaussian', 'gradient'}
        Spatial distribution: even; a lamp centred at ``center`` whose intensity falls to
        ``1 - nonuniformity`` of the peak at the farthest corner; or a linear ramp losing
        ``nonuniformity`` of its peak across the field along ``angle_deg``.
    nonuniformity : float
        Share of the peak intensity lost at the far side, in [0, 1).
    center : (float, float)
        Centre of the ``gaussian`` lamp as fractions of width and height.
    angle_deg : float
        Direction of the ``gradient`` (0 = left to right), degrees.

    Raises
    ------
    ThermodefectError
        For an unknown profile, a non-positive energy, a negative duration or a
        non-uniformity outside [0, 1).
    """

    energy_j_m2: float = 6000.0
    duration_s: float = 0.003
    profile: str = "uniform"
    nonuniformity: float = 0.3
    center: tuple[float, float] = (0.5, 0.5)
    angle_deg: float = 0.0

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
        else:
            a = np.deg2rad(self.angle_deg)
            s = (x - 0.5) * np.cos(a) + (y - 0.5) * np.sin(a)
            s = (s - s.min()) / max(s.max() - s.min(), 1e-12)
            p = 1 - self.nonuniformity * s
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
        lo, hi = max(t0, 0.0), min(t1, self.duration_s)
        return max(0.0, hi - lo) / self.duration_s


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
        Lateral faces of a plate smaller than the field of view.
    """

    h_front: float = 10.0
    h_back: float = 10.0
    h_edge: float = 10.0


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


def build_model(plate: Plate, grid: Grid, boundary: Boundary, *, device="cpu", dtype=None) -> Model:
    """Discretise ``plate`` on ``grid``.

    Parameters
    ----------
    plate : Plate
        Plate and defects.
    grid : Grid
        The cells.
    boundary : Boundary
        Losses to the ambient.
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
    resist = np.zeros((nz + 1, h, w))
    depth_faces = {}
    for i, d in enumerate(plate.defects):
        face = int(np.clip(round(d.depth_mm * 1e-3 / dz), 1, nz - 1))
        depth_faces[i] = face * dz * 1e3
        foot = d.footprint(grid.shape, grid.pitch_mm) & on_plate
        if d.removes_material:
            active[face:, foot] = False
        else:
            layer = d.layer_material()
            resist[face, foot] += d.thickness_mm * 1e-3 / layer.k_z
    kz = np.where(active, body.k_z, 0.0)
    heat = np.where(active, body.rho_c * dz, 1.0)
    gz = np.zeros((nz + 1, h, w))
    both = active[1:] & active[:-1]
    gz[1:-1] = np.where(
        both,
        1.0
        / (dz / np.maximum(kz[1:], 1e-30) / 2 + dz / np.maximum(kz[:-1], 1e-30) / 2 + resist[1:-1]),
        0.0,
    )
    # losses to the ambient through the front face and each column's exposed bottom (the
    # plate's back or a hole's bottom)
    exposed_bottom = active & ~np.concatenate([active[1:], np.zeros((1, h, w), bool)])
    sink = np.where(exposed_bottom, boundary.h_back, 0.0)
    sink[0] += np.where(active[0], boundary.h_front, 0.0)
    lat_x, lat_y = body.k_x * dz / dx**2, body.k_y * dz / dx**2
    gx = np.where(active[:, :, 1:] & active[:, :, :-1], lat_x, 0.0)
    gy = np.where(active[:, 1:, :] & active[:, :-1, :], lat_y, 0.0)
    neighbours = np.zeros((nz, h, w))
    neighbours[:, :, 1:] += active[:, :, :-1]
    neighbours[:, :, :-1] += active[:, :, 1:]
    neighbours[:, 1:, :] += active[:, :-1, :]
    neighbours[:, :-1, :] += active[:, 1:, :]
    exposed_sides = np.where(active, 4 - neighbours, 0)
    if plate.size_mm is None:  # the plate continues beyond the field of view
        exposed_sides[:, :, 0] -= 1
        exposed_sides[:, :, -1] -= 1
        exposed_sides[:, 0, :] -= 1
        exposed_sides[:, -1, :] -= 1
    edge = np.clip(exposed_sides, 0, None) * boundary.h_edge * dz / dx

    def t(a, dt=dtype):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=device)

    return Model(
        t(heat), t(active, torch.bool), t(gz), t(sink), t(gx), t(gy), t(edge), dz, depth_faces
    )


class _Thomas:
    """Factorisation of (C + dt A) per column, reused while dt stays the same."""

    def __init__(self, model: Model, dt: float):
        """``dt`` here is theta times the time step."""
        import torch

        gz, c_heat, active = model.gz, model.heat, model.active
        nz = c_heat.shape[0]
        lower = torch.where(active, -dt * gz[:-1], torch.zeros_like(c_heat))
        upper = torch.where(active, -dt * gz[1:], torch.zeros_like(c_heat))
        diag = torch.where(
            active, c_heat + dt * (gz[:-1] + gz[1:] + model.sink), torch.ones_like(c_heat)
        )
        lower[0] = 0
        upper[-1] = 0
        self.lower = lower
        self.cprime = torch.empty_like(c_heat)
        self.inv = torch.empty_like(c_heat)
        self.inv[0] = 1 / diag[0]
        self.cprime[0] = upper[0] * self.inv[0]
        for k in range(1, nz):
            self.inv[k] = 1 / (diag[k] - lower[k] * self.cprime[k - 1])
            self.cprime[k] = upper[k] * self.inv[k]

    def solve(self, rhs):
        nz = rhs.shape[0]
        d = rhs
        d[0] *= self.inv[0]
        for k in range(1, nz):
            d[k] = (d[k] - self.lower[k] * d[k - 1]) * self.inv[k]
        for k in range(nz - 2, -1, -1):
            d[k] -= self.cprime[k] * d[k + 1]
        return d


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


def march(
    model: Model,
    flash: Flash,
    times: np.ndarray,
    *,
    growth: float = 1.25,
    relative_step: float = 0.2,
    max_step: float | None = None,
) -> Iterator:
    """Yield the cell temperature rises at each of ``times``.

    Through the thickness the first ``SMOOTHING_STEPS`` steps are backward Euler and the
    rest Crank-Nicolson (Rannacher's start, second order without oscillations); steps stay
    below ``relative_step`` times the elapsed time, below the lateral stability limit and
    below ``max_step``. With M = C + dt A / 2, Crank-Nicolson's M u' = (C - dt A / 2) u + E
    is solved as u' = M^-1 (2 C u + E) - u: one tridiagonal solve, no product with A.

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
        Largest step as a fraction of the elapsed time.
    max_step : float, optional
        Largest step, s.

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
    energy = torch.as_tensor(flash.pattern(shape), dtype=heat.dtype, device=heat.device)
    energy = torch.where(active[0], energy, torch.zeros_like(energy))
    u = torch.zeros_like(heat)
    limit = min(lateral_limit(model), max_step or np.inf)
    dt = min(limit, flash.duration_s / 4 if flash.duration_s > 0 else 1e-4 * times[0] + 1e-6)
    if flash.duration_s == 0:
        u[0] = energy / heat[0]
    solvers: list[tuple[float, _Thomas]] = []
    t, n_steps = 0.0, 0
    lateral = bool((model.gx.abs().sum() + model.gy.abs().sum()) > 0)
    edges = bool(model.edge.abs().sum() > 0)
    inv_heat = 1 / heat
    du = torch.empty_like(u)
    for target in times:
        while t < target * (1 - 1e-12):
            remaining = target - t
            cap = min(limit, max(relative_step * t, dt))
            if dt >= cap:
                step = remaining / np.ceil(remaining / cap * (1 - 1e-9))
            else:
                step = min(dt, remaining)
            if lateral:
                if edges:
                    torch.mul(model.edge, u, out=du)
                    du.neg_()
                else:
                    du.zero_()
                fx = model.gx * (u[:, :, 1:] - u[:, :, :-1])
                du[:, :, :-1] += fx
                du[:, :, 1:] -= fx
                fy = model.gy * (u[:, 1:, :] - u[:, :-1, :])
                du[:, :-1, :] += fy
                du[:, 1:, :] -= fy
                du *= inv_heat
                u.add_(du, alpha=step)
            theta = 1.0 if n_steps < SMOOTHING_STEPS else 0.5
            rhs = heat * u
            if theta < 1:
                rhs *= 2
            if flash.duration_s > 0:
                share = flash.energy_between(t, t + step)
                if share > 0:
                    rhs[0] += share * energy
            key = theta * step
            solver = next((s for d, s in solvers if abs(d - key) <= 1e-9 * key), None)
            if solver is None:
                solver = _Thomas(model, key)
                solvers = [*solvers[-3:], (key, solver)]
            u = solver.solve(rhs) - u if theta < 1 else solver.solve(rhs)
            t = target if remaining - step <= 1e-12 * target else t + step
            dt = min(limit, dt * growth)
            n_steps += 1
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
        Passed on to :func:`march` (``growth``, ``relative_step``, ``max_step``).

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
