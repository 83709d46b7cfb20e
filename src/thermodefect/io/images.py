"""Writing arrays as images: contrast stretching, resizing and safe PNG output."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "figure",
    "read_grey",
    "resize_uint8",
    "save_figure",
    "stretch",
    "write_png",
]


def stretch(image: np.ndarray, percentiles: tuple[float, float] = (0.5, 99.5)) -> np.ndarray:
    """Map an image to uint8, clipping at the given percentiles; a flat image gives 0.

    Parameters
    ----------
    image : (H, W) array_like
        Any real values.
    percentiles : (float, float)
        Low and high percentiles mapped to 0 and 255.

    Returns
    -------
    (H, W) ndarray of uint8

    Raises
    ------
    ThermodefectError
        When the image holds NaN or infinity.
    """
    img = np.asarray(image, dtype=np.float64)
    lo, hi = np.percentile(img, percentiles)
    if not np.isfinite(lo) or not np.isfinite(hi):
        raise ThermodefectError("cannot display an image holding NaN or inf")
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    return np.round(np.clip((img - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)


def read_grey(path: str | Path) -> np.ndarray:
    """Read an image file as grey levels.

    Parameters
    ----------
    path : str or Path
        A PNG (or any image Pillow reads); colour is converted to luminance.

    Returns
    -------
    (H, W) ndarray of uint8

    Raises
    ------
    ThermodefectError
        When the file is not a readable image (damaged, truncated, another format).
    """
    from PIL import Image, UnidentifiedImageError

    from thermodefect.errors import short

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, AttributeError, SyntaxError) as exc:
        raise ThermodefectError(f"cannot read as an image ({short(exc)})", path) from exc


def resize_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a uint8 image with area averaging (down) or bicubic interpolation (up).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        The image.
    size : (int, int)
        The new (H, W).

    Returns
    -------
    ndarray of uint8
        Of shape ``size``.
    """
    from PIL import Image

    h, w = size
    down = h <= image.shape[0] and w <= image.shape[1]
    resample = Image.Resampling.BOX if down else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(image).resize((w, h), resample=resample))


def write_png(image: np.ndarray, path: str | Path) -> None:
    """Write a uint8 image atomically: no partial file on failure.

    Parameters
    ----------
    image : (H, W) or (H, W, 3 or 4) ndarray of uint8
        Grey, RGB or RGBA.
    path : str or Path
        The PNG file; its folder is created when missing.
    """
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
        The figure, e.g. from :func:`figure`.
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
