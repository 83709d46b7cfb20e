"""Preprocessing of sequences: baselines, flash and cooling, windows, resampling, resizing,
normalisation, denoising, bad pixels and non-uniform heating.

Every function takes a :class:`~thermodefect.sequence.Sequence`, leaves it untouched and
returns a new one whose ``meta.history`` records the step.
"""

from __future__ import annotations

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io._common import frames_per_chunk
from thermodefect.masks import resize_nearest
from thermodefect.sequence import Sequence

BASELINE_METHODS = ("first", "last", "last_mean", "preflash", "none")
NORMALIZE_METHODS = ("minmax", "zscore", "percentile")
SPACINGS = ("linear", "log")


def _fail(seq: Sequence, message: str) -> ThermodefectError:
    return ThermodefectError(message, seq.meta.source)


def mean_response(seq: Sequence) -> np.ndarray:
    """Spatial mean of each frame, (T,) float64."""
    return seq.frames.reshape(seq.n_frames, -1).mean(axis=1, dtype=np.float64)


def detect_flash(seq: Sequence) -> int:
    """Index of the flash: the frame of peak mean response. Frames before it are pre-flash."""
    return int(np.argmax(mean_response(seq)))


def subtract_baseline(seq: Sequence, method: str = "first", *, n: int = 10) -> Sequence:
    """Subtract a reference image from every frame.

    Parameters
    ----------
    method : {'first', 'last', 'last_mean', 'preflash', 'none'}
        The first frame (the seed's convention), the last frame, the mean of the last ``n``
        frames, the mean of the frames before the flash, or nothing.
    n : int
        Frames averaged by ``'last_mean'``.
    """
    if method not in BASELINE_METHODS:
        raise _fail(seq, f"baseline must be one of {', '.join(BASELINE_METHODS)}; got {method!r}")
    f = seq.frames
    if method == "none":
        return seq.derive("baseline(none)")
    if method == "first":
        ref = f[0]
    elif method == "last":
        ref = f[-1]
    elif method == "last_mean":
        if not 1 <= n <= seq.n_frames:
            raise _fail(seq, f"last_mean needs 1 <= n <= {seq.n_frames} frames, got n={n}")
        ref = f[-n:].mean(axis=0)
    else:
        flash = detect_flash(seq)
        if flash == 0:
            raise _fail(seq, "no pre-flash frames: the flash is in the first frame")
        ref = f[:flash].mean(axis=0)
    return seq.derive(f"baseline({method})", frames=f - ref, baseline=method)


def extract_cooling(seq: Sequence, *, skip: int = 1) -> Sequence:
    """Keep the cooling: frames from ``flash + skip`` on, times measured from the flash frame.

    With the default ``skip=1`` every kept time is positive, as log-time methods need.
    """
    response = mean_response(seq)
    if np.ptp(response) == 0:
        raise _fail(seq, "the sequence never changes: there is no flash and no cooling")
    flash = int(np.argmax(response))
    start = flash + skip
    if start >= seq.n_frames - 1:
        raise _fail(
            seq, f"no cooling after the flash (peak response at frame {flash} of {seq.n_frames})"
        )
    return seq.derive(
        f"cooling(flash={flash}, skip={skip})",
        frames=seq.frames[start:],
        times=seq.times[start:] - seq.times[flash],
        extra={**seq.meta.extra, "flash_frame": flash},
    )


def crop(
    seq: Sequence,
    *,
    frames: tuple[int, int] | None = None,
    rows: tuple[int, int] | None = None,
    cols: tuple[int, int] | None = None,
) -> Sequence:
    """Keep frames, rows and columns in the half-open ranges ``(start, stop)``."""
    t, h, w = seq.shape
    sl = []
    for name, rng, size in (("frames", frames, t), ("rows", rows, h), ("cols", cols, w)):
        a, b = (0, size) if rng is None else rng
        if not 0 <= a < b <= size:
            raise _fail(seq, f"{name} range {a}:{b} is outside 0:{size} or empty")
        sl.append(slice(a, b))
    mask = None if seq.mask is None else seq.mask[sl[1], sl[2]]
    return seq.derive(
        f"crop(frames={frames}, rows={rows}, cols={cols})",
        frames=seq.frames[sl[0], sl[1], sl[2]],
        times=seq.times[sl[0]],
        mask=mask,
    )


def frame_indices(
    n_total: int, n: int, *, start: int = 0, stop: int | None = None, spacing: str = "linear"
) -> np.ndarray:
    """``n`` increasing frame indices in ``[start, stop)``, evenly spaced in frames or log-spaced.

    Log spacing places the indices evenly in ``log(index - start + 1)``, dense early where a
    thermogram changes fastest; collisions are pushed forward so all indices are distinct.
    """
    stop = n_total if stop is None else stop
    if spacing not in SPACINGS:
        raise ThermodefectError(f"spacing must be one of {', '.join(SPACINGS)}; got {spacing!r}")
    if not 0 <= start < stop <= n_total or stop - start < n or n < 1:
        raise ThermodefectError(
            f"cannot take {n} frames from the window {start}:{stop} of {n_total} frames"
        )
    if spacing == "linear":
        return np.round(np.linspace(start, stop - 1, n)).astype(np.int64)
    idx = np.round(np.geomspace(1, stop - start, n)).astype(np.int64) - 1 + start
    for i in range(1, n):
        idx[i] = max(idx[i], idx[i - 1] + 1)
    for i in range(n - 2, -1, -1):
        idx[i] = min(idx[i], idx[i + 1] - 1)
    return idx


