"""The plate in the view: which pixels it covers, and the cooling of its edges.

Finite-element exports and camera views of small coupons show the plate with background
around it (pixels that never warm) and with edges that lose heat to the air. Both are sharp
structures as large as defects: the step from background to plate bends every principal
component and every smooth heating fit, and an edge band colder than the middle stands out
of a global noise estimate. :func:`plate_mask` finds the plate, :func:`fill_off_plate` gives
the background the cooling of the nearest plate pixel (so no method sees a step), and
:func:`flatten_edges` removes from an image what depends only on the distance to a plate edge
inside the view.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DETREND_CLIP",
    "DETREND_SAMPLE",
    "EDGE_BAND",
    "PLATE_RISE",
    "detrend",
    "fill_off_plate",
    "flatten_edges",
    "interior",
    "plate_mask",
]

#: A pixel belongs to the plate when its early rise reaches this share of the plate's
#: (the 90th percentile over the image: right as long as the plate covers a tenth of it).
PLATE_RISE = 0.2

#: Width of the edge band :func:`flatten_edges` corrects, as a share of the plate's smaller
#: side in pixels (edge losses reach about one thickness into the plate).
EDGE_BAND = 0.25


#: Robust standard deviations above which a pixel is left out of :func:`detrend`'s fit.
DETREND_CLIP = 2.5

#: Most pixels :func:`detrend` fits its six coefficients on: a larger image is sampled on a
#: regular grid (every s-th row and column), a 480 x 640 frame every second one. The trend
#: is still removed from every pixel.
DETREND_SAMPLE = 1 << 16


def detrend(image: np.ndarray, plate: np.ndarray | None = None, *, iterations: int = 4):
    """``image`` less its slow trend: a quadratic surface in x and y fitted robustly.

    The fit runs over the plate's pixels, then again without those whose residual departs
    by more than :data:`DETREND_CLIP` robust standard deviations (defects, texture peaks),
    ``iterations`` times. What a late frame or a smoothed method image keeps of uneven
    heating or of a plate cooling through its edges (a dome over the whole plate) goes; a
    defect, a small part of the plate, stays. On images of more than
    :data:`DETREND_SAMPLE` pixels the fit reads a regular grid of that many at most.

    Parameters
    ----------
    image : (H, W) ndarray
        Any image.
    plate : (H, W) ndarray of bool, optional
        The pixels fitted (default all).
    iterations : int
        Refits after leaving out outlying pixels.

    Returns
    -------
    (H, W) ndarray of float64
    """
    h, w = image.shape
    step = int(np.ceil(np.sqrt(h * w / DETREND_SAMPLE)))
    y, x = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    basis = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)
    values = np.asarray(image, np.float64)
    on_plate = np.ones((h, w), bool) if plate is None else np.asarray(plate, bool)
    fit_basis = basis[::step, ::step].reshape(-1, 6)
    fit_values = values[::step, ::step].ravel()
    fit_plate = on_plate[::step, ::step].ravel()
    if not fit_plate.any():
        fit_basis, fit_values, fit_plate = basis.reshape(-1, 6), values.ravel(), on_plate.ravel()
    keep = fit_plate
    for _ in range(iterations + 1):
        coef = np.linalg.lstsq(fit_basis[keep], fit_values[keep], rcond=None)[0]
        resid = fit_values - fit_basis @ coef
        med = np.median(resid[keep])
        mad = 1.4826 * np.median(np.abs(resid[keep] - med))
        if mad == 0:
            break
        new_keep = fit_plate & (np.abs(resid - med) <= DETREND_CLIP * mad)
        if new_keep.sum() < 24 or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return values - basis @ coef


def plate_mask(frames: np.ndarray) -> np.ndarray:
    """(H, W) bool: the plate's rectangle, without the rows and columns of background that
    frame it.

    The early rise is each pixel's mean over the first tenth of the cooling frames (at least
    one), the plate's level its 90th percentile. A row or column at the border of the view is
    background when at least 90 % of its pixels rise by less than :data:`PLATE_RISE` of that
    level, and so is every line between it and the border; and the frame counts only when
    the rise then jumps at the plate's edge, by at least half the level within two lines. A
    part of the plate the flash barely reached (a corner outside a lamp's spot, the far side
    of a gradient) fades in smoothly and stays plate.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        The cooling as a rise above the pre-flash level.

    Returns
    -------
    (H, W) ndarray of bool
        All True when the plate fills the view, or when nothing warms.
    """
    from thermodefect.io.files import frames_mean

    early = frames_mean(frames, 0, max(1, frames.shape[0] // 10))
    plate = np.ones(early.shape, bool)
    level = float(np.percentile(early, 90))
    if not level > 0:
        return plate
    cold = early < PLATE_RISE * level
    edges = []
    for axis in (1, 0):  # rows (top, bottom), then columns (left, right)
        lines, rise = cold.mean(axis=axis) >= 0.9, np.median(early, axis=axis)
        edges += [_edge(lines, rise, level), len(lines) - _edge(lines[::-1], rise[::-1], level)]
    top, bottom, left, right = edges
    if top >= bottom or left >= right:
        return plate
    plate[:] = False
    plate[top:bottom, left:right] = True
    return plate


def _edge(cold: np.ndarray, rise: np.ndarray, level: float) -> int:
    """How many leading lines are background: the leading run of ``cold`` lines, when the
    median ``rise`` jumps by half the ``level`` from its last line to two lines on."""
    n = int(np.argmin(cold)) if not cold.all() else len(cold)
    if n == 0 or n == len(cold):
        return 0
    return n if rise[min(n + 1, len(rise) - 1)] - rise[n - 1] >= 0.5 * level else 0


def fill_off_plate(frames: np.ndarray, plate: np.ndarray) -> None:
    """Give each pixel off the plate, in place, the frames of its nearest plate pixel.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        Written in place.
    plate : (H, W) ndarray of bool
        :func:`plate_mask`.
    """
    from scipy import ndimage

    off = ~plate
    if not off.any() or not plate.any():
        return
    _, (rows, cols) = ndimage.distance_transform_edt(off, return_indices=True)
    frames[:, off] = frames[:, rows[off], cols[off]]


def _box_and_band(plate: np.ndarray) -> tuple[tuple[int, int, int, int], int]:
    """The plate's bounding box (top, bottom, left, right; bottom and right exclusive) and its
    edge band in pixels."""
    rows, cols = np.nonzero(plate)
    box = (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)
    return box, max(2, int(EDGE_BAND * min(box[1] - box[0], box[3] - box[2])))


def interior(plate: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the plate away from its edges in the view.

    The plate's bounding box, less the edge band (:data:`EDGE_BAND`) on each side that lies
    inside the view; the whole box when that would leave less than a band.

    Parameters
    ----------
    plate : (H, W) ndarray of bool
        :func:`plate_mask`.

    Returns
    -------
    rows, cols : slice
    """
    (r0, r1, c0, c1), band = _box_and_band(plate)
    h, w = plate.shape
    inner = (r0 + band * (r0 > 0), r1 - band * (r1 < h), c0 + band * (c0 > 0), c1 - band * (c1 < w))
    if min(inner[1] - inner[0], inner[3] - inner[2]) < band:
        return slice(r0, r1), slice(c0, c1)
    return slice(inner[0], inner[1]), slice(inner[2], inner[3])


