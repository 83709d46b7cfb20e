"""From a mask and the image it came from to measured defects: regions and the defect table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from thermodefect.detect.decision import Z_MIN
from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path, frames_dot
from thermodefect.sequence import Sequence

__all__ = [
    "TABLE_FIELDS",
    "Detection",
    "Region",
    "file_frame",
    "label_regions",
    "measure",
    "sequence_index",
    "with_confidence",
    "write_table",
]

TABLE_FIELDS = (
    "id", "row", "col", "top", "left", "bottom", "right", "area_px", "area_mm2",
    "diameter_mm", "early_diameter_mm", "corrected_diameter_mm", "mean_contrast",
    "peak_contrast", "peak_frame",
    "peak_time_s", "confidence",
    "depth_mm", "depth_lo_mm", "depth_hi_mm", "depth_method",
)  # fmt: skip


@dataclass(frozen=True)
class Region:
    """A detected defect: position in pixels, sizes in mm when the pixel pitch is known.

    Parameters
    ----------
    id : int
        1, 2, ... in the order the regions are found (row-major).
    row, col : float
        Centroid, pixels.
    top, left, bottom, right : int
        Bounding box, pixels (bottom and right exclusive).
    area_px : int
        Pixels.
    area_mm2 : float or None
        Area, mm^2.
    diameter_mm : float or None
        Equivalent diameter 2 sqrt(area / pi), mm.
    mean_contrast, peak_contrast : float
        Mean and peak of the image in the region minus the sound median.
    peak_frame : int or None
        Frame of the file (counted from its first frame, 0) where the region exceeds the
        sound mean the most, among the frames measured.
    peak_time_s : float or None
        Its time after the flash in s; None when the frame rate is unknown.
    confidence : float or None
        Calibrated probability that the region is a defect
        (:func:`thermodefect.detect.confidence.confidence_of`); None where not computed.
    depth_mm, depth_lo_mm, depth_hi_mm : float or None
        Depth below the front face and its interval, mm
        (:func:`thermodefect.detect.depth.with_depth`); None where not estimated. A defect
        shallower than the record resolves has no depth and ``depth_hi_mm`` its bound.
    depth_method : str or None
        The depth estimators that agreed, joined by '+', or ``shallow`` for a bound.
    early_diameter_mm : float or None
        Equivalent diameter of the early half-contrast outline, before lateral diffusion
        widens the defect's image (:func:`thermodefect.detect.depth.early_diameter`), mm;
        None where neither the outline step (:mod:`thermodefect.detect.outline`) nor the
        depth step ran.
    corrected_diameter_mm : float or None
        The decision's outline diameter corrected for the diffusion halo with the early
        diameter (:func:`thermodefect.detect.depth.corrected_diameter`), mm: equal to
        ``diameter_mm`` where the outline was drawn at that size (the significance
        decision); None where neither step ran.
    """

    id: int
    row: float
    col: float
    top: int
    left: int
    bottom: int
    right: int
    area_px: int
    area_mm2: float | None
    diameter_mm: float | None
    mean_contrast: float
    peak_contrast: float
    peak_frame: int | None
    peak_time_s: float | None
    confidence: float | None = None
    depth_mm: float | None = None
    depth_lo_mm: float | None = None
    depth_hi_mm: float | None = None
    depth_method: str | None = None
    early_diameter_mm: float | None = None
    corrected_diameter_mm: float | None = None


def file_frame(seq: Sequence, index: int) -> int:
    """The frame of the original file that frame ``index`` of ``seq`` came from.

    A cooling sequence records where it starts (``meta.extra['first_frame']``), a selection of
    frames the file frame of each (``meta.extra['frame_numbers']``).

    Parameters
    ----------
    seq : Sequence
        A sequence derived from a file.
    index : int
        A frame of ``seq``.

    Returns
    -------
    int
    """
    numbers = seq.meta.extra.get("frame_numbers")
    if numbers is not None:
        return int(numbers[index])
    return int(seq.meta.extra.get("first_frame", 0)) + index


def sequence_index(seq: Sequence, frame: int) -> int:
    """Inverse of :func:`file_frame`: the frame of ``seq`` that came from file frame ``frame``.

    Parameters
    ----------
    seq : Sequence
        A sequence derived from a file.
    frame : int
        A frame of the file that ``seq`` holds.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When ``seq`` does not hold that frame.
    """
    numbers = seq.meta.extra.get("frame_numbers")
    if numbers is not None:
        return list(numbers).index(frame)
    index = frame - int(seq.meta.extra.get("first_frame", 0))
    if not 0 <= index < seq.n_frames:
        raise ValueError(f"frame {frame} is not in the sequence")
    return index


def label_regions(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Number the 8-connected regions of ``mask`` as :func:`measure` numbers them: the
    pixels of the region with ``Region.id`` k carry k.

    Parameters
    ----------
    mask : (H, W) array_like of bool
        Defect pixels.

    Returns
    -------
    labels : (H, W) ndarray of int32
        0 off the regions.
    n : int
        How many regions.
    """
    from scipy import ndimage

    labels, n = ndimage.label(np.asarray(mask, bool), structure=np.ones((3, 3)))
    return labels.astype(np.int32, copy=False), int(n)


