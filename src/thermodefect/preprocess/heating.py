"""Non-uniform heating: the smooth background of each frame, and its removal."""

from __future__ import annotations

import numpy as np

from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence, frames_per_chunk

__all__ = [
    "correct_heating",
    "heating_background",
]


def _legendre_basis(h: int, w: int, order: int) -> np.ndarray:
    """(H*W, (order+1)^2) tensor-product Legendre polynomials on [-1, 1]^2."""
    from numpy.polynomial import legendre

    y = legendre.legvander(np.linspace(-1, 1, h), order)
    x = legendre.legvander(np.linspace(-1, 1, w), order)
    return np.einsum("ri,cj->rcij", y, x).reshape(h * w, -1)


def heating_background(
    seq: Sequence, *, order: int = 6, clip: float = 3.0, iterations: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth heating pattern of each frame and the pixels it was fitted on.

    Each frame is fitted by a tensor-product Legendre polynomial of degree ``order`` in x and
    y, by least squares over sound pixels. Pixels whose residual history stands out (RMS of
    the per-frame standardised residual above median + ``clip`` robust deviations) are
    excluded and the fit repeated ``iterations`` times, so defects do not bend the surface.

    Parameters
    ----------
    seq : Sequence
        Usually the cooling after the flash.
    order : int
        Polynomial degree in x and in y.
    clip : float
        Robust deviations above which a pixel is left out of the fit.
    iterations : int
        Refits after excluding pixels.

    Returns
    -------
    background : (T, H, W) ndarray of float32
        The fitted surface of each frame.
    fitted : (H, W) ndarray of bool
        The pixels the final fit used.
    """
    t, h, w = seq.shape
    basis = _legendre_basis(h, w, order)
    basis32 = basis.astype(np.float32)
    x = seq.frames.reshape(t, h * w)
    keep = np.ones(h * w, bool)
    step = frames_per_chunk((h * w,), 4)
    for _ in range(iterations + 1):
        # Normal equations over the kept pixels: one float32 product with the frames, no copy
        # of them; the small (P, P) system in float64.
        kept = basis32 * keep[:, None]
        fitted = basis[keep]
        normal = fitted.T @ fitted
        coef = np.linalg.solve(normal, (x @ kept).T.astype(np.float64)).astype(np.float32)
        score = np.zeros(h * w)
        for t0 in range(0, t, step):
            resid = x[t0 : t0 + step] - coef[:, t0 : t0 + step].T @ basis32.T
            scale = resid[:, keep].std(axis=1, keepdims=True)
            score += ((resid / np.where(scale > 0, scale, np.inf)) ** 2).sum(axis=0)
        score = np.sqrt(score / t)
        med = np.median(score[keep])
        mad = 1.4826 * np.median(np.abs(score[keep] - med))
        new_keep = score <= med + clip * max(mad, 1e-12)
        if new_keep.sum() < basis.shape[1] * 4 or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    background = (coef.T @ basis32.T).reshape(t, h, w)
    return background, keep.reshape(h, w)


def correct_heating(seq: Sequence, *, order: int = 6, clip: float = 3.0) -> Sequence:
    """Remove non-uniform heating: subtract each frame's smooth background, keep its mean level.

    A defect-free plate under an uneven (e.g. Gaussian lamp) flash comes out flat, while local
    contrast (defects narrower than about a fifth of the image) is preserved. See
    :func:`heating_background`.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    order : int
        Polynomial degree of the background in x and in y.
    clip : float
        Robust deviations above which a pixel is left out of the fit.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        For a negative order. The message names the file.
    """
    if order < 0:
        raise fail(seq, f"polynomial order must be >= 0, got {order}")
    background, _ = heating_background(seq, order=order, clip=clip)
    level = background.mean(axis=(1, 2), keepdims=True)
    return seq.derive(f"correct_heating(order={order})", frames=seq.frames - background + level)
