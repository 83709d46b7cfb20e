"""The files of one detection: mask, feature or probability image, overlay and defect table."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.detect.regions import Detection

__all__ = [
    "write_detection",
]


def write_detection(result: Detection, out: Path, name: str) -> list[Path]:
    """Write the files of one detection into ``out``.

    ``{name}_mask.png`` (255 = defect), ``{name}_prob.png`` (the feature, 0-255 for z 0..2
    z_min, or the probability 0..1), ``{name}_overlay.png`` and ``{name}_defects.csv`` /
    ``.json``.

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
        The mask, probability, overlay and CSV files.
    """
    from thermodefect.detect.regions import write_table
    from thermodefect.io.images import write_png
    from thermodefect.report.overlay import overlay

    out = Path(out)
    write_png((result.mask * 255).astype(np.uint8), out / f"{name}_mask.png")
    scaled = np.clip(result.feature / result.feature_max, 0, 1)
    write_png(np.round(scaled * 255).astype(np.uint8), out / f"{name}_prob.png")
    overlay(result.feature, result.mask, result.regions, out / f"{name}_overlay.png",
            title=f"{name}: {result.method}, {len(result.regions)} defect(s)")  # fmt: skip
    write_table(result.regions, out / f"{name}_defects.csv", out / f"{name}_defects.json")
    return [out / f"{name}_{s}" for s in ("mask.png", "prob.png", "overlay.png", "defects.csv")]
