"""Classical detection end to end: preprocessing, a feature image per method, a decision tied
to significance, regions and files.

Pipeline: bad pixels replaced, non-uniform heating removed, cooling extracted after the
detected flash; then the method's images (components, frames or frequencies), each turned
into robust z-scores (median and MAD of the image, so mostly of sound material) and signed so
that its strongest pixel is positive, and their pixel-wise maximum as the feature image. A
pixel is called defect when that z reaches ``z_min`` (default 6: one Gaussian-noise image
does so with probability 1e-9 per pixel, a dozen of them about 1e-8) and its region keeps at
least ``min_area`` pixels after an opening. A sound plate, evenly heated or not, therefore
yields an empty table instead of the half-image that Otsu or K-means always return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

Z_MIN = 6.0
MIN_AREA = 9
#: How the feature image becomes a mask; every rule keeps only regions that reach z_min.
DECISIONS = ("significance", "hysteresis", "otsu", "kmeans", "region")


def _max_z(images) -> np.ndarray:
    """Pixel-wise maximum of the robust z-scores of a stack of images, each flipped so that
    its strongest pixel is positive.

    Defects at different depths show best in different frames, components or frequencies,
    so each pixel keeps its most significant view. PCT components, phases and
    log-derivatives have no fixed sign; thresholding |z| instead would cut a zero-crossing
    ring through a defect's halo. (Picking the single most significant image was tried
    first: it lost the deeper rows of defects, e.g. IoU 0.28 against 0.37 for PCT on the
    demo plates.)
    """
    from thermodefect.postprocess import robust_z

    out = None
    for image in images:
        z = robust_z(np.asarray(image))
        if z.flat[np.argmax(np.abs(z))] < 0:
            z = -z
        out = z if out is None else np.maximum(out, z)
    return out


def _spread_frames(frames: np.ndarray, count: int = 12) -> list[np.ndarray]:
    idx = np.unique(np.geomspace(1, frames.shape[0], count).astype(int) - 1)
    return [frames[i] for i in idx]


def feature_pct(seq: Sequence) -> np.ndarray:
    from thermodefect.methods import pct

    return _max_z(pct(seq, 4).components)


def feature_tsr(seq: Sequence) -> np.ndarray:
    from thermodefect.methods import tsr

    return _max_z(_spread_frames(tsr(seq, 5).derivative(1)))


def feature_ppt(seq: Sequence) -> np.ndarray:
    from thermodefect.methods import ppt

    return _max_z(ppt(seq).phase)


def feature_hos(seq: Sequence) -> np.ndarray:
    from thermodefect.methods import hos

    result = hos(seq)
    return _max_z([result.skewness, result.kurtosis])


def feature_contrast(seq: Sequence) -> np.ndarray:
    from thermodefect.methods import contrast

    return _max_z(_spread_frames(contrast(seq, "absolute")))


def feature_dac(seq: Sequence) -> np.ndarray:
    from thermodefect.methods import dac

    return _max_z(_spread_frames(dac(seq)[0]))


#: method name -> function(cooling sequence) -> feature image (H, W) in robust z units.
FEATURES: dict[str, Callable[[Sequence], np.ndarray]] = {
    "pct": feature_pct,
    "tsr": feature_tsr,
    "ppt": feature_ppt,
    "hos": feature_hos,
    "contrast": feature_contrast,
    "dac": feature_dac,
}


def gate(mask: np.ndarray, feature: np.ndarray, z_min: float) -> np.ndarray:
    """Keep the connected regions of ``mask`` that hold at least one pixel with z >= z_min."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return mask
    peaks = ndimage.maximum(feature, labels, index=np.arange(1, n + 1))
    keep = np.concatenate([[False], np.asarray(peaks) >= z_min])
    return keep[labels]


