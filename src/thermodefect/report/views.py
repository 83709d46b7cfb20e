"""What the inspection report shows of one sequence beside the detection's files: a raw
frame, the most contrasted PCT and TSR images, and the cooling curves of each defect and of
the sound plate with their TSR fits.

:func:`views_of` computes them from the loaded sequence and its detection; ``detect
--report`` keeps them in ``{name}_views.npz`` (:func:`save_views`) so that the report needs
no second pass over the input.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from thermodefect.detect.regions import Region, file_frame, label_regions
from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

__all__ = [
    "VIEWS",
    "Views",
    "load_views",
    "save_views",
    "tsr_fits",
    "views_of",
]

VIEWS = "_views.npz"
SOUND_MARGIN = 3  # pixels between a defect and the sound plate its curve is compared with
TSR_DEGREE = 5


@dataclass(frozen=True)
class Views:
    """The images and curves of one sequence in the report.

    Parameters
    ----------
    raw : (H, W) ndarray of float32
        Frame ``frame`` of the file as it was read (absolute values, counts or rise).
    frame : int
        The file frame shown: the median frame of peak contrast of the regions.
    pct, tsr : (H, W) ndarray of float32
        The PCT empirical orthogonal function and the TSR window image that stand out most
        (largest absolute robust z).
    pct_index, tsr_index : int
        Which image of :data:`~thermodefect.methods.METHODS`' ``pct`` and ``tsr`` they are
        (0-based).
    times : (T,) ndarray of float64
        Time after the flash of each cooling frame, s (frames when the rate is unknown).
    sound : (T,) ndarray of float64
        Mean rise of the sound plate (``SOUND_MARGIN`` pixels away from every defect).
    curves : (T, N) ndarray of float64
        Mean rise of each region, in the order of the defect table.
    sound_fit, curves_fit : ndarray of float64
        Their TSR reconstructions (degree 5 in log-log); NaN where the fit cannot run (times
        not after a flash, or a curve that never rises).
    time_unit : str
        ``"s"`` or ``"frames"``.
    """

    raw: np.ndarray
    frame: int
    pct: np.ndarray
    pct_index: int
    tsr: np.ndarray
    tsr_index: int
    times: np.ndarray
    sound: np.ndarray
    curves: np.ndarray
    sound_fit: np.ndarray
    curves_fit: np.ndarray
    time_unit: str


def _most_contrasted(images: list, plate: np.ndarray | None) -> tuple[np.ndarray, int]:
    from thermodefect.methods import robust_z

    scores = []
    for image in images:
        z = robust_z(np.asarray(image, np.float64), plate)
        scores.append(np.abs(z if plate is None else z[plate]).max())
    best = int(np.argmax(scores))
    return np.asarray(images[best], np.float32), best


def _mean_curves(cooling: Sequence, masks: list[np.ndarray]) -> np.ndarray:
    """(T, len(masks)) mean of the cooling over each mask (NaN for an empty one), in one pass
    over the frames."""
    from thermodefect.io.files import frames_dot

    weights = np.stack([m.ravel() for m in masks], axis=1).astype(np.float32)
    counts = weights.sum(axis=0)
    means = frames_dot(cooling.frames, weights / np.maximum(counts, 1)).astype(np.float64)
    means[:, counts == 0] = np.nan
    return means


def tsr_fits(times: np.ndarray, curves: np.ndarray) -> np.ndarray:
    """The TSR reconstruction (degree 5) of each column of ``curves``.

    Parameters
    ----------
    times : (T,) array_like
        After the flash, s.
    curves : (T, N) array_like
        Rises.

    Returns
    -------
    (T, N) ndarray of float64
        NaN for a curve that never rises or holds NaN, and everywhere when the times are
        not positive and increasing or there are too few frames.
    """
    from thermodefect.methods import tsr

    fits = np.full(curves.shape, np.nan)
    if curves.shape[0] <= TSR_DEGREE + 1:
        return fits
    usable = np.isfinite(curves).all(axis=0) & (curves.max(axis=0) > 0)
    if not usable.any():
        return fits
    try:
        fit = tsr(curves[:, None, usable].astype(np.float32), TSR_DEGREE, times=times)
    except ThermodefectError:  # times not after a flash
        return fits
    fits[:, usable] = fit.reconstruction()[:, 0, :]
    return fits


def views_of(seq: Sequence, cooling: Sequence, mask: np.ndarray, regions: list[Region]) -> Views:
    """The report's images and curves of one detection.

    Parameters
    ----------
    seq : Sequence
        The sequence as loaded.
    cooling : Sequence
        The cooling the regions were measured on (a detection's ``cooling``).
    mask : (H, W) array_like of bool
        The defects found.
    regions : list of Region
        The defect table.

    Returns
    -------
    Views
    """
    from thermodefect.methods import METHODS
    from thermodefect.report.detection import shown_index

    mask = np.asarray(mask, bool)
    frame = file_frame(cooling, shown_index(cooling, regions))
    plate = cooling.meta.extra.get("plate")
    plate = None if plate is None else np.asarray(plate, bool)
    pct, pct_index = _most_contrasted(METHODS["pct"](cooling), plate)
    tsr_image, tsr_index = _most_contrasted(METHODS["tsr"](cooling), plate)
    labels, _ = label_regions(mask)
    near = ndimage.binary_dilation(mask, iterations=SOUND_MARGIN)
    sound = ~near if plate is None else plate & ~near
    masks = [sound, *(labels == r.id for r in regions)]
    curves = _mean_curves(cooling, masks)
    times = np.asarray(cooling.times, np.float64)
    fits = tsr_fits(times, curves)
    return Views(
        raw=np.asarray(seq.frames[min(frame, seq.n_frames - 1)], np.float32),
        frame=int(frame),
        pct=pct,
        pct_index=pct_index,
        tsr=tsr_image,
        tsr_index=tsr_index,
        times=times,
        sound=curves[:, 0],
        curves=curves[:, 1:],
        sound_fit=fits[:, 0],
        curves_fit=fits[:, 1:],
        time_unit="s" if cooling.meta.frame_rate else "frames",
    )


def save_views(views: Views, path: Path) -> Path:
    """Write ``views`` as a compressed ``.npz`` (atomically).

    Parameters
    ----------
    views : Views
        What :func:`views_of` returned.
    path : Path
        The file.

    Returns
    -------
    Path
    """
    from thermodefect.io.files import atomic_path

    arrays: dict[str, Any] = {f.name: np.asarray(getattr(views, f.name)) for f in fields(Views)}
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return Path(path)


def load_views(path: Path) -> Views:
    """Read what :func:`save_views` wrote.

    Parameters
    ----------
    path : Path
        A ``{name}_views.npz`` file.

    Returns
    -------
    Views

    Raises
    ------
    ThermodefectError
        When the file is not such a file.
    """
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as npz:
            values = {f.name: npz[f.name] for f in fields(Views)}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ThermodefectError(f"not a report views file ({exc})", path) from None
    scalars = {"frame": int, "pct_index": int, "tsr_index": int, "time_unit": str}
    values.update({k: kind(values[k][()]) for k, kind in scalars.items()})
    return Views(**values)
