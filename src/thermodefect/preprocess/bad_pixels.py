"""Dead, hot and stuck pixels: finding them and replacing them."""

from __future__ import annotations

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import frame_blocks
from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence

__all__ = [
    "NEIGHBOURS",
    "STUCK",
    "STUCK_CLUSTER_SHARE",
    "fill_pixels",
    "find_bad_pixels",
    "replace_bad_pixels",
    "stuck_clusters",
    "temporal_mean_std",
]

#: A pixel whose temporal spread is below this share of its mean never changes (float32
#: rounding of a constant, seen through the float64 accumulation of its moments).
STUCK = 4 * float(np.finfo(np.float32).eps)

#: Largest share of the image a group of constant pixels may cover and still be a camera
#: fault (:func:`stuck_clusters`); the randomised camera's clusters hold 2-9 pixels.
STUCK_CLUSTER_SHARE = 0.01

#: Offsets (row, column) of the 8 neighbours.
NEIGHBOURS = np.array([(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc])


def temporal_mean_std(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's mean and standard deviation over time, in one pass block by block (no
    block-sized temporary: numpy casts in small buffers), accumulated in float64 (so
    E[x^2] - E[x]^2 keeps 1e-11 of the mean squared: millikelvin noise on 300 K is
    resolved).

    Parameters
    ----------
    frames : (T, H, W) ndarray
        Any real frames.

    Returns
    -------
    mean, std : (H, W) ndarray of float64
    """
    t = frames.shape[0]
    total = np.zeros(frames.shape[1:])
    squares = np.zeros(frames.shape[1:])
    for _, part in frame_blocks(frames):
        total += np.add.reduce(part, axis=0, dtype=np.float64)
        squares += np.einsum("tij,tij->ij", part, part, dtype=np.float64)
    mean = total / t
    return mean, np.sqrt(np.maximum(squares / t - mean**2, 0.0))


def _nearest_neighbour_gap(stat: np.ndarray) -> np.ndarray:
    """(H, W): the smallest |stat - stat of a neighbour| over the 8 neighbours (mirrored at the
    border, never the pixel itself)."""
    h, w = stat.shape
    padded = np.pad(stat, 1, mode="reflect")
    gap = np.full(stat.shape, np.inf)
    for dr, dc in NEIGHBOURS:
        np.minimum(gap, np.abs(stat - padded[1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w]), out=gap)
    return gap


def find_bad_pixels(seq: Sequence, *, z: float = 8.0) -> np.ndarray:
    """Dead, hot or stuck pixels, (H, W) bool.

    A pixel is bad when its temporal mean or temporal standard deviation departs from the
    median of its 3x3 neighbourhood by more than ``z`` robust standard deviations *and* from
    each of its 8 neighbours by as much, or when it never changes while the pixels around it,
    or around the cluster of constant pixels it belongs to, do (:func:`stuck_clusters`).
    Departures are measured relative to the local level (the neighbourhood's median plus the
    image's median level), because a camera's fixed-pattern gain and emissivity variations
    scale with the signal; the robust standard deviation is the MAD of those relative
    departures over the image.

    The two conditions keep real thermal structure: the corner pixel of a sharp defect
    departs from its neighbourhood's median but not from its neighbours inside the defect,
    and a 1 % gain pattern on a hot shallow hole is as large, relatively, as on the sound
    plate. (With absolute departures and the first condition alone, up to 30 pixels inside
    the holes of a 48 x 64 plate were flagged and erased.) A cluster of hot pixels that are
    not stuck therefore goes undetected; it then looks like a defect of its size.

    Parameters
    ----------
    seq : Sequence
        Any sequence (its temporal mean and standard deviation are compared).
    z : float
        Threshold in robust standard deviations.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from scipy import ndimage

    mean, std = temporal_mean_std(seq.frames)
    bad = np.zeros(seq.image_shape, bool)
    for stat in (mean, std):
        local = ndimage.median_filter(stat, size=3, mode="reflect")
        level = np.abs(local) + np.median(np.abs(local))
        if not np.all(level > 0):
            continue  # a flat zero statistic: nothing stands out
        departure = (stat - local) / level
        mad = 1.4826 * np.median(np.abs(departure - np.median(departure)))
        if mad > 0:
            limit = z * mad * level
            bad |= (np.abs(stat - local) > limit) & (_nearest_neighbour_gap(stat) > limit)
    return bad | stuck_clusters(mean, std)


def stuck_clusters(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Pixels that never change while the pixels around them do, alone or in clusters.

    Each 8-connected group of constant pixels is judged by the ring of pixels around it: the
    group is stuck when the median temporal spread of that ring exceeds :data:`STUCK` times
    the group's largest level. A cluster's inner pixels have no varying neighbour of their
    own (a 3 x 3 median around them is the cluster's zero spread), so judging pixel by pixel
    left them in: on the camera family of the randomised set, 8 of 45 stuck pixels of
    ``wide_086``, whose value then stood 40 robust sigma out of every PCT image. A constant
    group larger than :data:`STUCK_CLUSTER_SHARE` of the image is part of the scene (a
    background the camera saw without change), not a camera fault.

    Parameters
    ----------
    mean, std : (H, W) ndarray
        Each pixel's temporal mean and standard deviation (:func:`temporal_mean_std`).

    Returns
    -------
    (H, W) ndarray of bool
    """
    from scipy import ndimage

    constant = std <= STUCK * np.abs(mean)  # up to float32 rounding (exactly 0 at 0)
    labels, n = ndimage.label(constant, structure=np.ones((3, 3), bool))
    if n == 0:
        return constant
    groups = np.arange(1, n + 1)
    ring = ndimage.grey_dilation(labels, size=3) * ~constant
    on_ring, in_group = ring > 0, labels > 0  # the statistics read these pixels alone
    spread = ndimage.median(std[on_ring], ring[on_ring], groups) if on_ring.any() else 0.0
    ring_spread = np.nan_to_num(np.asarray(spread, float))
    level = np.asarray(ndimage.maximum(np.abs(mean[in_group]), labels[in_group], groups), float)
    size = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    largest = max(9.0, STUCK_CLUSTER_SHARE * labels.size)
    keep = (ring_spread > STUCK * level) & (size <= largest)
    return np.concatenate([[False], keep])[labels]


def fill_pixels(frames: np.ndarray, bad: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """``frames`` with each bad pixel replaced, in every frame, by the median of its good
    8-neighbours (neighbours beyond the border clip to the border).

    A cluster of bad pixels is filled from its edge inward: each pass fills the bad pixels
    that have a good or already filled neighbour, so no cluster is too large to fill.

    Parameters
    ----------
    frames : (T, H, W) ndarray of float32
        The frames, left untouched unless ``inplace``.
    bad : (H, W) ndarray of bool
        The pixels to replace.
    inplace : bool
        Replace them in ``frames`` itself instead of in a copy.

    Returns
    -------
    (T, H, W) ndarray of float32

    Raises
    ------
    ThermodefectError
        When every pixel is bad.
    """
    h, w = frames.shape[1:]
    out = frames if inplace else frames.copy()
    known = ~np.asarray(bad, bool)
    if not known.any():
        raise ThermodefectError("every pixel is bad; there is nothing to fill them from")
    while not known.all():
        r, c = np.nonzero(~known)
        rr = np.clip(r[:, None] + NEIGHBOURS[:, 0], 0, h - 1)
        cc = np.clip(c[:, None] + NEIGHBOURS[:, 1], 0, w - 1)
        good = known[rr, cc]
        ready = good.any(axis=1)
        r, c, rr, cc, good = r[ready], c[ready], rr[ready], cc[ready], good[ready]
        values = out[:, rr, cc].astype(np.float64)
        values[:, ~good] = np.nan
        out[:, r, c] = np.nanmedian(values, axis=2)
        known[r, c] = True
    return out


def replace_bad_pixels(seq: Sequence, bad: np.ndarray | None = None, *, z: float = 8.0) -> Sequence:
    """Replace each bad pixel, in every frame, by the median of its good 8-neighbours.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    bad : (H, W) ndarray of bool, optional
        The pixels to replace; default :func:`find_bad_pixels` of ``seq``.
    z : float
        Threshold of :func:`find_bad_pixels`.

    Returns
    -------
    Sequence
        With ``replace_bad_pixels(n)`` in its history, n the number replaced.

    Raises
    ------
    ThermodefectError
        When ``bad`` does not match the image size, or every pixel is bad.
    """
    bad = find_bad_pixels(seq, z=z) if bad is None else np.asarray(bad, bool)
    if bad.shape != seq.image_shape:
        raise fail(seq, f"bad-pixel map is {bad.shape}, frames are {seq.image_shape}")
    if not bad.any():
        return seq.derive("replace_bad_pixels(0)")
    try:
        frames = fill_pixels(seq.frames, bad)
    except ThermodefectError as exc:
        raise fail(seq, exc.problem) from None
    return seq.derive(f"replace_bad_pixels({int(bad.sum())})", frames=frames)