def decide(feature: np.ndarray, decision: str = "significance", *, z_min: float = Z_MIN):
    """Defect mask (before cleaning) of a feature image in robust z units.

    - ``significance``: z >= z_min;
    - ``hysteresis``: regions above z_min / 2 that reach z_min;
    - ``otsu``: Otsu's threshold of the image;
    - ``kmeans``: K-means (k = 3) on the feature values, every cluster above the sound one;
    - ``region``: region growing from the strongest local maxima (tolerance 0.5).

    The last three always split an image, so each of their regions must also reach z_min:
    a sound plate stays silent under every rule.
    """
    from thermodefect.methods import kmeans, region_grow, threshold

    if decision not in DECISIONS:
        raise ThermodefectError(f"decision must be one of {', '.join(DECISIONS)}; got {decision!r}")
    if decision == "significance":
        return feature >= z_min
    if decision == "hysteresis":
        return threshold(feature, "hysteresis", low=z_min / 2, high=z_min)
    if decision == "otsu":
        mask = threshold(feature, "otsu")
    elif decision == "kmeans":
        labels, _ = kmeans(feature[None], 3)
        centres = [
            feature[labels == c].mean() if (labels == c).any() else -np.inf for c in range(3)
        ]
        sound = labels[np.unravel_index(np.argmin(np.abs(feature)), feature.shape)]
        mask = np.isin(labels, [c for c in range(3) if centres[c] > centres[sound]])
    else:
        mask = region_grow(feature, tolerance=0.5)
    return gate(mask, feature, z_min)


def prepare(seq: Sequence) -> Sequence:
    """Bad pixels replaced, heating corrected, cooling after the flash kept."""
    from thermodefect.preprocess import correct_heating, extract_cooling, replace_bad_pixels

    cooling = extract_cooling(replace_bad_pixels(seq))
    if cooling.n_frames < 8:
        raise ThermodefectError(
            f"only {cooling.n_frames} frames follow the flash; at least 8 are needed",
            seq.meta.source,
        )
    return correct_heating(cooling)


@dataclass
class Detection:
    """What one method found in one sequence."""

    method: str
    feature: np.ndarray  # (H, W) pixel-wise maximum of robust z over the method's images
    mask: np.ndarray  # (H, W) bool
    regions: list
    cooling: Sequence
    feature_max: float = 2 * Z_MIN  # feature value drawn white in {name}_prob.png


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

    ``prepared`` is ``prepare(seq)`` when the caller already has it (several methods on one
    sequence), so the preprocessing runs once. ``decision`` picks the rule of :func:`decide`.
    """
    from thermodefect.postprocess import clean, measure

    if method not in FEATURES:
        raise ThermodefectError(f"unknown method {method!r}; methods: {', '.join(FEATURES)}")
    cooling = prepare(seq) if prepared is None else prepared
    feature = FEATURES[method](cooling)
    mask = gate(clean(decide(feature, decision, z_min=z_min), min_area=min_area), feature, z_min)
    regions = measure(mask, feature, seq=cooling)
    return Detection(method, feature.astype(np.float32), mask, regions, cooling)


def write_detection(result: Detection, out: Path, name: str) -> list[Path]:
    """``{name}_mask.png`` (255 = defect), ``{name}_prob.png`` (feature, 0-255 for z 0..2 z_min
    or probability 0..1),
    ``{name}_overlay.png`` and ``{name}_defects.csv`` / ``.json`` in ``out``."""
    from thermodefect.images import write_png
    from thermodefect.postprocess import overlay, write_table

    out = Path(out)
    write_png((result.mask * 255).astype(np.uint8), out / f"{name}_mask.png")
    scaled = np.clip(result.feature / result.feature_max, 0, 1)
    write_png(np.round(scaled * 255).astype(np.uint8), out / f"{name}_prob.png")
    overlay(result.feature, result.mask, result.regions, out / f"{name}_overlay.png",
            title=f"{name}: {result.method}, {len(result.regions)} defect(s)")  # fmt: skip
    write_table(result.regions, out / f"{name}_defects.csv", out / f"{name}_defects.json")
    return [out / f"{name}_{s}" for s in ("mask.png", "prob.png", "overlay.png", "defects.csv")]
