"""MATLAB files: v5/v7 (scipy) and v7.3 (HDF5 via h5py), in the seed's (H, W, T) ``data`` layout.

MATLAB stores arrays column-major, so a MATLAB (H, W, T) array appears to h5py as (T, W, H); both
readers return (T, H, W). Sequences may also be stored as a cell array of equal-size 2-D frames,
directly or in a struct field; ``var="s.frames"`` names such a field.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError, short
from thermodefect.io._common import LoadOptions, RawSequence, fill_frames
from thermodefect.io.files import atomic_path

__all__ = [
    "MATLAB_NUMERIC",
    "PITCH_NAMES",
    "RATE_NAMES",
    "TIME_NAMES",
    "V5_MAX_BYTES",
    "read_v5",
    "read_v73",
    "write",
]

TIME_NAMES = ("time", "times", "t", "Time", "timestamps")
RATE_NAMES = ("fps", "frame_rate", "framerate", "frameRate", "FrameRate")
PITCH_NAMES = ("pixel_pitch_mm",)
V5_MAX_BYTES = 2**31 - 1
MATLAB_NUMERIC = {
    "double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
    "logical",
}  # fmt: skip


def _slab(array, t0: int, t1: int) -> np.ndarray:
    return array[t0:t1]


def _slab_transposed(dataset, t0: int, t1: int) -> np.ndarray:
    return dataset[t0:t1].transpose(0, 2, 1)


def _stack_slice(frames: list, t0: int, t1: int) -> np.ndarray:
    return np.stack(frames[t0:t1])


def _stack_transposed(datasets: list, t0: int, t1: int) -> np.ndarray:
    return np.stack([d[()].T for d in datasets[t0:t1]])


class _Candidate:
    """A variable that can hold a sequence: its dotted name, (T, H, W) shape and a slab reader."""

    def __init__(self, name: str, shape: tuple[int, ...], block: Callable[[int, int], np.ndarray]):
        self.name, self.shape, self.block = name, shape, block


def _choose(candidates: dict[str, _Candidate], var: str | None, path: Path) -> _Candidate:
    """The variable to read: ``var`` if given, else ``data``, else the only candidate."""
    if var is not None:
        if var not in candidates:
            found = ", ".join(sorted(candidates)) or "none"
            raise ThermodefectError(
                f"no 3-D numeric variable or cell of frames named {var!r}; candidates: {found}",
                path,
            )
        return candidates[var]
    if "data" in candidates:
        return candidates["data"]
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    if not candidates:
        raise ThermodefectError(
            "holds no 3-D numeric variable and no cell array of equal-size 2-D frames", path
        )
    listing = ", ".join(f"{n} {tuple(c.shape)}" for n, c in sorted(candidates.items()))
    raise ThermodefectError(
        f"holds several possible sequences ({listing}); choose one with --var NAME", path
    )


def _is_numeric(a) -> bool:
    return isinstance(a, np.ndarray) and (np.issubdtype(a.dtype, np.number) or a.dtype == bool)


def _frames_of_cell(cell: np.ndarray) -> list[np.ndarray] | None:
    items = [np.asarray(x) for x in cell.ravel(order="F")]
    if not items or not all(_is_numeric(x) and x.ndim == 2 for x in items):
        return None
    return items if all(x.shape == items[0].shape for x in items) else None


def _walk_v5(name: str, value, out: dict[str, _Candidate]) -> None:
    if not isinstance(value, np.ndarray):
        return
    if value.dtype.names and value.size == 1:
        for field in value.dtype.names:
            _walk_v5(f"{name}.{field}", value[field].ravel()[0], out)
    elif value.dtype == object:
        frames = _frames_of_cell(value)
        if frames is not None:
            shape = (len(frames), *frames[0].shape)
            out[name] = _Candidate(name, shape, partial(_stack_slice, frames))
    elif _is_numeric(value) and value.ndim == 3:
        view = np.moveaxis(value, 2, 0)
        out[name] = _Candidate(name, view.shape, partial(_slab, view))


def _scalar_or_vector(variables: dict, names: tuple[str, ...], size: int | None):
    for n in names:
        v = variables.get(n)
        if v is not None and _is_numeric(v) and (v.size == size if size else v.size == 1):
            return np.asarray(v, np.float64).ravel()
    return None


def read_v5(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a MATLAB v5/v7 file with scipy (the seed's ``data`` (H, W, T), or another variable).

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
        For a damaged file, no candidate variable, or several without ``opts.var``.
    """
    from scipy.io import loadmat

    try:
        variables = loadmat(path, squeeze_me=False, struct_as_record=True)
    except Exception as exc:  # scipy raises many types for damaged files
        raise ThermodefectError(f"cannot read as a MATLAB v5 file ({short(exc)})", path) from exc
    variables = {k: v for k, v in variables.items() if not k.startswith("__")}
    candidates: dict[str, _Candidate] = {}
    for name, value in variables.items():
        _walk_v5(name, value, candidates)
    chosen = _choose(candidates, opts.var, path)
    frames = fill_frames(tuple(chosen.shape), chosen.block, path)
    return _raw(frames, variables, "mat-v5", chosen)


def _raw(frames: np.ndarray, variables: dict, fmt: str, chosen: _Candidate) -> RawSequence:
    times = _scalar_or_vector(variables, TIME_NAMES, frames.shape[0])
    rate = _scalar_or_vector(variables, RATE_NAMES, None)
    pitch = _scalar_or_vector(variables, PITCH_NAMES, None)
    return RawSequence(
        frames=frames,
        times=times,
        frame_rate=None if rate is None else float(rate[0]),
        pixel_pitch_mm=None if pitch is None else float(pitch[0]),
        extra={"format": fmt, "variable": chosen.name, "source_dtype": _dtype_of(chosen)},
    )


