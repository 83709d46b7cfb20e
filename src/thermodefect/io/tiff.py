"""Multi-page TIFF stacks: one page per frame (also ImageJ hyperstacks), any numeric dtype."""

from __future__ import annotations

import logging
import struct
from pathlib import Path

from thermodefect.errors import ThermodefectError, short
from thermodefect.io._common import LoadOptions, RawSequence, fill_frames

__all__ = [
    "read",
]


def read(path: Path, opts: LoadOptions) -> RawSequence:
    """Read a TIFF stack page by page; ImageJ ``finterval`` gives the frame rate.

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
        For a damaged file or pages that are not one frame each.
    """
    import tifffile

    quiet = logging.getLogger("tifffile")
    level, quiet.level = quiet.level, logging.CRITICAL  # its warnings would be a second line
    try:
        return _read(tifffile, path)
    except ThermodefectError:
        raise
    except (IndexError, KeyError, ValueError, OSError, struct.error, tifffile.TiffFileError) as exc:
        raise ThermodefectError(
            f"the TIFF is damaged or truncated, or holds no image series ({short(exc)})", path
        ) from exc
    finally:
        quiet.setLevel(level)


def _read(tifffile, path: Path) -> RawSequence:
    with tifffile.TiffFile(path) as tf:
        if not tf.series:
            raise ThermodefectError("the TIFF holds no image series", path)
        series = tf.series[0]
        shape = tuple(series.shape)
        if len(shape) == 2:
            shape = (1, *shape)
        if len(shape) == 3 and len(tf.pages) != shape[0]:
            raise ThermodefectError(
                f"series of shape {shape} is not stored one frame per page ({len(tf.pages)} pages)",
                path,
            )
        frames = fill_frames(shape, lambda t0, t1: tf.asarray(key=range(t0, t1)), path)
        interval = (tf.imagej_metadata or {}).get("finterval")
        dtype = str(series.dtype)
    return RawSequence(
        frames=frames,
        frame_rate=1.0 / float(interval) if interval else None,
        extra={"format": "tiff", "source_dtype": dtype},
    )
