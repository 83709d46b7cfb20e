"""Preprocessing of sequences: baselines, flash and cooling, windows, resampling, resizing,
normalisation, denoising, bad pixels and non-uniform heating.

Every function takes a :class:`~thermodefect.sequence.Sequence`, leaves it untouched and
returns a new one whose ``meta.history`` records the step (or, for the finders, an array).
"""

from thermodefect.preprocess.bad_pixels import fill_pixels, find_bad_pixels, replace_bad_pixels
from thermodefect.preprocess.denoise import denoise_spatial, denoise_temporal
from thermodefect.preprocess.flash import (
    BASELINE_METHODS,
    absolute_without_preflash,
    clipped_frames,
    detect_flash,
    extract_cooling,
    flash_onset,
    mean_response,
    rise_baseline,
    subtract_baseline,
    to_rise,
    warn_if_absolute,
)
from thermodefect.preprocess.frames import (
    SPACINGS,
    crop,
    frame_indices,
    log_times,
    resample_times,
    select_frames,
)
from thermodefect.preprocess.heating import (
    UNEVEN_HEATING,
    correct_heating,
    heating_background,
    heating_spread,
)
from thermodefect.preprocess.normalize import NORMALIZE_METHODS, normalize
from thermodefect.preprocess.prepare import prepare_cooling
from thermodefect.preprocess.spatial import resize

__all__ = [
    "BASELINE_METHODS",
    "NORMALIZE_METHODS",
    "SPACINGS",
    "UNEVEN_HEATING",
    "absolute_without_preflash",
    "clipped_frames",
    "correct_heating",
    "crop",
    "denoise_spatial",
    "denoise_temporal",
    "detect_flash",
    "extract_cooling",
    "fill_pixels",
    "find_bad_pixels",
    "flash_onset",
    "frame_indices",
    "heating_background",
    "heating_spread",
    "log_times",
    "mean_response",
    "normalize",
    "prepare_cooling",
    "replace_bad_pixels",
    "resample_times",
    "resize",
    "rise_baseline",
    "select_frames",
    "subtract_baseline",
    "to_rise",
    "warn_if_absolute",
]
