"""The flash and what follows it: mean response, flash frame, baselines, the cooling."""

from __future__ import annotations

import logging

import numpy as np

from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence

__all__ = [
    "BASELINE_METHODS",
    "CLIPPED_LOOK",
    "CLIPPED_SHARE",
    "ONSET_SHARE",
    "RISE_TOLERANCE",
    "absolute_without_preflash",
    "clipped_frames",
    "detect_flash",
    "extract_cooling",
    "flash_onset",
    "mean_response",
    "rise_baseline",
    "subtract_baseline",
    "to_rise",
    "warn_if_absolute",
]

logger = logging.getLogger(__name__)

BASELINE_METHODS = ("first", "last", "last_mean", "preflash", "none")

#: A frame right after the flash is clipped when at least this share of the pixels that
#: change at all hold exactly its value in the next frame (:func:`clipped_frames`).
CLIPPED_SHARE = 0.05

#: Frames after the flash searched for clipping, at most.
CLIPPED_LOOK = 200


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
    from thermodefect.io.files import frame_blocks

    out = np.empty(seq.n_frames)
    for t0, block in frame_blocks(seq.frames):  # a memory-mapped file streams through
        out[t0 : t0 + len(block)] = block.reshape(len(block), -1).mean(axis=1, dtype=np.float64)
    return out


def detect_flash(seq: Sequence) -> int:
    """Index of the flash: the frame of peak mean response (see :func:`flash_onset` for its start).

    Parameters
    ----------
    seq : Sequence
        A sequence in rise, absolute temperature or counts.

    Returns
    -------
    int
    """
    return int(np.argmax(mean_response(seq)))


#: A frame belongs to the flash once its mean departs from the first frame's by this share of
#: the peak's departure.
ONSET_SHARE = 0.1


def flash_onset(seq: Sequence) -> int:
    """How many frames precede the flash: the frames before its mean response starts to rise.

    The peak (:func:`detect_flash`) can come a few frames after the onset (a long flash, a
    slow camera); the frames in between are neither pre-flash nor cooling.

    Parameters
    ----------
    seq : Sequence
        A sequence in rise, absolute temperature or counts.

    Returns
    -------
    int
        0 when the first frame is already part of the flash.
    """
    return _onset(mean_response(seq))


def _onset(response: np.ndarray) -> int:
    """:func:`flash_onset` from the mean response, so callers that have it read frames once."""
    peak = int(np.argmax(response))
    departure = np.abs(response[: peak + 1] - response[0])
    return int(np.argmax(departure > ONSET_SHARE * departure[peak])) if peak else 0


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
        onset = flash_onset(seq)
        if onset == 0:
            raise fail(seq, "no pre-flash frames: the flash is in the first frame")
        ref = f[:onset].mean(axis=0)
    return seq.derive(f"baseline({method})", frames=f - ref, baseline=method)


#: Pre-flash frames whose median lies within this share of the flash's rise of zero are a
#: temperature rise already (the seed's files, the simulator's); others are offset.
RISE_TOLERANCE = 0.05


def rise_baseline(seq: Sequence, response: np.ndarray | None = None) -> np.ndarray | None:
    """What to subtract from every frame to turn a sequence into a temperature rise.

    Files of other tools and cameras hold absolute temperatures or counts; the seed's and the
    simulator's hold the rise (the first frame subtracted). With pre-flash frames whose level
    is far from zero, the baseline is each pixel's mean over them: subtracting it removes the
    ambient temperature, a count offset and the fixed pattern of the camera, and leaves
    ``gain x rise``, to which every method and the network are insensitive.

    Parameters
    ----------
    seq : Sequence
        A raw sequence.
    response : (T,) ndarray, optional
        Its :func:`mean_response` when the caller has it (one pass over the frames less).

    Returns
    -------
    (H, W) ndarray of float32 or None
        ``None`` when the values are a rise already, or when there are no pre-flash frames to
        take a baseline from (:func:`absolute_without_preflash` tells that case).
    """
    response = mean_response(seq) if response is None else response
    onset = _onset(response)
    if onset == 0:
        return None
    from thermodefect.io.files import frames_mean

    before = frames_mean(seq.frames, 0, onset)
    level = float(np.median(before))
    jump = float(np.median(seq.frames[int(np.argmax(response))] - before))
    if abs(level) <= RISE_TOLERANCE * abs(jump):
        return None
    return before.astype(np.float32)


