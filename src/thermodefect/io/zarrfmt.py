"""Zarr stores (a folder ``NAME.zarr``; ``pip install thermodefect[zarr]``): our layout,
chunked in blocks of frames, and any store holding one 3-D array.

Our layout (written by :func:`write`, read back field for field)::

    /           attrs: thermodefect_format = "sequence", format_version = 1, meta = JSON of Meta
    /frames     (T, H, W) float32, chunks of whole frames (about 64 MiB each)
    /times      (T,) float64, seconds
    /mask       (H, W) uint8, 1 = defect (only when the sequence has ground truth)

Chunked stores are read into memory block by block (peak memory the float32 frames plus
one chunk); for sequences larger than memory, convert to our HDF5 or ``.npy``, which are
memory-mapped and streamed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from thermodefect.errors import ThermodefectError, short
from thermodefect.io._common import LoadOptions, RawSequence, check_dtype, fill_frames, ours
from thermodefect.io.files import TEMP_PREFIX
from thermodefect.sequence import frames_per_chunk

__all__ = [
    "FORMAT_TAG",
    "read",
    "write",
]

FORMAT_TAG = "sequence"


def _arrays(group, prefix: str = "") -> dict:
    """Every array of a Zarr group, by path, nested groups included."""
    import zarr

    found = {}
    for name, member in group.members():
        path = f"{prefix}{name}"
        if isinstance(member, zarr.Array):
            found[path] = member
        else:
            found.update(_arrays(member, f"{path}/"))
    return found


def read(path: Path, opts: LoadOptions) -> RawSequence:
    """Read our Zarr layout, or the one 3-D numeric array of a store (``opts.var`` to choose).

    Parameters
    ----------
    path : Path
        The store (a folder).
    opts : LoadOptions
        How to interpret the content (see :class:`~thermodefect.io.LoadOptions`).

    Returns
    -------
    RawSequence
        Frames (T, H, W) float32 and what the store says about them.

    Raises
    ------
    ThermodefectError
        For a folder that is no Zarr store, or no or several 3-D arrays without ``opts.var``.
    """
    import zarr

    root: Any
    array: Any
    try:
        root = zarr.open(store=str(path), mode="r")
    except Exception as exc:  # zarr's own errors (GroupNotFoundError, ...) share no base
        raise ThermodefectError(f"is not a readable Zarr store ({short(exc)})", path) from exc
    if isinstance(root, zarr.Array):
        arrays = {"": root}
    elif root.attrs.get("thermodefect_format") == FORMAT_TAG and "frames" in root:
        frames: Any = root["frames"]
        block = fill_frames(tuple(frames.shape), lambda t0, t1: np.asarray(frames[t0:t1]), path)
        mask = np.asarray(root["mask"][:]).astype(bool) if "mask" in root else None
        return ours(block, np.asarray(root["times"][:], np.float64), mask,
                    str(root.attrs.get("meta", "{}")), "zarr-thermodefect")  # fmt: skip
    else:
        arrays = _arrays(root)
    if opts.var is not None:
        if opts.var not in arrays:
            raise ThermodefectError(
                f"has no array {opts.var!r}; it holds {', '.join(sorted(arrays)) or 'none'}", path
            )
        array = arrays[opts.var]
    else:
        cubes = {k: a for k, a in arrays.items() if len(a.shape) == 3}
        if len(cubes) != 1:
            listing = ", ".join(f"{k} {a.shape}" for k, a in sorted(cubes.items())) or "none"
            raise ThermodefectError(
                f"holds {len(cubes)} 3-D arrays ({listing}); choose one with --var", path
            )
        array = next(iter(cubes.values()))
    check_dtype(array.dtype, path)
    if (opts.layout or "THW") == "HWT":
        shape = (array.shape[2], array.shape[0], array.shape[1])
        block = fill_frames(
            shape, lambda t0, t1: np.moveaxis(np.asarray(array[:, :, t0:t1]), 2, 0), path
        )
    else:
        block = fill_frames(tuple(array.shape), lambda t0, t1: np.asarray(array[t0:t1]), path)
    return RawSequence(frames=block, extra={"format": "zarr", "source_dtype": str(array.dtype)})


def write(seq, path: Path) -> None:
    """Write every field of ``seq`` in our layout; the store appears whole or not at all (a
    store of the same name is replaced).

    Parameters
    ----------
    seq : Sequence
        The sequence to write.
    path : Path
        The store (a folder named ``*.zarr``).
    """
    import zarr

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TEMP_PREFIX}{path.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        root = zarr.open_group(store=str(tmp), mode="w")
        root.attrs.update(thermodefect_format=FORMAT_TAG, format_version=1,
                          meta=json.dumps(seq.meta.to_dict()))  # fmt: skip
        t, h, w = seq.frames.shape
        step = max(1, min(t, frames_per_chunk((h, w))))
        frames = root.create_array("frames", shape=(t, h, w), chunks=(step, h, w),
                                   dtype="float32")  # fmt: skip
        for t0 in range(0, t, step):
            frames[t0 : t0 + step] = seq.frames[t0 : t0 + step]
        root.create_array("times", data=np.asarray(seq.times, np.float64))
        if seq.mask is not None:
            root.create_array("mask", data=seq.mask.astype(np.uint8))
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
