"""Feature images of the classical methods, in robust z units.

A method's images (components, frames or frequencies, :data:`thermodefect.methods.METHODS`)
are each turned into robust z-scores, signed so that the strongest pixel is positive, and
combined by their pixel-wise maximum.
"""

from __future__ import annotations

import numpy as np

from thermodefect.sequence import Sequence

__all__ = [
    "feature",
    "max_z",
]


def max_z(images, plate: np.ndarray | None = None) -> np.ndarray:
    """Pixel-wise maximum of the robust z-scores of a stack of images, each flipped so that
    its strongest pixel is positive.

    With a plate mask (the plate does not fill the view), each image first loses the cooling
    profile of the plate's edges (:func:`~thermodefect.preprocess.plate.flatten_edges`), its
    median and MAD come from the plate alone, and z is 0 off the plate.

    Defects at different depths show best in different frames, components or frequencies,
    so each pixel keeps its most significant view. PCT components, phases and
    log-derivatives have no fixed sign; thresholding abs(z) instead would cut a zero-crossing
    ring through a defect's halo. (Picking the single most significant image was tried
    first: it lost the deeper rows of defects, e.g. IoU 0.28 against 0.37 for PCT on the
    demo plates.)

    Parameters
    ----------
    images : sequence of (H, W) array_like
        At least one image.
    plate : (H, W) ndarray of bool, optional
        The pixels of the plate.

    Returns
    -------
    (H, W) ndarray of float64

    Raises
    ------
    ValueError
        For an empty sequence (a method registered without images).
    ThermodefectError
        For a non-finite image.
    """
    from thermodefect.methods import robust_z
    from thermodefect.preprocess.plate import detrend, flatten_edges

    if not images:
        raise ValueError("max_z needs at least one image")
    out = None
    for image in images:
        if plate is None:
            z = robust_z(detrend(np.asarray(image)))
        else:
            flat = detrend(flatten_edges(np.asarray(image), plate), plate)
            z = np.where(plate, robust_z(flat, plate), 0.0)
        if z.flat[np.argmax(np.abs(z))] < 0:
            z = -z
        out = z if out is None else np.maximum(out, z)
    return out  # type: ignore[return-value]


def feature(cooling: Sequence, method: str) -> np.ndarray:
    """The feature image (H, W) of a registered method on a prepared cooling sequence.

    Parameters
    ----------
    cooling : Sequence
        Frames after the flash (:func:`thermodefect.detect.prepare`).
    method : str
        A name of :data:`thermodefect.methods.METHODS`.

    Returns
    -------
    (H, W) ndarray of float64
        Pixel-wise maximum of the signed robust z of the method's images (over the plate
        alone when ``cooling.meta.extra`` holds its mask).

    Raises
    ------
    ThermodefectError
        For an unknown method, or a method that cannot run on the sequence.
    """
    from thermodefect.methods import METHODS

    return max_z(METHODS[method](cooling), cooling.meta.extra.get("plate"))
