"""The annotated overlay: an image with each detected region outlined and labelled."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.detect.regions import Region
from thermodefect.io.images import figure, save_figure

__all__ = [
    "overlay",
]


def overlay(
    base: np.ndarray, mask: np.ndarray, regions: list[Region], path: Path, *, title: str = ""
) -> Path:
    """PNG of ``base`` (grey) with each region outlined and labelled with its id and size.

    Parameters
    ----------
    base : (H, W) array_like
        The image drawn underneath.
    mask : (H, W) array_like of bool
        Outlined pixels.
    regions : list of Region
        Labelled regions.
    path : Path
        The PNG file.
    title : str
        Figure title (default: the number of defects).

    Returns
    -------
    Path
    """
    base = np.asarray(base, np.float64)
    h, w = base.shape
    width = float(np.clip(w / 40, 4, 8))  # inches; large frames are drawn at most 880 px wide
    fig, ax = figure((width, max(3, width * h / w) + 0.4))
    lo, hi = np.percentile(base, (0.5, 99.5))
    ax.imshow(base, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
    if np.any(mask):
        ax.contour(np.asarray(mask, float), levels=[0.5], colors="#ff3030", linewidths=1.2)
    for r in regions:
        size = f"{r.diameter_mm:.1f} mm" if r.diameter_mm is not None else f"{r.area_px} px"
        ax.text(
            r.col,
            r.top - 1,
            f"{r.id}: {size}",
            color="#ffd000",
            fontsize=7,
            ha="center",
            va="bottom",
        )
    ax.set_title(title or f"{len(regions)} defect(s)", fontsize=9)
    ax.axis("off")
    return save_figure(fig, path, dpi=110)
