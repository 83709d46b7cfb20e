"""Choosing frames and times: crops, frame indices, frame selection, time resampling."""

from __future__ import annotations

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence

__all__ = [
    "SPACINGS",
    "crop",
    "frame_indices",
    "log_times",
    "resample_times",
    "select_frames",
]

SPACINGS = ("linear", "log")


def crop(
    seq: Sequence,
    *,
    frames: tuple[int, int] | None = None,
    rows: tuple[int, int] | None = None,
    cols: tuple[int, int] | None = None,
) -> Sequence:
    """Keep frames, rows and columns in half-open ranges ``(start, stop)``.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    frames, rows, cols : (int, int), optional
        Ranges to keep; ``None`` keeps all.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        For an empty range or one outside the sequence. The message names the file.
    """
    t, h, w = seq.shape
    sl = []
    for name, rng, size in (("frames", frames, t), ("rows", rows, h), ("cols", cols, w)):
        a, b = (0, size) if rng is None else rng
        if not 0 <= a < b <= size:
            raise fail(seq, f"{name} range {a}:{b} is outside 0:{size} or empty")
        sl.append(slice(a, b))
    mask = None if seq.mask is None else seq.mask[sl[1], sl[2]]
    return seq.derive(
        f"crop(frames={frames}, rows={rows}, cols={cols})",
        frames=seq.frames[sl[0], sl[1], sl[2]],
        times=seq.times[sl[0]],
        mask=mask,
    )


def frame_indices(
    n_total: int, n: int, *, start: int = 0, stop: int | None = None, spacing: str = "linear"
) -> np.ndarray:
    """``n`` increasing frame indices in ``[start, stop)``, evenly spaced in frames or log-spaced.

    Log spacing places the indices evenly in ``log(index - start + 1)``, dense early where a
    thermogram changes fastest; collisions are pushed forward so all indices are distinct.

    Parameters
    ----------
    n_total : int
        Frames available.
    n : int
        Indices wanted.
    start, stop : int
        The window; ``stop`` defaults to ``n_total``.
    spacing : {'linear', 'log'}
        How the indices are spread.

    Returns
    -------
    (n,) ndarray of int64

    Raises
    ------
    ThermodefectError
        When the window cannot hold ``n`` distinct frames or ``spacing`` is unknown.

    Examples
    --------
    >>> frame_indices(100, 5, spacing="log").tolist()
    [0, 2, 9, 31, 99]
    """
    stop = n_total if stop is None else stop
    if spacing not in SPACINGS:
        raise ThermodefectError(f"spacing must be one of {', '.join(SPACINGS)}; got {spacing!r}")
    if not 0 <= start < stop <= n_total or stop - start < n or n < 1:
        raise ThermodefectError(
            f"cannot take {n} frames from the window {start}:{stop} of {n_total} frames"
        )
    if spacing == "linear":
        return np.round(np.linspace(start, stop - 1, n)).astype(np.int64)
    idx = np.round(np.geomspace(1, stop - start, n)).astype(np.int64) - 1 + start
    for i in range(1, n):
        idx[i] = max(idx[i], idx[i - 1] + 1)
    for i in range(n - 2, -1, -1):
        idx[i] = min(idx[i], idx[i + 1] - 1)
    return idx


def select_frames(
    seq: Sequence, n: int = 16, *, start: int = 0, stop: int | None = None, spacing: str = "linear"
) -> Sequence:
    """Keep ``n`` frames of the window ``[start, stop)`` (the seed's 16-frame clips).

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    n : int
        Frames kept.
    start, stop : int
        The window (``stop`` default: the end).
    spacing : {'linear', 'log'}
        See :func:`frame_indices`.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        When the window cannot hold ``n`` frames. The message names the file.
    """
    try:
        idx = frame_indices(seq.n_frames, n, start=start, stop=stop, spacing=spacing)
    except ThermodefectError as exc:
        raise fail(seq, exc.problem) from None
    return seq.derive(
        f"select_frames(n={n}, start={start}, stop={stop}, spacing={spacing})",
        frames=seq.frames[idx],
        times=seq.times[idx],
    )


def resample_times(seq: Sequence, times: np.ndarray) -> Sequence:
    """Linearly interpolate every pixel's history at new times inside the recorded span.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    times : (T',) array_like
        Strictly increasing times in s within ``seq.times``.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.
        Its frame rate is ``None`` (the times need not be regular).

    Raises
    ------
    ThermodefectError
        For times that do not increase or leave the recorded span. The message names the file.
    """
    times = np.asarray(times, np.float64)
    if times.ndim != 1 or times.size < 2 or np.any(np.diff(times) <= 0):
        raise fail(seq, "new times must be a strictly increasing 1-D array of 2 or more values")
    if times[0] < seq.times[0] or times[-1] > seq.times[-1]:
        raise fail(
            seq,
            f"new times {times[0]:g}..{times[-1]:g} s leave the recorded span "
            f"{seq.times[0]:g}..{seq.times[-1]:g} s",
        )
    right = np.clip(np.searchsorted(seq.times, times, side="right"), 1, seq.n_frames - 1)
    left = right - 1
    w = ((times - seq.times[left]) / (seq.times[right] - seq.times[left])).astype(np.float32)
    out = np.empty((times.size, *seq.image_shape), np.float32)
    for k in range(times.size):
        np.multiply(seq.frames[left[k]], 1 - w[k], out=out[k])
        out[k] += w[k] * seq.frames[right[k]]
    return seq.derive(f"resample_times(n={times.size})", frames=out, times=times, frame_rate=None)


def log_times(seq: Sequence, n: int) -> np.ndarray:
    """``n`` log-spaced times (s) spanning the sequence; its first time must be positive.

    Parameters
    ----------
    seq : Sequence
        Usually a cooling sequence (:func:`~thermodefect.preprocess.extract_cooling`).
    n : int
        Times wanted.

    Returns
    -------
    (n,) ndarray of float64

    Raises
    ------
    ThermodefectError
        When the first time is not positive. The message names the file.
    """
    if seq.times[0] <= 0:
        raise fail(seq, "log-spaced times need positive times; extract the cooling first")
    return np.geomspace(seq.times[0], seq.times[-1], n)
