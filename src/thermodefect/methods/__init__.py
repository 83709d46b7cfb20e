"""Classical processing methods, registered by name for the CLI, benchmarks and tests."""

from __future__ import annotations

from thermodefect.methods._contrast import CONTRASTS, auto_t_prime, contrast, dac, sound_curve
from thermodefect.methods._hos import HOSResult, hos
from thermodefect.methods._pct import NORMALIZATIONS, PCTResult, pct
from thermodefect.methods._ppt import PPTResult, ppt
from thermodefect.methods._segment import THRESHOLDS, kmeans, region_grow, threshold
from thermodefect.methods._tsr import TSRResult, tsr

#: name -> function(data, ...) for every classical method.
METHODS = {
    "pct": pct,
    "tsr": tsr,
    "ppt": ppt,
    "hos": hos,
    "contrast": contrast,
    "dac": dac,
    "kmeans": kmeans,
    "region_grow": region_grow,
    "threshold": threshold,
}

__all__ = [
    "CONTRASTS",
    "METHODS",
    "NORMALIZATIONS",
    "THRESHOLDS",
    "HOSResult",
    "PCTResult",
    "PPTResult",
    "TSRResult",
    "auto_t_prime",
    "contrast",
    "dac",
    "hos",
    "kmeans",
    "pct",
    "ppt",
    "region_grow",
    "sound_curve",
    "threshold",
    "tsr",
]
