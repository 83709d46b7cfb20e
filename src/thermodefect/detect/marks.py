"""Surface marks: regions whose contrast is emissivity, not something under the surface.

Paint, labels, text and stains change the emissivity of a patch of the front face. The patch
absorbs the flash and radiates in proportion, so its relative contrast against the sound plate,
(mean of the region - sound mean) / sound mean, is there from the first frame and stays as the
plate cools. A defect's relative contrast builds up as the heat reaches it and fades as the
plate equilibrates: on every defect of the randomised set that shows from the first frames,
the contrast over the last tenth of the record was at most 0.17 of its peak, while every
emissivity mark the classical methods called kept at least 0.42 of it
(``docs/results.md``).
"""

from __future__ import annotations

import numpy as np

from thermodefect.io.files import frames_dot
from thermodefect.sequence import Sequence

__all__ = [
    "EARLY_SHARE",
    "LATE_SHARE",
    "surface_marks",
]

#: A mark's relative contrast over the first 2 % of the frames reaches this share of its peak
#: (counted from the first frame the camera did not clip,
#: :func:`~thermodefect.preprocess.clipped_frames`: a clipped frame holds no contrast).
EARLY_SHARE = 0.4

#: ... and over the last 10 % of the frames still this share, with the same sign.
LATE_SHARE = 0.3


def surface_marks(mask: np.ndarray, cooling: Sequence) -> np.ndarray:
    """The regions of ``mask`` that are surface marks (see the module docstring).

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        Detected regions (8-connected).
    cooling : Sequence
        The cooling as a rise (:func:`thermodefect.detect.prepare`), aligned with ``mask``.

    Returns
    -------
    (H, W) ndarray of bool
        The pixels of the regions judged marks.
    """
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return np.zeros(mask.shape, bool)
    sound = ~ndimage.binary_dilation(mask, iterations=2)
    plate = cooling.meta.extra.get("plate")
    if plate is not None:
        sound &= plate
    if not sound.any():
        return np.zeros(mask.shape, bool)
    weights = np.zeros((mask.size, n + 1), np.float32)
    weights[np.arange(mask.size), labels.ravel()] = 1.0
    weights[:, 0] = sound.ravel()
    weights /= weights.sum(axis=0)
    means = frames_dot(cooling.frames, weights)  # (T, n + 1)
    level = means[:, :1]
    relative = (means[:, 1:] - level) / np.where(np.abs(level) > 0, np.abs(level), np.inf)
    t = relative.shape[0]
    first = min(int(cooling.meta.extra.get("clipped_frames", 0)), t - 1)  # not what clipping hid
    early = relative[first : first + max(1, t // 50)].mean(axis=0)
    late = relative[-max(1, t // 10) :].mean(axis=0)
    peak = relative[np.argmax(np.abs(relative), axis=0), np.arange(n)]
    safe = np.where(peak != 0, peak, np.inf)
    marks = (early / safe >= EARLY_SHARE) & (late / safe >= LATE_SHARE)
    return np.concatenate([[False], marks])[labels]
