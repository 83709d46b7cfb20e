"""FLIR radiometric sequences (``.seq``, ``.csq``, ``.fff``, ``.ats`` holding FFF records).

A FLIR sequence is a run of FFF blocks, one per frame. Each block starts with a 64-byte
header (magic ``FFF\\0``; at 0x14 the format version, whose byte order gives the header's; at
0x18 the offset of the record directory; at 0x1c its number of entries) and a directory of
32-byte entries (type, subtype, version, id, offset from the block's start, length, ...).
Two records matter here:

- raw data (type 0x01): at 0x02 and 0x04 the width and height, the image from 0x20 on, as
  16-bit counts big-endian (subtype 1) or little-endian (subtype 2), as a PNG (subtype 3,
  its 16-bit values byte-swapped) or, in ``.csq`` files, as JPEG-LS (needs ``imagecodecs``:
  ``pip install thermodefect[flir]``);
- camera information (type 0x20): emissivity (0x20), reflected apparent temperature (0x28,
  K), Planck constants R1 (0x58), B (0x5c), F (0x60), O (0x308, int32) and R2 (0x30c), and
  the time of the frame (0x384 seconds since 1970, 0x388 milliseconds).

The byte order of a record is told by its first int16, which reads 2 in the record's order.
Offsets as documented by ExifTool's FLIR tags. Counts become temperatures with the file's
Planck constants, corrected for emissivity and reflected radiation; atmospheric transmission
is taken as 1 (laboratory distances of a metre or less).
"""

from __future__ import annotations

import io
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io._common import LoadOptions, RawSequence, fill_frames, increasing_times

__all__ = [
    "CAMERA_INFO",
    "HEADER_BYTES",
    "MAGICS",
    "RAW_DATA",
    "FffFrame",
    "Planck",
    "frame_index",
    "read",
]

MAGICS = (b"FFF\x00", b"AFF\x00")
HEADER_BYTES = 64
ENTRY_BYTES = 32
RAW_DATA = 0x01
CAMERA_INFO = 0x20
RAW_IMAGE_AT = 0x20


@dataclass(frozen=True)
class Planck:
    """A FLIR camera's calibration from counts to temperature.

    Parameters
    ----------
    r1, r2, b, f, o : float
        The Planck constants of the camera info record (B in K, O in counts).
    emissivity : float
        Of the object, in (0, 1].
    reflected_k : float
        Reflected apparent temperature, K (0: no reflection correction).
    """

    r1: float
    r2: float
    b: float
    f: float
    o: float
    emissivity: float = 1.0
    reflected_k: float = 0.0

    def temperature(self, counts: np.ndarray) -> np.ndarray:
        """Temperatures (K) of raw counts.

        Parameters
        ----------
        counts : ndarray
            Raw 16-bit signal.

        Returns
        -------
        ndarray of float64
            NaN where a count lies outside the calibration (the logarithm's argument <= 1).

        Examples
        --------
        >>> p = Planck(r1=14000.0, r2=0.01, b=1400.0, f=1.0, o=-7000.0)
        >>> counts = p.counts(np.array([300.0]))
        >>> round(float(p.temperature(counts)[0]), 6)
        300.0
        """
        signal = np.asarray(counts, np.float64)
        if 0.0 < self.emissivity < 1.0 and self.reflected_k > 0:
            reflected = self.counts(np.float64(self.reflected_k))
            signal = (signal - (1.0 - self.emissivity) * reflected) / self.emissivity
        with np.errstate(divide="ignore", invalid="ignore"):
            argument = self.r1 / (self.r2 * (signal + self.o)) + self.f
            return np.where(argument > 1.0, self.b / np.log(argument), np.nan)

    def counts(self, kelvin: np.ndarray) -> np.ndarray:
        """The counts of a black body at ``kelvin`` (the inverse of :meth:`temperature` for
        emissivity 1).

        Parameters
        ----------
        kelvin : ndarray
            Temperatures, K.

        Returns
        -------
        ndarray of float64
        """
        return (
            self.r1 / (self.r2 * (np.exp(self.b / np.asarray(kelvin, np.float64)) - self.f))
            - self.o
        )