def flatten_edges(image: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """``image`` less the profile of each plate edge that lies inside the view.

    Along each side of the plate's bounding box that does not touch the image border, the
    profile is the median, at each distance from that side up to the band (:data:`EDGE_BAND`),
    of the pixels along the side's middle part (away from the corners), and again along the
    whole side. Each line of the band is moved to the profile's value at the band's inner
    end (so nothing jumps there), by the smaller of the two corrections at that distance:
    edge cooling, the same all along a side, goes; a defect, a short stretch of the side,
    does not move either median. Where a defect fills most of the middle part (an FE check
    plate: 21 of its 36 lines), the middle median is the defect's own profile, and
    subtracting it along the side would leave its contrast at both corners; the whole side's
    median, with the defect on fewer of its lines, is then the smaller correction. Where the
    corners cool more than the middle, the middle's is. Corners receive both their sides'
    corrections. Sides at the image border are left alone: the plate goes on beyond them.

    Parameters
    ----------
    image : (H, W) ndarray
        A feature image of the methods.
    plate : (H, W) ndarray of bool
        :func:`plate_mask`.

    Returns
    -------
    (H, W) ndarray of float64
        A new image; ``image`` itself when the plate fills the view.
    """
    if plate.all():
        return image
    (r0, r1, c0, c1), band = _box_and_band(plate)
    out = np.array(image, np.float64)
    box = out[r0:r1, c0:c1]
    if min(box.shape) < 3 * band:
        return out
    # np.rot90(box, k) puts the box's top (k = 0), right, bottom and left side on top; each
    # is a view, so changing its first rows corrects that side of ``out``.
    inside = [k for k, edge in enumerate((r0 > 0, c1 < image.shape[1], r1 < image.shape[0],
                                          c0 > 0)) if edge]  # fmt: skip
    corrections = {}
    for k in inside:
        lines = np.rot90(box, k)[:band]
        middle = np.median(lines[:, band:-band], axis=1)
        full = np.median(lines, axis=1)
        middle, full = middle - middle[-1], full - full[-1]
        corrections[k] = np.where(np.abs(full) < np.abs(middle), full, middle)
    for k in inside:
        np.rot90(box, k)[:band] -= corrections[k][:, None]
    return out
