"""Dead, hot and stuck pixels: finding them and replacing them."""

from __future__ import annotations

import numpy as np

from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence


def find_bad_pixels(seq: Sequence, *, z: float = 8.0) -> np.ndarray:
    """Dead, hot or stuck pixels, (H, W) bool.

    A pixel is bad when its temporal mean or temporal standard deviation departs from the
    median of its 3x3 neighbourhood by more than ``z`` robust standard deviations (MAD of
    those departures over the image), or when it never changes while its neighbours do.
    """
    from scipy import ndimage

    mean = seq.frames.mean(axis=0, dtype=np.float64)
    std = seq.frames.std(axis=0, dtype=np.float64)
    bad = np.zeros(seq.image_shape, bool)
    for stat in (mean, std):
        dev = stat - ndimage.median_filter(stat, size=3, mode="reflect")
        mad = 1.4826 * np.median(np.abs(dev - np.median(dev)))
        if mad > 0:
            bad |= np.abs(dev) > z * mad
    neighbour_std = ndimage.median_filter(std, size=3, mode="reflect")
    bad |= (std == 0) & (neighbour_std > 0)
    return bad


def replace_bad_pixels(seq: Sequence, bad: np.ndarray | None = None, *, z: float = 8.0) -> Sequence:
    """Replace each bad pixel, in every frame, by the median of its good 8-neighbours."""
    bad = find_bad_pixels(seq, z=z) if bad is None else np.asarray(bad, bool)
    if bad.shape != seq.image_shape:
        raise fail(seq, f"bad-pixel map is {bad.shape}, frames are {seq.image_shape}")
    if not bad.any():
        return seq.derive("replace_bad_pixels(0)")
    h, w = seq.image_shape
    r, c = np.nonzero(bad)
    offsets = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]
    rr = np.clip(r[:, None] + np.array([o[0] for o in offsets]), 0, h - 1)
    cc = np.clip(c[:, None] + np.array([o[1] for o in offsets]), 0, w - 1)
    neighbours = seq.frames[:, rr, cc].astype(np.float64)
    neighbours[:, bad[rr, cc]] = np.nan
    frames = seq.frames.copy()
    fill = np.nanmedian(neighbours, axis=2) if (~bad[rr, cc]).any(axis=1).all() else None
    if fill is None:
        raise fail(seq, "bad pixels form clusters with no good neighbour; cannot replace them")
    frames[:, r, c] = fill
    return seq.derive(f"replace_bad_pixels({int(bad.sum())})", frames=frames)
