"""Feature images of the classical methods, in robust z units.

A method's images (components, frames or frequencies, :data:`thermodefect.methods.METHODS`)
are each turned into robust z-scores, signed so that the strongest pixel is positive (the
defects of the other sign kept beside them), and combined by their pixel-wise maximum
(:func:`thermodefect.methods.max_z`). The faint evidence is the same maximum of the images
each blurred by :data:`~thermodefect.methods.FAINT_BLUR` pixels first.
"""

from __future__ import annotations

import numpy as np

from thermodefect.sequence import Sequence

__all__ = [
    "feature",
    "features",
]


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
    from thermodefect.methods import METHODS, max_z

    return max_z(METHODS[method](cooling), cooling.meta.extra.get("plate"))


def features(cooling: Sequence, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The feature image of a method and its faint evidence, from one run of the method.

    Parameters
    ----------
    cooling : Sequence
        Frames after the flash (:func:`thermodefect.detect.prepare`).
    method : str
        A name of :data:`thermodefect.methods.METHODS`.

    Returns
    -------
    feature : (H, W) ndarray of float64
        As :func:`feature` returns it.
    faint : (H, W) ndarray of float64
        The same maximum over the images blurred by
        :data:`~thermodefect.methods.FAINT_BLUR` pixels
        (:func:`thermodefect.detect.decision.faint_regions` reads it).

    Raises
    ------
    ThermodefectError
        For an unknown method, or a method that cannot run on the sequence.
    """
    from thermodefect.methods import METHODS, max_z_and_faint

    return max_z_and_faint(METHODS[method](cooling), cooling.meta.extra.get("plate"))
