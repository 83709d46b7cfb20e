"""How well annotators agree: one row of scores per sequence, and the Markdown summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = [
    "agreement_report",
]


def agreement_report(rows: list[dict], dirs: list[Path], method: str) -> str:
    """The Markdown summary of annotator agreement: each annotator's mean STAPLE sensitivity and
    specificity, mean Fleiss' kappa and Dice, and the five sequences of least agreement.

    Parameters
    ----------
    rows : list of dict
        One row per sequence as :func:`thermodefect.labels.fuse_folders` collects them.
    dirs : list of Path
        The annotators' folders, in the order of the rows' indices.
    method : str
        How the masks were fused.

    Returns
    -------
    str
    """
    if not rows:
        return "No sequence could be fused.\n"
    n = len(dirs)
    lines = [
        f"# Annotator agreement ({len(rows)} sequences, {n} annotators, fused by {method})",
        "",
        "| annotator | folder | mean STAPLE sensitivity | mean STAPLE specificity |",
        "| --- | --- | --- | --- |",
    ]
    for i, d in enumerate(dirs, start=1):
        sens = np.mean([r[f"sensitivity_{i}"] for r in rows])
        spec = np.mean([r[f"specificity_{i}"] for r in rows])
        lines.append(f"| {i} | {d} | {sens:.3f} | {spec:.4f} |")
    kappa = np.mean([r["fleiss_kappa"] for r in rows])
    mean_dice = np.mean([r["mean_dice"] for r in rows])
    lines += [
        "",
        f"Mean Fleiss' kappa {kappa:.3f}; mean pairwise Dice {mean_dice:.3f}.",
        "",
        "Least agreement (lowest kappa first):",
        "",
        "| sequence | Fleiss' kappa | mean pairwise Dice |",
        "| --- | --- | --- |",
    ]
    for r in sorted(rows, key=lambda r: r["fleiss_kappa"])[:5]:
        lines.append(f"| {r['sequence']} | {r['fleiss_kappa']:.3f} | {r['mean_dice']:.3f} |")
    return "\n".join(lines) + "\n"
