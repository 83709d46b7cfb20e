"""Whether a sequence is something the detectors know: a flashed plate that cools.

Both detection paths assume the physics of pulsed thermography: after the flash every pixel of
the plate cools (a defect slows or speeds its cooling; only a pixel next to a much hotter one
can warm a little, by lateral diffusion). A sequence in which much of the plate warms again,
or whose plate as a whole does not cool, is something else (a moving scene, a flickering
source, frames out of order, a step-heating or lock-in record): its "defects" would be
invented. :func:`out_of_distribution` says so in one line.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from thermodefect.io.files import frames_means
from thermodefect.sequence import Sequence

__all__ = [
    "LOG_BINS",
    "WARMING_SHARE",
    "model_out_of_distribution",
    "out_of_distribution",
    "warming_share",
]

#: Log-spaced time bins the cooling is averaged into (noise drops, every decade weighs).
LOG_BINS = 12

#: Share of the plate that may warm again after the flash before the sequence counts as out of
#: distribution (at most 0.03 on any plate of the randomised, standard, FE check and demo sets,
#: strongly uneven lamps included; a moving checkerboard reaches 0.82).
WARMING_SHARE = 0.25

#: A network calling more than this share of the plate paints the image, not defects (the
#: largest defect share of its training plates is far below it).
MODEL_SHARE = 0.5


def _edges(t: int, spacing: str) -> np.ndarray:
    """Edges of :data:`LOG_BINS` log-spaced (or evenly spaced) bins of ``t`` frame indices."""
    if spacing == "log":
        return np.unique(np.round(np.geomspace(1, t + 1, LOG_BINS + 1)).astype(int) - 1)
    return np.unique(np.round(np.linspace(0, t, LOG_BINS + 1)).astype(int))


def warming_share(frames: np.ndarray, plate: np.ndarray | None = None) -> float:
    """Share of the plate's pixels that warm again after their early maximum.

    Each pixel's cooling is averaged over :data:`LOG_BINS` log-spaced bins (every decade of
    time weighs) and, separately, over as many even bins (late changes show); a pixel warms
    again when, in either,, after the bin of its maximum, a later bin rises above the lowest value
    before it by more than a tenth of the pixel's range and more than four times the noise
    of its bins (the median over pixels of the mean absolute second difference of the bins,
    so that noise alone never counts).

    Parameters
    ----------
    frames : (T, H, W) ndarray
        The cooling as a rise, first frame right after the flash.
    plate : (H, W) ndarray of bool, optional
        Pixels considered (default all).

    Returns
    -------
    float
        In [0, 1].
    """
    frames = np.asarray(frames)
    return _share(_bins(frames), frames.shape[1:], plate)


def _bins(frames: np.ndarray) -> dict[str, np.ndarray]:
    """(B, H*W) means of the frames over log-spaced and over evenly spaced bins of frame
    index (:func:`_edges`), from one pass: the sums over the ranges both sets of edges cut."""
    t = frames.shape[0]
    cuts = np.union1d(_edges(t, "log"), _edges(t, "even"))
    sums = frames_means(frames, cuts).reshape(len(cuts) - 1, -1) * np.diff(cuts)[:, None]
    at = {int(c): k for k, c in enumerate(cuts)}
    out = {}
    for spacing in ("log", "even"):
        ranges = pairwise(int(c) for c in _edges(t, spacing))
        out[spacing] = np.stack([sums[at[a] : at[b]].sum(axis=0) / (b - a) for a, b in ranges])
    return out


def _share(bins: dict[str, np.ndarray], shape: tuple, plate: np.ndarray | None) -> float:
    """:func:`warming_share` of binned frames of image ``shape``."""
    warms = None
    for curves in bins.values():
        step = np.diff(curves.reshape(-1, *shape), axis=2)
        noise = 1.4826 * float(np.median(np.abs(step))) / np.sqrt(2)
        if plate is not None:
            curves = curves[:, np.asarray(plate, bool).ravel()]
        if curves.shape[0] < 3 or curves.shape[1] == 0:
            continue
        found = _warming(curves, noise)
        warms = found if warms is None else warms | found
    return 0.0 if warms is None else float(warms.mean())


def _warming(curves: np.ndarray, noise: float) -> np.ndarray:
    """(N,) bool: which of the (B, N) binned curves warm again, given the noise of a bin
    (see :func:`warming_share`)."""
    span = curves.max(axis=0) - curves.min(axis=0)
    peak = np.argmax(curves, axis=0)
    low = np.full(curves.shape[1], np.inf)  # the lowest value after the peak so far
    rise = np.zeros(curves.shape[1])  # the largest rise above it since
    for b, curve in enumerate(curves):  # bin by bin: no (B, N) temporaries
        after = b > peak
        np.minimum(low, np.where(after, curve, np.inf), out=low)
        np.maximum(rise, np.where(after, curve - low, 0.0), out=rise)
    return rise > np.maximum(0.1 * span, 6 * noise)


def out_of_distribution(cooling: Sequence, baseline: np.ndarray | None = None) -> str | None:
    """Why ``cooling`` is not a flashed plate cooling, or None when it is.

    Parameters
    ----------
    cooling : Sequence
        The frames after the flash as a rise (:func:`thermodefect.detect.prepare`, or the
        extracted cooling less its pre-flash baseline); its ``meta.extra["plate"]`` limits the
        test to the plate.
    baseline : (H, W) ndarray, optional
        The pre-flash level still to subtract from ``cooling`` (absolute files), taken from
        the binned means instead of a copy of the frames.

    Returns
    -------
    str or None
        One line for the user.
    """
    plate = cooling.meta.extra.get("plate")
    bins = _bins(np.asarray(cooling.frames))
    if baseline is not None:
        bins = {k: v - np.asarray(baseline, np.float64).ravel() for k, v in bins.items()}
    curves = bins["log"] if plate is None else bins["log"][:, np.asarray(plate, bool).ravel()]
    level = np.median(curves, axis=1)
    if level[-1] >= level[0]:
        return "the plate does not cool after the flash"
    share = _share(bins, cooling.image_shape, plate)
    if share > WARMING_SHARE:
        return f"{share:.0%} of the plate warms again after the flash; a flashed plate cools"
    return None


def model_out_of_distribution(mask: np.ndarray, plate: np.ndarray | None = None) -> str | None:
    """Why a network's mask cannot be trusted, or None.

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        What the network called.
    plate : (H, W) ndarray of bool, optional
        The plate's pixels (default all).

    Returns
    -------
    str or None
    """
    share = float(mask[plate].mean() if plate is not None else mask.mean())
    if share > MODEL_SHARE:
        return f"the network calls {share:.0%} of the plate a defect"
    return None
