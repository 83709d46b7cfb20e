"""The flash and what follows it: mean response, flash frame, baselines, the cooling."""

from __future__ import annotations

import numpy as np

from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence

__all__ = [
    "BASELINE_METHODS",
    "detect_flash",
    "extract_cooling",
    "mean_response",
    "subtract_baseline",
]

BASELINE_METHODS = ("first", "last", "last_mean", "preflash", "none")


def mean_response(seq: Sequence) -> np.ndarray:
    """Spatial mean of each frame.

    Parameters
    ----------
    seq : Sequence
        Any sequence.

    Returns
    -------
    (T,) ndarray of float64
    """
    return seq.frames.reshape(seq.n_frames, -1).mean(axis=1, dtype=np.float64)


def detect_flash(seq: Sequence) -> int:
    """Index of the flash: the frame of peak mean response. Frames before it are pre-flash.

    Parameters
    ----------
    seq : Sequence
        A sequence in rise, absolute temperature or counts.

    Returns
    -------
    int
    """
    return int(np.argmax(mean_response(seq)))


def subtract_baseline(seq: Sequence, method: str = "first", *, n: int = 10) -> Sequence:
    """Subtract a reference image from every frame.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    method : {'first', 'last', 'last_mean', 'preflash', 'none'}
        The first frame (the seed's convention), the last frame, the mean of the last ``n``
        frames, the mean of the frames before the flash, or nothing.
    n : int
        Frames averaged by ``'last_mean'``.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        For an unknown method, ``n`` outside 1..T, or ``'preflash'`` without pre-flash frames. The
        message names the file.
    """
    if method not in BASELINE_METHODS:
        raise fail(seq, f"baseline must be one of {', '.join(BASELINE_METHODS)}; got {method!r}")
    f = seq.frames
    if method == "none":
        return seq.derive("baseline(none)")
    if method == "first":
        ref = f[0]
    elif method == "last":
        ref = f[-1]
    elif method == "last_mean":
        if not 1 <= n <= seq.n_frames:
            raise fail(seq, f"last_mean needs 1 <= n <= {seq.n_frames} frames, got n={n}")
        ref = f[-n:].mean(axis=0)
    else:
        flash = detect_flash(seq)
        if flash == 0:
            raise fail(seq, "no pre-flash frames: the flash is in the first frame")
        ref = f[:flash].mean(axis=0)
    return seq.derive(f"baseline({method})", frames=f - ref, baseline=method)


def extract_cooling(seq: Sequence, *, skip: int = 1) -> Sequence:
    """Keep the cooling: frames from ``flash + skip`` on, times measured from the flash frame.

    With the default ``skip=1`` every kept time is positive, as log-time methods need; the flash
    frame index goes to ``meta.extra['flash_frame']``.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    skip : int
        Frames skipped after the flash frame.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        When the sequence never changes or nothing follows the flash. The message names the file.
    """
    response = mean_response(seq)
    if np.ptp(response) == 0:
        raise fail(seq, "the sequence never changes: there is no flash and no cooling")
    flash = int(np.argmax(response))
    start = flash + skip
    if start >= seq.n_frames - 1:
        raise fail(
            seq, f"no cooling after the flash (peak response at frame {flash} of {seq.n_frames})"
        )
    return seq.derive(
        f"cooling(flash={flash}, skip={skip})",
        frames=seq.frames[start:],
        times=seq.times[start:] - seq.times[flash],
        extra={**seq.meta.extra, "flash_frame": flash, "first_frame": start},
    )
