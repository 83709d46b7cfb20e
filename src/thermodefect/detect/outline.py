"""Region outlines drawn at the halo-corrected size.

Lateral diffusion spreads a defect's image beyond its edge, and the significance decision's
outline follows that spread; the early half-contrast outline
(:func:`~thermodefect.detect.depth.early_diameter`) misses the defect's faint rim. Their
weighted geometric mean (:func:`~thermodefect.detect.depth.corrected_diameter`) is closer to
the true diameter than either on the simulated sets, on the FE check set and on the demo's
plates (docs/results.md#outlines-at-the-halo-corrected-size). Each region is therefore
shrunk or grown to that diameter: shrunk to the pixels deepest inside it (in one piece), grown by
the pixels nearest to it but never within two pixels of another region, so its shape is kept.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from thermodefect.sequence import Sequence

__all__ = ["early_map", "halo_corrected", "resized", "with_early_sizes"]

#: 8-connectivity, as the regions are numbered.
_RING = np.ones((3, 3), bool)


def resized(region: np.ndarray, area: int, keep_off: np.ndarray, image: np.ndarray) -> np.ndarray:
    """``region`` shrunk or grown to ``area`` pixels, keeping its shape.

    Parameters
    ----------
    region : (H, W) ndarray of bool
        One connected region.
    area : int
        Pixels wanted (at least 1).
    keep_off : (H, W) ndarray of bool
        Pixels a grown region may not take.
    image : (H, W) ndarray
        Breaks ties between pixels as deep inside (or as near) as each other: the weakest
        are dropped first, the strongest taken first.

    Returns
    -------
    (H, W) ndarray of bool
        The ``area`` pixels deepest inside ``region`` when it is smaller (when those fall
        apart, as the lobes of a lobed region do, the largest piece grown back to ``area``
        by the pixels of ``region`` nearest to it: one region stays one); ``region`` with
        the free pixels nearest to it when larger (fewer when fewer are free).
    """
    from scipy import ndimage

    have = int(region.sum())
    area = max(int(area), 1)
    out = region.copy()
    if area < have:
        inside = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
        pixels = np.flatnonzero(region)
        order = np.lexsort((image.flat[pixels], inside.flat[pixels]))  # shallowest first
        out.flat[pixels[order[: have - area]]] = False
        pieces, n = ndimage.label(out, structure=_RING)
        if n > 1:  # a lobed region fell apart: its largest piece, grown back inside it
            largest = pieces == np.argmax(np.bincount(pieces.ravel())[1:]) + 1
            return resized(largest, area, keep_off | ~region, image)
        return out
    free = np.flatnonzero(~region & ~keep_off)
    if area == have or free.size == 0:
        return out
    outside = ndimage.distance_transform_edt(~region)
    order = np.lexsort((-image.flat[free], outside.flat[free]))  # nearest first
    out.flat[free[order[: area - have]]] = True
    return out


def halo_corrected(
    mask: np.ndarray, feature: np.ndarray, cooling: Sequence, keep_off: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every region of ``mask`` redrawn at its halo-corrected equivalent diameter.

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        The decision's regions.
    feature : (H, W) ndarray
        The image they were found on (robust z).
    cooling : Sequence
        The prepared cooling frames.
    keep_off : (H, W) ndarray of bool, optional
        Pixels a grown region may not take besides those within 2 pixels of another
        region of ``mask``.

    Returns
    -------
    mask : (H, W) ndarray of bool
        The redrawn regions.
    early : (H, W) ndarray of float32
        On each redrawn region, the early half-contrast diameter (pixels) of the region it
        came from; 0 elsewhere.
    """
    from scipy import ndimage

    from thermodefect.detect.depth import (
        EARLY_REACH,
        corrected_diameter,
        early_diameter_of,
        size_windows,
    )

    labels, n = ndimage.label(mask, structure=_RING)
    out = np.zeros(mask.shape, bool)
    early = np.zeros(mask.shape, np.float32)
    if n == 0:
        return out, early
    windows = size_windows(cooling)
    plate = cooling.meta.extra.get("plate")
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        near = _around(box, EARLY_REACH, mask.shape)
        region = labels[near] == k
        own = 2 * float(np.sqrt(region.sum() / np.pi))
        first = early_diameter_of(
            windows[:, near[0], near[1]], region, mask[near], feature[near],
            None if plate is None else plate[near],
        )  # fmt: skip
        target = corrected_diameter(own, first) or own
        at, drawn = _redrawn(labels, k, box, round(np.pi * target**2 / 4), feature, keep_off)
        out[at] |= drawn
        early[at][drawn] = first
    return out, early


