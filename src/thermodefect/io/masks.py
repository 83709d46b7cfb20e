"""Ground-truth masks in the seed's PNG convention: black = defect, white = sound."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "ASPECT_TOLERANCE",
    "LABEL_SUFFIX",
    "find_label",
    "fit_mask",
    "read_label_png",
    "resize_nearest",
    "write_label_png",
    "write_mask",
]

ASPECT_TOLERANCE = 0.02
LABEL_SUFFIX = "_label.png"


def read_label_png(path: str | Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a label image (RGB or grey, any size) as a bool mask, True = defect.

    Pixels darker than half of full scale are defect, except in an image holding only the
    values 0 and 1, which is a 0/1 mask (1 = defect; all zero = no defect, as
    ``labels convert --format binary`` writes them).

    Parameters
    ----------
    path : str or Path
        The PNG (or any image Pillow reads).
    shape : (int, int), optional
        Resize to (H, W) by nearest neighbour; an aspect ratio more than 2% off is an error.

    Returns
    -------
    ndarray of bool

    Raises
    ------
    ThermodefectError
        If the file is not a readable image, or its aspect ratio does not match ``shape``.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as im:
            grey = np.asarray(im.convert("L"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as exc:
        raise ThermodefectError(f"cannot read as an image ({exc})", path) from exc
    mask = grey == 1 if grey.max() <= 1 else grey < 128
    return fit_mask(mask, shape, path)


def fit_mask(mask: np.ndarray, shape: tuple[int, int] | None, path=None) -> np.ndarray:
    """Resize ``mask`` to ``shape`` by nearest neighbour, refusing to change its aspect.

    Parameters
    ----------
    mask : (h, w) ndarray
        The mask as read.
    shape : (int, int) or None
        The wanted (H, W); ``None`` keeps the mask as it is.
    path : str or Path, optional
        The file the mask came from, for the message.

    Returns
    -------
    (H, W) ndarray

    Raises
    ------
    ThermodefectError
        If the aspect ratios differ by more than 2%.
    """
    if shape is None or tuple(shape) == mask.shape:
        return mask
    h, w = mask.shape
    ratio_found, ratio_wanted = w / h, shape[1] / shape[0]
    if abs(ratio_found / ratio_wanted - 1) > ASPECT_TOLERANCE:
        raise ThermodefectError(
            f"label is {h}x{w} (aspect {ratio_found:.3f}) but the sequence is "
            f"{shape[0]}x{shape[1]} (aspect {ratio_wanted:.3f}); refusing to stretch it",
            path,
        )
    return resize_nearest(mask, shape)


def resize_nearest(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a 2-D array by nearest neighbour (sampling at pixel centres).

    Parameters
    ----------
    mask : (h, w) ndarray
        Any dtype.
    shape : (int, int)
        The new (H, W).

    Returns
    -------
    (H, W) ndarray
    """
    h, w = mask.shape
    rows = np.minimum(((np.arange(shape[0]) + 0.5) * h / shape[0]).astype(int), h - 1)
    cols = np.minimum(((np.arange(shape[1]) + 0.5) * w / shape[1]).astype(int), w - 1)
    return mask[np.ix_(rows, cols)]


def write_label_png(mask: np.ndarray, path: str | Path) -> None:
    """Write a bool mask as a grey PNG: 0 (black) = defect, 255 (white) = sound.

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        True = defect.
    path : str or Path
        The PNG to write.
    """
    from thermodefect.io.images import write_png

    write_png(np.where(mask, 0, 255).astype(np.uint8), path)


def find_label(sequence_path: str | Path) -> Path | None:
    """The seed-layout label of a sequence file: ``labels/{name}_label.png`` or beside it.

    Parameters
    ----------
    sequence_path : str or Path
        ``DIR/NAME.ext``.

    Returns
    -------
    Path or None
        ``DIR/labels/NAME_label.png`` or ``DIR/NAME_label.png``, whichever exists first.
    """
    p = Path(sequence_path)
    for candidate in (
        p.parent / "labels" / f"{p.stem}_label.png",
        p.with_name(f"{p.stem}_label.png"),
    ):
        if candidate.is_file():
            return candidate
    return None


def write_mask(mask: np.ndarray, path: Path, fmt: str = "seed") -> None:
    """Write a mask as ``seed`` (0 black = defect, 255 white = sound) or ``binary`` (1 = defect).

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        True = defect.
    path : Path
        The PNG to write.
    fmt : {'seed', 'binary'}
        Pixel values: the seed's black-on-white, or 0/1.

    Raises
    ------
    ThermodefectError
        For another format.
    """
    from thermodefect.io.images import write_png
    from thermodefect.io.masks import write_label_png

    if fmt == "seed":
        write_label_png(mask, path)
    elif fmt == "binary":
        write_png(mask.astype(np.uint8), path)
    else:
        raise ThermodefectError(f"mask format must be 'seed' or 'binary', got {fmt!r}")
