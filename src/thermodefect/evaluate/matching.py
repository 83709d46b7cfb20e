"""Defect-level scoring: which true defects a prediction hit, and how many false calls it made.

A defect is *hit* when some predicted region covers at least ``min_overlap`` (default 20%) of
its area, or when the centroid of a predicted region that touches it lies inside it. A
predicted region touching no defect is a *false call*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.evaluate.metrics import check_pair

__all__ = [
    "Match",
    "match_defects",
    "match_footprints",
]


@dataclass(frozen=True)
class Match:
    """Defect-level outcome of one specimen.

    Parameters
    ----------
    hits : (n_defects,) ndarray of bool
        Whether each true defect was hit, in the order given.
    false_calls : int
        Predicted regions that touch no defect.
    n_predicted : int
        Predicted regions.
    diameter_ratio : (n_defects,) ndarray of float, optional
        Equivalent diameter of the predicted regions that hit each defect over the defect's
        own (NaN where missed); :func:`match_footprints` fills it.
    """

    hits: np.ndarray  # (n_defects,) bool, per ground-truth region label 1..n
    false_calls: int
    n_predicted: int
    diameter_ratio: np.ndarray | None = None

    @property
    def n_defects(self) -> int:
        """True defects."""
        return len(self.hits)

    @property
    def misses(self) -> int:
        """True defects not hit."""
        return int((~self.hits).sum())


def match_defects(pred: np.ndarray, truth_labels: np.ndarray, *, min_overlap: float = 0.2) -> Match:
    """Match predicted regions to the true defects (see the module docstring).

    Parameters
    ----------
    pred : (H, W) array_like of bool
        Predicted defect mask.
    truth_labels : (H, W) array_like of int or bool
        True defects as labels 1..n (0 = sound), or a bool mask split into its 8-connected
        regions.
    min_overlap : float
        Share of a defect's area a predicted region must cover to hit it.

    Returns
    -------
    Match

    Raises
    ------
    ThermodefectError
        When the two differ in size.
    """
    from scipy import ndimage

    pred, truth_labels = np.asarray(pred, bool), np.asarray(truth_labels)
    if pred.shape != truth_labels.shape:
        check_pair(pred, truth_labels)
    if truth_labels.dtype == bool:
        truth_labels, _ = ndimage.label(truth_labels, structure=np.ones((3, 3)))
    footprints = [truth_labels == k for k in range(1, int(truth_labels.max()) + 1)]
    return match_footprints(pred, footprints, min_overlap=min_overlap)


def match_footprints(
    pred: np.ndarray, footprints: list[np.ndarray], *, min_overlap: float = 0.2
) -> Match:
    """Match predicted regions to defects given each as its own footprint, so that touching
    or overlapping defects are judged separately (the simulator knows them).

    Parameters
    ----------
    pred : (H, W) array_like of bool
        Predicted defect mask.
    footprints : list of (H, W) ndarray of bool
        One mask per true defect.
    min_overlap : float
        Share of a defect's area a predicted region must cover to hit it.

    Returns
    -------
    Match

    Raises
    ------
    ThermodefectError
        When a footprint differs in size from the prediction.
    """
    from scipy import ndimage

    pred = np.asarray(pred, bool)
    pred_labels, n_pred = ndimage.label(pred, structure=np.ones((3, 3)))
    centroids = ndimage.center_of_mass(pred, pred_labels, range(1, n_pred + 1)) if n_pred else []
    hits = np.zeros(len(footprints), bool)
    ratio = np.full(len(footprints), np.nan)
    areas = np.bincount(pred_labels.ravel(), minlength=n_pred + 1)
    touched = np.zeros(n_pred + 1, bool)
    for i, foot in enumerate(footprints):
        foot = np.asarray(foot, bool)
        if foot.shape != pred.shape:
            check_pair(pred, foot)
        area = int(foot.sum())
        if area == 0:
            continue
        overlap = np.bincount(pred_labels[foot], minlength=n_pred + 1)
        overlap[0] = 0
        touched |= overlap > 0
        found = [
            k
            for k in np.nonzero(overlap)[0]
            if overlap[k] >= min_overlap * area
            or foot[tuple(int(np.rint(v)) for v in centroids[k - 1])]
        ]
        if found:
            hits[i] = True
            ratio[i] = np.sqrt(areas[found].sum() / area)
    return Match(
        hits=hits,
        false_calls=int(n_pred - touched[1:].sum()),
        n_predicted=n_pred,
        diameter_ratio=ratio,
    )
