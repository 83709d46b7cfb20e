"""Robust z images of a classical method's images, and their pixel-wise maximum: what the
significance decision reads (:mod:`thermodefect.detect`).

Each image loses its slow trend (and, on a plate smaller than the view, the cooling of the
plate's edges), becomes robust z over the plate (its edge band judged against its own spread),
is signed so that its strongest pixel is positive, keeps the defects of the other sign, and the
images combine by their pixel-wise maximum.
"""

from __future__ import annotations

import numpy as np

from thermodefect.methods._segment import region_max, robust_z

__all__ = [
    "FAINT_BLUR",
    "LEAST_PEAK",
    "TOUCH_LEVEL",
    "edge_band_z",
    "max_z",
    "max_z_and_faint",
    "max_z_at",
    "opposite_sign",
    "signed_z",
]


#: Robust z at which :func:`opposite_sign` draws a region of either sign and tests contact.
TOUCH_LEVEL = 2.0

#: Peak a region of the other sign must reach to count (below every level the decision rules
#: and the network's confirmation use).
LEAST_PEAK = 4.0

#: Standard deviation (pixels) of the Gaussian that :func:`max_z` blurs each image with for the
#: faint evidence: a defect whose pixels reach the decision level only here and there, so that
#: the opening scatters them, becomes one region
#: (:func:`thermodefect.detect.decision.faint_regions`).
FAINT_BLUR = 1.0


def opposite_sign(z: np.ndarray) -> np.ndarray:
    """The regions of an image's minority sign that are defects of their own, as positive z
    (0 elsewhere).

    One PCT component or phase image can show shallow defects bright and deeper ones dark
    (the demo plates' second component does), so flipping the image to its strongest sign
    alone would drop the dark row. A strong defect also draws a rim of the other sign around
    itself; a region of the minority sign (drawn at :data:`TOUCH_LEVEL`, its peak at least
    :data:`LEAST_PEAK`) is therefore kept only when its peak is higher than that of every
    main-sign region within 2 pixels of it.

    Parameters
    ----------
    z : (H, W) ndarray
        Robust z, flipped so that its strongest pixel is positive (:func:`signed_z`).

    Returns
    -------
    (H, W) ndarray of float64
        -z on the kept regions, 0 elsewhere.
    """
    from scipy import ndimage

    out = np.zeros_like(z)
    if -z.min() < LEAST_PEAK:
        return out
    ring = np.ones((3, 3), bool)
    neg, n = ndimage.label(-z >= TOUCH_LEVEL, structure=ring)
    peaks = region_max(-z, neg, n)
    candidates = np.flatnonzero(peaks >= LEAST_PEAK) + 1
    if candidates.size == 0:
        return out
    pos, m = ndimage.label(z >= TOUCH_LEVEL, structure=ring)
    pos_peak = np.concatenate([[0.0], region_max(z, pos, m)])
    boxes = ndimage.find_objects(neg)
    for k in candidates:
        rows, cols = boxes[k - 1]
        box = (
            slice(max(rows.start - 2, 0), rows.stop + 2),
            slice(max(cols.start - 2, 0), cols.stop + 2),
        )
        part = neg[box] == k
        near = pos[box][ndimage.binary_dilation(part, ring, iterations=2)]
        if pos_peak[near].max(initial=0.0) < peaks[k - 1]:
            out[box][part] = -z[box][part]
    return out


