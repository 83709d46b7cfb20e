"""Multi-page TIFF stacks: one page per frame (also ImageJ hyperstacks), any numeric dtype."""

from __future__ import annotations

from pathlib import Path

from thermodefect.errors import ThermodefectError
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

    with tifffile.TiffFile(path) as tf:
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