def absolute_without_preflash(seq: Sequence, response: np.ndarray | None = None) -> bool:
    """Whether the values look like absolute temperatures or counts (far from zero next to the
    flash's rise) while no pre-flash frame shows where zero is.

    Parameters
    ----------
    seq : Sequence
        A raw sequence.
    response : (T,) ndarray, optional
        Its :func:`mean_response` when the caller has it.

    Returns
    -------
    bool
    """
    response = mean_response(seq) if response is None else response
    if _onset(response) > 0:
        return False
    return bool(abs(response[-1]) > 2 * abs(response[0] - response[-1]))


def warn_if_absolute(seq: Sequence, reader: str, response: np.ndarray | None = None) -> None:
    """Log a warning when :func:`absolute_without_preflash` holds for ``seq``.

    Parameters
    ----------
    seq : Sequence
        A raw sequence.
    reader : str
        What reads the level of the rise (``'the network'``, ``'tsr'``), named in the warning.
    response : (T,) ndarray, optional
        Its :func:`mean_response` when the caller has it.
    """
    if absolute_without_preflash(seq, response):
        logger.warning(
            "%s: values far from zero and no pre-flash frame (absolute temperature or counts?): "
            "%s reads the level of the rise and may misjudge this file; record a few frames "
            "before the flash, or subtract the ambient first",
            seq.meta.source or seq.name,
            reader,
        )


def to_rise(seq: Sequence) -> Sequence:
    """``seq`` as a temperature rise: :func:`rise_baseline` subtracted when there is one.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.

    Returns
    -------
    Sequence
        ``seq`` itself when it is a rise already (or cannot be made one), else a new
        sequence with ``rise(pre-flash mean)`` in its history and ``baseline='preflash'``.
    """
    base = rise_baseline(seq)
    if base is None:
        return seq
    return seq.derive("rise(pre-flash mean)", frames=seq.frames - base, baseline="preflash")


def clipped_frames(frames: np.ndarray, start: int) -> int:
    """How many frames from ``start`` on the camera clipped: the leading frames that equal the
    next one on at least :data:`CLIPPED_SHARE` of the pixels that change at all, and the last
    frame they equal.

    Right after a flash the surface is at its hottest, and a camera whose range was set for
    the cooling saturates: those pixels hold the top count for several frames, which after
    the conversion to kelvin and the pre-flash subtraction is a constant per pixel. A cooling
    surface changes from frame to frame by far more than a count step at that time, so equal
    values there are clipping. On the randomised set 79 of 135 plates start with 1-39 such
    frames. Pixels that never change (stuck, or a still background) are left out of the
    share.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        The whole record.
    start : int
        The first frame after the flash.

    Returns
    -------
    int
        Clipped frames from ``start`` on; fewer than :data:`CLIPPED_LOOK`, and none within the
        last two frames of the record.
    """
    end = min(start + CLIPPED_LOOK, len(frames)) - 1
    if end - start < 2:
        return 0
    changes = np.asarray(frames[start]) != np.asarray(frames[end])  # stuck pixels never do
    if not changes.any():
        return 0
    n = 0
    following = np.asarray(frames[start])[changes]
    while start + n + 1 < end:
        current, following = following, np.asarray(frames[start + n + 1])[changes]
        if np.mean(current == following) < CLIPPED_SHARE:
            break
        n += 1
    return n + 1 if n else 0


def extract_cooling(
    seq: Sequence, *, skip: int = 1, response: np.ndarray | None = None
) -> Sequence:
    """Keep the cooling: frames from ``flash + skip`` on, times measured from the flash frame.

    With the default ``skip=1`` every kept time is positive, as log-time methods need; the flash
    frame index goes to ``meta.extra['flash_frame']``, the number of kept frames the camera
    clipped at its top count (:func:`clipped_frames`) to ``meta.extra['clipped_frames']``.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    skip : int
        Frames skipped after the flash frame.
    response : (T,) ndarray, optional
        Its :func:`mean_response` when the caller has it.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        When the sequence never changes or nothing follows the flash. The message names the file.
    """
    response = mean_response(seq) if response is None else response
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
        extra={
            **seq.meta.extra,
            "flash_frame": flash,
            "first_frame": start,
            "clipped_frames": clipped_frames(seq.frames, start),
        },
    )