def measure(
    mask: np.ndarray, image: np.ndarray, *, seq=None, pitch_mm: float | None = None
) -> list[Region]:
    """Measure each 8-connected region of ``mask`` on ``image`` and, given the sequence, in time.

    Contrast is against the median of the image outside all regions. With ``seq`` (frames
    aligned with the image), the frame of peak contrast is where the region's mean exceeds
    the sound mean the most (a depth cue: deeper defects peak later).

    Parameters
    ----------
    mask : (H, W) array_like of bool
        Defect pixels.
    image : (H, W) array_like
        Feature or probability image.
    seq : Sequence, optional
        Frames aligned with the image.
    pitch_mm : float, optional
        Pixel size in mm (default: the sequence's).

    Returns
    -------
    list of Region

    Raises
    ------
    ThermodefectError
        When mask and image differ in size.
    """
    from scipy import ndimage

    mask, image = np.asarray(mask, bool), np.asarray(image, np.float64)
    if mask.shape != image.shape:
        raise ThermodefectError(f"mask {mask.shape} and image {image.shape} differ in size")
    labels, n = label_regions(mask)
    if n == 0:
        return []
    pitch = pitch_mm if pitch_mm is None else float(pitch_mm)
    if pitch is None and seq is not None:
        pitch = seq.meta.pixel_pitch_mm
    sound = ~ndimage.binary_dilation(mask, iterations=2)
    base = float(np.median(image[sound])) if sound.any() else 0.0
    contrast_curves = None  # (T, n): each region's mean minus the sound mean, per frame
    if seq is not None:
        # Every curve in one pass over the frames: region k's mean and the sound mean
        # as weighted columns (no copy of the frames).
        weights = np.zeros((mask.size, n + 1), np.float32)
        weights[np.arange(mask.size), labels.ravel()] = 1.0
        weights[:, 0] = sound.ravel() if sound.any() else 1.0
        weights /= weights.sum(axis=0)
        means = frames_dot(seq.frames, weights)
        contrast_curves = means[:, 1:] - means[:, :1]
    regions = []
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        region = labels[sl] == k
        rows, cols = np.nonzero(region)
        values = image[sl][region]
        area = int(region.sum())
        peak_frame = peak_time = None
        if contrast_curves is not None and seq is not None:
            peak = int(np.argmax(contrast_curves[:, k - 1]))
            peak_frame = file_frame(seq, peak)
            peak_time = float(seq.times[peak]) if seq.meta.frame_rate else None
        regions.append(Region(
            id=k, row=float(rows.mean() + sl[0].start), col=float(cols.mean() + sl[1].start),
            top=sl[0].start, left=sl[1].start, bottom=sl[0].stop, right=sl[1].stop, area_px=area,
            area_mm2=None if pitch is None else area * pitch**2,
            diameter_mm=None if pitch is None else float(2 * np.sqrt(area / np.pi) * pitch),
            mean_contrast=float(values.mean() - base), peak_contrast=float(values.max() - base),
            peak_frame=peak_frame, peak_time_s=peak_time,
        ))  # fmt: skip
    return regions


