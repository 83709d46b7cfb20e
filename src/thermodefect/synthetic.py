"""Quick analytic stand-in sequences with known defects, for the demo and tests.

This is not the physics simulator: each pixel follows Parker's 1-D solution for its local
thickness (a flat-bottom hole leaves ``depth`` of material), the defect contrast is blurred
by a Gaussian of width sqrt(2 a_lateral t) to mimic lateral diffusion, and the flash may be
uneven. It is fast (well under a second) and gives the qualitative signatures PCT needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.analytic import parker_front
from thermodefect.sequence import Meta, Sequence


@dataclass(frozen=True)
class Hole:
    """Circular flat-bottom hole: centre (row, col) and radius in pixels, remaining depth in mm."""

    row: float
    col: float
    radius_px: float
    depth_mm: float


def plate(
    holes: tuple[Hole, ...] = (),
    *,
    shape: tuple[int, int] = (96, 128),
    n_frames: int = 120,
    preflash: int = 4,
    frame_rate: float = 20.0,
    thickness_mm: float = 3.0,
    diffusivity_mm2_s: float = 0.45,
    lateral_diffusivity_mm2_s: float = 3.0,
    pixel_pitch_mm: float = 0.5,
    peak_rise_k: float = 4.0,
    heating: str = "uniform",
    netd_k: float = 0.025,
    seed: int = 0,
) -> Sequence:
    """A flash-heated plate filmed from the front, first frame subtracted as in the seed.

    ``heating`` is ``'uniform'``, ``'gaussian'`` (lamp centred off-axis, 40% fall-off at the
    corners) or ``'gradient'`` (linear, 30% across). Returns a Sequence with the hole mask.
    """
    h, w = shape
    rng = np.random.default_rng(seed)
    dt = 1.0 / frame_rate
    times = np.arange(n_frames) * dt
    after = times[preflash:] - times[preflash] + dt / 2
    a, lat = diffusivity_mm2_s * 1e-6, lateral_diffusivity_mm2_s * 1e-6
    thick = thickness_mm * 1e-3
    sound = parker_front(after, thick, a)
    scale = peak_rise_k / sound[0]
    rr, cc = np.mgrid[0:h, 0:w]
    mask = np.zeros(shape, bool)
    contrast = np.zeros((after.size, h, w))
    from scipy.ndimage import gaussian_filter

    for hole in holes:
        disk = (rr - hole.row) ** 2 + (cc - hole.col) ** 2 <= hole.radius_px**2
        mask |= disk
        excess = (parker_front(after, hole.depth_mm * 1e-3, a) - sound) * scale
        contrast += excess[:, None, None] * disk[None]
    sigma_px = np.sqrt(2 * lat * after) * 1e3 / pixel_pitch_mm
    for k in range(after.size):
        contrast[k] = gaussian_filter(contrast[k], sigma_px[k], mode="nearest")
    y, x = (rr - h * 0.45) / h, (cc - w * 0.55) / w
    profile = {
        "uniform": np.ones(shape),
        "gaussian": np.exp(-(x**2 + y**2) / (2 * 0.45**2)),
        "gradient": 1 - 0.3 * (cc / max(w - 1, 1)),
    }[heating]
    frames = np.zeros((n_frames, h, w))
    frames[preflash:] = (sound[:, None, None] * scale + contrast) * profile[None]
    frames += rng.normal(0, netd_k, frames.shape)
    frames -= frames[0].copy()
    return Sequence(
        frames=frames.astype(np.float32),
        times=times,
        mask=mask,
        meta=Meta(
            source=None,
            frame_rate=frame_rate,
            pixel_pitch_mm=pixel_pitch_mm,
            baseline="first",
            extra={"generator": "thermodefect.synthetic.plate", "heating": heating},
        ),
    )


def demo_specimens(n: int = 4, seed: int = 0) -> list[tuple[str, Sequence]]:
    """``n`` small plates with grids of holes of growing diameter and depth, like the seed's N*."""
    out = []
    rng = np.random.default_rng(seed)
    for i in range(n):
        holes = tuple(
            Hole(
                row=24 + 48 * r + rng.uniform(-3, 3),
                col=20 + 29 * c + rng.uniform(-3, 3),
                radius_px=3 + c,
                depth_mm=0.4 + 0.4 * r + 0.1 * c,
            )
            for r in range(2)
            for c in range(4)
        )
        heating = ("uniform", "gaussian", "gradient")[i % 3]
        out.append((f"S{i + 1}", plate(holes, heating=heating, seed=seed + i)))
    return out