@dataclass(frozen=True)
class FffFrame:
    """Where one frame's image and calibration lie in the file.

    Parameters
    ----------
    image_at : int
        Byte offset of the image data.
    image_bytes : int
        Its length in bytes.
    height, width : int
        Pixels.
    encoding : {'>u2', '<u2', 'png', 'jpegls'}
        How the image is stored.
    camera_at : int or None
        Byte offset of the camera info record, if the block has one.
    big_endian_camera : bool
        Byte order of that record.
    """

    image_at: int
    image_bytes: int
    height: int
    width: int
    encoding: str
    camera_at: int | None
    big_endian_camera: bool


def _record_order(buf, at: int) -> str:
    """``'<'`` or ``'>'``: the record's first int16 reads 2 in its own byte order."""
    return "<" if struct.unpack_from("<H", buf, at)[0] == 2 else ">"


def _block(buf, start: int, size: int, path: Path, number: int) -> tuple[FffFrame | None, int]:
    """The frame of the FFF block at ``start`` and the offset where the block ends."""
    if start + HEADER_BYTES > size:
        raise ThermodefectError(
            f"the file is truncated: frame {number}'s FFF header runs past its end", path
        )
    big = 100 <= struct.unpack_from(">I", buf, start + 0x14)[0] < 1000
    order = ">" if big else "<"
    directory, entries = struct.unpack_from(f"{order}II", buf, start + 0x18)
    end = start + directory + entries * ENTRY_BYTES
    if end > size:
        raise ThermodefectError(
            f"the file is truncated: frame {number}'s record directory ends at byte {end} but "
            f"the file holds {size} bytes",
            path,
        )
    raw = camera = None
    for e in range(entries):
        kind, subtype, _, _, offset, length = struct.unpack_from(
            f"{order}HHIIII", buf, start + directory + e * ENTRY_BYTES
        )
        if kind == 0:
            continue
        if start + offset + length > size:
            raise ThermodefectError(
                f"the file is truncated: frame {number}'s record of type {kind:#x} ends at byte "
                f"{start + offset + length} but the file holds {size} bytes",
                path,
            )
        end = max(end, start + offset + length)
        if kind == RAW_DATA and raw is None:
            raw = (start + offset, length, subtype)
        elif kind == CAMERA_INFO and camera is None:
            camera = start + offset
    if raw is None:
        return None, end
    at, length, subtype = raw
    rec = _record_order(buf, at)
    width, height = struct.unpack_from(f"{rec}HH", buf, at + 2)
    image = bytes(buf[at + RAW_IMAGE_AT : at + RAW_IMAGE_AT + 4])
    if image.startswith(b"\x89PNG"):
        encoding = "png"
    elif image.startswith(b"\xff\xd8"):
        encoding = "jpegls"
    else:
        encoding = ">u2" if subtype == 1 else "<u2"
        if length - RAW_IMAGE_AT < width * height * 2:
            raise ThermodefectError(
                f"frame {number}'s raw data hold {length - RAW_IMAGE_AT} bytes, fewer than "
                f"{height} x {width} 16-bit values",
                path,
            )
    frame = FffFrame(
        at + RAW_IMAGE_AT,
        length - RAW_IMAGE_AT,
        height,
        width,
        encoding,
        camera,
        camera is not None and _record_order(buf, camera) == ">",
    )
    return frame, end


def frame_index(buf, path: Path) -> list[FffFrame]:
    """Every frame of a FLIR file, walking its FFF blocks one after the other.

    Parameters
    ----------
    buf : buffer
        The file's bytes (a memory map).
    path : Path
        The file, for messages.

    Returns
    -------
    list of FffFrame

    Raises
    ------
    ThermodefectError
        For a block that runs past the end of the file, or frames of different sizes.
    """
    size = len(buf)
    frames: list[FffFrame] = []
    start = 0
    while start >= 0 and start + HEADER_BYTES <= size:
        frame, end = _block(buf, start, size, path, len(frames))
        if frame is not None:
            frames.append(frame)
        found = [buf.find(m, end) for m in MAGICS]
        start = min((f for f in found if f >= 0), default=-1)
    if frames and len({(f.height, f.width) for f in frames}) > 1:
        sizes = sorted({f"{f.height} x {f.width}" for f in frames})
        raise ThermodefectError(f"its frames differ in size ({', '.join(sizes)})", path)
    return frames


