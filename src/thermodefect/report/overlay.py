"""The annotated overlay: a thermogram with each detected region outlined and numbered.

Drawn with Pillow, pixel for pixel (enlarged by a whole factor for small images): no figure
margins, no matplotlib start-up. Found regions are outlined in red and numbered with their
size; the ground truth, when known, is outlined in cyan; a strip above the image says what
is shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.detect.regions import Region

__all__ = [
    "FOUND",
    "TRUTH",
    "overlay",
]

FOUND = (255, 48, 48)
TRUTH = (0, 220, 255)
LABEL = (255, 208, 0)
MIN_SIDE = 480  # pixels: small images are enlarged by a whole factor to at least this


def _outline(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` with a 4-neighbour outside it."""
    padded = np.pad(mask, 1)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~inner


def overlay(
    base: np.ndarray,
    mask: np.ndarray,
    regions: list[Region],
    path: Path,
    *,
    title: str = "",
    truth: np.ndarray | None = None,
) -> Path:
    """PNG of ``base`` (grey) with each region outlined and labelled with its id and size.

    Parameters
    ----------
    base : (H, W) array_like
        The image drawn underneath, e.g. a thermogram; stretched between its 0.5 and 99.5
        percentiles.
    mask : (H, W) array_like of bool
        Found defect pixels, outlined in red.
    regions : list of Region
        Numbered in yellow at their top left corner, inside the image.
    path : Path
        The PNG file (written atomically).
    title : str
        Text of the strip above the image (default: the number of defects).
    truth : (H, W) array_like of bool, optional
        Ground truth, outlined in cyan.

    Returns
    -------
    Path
    """
    from PIL import Image, ImageDraw, ImageFont

    from thermodefect.io.images import stretch, write_png

    base = np.asarray(base, np.float64)
    h, w = base.shape
    scale = max(1, int(np.ceil(MIN_SIDE / max(h, w))))
    grey = np.repeat(np.repeat(stretch(base), scale, axis=0), scale, axis=1)
    rgb = np.stack([grey] * 3, axis=-1)
    for layer, colour in ((truth, TRUTH), (mask, FOUND)):
        if layer is None:
            continue
        edge = _outline(np.asarray(layer, bool))
        big = np.repeat(np.repeat(edge, scale, axis=0), scale, axis=1)
        rgb[big] = colour
    size = 12 if scale * max(h, w) < 700 else 14
    font = ImageFont.load_default(size=size)
    strip = size + 10
    canvas = Image.new("RGB", (w * scale, h * scale + strip), (255, 255, 255))
    canvas.paste(Image.fromarray(rgb), (0, strip))
    draw = ImageDraw.Draw(canvas)
    legend = "red: found" + (", cyan: ground truth" if truth is not None else "")
    draw.text((4, 4), f"{title or f'{len(regions)} defect(s)'}   ({legend})", fill=(0, 0, 0),
              font=font)  # fmt: skip
    for r in regions:
        text = f"{r.id}: {r.diameter_mm:.1f} mm" if r.diameter_mm is not None else str(r.id)
        x0, _, x1, y1 = draw.textbbox((0, 0), text, font=font)
        x = int(np.clip(r.left * scale, 0, w * scale - (x1 - x0) - 2))
        y = int(np.clip(r.top * scale - y1 - 6, 0, h * scale - y1 - 4)) + strip
        draw.rectangle([x, y, x + x1 - x0 + 2, y + y1 + 2], fill=(0, 0, 0))
        draw.text((x + 1, y), text, fill=LABEL, font=font)
    write_png(np.asarray(canvas), path)
    return Path(path)
