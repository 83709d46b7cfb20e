"""Scaling values: min-max, z-score and percentile normalisation."""

from __future__ import annotations

import numpy as np

from thermodefect.preprocess._common import fail
from thermodefect.sequence import Sequence

__all__ = [
    "NORMALIZE_METHODS",
    "normalize",
]

NORMALIZE_METHODS = ("minmax", "zscore", "percentile")


def normalize(
    seq: Sequence,
    method: str = "minmax",
    *,
    per: str = "sequence",
    percentiles: tuple[float, float] = (1.0, 99.0),
) -> Sequence:
    """Scale values: min-max to [0, 1], z-score, or a percentile range to [0, 1] (clipped).

    Parameters
    ----------
    seq : Sequence
        The input, left untouched.
    method : {'minmax', 'zscore', 'percentile'}
        The scaling.
    per : {'sequence', 'frame', 'pixel'}
        One scale for all values, one per frame, or one per pixel's history. A constant group
        maps to 0.
    percentiles : (float, float)
        Range of ``'percentile'``.

    Returns
    -------
    Sequence
        A new sequence; ``meta.history`` records the step.
        Its units are ``"normalised"``.

    Raises
    ------
    ThermodefectError
        For an unknown method or grouping. The message names the file.
    """
    if method not in NORMALIZE_METHODS:
        raise fail(seq, f"normalize method must be one of {', '.join(NORMALIZE_METHODS)}")
    axes = {"sequence": None, "frame": (1, 2), "pixel": 0}
    if per not in axes:
        raise fail(seq, f"per must be one of {', '.join(axes)}; got {per!r}")
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
