"""What a network sees: the input representation of a sequence, stored in every checkpoint.

From a raw sequence (any length, frame rate or size):

1. the cooling after the detected flash is kept (:func:`thermodefect.preprocess.extract_cooling`);
2. ``n_frames`` frames log-spaced in frame index are taken from it (from ``offset`` on;
   training jitters the offset), with the first cooling frame as the reference T0;
3. dead, hot and stuck pixels are replaced (maps found on those frames only);
4. each frame is divided by T0 pixel by pixel: a flash that heats the plate unevenly
   scales a sound pixel's whole history, so the ratio removes it without a fitted surface.
   The first channel keeps T0 itself, divided by its median (shallow defects and the
   heating pattern);
5. every channel is turned into robust z-scores (median and MAD over the image, so noise
   units of mostly sound material) and compressed as sign(z) log(1 + abs(z)).

Modes: ``frames`` gives (n_frames, H, W) for the 2-D networks; ``clip`` the same as
(1, n_frames, H, W) for the 3-D ones; ``pixels`` the same again, read per pixel by the LSTM;
``features`` gives PCT component images and TSR first-derivative images (as channels);
``evidence`` the same images as classical detection reads them (:func:`evidence_stack`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

__all__ = [
    "MODES",
    "SAMPLE",
    "InputConfig",
    "evidence_stack",
    "feature_stack",
    "frame_stack",
    "from_cooling",
    "ratio_frames",
    "replace_bad",
    "representation",
    "robust_scale",
]

MODES = ("frames", "clip", "pixels", "features", "evidence")
SAMPLE = 65536  # pixels behind each channel's median and MAD


@dataclass(frozen=True)
class InputConfig:
    """Input settings: the mode, and how many log-spaced frames or feature images.

    Parameters
    ----------
    mode : {'frames', 'clip', 'pixels', 'features'}
        What the network reads (see the module docstring).
    n_frames : int
        Log-spaced cooling frames (at least 2).
    pct_components : int
        PCT images of the ``features`` mode.
    tsr_images : int
        TSR derivative images of the ``features`` mode.

    Raises
    ------
    ThermodefectError
        For an unknown mode or fewer than 2 frames.
    """

    mode: str = "frames"
    n_frames: int = 16
    pct_components: int = 4
    tsr_images: int = 4

    def __post_init__(self):
        if self.mode not in MODES:
            raise ThermodefectError(
                f"input mode must be one of {', '.join(MODES)}; got {self.mode!r}"
            )
        if self.n_frames < 2:
            raise ThermodefectError(f"n_frames must be at least 2; got {self.n_frames}")

    @property
    def channels(self) -> int:
        """Channels of the 2-D input (frames or features)."""
        if self.mode in ("features", "evidence"):
            return self.pct_components + self.tsr_images
        return self.n_frames

    def to_dict(self) -> dict:
        """The settings as a dictionary (stored in checkpoints).

        Returns
        -------
        dict
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> InputConfig:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        d : dict
            As :meth:`to_dict` writes it.

        Returns
        -------
        InputConfig
        """
        return cls(**d)


def robust_scale(images: np.ndarray) -> np.ndarray:
    """Robust z of each channel, compressed as sign(z) log(1 + abs(z)).

    The scale is the MAD (times 1.4826), or the standard deviation where the MAD is zero,
    and never below 1e-4 of the channel's median magnitude: a channel that is uniform up to
    rounding maps to zeros, not to amplified rounding errors. Median and MAD come from every
    k-th pixel so that at least ``SAMPLE`` pixels are used (all of them up to 2 x SAMPLE).

    Parameters
    ----------
    images : (C, H, W) ndarray
        Channels.

    Returns
    -------
    (C, H, W) ndarray of float32
    """
    flat = images.reshape(images.shape[0], -1)
    sample = flat[:, :: max(1, flat.shape[1] // SAMPLE)].astype(np.float64)
    med = np.median(sample, axis=1, keepdims=True)
    dev = sample - med
    scale = 1.4826 * np.median(np.abs(dev), axis=1, keepdims=True)
    scale = np.where(scale > 0, scale, dev.std(axis=1, keepdims=True))
    scale = np.maximum(scale, 1e-4 * np.abs(med) + 1e-30)
    z = (flat - med.astype(np.float32)) / scale.astype(np.float32)
    return (np.sign(z) * np.log1p(np.abs(z))).reshape(images.shape).astype(np.float32)


def replace_bad(stack: np.ndarray) -> np.ndarray:
    """Dead, hot and stuck pixels of a stack replaced as the classical path replaces them.

    The bad pixels are :func:`thermodefect.preprocess.find_bad_pixels` of the stack;
    :func:`thermodefect.preprocess.fill_pixels` replaces them.

    Parameters
    ----------
    stack : (n, H, W) ndarray of float32
        Frames.

    Returns
    -------
    (n, H, W) ndarray of float32
        The stack itself when nothing is bad.
    """
    from thermodefect.preprocess.bad_pixels import fill_pixels, find_bad_pixels

    bad = find_bad_pixels(Sequence(stack, np.arange(stack.shape[0], dtype=np.float64)))
    return fill_pixels(stack, bad) if bad.any() else stack


def frame_stack(cooling: np.ndarray, n_frames: int, offset: int = 0) -> np.ndarray:
    """T0 (the first cooling frame) then ``n_frames`` log-spaced frames from ``offset`` on.

    Parameters
    ----------
    cooling : (T, H, W) ndarray
        Frames after the flash.
    n_frames : int
        Log-spaced frames.
    offset : int
        First frame index of the log-spaced window (training jitters it).

    Returns
    -------
    (n_frames + 1, H, W) ndarray of float32
    """
    from thermodefect.preprocess import frame_indices

    idx = frame_indices(cooling.shape[0], n_frames, start=offset, spacing="log")
    return np.concatenate([cooling[:1], cooling[idx]]).astype(np.float32, copy=False)


def ratio_frames(stack: np.ndarray) -> np.ndarray:
    """T0 / median(T0), then each later frame / T0, robustly scaled (steps 3-5 of the module
    docstring).

    Parameters
    ----------
    stack : (n + 1, H, W) ndarray of float32
        T0 and n frames (:func:`frame_stack`).

    Returns
    -------
    (n, H, W) ndarray of float32
    """
    stack = replace_bad(stack)
    t0 = stack[0]
    level = float(np.median(t0))
    if not level > 0:
        level = float(np.abs(t0).mean()) or 1.0
    safe = np.where(np.abs(t0) > 0.05 * abs(level), t0, 0.05 * abs(level))
    out = stack[1:] / safe
    out[0] = t0 / level
    return robust_scale(out)


def feature_stack(cooling: Sequence, config: InputConfig) -> np.ndarray:
    """PCT components and TSR first log-derivative images at log-spaced times, robustly
    scaled and signed like the detection features.

    Parameters
    ----------
    cooling : Sequence
        Frames after the flash.
    config : InputConfig
        The representation's settings.

    Returns
    -------
    (pct_components + tsr_images, H, W) ndarray of float32
    """
    from thermodefect.methods import pct, tsr
    from thermodefect.preprocess import frame_indices

    comps = np.asarray(pct(cooling, config.pct_components).components)
    deriv = np.asarray(tsr(cooling, 5).derivative(1))
    idx = frame_indices(deriv.shape[0], config.tsr_images, start=1, spacing="log")
    images = robust_scale(np.concatenate([comps, deriv[idx]]))
    peaks = np.abs(images).reshape(images.shape[0], -1).argmax(axis=1)
    signs = np.sign(images.reshape(images.shape[0], -1)[np.arange(len(peaks)), peaks])
    return images * np.where(signs < 0, -1, 1)[:, None, None].astype(np.float32)


def evidence_stack(cooling: Sequence, config: InputConfig) -> np.ndarray:
    """PCT components and TSR first log-derivative images at log-spaced times after the
    classical preparation, each in the classical detector's robust z (plate found and its
    background filled, bad pixels replaced, uneven heating removed; each image freed of the
    plate edges' cooling and of its slow trend, z over the plate, strongest pixel positive),
    compressed as sign(z) log(1 + abs(z)).

    What the network reads is then what the significance rule reads: the same units on any
    bit depth, frame rate, record length, heating and plate size, with the noise as the unit.

    Parameters
    ----------
    cooling : Sequence
        Frames after the flash, a rise.
    config : InputConfig
        The representation's settings.

    Returns
    -------
    (pct_components + tsr_images, H, W) ndarray of float32
    """
    from thermodefect.methods import pct, signed_z, tsr
    from thermodefect.preprocess import frame_indices, prepare_cooling

    prepared = prepare_cooling(cooling)
    plate = prepared.meta.extra.get("plate")
    deriv = np.asarray(tsr(prepared, 5).derivative(1))
    idx = frame_indices(deriv.shape[0], config.tsr_images, start=1, spacing="log")
    images = [*np.asarray(pct(prepared, config.pct_components).components), *deriv[idx]]
    z = np.stack([signed_z(image, plate) for image in images])
    return (np.sign(z) * np.log1p(np.abs(z))).astype(np.float32)


def representation(seq: Sequence, config: InputConfig, *, offset: int = 0) -> np.ndarray:
    """The network input of a raw sequence.

    Parameters
    ----------
    seq : Sequence
        A raw sequence (its cooling is extracted here).
    config : InputConfig
        The representation's settings.
    offset : int
        First frame of the log-spaced window.

    Returns
    -------
    ndarray of float32
        (C, H, W), or (1, T, H, W) in ``clip`` mode.

    Raises
    ------
    ThermodefectError
        Naming the file, when the cooling is too short.
    """
    from thermodefect.preprocess import extract_cooling, rise_baseline

    return from_cooling(extract_cooling(seq), config, offset=offset, baseline=rise_baseline(seq))


def from_cooling(
    cooling: Sequence,
    config: InputConfig,
    *,
    offset: int = 0,
    baseline: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`representation` of a sequence whose cooling is already extracted.

    Parameters
    ----------
    cooling : Sequence
        Frames after the flash.
    config : InputConfig
        The representation's settings.
    offset : int
        First frame of the log-spaced window.
    baseline : (H, W) ndarray, optional
        Subtracted from the frames the network reads, to make them a temperature rise
        (:func:`thermodefect.preprocess.rise_baseline`).

    Returns
    -------
    ndarray of float32
        (C, H, W), or (1, T, H, W) in ``clip`` mode.

    Raises
    ------
    ThermodefectError
        Naming the file, when the cooling is too short.
    """
    need = config.n_frames + offset + 1
    if cooling.n_frames < need:
        raise ThermodefectError(
            f"only {cooling.n_frames} frames follow the flash; this model needs {need}",
            cooling.meta.source,
        )
    if config.mode in ("features", "evidence"):
        if baseline is not None:
            cooling = cooling.derive("rise", frames=cooling.frames - baseline)
        return (feature_stack if config.mode == "features" else evidence_stack)(cooling, config)
    stack = frame_stack(cooling.frames, config.n_frames, offset)
    if baseline is not None:
        stack -= baseline
    x = ratio_frames(stack)
    return x[None] if config.mode == "clip" else x