def _around(box: tuple, margin: int, shape: tuple) -> tuple[slice, slice]:
    """``box`` (a pair of slices) grown by ``margin`` pixels on every side, within ``shape``."""
    return tuple(
        slice(max(s.start - margin, 0), min(s.stop + margin, size))
        for s, size in zip(box, shape, strict=True)
    )  # type: ignore[return-value]


def _redrawn(
    labels: np.ndarray,
    k: int,
    box: tuple,
    area: int,
    feature: np.ndarray,
    keep_off: np.ndarray | None = None,
):
    """Region ``k`` of ``labels`` :func:`resized` to ``area`` pixels, kept 2 pixels from the
    other regions and off ``keep_off``, on the smallest crop around ``box`` that gives the
    answer the whole image would: one where every pixel it takes lies nearer to the region
    than the crop's edge.

    Returns
    -------
    at : (slice, slice)
        The crop.
    drawn : ndarray of bool
        The redrawn region on it.
    """
    from scipy import ndimage

    margin = int(np.ceil(np.sqrt(area / np.pi))) + 2
    while True:
        outer = _around(box, margin + 2, labels.shape)  # the other regions' 2-pixel keep-off
        at = _around(box, margin, labels.shape)
        inner = tuple(
            slice(a.start - o.start, a.stop - o.start) for a, o in zip(at, outer, strict=True)
        )
        near = labels[outer]
        others = ndimage.binary_dilation((near > 0) & (near != k), _RING, iterations=2)[inner]
        if keep_off is not None:
            others |= keep_off[at]
        region = labels[at] == k
        drawn = resized(region, area, others, feature[at])
        whole = at == (slice(0, labels.shape[0]), slice(0, labels.shape[1]))
        grown = drawn & ~region
        if whole or not grown.any():
            return at, drawn
        reach = ndimage.distance_transform_edt(~region)[grown].max()
        if reach < margin and drawn.sum() == area:
            return at, drawn
        margin *= 2


def with_early_sizes(regions: list, mask: np.ndarray, early: np.ndarray) -> list:
    """``regions`` (measured on halo-corrected ``mask``) with their early diameter and their
    corrected diameter, which their outline now is, in mm.

    Parameters
    ----------
    regions : list of Region
        From :func:`~thermodefect.detect.regions.measure` of ``mask``.
    mask : (H, W) ndarray of bool
        :func:`halo_corrected`'s mask.
    early : (H, W) ndarray
        :func:`halo_corrected`'s early diameters, pixels.

    Returns
    -------
    list of Region
        Unchanged where the pixel pitch is unknown, and each region where ``early`` is 0
        (not redrawn).
    """
    from thermodefect.detect.regions import label_regions
    from thermodefect.methods import region_max

    if not regions or regions[0].diameter_mm is None:
        return regions
    labels, n = label_regions(mask)
    first = region_max(early, labels, n)
    out = []
    for r in regions:
        if first[r.id - 1] > 0:
            r = replace(r, early_diameter_mm=float(first[r.id - 1]) * _pitch(r),
                        corrected_diameter_mm=r.diameter_mm)  # fmt: skip
        out.append(r)
    return out


def early_map(regions: list, mask: np.ndarray) -> np.ndarray:
    """The early diameters (pixels) of ``regions`` painted on their pixels, as
    :func:`halo_corrected` gives them, for regions measured again with others added.

    Parameters
    ----------
    regions : list of Region
        Measured on ``mask``.
    mask : (H, W) ndarray of bool
        Their mask.

    Returns
    -------
    (H, W) ndarray of float32
        0 off the regions and on those without an early diameter.
    """
    from thermodefect.detect.regions import label_regions

    labels, _ = label_regions(mask)
    sizes = np.zeros(len(regions) + 1, np.float32)
    for r in regions:
        if r.early_diameter_mm is not None and r.diameter_mm:
            sizes[r.id] = r.early_diameter_mm / _pitch(r)
    return sizes[labels]


def _pitch(region) -> float:
    """A region's pixel pitch in mm, from its area and equivalent diameter."""
    return region.diameter_mm / (2 * np.sqrt(region.area_px / np.pi))
