"""Changing the image grid: area resizing."""

from __future__ import annotations

import numpy as np

from thermodefect.io.masks import resize_nearest
from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence

__all__ = [
    "resize",
]


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix averaging input pixels by their overlap with each output pixel."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return (overlap / (hi - lo)).astype(np.float32)


def resize(seq: Sequence, shape: tuple[int, int], *, pixel_pitch: bool = True) -> Sequence:
    """Resize frames by area interpolation; the mask by nearest neighbour.

    Area interpolation averages the input pixels each output pixel covers (exact block means
    for integer factors), so noise is averaged, not aliased.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    shape : (int, int)
        The new (H, W).
    pixel_pitch : bool
        Scale the pixel pitch by the mean of the two factors.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        For a size below 1 pixel. The message names the file.
    """
    h, w = (int(shape[0]), int(shape[1]))
    if h < 1 or w < 1:
        raise fail(seq, f"resize needs a positive size, got {h}x{w}")
    rows, cols = _area_weights(seq.image_shape[0], h), _area_weights(seq.image_shape[1], w)
    frames = rows @ seq.frames @ cols.T
    mask = None if seq.mask is None else resize_nearest(seq.mask, (h, w))
    pitch = seq.meta.pixel_pitch_mm
    if pitch and pixel_pitch:
        pitch = pitch * 0.5 * (seq.image_shape[0] / h + seq.image_shape[1] / w)
    return seq.derive(f"resize({h}x{w})", frames=frames, mask=mask, pixel_pitch_mm=pitch)
