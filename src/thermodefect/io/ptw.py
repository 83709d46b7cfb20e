"""FLIR/Cedip ``.ptw`` recordings (Altair and ResearchIR), after the Altair reference guide.

Layout, little-endian throughout: a main header, then per frame a frame header and the
frame's values row by row. The main header holds the signature (``AIO`` or ``CED``, bytes
0-2), the main header's size (uint32 at 11), the frame header's size (15), one frame with
its header (19), one frame (23), the number of frames (27), the emissivity (float32 at 141),
a special scale (int16 at 277, its unit in 10 characters at 279 and 16 float32 values at
289: counts map linearly onto the range of those values), the pixels per line (uint16 at
377), the lines (379) and the acquisition period (float32 at 403, s). Each frame header
holds its time: minute (byte 80), hour (81), hundredths of s (82), second (83),
thousandths (160). Values are 16-bit digital levels, or float64 when bytes per frame say
so (processed ``PTR`` buffers). A lock-in file marks its first line with four known values
and is refused: it holds amplitude and phase, not a cooling.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io._common import (
    LoadOptions,
    RawSequence,
    check_extent,
    fill_frames,
    increasing_times,
)

__all__ = [
    "LOCKIN_MARK",
    "MIN_MAIN_HEADER",
    "read",
    "scale_units",
]

#: The main header's fields reach byte 407.
MIN_MAIN_HEADER = 407
#: Values 1-4 of a lock-in file's first line.
LOCKIN_MARK = (1220, 3907, 1204, 2382)


def scale_units(unit: str) -> tuple[str, float]:
    """Our units and the offset to add for a PTW special scale's unit.

    Parameters
    ----------
    unit : str
        The scale's unit as the file writes it.

    Returns
    -------
    units : {'K', 'counts'}
    offset : float
        Added to the scaled values (273.15 for Celsius).

    Examples
    --------
    >>> scale_units("°C")
    ('K', 273.15)
    >>> scale_units("W/m2sr")
    ('counts', 0.0)
    """
    name = unit.strip().replace("°", "").replace("deg", "").upper()
    if name == "K":
        return "K", 0.0
    if name == "C":
        return "K", 273.15
    return "counts", 0.0


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


def read(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a PTW recording frame block by frame block.

    Parameters
    ----------
    path : Path
        The file.
    opts : LoadOptions
        How to interpret the content (see :class:`~thermodefect.io.LoadOptions`).

    Returns
    -------
    RawSequence
        Frames (T, H, W) float32 (counts, or K through a temperature scale), times from the
        frame headers when they increase, the rate from the acquisition period.

    Raises
    ------
    ThermodefectError
        For a truncated file, sizes that do not add up, or a lock-in file.
    """
    with open(path, "rb") as fh:
        head = fh.read(MIN_MAIN_HEADER)
        if len(head) < MIN_MAIN_HEADER:
            raise ThermodefectError(
                f"the file is truncated: {len(head)} bytes, fewer than a PTW main header", path
            )
        main, frame_head, stride, frame_bytes, count = struct.unpack_from("<5I", head, 11)
        cols, rows = struct.unpack_from("<HH", head, 377)
        special = struct.unpack_from("<h", head, 277)[0]
        unit = _text(head[279:289])
        scale = struct.unpack_from("<16f", head, 289)
        (period,) = struct.unpack_from("<f", head, 403)
        (emissivity,) = struct.unpack_from("<f", head, 141)
        camera = _text(head[44:64])
        if main < MIN_MAIN_HEADER or rows == 0 or cols == 0 or count == 0:
            raise ThermodefectError(
                f"its header declares a main header of {main} bytes and {count} frames of "
                f"{rows} x {cols}; not a PTW recording this reader knows",
                path,
            )
        itemsize = frame_bytes // (rows * cols)
        if (
            stride != frame_head + frame_bytes
            or itemsize not in (2, 8)
            or (frame_bytes != itemsize * rows * cols)
        ):
            raise ThermodefectError(
                f"unsupported PTW variant: frames of {frame_bytes} bytes (with header "
                f"{stride}) for {rows} x {cols} pixels of 16 or 64 bits",
                path,
            )
        check_extent(path, main + count * stride, f"{count} frames of {rows} x {cols}")
        dtype = np.dtype("<u2" if itemsize == 2 else "<f8")
        fh.seek(main + frame_head)
        first_line = np.frombuffer(fh.read(cols * itemsize), dtype)
        if itemsize == 2 and tuple(int(v) for v in first_line[1:5]) == LOCKIN_MARK:
            raise ThermodefectError(
                "is a lock-in recording (amplitude and phase images), not a pulsed cooling",
                path,
            )
        stamps = np.empty(count)
        units, offset = ("counts", 0.0)
        low = high = 0.0
        if special and itemsize == 2:
            units, offset = scale_units(unit)
            low, high = min(scale), max(scale)

        def block(t0: int, t1: int) -> np.ndarray:
            fh.seek(main + t0 * stride)
            data = fh.read((t1 - t0) * stride)
            if len(data) < (t1 - t0) * stride:
                raise ThermodefectError(f"the file ended inside frames {t0}-{t1 - 1}", path)
            out = np.empty((t1 - t0, rows, cols), np.float32)
            for i in range(t1 - t0):
                header = data[i * stride : i * stride + frame_head]
                if len(header) > 160:
                    minute, hour, hundredths, second = header[80:84]
                    stamps[t0 + i] = (
                        3600 * hour + 60 * minute + second + hundredths / 100 + header[160] / 1000
                    )
                else:
                    stamps[t0 + i] = np.nan
                values = np.frombuffer(data, dtype, rows * cols, i * stride + frame_head)
                out[i] = values.reshape(rows, cols)
            if special and itemsize == 2:
                out *= np.float32((high - low) / 65536.0)
                out += np.float32(low + offset)
            return out

        frames = fill_frames((count, rows, cols), block, path)
    return RawSequence(
        frames=frames,
        times=increasing_times(stamps),
        frame_rate=1.0 / period if period > 0 else None,
        units=units,
        extra={
            "format": "ptw",
            "source_dtype": str(dtype.newbyteorder("=")),
            "camera": camera,
            **({"emissivity": float(emissivity)} if 0 < emissivity <= 1 else {}),
        },
    )
