"""Depth of each detected defect, from its cooling against the sound plate around it.

For a region, the defect's curve is the mean rise of its strongest pixels and the sound
curve the median rise of a ring of plate 3-8 pixels outside every region. Three times are
read from them, each growing as depth^2 / a (a: the through-thickness diffusivity, m^2/s):

- ``tsr``: the peak of d^2 ln(T_defect / T_sound) / d (ln t)^2, both curves averaged over even
  steps of ln t and smoothed (:mod:`thermodefect.detect.log_time`; a single log-log
  polynomial misplaced Parker's peak by 5 %). Over a defect wider than deep the material
  above it cools like a plate of thickness z, whose second log-derivative peaks at
  t = z^2 / (pi a) (Parker's solution), so z = sqrt(C a t) with C = pi there;
- ``contrast``: the peak of the absolute contrast T_defect - T_sound (of the same curves),
  z = sqrt(C a t);
- ``ppt``: the frequency f_b above its peak where the phase contrast of the two curves'
  Fourier transforms falls to half that peak (:func:`blind_frequency`),
  z = C sqrt(a / (pi f_b)).

Each constant depends on how far lateral diffusion spreads the defect's signal before its
depth shows: C(r) = c0 + c1 / r of the effective aspect ratio r = (d / z) sqrt(a_z / a_lat),
read at the aspect ratio the estimate itself gives (the region's equivalent diameter d),
fitted on simulated defects of known depth (``benchmarks/calibrate_depth.py``,
:data:`CALIBRATION`). A fourth, ``learned``, reads the whole shape of both curves on the
plate's diffusion scale (:mod:`thermodefect.detect.depth_learned`). The reported depth is the
median of the estimates, given when at least two analytic ones could be read
(:func:`combine`); its interval is the 5-95 % range of that median over the true depth on
validation defects (:data:`COMBINED_QUANTILES`). A defect whose contrast peaked before the
record resolves a peak gets a bound instead (:func:`resolved_from`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from thermodefect.detect.log_time import (
    EDGE_SHARE,
    first_peak,
    inner_peak,
    log_time_curves,
    second_derivative,
)
from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

if TYPE_CHECKING:
    from thermodefect.detect.regions import Detection

__all__ = [
    "ANALYTIC",
    "CALIBRATION",
    "EARLY_REACH",
    "ESTIMATORS",
    "HALO_WEIGHT",
    "DepthEstimate",
    "back_wall_diffusivity",
    "blind_frequency",
    "check_rise",
    "checked_rate",
    "combine",
    "constant",
    "contrast_peak_time",
    "corrected_diameter",
    "defect_curves",
    "depth_cooling",
    "depth_from",
    "depth_map",
    "depth_of_curves",
    "depth_of_region",
    "diffusivity_of",
    "early_diameter",
    "early_diameter_of",
    "lateral_spread",
    "log_curves",
    "normalised_peak_time",
    "read_times",
    "resolved_from",
    "size_windows",
    "slope_peak_time",
    "tsr_peak_time",
    "with_depth",
]

#: Windows of frames (log-spaced) in which :func:`early_diameter` looks for the outline.
SIZE_WINDOWS = 24

#: The phase contrast's peak must stand this many robust standard deviations above its noise.
PHASE_SIGNIFICANCE = 5.0

#: Estimator -> (c0, c1, q05, q95): its constant is C(r) = c0 + c1 / r of the defect's
#: effective aspect ratio r = (diameter / depth) sqrt(a_z / a_lateral) (lateral diffusion
#: spreads a small or anisotropic defect's signal sooner), and q05, q95 the 5 % and 95 %
#: quantiles of estimated / true depth on the calibration cases with that C; from
#: ``python benchmarks/calibrate_depth.py``.
CALIBRATION: dict[str, tuple[float, float, float, float]] = {
    "tsr": (2.819, 2.597, 0.94, 1.04),
    "tsr1": (1.341, 2.422, 0.93, 1.13),
    "contrast": (0.515, 1.910, 0.87, 1.25),
    "normalised": (0.432, 1.551, 0.88, 1.46),
    "ppt": (0.954, 0.982, 0.83, 1.31),
}

#: Weight of the early diameter in the halo-corrected one, outline^(1 - w) early^w: fitted on
#: the defects PCT finds in the train splits of the standard and randomised sets (median
#: ``|d / true - 1|`` at d/z >= 2: 0.094 for the outline, 0.076 for the early diameter, 0.059
#: at w = 0.5; ``benchmarks/fit_halo.py``).
HALO_WEIGHT = 0.5

#: 5 % and 95 % quantiles of the combined depth (the median of the analytic estimates) over
#: the true one on the validation defects of the randomised and standard sets (84 defects,
#: each on its true footprint; ``benchmarks/train_depth_regressor.py``): the reported
#: interval is depth / q95 .. depth / q05. The calibration cases' in-sample range (0.91-1.14)
#: held the true depth for only half the defects off them.
COMBINED_QUANTILES = (0.29, 1.68)

#: Effective aspect ratios outside this range are clipped before C(r) is read (the range the
#: calibration covers).
ASPECT_RANGE = (0.5, 10.0)

#: Effective aspect ratio assumed while the depth is unknown, and when the pixel size is.
ASPECT_GUESS = 3.0

#: The analytic estimators (each with a calibrated constant), in the order the table names
#: them.
ANALYTIC = tuple(CALIBRATION)

#: Every estimator: the analytic ones and the learned one
#: (:mod:`thermodefect.detect.depth_learned`).
ESTIMATORS = (*ANALYTIC, "learned")


@dataclass(frozen=True)
class DepthEstimate:
    """The depth of one defect.

    Parameters
    ----------
    depth_mm : float or None
        Median of the estimators' depths, mm (None unless at least two could be read: a
        lone estimate is most often TSR reading a later peak on a defect too shallow for the
        record).
    lo_mm, hi_mm : float or None
        Interval: ``depth_mm`` over the calibration's 95 % and 5 % quantiles
        (:data:`COMBINED_QUANTILES`), mm.
    estimates_mm : dict of str to float
        Each estimator's depth within the plate, mm.
    times_s : dict of str to float
        Each estimator's characteristic time (s) or, for ``ppt``, the blind frequency (Hz).
    diameter_mm : float or None
        The early half-contrast diameter the constants were read at (:func:`early_diameter`),
        mm; None without a pixel size.
    beyond_mm : tuple of float
        Estimates dropped for lying beyond the plate's thickness, mm.
    shallower_mm : float or None
        Set when the defect's contrast peaked before the record resolves a peak
        (:func:`resolved_from`): it lies shallower than this, mm, and ``depth_mm`` is None.
    """

    depth_mm: float | None
    lo_mm: float | None
    hi_mm: float | None
    estimates_mm: dict
    times_s: dict
    diameter_mm: float | None = None
    beyond_mm: tuple = ()
    shallower_mm: float | None = None

    @property
    def methods(self) -> str:
        """The estimators behind ``depth_mm``, joined by '+' ('' without a depth), or
        ``shallow`` for a defect shallower than the record resolves."""
        if self.shallower_mm is not None:
            return "shallow"
        if self.depth_mm is None:
            return ""
        return "+".join(k for k in ESTIMATORS if k in self.estimates_mm)


def diffusivity_of(material: str | None = None, diffusivity: float | None = None) -> float | None:
    """The through-thickness diffusivity to convert times to depths, m^2/s.

    Parameters
    ----------
    material : str, optional
        A name of the material library (:mod:`thermodefect.simulate.materials`).
    diffusivity : float, optional
        Given directly, m^2/s; wins over ``material``.

    Returns
    -------
    float or None
        None when neither is given.

    Raises
    ------
    ThermodefectError
        For a diffusivity that is not positive, or an unknown material.
    """
    if diffusivity is not None:
        if not np.isfinite(diffusivity) or diffusivity <= 0:
            raise ThermodefectError(f"diffusivity must be positive (m^2/s), got {diffusivity}")
        return float(diffusivity)
    if material is None:
        return None
    from thermodefect.simulate.materials import material as lookup

    return float(lookup(material).diffusivity("z"))


def _sound_ring(plate: np.ndarray | None, region: np.ndarray, regions: np.ndarray, width: int):
    """The plate's pixels (all when ``plate`` is None) within ``width`` pixels of ``region``
    and 3 or more from every region."""
    from scipy import ndimage

    ring = ndimage.binary_dilation(region, iterations=width) & ~ndimage.binary_dilation(
        regions, iterations=3
    )
    return ring & plate if plate is not None else ring


def size_windows(cooling: Sequence) -> np.ndarray:
    """The :data:`SIZE_WINDOWS` log-spaced window means of the cooling that
    :func:`early_diameter` reads.

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames.

    Returns
    -------
    (J, H, W) ndarray of float32
    """
    from thermodefect.methods import spread_frames

    return np.asarray(np.stack(spread_frames(cooling.frames, SIZE_WINDOWS)), np.float32)


def early_diameter(
    cooling: Sequence,
    region: np.ndarray,
    regions: np.ndarray,
    feature: np.ndarray,
    windows: np.ndarray | None = None,
) -> float:
    """Equivalent diameter (pixels) of a defect's outline at half its contrast, in the earliest
    window of frames where that contrast reaches half its peak (and four times its noise):
    before lateral diffusion spreads it, unlike the decision's outline late in the record.

    The contrast is each of :data:`SIZE_WINDOWS` log-spaced window means minus the median of
    a ring 3-6 pixels outside the region; its peak is read on the 3 x 3 pixels around the
    region's strongest feature pixel; the outline is the connected part around that pixel
    where the contrast (smoothed over one pixel) reaches half the contrast there, within 3
    pixels of the region.

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames.
    region : (H, W) ndarray of bool
        The defect.
    regions : (H, W) ndarray of bool
        Every detected defect.
    feature : (H, W) ndarray
        The image the region was found on.
    windows : (J, H, W) ndarray, optional
        :func:`size_windows` of the cooling, when the caller measures several regions.

    Returns
    -------
    float
        Pixels; the region's own equivalent diameter when no ring or no outline is found.
    """
    if windows is None:
        windows = size_windows(cooling)
    return early_diameter_of(windows, region, regions, feature, cooling.meta.extra.get("plate"))


#: Pixels around a region's bounding box that :func:`early_diameter_of` reads: its sound ring
#: reaches 6 from the region and keeps 3 from other regions (9); the outline's 3-pixel band
#: reads the Gaussian 4 beyond it (7); one more for the crop's own edge.
EARLY_REACH = 10


def early_diameter_of(
    windows: np.ndarray,
    region: np.ndarray,
    regions: np.ndarray,
    feature: np.ndarray,
    plate: np.ndarray | None = None,
) -> float:
    """:func:`early_diameter` from the window means, on any crop that holds the region with
    :data:`EARLY_REACH` pixels around it (or reaches the image's edge): the same answer as
    on the whole image, at the cost of the crop.

    Parameters
    ----------
    windows : (J, H, W) ndarray
        :func:`size_windows` of the cooling.
    region, regions, feature
        As in :func:`early_diameter`.
    plate : (H, W) ndarray of bool, optional
        The plate's pixels (the cooling's ``meta.extra['plate']``); default all.

    Returns
    -------
    float
        Pixels.
    """
    from scipy import ndimage

    own = 2 * float(np.sqrt(region.sum() / np.pi))
    ring = _sound_ring(plate, region, regions, 6)
    if ring.sum() < 8:
        return own
    values = windows[:, ring]
    background = np.median(values, axis=1)
    noise = 1.4826 * np.median(np.abs(values - background[:, None]), axis=1)
    y, x = np.unravel_index(np.argmax(np.where(region, feature, -np.inf)), region.shape)
    box = windows[:, max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2]
    contrast = box.reshape(len(windows), -1).mean(axis=1) - background
    sign = 1.0 if contrast[np.argmax(np.abs(contrast))] >= 0 else -1.0
    contrast = contrast * sign
    top = int(np.argmax(contrast))
    early = [j for j in range(top + 1) if contrast[j] >= max(contrast[top] / 2, 4 * noise[j] / 3)]
    j = early[0] if early else top
    image = ndimage.gaussian_filter((windows[j] - background[j]) * sign, 1.0)
    half = (image >= image[y, x] / 2) & ndimage.binary_dilation(region, iterations=3)
    parts, _ = ndimage.label(half, structure=np.ones((3, 3)))
    if parts[y, x] == 0:
        return own
    return 2 * float(np.sqrt(ndimage.binary_fill_holes(parts == parts[y, x]).sum() / np.pi))


def checked_rate(cooling: Sequence, thickness_mm: float | None = None) -> float:
    """The cooling's frame rate, refusing a cooling without one or a thickness that is not
    positive.

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames.
    thickness_mm : float, optional
        The plate's thickness, mm.

    Returns
    -------
    float
        Frames per second.

    Raises
    ------
    ThermodefectError
        Naming the file.
    """
    if not cooling.meta.frame_rate:
        raise ThermodefectError("depth needs the frame rate (--frame-rate)", cooling.meta.source)
    if thickness_mm is not None and not thickness_mm > 0:
        raise ThermodefectError(f"thickness must be positive (mm), got {thickness_mm}")
    return float(cooling.meta.frame_rate)


def back_wall_diffusivity(cooling: Sequence, regions: np.ndarray, thickness_mm: float) -> float:
    """Through-thickness diffusivity from the sound plate's back wall, m^2/s.

    The sound plate's rise (mean over the plate outside every region, 3 pixels away) is an
    adiabatic plate's front face to first order, whose second log-derivative peaks at
    t = L^2 / (pi a) (Parker's solution; the same curve treatment as :func:`tsr_peak_time`):
    a = L^2 / (pi t).

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames with their frame rate.
    regions : (H, W) ndarray of bool
        Detected defects, left out of the sound plate.
    thickness_mm : float
        The plate's thickness L, mm.

    Returns
    -------
    float

    Raises
    ------
    ThermodefectError
        Without a frame rate, for a thickness that is not positive, or when the back wall
        does not show within the record (too short, or the plate loses heat too fast).
    """
    from scipy import ndimage

    checked_rate(cooling, thickness_mm)
    sound = ~ndimage.binary_dilation(regions, iterations=3)
    plate = cooling.meta.extra.get("plate")
    if plate is not None:
        sound &= plate
    times = np.asarray(cooling.times, np.float64)
    # the sound mean as one product with the frames: no copy of the sound pixels
    weights = sound.ravel().astype(np.float32) / max(int(sound.sum()), 1)
    curve = (cooling.frames.reshape(cooling.n_frames, -1) @ weights).astype(np.float64)
    grid, (log_sound,) = log_time_curves(times, (curve,))
    k = first_peak(second_derivative(grid, log_sound))
    if k is None:
        raise ThermodefectError(
            f"the back wall of a {thickness_mm:g} mm plate does not show within the record "
            f"({times[-1]:.3g} s): give --diffusivity or --material",
            cooling.meta.source,
        )
    return float((thickness_mm * 1e-3) ** 2 / (np.pi * np.exp(grid[k])))


def lateral_spread(material: str | None = None) -> float:
    """sqrt(a_lateral / a_z) of a library material (a_lateral the geometric mean of x and y),
    1 (isotropic) without one.

    Parameters
    ----------
    material : str, optional
        A name of the material library.

    Returns
    -------
    float

    Raises
    ------
    ThermodefectError
        For an unknown material.
    """
    if material is None:
        return 1.0
    from thermodefect.simulate.materials import material as lookup

    m = lookup(material)
    return float((m.diffusivity("x") * m.diffusivity("y")) ** 0.25 / m.diffusivity("z") ** 0.5)


def defect_curves(
    cooling: Sequence, region: np.ndarray, regions: np.ndarray, feature: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The defect's and the sound plate's mean rise per frame.

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames (:func:`thermodefect.detect.prepare`).
    region : (H, W) ndarray of bool
        The defect.
    regions : (H, W) ndarray of bool
        Every detected defect (kept out of the sound ring).
    feature : (H, W) ndarray
        The image the region was found on: its strongest third of pixels give the defect's
        curve.

    Returns
    -------
    defect, sound : (T,) ndarray
    """
    from scipy import ndimage

    values = feature[region]
    core = region & (feature >= np.quantile(values, 2 / 3))
    ring = _sound_ring(cooling.meta.extra.get("plate"), region, regions, 8)
    if ring.sum() < 8:
        ring = ~ndimage.binary_dilation(regions, iterations=3)
    frames = cooling.frames
    defect = frames[:, core].astype(np.float64).mean(axis=1)
    return defect, np.median(frames[:, ring].astype(np.float64), axis=1)


def tsr_peak_time(
    times: np.ndarray, defect: np.ndarray, sound: np.ndarray, *, logs=None
) -> float | None:
    """Time of the peak of d^2 ln(defect / sound) / d (ln t)^2, s.

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash (positive, increasing).
    defect, sound : (T,) ndarray
        The two rises.
    logs : tuple of ndarray, optional
        (ln t grid, ln defect, ln sound) of :func:`log_curves`, when the caller has them.

    Returns
    -------
    float or None
        The first peak reaching
        :data:`~thermodefect.detect.log_time.FIRST_PEAK_SHARE` of the largest; None when
        there is none away from the edges of the record.
    """
    grid, log_defect, log_sound = logs or log_curves(times, defect, sound)
    ratio = log_defect - log_sound
    k = first_peak(np.gradient(np.gradient(ratio, grid), grid))
    return None if k is None else float(np.exp(grid[k]))


def log_curves(times: np.ndarray, defect: np.ndarray, sound: np.ndarray) -> tuple:
    """A defect's and the sound plate's rises on the log-time steps, computed once for every
    estimator that reads them (:func:`~thermodefect.detect.log_time.log_time_curves`).

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises.

    Returns
    -------
    grid, log_defect, log_sound : (S,) ndarray
        ln t of the steps and the ln of each rise on them.
    """
    grid, (log_defect, log_sound) = log_time_curves(times, (defect, sound))
    return grid, log_defect, log_sound


def _inner_peak_time(times, defect, sound, curve, logs) -> float | None:
    """The time (s) of the inner peak (:func:`~thermodefect.detect.log_time.inner_peak`) of
    ``curve(grid, ln defect, ln sound)`` on the log-time steps, None at the edge of the
    record."""
    grid, log_defect, log_sound = logs or log_curves(times, defect, sound)
    k = inner_peak(curve(grid, log_defect, log_sound))
    return None if k is None else float(np.exp(grid[k]))


def slope_peak_time(
    times: np.ndarray, defect: np.ndarray, sound: np.ndarray, *, logs=None
) -> float | None:
    """Time of the peak of d ln(T_defect / T_sound) / d ln t, s: TSR's first log-derivative,
    where the defect's relative contrast grows fastest.

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises.
    logs : tuple of ndarray, optional
        (ln t grid, ln defect, ln sound) of :func:`log_curves`, when the caller has them.

    Returns
    -------
    float or None
        None when the peak lies at the edge of the record.
    """

    def slope(grid, log_defect, log_sound):
        ratio = log_defect - log_sound
        sign = 1.0 if ratio[int(np.argmax(np.abs(ratio)))] >= 0 else -1.0
        return sign * np.gradient(ratio, grid)

    return _inner_peak_time(times, defect, sound, slope, logs)


def normalised_peak_time(
    times: np.ndarray, defect: np.ndarray, sound: np.ndarray, *, logs=None
) -> float | None:
    """Time of the largest normalised contrast ``|T_defect / T_sound - 1|``, s (free of the
    flash's energy and of the plate's emissivity, unlike the absolute contrast).

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises.
    logs : tuple of ndarray, optional
        (ln t grid, ln defect, ln sound) of :func:`log_curves`, when the caller has them.

    Returns
    -------
    float or None
        None when the peak lies at the edge of the record.
    """
    return _inner_peak_time(times, defect, sound, lambda _, d, s: np.abs(d - s), logs)


def contrast_peak_time(
    times: np.ndarray, defect: np.ndarray, sound: np.ndarray, *, logs=None
) -> float | None:
    """Time of the largest absolute difference of the two smoothed curves, s.

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises.
    logs : tuple of ndarray, optional
        (ln t grid, ln defect, ln sound) of :func:`log_curves`, when the caller has them.

    Returns
    -------
    float or None
        None when the peak lies at the edge of the record.
    """

    def contrast(_, log_defect, log_sound):
        return np.abs(np.exp(log_defect) - np.exp(log_sound))

    return _inner_peak_time(times, defect, sound, contrast, logs)


def resolved_from(
    times: np.ndarray, defect: np.ndarray, sound: np.ndarray, *, logs=None
) -> float | None:
    """The earliest time at which the record resolves a contrast peak (s), when the defect's
    contrast is already past its peak there; None when it peaks later.

    A defect too shallow for the frame rate peaks before the first frames the log-time
    curves start at (:data:`~thermodefect.detect.log_time.FIRST_FRAME`, the early
    :data:`~thermodefect.detect.log_time.EDGE_SHARE` of them): every time read later is
    another event (lateral relaxation, the back wall), and so is the phase's blind
    frequency, which then lies beyond what the record samples. The depth step reports such
    a defect as shallower than the depth the contrast estimator gives this time, over its
    calibration's 5 % quantile (the deepest a defect peaking there can be).

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises.
    logs : tuple of ndarray, optional
        (ln t grid, ln defect, ln sound) of :func:`log_curves`, when the caller has them.

    Returns
    -------
    float or None
    """
    grid, log_defect, log_sound = logs or log_curves(times, defect, sound)
    contrast = np.abs(np.exp(log_defect) - np.exp(log_sound))
    edge = max(1, int(EDGE_SHARE * len(grid)))
    return float(np.exp(grid[edge])) if int(np.argmax(contrast)) <= edge else None


def blind_frequency(frame_rate: float, defect: np.ndarray, sound: np.ndarray) -> float | None:
    """Frequency above its peak where the phase contrast of the two curves falls to half that
    peak, Hz.

    The phase contrast of a finite record never vanishes: the jump from the last frame back
    to the first (the transform sees the record as periodic) leaves it a 1/f tail, which
    buries the frequency where it would reach zero. Half its peak falls as 1 / z^2 as that
    frequency does (Parker's plates of 0.5 and 1 mm: 4.0 times), and its constant is fitted
    the same way.

    Parameters
    ----------
    frame_rate : float
        Frames per second (the frames evenly spaced).
    defect, sound : (T,) ndarray
        The two rises.

    Returns
    -------
    float or None
        None when the peak does not stand :data:`PHASE_SIGNIFICANCE` times above the noise
        (the robust spread of the phase contrast over the upper half of the spectrum) in the
        lowest quarter of the spectrum, or the contrast stays above half of it to the
        highest frequency.
    """
    spectra = [np.fft.rfft(c) for c in (defect, sound)]
    phase = np.abs(np.angle(spectra[0] * np.conj(spectra[1])))[1:]
    freq = np.fft.rfftfreq(len(defect), 1.0 / frame_rate)[1:]
    upper = phase[len(phase) // 2 :]
    noise = 1.4826 * float(np.median(np.abs(upper - np.median(upper)))) if len(upper) else 0.0
    k = int(np.argmax(phase))
    peak = float(phase[k])
    if peak <= PHASE_SIGNIFICANCE * noise or k >= len(phase) // 4:
        return None
    below = np.nonzero(phase[k:] < peak / 2)[0]
    if len(below) == 0:
        return None
    j = k + int(below[0])
    a, b = phase[j - 1], phase[j]
    share = (a - peak / 2) / (a - b)
    return float(freq[j - 1] + share * (freq[j] - freq[j - 1]))


def constant(name: str, aspect: float) -> float:
    """The calibrated constant of estimator ``name`` at effective aspect ratio ``aspect``.

    Parameters
    ----------
    name : str
        A name of :data:`ANALYTIC`.
    aspect : float
        (diameter / depth) sqrt(a_z / a_lateral), clipped to :data:`ASPECT_RANGE`.

    Returns
    -------
    float
    """
    c0, c1, _, _ = CALIBRATION[name]
    return c0 + c1 / float(np.clip(aspect, *ASPECT_RANGE))


def depth_from(name: str, value: float, diffusivity: float, aspect: float) -> float:
    """Depth (m) of an estimator's time (s) or, for ``ppt``, frequency (Hz).

    Parameters
    ----------
    name : str
        A name of :data:`ANALYTIC`.
    value : float
        What the estimator read.
    diffusivity : float
        Through-thickness diffusivity, m^2/s.
    aspect : float
        Effective aspect ratio (:func:`constant`).

    Returns
    -------
    float
    """
    c = constant(name, aspect)
    if name == "ppt":
        return c * float(np.sqrt(diffusivity / (np.pi * value)))
    return float(np.sqrt(c * diffusivity * value))


def _depths(found: dict, diffusivity: float, diameter_m: float | None, spread: float) -> dict:
    """Each estimator's depth (m), its constant read at the aspect ratio its own depth gives
    (a fixed point: five rounds from :data:`ASPECT_GUESS`)."""
    out = {}
    for name, value in found.items():
        depth = depth_from(name, value, diffusivity, ASPECT_GUESS)
        if diameter_m is not None:
            for _ in range(5):
                depth = depth_from(name, value, diffusivity, diameter_m / depth / spread)
        out[name] = depth
    return out


def read_times(
    times: np.ndarray, defect: np.ndarray, sound: np.ndarray, frame_rate: float, logs=None
) -> dict:
    """What each analytic estimator reads on a defect's curve against the sound plate's: a
    time (s) or, for ``ppt``, a frequency (Hz); only those read.

    The log-derivatives peak while the contrast still grows: a TSR time not earlier than
    the matching contrast's peak is a later event read on a record that started after the
    real peak, and is dropped.

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises.
    frame_rate : float
        Frames per second.
    logs : tuple of ndarray, optional
        (ln t grid, ln defect, ln sound) of :func:`log_curves`, when the caller has them.

    Returns
    -------
    dict of str to float
    """
    logs = logs or log_curves(times, defect, sound)
    read = {
        "tsr": tsr_peak_time(times, defect, sound, logs=logs),
        "tsr1": slope_peak_time(times, defect, sound, logs=logs),
        "contrast": contrast_peak_time(times, defect, sound, logs=logs),
        "normalised": normalised_peak_time(times, defect, sound, logs=logs),
        "ppt": blind_frequency(frame_rate, defect, sound),
    }
    found: dict[str, float] = {k: v for k, v in read.items() if v is not None}
    for early, late in (("tsr", "contrast"), ("tsr1", "normalised")):
        if early in found and late in found and found[early] >= found[late]:
            del found[early]
    return found


def combine(depths_mm: dict) -> float | None:
    """The reported depth of a defect from its estimators' depths: the median of the analytic
    ones, given when at least two could be read (one alone is most often a late peak on a
    defect too shallow for the record, or a guess), mm. The learned estimator is left out:
    off the data it was trained on it is the less accurate (docs/depth.md).

    Parameters
    ----------
    depths_mm : dict of str to float
        Estimator (:data:`ESTIMATORS`) -> depth, mm.

    Returns
    -------
    float or None
    """
    analytic = [v for k, v in depths_mm.items() if k in ANALYTIC]
    return float(np.median(analytic)) if len(analytic) >= 2 else None


def _learned(times, defect, sound, diffusivity, diameter_mm, spread, analytic_mm, logs):
    """The learned estimator's depth (mm), None when no estimator is installed."""
    from thermodefect.detect.depth_learned import curve_features, load_regressor

    regressor = load_regressor()
    if regressor is None:
        return None
    x = curve_features(times, defect, sound, diffusivity, diameter_mm=diameter_mm,
                       spread=spread, analytic_mm=analytic_mm, logs=logs)  # fmt: skip
    return float(np.exp(regressor.predict(x)[0][0]))


def depth_of_region(
    cooling: Sequence,
    region: np.ndarray,
    regions: np.ndarray,
    feature: np.ndarray,
    diffusivity: float,
    *,
    thickness_mm: float | None = None,
    spread: float = 1.0,
    windows: np.ndarray | None = None,
) -> DepthEstimate:
    """Depth of one detected defect (see the module docstring).

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames with their frame rate.
    region : (H, W) ndarray of bool
        The defect.
    regions : (H, W) ndarray of bool
        Every detected defect.
    feature : (H, W) ndarray
        The image the regions were found on.
    diffusivity : float
        Through-thickness diffusivity, m^2/s.
    thickness_mm : float, optional
        The plate's thickness: estimates beyond it are dropped.
    spread : float
        sqrt(a_lateral / a_z) of the plate (:func:`lateral_spread`).
    windows : (J, H, W) ndarray, optional
        :func:`size_windows` of the cooling (computed when not given).

    Returns
    -------
    DepthEstimate

    Raises
    ------
    ThermodefectError
        Without a frame rate (times are needed).
    """
    rate = checked_rate(cooling)
    times = np.asarray(cooling.times, np.float64)
    defect, sound = defect_curves(cooling, region, regions, feature)
    pitch = cooling.meta.pixel_pitch_mm
    diameter = None
    if pitch is not None:
        diameter = early_diameter(cooling, region, regions, feature, windows) * pitch
    return depth_of_curves(times, defect, sound, rate, diffusivity, diameter_mm=diameter,
                           thickness_mm=thickness_mm, spread=spread)  # fmt: skip


def depth_of_curves(
    times: np.ndarray,
    defect: np.ndarray,
    sound: np.ndarray,
    frame_rate: float,
    diffusivity: float,
    *,
    diameter_mm: float | None = None,
    thickness_mm: float | None = None,
    spread: float = 1.0,
    learned: bool = True,
) -> DepthEstimate:
    """Depth of one defect from its curve and the sound plate's (:func:`depth_of_region` once
    it has them).

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises (:func:`defect_curves`).
    frame_rate : float
        Frames per second.
    diffusivity : float
        Through-thickness diffusivity, m^2/s.
    diameter_mm : float, optional
        The early diameter (:func:`early_diameter`), mm.
    thickness_mm : float, optional
        The plate's thickness: estimates beyond it are dropped.
    spread : float
        sqrt(a_lateral / a_z) of the plate (:func:`lateral_spread`).
    learned : bool
        False leaves the learned estimator out.

    Returns
    -------
    DepthEstimate
    """
    metres = None if diameter_mm is None else diameter_mm * 1e-3
    logs = log_curves(times, defect, sound)
    first = resolved_from(times, defect, sound, logs=logs)
    if first is not None:  # peaked before the record resolves it: a bound, not a depth
        at_first = _depths({"contrast": first}, diffusivity, metres, spread)["contrast"] * 1e3
        bound = at_first / CALIBRATION["contrast"][2]  # the deepest a peak there can be
        return DepthEstimate(None, None, None, {}, {"contrast": first}, diameter_mm,
                             shallower_mm=bound)  # fmt: skip
    found = read_times(times, defect, sound, frame_rate, logs)
    depths = {k: v * 1e3 for k, v in _depths(found, diffusivity, metres, spread).items()}
    limit = np.inf if thickness_mm is None else thickness_mm
    beyond = tuple(v for v in depths.values() if v >= limit)
    depths = {k: v for k, v in depths.items() if v < limit}
    if learned:  # reads the analytic depths within the plate, as it was trained
        value = _learned(times, defect, sound, diffusivity, diameter_mm, spread, depths, logs)
        if value is not None and value < limit:
            depths["learned"] = value
    depth = combine(depths)
    if depth is None:
        return DepthEstimate(None, None, None, depths, found, diameter_mm, beyond)
    q05, q95 = COMBINED_QUANTILES
    return DepthEstimate(depth, depth / q95, depth / q05, depths, found, diameter_mm, beyond)


def depth_map(
    cooling: Sequence,
    labels: np.ndarray,
    found: dict,
    feature: np.ndarray,
    diffusivity: float,
    spread: float = 1.0,
    thickness_mm: float | None = None,
) -> np.ndarray:
    """Depth of every pixel of the regions that got a depth, mm (NaN elsewhere).

    Each pixel's time of peak contrast against its region's sound ring (the ``contrast``
    estimator per pixel), turned into a depth with the constant read at the region's own
    aspect ratio; pixels whose contrast peaks at the edge of the record, or that would lie
    beyond the plate's thickness, stay NaN.

    Parameters
    ----------
    cooling : Sequence
        Prepared cooling frames.
    labels : (H, W) ndarray of int
        Regions 1..n.
    found : dict of int to (float, float or None)
        Region label -> (its depth in mm, its early diameter in mm or None).
    feature : (H, W) ndarray
        The image the regions were found on.
    diffusivity : float
        Through-thickness diffusivity, m^2/s.
    spread : float
        sqrt(a_lateral / a_z) (:func:`lateral_spread`).
    thickness_mm : float, optional
        The plate's thickness, mm.

    Returns
    -------
    (H, W) ndarray of float32
    """
    out = np.full(labels.shape, np.nan, np.float32)
    times = np.asarray(cooling.times, np.float64)
    regions = labels > 0
    for label, (depth_mm, diameter_mm) in found.items():
        region = labels == label
        _, sound = defect_curves(cooling, region, regions, feature)
        pixels = cooling.frames[:, region].astype(np.float64)
        grid, block = log_time_curves(times, np.column_stack([pixels, sound]))
        contrast = np.abs(np.exp(block[:, :-1]) - np.exp(block[:, -1:]))
        edge = max(1, int(EDGE_SHARE * len(grid)))
        k = np.argmax(contrast[edge:-edge], axis=0) + edge
        t = np.where((k > edge) & (k < len(grid) - edge - 1), np.exp(grid[k]), np.nan)
        aspect = ASPECT_GUESS if diameter_mm is None else diameter_mm / depth_mm / spread
        out[region] = np.sqrt(constant("contrast", aspect) * diffusivity * t) * 1e3
    if thickness_mm is not None:
        out[out >= thickness_mm] = np.nan
    return out


def corrected_diameter(outline_mm: float | None, early_mm: float | None) -> float | None:
    """The diameter corrected for the diffusion halo: outline^(1 - w) early^w with
    w = :data:`HALO_WEIGHT` (mm; None without both). The decision's outline grows with the
    halo around a defect, the early half-contrast outline misses a defect's faint rim; their
    weighted geometric mean is closer than either on simulated defects (docs/depth.md).

    Parameters
    ----------
    outline_mm : float or None
        Equivalent diameter of the detected region, mm.
    early_mm : float or None
        The early half-contrast diameter (:func:`early_diameter`), mm.

    Returns
    -------
    float or None
    """
    if not outline_mm or not early_mm:
        return None
    return float(outline_mm ** (1 - HALO_WEIGHT) * early_mm**HALO_WEIGHT)


def _sizes(region, early_mm: float | None) -> dict:
    """The early and corrected diameters of a region: its own where its outline was already
    drawn at the corrected size (:mod:`thermodefect.detect.outline`), else from ``early_mm``."""
    if region.corrected_diameter_mm is not None:
        return {}
    return {"early_diameter_mm": early_mm,
            "corrected_diameter_mm": corrected_diameter(region.diameter_mm, early_mm)}  # fmt: skip


def check_rise(seq: Sequence) -> None:
    """Refuse a record whose values keep an unknown offset: absolute temperatures or counts
    with no pre-flash frame to subtract (:func:`thermodefect.preprocess.absolute_without_preflash`).
    Every time the depth step reads is a feature of ln(rise); an offset bends them all (on a
    simulated 3 mm CFRP plate recorded in kelvin: the thickness read 2.66 mm instead of 3.0,
    a 0.6 mm deep hole 1.54 mm).

    Parameters
    ----------
    seq : Sequence
        A raw sequence.

    Raises
    ------
    ThermodefectError
        Naming the file.
    """
    from thermodefect.preprocess import absolute_without_preflash

    if absolute_without_preflash(seq):
        raise ThermodefectError(
            "depth needs the temperature rise: the values lie far from zero (absolute "
            "temperature or counts?) and no pre-flash frame shows the ambient level; record "
            "a few frames before the flash, or subtract the ambient first",
            seq.meta.source,
        )


def depth_cooling(seq: Sequence, found: Detection) -> Sequence:
    """The cooling the depth step reads for ``found``: its own when it holds every frame
    after the flash (the classical path's), else ``seq`` prepared again (a network's
    detection keeps only the frames it read, 16 by default, too few for the times).

    Parameters
    ----------
    seq : Sequence
        The sequence ``found`` came from.
    found : Detection
        Its detection.

    Returns
    -------
    Sequence
    """
    from thermodefect.detect.classical import prepare

    if "frame_numbers" in found.cooling.meta.extra:  # a selection of frames
        return prepare(seq)
    return found.cooling


def with_depth(
    found: Detection,
    diffusivity: float,
    *,
    thickness_mm: float | None = None,
    spread: float = 1.0,
    cooling: Sequence | None = None,
) -> Detection:
    """``found`` with the depth of each region filled in (:func:`depth_of_region`) and its
    depth map (:func:`depth_map`).

    Parameters
    ----------
    found : Detection
        A detection whose cooling holds the frame rate.
    diffusivity : float
        Through-thickness diffusivity, m^2/s.
    thickness_mm : float, optional
        The plate's thickness, mm: no defect is deeper.
    spread : float
        sqrt(a_lateral / a_z) of the plate (:func:`lateral_spread`).
    cooling : Sequence, optional
        The frames to read the depths from (:func:`depth_cooling`); default
        ``found.cooling``, which the result keeps either way.

    Returns
    -------
    Detection

    Raises
    ------
    ThermodefectError
        Without a frame rate, for a thickness that is not positive, or when every defect's
        depth lies beyond the thickness (the thickness or the diffusivity is wrong).
    """
    from scipy import ndimage

    shown = found.cooling
    found = found if cooling is None else replace(found, cooling=cooling)
    checked_rate(found.cooling, thickness_mm)
    if not found.regions:
        return replace(found, cooling=shown)
    labels, _ = ndimage.label(found.mask, structure=np.ones((3, 3)))
    windows = size_windows(found.cooling)
    regions, mapped = [], {}
    deeper: list[float] = []
    for r in found.regions:
        est = depth_of_region(found.cooling, labels == r.id, found.mask, found.feature,
                              diffusivity, thickness_mm=thickness_mm, spread=spread,
                              windows=windows)  # fmt: skip
        deeper += est.beyond_mm
        if est.depth_mm is not None:
            mapped[r.id] = (est.depth_mm, est.diameter_mm)
        regions.append(replace(r, depth_mm=est.depth_mm, depth_lo_mm=est.lo_mm,
                               depth_hi_mm=est.hi_mm if est.shallower_mm is None
                               else est.shallower_mm,
                               depth_method=est.methods or None,
                               **_sizes(r, est.diameter_mm)))  # fmt: skip
    if deeper and all(r.depth_mm is None for r in regions):
        raise ThermodefectError(
            f"every defect lies deeper than the plate's thickness of {thickness_mm:g} mm "
            f"(the shallowest estimate at {min(deeper):.3g} mm): check --thickness and the "
            "diffusivity",
            found.cooling.meta.source,
        )
    depth = depth_map(found.cooling, labels, mapped, found.feature, diffusivity, spread,
                      thickness_mm)  # fmt: skip
    return replace(found, regions=regions, depth=depth, cooling=shown)
