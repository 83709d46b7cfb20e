"""Decision rules: a feature image in robust z units to a defect mask.

Every rule is tied to significance: Otsu, K-means and region growing always split an image,
so each of their regions must also reach ``z_min``; a sound plate stays silent under every
rule. Rules are registered in :data:`DECISIONS` as ``rule(feature, z_min) -> mask``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from thermodefect.registry import Registry

__all__ = [
    "DECISIONS",
    "Z_MIN",
    "decide",
    "gate",
    "hysteresis",
    "kmeans_rule",
    "otsu",
    "region",
    "significance",
]

#: Default significance: one Gaussian-noise image reaches it with probability 1e-9 per pixel.
Z_MIN = 6.0

#: name -> rule(feature (H, W) in robust z, z_min) -> (H, W) bool mask before cleaning.
DECISIONS: Registry[Callable[[np.ndarray, float], np.ndarray]] = Registry("decision rule")


def gate(mask: np.ndarray, feature: np.ndarray, z_min: float) -> np.ndarray:
    """Keep the connected regions of ``mask`` that hold at least one pixel with z >= z_min.

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        Candidate regions (8-connected).
    feature : (H, W) ndarray
        The feature image in robust z units.
    z_min : float
        Significance a region's strongest pixel must reach.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return mask
    peaks = ndimage.maximum(feature, labels, index=np.arange(1, n + 1))
    keep = np.concatenate([[False], np.asarray(peaks) >= z_min])
    return keep[labels]


@DECISIONS.register("significance", summary="z >= z_min")
def significance(feature: np.ndarray, z_min: float) -> np.ndarray:
    """Pixels whose z reaches ``z_min``.

    Parameters
    ----------
    feature : (H, W) ndarray
        Feature image in robust z units.
    z_min : float
        Significance every kept region must reach.

    Returns
    -------
    (H, W) ndarray of bool
    """
    return feature >= z_min


@DECISIONS.register("hysteresis", summary="regions above z_min / 2 that reach z_min")
def hysteresis(feature: np.ndarray, z_min: float) -> np.ndarray:
    """Hysteresis thresholding between ``z_min / 2`` and ``z_min``.

    Parameters
    ----------
    feature : (H, W) ndarray
        Feature image in robust z units.
    z_min : float
        Significance every kept region must reach.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from thermodefect.methods import threshold

    return threshold(feature, "hysteresis", low=z_min / 2, high=z_min)


@DECISIONS.register("otsu", summary="Otsu's threshold, regions reaching z_min")
def otsu(feature: np.ndarray, z_min: float) -> np.ndarray:
    """Otsu's threshold of the image, gated by ``z_min``.

    Parameters
    ----------
    feature : (H, W) ndarray
        Feature image in robust z units.
    z_min : float
        Significance every kept region must reach.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from thermodefect.methods import threshold

    return gate(threshold(feature, "otsu"), feature, z_min)


@DECISIONS.register("kmeans", summary="K-means (k = 3) on the values, regions reaching z_min")
def kmeans_rule(feature: np.ndarray, z_min: float) -> np.ndarray:
    """K-means (k = 3) on the feature values: every cluster above the sound one (the cluster
    of the pixel nearest z = 0), gated by ``z_min``.

    Parameters
    ----------
    feature : (H, W) ndarray
        Feature image in robust z units.
    z_min : float
        Significance every kept region must reach.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from thermodefect.methods import kmeans

    labels, _ = kmeans(feature[None], 3)
    centres = [feature[labels == c].mean() if (labels == c).any() else -np.inf for c in range(3)]
    sound = labels[np.unravel_index(np.argmin(np.abs(feature)), feature.shape)]
    mask = np.isin(labels, [c for c in range(3) if centres[c] > centres[sound]])
    return gate(mask, feature, z_min)


@DECISIONS.register("region", summary="region growing from the strongest maxima, reaching z_min")
def region(feature: np.ndarray, z_min: float) -> np.ndarray:
    """Region growing from the strongest local maxima (tolerance 0.5), gated by ``z_min``.

    Parameters
    ----------
    feature : (H, W) ndarray
        Feature image in robust z units.
    z_min : float
        Significance every kept region must reach.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from thermodefect.methods import region_grow

    return gate(region_grow(feature, tolerance=0.5), feature, z_min)


def decide(feature: np.ndarray, decision: str = "significance", *, z_min: float = Z_MIN):
    """Defect mask (before cleaning) of a feature image in robust z units.

    Parameters
    ----------
    feature : (H, W) ndarray
        Feature image in robust z units.
    decision : str
        A rule of :data:`DECISIONS`.
    z_min : float
        Significance every region must reach.

    Returns
    -------
    (H, W) ndarray of bool

    Raises
    ------
    ThermodefectError
        For an unknown rule.
    """
    return DECISIONS[decision](feature, z_min)
