"""Pixel metrics and contrast: confusion counts, IoU, Dice, precision, recall, average
precision, and the contrast-to-noise ratio of a defect.

Pixel metrics compare bool masks (True = defect). When both masks are empty (a sound plate
called sound) IoU, Dice, precision and recall are 1; when only one is empty they are 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "PixelScores",
    "average_precision",
    "check_pair",
    "contrast_to_noise",
    "pixel_scores",
]


@dataclass(frozen=True)
class PixelScores:
    """Confusion counts of a predicted mask and the metrics derived from them.

    Parameters
    ----------
    tp, fp, fn, tn : int
        True positives, false positives, false negatives and true negatives, in pixels.

    Examples
    --------
    >>> s = PixelScores(tp=6, fp=2, fn=2, tn=90)
    >>> round(s.iou, 3), round(s.dice, 3), s.precision, s.recall
    (0.6, 0.75, 0.75, 0.75)
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def iou(self) -> float:
        """Intersection over union TP / (TP + FP + FN); 1 when both masks are empty."""
        return _ratio(self.tp, self.tp + self.fp + self.fn)

    @property
    def dice(self) -> float:
        """Dice (F1) 2 TP / (2 TP + FP + FN); 1 when both masks are empty."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    f1 = dice

    @property
    def precision(self) -> float:
        """TP / (TP + FP); with no predicted pixel 1 when nothing was missed, else 0."""
        return _ratio(self.tp, self.tp + self.fp, empty=1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        """TP / (TP + FN); with no true pixel 1 when nothing was called, else 0."""
        return _ratio(self.tp, self.tp + self.fn, empty=1.0 if self.fp == 0 else 0.0)

    @property
    def accuracy(self) -> float:
        """(TP + TN) / all pixels."""
        return _ratio(self.tp + self.tn, self.tp + self.tn + self.fp + self.fn)

    def as_dict(self) -> dict:
        """Every metric and count by name.

        Returns
        -------
        dict
            ``iou``, ``dice``, ``precision``, ``recall``, ``accuracy``, ``tp``, ``fp``, ``fn``,
            ``tn``.
        """
        return {
            "iou": self.iou, "dice": self.dice, "precision": self.precision,
            "recall": self.recall, "accuracy": self.accuracy,
            "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
        }  # fmt: skip


def _ratio(num: float, den: float, empty: float = 1.0) -> float:
    return float(num / den) if den else empty


def check_pair(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of one shape, the second as bool.

    Parameters
    ----------
    pred : array_like
        Prediction or score map.
    truth : array_like
        Ground truth.

    Returns
    -------
    pred : ndarray
    truth : ndarray of bool

    Raises
    ------
    ThermodefectError
        When the shapes differ.
    """
    pred, truth = np.asarray(pred), np.asarray(truth)
    if pred.shape != truth.shape:
        raise ThermodefectError(
            f"prediction is {'x'.join(map(str, pred.shape))} but the ground truth is "
            f"{'x'.join(map(str, truth.shape))}"
        )
    return pred, truth.astype(bool)


def pixel_scores(pred: np.ndarray, truth: np.ndarray) -> PixelScores:
    """Confusion counts of a predicted mask against the true one.

    Parameters
    ----------
    pred : (H, W) array_like of bool
        Predicted defect mask.
    truth : (H, W) array_like of bool
        The true mask.

    Returns
    -------
    PixelScores

    Raises
    ------
    ThermodefectError
        When the two masks differ in size.
    """
    pred, truth = check_pair(pred, truth)
    pred = pred.astype(bool)
    tp = int(np.count_nonzero(pred & truth))
    fp = int(np.count_nonzero(pred & ~truth))
    fn = int(np.count_nonzero(~pred & truth))
    return PixelScores(tp, fp, fn, int(pred.size - tp - fp - fn))


def average_precision(scores: np.ndarray, truth: np.ndarray) -> float | None:
    """Area under the precision-recall curve (average precision, step-wise) of a score map.

    Parameters
    ----------
    scores : (H, W) array_like
        Feature or probability map; higher = more likely defect.
    truth : (H, W) array_like of bool
        The true mask.

    Returns
    -------
    float or None
        ``None`` when the truth holds no defect pixel (recall is undefined).

    Raises
    ------
    ThermodefectError
        When the two differ in size.
    """
    scores, truth = check_pair(scores, truth)
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
    ``sound``'s complement when given, e.g. other defects). CNR = abs(mean_defect -
    mean_sound) / std_sound; SNR in dB = 20 log10(CNR).

    Parameters
    ----------
    image : (H, W) array_like
        Feature image.
    defect : (H, W) array_like of bool
        The defect's pixels.
    sound : (H, W) array_like of bool, optional
        Pixels allowed in the ring.
    gap : int
        Pixels between the defect and the ring.
    width : int
        Width of the ring in pixels.

    Returns
    -------
    dict
        ``cnr``, ``snr_db``, ``mean_defect`` and ``mean_sound``.

    Raises
    ------
    ThermodefectError
        For an empty defect, no sound pixels around it, or images of different sizes.
    """
    from scipy import ndimage

    image, defect = np.asarray(image, np.float64), np.asarray(defect, bool)
    if image.shape != defect.shape:
        check_pair(image, defect)
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
