"""Thermal contrast methods against a sound reference, and differential absolute contrast.

For a cooling sequence T(t) (times > 0, seconds after the flash) and a sound reference
T_s(t) (the mean over ``reference`` pixels, or the image median per frame when no reference
is given; the median is sound wherever defects cover under half the image):

- ``absolute``: T - T_s (K);
- ``running``: (T - T_s) / T_s;
- ``normalised``: T / T(t_m) - T_s / T_s(t_m), t_m the frame of peak mean response;
- DAC (Pilla et al., QIRT 2002): T(t) - sqrt(t'/t) T(t'), the contrast against the
  semi-infinite prediction from a time t' before any defect shows. With ``t_prime=None`` t' is
  the first frame, within the first quarter of the cooling, where the median curve's local
  log-log slope is within :data:`SLOPE_TOLERANCE` of the semi-infinite -1/2 (else the frame
  closest to it): the earliest, so that on a long record at a low frame rate t' does not
  fall after a shallow defect has shown (a 47 s record at 10 Hz lost its 0.6 mm insert).
"""

from __future__ import annotations

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.methods._backend import spread_frames
from thermodefect.sequence import Sequence

CONTRASTS = ("absolute", "running", "normalised")

#: :func:`auto_t_prime` takes the first frame whose log-log slope is within this of -1/2.
SLOPE_TOLERANCE = 0.1


def _cooling(seq: Sequence) -> None:
    if seq.times[0] <= 0:
        raise ThermodefectError(
            "contrast methods need the cooling with positive times after the flash; "
            "apply thermodefect.preprocess.extract_cooling first",
            seq.meta.source,
        )


def sound_curve(seq: Sequence, reference: np.ndarray | None = None) -> np.ndarray:
    """The sound temperature of each frame: the mean over ``reference`` pixels, or the
    per-frame median of the image.

    Parameters
    ----------
    seq : Sequence
        Cooling frames after the flash, times in s since the flash.
    reference : (H, W) ndarray of bool, optional
        Pixels known to be sound.

    Returns
    -------
    (T,) ndarray

    Raises
    ------
    ThermodefectError
        For a reference of another shape or without pixels.
    """
    flat = seq.frames.reshape(seq.n_frames, -1)
    if reference is None:
        return np.median(flat, axis=1)
    reference = np.asarray(reference, bool)
    if reference.shape != seq.image_shape or not reference.any():
        raise ThermodefectError(
            f"the sound reference must be a non-empty {seq.image_shape} mask", seq.meta.source
        )
    return flat[:, reference.ravel()].mean(axis=1)


def contrast(
    seq: Sequence, kind: str = "absolute", *, reference: np.ndarray | None = None
) -> np.ndarray:
    """Thermal contrast frames of ``kind`` (see the module docstring).

    Parameters
    ----------
    seq : Sequence
        Cooling frames after the flash, times in s since the flash.
    kind : {'absolute', 'running', 'normalised'}
        Which contrast.
    reference : (H, W) ndarray of bool, optional
        Pixels known to be sound (default: the image median per frame).

    Returns
    -------
    (T, H, W) ndarray of float32

    Raises
    ------
    ThermodefectError
        For an unknown kind or times that are not after the flash.
    """
    if kind not in CONTRASTS:
        raise ThermodefectError(
            f"contrast kind must be one of {', '.join(CONTRASTS)}, got {kind!r}"
        )
    _cooling(seq)
    ts = sound_curve(seq, reference).astype(np.float32)[:, None, None]
    if kind == "absolute":
        return seq.frames - ts
    if kind == "running":
        return (seq.frames - ts) / np.where(np.abs(ts) > 0, ts, np.inf)
    peak = int(np.argmax(seq.frames.reshape(seq.n_frames, -1).mean(axis=1)))
    ref_peak = seq.frames[peak]
    scale = np.where(np.abs(ref_peak) > 0, ref_peak, np.inf)
    return seq.frames / scale - ts / (ts[peak] if ts[peak] != 0 else np.inf)


def auto_t_prime(seq: Sequence) -> int:
    """Frame index of t' for DAC (see the module docstring).

    Parameters
    ----------
    seq : Sequence
        Cooling frames after the flash, times in s since the flash.

    Returns
    -------
    int
    """
    _cooling(seq)
    med = np.median(seq.frames.reshape(seq.n_frames, -1), axis=1)
    usable = max(3, seq.n_frames // 4)
    lt, lm = np.log(seq.times[:usable]), np.log(np.maximum(med[:usable], 1e-12))
    slope = np.gradient(lm, lt)
    near = np.flatnonzero(np.abs(slope + 0.5) <= SLOPE_TOLERANCE)
    return int(near[0]) if near.size else int(np.argmin(np.abs(slope + 0.5)))


def dac(seq: Sequence, *, t_prime: int | None = None) -> tuple[np.ndarray, int]:
    """Differential absolute contrast frames and the frame index used for t'.

    Parameters
    ----------
    seq : Sequence
        Cooling frames after the flash, times in s since the flash.
    t_prime : int, optional
        Frame index of t' (default :func:`auto_t_prime`).

    Returns
    -------
    frames : (T, H, W) ndarray of float32
        T(t) - sqrt(t'/t) T(t').
    t_prime : int

    Raises
    ------
    ThermodefectError
        For a t' outside the sequence or times that are not after the flash.
    """
    _cooling(seq)
    k = auto_t_prime(seq) if t_prime is None else int(t_prime)
    if not 0 <= k < seq.n_frames:
        raise ThermodefectError(f"t' frame {k} is outside 0..{seq.n_frames - 1}", seq.meta.source)
    ratio = np.sqrt(seq.times[k] / seq.times).astype(np.float32)[:, None, None]
    return seq.frames - ratio * seq.frames[k], k


def contrast_images(seq) -> list:
    """The registry's view of the absolute thermal contrast, averaged over about 12
    log-spaced windows of frames."""
    return spread_frames(contrast(seq, "absolute"))


def dac_images(seq) -> list:
    """The registry's view of DAC averaged over about 12 log-spaced windows of frames (t'
    chosen automatically)."""
    return spread_frames(dac(seq)[0])
