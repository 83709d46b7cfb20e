"""Higher-order statistics of each pixel's history (Madruga et al., NDT&E Int. 2010).

Skewness m3 / m2^1.5 and excess kurtosis m4 / m2^2 - 3 of the time series, computed over
blocks of pixel columns centred in cache (exact two-pass moments, no full copy). A
pixel whose spread is below float32 rounding of its mean (a constant pixel) gets 0 for both.
"""

from __future__ import annotations

from dataclasses import dataclass

from thermodefect.methods._backend import Array, Backend, frames_of

CPU_CHUNK = 16384
ROUNDING = 16 * 1.1920929e-07  # spread below this fraction of |mean| is float32 rounding


@dataclass(frozen=True)
class HOSResult:
    """Skewness and excess kurtosis images, numpy or torch like the input.

    Parameters
    ----------
    skewness : (H, W) array
        m3 / m2^1.5 of each pixel's history.
    kurtosis : (H, W) array
        m4 / m2^2 - 3 of each pixel's history.
    """

    skewness: Array
    kurtosis: Array


def hos(data, *, chunk: int | None = None) -> HOSResult:
    """Per-pixel skewness and excess kurtosis along time (see the module docstring).

    Parameters
    ----------
    data : Sequence, (T, H, W) ndarray or torch.Tensor
        Cooling frames after the flash (numpy or torch on any device; the result matches).
    chunk : int, optional
        Pixel columns per block (default: all on a GPU, 16384 on the CPU).

    Returns
    -------
    HOSResult

    Raises
    ------
    ThermodefectError
        With fewer than 3 frames or non-finite values.
    """
    frames = frames_of(data, min_frames=3)
    t, h, w = frames.shape
    be = Backend(frames)
    x = frames.reshape(t, h * w)
    n = x.shape[1]
    skew, kurt = be.zeros(n), be.zeros(n)
    weights = be.asarray([1.0 / t] * t)
    step = chunk or (n if be.is_cuda else CPU_CHUNK)
    for c0 in range(0, n, step):
        xs = x[:, c0 : c0 + step]
        mean = weights @ xs
        d = xs - mean
        d2 = d * d
        m2 = weights @ d2
        m3 = weights @ (d2 * d)
        m4 = weights @ (d2 * d2)
        ok = m2 > (ROUNDING * mean) ** 2
        safe = m2 + (~ok)
        skew[c0 : c0 + step] = m3 / safe**1.5 * ok
        kurt[c0 : c0 + step] = (m4 / safe**2 - 3) * ok
    return HOSResult(skew.reshape(h, w), kurt.reshape(h, w))


def hos_images(seq) -> list:
    """The registry's view of HOS: the skewness and excess-kurtosis images (H, W)."""
    result = hos(seq)
    return [result.skewness, result.kurtosis]
