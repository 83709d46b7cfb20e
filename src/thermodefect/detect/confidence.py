"""How likely a reported region is a defect: a calibrated confidence from its evidence.

P(defect) = sigmoid(b0 + b1 ln(peak z) + b2 ln(area in pixels)), with the region's peak
robust z in PCT's feature image and its area, fitted by maximum likelihood on the regions
that ``thermodefect detect`` reports on simulated specimens labelled by the simulator
(``benchmarks/calibrate_confidence.py``; data, coefficients and the calibration it reaches on
held-out sets in docs/results.md).
"""

from __future__ import annotations

import math

__all__ = [
    "COEFFICIENTS",
    "confidence_of",
    "features",
]

#: (b0, b1, b2) of the logistic model, from
#: ``python benchmarks/calibrate_confidence.py --fit wide:train wide:val bench:val`` run before
#: surface marks were left out (152 regions, 15 false; docs/results.md says why they were kept).
COEFFICIENTS = (-3.3159, 0.8948, 0.7015)


def features(peak_z: float, area_px: int) -> tuple[float, float]:
    """The model's inputs: ln(peak z) and ln(area), each floored at ln(1).

    Parameters
    ----------
    peak_z : float
        The region's largest robust z.
    area_px : int
        Its area in pixels.

    Returns
    -------
    (float, float)
    """
    return math.log(max(peak_z, 1.0)), math.log(max(area_px, 1))


def confidence_of(peak_z: float, area_px: float) -> float:
    """Calibrated probability that a region with this evidence is a defect.

    Parameters
    ----------
    peak_z : float
        The region's largest robust z in PCT's feature image.
    area_px : float
        Its area in pixels.

    Returns
    -------
    float
        In (0, 1).
    """
    b0, b1, b2 = COEFFICIENTS
    log_z, log_area = features(peak_z, round(area_px))
    return 1 / (1 + math.exp(-(b0 + b1 * log_z + b2 * log_area)))
