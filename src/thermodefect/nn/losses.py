"""Segmentation losses on logits.

Shape contract: ``logits`` and ``target`` are tensors of one shape, ``(N, 1, H, W)`` or
``(N, H, W)`` or ``(N,)`` per pixel; ``target`` holds 0/1 (or soft) labels, defect = 1.
Every loss returns a scalar averaged over the batch. Overlap losses (Dice, Tversky) are
computed over the whole batch as one set of pixels, so an image without defects does not
make the ratio undefined; ``smooth`` keeps it finite when the batch has no defect at all.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "bce_dice_loss",
    "bce_loss",
    "class_balanced_weights",
    "dice_loss",
    "focal_loss",
    "tversky_loss",
]


def dice_loss(logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0) -> torch.Tensor:
    """1 - (2 sum(p t) + s) / (sum(p) + sum(t) + s), p = sigmoid(logits).

    Parameters
    ----------
    logits : torch.Tensor
        Raw outputs, any shape.
    target : torch.Tensor
        0/1 (or soft) targets of the same shape.
    smooth : float
        s, keeps an empty target and prediction at loss 0.

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> round(float(dice_loss(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]))), 4)
    0.3333
    """
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    return 1 - (2 * inter + smooth) / (p.sum() + target.sum() + smooth)


def bce_dice_loss(
    logits: torch.Tensor, target: torch.Tensor, *, bce_weight: float = 2.0, dice_weight: float = 1.0
) -> torch.Tensor:
    """``bce_weight`` x binary cross-entropy + ``dice_weight`` x Dice loss (2:1, the seed's).

    Parameters
    ----------
    logits : torch.Tensor
        Raw outputs, any shape.
    target : torch.Tensor
        0/1 (or soft) targets of the same shape.
    bce_weight, dice_weight : float
        Weights of the two terms.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    bce = F.binary_cross_entropy_with_logits(logits, target)
    return bce_weight * bce + dice_weight * dice_loss(logits, target)


def tversky_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    alpha: float = 0.3,
    beta: float = 0.7,
    smooth: float = 1.0,
) -> torch.Tensor:
    """1 - (TP + s) / (TP + alpha FP + beta FN + s) on soft counts.

    beta > alpha weighs misses above false alarms (alpha = beta = 0.5 is the Dice loss).

    Parameters
    ----------
    logits : torch.Tensor
        Raw outputs, any shape.
    target : torch.Tensor
        0/1 (or soft) targets of the same shape.
    alpha, beta : float
        Weights of false positives and false negatives.
    smooth : float
        s.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    p = torch.sigmoid(logits)
    tp = (p * target).sum()
    fp = (p * (1 - target)).sum()
    fn = ((1 - p) * target).sum()
    return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


def class_balanced_weights(target: torch.Tensor, beta: float) -> torch.Tensor:
    """Per-pixel weights of Cui et al. (2019): class c weighs (1 - beta) / (1 - beta^n_c)
    for its n_c pixels in the batch, normalised so the two class weights sum to 2.

    Parameters
    ----------
    target : torch.Tensor
        0/1 targets.
    beta : float
        In [0, 1); 0 weighs both classes 1.

    Returns
    -------
    torch.Tensor
        Weights of the target's shape.
    """
    hard = target > 0.5
    counts = torch.stack([(~hard).sum(), hard.sum()]).to(target.dtype)
    effective = (1 - beta ** counts.clamp(min=1)) / (1 - beta)
    w = 1 / effective
    w = 2 * w / w.sum()
    return torch.where(hard, w[1], w[0])


def focal_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    gamma: float = 2.0,
    beta: float = 0.999,
    smoothing: float = 0.1,
) -> torch.Tensor:
    """Class-balanced focal loss with label smoothing (the seed's), averaged over pixels.

    Targets are smoothed to t' = t (1 - smoothing) + smoothing / 2; each pixel's
    cross-entropy against t' is scaled by (1 - p_t)^gamma, p_t being the probability given
    to its (hard) class, and by the class-balanced weight of its class.

    Parameters
    ----------
    logits : torch.Tensor
        Raw outputs, any shape.
    target : torch.Tensor
        0/1 (or soft) targets of the same shape.
    gamma : float
        Focusing exponent.
    beta : float
        Of :func:`class_balanced_weights`.
    smoothing : float
        Label smoothing.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    soft = target * (1 - smoothing) + smoothing / 2
    ce = F.binary_cross_entropy_with_logits(logits, soft, reduction="none")
    p = torch.sigmoid(logits)
    p_t = torch.where(target > 0.5, p, 1 - p)
    weights = class_balanced_weights(target, beta) if beta > 0 else 1.0
    return (weights * (1 - p_t) ** gamma * ce).mean()


def bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Plain binary cross-entropy on logits.

    Parameters
    ----------
    logits : torch.Tensor
        Raw outputs, any shape.
    target : torch.Tensor
        0/1 (or soft) targets of the same shape.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    return F.binary_cross_entropy_with_logits(logits, target)
