"""The classical detector's preparation of a cooling sequence: the plate in the view, its
background filled, bad pixels replaced, uneven heating corrected."""

from __future__ import annotations

import numpy as np

from thermodefect.io.files import frame_blocks, is_mapped, release_pages, scratch_array
from thermodefect.sequence import Sequence

__all__ = [
    "SCRATCH_ABOVE",
    "prepare_cooling",
    "scratch_frames",
]

#: Bytes of cooling frames above which a memory-mapped input is prepared into a temporary
#: file (memory-mapped too) instead of memory: detection of a sequence larger than memory.
SCRATCH_ABOVE = 2**29


def scratch_frames(source: np.ndarray) -> np.ndarray:
    """A writable float32 array of ``source``'s shape: in memory, or, for a memory-mapped
    ``source`` larger than :data:`SCRATCH_ABOVE`, memory-mapped on an unnamed temporary file
    (in ``TMPDIR``), which vanishes with the array.

    Parameters
    ----------
    source : (T, H, W) ndarray
        The frames the array will receive.

    Returns
    -------
    (T, H, W) ndarray of float32
    """
    nbytes = int(np.prod(source.shape)) * 4
    if not (is_mapped(source) and nbytes > SCRATCH_ABOVE):
        return np.empty(source.shape, np.float32)
    return scratch_array(source.shape)


def prepare_cooling(
    view: Sequence,
    bad: np.ndarray | None = None,
    baseline: np.ndarray | None = None,
    *,
    heating: bool = True,
) -> Sequence:
    """Frames already cut after the flash prepared for the classical methods (what
    :func:`thermodefect.detect.prepare` does after cutting them).

    Parameters
    ----------
    view : Sequence
        The cooling (:func:`~thermodefect.preprocess.extract_cooling`).
    bad : (H, W) ndarray of bool, optional
        Bad pixels; default those :func:`~thermodefect.preprocess.find_bad_pixels` finds in
        ``view``.
    baseline : (H, W) ndarray, optional
        The pre-flash level subtracted from every frame.
    heating : bool
        Correct uneven heating where the flash was uneven; False keeps each pixel's cooling
        as it came (an uneven flash scales it, which leaves its log-derivatives alone).

    Returns
    -------
    Sequence
    """
    from thermodefect.preprocess.bad_pixels import fill_pixels, find_bad_pixels
    from thermodefect.preprocess.heating import UNEVEN_HEATING, correct_heating, heating_spread
    from thermodefect.preprocess.plate import fill_off_plate, interior, plate_mask

    if bad is None:
        bad = find_bad_pixels(view)
    frames = scratch_frames(view.frames)
    for t0, block in frame_blocks(view.frames):  # a memory-mapped file streams through
        out = frames[t0 : t0 + len(block)]
        out[:] = block
        if baseline is not None:  # absolute temperature or counts: the rise above pre-flash
            out -= baseline
        release_pages(out)
    if baseline is not None:
        view = view.derive("rise(pre-flash mean)", baseline="preflash")
    plate = plate_mask(frames)
    if not plate.all():  # background around the plate: the nearest plate pixel's cooling
        from scipy import ndimage

        view = view.derive(
            f"plate in view ({int(plate.sum())} of {plate.size} pixels), background filled",
            extra={**view.meta.extra, "plate": plate},
        )
        # The plate's outline stands out of its 3 x 3 neighbourhood without being bad.
        bad &= plate & ~ndimage.binary_dilation(~plate, structure=np.ones((3, 3)))
    if not plate.all() or bad.any():
        for _, block in frame_blocks(frames):
            fill_off_plate(block, plate)
            fill_pixels(block, bad, inplace=True)
    cooling = view.derive(f"replace_bad_pixels({int(bad.sum())})", frames=frames)
    if not heating:
        return cooling
    spread = heating_spread(cooling, interior(plate))  # edge losses are not uneven heating
    if spread < UNEVEN_HEATING:  # an even flash: a surface fit would only add its residuals
        return cooling.derive(f"heating even (spread {spread:.3f}), not corrected")
    return correct_heating(cooling, inplace=True)
