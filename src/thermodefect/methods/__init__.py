"""Classical processing methods of pulsed thermography, on numpy arrays or torch tensors.

Each method is a function with its own options (:func:`pct`, :func:`tsr`, :func:`ppt`,
:func:`hos`, :func:`contrast`, :func:`dac`); :data:`METHODS` registers each one under one
signature, ``images(cooling) -> list of (H, W) images``, the views that classical detection
turns into a feature image. Segmentation helpers (thresholds, K-means, region growing,
robust z and mask cleaning) turn images into masks; :func:`max_z` turns a method's images into
the robust z image the significance decision reads.
"""

from __future__ import annotations

from collections.abc import Callable

from thermodefect.methods._backend import spread_frames
from thermodefect.methods._contrast import (
    CONTRASTS,
    auto_t_prime,
    contrast,
    contrast_images,
    dac,
    dac_images,
    sound_curve,
)
from thermodefect.methods._hos import HOSResult, hos, hos_images
from thermodefect.methods._pct import NORMALIZATIONS, PCTResult, pct, pct_fitted_on, pct_images
from thermodefect.methods._ppt import PPTResult, ppt, ppt_images
from thermodefect.methods._segment import (
    THRESHOLDS,
    clean,
    kmeans,
    region_grow,
    region_max,
    region_mean,
    robust_z,
    threshold,
)
from thermodefect.methods._significance import (
    FAINT_BLUR,
    LEAST_PEAK,
    TOUCH_LEVEL,
    max_z,
    max_z_and_faint,
    max_z_at,
    opposite_sign,
    signed_z,
)
from thermodefect.methods._tsr import TSRResult, tsr, tsr_images
from thermodefect.registry import Registry

#: name -> images(cooling sequence) -> list of (H, W) images, for every classical method.
METHODS: Registry[Callable[..., list]] = Registry("method")
METHODS.add("pct", pct_images, summary="principal component thermography, 4 components")
METHODS.add("tsr", tsr_images, summary="thermographic signal reconstruction, 1st log-derivative")
METHODS.add("ppt", ppt_images, summary="pulsed phase thermography, phase images")
METHODS.add("hos", hos_images, summary="higher-order statistics, skewness and kurtosis")
METHODS.add("contrast", contrast_images, summary="absolute thermal contrast")
METHODS.add("dac", dac_images, summary="differential absolute contrast")

__all__ = [
    "CONTRASTS",
    "FAINT_BLUR",
    "LEAST_PEAK",
    "METHODS",
    "NORMALIZATIONS",
    "THRESHOLDS",
    "TOUCH_LEVEL",
    "HOSResult",
    "PCTResult",
    "PPTResult",
    "TSRResult",
    "auto_t_prime",
    "clean",
    "contrast",
    "dac",
    "hos",
    "kmeans",
    "max_z",
    "max_z_and_faint",
    "max_z_at",
    "opposite_sign",
    "pct",
    "pct_fitted_on",
    "ppt",
    "region_grow",
    "region_max",
    "region_mean",
    "robust_z",
    "signed_z",
    "sound_curve",
    "spread_frames",
    "threshold",
    "tsr",
]
