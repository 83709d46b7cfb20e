"""A grid of grey images, one row per specimen: the demo's overview figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.io.images import figure, save_figure

__all__ = [
    "overview",
]


def overview(rows: list[tuple[str, list[tuple[str, np.ndarray]]]], path: Path) -> Path:
    """A grid of grey images with titles: one row per specimen, one column per panel.

    Integer images (labels, uint8) are shown on 0..255; float images between their 0.5 and
    99.5 percentiles.

    Parameters
    ----------
    rows : list of (str, list of (str, ndarray))
        Specimen name and its (title, image) panels.
    path : Path
        The PNG file.

    Returns
    -------
    Path
    """
    n_rows, n_cols = len(rows), max(len(panels) for _, panels in rows)
    fig, axes = figure((2.6 * n_cols, 2.2 * n_rows), n_rows, n_cols, squeeze=False)
    for ax_row, (name, panels) in zip(axes, rows, strict=True):
        for ax, (title, image) in zip(ax_row, panels, strict=False):
            image = np.asarray(image)
            if np.issubdtype(image.dtype, np.integer):
                lo, hi = 0, 255
            else:
                lo, hi = np.percentile(image, (0.5, 99.5))
            ax.imshow(image, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
            ax.set_title(f"{name}: {title}", fontsize=7)
        for ax in ax_row:
            ax.axis("off")
    return save_figure(fig, path, dpi=90)