def select_frames(
    seq: Sequence, n: int = 16, *, start: int = 0, stop: int | None = None, spacing: str = "linear"
) -> Sequence:
    """Keep ``n`` frames of the window ``[start, stop)`` (the seed's 16-frame clips)."""
    try:
        idx = frame_indices(seq.n_frames, n, start=start, stop=stop, spacing=spacing)
    except ThermodefectError as exc:
        raise _fail(seq, exc.problem) from None
    return seq.derive(
        f"select_frames(n={n}, start={start}, stop={stop}, spacing={spacing})",
        frames=seq.frames[idx],
        times=seq.times[idx],
    )


def resample_times(seq: Sequence, times: np.ndarray) -> Sequence:
    """Linearly interpolate every pixel's history at new ``times`` (s) inside the recorded span."""
    times = np.asarray(times, np.float64)
    if times.ndim != 1 or times.size < 2 or np.any(np.diff(times) <= 0):
        raise _fail(seq, "new times must be a strictly increasing 1-D array of 2 or more values")
    if times[0] < seq.times[0] or times[-1] > seq.times[-1]:
        raise _fail(
            seq,
            f"new times {times[0]:g}..{times[-1]:g} s leave the recorded span "
            f"{seq.times[0]:g}..{seq.times[-1]:g} s",
        )
    right = np.clip(np.searchsorted(seq.times, times, side="right"), 1, seq.n_frames - 1)
    left = right - 1
    w = ((times - seq.times[left]) / (seq.times[right] - seq.times[left])).astype(np.float32)
    out = np.empty((times.size, *seq.image_shape), np.float32)
    for k in range(times.size):
        np.multiply(seq.frames[left[k]], 1 - w[k], out=out[k])
        out[k] += w[k] * seq.frames[right[k]]
    return seq.derive(f"resample_times(n={times.size})", frames=out, times=times, frame_rate=None)


def log_times(seq: Sequence, n: int) -> np.ndarray:
    """``n`` log-spaced times (s) spanning the sequence; its first time must be positive."""
    if seq.times[0] <= 0:
        raise _fail(seq, "log-spaced times need positive times; extract the cooling first")
    return np.geomspace(seq.times[0], seq.times[-1], n)


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix averaging input pixels by their overlap with each output pixel."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return (overlap / (hi - lo)).astype(np.float32)


def resize(seq: Sequence, shape: tuple[int, int], *, pixel_pitch: bool = True) -> Sequence:
    """Resize frames to ``shape`` (H, W) by area interpolation; the mask by nearest neighbour.

    Area interpolation averages the input pixels each output pixel covers (exact block means
    for integer factors), so noise is averaged, not aliased. The pixel pitch is scaled (by
    the mean of the two factors) when ``pixel_pitch`` is true.
    """
    h, w = (int(shape[0]), int(shape[1]))
    if h < 1 or w < 1:
        raise _fail(seq, f"resize needs a positive size, got {h}x{w}")
    rows, cols = _area_weights(seq.image_shape[0], h), _area_weights(seq.image_shape[1], w)
    frames = rows @ seq.frames @ cols.T
    mask = None if seq.mask is None else resize_nearest(seq.mask, (h, w))
    pitch = seq.meta.pixel_pitch_mm
    if pitch and pixel_pitch:
        pitch = pitch * 0.5 * (seq.image_shape[0] / h + seq.image_shape[1] / w)
    return seq.derive(f"resize({h}x{w})", frames=frames, mask=mask, pixel_pitch_mm=pitch)


def normalize(
    seq: Sequence,
    method: str = "minmax",
    *,
    per: str = "sequence",
    percentiles: tuple[float, float] = (1.0, 99.0),
) -> Sequence:
    """Scale values: min-max to [0, 1], z-score, or percentile range to [0, 1] (clipped).

    ``per`` is ``'sequence'`` (one scale for all), ``'frame'`` (each frame) or ``'pixel'``
    (each pixel's history). A constant group maps to 0.
    """
    if method not in NORMALIZE_METHODS:
        raise _fail(seq, f"normalize method must be one of {', '.join(NORMALIZE_METHODS)}")
    axes = {"sequence": None, "frame": (1, 2), "pixel": 0}
    if per not in axes:
        raise _fail(seq, f"per must be one of {', '.join(axes)}; got {per!r}")
    f, ax = seq.frames, axes[per]
    if method == "zscore":
        lo, scale = f.mean(axis=ax, keepdims=True), f.std(axis=ax, keepdims=True)
    else:
        if method == "minmax":
            lo, hi = f.min(axis=ax, keepdims=True), f.max(axis=ax, keepdims=True)
        else:
            lo, hi = np.percentile(f, percentiles, axis=ax, keepdims=True).astype(np.float32)
        scale = hi - lo
    out = (f - lo) / np.where(scale > 0, scale, np.inf).astype(np.float32)
    if method == "percentile":
        np.clip(out, 0, 1, out=out)
    return seq.derive(f"normalize({method}, per={per})", frames=out, units="normalised")


