"""The plate's thickness under its sound area, from where its back wall shows.

A sound plate's front face cools like Parker's adiabatic plate to first order, whose second
log-derivative d^2 ln T / d (ln t)^2 peaks at t = L^2 / (pi a): so L = sqrt(pi a t) with the
through-thickness diffusivity a. The map reads that time on blocks of pixels (the frames
averaged over each block's sound pixels: a single pixel's second derivative is mostly
noise), with the curve treatment of :func:`thermodefect.detect.depth.back_wall_diffusivity`
(its inverse: that function reads a from a given L over the whole sound plate), except
that the largest peak counts, not the first: the sound plate has one, and noise over a
block can raise a shoulder before it to a third of its height. Each block's value is then
the median of its own and its eight neighbours' (on a 4 mm CFRP plate at NETD 25 mK this
halves the spread, interquartile range +-6 % to +-3 %).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from thermodefect.detect.depth import checked_rate
from thermodefect.detect.log_time import DERIVATIVE_WINDOW, first_peaks, log_time_curves
from thermodefect.sequence import Sequence

if TYPE_CHECKING:
    from thermodefect.detect.regions import Detection

__all__ = [
    "BLOCK",
    "MAX_BLOCKS",
    "sound_thickness",
    "thickness_map",
]

#: Smallest block side, pixels, and the most blocks a map reads (larger images get larger
#: blocks).
BLOCK = 4
MAX_BLOCKS = 4096


def thickness_map(
    cooling: Sequence, regions: np.ndarray, diffusivity: float, *, block: int | None = None
) -> np.ndarray:
    """Thickness under every sound pixel, mm: NaN over the regions (and 3 pixels around
    them), off the plate, and where the back wall does not show within the record.

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames with their frame rate.
    regions : (H, W) ndarray of bool
        Detected defects, left out.
    diffusivity : float
        Through-thickness diffusivity, m^2/s.
    block : int, optional
        Block side, pixels; default the smallest of at least :data:`BLOCK` that keeps the
        blocks within :data:`MAX_BLOCKS`. Blocks with fewer than half their pixels sound
        stay NaN.

    Returns
    -------
    (H, W) ndarray of float32

    Raises
    ------
    ThermodefectError
        Without a frame rate.
    """
    from scipy import ndimage
    from scipy.signal import savgol_filter

    checked_rate(cooling)
    h, w = cooling.image_shape
    if block is None:
        block = max(BLOCK, int(np.ceil(np.sqrt(h * w / MAX_BLOCKS))))
    sound = ~ndimage.binary_dilation(regions, iterations=3)
    plate = cooling.meta.extra.get("plate")
    if plate is not None:
        sound &= plate
    rows, cols = h // block, w // block
    out = np.full((h, w), np.nan, np.float32)
    if rows == 0 or cols == 0:
        return out
    # each block's label (-1 outside the whole blocks and off the sound plate)
    index = np.full((h, w), -1)
    grid = np.arange(rows * cols).reshape(rows, cols)
    index[: rows * block, : cols * block] = np.kron(grid, np.ones((block, block), int))
    index[~sound] = -1
    counts = np.bincount(index[index >= 0], minlength=rows * cols)
    kept = np.nonzero(counts >= block * block / 2)[0]
    if len(kept) == 0:
        return out
    # the block means, one sparse product per frame: no copy of the pixels
    from scipy.sparse import csr_matrix

    flat = index.ravel()
    on = np.isin(flat, kept)
    means = csr_matrix(
        (1.0 / counts[flat[on]], (np.searchsorted(kept, flat[on]), np.nonzero(on)[0])),
        shape=(len(kept), h * w),
    )
    frames = cooling.frames.reshape(cooling.n_frames, -1)
    curves = np.stack([means @ frame for frame in frames])
    times = np.asarray(cooling.times, np.float64)
    log_grid, log_curves = log_time_curves(times, curves)
    window = min(DERIVATIVE_WINDOW, len(log_grid) - (1 - len(log_grid) % 2))
    second = savgol_filter(log_curves, window, 3, deriv=2, axis=0,
                           delta=float(log_grid[1] - log_grid[0]))  # fmt: skip
    k = first_peaks(second, share=1.0)  # the largest
    thickness = np.where(k >= 0, np.sqrt(np.pi * diffusivity * np.exp(log_grid[k])) * 1e3, np.nan)
    values = np.full(rows * cols, np.nan)
    values[kept] = thickness
    values = _median_of_neighbours(values.reshape(rows, cols))
    out[: rows * block, : cols * block] = np.kron(values, np.ones((block, block)))
    out[~sound] = np.nan
    return out


def sound_thickness(seq: Sequence, found: Detection, diffusivity: float) -> np.ndarray:
    """:func:`thickness_map` of a detection's sound area, from every frame of the cooling
    with uneven heating left uncorrected (the correction subtracts a smooth surface from every
    frame, which bends each pixel's cooling; an uneven flash only scales it).

    Parameters
    ----------
    seq : Sequence
        The sequence ``found`` came from.
    found : Detection
        Its detection (the regions are left out).
    diffusivity : float
        Through-thickness diffusivity, m^2/s.

    Returns
    -------
    (H, W) ndarray of float32
        mm, NaN where not read.
    """
    from thermodefect.detect.classical import prepare

    cooling = found.cooling  # reused when it is the classical cooling, left uncorrected
    if not any(step.startswith("heating even") for step in cooling.meta.history):
        cooling = prepare(seq, heating=False)
    return thickness_map(cooling, found.mask, diffusivity)


def _median_of_neighbours(values: np.ndarray) -> np.ndarray:
    """Each block's median with its 8 neighbours, NaN left out (NaN blocks stay NaN): noise
    moves a block's peak by a few log steps, a thickness step is blurred by one block."""
    padded = np.pad(values, 1, constant_values=np.nan)
    rows, cols = values.shape
    stack = np.stack([padded[i : i + rows, j : j + cols] for i in range(3) for j in range(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN neighbourhood
        median = np.nanmedian(stack, axis=0)
    return np.where(np.isfinite(values), median, np.nan)
