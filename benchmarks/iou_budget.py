"""Where a detector's IoU goes: the outlines of the defects it hits, the defects it misses,
and its false calls.

Each plate's mask is scored as it is and again with one thing mended at a time: its false
calls removed (regions touching no defect), its hits drawn exactly (each region touching a
defect replaced by the footprints of the defects it hits), both, and every defect drawn
exactly with the false calls kept (the ceiling recall allows). Mean IoU per group (the family
of a ``wide`` dataset, else the dataset), and the defects missed at d/z < 2 and >= 2.

    python benchmarks/iou_budget.py wide check demo_out/data --method pct
    # about 8 min on the 2-core CPU

Prints a markdown table.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from thermodefect.benchmark.truth import defect_truth
from thermodefect.detect.classical import detect
from thermodefect.evaluate.matching import match_footprints
from thermodefect.evaluate.metrics import pixel_scores
from thermodefect.io import load
from thermodefect.simulate.dataset import read_manifest

MENDED = ("as found", "no false calls", "hits drawn exactly", "both", "every defect drawn exactly")


def budget(mask: np.ndarray, feet: list, truth: np.ndarray, hits: np.ndarray) -> dict[str, float]:
    """IoU of ``mask`` against ``truth`` as found and with each thing of :data:`MENDED` mended;
    ``hits`` says which of the defects ``feet`` it hit."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    touching = np.zeros(n + 1, bool)
    touching[np.unique(labels[truth & mask])] = True
    touching[0] = True
    false = ~touching[labels]
    drawn = np.zeros(mask.shape, bool)
    for foot, hit in zip(feet, hits, strict=True):
        drawn |= foot & hit
    masks = (mask, mask & ~false, false | drawn, drawn, false | truth)
    return {name: pixel_scores(m, truth).iou for name, m in zip(MENDED, masks, strict=True)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datasets", nargs="+", type=Path, help="dataset folders")
    ap.add_argument("--method", default="pct")
    args = ap.parse_args(argv)
    scores: dict = defaultdict(lambda: defaultdict(list))
    missed: dict = defaultdict(lambda: np.zeros((2, 2), int))  # [d/z >= 2][missed, of]
    for data in args.datasets:
        for row in read_manifest(data):
            seq = load(data / f"{row['name']}.mat")
            mask = detect(seq, args.method).mask
            feet, ratio = defect_truth(data, row["name"], mask.shape)
            feet = list(feet)
            truth = np.any(feet, axis=0) if feet else np.zeros(mask.shape, bool)
            group = row.get("family") or data.name
            hits = match_footprints(mask, feet).hits if feet else np.zeros(0, bool)
            for name, iou in budget(mask, feet, truth, hits).items():
                scores[group][name].append(iou)
            if feet:
                for big in (False, True):
                    pick = (np.asarray(ratio) >= 2) == big
                    missed[group][int(big)] += [int((~hits[pick]).sum()), int(pick.sum())]
    print(f"| group | {' | '.join(MENDED)} | missed d/z < 2 | missed d/z >= 2 |")
    print("| --- |" + " --- |" * (len(MENDED) + 2))
    for group, by_name in scores.items():
        cells = [f"{np.mean(by_name[name]):.3f}" for name in MENDED]
        small, big = (f"{m}/{n}" for m, n in missed[group])
        print(f"| {group} | {' | '.join(cells)} | {small} | {big} |")


if __name__ == "__main__":
    main()
