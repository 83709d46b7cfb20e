"""Curves of a record on even steps of ln t, and the peaks read on them: the common ground of
the depth estimators (:mod:`thermodefect.detect.depth`), the learned one
(:mod:`thermodefect.detect.depth_learned`) and the thickness map
(:mod:`thermodefect.detect.thickness`)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "DERIVATIVE_WINDOW",
    "EDGE_SHARE",
    "FIRST_FRAME",
    "FIRST_PEAK_SHARE",
    "LOG_SAMPLES",
    "LOG_SMOOTHING",
    "first_peak",
    "first_peaks",
    "inner_peak",
    "log_time_curves",
    "second_derivative",
]

#: Even steps of ln t on which the curves are averaged, and the Gaussian smoothing over them
#: (4 of 300 steps: about 10 % in time over a record of three decades).
LOG_SAMPLES = 300
LOG_SMOOTHING = 4.0

#: Steps of ln t of the cubic fitted around each step for a second log-derivative (about a
#: doubling of time on a record of three decades).
DERIVATIVE_WINDOW = 41

#: The first frame the log-time curves start at: before it the frames lie too far apart in
#: ln t for a derivative (a defect that peaks earlier is too shallow for the frame rate).
FIRST_FRAME = 4

#: Share of the log-time span left out at each end when a peak is searched (the smoothing
#: is one-sided there).
EDGE_SHARE = 0.05

#: The TSR time is the first peak of the second log-derivative reaching this share of the
#: largest.
FIRST_PEAK_SHARE = 0.3


def log_time_curves(times: np.ndarray, curves, samples: int = LOG_SAMPLES):
    """``curves`` (a sequence of (T,) arrays, or one (T, N) block) as ln T on ``samples`` even
    steps of ln t from frame :data:`FIRST_FRAME` on: the frames within each step averaged
    (late steps hold many frames), steps without a frame interpolated (monotone cubic), then
    smoothed by a Gaussian of :data:`LOG_SMOOTHING` steps.

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash (positive, increasing).
    curves : sequence of (T,) ndarray, or (T, N) ndarray
        Rises (positive).
    samples : int
        Steps of ln t.

    Returns
    -------
    grid : (samples,) ndarray
        ln t of each step's centre.
    curves : list of (samples,) ndarray, or (samples, N) ndarray
        ln of each curve, as it came (a list, or one block).
    """
    from scipy.interpolate import PchipInterpolator
    from scipy.ndimage import gaussian_filter1d

    block = isinstance(curves, np.ndarray) and curves.ndim == 2
    values = np.asarray(curves if block else np.stack(curves, axis=1), np.float64)
    log_t = np.log(times)
    edges = np.linspace(log_t[min(FIRST_FRAME, len(log_t) - 2)], log_t[-1], samples + 1)
    index = np.searchsorted(edges, log_t, side="right") - 1
    inside = index >= 0
    index, log_t = np.clip(index[inside], 0, samples - 1), log_t[inside]
    count = np.bincount(index, minlength=samples)
    has = count > 0
    centres = (edges[:-1] + edges[1:]) / 2
    # each step's mean as one product: (steps with frames, T) averaging matrix
    average = np.zeros((samples, len(index)))
    average[index, np.arange(len(index))] = 1.0
    average = average[has] / count[has, None]
    floor = 1e-6 * np.maximum(np.abs(values).max(axis=0), 1e-30)
    means = average @ np.log(np.maximum(values[inside], floor))
    between = PchipInterpolator(average @ log_t, means, axis=0, extrapolate=True)(centres)
    smooth = gaussian_filter1d(between, LOG_SMOOTHING, axis=0, mode="nearest")
    return centres, (smooth if block else list(smooth.T))


def inner_peak(values: np.ndarray) -> int | None:
    """Index of the largest value away from both ends (:data:`EDGE_SHARE`).

    Parameters
    ----------
    values : (S,) ndarray
        A curve on the log-time steps.

    Returns
    -------
    int or None
        None when the largest lies at that margin.
    """
    edge = max(1, int(EDGE_SHARE * len(values)))
    k = int(np.argmax(values[edge:-edge])) + edge
    return None if k in (edge, len(values) - edge - 1) else k


def second_derivative(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """d^2 values / d grid^2 by a Savitzky-Golay fit (cubic, :data:`DERIVATIVE_WINDOW` steps):
    on the sound plate's single back-wall peak, finite differences of the smoothed curve read
    0.1 % noise as peaks (over a defect the wider fit merges its peak with the back wall's,
    so :func:`~thermodefect.detect.depth.tsr_peak_time` keeps the differences).

    Parameters
    ----------
    grid : (S,) ndarray
        Even steps (ln t).
    values : (S,) ndarray
        A curve on them.

    Returns
    -------
    (S,) ndarray
    """
    from scipy.signal import savgol_filter

    window = min(DERIVATIVE_WINDOW, len(values) - (1 - len(values) % 2))
    return savgol_filter(values, window, 3, deriv=2, delta=float(grid[1] - grid[0]))


def first_peak(values: np.ndarray) -> int | None:
    """Index of the earliest local maximum away from both ends that reaches
    :data:`FIRST_PEAK_SHARE` of the largest positive value (a wide defect's later lateral
    relaxation can give a taller, later one).

    Parameters
    ----------
    values : (S,) ndarray
        A curve on the log-time steps.

    Returns
    -------
    int or None
        None when no value is positive or no local maximum is tall enough.
    """
    k = int(first_peaks(np.asarray(values)[:, None])[0])
    return None if k < 0 else k


def first_peaks(values: np.ndarray, share: float = FIRST_PEAK_SHARE) -> np.ndarray:
    """Per column of ``values``, the index of the earliest local maximum away from both ends
    (:data:`EDGE_SHARE`) that reaches ``share`` of the column's largest positive value.

    Parameters
    ----------
    values : (S, N) ndarray
        Curves on the log-time steps, one per column.
    share : float
        Share of the column's largest value a peak must reach (1: the largest).

    Returns
    -------
    (N,) ndarray of int
        -1 where there is none.
    """
    edge = max(1, int(EDGE_SHARE * len(values)))
    inner = values[edge:-edge]
    top = inner.max(axis=0)
    middle = inner[1:-1]
    peak = (middle >= inner[:-2]) & (middle > inner[2:]) & (middle >= share * top)
    peak &= top > 0
    return np.where(peak.any(axis=0), np.argmax(peak, axis=0) + 1 + edge, -1)
