"""Pieces shared by the readers and writers: options, validation, chunked copies, safe writes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Meta, frames_per_chunk

MIN_FRAMES = 16


@dataclass(frozen=True)
class LoadOptions:
    """How to interpret a file whose content leaves room for doubt.

    Parameters
    ----------
    var : str, optional
        Variable (MATLAB) or dataset (HDF5) holding the frames; ``a.b`` reaches a struct field.
    shape : (H, W), optional
        Image size for per-pixel CSV exports whose row count is not a known camera size.
    order : {'C', 'F'}
        Pixel order of CSV rows: ``'C'`` row by row (the seed's), ``'F'`` column by column.
    layout : {'THW', 'HWT'}, optional
        Axis order of arrays in NumPy and generic HDF5 files (default ``'THW'``).
    frame_rate : float, optional
        Frames per second, overriding what the file says.
    pixel_pitch_mm : float, optional
        Pixel size on the specimen in mm, overriding what the file says.
    """

    var: str | None = None
    shape: tuple[int, int] | None = None
    order: str = "C"
    layout: str | None = None
    frame_rate: float | None = None
    pixel_pitch_mm: float | None = None


@dataclass
class RawSequence:
    """What a reader found, before validation (:func:`thermodefect.io.load` completes it).

    Parameters
    ----------
    frames : (T, H, W) ndarray of float32
        The frames, C-contiguous (possibly a read-only memory map).
    times : (T,) ndarray of float64, optional
        Frame times in s, when the file holds them.
    mask : (H, W) ndarray of bool, optional
        Ground truth stored in the file.
    frame_rate : float, optional
        Frames per second stated by the file.
    pixel_pitch_mm : float, optional
        Pixel size on the specimen in mm stated by the file.
    units : str
        ``"K"`` or ``"counts"``.
    baseline : str
        Which baseline the file's values have subtracted (:data:`thermodefect.sequence.BASELINES`).
    extra : dict, optional
        Format facts (``format``, ``variable``, ``source_dtype`` ...).
    history : tuple of str
        Processing steps recorded in the file.
    """

    frames: np.ndarray
    times: np.ndarray | None = None
    mask: np.ndarray | None = None
    frame_rate: float | None = None
    pixel_pitch_mm: float | None = None
    units: str = "K"
    baseline: str = "unknown"
    extra: dict | None = None
    history: tuple[str, ...] = ()


def ours(frames, times, mask, meta_json: str, fmt: str) -> RawSequence:
    """A :class:`RawSequence` of one of our own files, its metadata read by
    :meth:`~thermodefect.sequence.Meta.from_dict` from the stored JSON."""
    meta = Meta.from_dict(json.loads(meta_json))
    return RawSequence(
        frames=frames,
        times=times,
        mask=mask,
        frame_rate=meta.frame_rate,
        pixel_pitch_mm=meta.pixel_pitch_mm,
        units=meta.units,
        baseline=meta.baseline,
        extra={**meta.extra, "format": fmt},
        history=meta.history,
    )


def check_shape(
    shape: tuple[int, ...], path: Path, layout: str = "(frames, height, width)"
) -> None:
    """Fail unless ``shape`` is 3-D with at least ``MIN_FRAMES`` frames along axis 0.

    Parameters
    ----------
    shape : tuple of int
        Shape of the frames.
    path : Path
        The file, for the message.
    layout : str
        The expected layout, for the message.

    Raises
    ------
    ThermodefectError
        For another number of dimensions, an empty array or too few frames.
    """
    if len(shape) != 3:
        raise ThermodefectError(
            f"expected a 3-D array {layout}, found {len(shape)}-D data of shape {tuple(shape)}",
            path,
        )
    if min(shape) == 0:
        raise ThermodefectError(f"the array is empty (shape {tuple(shape)})", path)
    if shape[0] < MIN_FRAMES:
        raise ThermodefectError(
            f"found only {shape[0]} frames; at least {MIN_FRAMES} are needed", path
        )


def available_memory() -> int:
    """Bytes of memory this process can still use: the system's available memory, and the
    room left under a cgroup's limit (containers, batch schedulers) when that is less.

    Returns
    -------
    int
    """
    available = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except OSError:
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return 2**62
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if limit != "max":
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(available, 0)


def check_memory(shape: tuple[int, ...], path: Path, itemsize: int = 4) -> None:
    """Refuse to allocate frames larger than the memory available (a header may declare any
    size).

    Parameters
    ----------
    shape : tuple of int
        Shape of the array to allocate.
    path : Path
        The file, for the message.
    itemsize : int
        Bytes per value (4 for float32).

    Raises
    ------
    ThermodefectError
        Naming the size needed and the memory available.
    """
    need = int(np.prod(shape, dtype=np.float64)) * itemsize
    available = available_memory()
    if need > available:
        raise ThermodefectError(
            f"its frames {tuple(shape)} need {need / 2**30:.1f} GiB as float32 but only "
            f"{available / 2**30:.1f} GiB of memory is available; crop or subsample it first",
            path,
        )


def check_dtype(dtype, path: Path) -> None:
    """Refuse data that are not real numbers (complex values would lose their imaginary part).

    Parameters
    ----------
    dtype : numpy.dtype or str
        The stored type.
    path : Path
        The file, for the message.

    Raises
    ------
    ThermodefectError
        For complex or non-numeric data.
    """
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.complexfloating):
        raise ThermodefectError(
            f"expected real numbers, found complex data ({dtype}); save the real part or the "
            "magnitude instead",
            path,
        )
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise ThermodefectError(f"expected numeric data, found dtype {dtype}", path)


def fill_frames(
    shape: tuple[int, ...], block: Callable[[int, int], np.ndarray], path: Path
) -> np.ndarray:
    """Assemble a float32 (T, H, W) array from ``block(t0, t1)`` slabs, checking values as it goes.

    Peak memory is the output plus one slab (at most 64 MiB and a sixteenth of the output),
    whatever the source layout or dtype.
    """
    check_shape(shape, path)
    check_memory(shape, path)
    out = np.empty(shape, np.float32)
    step = max(1, min(frames_per_chunk(shape[1:]), shape[0] // 16))
    for t0 in range(0, shape[0], step):
        t1 = min(shape[0], t0 + step)
        slab = np.asarray(block(t0, t1))
        check_dtype(slab.dtype, path)
        out[t0:t1] = slab
        check_finite(out[t0:t1], path, offset=t0)
    return out


def check_finite(frames: np.ndarray, path: Path, offset: int = 0) -> None:
    """Fail naming the first NaN or infinite value of ``frames``.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        Checked block by block.
    path : Path
        The file, for the message.
    offset : int
        Index of the first frame in the file, for the message.

    Raises
    ------
    ThermodefectError
        Naming how many values are not finite and where the first one is.
    """
    from thermodefect.io.files import frame_blocks

    for t0, block in frame_blocks(frames):
        finite = np.isfinite(block)
        if not finite.all():
            bad = np.argwhere(~finite)[0]
            count = int(block.size - np.count_nonzero(finite))
            t, r, c = int(bad[0]) + t0 + offset, int(bad[1]), int(bad[2])
            raise ThermodefectError(
                f"contains non-finite values (NaN or inf), {count} in frames {t0 + offset}"
                f"-{t0 + offset + len(block) - 1}, the first at frame {t}, row {r}, column {c}",
                path,
            )


def as_frames(array: np.ndarray, path: Path, layout: str = "THW") -> np.ndarray:
    """Copy a 3-D in-memory array of any dtype into checked C-contiguous float32 (T, H, W).

    Parameters
    ----------
    array : ndarray
        3-D numeric data.
    path : Path
        The file, for messages.
    layout : {'THW', 'HWT'}
        Axis order of ``array``.

    Returns
    -------
    (T, H, W) ndarray of float32

    Raises
    ------
    ThermodefectError
        For another layout, complex or non-numeric data, another shape, or non-finite values.
    """
    if layout not in ("THW", "HWT"):
        raise ThermodefectError(f"layout must be 'THW' or 'HWT', found {layout!r}", path)
    check_dtype(array.dtype, path)
    if array.ndim != 3:
        check_shape(array.shape, path)
    view = array if layout == "THW" else np.moveaxis(array, 2, 0)
    return fill_frames(view.shape, lambda t0, t1: view[t0:t1], path)


def check_extent(path: Path, declared: int, what: str) -> None:
    """Refuse a file shorter than its header declares, before anything is allocated.

    Parameters
    ----------
    path : Path
        The file.
    declared : int
        Bytes the header's counts and sizes add up to.
    what : str
        What the header declares, for the message (``"400 frames of 240 x 320"``).

    Raises
    ------
    ThermodefectError
        Naming what was declared and how many bytes the file holds.
    """
    size = path.stat().st_size
    if declared > size:
        raise ThermodefectError(
            f"the file is truncated: its header declares {what} ({declared} bytes) but the file "
            f"holds {size} bytes",
            path,
        )


def increasing_times(stamps, unit: float = 1.0) -> np.ndarray | None:
    """Times in s from the first stamp, when the stamps are finite and strictly increasing.

    Camera time stamps of a coarse clock repeat at high frame rates; such a vector is no time
    base, and the caller falls back to the frame rate. Integer stamps (clock ticks) are
    differenced exactly before scaling, so seconds since 1970 lose no precision.

    Parameters
    ----------
    stamps : (T,) array_like
        Time stamps, in units of ``unit`` seconds.
    unit : float
        Seconds per stamp unit (1e-3 for milliseconds).

    Returns
    -------
    (T,) ndarray of float64, or None

    Examples
    --------
    >>> increasing_times([10.0, 10.5, 11.0])
    array([0. , 0.5, 1. ])
    >>> increasing_times([10.0, 10.0, 11.0]) is None
    True
    """
    stamps = np.asarray(stamps)
    if (
        stamps.size < 2
        or (stamps.dtype.kind == "f" and not np.all(np.isfinite(stamps)))
        or np.any(np.diff(stamps) <= 0)
    ):
        return None
    return (stamps - stamps[0]).astype(np.float64) * unit
