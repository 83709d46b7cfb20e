"""Classical detection end to end: preprocessing, a feature image per method, a decision tied
to significance, regions and files.

Pipeline: cooling extracted after the detected flash, background around the plate filled,
bad pixels replaced, non-uniform heating removed (when the flash was uneven); then the
method's images (components, frames or frequencies), each freed of the plate edges' cooling
and of a slow trend, turned into robust z-scores (median and MAD over the plate, so mostly of
sound material) and signed so that its strongest pixel is positive, and their pixel-wise
maximum as the feature image. A pixel is called defect when that z reaches ``z_min`` (default
5, :data:`~thermodefect.detect.decision.Z_MIN`) and its region keeps at least ``min_area``
pixels after an opening; each region is then drawn at 30 % of its peak
(:func:`~thermodefect.detect.decision.trim_halo`). Defects too faint for that decision, whose
pixels reach the level only here and there, are found in the same images blurred by one pixel
(:func:`~thermodefect.detect.decision.faint_regions`). Strips along the image border and
surface marks (:mod:`thermodefect.detect.marks`) are left out. A sound plate, evenly heated
or not, therefore yields an empty table instead of the half-image that Otsu or K-means always
return. Finally each region is redrawn at its halo-corrected diameter
(:mod:`thermodefect.detect.outline`).
"""

from __future__ import annotations

import logging

import numpy as np

from thermodefect.detect.decision import (
    Z_MIN,
    decide,
    drop_border_strips,
    faint_regions,
    gate,
    regions_touching,
    trim_halo,
)
from thermodefect.detect.features import features as method_features
from thermodefect.detect.marks import surface_marks
from thermodefect.detect.ood import out_of_distribution
from thermodefect.detect.outline import halo_corrected, with_early_sizes
from thermodefect.detect.regions import Detection, measure, with_confidence
from thermodefect.detect.remainder import hidden_regions
from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

__all__ = [
    "LEVEL_SENSITIVE",
    "MIN_AREA",
    "detect",
    "detect_and_faint",
    "mask_of",
    "prepare",
]

logger = logging.getLogger(__name__)

MIN_AREA = 9

#: Methods that read the level of the rise, not only its changes (TSR takes its logarithm,
#: DAC divides by it): an offset the pre-flash frames cannot remove changes their answer.
LEVEL_SENSITIVE = ("tsr", "dac")


def prepare(seq: Sequence, *, heating: bool = True, response: np.ndarray | None = None) -> Sequence:
    """Bad pixels replaced, background around the plate filled, uneven heating corrected,
    cooling after the flash kept.

    Where the plate does not fill the view (:func:`~thermodefect.preprocess.plate.plate_mask`),
    the pixels around it receive the cooling of their nearest plate pixel and the plate's
    mask is kept in ``meta.extra["plate"]``: the methods see no step at the plate's outline,
    and the decision looks only at the plate. Bad pixels are searched in the whole sequence
    as it came, but neither off the plate nor on its outline (which stands out of its
    neighbourhood without being bad).

    The heating correction (:func:`~thermodefect.preprocess.correct_heating`) runs only when
    the flash was uneven (:func:`~thermodefect.preprocess.heating_spread` at least
    :data:`~thermodefect.preprocess.UNEVEN_HEATING`): on an evenly heated plate a smooth
    surface fit has nothing to remove, and its residuals (at the borders, on texture, on
    defects wider than a fifth of the image) are all it would add.

    The cooling frames are copied once and every step works in that copy: peak memory is
    the input plus one copy of its cooling frames.

    Parameters
    ----------
    seq : Sequence
        A raw sequence (rise after the flash, as the seed's files hold).
    heating : bool
        False leaves uneven heating uncorrected (for :mod:`thermodefect.detect.thickness`).
    response : (T,) ndarray, optional
        :func:`~thermodefect.preprocess.mean_response` of ``seq`` when the caller has it (one
        pass over the frames less).

    Returns
    -------
    Sequence
        The cooling, ready for :data:`~thermodefect.methods.METHODS`.

    Raises
    ------
    ThermodefectError
        When fewer than 8 frames follow the flash, or the sequence never changes.
    """
    from thermodefect.preprocess import (
        extract_cooling,
        find_bad_pixels,
        mean_response,
        prepare_cooling,
        rise_baseline,
    )

    response = mean_response(seq) if response is None else response
    bad = find_bad_pixels(seq)
    baseline = rise_baseline(seq, response)
    view = extract_cooling(seq, response=response)
    if view.n_frames < 8:
        raise ThermodefectError(
            f"only {view.n_frames} frames follow the flash; at least 8 are needed",
            seq.meta.source,
        )
    return prepare_cooling(view, bad, baseline, heating=heating)


