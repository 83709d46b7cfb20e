"""Reading and writing thermal sequences: ``load(path)`` and ``save(seq, path)``.

Readers are chosen by content (magic bytes) first and by suffix second
(:mod:`thermodefect.io.formats`, ``docs/formats.md``); every reader returns the same checked
:class:`~thermodefect.sequence.Sequence`.
"""

from __future__ import annotations

import logging
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError, short
from thermodefect.io._common import MIN_FRAMES, LoadOptions, RawSequence, check_shape
from thermodefect.io.files import atomic_path, sequence_files
from thermodefect.io.formats import (
    READERS,
    SEQUENCE_SUFFIXES,
    WRITERS,
    Reader,
    Writer,
    sniff,
    writer_for,
)
from thermodefect.sequence import Meta, Sequence, times_from_rate

logger = logging.getLogger(__name__)

__all__ = [
    "MIN_FRAMES",
    "READERS",
    "SEQUENCE_SUFFIXES",
    "WRITERS",
    "LoadOptions",
    "Reader",
    "Writer",
    "atomic_path",
    "load",
    "save",
    "sequence_files",
    "sniff",
]


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
    reader = READERS[fmt]
    if not reader.available():
        raise ThermodefectError(
            f"reading a {reader.description} needs an optional package: "
            f"pip install 'thermodefect[{reader.extra}]'",
            path,
        )
    try:
        raw = reader.function()(path, opts)
    except ThermodefectError:
        raise
    except (OSError, ValueError, EOFError, KeyError, IndexError, TypeError) as exc:
        raise ThermodefectError(
            f"cannot read as {READERS[fmt].description} ({short(exc)})", path
        ) from exc
    except (struct.error, zlib.error, zipfile.BadZipFile) as exc:
        raise ThermodefectError(f"the file is damaged or truncated ({short(exc)})", path) from exc
    seq = _to_sequence(raw, path, opts, attach_label)
    logger.debug("read %s as %s: %d frames of %d x %d", path, fmt, *seq.shape)
    return seq


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


def save(seq: Sequence, path: str | os.PathLike, *, mat_version: str = "auto") -> Path:
    """Write ``seq`` in the format its suffix names; never over the file it was read from.

    ``.mat`` is the seed's layout (``data`` (H, W, T) float32, ``time``, ``fps``), v5 or v7.3;
    ``.h5``/``.hdf5`` and ``.npz`` keep every field. The file appears whole or not at all.

    Parameters
    ----------
    seq : Sequence
        The sequence.
    path : str or PathLike
        The file; its suffix picks the writer (:data:`WRITERS`).
    mat_version : {'auto', '5', '7.3'}
        MATLAB version; ``'auto'`` writes v5 unless the data exceed 2 GiB.

    Returns
    -------
    Path

    Raises
    ------
    ThermodefectError
        For an unknown suffix or a path that is the sequence's own source.
    """
    path = Path(path)
    writer = writer_for(path)
    src = seq.meta.source
    if src and path.exists() and Path(src).exists() and os.path.samefile(src, path):
        raise ThermodefectError("refusing to overwrite the input file; choose another name", path)
    options = {"mat_version": mat_version}
    writer.function()(seq, path, **{k: v for k, v in options.items() if k in writer.options})
    return path