def with_confidence(regions: list[Region], mask: np.ndarray, z: np.ndarray) -> list[Region]:
    """``regions`` (measured on ``mask``) with the confidence their peak in ``z`` and their
    area give (:func:`thermodefect.detect.confidence.confidence_of`).

    Parameters
    ----------
    regions : list of Region
        From :func:`measure` of ``mask``.
    mask : (H, W) ndarray of bool
        The regions' mask.
    z : (H, W) ndarray
        The classical feature image in robust z units.

    Returns
    -------
    list of Region
    """
    from dataclasses import replace

    from thermodefect.detect.confidence import confidence_of
    from thermodefect.methods import region_max

    if not regions:
        return regions
    labels, n = label_regions(mask)
    peaks = region_max(z, labels, n)
    return [
        replace(r, confidence=confidence_of(float(peaks[r.id - 1]), r.area_px)) for r in regions
    ]


def write_table(
    regions: list[Region],
    csv_path: Path,
    json_path: Path | None = None,
    *,
    out_of_distribution: str | None = None,
) -> None:
    """The defect table as CSV (one row per region, empty cells for unknowns) and JSON.

    Parameters
    ----------
    regions : list of Region
        The defects.
    csv_path : Path
        The CSV file (:data:`TABLE_FIELDS` columns, then ``out_of_distribution``).
    json_path : Path, optional
        Also ``{"defects": [...], "out_of_distribution": ...}`` as JSON.
    out_of_distribution : str, optional
        Why the sequence lies outside what the detectors know (every row carries it).
    """
    rows = [asdict(r) for r in regions]

    def cell(v):
        return "" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))

    flag = "" if out_of_distribution is None else '"' + out_of_distribution.replace('"', "'") + '"'
    with atomic_path(Path(csv_path)) as tmp:
        tmp.write_text(
            ",".join((*TABLE_FIELDS, "out_of_distribution"))
            + "\n"
            + "".join(",".join(cell(r[f]) for f in TABLE_FIELDS) + f",{flag}\n" for r in rows)
        )
    if json_path is not None:
        doc = {"defects": rows, "out_of_distribution": out_of_distribution}
        with atomic_path(Path(json_path)) as tmp:
            tmp.write_text(json.dumps(doc, indent=2))


@dataclass
class Detection:
    """What one method or network found in one sequence.

    Parameters
    ----------
    method : str
        The method, or ``model:NAME``.
    feature : (H, W) ndarray of float32
        Feature image (robust z) or probability map.
    mask : (H, W) ndarray of bool
        The defects.
    regions : list of Region
        Measured defects.
    cooling : Sequence
        The frames the regions were measured on.
    feature_max : float
        Feature value drawn white in ``{name}_prob.png``.
    out_of_distribution : str, optional
        Why the sequence lies outside what the detectors know
        (:func:`thermodefect.detect.ood.out_of_distribution`); None when it does not.
    depth : (H, W) ndarray of float32, optional
        Depth of each defect pixel in mm, NaN elsewhere
        (:func:`thermodefect.detect.depth.with_depth`); None when not estimated.
    thickness : (H, W) ndarray of float32, optional
        The plate's thickness under each sound pixel in mm, NaN elsewhere
        (:func:`thermodefect.detect.thickness.sound_thickness`); None when not estimated.
    tentative : (H, W) ndarray of bool, optional
        The regions of ``mask`` found by PCT's second look
        (:func:`thermodefect.detect.remainder.hidden_regions`), weak ones, which a confirmed
        network region redraws (:func:`thermodefect.detect.combined.detect_combined`); None
        when there are none.
    """

    method: str
    feature: np.ndarray  # (H, W) pixel-wise maximum of robust z over the method's images
    mask: np.ndarray  # (H, W) bool
    regions: list
    cooling: Sequence
    feature_max: float = 2 * Z_MIN  # feature value drawn white in {name}_prob.png
    out_of_distribution: str | None = None
    depth: np.ndarray | None = None  # (H, W) mm per defect pixel, NaN elsewhere
    thickness: np.ndarray | None = None  # (H, W) mm per sound pixel, NaN elsewhere
    tentative: np.ndarray | None = None  # (H, W) bool, the second look's regions
