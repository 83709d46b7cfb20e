"""HDF5 files: our own sequence layout, the pyThermoNDT container, and any single 3-D dataset.

Our layout (written by :func:`write`, read back field for field)::

    /           attrs: thermodefect_format = "sequence", format_version = 1, meta = JSON of Meta
    /frames     (T, H, W) float32, contiguous (memory-mapped when read; files written before
                2026-12-02 are chunked one frame per chunk and read into memory)
    /times      (T,) float64, seconds
    /mask       (H, W) uint8, 1 = defect (only when the sequence has ground truth)

pyThermoNDT container: ``/Data/Tdata`` (H, W, T) raw counts (uint16) or temperatures,
``/MetaData/LookUpTable`` counts -> kelvin, ``/MetaData/DomainValues`` times in s,
``/GroundTruth/DefectMask`` (H, W) uint8.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError, short
from thermodefect.io._common import (
    LoadOptions,
    RawSequence,
    check_finite,
    check_shape,
    fill_frames,
    ours,
)
from thermodefect.io.files import atomic_path, is_mapped

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "PYTHERMONDT",
    "mapped_frames",
    "open_h5",
    "read",
    "write",
]

FORMAT_TAG = "sequence"
FORMAT_VERSION = 1
PYTHERMONDT = ("Data/Tdata", "MetaData/LookUpTable", "MetaData/DomainValues")


@contextlib.contextmanager
def open_h5(path: Path) -> Iterator:
    """Open an HDF5 file read-only, turning h5py's failures into a one-line error.

    Parameters
    ----------
    path : Path
        The file.

    Yields
    ------
    h5py.File

    Raises
    ------
    ThermodefectError
        When the file cannot be opened or its content cannot be read.
    """
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ThermodefectError(f"cannot open as HDF5 ({short(exc)})", path) from exc
    try:
        yield f
    except (OSError, KeyError, RuntimeError) as exc:
        raise ThermodefectError(f"HDF5 content is unreadable ({short(exc)})", path) from exc
    finally:
        f.close()


def read(path: Path, opts: LoadOptions) -> RawSequence:
    """Read our layout, a pyThermoNDT container or a lone 3-D dataset.

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
        For a newer format version, counts beyond the lookup table, or no or several 3-D datasets
        without ``opts.var``.
    """
    with open_h5(path) as f:
        if f.attrs.get("thermodefect_format") == FORMAT_TAG:
            return _read_ours(f, path)
        if "Data/Tdata" in f:
            return _read_pythermondt(f, path)
        return _read_generic(f, path, opts)


def _read_ours(f, path: Path) -> RawSequence:
    version = int(f.attrs.get("format_version", 0))
    if version > FORMAT_VERSION:
        raise ThermodefectError(
            f"written by a newer thermodefect (format version {version}, this one reads up to "
            f"{FORMAT_VERSION}); upgrade thermodefect",
            path,
        )
    ds = f["frames"]
    frames = mapped_frames(ds, path)
    if frames is None:
        frames = fill_frames(tuple(ds.shape), lambda t0, t1: ds[t0:t1], path)
    mask = f["mask"][()].astype(bool) if "mask" in f else None
    times = f["times"][()].astype(np.float64)
    raw = ours(frames, times, mask, f.attrs.get("meta", "{}"), "hdf5-thermodefect")
    if is_mapped(frames):
        raw.extra = {**(raw.extra or {}), "memory_mapped": True}
    return raw


def mapped_frames(ds, path: Path) -> np.ndarray | None:
    """A 3-D dataset memory-mapped read-only as (T, H, W), when HDF5 stores it as one
    contiguous, uncompressed block of little-endian float32 (our writer's layout); else None.

    Parameters
    ----------
    ds : h5py.Dataset
        The frames.
    path : Path
        Its file.

    Returns
    -------
    (T, H, W) numpy.memmap of float32, or None
        Checked for shape and finite values, block by block.
    """
    offset = ds.id.get_offset() if ds.chunks is None and ds.compression is None else None
    if offset is None or ds.ndim != 3 or ds.dtype != np.dtype("<f4") or ds.external:
        return None
    check_shape(tuple(ds.shape), path)
    frames = np.memmap(path, np.float32, "r", offset=offset, shape=tuple(ds.shape))
    check_finite(frames, path)
    return frames


def _read_pythermondt(f, path: Path) -> RawSequence:
    tdata = f["Data/Tdata"]
    if tdata.ndim != 3:
        raise ThermodefectError(
            f"pyThermoNDT Data/Tdata must be (height, width, frames), found shape {tdata.shape}",
            path,
        )
    lut = f["MetaData/LookUpTable"][()].ravel() if "MetaData/LookUpTable" in f else None
    counts = np.issubdtype(tdata.dtype, np.integer)
    if lut is not None and counts:

        def block(t0, t1):
            raw = tdata[:, :, t0:t1]
            if raw.max() >= lut.size:
                raise ThermodefectError(
                    f"Data/Tdata holds count {raw.max()} but MetaData/LookUpTable has only "
                    f"{lut.size} entries",
                    path,
                )
            return np.moveaxis(lut[raw], 2, 0)

        units = "K"
    else:

        def block(t0, t1):
            return np.moveaxis(tdata[:, :, t0:t1], 2, 0)

        units = "counts" if counts else "K"
    shape = (tdata.shape[2], tdata.shape[0], tdata.shape[1])
    frames = fill_frames(shape, block, path)
    times = None
    if "MetaData/DomainValues" in f:
        times = f["MetaData/DomainValues"][()].astype(np.float64).ravel()
    mask = f["GroundTruth/DefectMask"][()] > 0 if "GroundTruth/DefectMask" in f else None
    return RawSequence(
        frames=frames,
        times=times,
        mask=mask,
        units=units,
        extra={"format": "hdf5-pythermondt", "source_dtype": str(tdata.dtype)},
    )


def _read_generic(f, path: Path, opts: LoadOptions) -> RawSequence:
    import h5py

    found: dict[str, h5py.Dataset] = {}
    f.visititems(
        lambda name, obj: (
            found.__setitem__(name, obj)
            if isinstance(obj, h5py.Dataset)
            and obj.ndim == 3
            and np.issubdtype(obj.dtype, np.number)
            else None
        )
    )
    if opts.var is not None:
        if opts.var not in found:
            listing = ", ".join(sorted(found)) or "none"
            raise ThermodefectError(f"no 3-D dataset {opts.var!r}; 3-D datasets: {listing}", path)
        ds = found[opts.var]
    elif len(found) == 1:
        ds = next(iter(found.values()))
    elif not found:
        raise ThermodefectError("holds no 3-D numeric dataset", path)
    else:
        listing = ", ".join(f"{n} {d.shape}" for n, d in sorted(found.items()))
        raise ThermodefectError(f"holds several 3-D datasets ({listing}); choose with --var", path)
    layout = opts.layout or "THW"
    if layout == "HWT":
        shape = (ds.shape[2], ds.shape[0], ds.shape[1])
        frames = fill_frames(shape, lambda t0, t1: np.moveaxis(ds[:, :, t0:t1], 2, 0), path)
    else:
        mapped = mapped_frames(ds, path)
        frames = (
            mapped if mapped is not None
            else fill_frames(tuple(ds.shape), lambda t0, t1: ds[t0:t1], path)
        )  # fmt: skip
    extra = {"format": "hdf5", "variable": ds.name, "source_dtype": str(ds.dtype)}
    return RawSequence(
        frames=frames, extra={**extra, "memory_mapped": True} if is_mapped(frames) else extra
    )


def write(seq, path: Path) -> None:
    """Write every field of ``seq`` in our layout (see the module docstring).

    Parameters
    ----------
    seq : Sequence
        The sequence to write.
    path : Path
        The file; it appears whole or not at all.
    """
    import h5py

    t, h, w = seq.frames.shape
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["thermodefect_format"] = FORMAT_TAG
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["meta"] = json.dumps(seq.meta.to_dict())
        d = f.create_dataset("frames", shape=(t, h, w), dtype=np.float32)  # contiguous: mapped
        for t0 in range(0, t, 64):
            d[t0 : t0 + 64] = seq.frames[t0 : t0 + 64]
        f.create_dataset("times", data=np.asarray(seq.times, np.float64))
        if seq.mask is not None:
            f.create_dataset("mask", data=seq.mask.astype(np.uint8))
