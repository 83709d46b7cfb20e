"""Denoising in space (Gaussian, median) and in time (Savitzky-Golay)."""

from __future__ import annotations

from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence

__all__ = [
    "denoise_spatial",
    "denoise_temporal",
]


def denoise_spatial(
    seq: Sequence, method: str = "gaussian", *, sigma: float = 1.0, size: int = 3
) -> Sequence:
    """Filter each frame: Gaussian of ``sigma`` pixels, or median over ``size`` x ``size``.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    method : {'gaussian', 'median'}
        The filter.
    sigma : float
        Gaussian standard deviation in pixels.
    size : int
        Median window in pixels.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        For an unknown method. The message names the file.
    """
    from scipy import ndimage

    if method == "gaussian":
        frames = ndimage.gaussian_filter(seq.frames, sigma=(0, sigma, sigma), mode="reflect")
        step = f"denoise_spatial(gaussian, sigma={sigma})"
    elif method == "median":
        frames = ndimage.median_filter(seq.frames, size=(1, size, size), mode="reflect")
        step = f"denoise_spatial(median, size={size})"
    else:
        raise fail(seq, f"spatial denoising method must be 'gaussian' or 'median'; got {method!r}")
    return seq.derive(step, frames=frames)


def denoise_temporal(seq: Sequence, *, window: int = 11, polyorder: int = 2) -> Sequence:
    """Savitzky-Golay filter in time: local polynomials of ``polyorder`` over ``window`` frames.

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    window : int
        Odd number of frames, at most T.
    polyorder : int
        Polynomial degree, below ``window``.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.

    Raises
    ------
    ThermodefectError
        For an even or too long window, or a degree not below it. The message names the file.
    """
    from scipy.signal import savgol_filter

    if window % 2 == 0 or window > seq.n_frames or polyorder >= window:
        raise fail(
            seq,
            f"Savitzky-Golay needs an odd window <= {seq.n_frames} frames and polyorder < window; "
            f"got window={window}, polyorder={polyorder}",
        )
    frames = savgol_filter(seq.frames, window, polyorder, axis=0, mode="interp")
    return seq.derive(f"denoise_temporal(window={window}, polyorder={polyorder})", frames=frames)