def _dtype_of(c: _Candidate) -> str:
    return str(np.asarray(c.block(0, 1)).dtype)


def _h5_class(obj) -> str:
    cls = obj.attrs.get("MATLAB_class", b"")
    return cls.decode() if isinstance(cls, bytes) else str(cls)


def _walk_v73(f, name: str, obj, out: dict[str, _Candidate]) -> None:
    import h5py

    if isinstance(obj, h5py.Group):
        for key in obj:
            if not key.startswith("#"):
                _walk_v73(f, f"{name}.{key}" if name else key, obj[key], out)
        return
    cls = _h5_class(obj)
    if cls == "cell" and obj.dtype == h5py.ref_dtype:
        refs = obj[()].ravel()
        items = [f[r] for r in refs]
        if (
            items
            and all(isinstance(d, h5py.Dataset) and d.ndim == 2 for d in items)
            and all(d.shape == items[0].shape and _h5_class(d) in MATLAB_NUMERIC for d in items)
        ):
            shape = (len(items), items[0].shape[1], items[0].shape[0])
            out[name] = _Candidate(name, shape, partial(_stack_transposed, items))
    elif obj.ndim == 3 and (cls in MATLAB_NUMERIC or np.issubdtype(obj.dtype, np.number)):
        shape = (obj.shape[0], obj.shape[2], obj.shape[1])
        out[name] = _Candidate(name, shape, partial(_slab_transposed, obj))


def read_v73(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a MATLAB v7.3 file (HDF5 with a 512-byte MATLAB header) slab by slab.

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
        For a damaged file, no candidate variable, or several without ``opts.var``.
    """
    import h5py

    from thermodefect.io.hdf5 import open_h5

    with open_h5(path) as f:
        candidates: dict[str, _Candidate] = {}
        _walk_v73(f, "", f, candidates)
        chosen = _choose(candidates, opts.var, path)
        frames = fill_frames(tuple(chosen.shape), chosen.block, path)
        small = {
            k: f[k][()]
            for k in (*TIME_NAMES, *RATE_NAMES, *PITCH_NAMES)
            if k in f and isinstance(f[k], h5py.Dataset) and f[k].size <= frames.shape[0]
        }
        return _raw(frames, small, "mat-v7.3", chosen)


def write(seq, path: Path, *, mat_version: str = "auto") -> None:
    """Write the seed's layout: ``data`` (H, W, T) float32, ``time`` (1, T) s, and ``fps`` and
    ``pixel_pitch_mm`` when known.

    Parameters
    ----------
    seq : Sequence
        The sequence to write.
    path : Path
        The file; it appears whole or not at all.
    mat_version : {'auto', '5', '7.3'}
        ``'auto'`` writes v5 unless the data exceed 2 GiB, which v5 cannot hold.

    Raises
    ------
    ThermodefectError
        For another version.
    """
    version = mat_version
    if version == "auto":
        version = "5" if seq.frames.nbytes < V5_MAX_BYTES else "7.3"
    if version not in ("5", "7.3"):
        raise ThermodefectError(f"MATLAB version must be '5' or '7.3', found {version!r}", path)
    with atomic_path(path) as tmp:
        (_write_v5 if version == "5" else _write_v73)(seq, tmp)


def _write_v5(seq, tmp: Path) -> None:
    from scipy.io import savemat

    variables = {"data": np.moveaxis(seq.frames, 0, 2), "time": seq.times[None, :]}
    if seq.meta.frame_rate:
        variables["fps"] = float(seq.meta.frame_rate)
    if seq.meta.pixel_pitch_mm:
        variables["pixel_pitch_mm"] = float(seq.meta.pixel_pitch_mm)
    savemat(tmp, variables, format="5", do_compression=False, oned_as="row")
    with open(tmp, "r+b") as fh:  # a header without the creation time: same data, same bytes
        fh.write(b"MATLAB 5.0 MAT-file, written by thermodefect".ljust(116, b" "))


def _write_v73(seq, tmp: Path) -> None:
    import h5py

    t, h, w = seq.frames.shape
    with h5py.File(tmp, "w", userblock_size=512, libver="earliest") as f:
        d = f.create_dataset("data", shape=(t, w, h), dtype=np.float32, chunks=(1, w, h))
        d.attrs["MATLAB_class"] = np.bytes_("single")
        for t0 in range(0, t, 16):
            d[t0 : t0 + 16] = seq.frames[t0 : t0 + 16].transpose(0, 2, 1)
        tm = f.create_dataset("time", data=seq.times[:, None])
        tm.attrs["MATLAB_class"] = np.bytes_("double")
        scalars = {"fps": seq.meta.frame_rate, "pixel_pitch_mm": seq.meta.pixel_pitch_mm}
        for key, value in scalars.items():
            if value:
                ds = f.create_dataset(key, data=np.array([[float(value)]]))
                ds.attrs["MATLAB_class"] = np.bytes_("double")
    text = "MATLAB 7.3 MAT-file, written by thermodefect, HDF5 schema 1.00 ."
    header = text.encode("ascii").ljust(116, b" ") + b"\x00" * 8 + struct.pack("<H", 0x0200) + b"IM"
    with open(tmp, "r+b") as fh:
        fh.write(header)
