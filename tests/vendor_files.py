"""Small camera files built byte by byte from the documented layouts (no library writes them):
FLIR FFF sequences and PTW recordings. Telops HCC files are written by fasthcc itself."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np

from thermodefect.io.flir import CAMERA_INFO, RAW_DATA, Planck

#: Typical constants of a FLIR microbolometer's calibration.
PLANCK = Planck(r1=14906.2, r2=0.0125, b=1396.5, f=1.0, o=-7261.0)


def _fff_block(
    counts: np.ndarray, planck: Planck | None, stamp: float, encoding: str, big_header: bool
) -> bytes:
    """One FFF block: header, a directory of two entries, raw data and camera info."""
    h, w = counts.shape
    order = ">" if big_header else "<"
    if encoding == "png":
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(counts.byteswap().astype(np.uint16)).save(buf, format="PNG")
        image = buf.getvalue()
        subtype = 3
    elif encoding == "jpegls":
        import imagecodecs

        image, subtype = imagecodecs.jpegls_encode(counts.astype(np.uint16)), 2
    else:
        image = counts.astype(encoding).tobytes()
        subtype = 1 if encoding == ">u2" else 2
    rec = encoding[0] if encoding in ("<u2", ">u2") else "<"
    raw = struct.pack(f"{rec}HHH", 2, w, h).ljust(0x20, b"\x00") + image
    camera = bytearray(0x400)
    struct.pack_into("<H", camera, 0, 2)
    if planck is not None:
        struct.pack_into("<3f", camera, 0x20, planck.emissivity, 0.5, planck.reflected_k)
        struct.pack_into("<3f", camera, 0x58, planck.r1, planck.b, planck.f)
        struct.pack_into("<if", camera, 0x308, int(planck.o), planck.r2)
    seconds = int(stamp)
    struct.pack_into("<II", camera, 0x384, seconds, round((stamp - seconds) * 1000))
    directory_at = 64
    raw_at = directory_at + 2 * 32
    camera_at = raw_at + len(raw)
    header = b"FFF\x00" + b"Test".ljust(16, b"\x00")
    header += struct.pack(f"{order}IIII", 100, directory_at, 2, 2).ljust(64 - 20, b"\x00")
    directory = struct.pack(
        f"{order}HHIIIIIII", RAW_DATA, subtype, 100, 1, raw_at, len(raw), 0, 0, 0
    )
    directory += struct.pack(
        f"{order}HHIIIIIII", CAMERA_INFO, 1, 100, 1, camera_at, len(camera), 0, 0, 0
    )
    return header + directory + raw + bytes(camera)


def write_fff(
    path: Path,
    counts: np.ndarray,
    *,
    planck: Planck | None = PLANCK,
    times: np.ndarray | None = None,
    encoding: str = "<u2",
    big_header: bool = True,
    padding: int = 0,
) -> Path:
    """A FLIR sequence: one FFF block per frame of ``counts`` (T, H, W), ``padding`` zero
    bytes between blocks."""
    times = np.arange(len(counts)) / 50.0 if times is None else times
    with open(path, "wb") as fh:
        for frame, t in zip(counts, times, strict=True):
            fh.write(_fff_block(frame, planck, 1.7e9 + float(t), encoding, big_header))
            fh.write(b"\x00" * padding)
    return path


def write_ptw(
    path: Path,
    counts: np.ndarray,
    *,
    period: float = 0.02,
    times: np.ndarray | None = None,
    scale: tuple[str, float, float] | None = None,
    first_line: tuple[int, ...] | None = None,
    signature: bytes = b"CED",
) -> Path:
    """A PTW recording of 16-bit ``counts`` (T, H, W): main header of 3077 bytes, frame
    headers of 200 bytes; ``scale`` = (unit, low, high) a special scale."""
    t, h, w = counts.shape
    main_size, frame_head = 3077, 200
    frame_bytes = h * w * 2
    main = bytearray(main_size)
    main[0:3] = signature
    main[5:10] = b"1.0\x00\x00"
    struct.pack_into(
        "<5I", main, 11, main_size, frame_head, frame_head + frame_bytes, frame_bytes, t
    )
    main[44:50] = b"Jade 3"
    struct.pack_into("<f", main, 141, 0.95)
    if scale is not None:
        unit, low, high = scale
        struct.pack_into("<h", main, 277, 1)
        main[279 : 279 + len(unit.encode("latin-1"))] = unit.encode("latin-1")
        struct.pack_into("<16f", main, 289, *np.linspace(low, high, 16))
    struct.pack_into("<HH", main, 377, w, h)
    struct.pack_into("<f", main, 403, period)
    times = np.arange(t) * period + 36000.0 if times is None else times
    with open(path, "wb") as fh:
        fh.write(bytes(main))
        for i in range(t):
            header = bytearray(frame_head)
            stamp = float(times[i])
            hour, rest = divmod(stamp, 3600)
            minute, second = divmod(rest, 60)
            whole = int(second)
            millis = round((second - whole) * 1000)
            header[80:84] = bytes([int(minute), int(hour), millis // 10, whole])
            header[160] = millis % 10
            frame = counts[i].astype("<u2").copy()
            if first_line is not None and i == 0:
                frame[0, 1 : 1 + len(first_line)] = first_line
            fh.write(bytes(header) + frame.tobytes())
    return path
