"""Reading and writing thermal sequences: ``load(path)`` and ``save(seq, path)``.

Readers are chosen by content (magic bytes) first and by suffix second; see ``docs/formats.md``.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io._common import MIN_FRAMES, LoadOptions, RawSequence, check_shape, short
from thermodefect.sequence import Meta, Sequence, times_from_rate

__all__ = [
    "MIN_FRAMES",
    "READERS",
    "SEQUENCE_SUFFIXES",
    "WRITERS",
    "LoadOptions",
    "load",
    "save",
    "sniff",
]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


@dataclass(frozen=True)
class Reader:
    """A file format we read: its name, the suffixes it claims, and the function reading it."""

    name: str
    suffixes: tuple[str, ...]
    read: Callable[[Path, LoadOptions], RawSequence]
    description: str


def _lazy(module: str, func: str) -> Callable[[Path, LoadOptions], RawSequence]:
    def call(path: Path, opts: LoadOptions) -> RawSequence:
        import importlib

        return getattr(importlib.import_module(f"thermodefect.io.{module}"), func)(path, opts)

    return call


READERS: dict[str, Reader] = {
    r.name: r
    for r in (
        Reader("mat-v5", (".mat",), _lazy("matlab", "read_v5"), "MATLAB v5/v7 (scipy)"),
        Reader("mat-v7.3", (".mat",), _lazy("matlab", "read_v73"), "MATLAB v7.3 (HDF5)"),
        Reader("hdf5", (".h5", ".hdf5", ".hdf"), _lazy("hdf5", "read"), "HDF5 (ours, pyThermoNDT)"),
        Reader("npy", (".npy",), _lazy("numpyfmt", "read_npy"), "NumPy array"),
        Reader("npz", (".npz",), _lazy("numpyfmt", "read_npz"), "NumPy archive"),
        Reader("tiff", (".tif", ".tiff"), _lazy("tiff", "read"), "multi-page TIFF stack"),
        Reader("csv", (".csv", ".txt", ".tsv", ".dat"), _lazy("csvfmt", "read_pixels"), "CSV"),
        Reader("csv-folder", (), _lazy("csvfmt", "read_folder"), "folder of CSV frames"),
    )
}

#: Suffixes of files that hold a whole sequence (a folder of CSV frames is one too).
SEQUENCE_SUFFIXES = tuple(sorted({s for r in READERS.values() for s in r.suffixes}))


def sniff(path: str | os.PathLike) -> str:
    """The name of the reader for ``path``, from its content and then its suffix.

    Raises
    ------
    ThermodefectError
        If the file is missing, empty or of no format we read.
    """
    path = Path(path)
    if path.is_dir():
        return "csv-folder"
    if not path.exists():
        raise ThermodefectError("no such file or folder", path)
    size = path.stat().st_size
    if size == 0:
        raise ThermodefectError("the file is empty (0 bytes)", path)
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if head[512:520] == HDF5_MAGIC and head.startswith(b"MATLAB"):
        return "mat-v7.3"
    if head.startswith(b"MATLAB 5.0 MAT-file"):
        return "mat-v5"
    if head.startswith(HDF5_MAGIC) or head[512:520] == HDF5_MAGIC:
        return "hdf5"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "npz"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    suffix = path.suffix.lower()
    if suffix in READERS["csv"].suffixes and _looks_like_text(head):
        return "csv"
    if suffix in {s for r in READERS.values() for s in r.suffixes}:
        raise ThermodefectError(
            f"the content does not look like a {suffix} file (it starts with {head[:16]!r}); "
            "the file may be damaged",
            path,
        )
    known = ", ".join(SEQUENCE_SUFFIXES)
    raise ThermodefectError(
        f"unrecognised format (suffix {suffix or 'none'}); we read {known}", path
    )


def _looks_like_text(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    return "\x00" not in text and "\ufffd" not in text[:-4] and any(c.isdigit() for c in text)


def load(
    path: str | os.PathLike,
    *,
    var: str | None = None,
    shape: tuple[int, int] | None = None,
    order: str = "C",
    layout: str | None = None,
    frame_rate: float | None = None,
    pixel_pitch_mm: float | None = None,
    attach_label: bool = True,
) -> Sequence:
    """Read a thermal sequence from any supported file or folder.

    Parameters
    ----------
    path : str or PathLike
        A ``.mat`` (v5/v7/v7.3), ``.csv``, ``.npy``, ``.npz``, ``.h5``, ``.tif`` file, or a
        folder of one CSV per frame.
    var, shape, order, layout, frame_rate, pixel_pitch_mm
        See :class:`LoadOptions`.
    attach_label : bool
        Attach ``labels/{name}_label.png`` (or ``{name}_label.png`` beside the file) as the
        ground-truth mask when the file holds none.

    Returns
    -------
    Sequence
        Frames (T, H, W) float32, times in s, optional mask, metadata.

    Raises
    ------
    ThermodefectError
        Naming the file, for anything that is not a readable sequence of at least
        ``MIN_FRAMES`` finite frames.
    """
    path = Path(path)
    opts = LoadOptions(var, shape, order, layout, frame_rate, pixel_pitch_mm)
    if layout not in (None, "THW", "HWT"):
        raise ThermodefectError(f"layout must be 'THW' or 'HWT', found {layout!r}", path)
    fmt = sniff(path)
    try:
        raw = READERS[fmt].read(path, opts)
    except ThermodefectError:
        raise
    except (OSError, ValueError, EOFError, KeyError, IndexError, TypeError) as exc:
        raise ThermodefectError(
            f"cannot read as {READERS[fmt].description} ({short(exc)})", path
        ) from exc
    except (struct.error, zlib.error, zipfile.BadZipFile) as exc:
        raise ThermodefectError(f"the file is damaged or truncated ({short(exc)})", path) from exc
    return _to_sequence(raw, path, opts, attach_label)


def _to_sequence(raw: RawSequence, path: Path, opts: LoadOptions, attach_label: bool) -> Sequence:
    check_shape(raw.frames.shape, path)
    n = raw.frames.shape[0]
    rate = opts.frame_rate or raw.frame_rate
    times = raw.times
    if opts.frame_rate or times is None:
        times = times_from_rate(n, rate)
    elif times.shape != (n,) or not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ThermodefectError(
            f"its time vector must hold {n} strictly increasing finite values", path
        )
    elif rate is None and n > 1:
        rate = float(1.0 / np.median(np.diff(times)))
    mask = raw.mask
    if mask is not None and mask.shape != raw.frames.shape[1:]:
        raise ThermodefectError(
            f"its mask is {mask.shape} but frames are {raw.frames.shape[1:]}", path
        )
    if mask is None and attach_label:
        from thermodefect.io.masks import find_label, read_label_png

        label = find_label(path)
        mask = None if label is None else read_label_png(label, raw.frames.shape[1:])
    meta = Meta(
        source=str(path),
        frame_rate=rate,
        pixel_pitch_mm=opts.pixel_pitch_mm or raw.pixel_pitch_mm,
        units=raw.units,
        baseline=raw.baseline,
        history=raw.history,
        extra=raw.extra or {},
    )
    return Sequence(frames=raw.frames, times=np.asarray(times, np.float64), mask=mask, meta=meta)


WRITERS: dict[str, tuple[str, ...]] = {
    "mat": (".mat",),
    "hdf5": (".h5", ".hdf5"),
    "npz": (".npz",),
}


def save(seq: Sequence, path: str | os.PathLike, *, mat_version: str = "auto") -> Path:
    """Write ``seq`` in the format its suffix names; never over the file it was read from.

    ``.mat`` is the seed's layout (``data`` (H, W, T) float32, ``time``, ``fps``), v5 or v7.3
    (``mat_version``: ``'5'``, ``'7.3'`` or ``'auto'``); ``.h5``/``.hdf5`` and ``.npz`` keep
    every field. The file appears whole or not at all.

    Raises
    ------
    ThermodefectError
        For an unknown suffix or a path that is the sequence's own source.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    src = seq.meta.source
    if src and path.exists() and Path(src).exists() and os.path.samefile(src, path):
        raise ThermodefectError("refusing to overwrite the input file; choose another name", path)
    if suffix in WRITERS["mat"]:
        from thermodefect.io import matlab

        matlab.write(seq, path, version=mat_version)
    elif suffix in WRITERS["hdf5"]:
        from thermodefect.io import hdf5

        hdf5.write(seq, path)
    elif suffix in WRITERS["npz"]:
        from thermodefect.io import numpyfmt

        numpyfmt.write_npz(seq, path)
    else:
        known = ", ".join(s for v in WRITERS.values() for s in v)
        raise ThermodefectError(f"cannot write suffix {suffix or 'none'}; we write {known}", path)
    return path
