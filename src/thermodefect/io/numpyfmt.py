"""NumPy files: ``.npy`` with one 3-D array, ``.npz`` archives (ours keep every field)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io._common import (
    LoadOptions,
    RawSequence,
    as_frames,
    check_dtype,
    check_finite,
    check_memory,
    check_shape,
    ours,
)
from thermodefect.io.files import atomic_path

__all__ = [
    "read_npy",
    "read_npz",
    "write_npz",
]


def read_npy(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a ``.npy`` array.

    Native float32 (T, H, W) files are memory-mapped read-only, not copied. Other C-ordered
    3-D files are read in contiguous slabs along their first axis (frames for (T, H, W), image
    rows for (H, W, T)) with plain file reads, so peak memory stays near the output's size.

    Parameters
    ----------
    path : Path
        The file.
    opts : LoadOptions
        How to interpret the content (see :class:`~thermodefect.io.LoadOptions`).

    Returns
    -------
    RawSequence
        Frames (T, H, W) float32 and what the file says about them.

    Raises
    ------
    ThermodefectError
        For a truncated file, complex or non-numeric data, or another shape.
    """
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "mmap length" in str(exc):
            raise ThermodefectError(
                "the file is truncated (shorter than its header says)", path
            ) from exc
        raise
    check_dtype(array.dtype, path)
    layout = opts.layout or "THW"
    extra = {"format": "npy", "source_dtype": str(array.dtype)}
    native = array.dtype.isnative and array.flags.c_contiguous
    if layout == "THW" and array.dtype == np.float32 and native:
        check_shape(array.shape, path)
        check_finite(array, path)
        return RawSequence(frames=array, extra={**extra, "memory_mapped": True})
    if array.ndim == 3 and array.flags.c_contiguous and layout in ("THW", "HWT"):
        return RawSequence(frames=_read_slabs(path, array, layout), extra=extra)
    return RawSequence(frames=as_frames(array, path, layout), extra=extra)


def _read_slabs(path: Path, mapped: np.memmap, layout: str) -> np.ndarray:
    """Copy a C-ordered 3-D .npy into float32 (T, H, W) through contiguous first-axis slabs."""
    shape, dtype, offset = mapped.shape, mapped.dtype, mapped.offset
    out_shape = shape if layout == "THW" else (shape[2], shape[0], shape[1])
    check_shape(out_shape, path)
    check_memory(out_shape, path)
    row = int(np.prod(shape[1:]))
    step = max(1, min(shape[0] // 16, (64 << 20) // max(1, row * dtype.itemsize)))
    out = np.empty(out_shape, np.float32)
    with open(path, "rb") as fh:
        for a in range(0, shape[0], step):
            b = min(shape[0], a + step)
            fh.seek(offset + a * row * dtype.itemsize)
            slab = np.fromfile(fh, dtype=dtype, count=(b - a) * row)
            if slab.size != (b - a) * row:
                raise ThermodefectError(
                    f"the file is truncated: shape {shape} needs more bytes than it holds", path
                )
            slab = slab.reshape(b - a, *shape[1:])
            if layout == "THW":
                out[a:b] = slab
            else:
                out[:, a:b, :] = slab.transpose(2, 0, 1)
    check_finite(out, path)
    return out


def read_npz(path: Path, opts: LoadOptions) -> RawSequence:
    """Read our archive (``frames``, ``times``, ``mask``, ``meta``) or one 3-D array in any npz.

    Parameters
    ----------
    path : Path
        The file.
    opts : LoadOptions
        How to interpret the content (see :class:`~thermodefect.io.LoadOptions`).

    Returns
    -------
    RawSequence
        Frames (T, H, W) float32 and what the file says about them.

    Raises
    ------
    ThermodefectError
        When no single 3-D array is there and ``opts.var`` names none.
    """
    with np.load(path, allow_pickle=False) as z:
        names = list(z.files)
        if "frames" in names and "meta" in names:
            mask = z["mask"].astype(bool) if "mask" in names else None
            frames, times = as_frames(z["frames"], path), z["times"].astype(np.float64)
            return ours(frames, times, mask, str(z["meta"]), "npz-thermodefect")
        cubes = [n for n in names if z[n].ndim == 3]
        name = opts.var or ("data" if "data" in cubes else (cubes[0] if len(cubes) == 1 else None))
        if name is None or name not in names:
            listing = ", ".join(f"{n} {z[n].shape}" for n in names) or "nothing"
            raise ThermodefectError(
                f"expected one 3-D array (or --var NAME) in the archive, found {listing}", path
            )
        return RawSequence(
            frames=as_frames(z[name], path, opts.layout or "THW"),
            extra={"format": "npz", "variable": name},
        )


def write_npz(seq, path: Path) -> None:
    """Write ``frames``, ``times``, ``mask`` (when present) and ``meta`` (JSON) uncompressed.

    Parameters
    ----------
    seq : Sequence
        The sequence to write.
    path : Path
        The file; it appears whole or not at all.
    """
    arrays = {
        "frames": seq.frames,
        "times": np.asarray(seq.times, np.float64),
        "meta": np.array(json.dumps(seq.meta.to_dict())),
    }
    if seq.mask is not None:
        arrays["mask"] = seq.mask
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)
