"""Scoring a folder written by ``thermodefect detect`` against ground-truth label images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path

__all__ = [
    "evaluate_folder",
]


def evaluate_folder(pred_dir: Path, gt_dir: Path) -> tuple[list[str], str]:
    """Score every ``{name}_mask.png`` of a detect folder against ``{name}_label.png``.

    Ground truth is looked up in ``gt_dir`` and ``gt_dir/labels``. Writes
    ``pred_dir/evaluation.csv`` (one row per sequence: IoU, F1, precision, recall, AP when a
    ``{name}_prob.png`` is there, hits, defects, false calls).

    Parameters
    ----------
    pred_dir : Path
        A folder written by ``thermodefect detect``.
    gt_dir : Path
        Labels in the seed's convention (black = defect).

    Returns
    -------
    problems : list of str
        One-line messages for masks without or with unreadable ground truth.
    summary : str
        Mean scores over the sequences scored.

    Raises
    ------
    ThermodefectError
        When either is not a folder or ``pred_dir`` holds no masks.
    """
    from thermodefect.evaluate.matching import match_defects
    from thermodefect.evaluate.metrics import average_precision, pixel_scores
    from thermodefect.io.images import read_grey
    from thermodefect.io.masks import read_label_png

    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    for d in (pred_dir, gt_dir):
        if not d.is_dir():
            raise ThermodefectError("not a folder", d)
    masks = sorted(pred_dir.glob("*_mask.png"))
    if not masks:
        raise ThermodefectError("holds no {name}_mask.png files from thermodefect detect", pred_dir)
    problems: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for path in masks:
        name = path.name[: -len("_mask.png")]
        label = next(
            (
                p
                for p in (gt_dir / f"{name}_label.png", gt_dir / "labels" / f"{name}_label.png")
                if p.is_file()
            ),
            None,
        )
        if label is None:
            problems.append(
                f"{path}: no ground truth {name}_label.png in {gt_dir} or {gt_dir / 'labels'}"
            )
            continue
        try:
            pred = read_grey(path) > 127
            truth = read_label_png(label, pred.shape)
            prob = pred_dir / f"{name}_prob.png"
            scores = read_grey(prob).astype(float) if prob.is_file() else None
        except ThermodefectError as exc:
            problems.append(str(exc))
            continue
        s = pixel_scores(pred, truth)
        m = match_defects(pred, truth)
        ap = None if scores is None else average_precision(scores, truth)
        rows.append(
            (
                name,
                s.iou,
                s.dice,
                s.precision,
                s.recall,
                ap,
                int(m.hits.sum()),
                m.n_defects,
                m.false_calls,
            )
        )
    header = "name,iou,f1,precision,recall,ap,hits,defects,false_calls"
    if rows:

        def cell(v):
            return "" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))

        with atomic_path(pred_dir / "evaluation.csv") as tmp:
            tmp.write_text(header + "\n" + "".join(",".join(map(cell, r)) + "\n" for r in rows))
    if not rows:
        return problems, "nothing scored"
    iou = np.mean([r[1] for r in rows])
    f1 = np.mean([r[2] for r in rows])
    hits, total, false = (sum(r[i] for r in rows) for i in (6, 7, 8))
    summary = (
        f"{len(rows)} sequences: mean IoU {iou:.3f}, mean F1 {f1:.3f}, defects hit {hits}/{total}, "
        f"false calls {false} ({false / len(rows):.2f} per sequence); per sequence in "
        f"{pred_dir / 'evaluation.csv'}"
    )
    return problems, summary
