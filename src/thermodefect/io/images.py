"""Writing arrays as images: contrast stretching, resizing and safe PNG output."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError


def stretch(image: np.ndarray, percentiles: tuple[float, float] = (0.5, 99.5)) -> np.ndarray:
    """Map ``image`` (H, W) to uint8, clipping at the given percentiles; a flat image gives 0."""
    img = np.asarray(image, dtype=np.float64)
    lo, hi = np.percentile(img, percentiles)
    if not np.isfinite(lo) or not np.isfinite(hi):
        raise ThermodefectError("cannot display an image holding NaN or inf")
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    return np.round(np.clip((img - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)


def resize_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a uint8 image to (H, W) with area averaging (down) or bicubic (up)."""
    from PIL import Image

    h, w = size
    down = h <= image.shape[0] and w <= image.shape[1]
    resample = Image.Resampling.BOX if down else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(image).resize((w, h), resample=resample))


def write_png(image: np.ndarray, path: str | Path) -> None:
    """Write a uint8 image (H, W) or (H, W, 3|4) atomically: no partial file on failure."""
    from PIL import Image

    from thermodefect.io.files import atomic_path

    with atomic_path(Path(path)) as tmp:
        Image.fromarray(np.ascontiguousarray(image)).save(tmp, format="PNG")


def figure(figsize: tuple[float, float], rows: int = 1, cols: int = 1, **subplots):
    """A matplotlib figure and its axes, outside pyplot: no backend is chosen and nothing
    global changes, so library code can draw safely in any program.

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.
    rows, cols : int
        Grid of axes, as :meth:`matplotlib.figure.Figure.subplots` makes it.
    **subplots
        Passed on to :meth:`~matplotlib.figure.Figure.subplots` (``squeeze``, ...).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or array of Axes
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(rows, cols, **subplots)


def save_figure(fig, path: str | Path, *, dpi: float = 100) -> Path:
    """Write a figure as PNG atomically (no partial file on failure).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        The PNG file to write.
    dpi : float
        Resolution in dots per inch.

    Returns
    -------
    Path
    """
    from thermodefect.io.files import atomic_path

    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return Path(path)