def _camera(buf, frame: FffFrame) -> tuple[Planck | None, int]:
    """The frame's calibration (None without Planck constants) and its time stamp (ms since
    1970, 0 when the frame has none)."""
    if frame.camera_at is None:
        return None, 0
    order = ">" if frame.big_endian_camera else "<"
    at = frame.camera_at
    emissivity, _, reflected = struct.unpack_from(f"{order}3f", buf, at + 0x20)
    r1, b, f = struct.unpack_from(f"{order}3f", buf, at + 0x58)
    o, r2 = struct.unpack_from(f"{order}if", buf, at + 0x308)
    seconds, millis = struct.unpack_from(f"{order}II", buf, at + 0x384)
    stamp = 1000 * seconds + millis if seconds else 0
    if not (r1 > 0 and r2 > 0 and b > 0):
        return None, stamp
    emissivity = emissivity if 0 < emissivity <= 1 else 1.0
    return Planck(r1, r2, b, f, float(o), emissivity, max(reflected, 0.0)), stamp


def _decode(buf, frame: FffFrame, path: Path, number: int) -> np.ndarray:
    """The frame's (H, W) counts as uint16."""
    data = buf[frame.image_at : frame.image_at + frame.image_bytes]
    shape = (frame.height, frame.width)
    if frame.encoding in (">u2", "<u2"):
        return np.frombuffer(data, frame.encoding, frame.height * frame.width).reshape(shape)
    if frame.encoding == "png":
        from PIL import Image

        image = np.asarray(Image.open(io.BytesIO(bytes(data))), np.uint16)
        image = image.byteswap()
    else:
        try:
            import imagecodecs
        except ImportError:
            raise ThermodefectError(
                "its frames are JPEG-LS compressed (.csq); decoding them needs imagecodecs: "
                "pip install 'thermodefect[flir]'",
                path,
            ) from None
        image = np.asarray(imagecodecs.jpegls_decode(bytes(data)), np.uint16)
    if image.shape != shape:
        raise ThermodefectError(
            f"frame {number}'s image decodes to {image.shape}, not the {shape} its record states",
            path,
        )
    return image


def read(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a FLIR sequence of FFF blocks; counts become K with the file's Planck constants.

    Parameters
    ----------
    path : Path
        The file.
    opts : LoadOptions
        How to interpret the content (see :class:`~thermodefect.io.LoadOptions`).

    Returns
    -------
    RawSequence
        Frames (T, H, W) float32 in K (counts when the file holds no Planck constants),
        times from the frames' time stamps when they increase.

    Raises
    ------
    ThermodefectError
        For a truncated or inconsistent file, a count outside the calibration, or compressed
        frames without a decoder.
    """
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        index = frame_index(buf, path)
        if not index:
            raise ThermodefectError("holds FFF records but no raw image", path)
        first = index[0]
        planck, _ = _camera(buf, first)
        stamps = np.zeros(len(index), np.int64)

        def block(t0: int, t1: int) -> np.ndarray:
            out = np.empty((t1 - t0, first.height, first.width), np.float32)
            for i in range(t0, t1):
                counts = _decode(buf, index[i], path, i)
                calibration, stamps[i] = _camera(buf, index[i])
                if planck is None or calibration is None:
                    out[i - t0] = counts
                    continue
                kelvin = calibration.temperature(counts)
                if not np.all(np.isfinite(kelvin)):
                    bad = np.argwhere(~np.isfinite(kelvin))[0]
                    raise ThermodefectError(
                        f"frame {i}, row {bad[0]}, column {bad[1]}: count "
                        f"{int(counts[tuple(bad)])} lies outside the file's Planck calibration",
                        path,
                    )
                out[i - t0] = kelvin
            return out

        frames = fill_frames((len(index), first.height, first.width), block, path)
    return RawSequence(
        frames=frames,
        times=increasing_times(stamps, unit=1e-3),
        units="K" if planck is not None else "counts",
        extra={
            "format": "flir-fff",
            "source_dtype": "uint16",
            "encoding": first.encoding,
            **({} if planck is None else {"emissivity": planck.emissivity}),
        },
    )
