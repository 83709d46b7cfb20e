"""The classical detector's preparation of a cooling sequence: the plate in the view, its
background filled, bad pixels replaced, uneven heating corrected."""

from __future__ import annotations

import numpy as np

from thermodefect.io.files import release_pages
from thermodefect.sequence import Sequence, frames_per_chunk

__all__ = [
    "prepare_cooling",
]


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
    frames = np.empty(view.shape, np.float32)
    step = frames_per_chunk(view.image_shape)
    for t0 in range(0, view.n_frames, step):  # a memory-mapped file streams through
        frames[t0 : t0 + step] = view.frames[t0 : t0 + step]
        release_pages(view.frames[t0 : t0 + step])
    if baseline is not None:  # absolute temperature or counts: the rise above pre-flash
        frames -= baseline
        view = view.derive("rise(pre-flash mean)", baseline="preflash")
    plate = plate_mask(frames)
    if not plate.all():  # background around the plate: the nearest plate pixel's cooling
        from scipy import ndimage

        fill_off_plate(frames, plate)
        view = view.derive(
            f"plate in view ({int(plate.sum())} of {plate.size} pixels), background filled",
            extra={**view.meta.extra, "plate": plate},
        )
        # The plate's outline stands out of its 3 x 3 neighbourhood without being bad.
        bad &= plate & ~ndimage.binary_dilation(~plate, structure=np.ones((3, 3)))
    fill_pixels(frames, bad, inplace=True)
    cooling = view.derive(f"replace_bad_pixels({int(bad.sum())})", frames=frames)
    if not heating:
        return cooling
    rows, cols = interior(plate)  # edge losses are not uneven heating
    inner = (
        cooling
        if plate.all()
        else cooling.derive("interior", frames=frames[:, rows, cols], mask=None)
    )
    spread = heating_spread(inner)
    if spread < UNEVEN_HEATING:  # an even flash: a surface fit would only add its residuals
        return cooling.derive(f"heating even (spread {spread:.3f}), not corrected")
    return correct_heating(cooling, inplace=True)
