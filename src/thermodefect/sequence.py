"""The in-memory thermal sequence: frames, times, optional ground truth and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "BASELINES",
    "CHUNK_BYTES",
    "Meta",
    "Sequence",
    "frames_per_chunk",
    "times_from_rate",
]

CHUNK_BYTES = 64 * 2**20  # bytes per block when a sequence is processed in frame blocks
BASELINES = ("unknown", "none", "first", "last", "last_mean", "preflash")


@dataclass(frozen=True)
class Meta:
    """What is known about a sequence beyond its numbers.

    Parameters
    ----------
    source : str or None
        Path of the file it was read from.
    frame_rate : float or None
        Frames per second (Hz) when known; ``None`` means the times are frame indices.
    pixel_pitch_mm : float or None
        Size of one pixel on the specimen surface, in mm, when known.
    units : str
        Units of the frame values: ``"K"`` (temperature or temperature difference) or
        ``"counts"``.
    baseline : str
        Which baseline has been subtracted, one of ``BASELINES``.
    history : tuple of str
        Processing steps applied since loading, oldest first.
    extra : dict
        Format-specific facts (variable name, source dtype, ...), JSON-serialisable.
    """

    source: str | None = None
    frame_rate: float | None = None
    pixel_pitch_mm: float | None = None
    units: str = "K"
    baseline: str = "unknown"
    history: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-serialisable dictionary of every field.

        Returns
        -------
        dict
            Keys ``source``, ``frame_rate``, ``pixel_pitch_mm``, ``units``, ``baseline``,
            ``history`` (a list) and ``extra``.
        """
        return {
            "source": self.source,
            "frame_rate": self.frame_rate,
            "pixel_pitch_mm": self.pixel_pitch_mm,
            "units": self.units,
            "baseline": self.baseline,
            "history": list(self.history),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Meta:
        """Inverse of :meth:`to_dict`; unknown keys are kept in ``extra``.

        Parameters
        ----------
        d : dict
            As :meth:`to_dict` writes it; missing keys take their defaults.

        Returns
        -------
        Meta
        """
        known = {"source", "frame_rate", "pixel_pitch_mm", "units", "baseline", "history", "extra"}
        extra = dict(d.get("extra") or {})
        extra.update({k: v for k, v in d.items() if k not in known})
        return cls(
            source=d.get("source"),
            frame_rate=d.get("frame_rate"),
            pixel_pitch_mm=d.get("pixel_pitch_mm"),
            units=d.get("units", "K"),
            baseline=d.get("baseline", "unknown"),
            history=tuple(d.get("history") or ()),
            extra=extra,
        )


@dataclass(frozen=True)
class Sequence:
    """A thermal image sequence.

    Parameters
    ----------
    frames : (T, H, W) ndarray of float32
        Surface temperature (or temperature change) per frame, C-contiguous. May be a
        read-only memory map; no function of this package writes into it.
    times : (T,) ndarray of float64
        Time of each frame in seconds, strictly increasing.
    mask : (H, W) ndarray of bool, optional
        Ground truth, True where a defect is.
    meta : Meta
        Source, frame rate, pixel pitch, units, baseline and processing history.

    Raises
    ------
    ThermodefectError
        When the frames are not 3-D C-contiguous float32, the times do not match them or do
        not increase, or the mask has another shape; the message names ``meta.source``.

    Examples
    --------
    >>> import numpy as np
    >>> seq = Sequence(np.zeros((20, 4, 6), np.float32), np.arange(20) / 50.0)
    >>> seq.shape, seq.image_shape, seq.name
    ((20, 4, 6), (4, 6), 'sequence')
    """

    frames: np.ndarray
    times: np.ndarray
    mask: np.ndarray | None = None
    meta: Meta = field(default_factory=Meta)

    def __post_init__(self):
        f, t = self.frames, self.times
        if not isinstance(f, np.ndarray) or f.ndim != 3:
            raise ThermodefectError(
                f"frames must be a 3-D array (frames, height, width), found {_describe(f)}",
                self.meta.source,
            )
        if f.dtype != np.float32 or not f.flags.c_contiguous:
            raise ThermodefectError(
                f"frames must be C-contiguous float32, found {f.dtype}", self.meta.source
            )
        if not isinstance(t, np.ndarray) or t.shape != (f.shape[0],):
            raise ThermodefectError(
                f"times must have one value per frame ({f.shape[0]}), found {_describe(t)}",
                self.meta.source,
            )
        if t.size > 1 and not np.all(np.diff(t) > 0):
            raise ThermodefectError("times must be strictly increasing", self.meta.source)
        if self.mask is not None and (
            self.mask.shape != f.shape[1:] or self.mask.dtype != np.bool_
        ):
            raise ThermodefectError(
                f"mask must be bool of shape {f.shape[1:]}, found {_describe(self.mask)}",
                self.meta.source,
            )

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return self.frames.shape[0]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(T, H, W)."""
        return tuple(self.frames.shape)

    @property
    def image_shape(self) -> tuple[int, int]:
        """(H, W)."""
        return tuple(self.frames.shape[1:])

    @property
    def name(self) -> str:
        """File stem of the source, or ``"sequence"``."""
        if not self.meta.source:
            return "sequence"
        from pathlib import Path

        return Path(self.meta.source).stem

    def derive(
        self,
        step: str,
        *,
        frames: np.ndarray | None = None,
        times: np.ndarray | None = None,
        mask: np.ndarray | Literal[False] | None = False,
        **meta_changes,
    ) -> Sequence:
        """A new sequence with some parts replaced and ``step`` added to the history.

        Parameters
        ----------
        step : str
            What was done, appended to ``meta.history``.
        frames : (T', H', W') ndarray, optional
            New frames (converted to C-contiguous float32); default: the current ones.
        times : (T',) ndarray, optional
            New times in s; default: the current ones.
        mask : (H', W') ndarray of bool, False or None
            ``False`` (the default) keeps the current mask; ``None`` drops it.
        **meta_changes
            Fields of :class:`Meta` to replace (``frame_rate=None``, ``units="counts"`` ...).

        Returns
        -------
        Sequence

        Raises
        ------
        ThermodefectError
            When the new parts do not fit together (see :class:`Sequence`).
        """
        meta = replace(self.meta, history=(*self.meta.history, step), **meta_changes)
        return Sequence(
            frames=self.frames if frames is None else np.ascontiguousarray(frames, np.float32),
            times=self.times if times is None else np.asarray(times, np.float64),
            mask=self.mask if mask is False else mask,
            meta=meta,
        )


def times_from_rate(n_frames: int, frame_rate: float | None) -> np.ndarray:
    """Frame times in s: ``arange(n) / frame_rate``, or frame indices when the rate is unknown.

    Parameters
    ----------
    n_frames : int
        Number of frames T.
    frame_rate : float or None
        Frames per second.

    Returns
    -------
    (T,) ndarray of float64
    """
    rate = 1.0 if frame_rate is None else float(frame_rate)
    return np.arange(n_frames, dtype=np.float64) / rate


def _describe(a) -> str:
    shape = getattr(a, "shape", None)
    return f"{type(a).__name__} of shape {shape}" if shape is not None else type(a).__name__


def frames_per_chunk(frame_shape: tuple[int, ...], itemsize: int = 4) -> int:
    """How many frames of ``frame_shape`` make about ``CHUNK_BYTES`` (at least one).

    Parameters
    ----------
    frame_shape : tuple of int
        Shape of one frame (H, W), or of one row of a (T, N) matrix.
    itemsize : int
        Bytes per value (4 for float32).

    Returns
    -------
    int
    """
    return max(1, CHUNK_BYTES // max(1, int(np.prod(frame_shape)) * itemsize))
