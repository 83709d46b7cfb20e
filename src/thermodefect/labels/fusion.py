"""Several annotators' masks of one sequence to one ground truth, and how well they agree.

- Majority vote: defect where more than half of the annotators drew one.
- STAPLE (Warfield, Zou & Wells, IEEE TMI 23(7), 2004): expectation-maximisation of the
  true segmentation's posterior W and each annotator's sensitivity p_j and specificity q_j,
  with a global prior equal to the mean annotated fraction. Binary masks of R annotators
  only take 2^R patterns per pixel, so the EM runs on pattern counts: exact and fast.
- Fleiss' kappa over pixels (two categories) and pairwise Dice.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = [
    "EPS",
    "StapleResult",
    "dice",
    "fleiss_kappa",
    "majority",
    "pairwise_dice",
    "staple",
]

EPS = 1e-9


@dataclass(frozen=True)
class StapleResult:
    """STAPLE's estimate: posterior probability of defect per pixel and each annotator's skill.

    Parameters
    ----------
    posterior : (H, W) ndarray of float64
        Probability that each pixel is a defect.
    sensitivity : (R,) ndarray of float64
        Each annotator's estimated true-positive rate.
    specificity : (R,) ndarray of float64
        Each annotator's estimated true-negative rate.
    prior : float
        Prior probability of defect used.
    iterations : int
        EM rounds run.
    """

    posterior: np.ndarray
    sensitivity: np.ndarray
    specificity: np.ndarray
    prior: float
    iterations: int


def _stack(masks) -> np.ndarray:
    arr = np.asarray([np.asarray(m, bool) for m in masks])
    if arr.ndim < 2 or len(arr) < 2:
        raise ValueError("need the masks of at least two annotators, all of one shape")
    return arr.reshape(len(arr), -1)


def majority(masks) -> np.ndarray:
    """Defect where more than half of the masks say defect.

    Parameters
    ----------
    masks : sequence of (H, W) array_like of bool
        One mask per annotator, all of one shape (True = defect).

    Returns
    -------
    (H, W) ndarray of bool

    Raises
    ------
    ValueError
        With fewer than two masks or masks of different shapes.
    """
    arr = _stack(masks)
    return (2 * arr.sum(0) > len(arr)).reshape(np.shape(masks[0]))


def staple(
    masks, *, max_iter: int = 200, tol: float = 1e-9, prior: float | None = None
) -> StapleResult:
    """STAPLE estimate of the true mask from binary annotations (see the module docstring).

    Parameters
    ----------
    masks : sequence of (H, W) array_like of bool
        One mask per annotator, all of one shape (True = defect).
    max_iter : int
        EM rounds at most.
    tol : float
        EM stops when no sensitivity or specificity moves more than this.
    prior : float, optional
        Prior probability of defect; default the mean annotated fraction.

    Returns
    -------
    StapleResult

    Raises
    ------
    ValueError
        With fewer than two masks or masks of different shapes.
    """
    arr = _stack(masks)
    r = len(arr)
    codes = (arr.astype(np.int64) << np.arange(r)[:, None]).sum(0)
    counts = np.bincount(codes, minlength=2**r).astype(np.float64)
    votes = ((np.arange(2**r)[None, :] >> np.arange(r)[:, None]) & 1).astype(np.float64)
    pi = float(np.clip(arr.mean() if prior is None else prior, EPS, 1 - EPS))
    p = np.full(r, 0.99)
    q = np.full(r, 0.99)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        log_a = np.log(pi) + votes.T @ np.log(p) + (1 - votes.T) @ np.log(1 - p)
        log_b = np.log(1 - pi) + (1 - votes.T) @ np.log(q) + votes.T @ np.log(1 - q)
        w = 1.0 / (1.0 + np.exp(np.clip(log_b - log_a, -700, 700)))
        tw, tn = counts * w, counts * (1 - w)
        p_new = np.clip(votes @ tw / max(tw.sum(), EPS), EPS, 1 - EPS)
        q_new = np.clip((1 - votes) @ tn / max(tn.sum(), EPS), EPS, 1 - EPS)
        done = max(np.abs(p_new - p).max(), np.abs(q_new - q).max()) < tol
        p, q = p_new, q_new
        if done:
            break
    return StapleResult(
        posterior=w[codes].reshape(np.shape(masks[0])),
        sensitivity=p,
        specificity=q,
        prior=pi,
        iterations=iterations,
    )


def fleiss_kappa(masks) -> float:
    """Fleiss' kappa of the annotators over all pixels (categories defect / sound).

    When every rating falls in one category the chance agreement is 1 and kappa is
    undefined; we return 1.0 (the annotators agree perfectly).

    Parameters
    ----------
    masks : sequence of (H, W) array_like of bool
        One mask per annotator, all of one shape (True = defect).

    Returns
    -------
    float
    """
    arr = _stack(masks)
    n = len(arr)
    k1 = arr.sum(0).astype(np.float64)
    k0 = n - k1
    agreement = ((k1 * (k1 - 1) + k0 * (k0 - 1)) / (n * (n - 1))).mean()
    p1 = k1.sum() / k1.size / n
    chance = p1**2 + (1 - p1) ** 2
    return 1.0 if chance >= 1 - EPS else float((agreement - chance) / (1 - chance))


def dice(a, b) -> float:
    """Dice coefficient 2 ``|a & b|`` / (``|a|`` + ``|b|``); 1.0 when both are empty.

    Parameters
    ----------
    a, b : (H, W) array_like of bool
        Two masks of one shape.

    Returns
    -------
    float

    Examples
    --------
    >>> dice([True, True, False], [True, False, False])
    0.6666666666666666
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total


def pairwise_dice(masks) -> dict[tuple[int, int], float]:
    """Dice of every pair of annotators.

    Parameters
    ----------
    masks : sequence of (H, W) array_like of bool
        One mask per annotator, all of one shape (True = defect).

    Returns
    -------
    dict of (int, int) to float
        Keyed by the pair's indices (i < j).
    """
    return {(i, j): dice(masks[i], masks[j]) for i, j in combinations(range(len(masks)), 2)}
