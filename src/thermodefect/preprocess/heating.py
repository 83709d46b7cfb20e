"""Non-uniform heating: the smooth background of each frame, and its removal."""

from __future__ import annotations

import numpy as np

from thermodefect.io.files import frame_blocks, frames_mean, release_pages
from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence, frames_per_chunk

__all__ = [
    "FIT_FRAMES",
    "FIT_PIXELS",
    "SUBSAMPLE_ABOVE",
    "UNEVEN_HEATING",
    "correct_heating",
    "heating_background",
    "heating_fit",
    "heating_spread",
    "legendre_axes",
]


def legendre_axes(h: int, w: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Legendre polynomials of degree 0..order over the rows and over the columns.

    The heating surface of a frame is ``ys @ c @ xs.T`` for a coefficient matrix ``c``
    ((order + 1) x (order + 1)): a tensor product, so no (H*W, P) basis is ever formed.

    Parameters
    ----------
    h, w : int
        Image size.
    order : int
        Highest degree.

    Returns
    -------
    ys : (H, order + 1) ndarray of float64
        On rows mapped to [-1, 1].
    xs : (W, order + 1) ndarray of float64
        On columns mapped to [-1, 1].
    """
    from numpy.polynomial import legendre

    return (
        legendre.legvander(np.linspace(-1, 1, h), order),
        legendre.legvander(np.linspace(-1, 1, w), order),
    )


#: Above this many values (frames x pixels) the rejection of defect pixels runs on a subsample:
#: every k-th row and column (at most ``FIT_PIXELS`` pixels) and at most ``FIT_FRAMES`` frames;
#: each frame's surface is then fitted once on the kept pixels of that grid. A smooth surface
#: of degree 6 needs no more; smaller sequences are fitted on every pixel and frame.
SUBSAMPLE_ABOVE = 8_000_000
FIT_PIXELS = 20_000
FIT_FRAMES = 64


def _fit_grid(t: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat pixel indices and frame indices the rejection runs on."""
    if t * h * w <= SUBSAMPLE_ABOVE:
        return np.arange(h * w), np.arange(t)
    stride = max(1, int(np.ceil(np.sqrt(h * w / FIT_PIXELS))))
    rows, cols = np.arange(0, h, stride), np.arange(0, w, stride)
    frames = np.unique(np.linspace(0, t - 1, min(t, FIT_FRAMES)).round().astype(int))
    return (rows[:, None] * w + cols[None, :]).ravel(), frames


def heating_fit(
    seq: Sequence,
    *,
    order: int = 6,
    clip: float = 3.0,
    iterations: int = 3,
    pixels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of each frame's smooth heating surface (see :func:`heating_background`).

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
    pixels : (H, W) ndarray of bool, optional
        The pixels the fit may read (default all), e.g. the plate without the defects found
        and their halos, which would otherwise bend the surface.

    Returns
    -------
    coefficients : (T, order + 1, order + 1) ndarray of float32
        Of each frame's surface: frame k's is ``ys @ coefficients[k] @ xs.T`` with the
        polynomials of :func:`legendre_axes`.
    fitted : (H, W) ndarray of bool
        The pixels the final fit used (on a subsample: the pixels of each kept grid cell).

    Raises
    ------
    ThermodefectError
        When ``pixels`` leave fewer than four pixels per coefficient to read (of the
        subsample, on a large sequence).
    """
    t, h, w = seq.shape
    ys, xs_ = legendre_axes(h, w, order)
    grid, fit_frames = _fit_grid(t, h, w)
    whole = grid.size == h * w
    if whole:
        xg = seq.frames.reshape(t, h * w)
    else:  # gathered frame block by frame block: a memory-mapped file streams through
        xg = np.empty((t, grid.size), np.float32)
        for t0, block in frame_blocks(seq.frames):
            xg[t0 : t0 + len(block)] = block.reshape(len(block), -1)[:, grid]
    xs = xg if fit_frames.size == t else xg[fit_frames]
    rows, cols = np.divmod(grid, w)
    bg = (ys[rows][:, :, None] * xs_[cols][:, None, :]).reshape(grid.size, -1)
    bg32 = bg.astype(np.float32)
    allowed = np.ones(grid.size, bool)
    if pixels is not None:
        allowed = np.asarray(pixels, bool).ravel()[grid]
        least = 4 * bg.shape[1]
        if allowed.sum() < least:
            raise fail(seq, f"the heating fit needs at least {least} pixels to read "
                            f"({bg.shape[1]} coefficients); got {int(allowed.sum())}")  # fmt: skip
    keep = allowed.copy()
    step = frames_per_chunk((grid.size,), 4)
    for _ in range(iterations + 1):
        # Normal equations over the kept pixels: one float32 product with the frames, no copy
        # of them; the small (P, P) system in float64.
        used = keep
        kept = bg32 * keep[:, None]
        fitted = bg[keep]
        normal = fitted.T @ fitted
        coef = np.linalg.solve(normal, (xs @ kept).T.astype(np.float64)).astype(np.float32)
        score = np.zeros(grid.size)
        for t0 in range(0, xs.shape[0], step):
            resid = xs[t0 : t0 + step] - coef[:, t0 : t0 + step].T @ bg32.T
            scale = resid[:, keep].std(axis=1, keepdims=True)
            score += ((resid / np.where(scale > 0, scale, np.inf)) ** 2).sum(axis=0)
        score = np.sqrt(score / xs.shape[0])
        med = np.median(score[keep])
        mad = 1.4826 * np.median(np.abs(score[keep] - med))
        new_keep = allowed & (score <= med + clip * max(mad, 1e-12))
        if new_keep.sum() < bg.shape[1] * 4 or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    if fit_frames.size != t:  # every frame's surface, on the pixels the last fit used
        fitted = bg[used]
        rhs = (xg @ (bg32 * used[:, None])).T.astype(np.float64)
        coef = np.linalg.solve(fitted.T @ fitted, rhs).astype(np.float32)
    if whole:
        mask = keep.reshape(h, w)
    else:
        stride = int(grid[1] - grid[0]) if grid.size > 1 else 1
        cells = keep.reshape(-1, len(range(0, w, stride)))
        mask = np.repeat(np.repeat(cells, stride, axis=0), stride, axis=1)[:h, :w]
    return coef.T.reshape(t, order + 1, order + 1), mask


def heating_background(
    seq: Sequence, *, order: int = 6, clip: float = 3.0, iterations: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth heating pattern of each frame and the pixels it was fitted on.

    Each frame is fitted by a tensor-product Legendre polynomial of degree ``order`` in x and
    y, by least squares over sound pixels. Pixels whose residual history stands out (RMS of
    the per-frame standardised residual above median + ``clip`` robust deviations) are
    excluded and the fit repeated ``iterations`` times, so defects do not bend the surface.
    Large sequences are fitted on a subsample (:data:`SUBSAMPLE_ABOVE`).

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
    coef, fitted = heating_fit(seq, order=order, clip=clip, iterations=iterations)
    h, w = seq.image_shape
    ys, xs = (a.astype(np.float32) for a in legendre_axes(h, w, order))
    return np.stack([ys @ c @ xs.T for c in coef]), fitted


def correct_heating(
    seq: Sequence, *, order: int = 6, clip: float = 3.0, inplace: bool = False
) -> Sequence:
    """Remove non-uniform heating: subtract each frame's smooth background, keep its mean level.

    A defect-free plate under an uneven (e.g. Gaussian lamp) flash comes out flat, while local
    contrast (defects narrower than about a fifth of the image) is preserved. See
    :func:`heating_background`. The background is subtracted block by block: the result is
    the only frame-sized array made (none with ``inplace``).

    Parameters
    ----------
    seq : Sequence
        The input, left untouched unless ``inplace``.
    order : int
        Polynomial degree of the background in x and in y.
    clip : float
        Robust deviations above which a pixel is left out of the fit.
    inplace : bool
        Write the result into ``seq.frames`` (which must be writable and not shared).

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
    coef, _ = heating_fit(seq, order=order, clip=clip)
    t, h, w = seq.shape
    ys, xs = (a.astype(np.float32) for a in legendre_axes(h, w, order))
    out = seq.frames if inplace else np.empty_like(seq.frames)
    for k in range(t):  # frame by frame: a frame-sized temporary, no (T, H, W) background
        background = ys @ coef[k] @ xs.T
        level = background.mean()
        np.subtract(seq.frames[k], background, out=out[k])
        out[k] += level
        release_pages(out[k])
        release_pages(seq.frames[k])
    return seq.derive(f"correct_heating(order={order})", frames=out)


#: Heating spread (:func:`heating_spread`) from which a flash counts as uneven. A uniform
#: flash on a simulated plate with 1 % emissivity variation spreads about 1.5 %; a Gaussian
#: lamp losing 10 % towards the corners about 7 % (tests/test_preprocess.py checks both sides).
UNEVEN_HEATING = 0.02


def heating_spread(cooling: Sequence, region: tuple[slice, slice] | None = None) -> float:
    """How uneven the flash was: the relative spread of the early cooling, smoothed.

    The mean of the first 5 % of the cooling frames minus the mean of the last 5 % (at least
    two each; the difference cancels any offset, so absolute temperatures give the rise's
    answer), averaged in blocks to at most 127 pixels a side, median-filtered over 5 x 5 of
    those and smoothed by a Gaussian of a tenth of the image, so that noise, texture and small
    defects drop out; the spread is its 5-95 %
    percentile range over its median.

    Parameters
    ----------
    cooling : Sequence
        The frames after the flash.
    region : (slice, slice), optional
        Rows and columns of the part of the image to judge (the plate's interior).

    Returns
    -------
    float
        0 for an even flash; about 0.2 for a lamp losing 30 % towards the corners.
    """
    from scipy import ndimage

    n = max(2, cooling.n_frames // 20)
    early = frames_mean(cooling.frames, 0, n) - frames_mean(cooling.frames, cooling.n_frames - n)
    if region is not None:
        early = early[region]
    h, w = early.shape
    k = max(1, max(h, w) // 64)  # block means: the smoothing below runs on <= 127 pixels a side
    small = early[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k).mean(axis=(1, 3))
    smooth = ndimage.gaussian_filter(
        ndimage.median_filter(small, 5, mode="nearest"), max(small.shape) / 10, mode="nearest"
    )
    low, high = np.percentile(smooth, [5, 95])
    level = abs(float(np.median(smooth)))
    return float((high - low) / level) if level > 0 else 0.0