def mask_of(
    feature: np.ndarray,
    cooling: Sequence,
    *,
    faint: np.ndarray | None = None,
    z_min: float = Z_MIN,
    min_area: int = MIN_AREA,
    decision: str = "significance",
) -> np.ndarray:
    """The defect mask of a feature image: the decision, the opening and area floor, regions
    that reach ``z_min``, each cut to its defect's outline, the faint regions of the blurred
    evidence (:func:`~thermodefect.detect.decision.faint_regions`) added, strips along the
    image border (:func:`~thermodefect.detect.decision.drop_border_strips`) and surface marks
    left out.

    Parameters
    ----------
    feature : (H, W) ndarray
        A method's feature image in robust z units
        (:func:`~thermodefect.detect.features.feature`).
    cooling : Sequence
        The prepared cooling it came from (:func:`prepare`), for the surface marks.
    faint : (H, W) ndarray, optional
        Its faint evidence (:func:`~thermodefect.detect.features.features`); none added
        without it.
    z_min : float
        Significance in robust standard deviations.
    min_area : int
        Smallest region kept, pixels.
    decision : str
        A rule of :data:`~thermodefect.detect.DECISIONS`.

    Returns
    -------
    (H, W) ndarray of bool

    Raises
    ------
    ThermodefectError
        For an unknown rule.
    """
    from thermodefect.methods import clean

    mask = gate(clean(decide(feature, decision, z_min=z_min), min_area=min_area), feature, z_min)
    mask = trim_halo(mask, feature, z_min)
    if faint is not None:
        mask |= faint_regions(faint, feature, mask, z_min, min_area=min_area)
    mask = drop_border_strips(mask)
    marks = surface_marks(mask, cooling)
    if marks.any():
        logger.info("surface marks left out on %s (emissivity, not defects)", cooling.name)
        mask &= ~marks
    return mask


def detect(
    seq: Sequence,
    method: str = "pct",
    *,
    z_min: float = Z_MIN,
    min_area: int = MIN_AREA,
    decision: str = "significance",
    prepared: Sequence | None = None,
) -> Detection:
    """Run one classical method end to end on a sequence (see the module docstring).

    Parameters
    ----------
    seq : Sequence
        A raw sequence: a rise after the flash (as the seed's files hold), or absolute
        temperatures or counts, made a rise by subtracting the pre-flash frames' mean.
    method : str
        A name of :data:`~thermodefect.methods.METHODS`.
    z_min : float
        Significance in robust standard deviations.
    min_area : int
        Smallest region kept, pixels.
    decision : str
        A rule of :data:`~thermodefect.detect.DECISIONS`.
    prepared : Sequence, optional
        :func:`prepare` of ``seq`` when the caller already has it (several methods on one
        sequence), so the preprocessing runs once.

    Returns
    -------
    Detection
        With ``out_of_distribution`` set when the sequence is not a flashed plate cooling.

    Raises
    ------
    ThermodefectError
        For an unknown method or rule, or a sequence that cannot be prepared.
    """
    return detect_and_faint(seq, method, z_min=z_min, min_area=min_area, decision=decision,
                            prepared=prepared)[0]  # fmt: skip


def detect_and_faint(
    seq: Sequence,
    method: str = "pct",
    *,
    z_min: float = Z_MIN,
    min_area: int = MIN_AREA,
    decision: str = "significance",
    prepared: Sequence | None = None,
    response: np.ndarray | None = None,
) -> tuple[Detection, np.ndarray]:
    """:func:`detect`, and the method's faint evidence it decided with.

    Parameters
    ----------
    seq, method, z_min, min_area, decision, prepared
        As :func:`detect` takes them.
    response : (T,) ndarray, optional
        :func:`~thermodefect.preprocess.mean_response` of ``seq`` when the caller has it.

    Returns
    -------
    found : Detection
        As :func:`detect` returns it.
    faint : (H, W) ndarray of float64
        The method's images blurred by one pixel, in robust z
        (:func:`~thermodefect.detect.features.features`).

    Raises
    ------
    ThermodefectError
        For an unknown method or rule, or a sequence that cannot be prepared.
    """
    from thermodefect.methods import METHODS
    from thermodefect.preprocess import warn_if_absolute

    METHODS.check(method)
    if method in LEVEL_SENSITIVE:
        warn_if_absolute(seq, method, response)
    cooling = prepare(seq, response=response) if prepared is None else prepared
    feature, faint = method_features(cooling, method)
    mask = mask_of(feature, cooling, faint=faint, z_min=z_min, min_area=min_area, decision=decision)
    hidden = None
    if method == "pct" and decision == "significance":
        hidden, evidence = hidden_regions(cooling, feature, mask, z_min=z_min, min_area=min_area)
        if hidden.any():
            mask |= hidden
            feature = np.where(hidden, np.maximum(feature, evidence), feature)
    early = None
    if decision == "significance":
        mask, early = halo_corrected(mask, feature, cooling)
    tentative = None  # the second look's regions: a confirmed network region may redraw them
    if hidden is not None and hidden.any():
        tentative = regions_touching(mask, hidden)
    regions = with_confidence(measure(mask, feature, seq=cooling), mask, feature)
    if early is not None:
        regions = with_early_sizes(regions, mask, early)
    logger.debug("%s on %s: %d region(s)", method, seq.name, len(regions))
    found = Detection(method, feature.astype(np.float32), mask, regions, cooling,
                      out_of_distribution=out_of_distribution(cooling),
                      tentative=tentative)  # fmt: skip
    return found, faint
