"""Thermographic signal reconstruction (TSR; Shepard, US patent 6516084).

Each pixel's cooling curve is fitted in log-log space: ln T = sum_i c_i u^i, a polynomial of
degree ``degree`` (5 by default) in u = (ln t - m) / s, the log time centred and scaled for
conditioning. The fit is one least-squares projection shared by all pixels (a (degree+1) x T
matrix applied to ln T, in cache-sized pixel blocks). From the coefficients come the
noise-reduced reconstruction and the first and second logarithmic derivatives
d ln T / d ln t and d^2 ln T / d (ln t)^2 at every frame; a semi-infinite sound region has a
first derivative of -1/2, and the time of peak second derivative grows with defect depth.

The input must be the cooling after the flash with positive times (seconds since the flash)
and a positive temperature rise; values below ``floor`` (default 1e-6 of the largest) are
raised to it before the logarithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import column_blocks, frame_blocks, is_mapped
from thermodefect.methods._backend import (
    Array,
    Backend,
    frames_of,
    is_tensor,
    spread_windows,
    torch_view,
)
from thermodefect.sequence import frames_per_chunk

CPU_CHUNK = 2048


@dataclass(frozen=True)
class TSRResult:
    """Coefficients of the per-pixel log-log polynomial and what follows from them.

    Parameters
    ----------
    coefficients : (degree + 1, H, W) float32
        c_0 .. c_degree in the scaled log time u.
    times : (T,) float64
        Seconds after the flash of the fitted frames.
    log_center, log_scale : float
        m and s of u = (ln t - m) / s.
    """

    coefficients: Array
    times: np.ndarray
    log_center: float
    log_scale: float

    @property
    def degree(self) -> int:
        """Degree of the fitted polynomial."""
        return self.coefficients.shape[0] - 1

    def _basis(self, order: int, times: np.ndarray | None) -> np.ndarray:
        """(T, degree + 1) matrix giving the ``order``-th derivative in ln t of the fit."""
        t = self.times if times is None else np.asarray(times, np.float64)
        u = (np.log(t) - self.log_center) / self.log_scale
        powers = np.arange(self.degree + 1)
        factor = np.ones(self.degree + 1)
        for k in range(order):
            factor = factor * np.clip(powers - k, 0, None)
        exponent = np.clip(powers - order, 0, None)
        return factor[None, :] * u[:, None] ** exponent[None, :] / self.log_scale**order

    def _evaluate(self, order: int, times):
        be = Backend(self.coefficients)
        c = self.coefficients
        basis = be.asarray(self._basis(order, times))
        return (basis @ c.reshape(c.shape[0], -1)).reshape(-1, *c.shape[1:])

    def reconstruction(self, times: np.ndarray | None = None):
        """The fitted temperature rise, exp of the polynomial.

        Parameters
        ----------
        times : (T',) array_like, optional
            Seconds after the flash (default: the fitted frames' times).

        Returns
        -------
        (T', H, W) array
        """
        log_t = self._evaluate(0, times)
        return log_t.exp_() if hasattr(log_t, "exp_") else np.exp(log_t, out=log_t)

    def derivative(self, order: int = 1, times: np.ndarray | None = None):
        """d^order ln T / d (ln t)^order at each time.

        Parameters
        ----------
        order : {1, 2}
            First or second log-derivative.
        times : (T',) array_like, optional
            Seconds after the flash (default: the fitted frames' times).

        Returns
        -------
        (T', H, W) array

        Raises
        ------
        ThermodefectError
            For another order.
        """
        if order not in (1, 2):
            raise ThermodefectError(f"TSR derivative order must be 1 or 2, got {order}")
        return self._evaluate(order, times)

    def window_means(self, order: int = 1, count: int = 12) -> list:
        """The ``order``-th log-derivative at the fitted frames averaged over the windows of
        :func:`~thermodefect.methods.spread_frames`, without forming it at every frame.

        Parameters
        ----------
        order : {1, 2}
            Which derivative.
        count : int
            Windows before empty ones are dropped.

        Returns
        -------
        list of (H, W) arrays
            Equal to ``spread_frames(self.derivative(order), count)``.
        """
        basis = self._basis(order, None)
        rows = np.stack([basis[a:b].mean(axis=0) for a, b in spread_windows(len(basis), count)])
        be = Backend(self.coefficients)
        c = self.coefficients
        images = be.asarray(rows.astype(np.float32)) @ c.reshape(c.shape[0], -1)
        return list(images.reshape(-1, *c.shape[1:]))

    def peak_time(self, order: int = 2, samples: int = 200):
        """Time of the maximum of the ``order``-th log-derivative of each pixel.

        Parameters
        ----------
        order : {1, 2}
            Which derivative.
        samples : int
            Log-spaced times over the fitted span on which the derivative is evaluated.

        Returns
        -------
        (H, W) array
            Seconds after the flash.
        """
        grid = np.geomspace(self.times[0], self.times[-1], samples)
        d = self.derivative(order, grid)
        be = Backend(d)
        idx = be.argmax(d, 0)
        return be.asarray(grid, "float64")[idx]


def tsr(
    data, degree: int = 5, *, times=None, floor: float = 1e-6, chunk: int | None = None
) -> TSRResult:
    """Fit the TSR polynomial to every pixel of a cooling sequence.

    Parameters
    ----------
    data : Sequence, (T, H, W) ndarray or torch.Tensor
        Cooling frames after the flash (see :func:`thermodefect.preprocess.extract_cooling`).
    degree : int
        Polynomial degree in log time, 1 <= degree < T.
    times : (T,) array, optional
        Seconds after the flash; taken from the Sequence when not given.
    floor : float
        Values below ``floor`` times the largest value are raised to it before the log.
    chunk : int, optional
        Pixel columns per block (default: all on a GPU, a cache-sized block on the CPU).

    Returns
    -------
    TSRResult

    Raises
    ------
    ThermodefectError
        For a degree outside 1..T-1, times that are not positive and increasing, or
        non-finite values.
    """
    from thermodefect.sequence import Sequence

    frames = frames_of(data)
    t_count = frames.shape[0]
    if times is None:
        if not isinstance(data, Sequence):
            raise ThermodefectError("tsr needs the frame times: pass a Sequence or times=")
        times = data.times
    times = np.asarray(times, np.float64)
    if times.shape != (t_count,) or np.any(times <= 0) or np.any(np.diff(times) <= 0):
        raise ThermodefectError(
            "TSR needs increasing positive times (s after the flash) for every frame; "
            "extract the cooling first"
        )
    if not 1 <= degree < t_count:
        raise ThermodefectError(f"TSR degree must be between 1 and {t_count - 1}, got {degree}")

    numpy_in = not is_tensor(frames)
    mapped = frames if is_mapped(frames) else None  # a mapped file: blocks read from it
    frames = torch_view(frames)
    be = Backend(frames)
    log_t = np.log(times)
    center, scale = float(log_t.mean()), float(max(log_t.std(), 1e-12))
    u = (log_t - center) / scale
    vander = u[:, None] ** np.arange(degree + 1)[None, :]
    projector = be.asarray(np.linalg.pinv(vander))
    x = frames.reshape(t_count, -1)
    n = x.shape[1]
    step = chunk or (n if be.is_cuda else CPU_CHUNK)
    low, high = _range(x, mapped)
    peak = max(high, -low)
    if peak <= 0:
        raise ThermodefectError("TSR needs a positive temperature rise; the frames are all zero")
    lowest = floor * peak if low < floor * peak else None  # None: nothing to raise
    coef = be.empty((degree + 1, n))
    if mapped is not None and chunk is None:  # read from the file: blocks of about 64 MiB
        step = max(step, frames_per_chunk((t_count,)))
    buf = be.empty((t_count, min(step, n)))
    for c0, xs in column_blocks(x if mapped is None else mapped.reshape(t_count, -1), step):
        block = buf[:, : xs.shape[1]]
        be.log_floor(xs if mapped is None else torch_view(xs), lowest, out=block)
        coef[:, c0 : c0 + xs.shape[1]] = projector @ block
    coef = coef.reshape(degree + 1, *frames.shape[1:])
    return TSRResult(
        coefficients=coef.numpy() if numpy_in else coef,
        times=times,
        log_center=center,
        log_scale=scale,
    )


def _range(x, mapped) -> tuple[float, float]:
    """Smallest and largest value of a (T, N) tensor; frame block by frame block when it is a
    memory-mapped file (``mapped``)."""
    import torch

    if mapped is None:
        extremes = torch.aminmax(x)
        return float(extremes.min), float(extremes.max)
    low, high = np.inf, -np.inf
    for _, block in frame_blocks(mapped):
        low, high = min(low, float(block.min())), max(high, float(block.max()))
    return low, high


def tsr_images(seq) -> list:
    """The registry's view of TSR: the first log-derivative of a degree-5 fit averaged over
    about 12 log-spaced windows of frames, as (H, W) images."""
    return tsr(seq, 5).window_means(1)