def denoise_spatial(
    seq: Sequence, method: str = "gaussian", *, sigma: float = 1.0, size: int = 3
) -> Sequence:
    """Filter each frame: Gaussian of ``sigma`` pixels, or median over ``size`` x ``size``."""
    from scipy import ndimage

    if method == "gaussian":
        frames = ndimage.gaussian_filter(seq.frames, sigma=(0, sigma, sigma), mode="reflect")
        step = f"denoise_spatial(gaussian, sigma={sigma})"
    elif method == "median":
        frames = ndimage.median_filter(seq.frames, size=(1, size, size), mode="reflect")
        step = f"denoise_spatial(median, size={size})"
    else:
        raise _fail(seq, f"spatial denoising method must be 'gaussian' or 'median'; got {method!r}")
    return seq.derive(step, frames=frames)


def denoise_temporal(seq: Sequence, *, window: int = 11, polyorder: int = 2) -> Sequence:
    """Savitzky-Golay filter in time: local polynomials of ``polyorder`` over ``window`` frames."""
    from scipy.signal import savgol_filter

    if window % 2 == 0 or window > seq.n_frames or polyorder >= window:
        raise _fail(
            seq,
            f"Savitzky-Golay needs an odd window <= {seq.n_frames} frames and polyorder < window; "
            f"got window={window}, polyorder={polyorder}",
        )
    frames = savgol_filter(seq.frames, window, polyorder, axis=0, mode="interp")
    return seq.derive(f"denoise_temporal(window={window}, polyorder={polyorder})", frames=frames)


def find_bad_pixels(seq: Sequence, *, z: float = 8.0) -> np.ndarray:
    """Dead, hot or stuck pixels, (H, W) bool.

    A pixel is bad when its temporal mean or temporal standard deviation departs from the
    median of its 3x3 neighbourhood by more than ``z`` robust standard deviations (MAD of
    those departures over the image), or when it never changes while its neighbours do.
    """
    from scipy import ndimage

    mean = seq.frames.mean(axis=0, dtype=np.float64)
    std = seq.frames.std(axis=0, dtype=np.float64)
    bad = np.zeros(seq.image_shape, bool)
    for stat in (mean, std):
        dev = stat - ndimage.median_filter(stat, size=3, mode="reflect")
        mad = 1.4826 * np.median(np.abs(dev - np.median(dev)))
        if mad > 0:
            bad |= np.abs(dev) > z * mad
    neighbour_std = ndimage.median_filter(std, size=3, mode="reflect")
    bad |= (std == 0) & (neighbour_std > 0)
    return bad


def replace_bad_pixels(seq: Sequence, bad: np.ndarray | None = None, *, z: float = 8.0) -> Sequence:
    """Replace each bad pixel, in every frame, by the median of its good 8-neighbours."""
    bad = find_bad_pixels(seq, z=z) if bad is None else np.asarray(bad, bool)
    if bad.shape != seq.image_shape:
        raise _fail(seq, f"bad-pixel map is {bad.shape}, frames are {seq.image_shape}")
    if not bad.any():
        return seq.derive("replace_bad_pixels(0)")
    h, w = seq.image_shape
    r, c = np.nonzero(bad)
    offsets = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]
    rr = np.clip(r[:, None] + np.array([o[0] for o in offsets]), 0, h - 1)
    cc = np.clip(c[:, None] + np.array([o[1] for o in offsets]), 0, w - 1)
    neighbours = seq.frames[:, rr, cc].astype(np.float64)
    neighbours[:, bad[rr, cc]] = np.nan
    frames = seq.frames.copy()
    fill = np.nanmedian(neighbours, axis=2) if (~bad[rr, cc]).any(axis=1).all() else None
    if fill is None:
        raise _fail(seq, "bad pixels form clusters with no good neighbour; cannot replace them")
    frames[:, r, c] = fill
    return seq.derive(f"replace_bad_pixels({int(bad.sum())})", frames=frames)


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

    Returns
    -------
    background : (T, H, W) float32
    fitted : (H, W) bool, the pixels the final fit used
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
    """
    if order < 0:
        raise _fail(seq, f"polynomial order must be >= 0, got {order}")
    background, _ = heating_background(seq, order=order, clip=clip)
    level = background.mean(axis=(1, 2), keepdims=True)
    return seq.derive(f"correct_heating(order={order})", frames=seq.frames - background + level)
