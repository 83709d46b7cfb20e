"""Scoring: pixel metrics, defect-level hits and false calls, POD (MIL-HDBK-1823A), CNR.

Conventions
-----------
- Pixel metrics compare bool masks (True = defect). When both masks are empty (a sound plate
  called sound) IoU, Dice, precision and recall are 1; when only one is empty they are 0.
- Defect matching (:func:`match_defects`): ground-truth defects are the connected regions of
  the true mask (or given labels). A defect is *hit* when some predicted region covers at
  least ``min_overlap`` (default 20%) of its area, or when the centroid of a predicted region
  that touches it lies inside it. A predicted region touching no defect is a *false call*.
- POD: hit/miss data fitted by maximum likelihood with POD(a) = F((ln a - mu) / sigma), F the
  logistic or normal CDF (MIL-HDBK-1823A, section 7). a50 and a90 solve POD = 0.5 and 0.9;
  a90/95 is the upper 95% confidence bound of a90 from the profile likelihood ratio (the
  handbook's preferred bound), or from the delta method on request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.errors import ThermodefectError


@dataclass(frozen=True)
class PixelScores:
    """Confusion counts and the metrics derived from them."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def iou(self) -> float:
        return _ratio(self.tp, self.tp + self.fp + self.fn)

    @property
    def dice(self) -> float:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    f1 = dice

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp, empty=1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn, empty=1.0 if self.fp == 0 else 0.0)

    @property
    def accuracy(self) -> float:
        return _ratio(self.tp + self.tn, self.tp + self.tn + self.fp + self.fn)

    def as_dict(self) -> dict:
        return {
            "iou": self.iou, "dice": self.dice, "precision": self.precision,
            "recall": self.recall, "accuracy": self.accuracy,
            "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
        }  # fmt: skip


def _ratio(num: float, den: float, empty: float = 1.0) -> float:
    return float(num / den) if den else empty


def _check_pair(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, truth = np.asarray(pred), np.asarray(truth)
    if pred.shape != truth.shape:
        raise ThermodefectError(
            f"prediction is {'x'.join(map(str, pred.shape))} but the ground truth is "
            f"{'x'.join(map(str, truth.shape))}"
        )
    return pred, truth.astype(bool)


def pixel_scores(pred: np.ndarray, truth: np.ndarray) -> PixelScores:
    """Confusion counts of a predicted mask against the true one (same shape, bool)."""
    pred, truth = _check_pair(pred, truth)
    pred = pred.astype(bool)
    tp = int(np.count_nonzero(pred & truth))
    fp = int(np.count_nonzero(pred & ~truth))
    fn = int(np.count_nonzero(~pred & truth))
    return PixelScores(tp, fp, fn, int(pred.size - tp - fp - fn))


def average_precision(scores: np.ndarray, truth: np.ndarray) -> float | None:
    """Area under the precision-recall curve (average precision, step-wise) of a score map.

    Returns ``None`` when the truth holds no defect pixel (recall is undefined).
    """
    scores, truth = _check_pair(scores, truth)
    positives = int(truth.sum())
    if positives == 0:
        return None
    order = np.argsort(-scores.ravel(), kind="stable")
    s, t = scores.ravel()[order], truth.ravel()[order]
    tp = np.cumsum(t)
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    tp, seen = tp[last_of_tie], np.nonzero(last_of_tie)[0] + 1
    precision, recall = tp / seen, tp / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


@dataclass(frozen=True)
class Match:
    """Defect-level outcome of one specimen."""

    hits: np.ndarray  # (n_defects,) bool, per ground-truth region label 1..n
    false_calls: int
    n_predicted: int

    @property
    def n_defects(self) -> int:
        return len(self.hits)

    @property
    def misses(self) -> int:
        return int((~self.hits).sum())


def match_defects(pred: np.ndarray, truth_labels: np.ndarray, *, min_overlap: float = 0.2) -> Match:
    """Match predicted regions to ground-truth defects (see the module docstring).

    Parameters
    ----------
    pred : (H, W) bool
        Predicted defect mask.
    truth_labels : (H, W) int or bool
        Ground-truth defects as labels 1..n (0 = sound), or a bool mask split into its
        8-connected regions.
    """
    from scipy import ndimage

    pred, truth_labels = np.asarray(pred, bool), np.asarray(truth_labels)
    if pred.shape != truth_labels.shape:
        _check_pair(pred, truth_labels)
    if truth_labels.dtype == bool:
        truth_labels, _ = ndimage.label(truth_labels, structure=np.ones((3, 3)))
    footprints = [truth_labels == k for k in range(1, int(truth_labels.max()) + 1)]
    return match_footprints(pred, footprints, min_overlap=min_overlap)


def match_footprints(
    pred: np.ndarray, footprints: list[np.ndarray], *, min_overlap: float = 0.2
) -> Match:
    """Match predicted regions to defects given each as its own (H, W) bool footprint, so that
    touching or overlapping defects are judged separately (the simulator knows them)."""
    from scipy import ndimage

    pred = np.asarray(pred, bool)
    pred_labels, n_pred = ndimage.label(pred, structure=np.ones((3, 3)))
    centroids = ndimage.center_of_mass(pred, pred_labels, range(1, n_pred + 1)) if n_pred else []
    hits = np.zeros(len(footprints), bool)
    touched = np.zeros(n_pred + 1, bool)
    for i, foot in enumerate(footprints):
        foot = np.asarray(foot, bool)
        if foot.shape != pred.shape:
            _check_pair(pred, foot)
        area = int(foot.sum())
        if area == 0:
            continue
        overlap = np.bincount(pred_labels[foot], minlength=n_pred + 1)
        overlap[0] = 0
        touched |= overlap > 0
        for k in np.nonzero(overlap)[0]:
            r, c = (int(np.rint(v)) for v in centroids[k - 1])
            if overlap[k] >= min_overlap * area or foot[r, c]:
                hits[i] = True
    return Match(hits=hits, false_calls=int(n_pred - touched[1:].sum()), n_predicted=n_pred)


def contrast_to_noise(
    image: np.ndarray,
    defect: np.ndarray,
    *,
    sound: np.ndarray | None = None,
    gap: int = 2,
    width: int = 5,
) -> dict:
    """CNR of one defect in a feature image against the sound area around it.

    The sound reference is a ring ``gap`` to ``gap + width`` pixels outside the defect (minus
    ``sound``'s complement when given, e.g. other defects). CNR = |mu_defect - mu_sound| /
    sigma_sound; SNR in dB = 20 log10(CNR). Returns a dict with both and the two means.
    """
    from scipy import ndimage

    image, defect = np.asarray(image, np.float64), np.asarray(defect, bool)
    if image.shape != defect.shape:
        _check_pair(image, defect)
    if not defect.any():
        raise ThermodefectError("the defect mask is empty; there is nothing to measure")
    near = ndimage.binary_dilation(defect, iterations=gap)
    ring = ndimage.binary_dilation(defect, iterations=gap + width) & ~near
    if sound is not None:
        ring &= np.asarray(sound, bool)
    if ring.sum() < 2:
        raise ThermodefectError("no sound pixels around the defect to compare with")
    mu_d, mu_s, sigma = image[defect].mean(), image[ring].mean(), image[ring].std()
    cnr = abs(mu_d - mu_s) / sigma if sigma > 0 else float("inf")
    snr_db = (
        20 * np.log10(cnr) if 0 < cnr < float("inf") else (float("inf") if cnr else float("-inf"))
    )
    return {
        "cnr": float(cnr),
        "snr_db": float(snr_db),
        "mean_defect": float(mu_d),
        "mean_sound": float(mu_s),
    }
