"""Telops ``.hcc`` recordings, read through ``fasthcc`` (``pip install thermodefect[telops]``).

An HCC file is a run of frames, each a header of two image lines (``2 * width * 2`` bytes)
followed by ``height x width`` little-endian uint16 values. In the radiometric modes each
frame's header holds its calibration: value = count * 2**DataExp + DataOffset (kelvin in RT
mode, radiance in NUC mode); raw mode (0) and headers older than version 10 stay in counts.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError, short
from thermodefect.io._common import (
    LoadOptions,
    RawSequence,
    fill_frames,
    increasing_times,
)

__all__ = [
    "CALIBRATION_MODES",
    "SUBSECOND_S",
    "TICKS_PER_S",
    "read",
]

#: The header's CalibrationMode -> what the calibrated values are.
CALIBRATION_MODES = {0: "raw counts", 1: "NUC (radiance)", 2: "RT (temperature, K)"}
#: Unit of the header's SubSecondTime, in s (the camera's 10 MHz clock).
SUBSECOND_S = 1e-7
#: SubSecondTime ticks per second.
TICKS_PER_S = 10_000_000


def read(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a Telops HCC file block by block, each frame calibrated with its own header.

    Parameters
    ----------
    path : Path
        The file.
    opts : LoadOptions
        How to interpret the content (see :class:`~thermodefect.io.LoadOptions`).

    Returns
    -------
    RawSequence
        Frames (T, H, W) float32 (K in RT mode, else counts), times from the frames' POSIX
        time stamps when they increase, the acquisition frame rate.

    Raises
    ------
    ThermodefectError
        For a truncated file, zero-sized frames, or a header fasthcc cannot parse.
    """
    from fasthcc import HCCReader
    from fasthcc.header import frame_stride, parse_header

    with open(path, "rb") as fh:
        head = fh.read(512)
    try:
        first = parse_header(head, offset=0)
    except (ValueError, KeyError, IndexError, struct.error) as exc:
        raise ThermodefectError(f"the HCC header cannot be parsed ({short(exc)})", path) from exc
    width, height = int(first["Width"]), int(first["Height"])
    if width == 0 or height == 0:
        raise ThermodefectError(f"its header declares frames of {height} x {width} pixels", path)
    stride = frame_stride(width, height)
    size = path.stat().st_size
    whole, trailing = divmod(size, stride)
    if trailing:
        raise ThermodefectError(
            f"the file is truncated: it ends {trailing} bytes into frame {whole} (frames of "
            f"{height} x {width} take {stride} bytes with their header)",
            path,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hcc = HCCReader(path)
    with hcc:
        calibrated = hcc.header_version[0] >= 10 and hcc.calibration_mode >= 1
        stamps = np.zeros(hcc.n_frames, np.int64)

        def block(t0: int, t1: int) -> np.ndarray:
            counts = hcc.read_frames(t0, t1)
            out = counts.astype(np.float32)
            for i, header in enumerate(hcc.read_metadata(t0, t1)):
                stamps[t0 + i] = TICKS_PER_S * header.get("POSIXTime", 0) + header.get(
                    "SubSecondTime", 0
                )
                if calibrated:
                    out[i] = out[i] * np.float32(2.0 ** header["DataExp"]) + np.float32(
                        header["DataOffset"]
                    )
            return out

        frames = fill_frames((hcc.n_frames, height, width), block, path)
        mode = int(hcc.calibration_mode)
        rate = float(hcc.frame_rate) or None
        version = "{}.{}".format(*hcc.header_version)
    units = "K" if calibrated and mode == 2 else "counts"
    return RawSequence(
        frames=frames,
        times=increasing_times(stamps, unit=SUBSECOND_S),
        frame_rate=rate,
        units=units,
        extra={
            "format": "telops-hcc",
            "source_dtype": "uint16",
            "calibration": CALIBRATION_MODES.get(mode, f"mode {mode}"),
            "header_version": version,
        },
    )