def edge_band_z(z: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """Robust z over the plate with its edge band divided by the band's own robust spread when
    that exceeds 1.

    Where the plate's edges lie inside the view, what
    :func:`~thermodefect.preprocess.plate.flatten_edges` leaves of their cooling (and of any
    texture there, e.g. an FE mesh in the early frames) is a background of its own: on a
    noise-free plate it stood 6-10 robust sigma of the whole plate above it, in the band alone.
    The band (the plate less :func:`~thermodefect.preprocess.plate.interior`) is therefore
    rescaled by 1.4826 times its median absolute deviation of z, where that is above 1; a band
    as quiet as the plate is left as it is.

    Parameters
    ----------
    z : (H, W) ndarray
        Robust z over the plate (0 off it).
    plate : (H, W) ndarray of bool
        The pixels of the plate.

    Returns
    -------
    (H, W) ndarray of float64
        ``z`` itself when the band is not more spread than the plate.
    """
    from thermodefect.preprocess.plate import interior

    band = plate.copy()
    band[interior(plate)] = False
    if not band.any():
        return z
    values = z[band]
    spread = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    return np.where(band, z / spread, z) if spread > 1 else z


def signed_z(image, plate: np.ndarray | None = None) -> np.ndarray:
    """Robust z of one image freed of its slow trend (given a plate mask: freed of the plate
    edges' cooling, the edge band judged against its own spread (:func:`edge_band_z`), and z 0
    off the plate), flipped so that its strongest pixel is positive.

    Parameters
    ----------
    image : (H, W) array_like
        A method's image.
    plate : (H, W) ndarray of bool, optional
        The pixels of the plate.

    Returns
    -------
    (H, W) ndarray of float64

    Raises
    ------
    ThermodefectError
        For a non-finite image.
    """
    z = _plate_z(_flat(image, plate), plate)
    return -z if z.flat[np.argmax(np.abs(z))] < 0 else z


def _flat(image, plate: np.ndarray | None) -> np.ndarray:
    """The image without its slow trend (and, given a plate, its edges' cooling)."""
    from thermodefect.preprocess.plate import detrend, flatten_edges

    if plate is None:
        return detrend(np.asarray(image))
    return detrend(flatten_edges(np.asarray(image), plate), plate)


def _plate_z(flat: np.ndarray, plate: np.ndarray | None) -> np.ndarray:
    """Robust z of a flattened image over the plate, its edge band on its own spread."""
    if plate is None:
        return robust_z(flat)
    return edge_band_z(np.where(plate, robust_z(flat, plate), 0.0), plate)


def _blur(flat: np.ndarray, sigma: float, plate: np.ndarray | None, weight) -> np.ndarray:
    """Gaussian blur of ``sigma`` pixels, over the plate's pixels alone when given (``weight``
    is then :func:`_plate_weight` of it)."""
    from scipy import ndimage

    if plate is None:
        return ndimage.gaussian_filter(flat, sigma)
    blurred = ndimage.gaussian_filter(np.where(plate, flat, 0.0), sigma, mode="constant")
    return np.where(plate, blurred / weight, 0.0)


def _plate_weight(plate: np.ndarray, sigma: float) -> np.ndarray:
    """The share of each pixel's Gaussian window of ``sigma`` pixels that lies on the plate."""
    from scipy import ndimage

    weight = ndimage.gaussian_filter(plate.astype(np.float64), sigma, mode="constant")
    return np.maximum(weight, 1e-6)


def max_z(images, plate: np.ndarray | None = None, *, blur: float = 0.0) -> np.ndarray:
    """Pixel-wise maximum of the robust z-scores of a stack of images, each flipped so that
    its strongest pixel is positive, with the defects of the other sign kept
    (:func:`opposite_sign`).

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
    blur : float
        Standard deviation in pixels of a Gaussian each image is blurred with after losing
        its trend, before its z (over the plate alone; the sign stays that of the image
        itself); 0 for none. :data:`FAINT_BLUR` gives the faint evidence.

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
    return max_z_at(images, plate, (blur,))[0]


def max_z_and_faint(images, plate: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`max_z` of a stack of images and their faint evidence (the same blurred by
    :data:`FAINT_BLUR` pixels), each image's trend removed once for both.

    Parameters
    ----------
    images : sequence of (H, W) array_like
        At least one image.
    plate : (H, W) ndarray of bool, optional
        The pixels of the plate.

    Returns
    -------
    feature, faint : (H, W) ndarray of float64

    Raises
    ------
    ValueError
        For an empty sequence.
    ThermodefectError
        For a non-finite image.
    """
    feature, faint = max_z_at(images, plate, (0.0, FAINT_BLUR))
    return feature, faint


def max_z_at(images, plate: np.ndarray | None, blurs: tuple[float, ...]) -> list[np.ndarray]:
    """:func:`max_z` of a stack of images at each blur of ``blurs`` (pixels, 0 for none), each
    image's trend removed once for all.

    Parameters
    ----------
    images, plate
        As :func:`max_z` takes them.
    blurs : tuple of float
        Standard deviations of the Gaussian blurs.

    Returns
    -------
    list of (H, W) ndarray of float64
        One per blur.

    Raises
    ------
    ValueError, ThermodefectError
        As :func:`max_z` raises them.
    """
    if not images:
        raise ValueError("max_z needs at least one image")
    out: list = [None] * len(blurs)
    weights = [_plate_weight(plate, b) if plate is not None and b > 0 else None for b in blurs]
    for image in images:
        flat = _flat(image, plate)
        plain = _plate_z(flat, plate)
        sign = -1.0 if plain.flat[np.argmax(np.abs(plain))] < 0 else 1.0
        for i, (blur, weight) in enumerate(zip(blurs, weights, strict=True)):
            z = sign * (_plate_z(_blur(flat, blur, plate, weight), plate) if blur > 0 else plain)
            z = np.maximum(z, opposite_sign(z))
            out[i] = z if out[i] is None else np.maximum(out[i], z)
    return out
