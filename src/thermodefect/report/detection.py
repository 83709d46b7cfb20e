"""The files of one detection: mask, feature or probability image, overlay and defect table."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.detect.regions import Detection, Region, file_frame, sequence_index
from thermodefect.sequence import Sequence

__all__ = [
    "shown_frame",
    "shown_index",
    "write_depth",
    "write_detection",
]


def shown_frame(result: Detection) -> int:
    """The frame of ``result.cooling`` an overlay shows (:func:`shown_index`).

    Parameters
    ----------
    result : Detection
        What was found.

    Returns
    -------
    int
        An index into ``result.cooling.frames``.
    """
    return shown_index(result.cooling, result.regions)


def shown_index(cooling: Sequence, regions: list[Region]) -> int:
    """The median frame of peak contrast of ``regions``, or the first cooling frame when
    there are none.

    Parameters
    ----------
    cooling : Sequence
        The frames the regions were measured on.
    regions : list of Region
        The defects.

    Returns
    -------
    int
        An index into ``cooling.frames``.
    """
    peaks = [sequence_index(cooling, r.peak_frame) for r in regions if r.peak_frame is not None]
    return int(np.median(peaks)) if peaks else 0


def write_detection(result: Detection, out: Path, name: str) -> list[Path]:
    """Write the files of one detection into ``out``.

    ``{name}_mask.png`` (255 = defect), ``{name}_prob.png`` (the feature, 0-255 for z 0..2
    z_min, or the probability 0..1), ``{name}_overlay.png`` and ``{name}_defects.csv`` /
    ``.json``; with a depth map also :func:`write_depth`'s files.

    Parameters
    ----------
    result : Detection
        What was found.
    out : Path
        Output folder.
    name : str
        File stem.

    Returns
    -------
    list of Path
        The mask, probability, overlay, CSV and JSON files (and the depth files).
    """
    from thermodefect.detect.regions import write_table
    from thermodefect.io.images import write_png
    from thermodefect.report.overlay import overlay

    out = Path(out)
    write_png((result.mask * 255).astype(np.uint8), out / f"{name}_mask.png")
    scaled = np.clip(result.feature / result.feature_max, 0, 1)
    write_png(np.round(scaled * 255).astype(np.uint8), out / f"{name}_prob.png")
    frame = shown_frame(result)
    overlay(result.cooling.frames[frame], result.mask, result.regions, out / f"{name}_overlay.png",
            title=f"{name}: {result.method}, {len(result.regions)} defect(s), frame "
                  f"{file_frame(result.cooling, frame)}",
            truth=result.cooling.mask)  # fmt: skip
    write_table(result.regions, out / f"{name}_defects.csv", out / f"{name}_defects.json",
                out_of_distribution=result.out_of_distribution)  # fmt: skip
    kinds = ("mask.png", "prob.png", "overlay.png", "defects.csv", "defects.json")
    written = [out / f"{name}_{kind}" for kind in kinds]
    if result.depth is not None:
        written += write_depth(result, frame, out, name)
    return written


def write_depth(result: Detection, frame: int, out: Path, name: str) -> list[Path]:
    """``{name}_depth.npy`` (mm per pixel, NaN off the defects) and ``{name}_depth.png`` (the
    depths in colour over a frame, with a colour bar in mm); with a thickness map also
    ``{name}_thickness.npy`` and ``.png`` (the plate's thickness under its sound area).

    Parameters
    ----------
    result : Detection
        A detection with its depth map.
    frame : int
        The frame of ``result.cooling`` shown under the maps.
    out : Path
        Output folder.
    name : str
        File stem.

    Returns
    -------
    list of Path
    """
    under = result.cooling.frames[frame]
    written = _write_map(result.depth, under, out / f"{name}_depth",
                         "depth below the front face (mm)",
                         f"{name}: depth of each defect pixel ({result.method})")  # fmt: skip
    if result.thickness is not None:
        read = np.isfinite(result.thickness)
        title = (f"{name}: plate thickness under the sound area (median "
                 f"{np.median(result.thickness[read]):.3g} mm)" if read.any() else
                 f"{name}: the back wall does not show within the record")  # fmt: skip
        written += _write_map(result.thickness, under, out / f"{name}_thickness",
                              "plate thickness (mm)", title, cmap="cividis")  # fmt: skip
    return written


def _write_map(values, under, stem: Path, label: str, title: str, cmap="viridis_r") -> list[Path]:
    """``stem.npy`` (float32, NaN where not read) and ``stem.png`` (the values in colour over
    ``under``, a frame, with a colour bar of ``label``)."""
    from thermodefect.io.files import atomic_path
    from thermodefect.io.images import figure, save_figure

    values = np.asarray(values, np.float32)
    npy = stem.parent / f"{stem.name}.npy"  # not with_suffix: a stem may hold dots
    with atomic_path(npy) as tmp, open(tmp, "wb") as fh:
        np.save(fh, values)
    h, w = values.shape
    fig, ax = figure((max(4.0, 6.0 * w / max(h, w)) + 1.2, max(3.0, 6.0 * h / max(h, w))))
    ax.imshow(under, cmap="gray")
    shown = np.ma.masked_invalid(values)
    if shown.count():
        image = ax.imshow(shown, cmap=cmap)
        fig.colorbar(image, ax=ax, label=label)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    png = save_figure(fig, stem.parent / f"{stem.name}.png", dpi=100)
    return [npy, png]
