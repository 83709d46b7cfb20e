"""Preprocessing of sequences: baselines, flash and cooling, windows, resampling, resizing,
normalisation, denoising, bad pixels and non-uniform heating.

Every function takes a :class:`~thermodefect.sequence.Sequence`, leaves it untouched and
returns a new one whose ``meta.history`` records the step (or, for the finders, an array).
"""

from thermodefect.preprocess.bad_pixels import fill_pixels, find_bad_pixels, replace_bad_pixels
from thermodefect.preprocess.denoise import denoise_spatial, denoise_temporal
from thermodefect.preprocess.flash import (
    BASELINE_METHODS,
    detect_flash,
    extract_cooling,
    mean_response,
    subtract_baseline,
)
from thermodefect.preprocess.frames import (
    SPACINGS,
    crop,
    frame_indices,
    log_times,
    resample_times,
    select_frames,
)
from thermodefect.preprocess.heating import correct_heating, heating_background
from thermodefect.preprocess.normalize import NORMALIZE_METHODS, normalize
from thermodefect.preprocess.spatial import resize

__all__ = [
    "BASELINE_METHODS",
    "NORMALIZE_METHODS",
    "SPACINGS",
    "correct_heating",
    "crop",
    "denoise_spatial",
    "denoise_temporal",
    "detect_flash",
    "extract_cooling",
    "fill_pixels",
    "find_bad_pixels",
    "frame_indices",
    "heating_background",
    "log_times",
    "mean_response",
    "normalize",
    "replace_bad_pixels",
    "resample_times",
    "resize",
    "select_frames",
    "subtract_baseline",
]
