"""CSV exports: one row per pixel and one column per frame, or a folder of one CSV per frame."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError, short
from thermodefect.io._common import LoadOptions, RawSequence, check_shape, fill_frames

logger = logging.getLogger(__name__)

__all__ = [
    "CSV_SUFFIXES",
    "KNOWN_SIZES",
    "frame_files",
    "image_shape",
    "read_folder",
    "read_pixels",
]

#: Row counts of the seed's per-pixel exports and the (height, width) they reshape to: the
#: cameras' 640 x 480 and 384 x 288 (width x height) sensors, landscape.
KNOWN_SIZES = {480 * 640: (480, 640), 384 * 288: (288, 384)}
CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".dat")


def _dialect(path: Path) -> tuple[str | None, int]:
    """Delimiter (``None`` = whitespace) and number of header lines to skip."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = [fh.readline() for _ in range(2)]
    first = next((ln for ln in lines if ln.strip()), "")
    delimiter = next((d for d in (",", ";", "\t") if d in first), None)

    def numeric(line: str) -> bool:
        try:
            [float(x) for x in (line.split(delimiter) if delimiter else line.split()) if x.strip()]
        except ValueError:
            return False
        return True

    return delimiter, 0 if numeric(lines[0]) else 1


def _loadtxt(path: Path) -> np.ndarray:
    delimiter, skip = _dialect(path)
    try:
        return np.loadtxt(path, delimiter=delimiter, skiprows=skip, dtype=np.float32, ndmin=2)
    except ValueError as exc:
        raise ThermodefectError(f"cannot parse as numeric CSV ({short(exc)})", path) from exc


def image_shape(n_pixels: int, shape: tuple[int, int] | None, path: Path) -> tuple[int, int]:
    """(H, W) for a per-pixel CSV of ``n_pixels`` rows: the given shape or a known camera size.

    Parameters
    ----------
    n_pixels : int
        Rows of the file.
    shape : (int, int) or None
        What the user gave (``--shape``).
    path : Path
        The file, for messages.

    Returns
    -------
    (int, int)

    Raises
    ------
    ThermodefectError
        When ``shape`` does not hold ``n_pixels`` or no known camera size matches.
    """
    if shape is not None:
        if shape[0] * shape[1] != n_pixels:
            raise ThermodefectError(
                f"has {n_pixels} pixel rows, which does not match --shape "
                f"{shape[0]}x{shape[1]} ({shape[0] * shape[1]} pixels)",
                path,
            )
        return shape
    if n_pixels in KNOWN_SIZES:
        h, w = KNOWN_SIZES[n_pixels]
        logger.warning(
            "%s: %d pixel rows read as %d x %d (height x width), a %d x %d sensor in landscape; "
            "give --shape %dx%d for the other orientation",
            path, n_pixels, h, w, w, h, w, h,
        )  # fmt: skip
        return h, w
    known = ", ".join(f"{n} ({h}x{w})" for n, (h, w) in KNOWN_SIZES.items())
    raise ThermodefectError(
        f"has {n_pixels} pixel rows, which matches no known image size ({known}); "
        "give the size with --shape HxW",
        path,
    )


def read_pixels(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a per-pixel CSV: row p is pixel p (row-major with order 'C'), column t is frame t.

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
        For unreadable text, ragged rows or an unknown image size.
    """
    if opts.order not in ("C", "F"):
        raise ThermodefectError(f"pixel order must be 'C' or 'F', found {opts.order!r}", path)
    table = _loadtxt(path)
    n_pixels, n_frames = table.shape
    h, w = image_shape(n_pixels, opts.shape, path)
    check_shape((n_frames, h, w), path, layout="(pixels rows, frame columns)")
    if opts.order == "C":
        cube = table.T.reshape(n_frames, h, w)
    else:
        cube = table.T.reshape(n_frames, w, h).transpose(0, 2, 1)
    frames = fill_frames(cube.shape, lambda t0, t1: cube[t0:t1], path)
    return RawSequence(frames=frames, extra={"format": "csv-pixels", "order": opts.order})


def _natural_key(p: Path):
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", p.name)]


def frame_files(folder: Path) -> list[Path]:
    """The CSV files of a folder in natural order (frame2 before frame10).

    Parameters
    ----------
    folder : Path
        The folder of frames.

    Returns
    -------
    list of Path
    """
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in CSV_SUFFIXES and p.is_file()),
        key=_natural_key,
    )


def read_folder(folder: Path, opts: LoadOptions) -> RawSequence:
    """Read a folder holding one CSV grid (height rows x width columns) per frame.

    Parameters
    ----------
    folder : Path
        The folder.
    opts : LoadOptions
        How to interpret the content (see :class:`~thermodefect.io.LoadOptions`).

    Returns
    -------
    RawSequence
        Frames (T, H, W) float32 and what the file says about them.

    Raises
    ------
    ThermodefectError
        For a folder without CSV files or frames of different sizes.
    """
    files = frame_files(folder)
    if not files:
        raise ThermodefectError("folder holds no CSV frame files (*.csv, *.txt)", folder)
    first = _loadtxt(files[0])

    def block(t0, t1):
        grids = [first if i == 0 else _loadtxt(files[i]) for i in range(t0, t1)]
        for f, g in zip(files[t0:t1], grids, strict=True):
            if g.shape != first.shape:
                raise ThermodefectError(
                    f"frame grid is {g.shape[0]}x{g.shape[1]} but {files[0].name} is "
                    f"{first.shape[0]}x{first.shape[1]}",
                    f,
                )
        return np.stack(grids)

    frames = fill_frames((len(files), *first.shape), block, folder)
    return RawSequence(frames=frames, extra={"format": "csv-folder", "files": len(files)})
