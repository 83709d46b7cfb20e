"""How the significance level of the classical decision trades hits against false calls.

Every sequence of each dataset is prepared once and each method's feature image computed once;
the decision (:func:`thermodefect.detect.classical.mask_of`: the level, the opening and area
floor, halo trim, faint regions, surface marks) then runs at each level of ``--levels``
(``--no-faint`` leaves the faint regions out). Scored per group
(the family in a ``wide`` dataset, else the dataset): mean IoU, hits at d/z >= 2 (a region
covering 20 % of the defect), false calls on sound plates, false calls per defective plate,
median |found / true equivalent diameter - 1|.

    thermodefect simulate wide --preset wide --n 135 --seed 2026
    thermodefect simulate null --preset wide-sound --n 60 --seed 77
    python benchmarks/decision_level.py wide null check demo_out/data --out runs/level
    # about 15 min on the 2-core CPU

Writes OUT/summary.md (one table per method) and OUT/summary.json.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from thermodefect.benchmark.truth import defect_truth
from thermodefect.detect.classical import mask_of, prepare
from thermodefect.detect.features import features
from thermodefect.evaluate.matching import match_footprints
from thermodefect.evaluate.metrics import pixel_scores
from thermodefect.io import load
from thermodefect.methods import METHODS
from thermodefect.simulate.dataset import read_manifest


def _score(mask, feet, ratio, cell):
    truth = np.any(feet, axis=0) if feet else np.zeros(mask.shape, bool)
    cell["iou"].append(pixel_scores(mask, truth).iou)
    match = match_footprints(mask, feet)
    big = np.asarray(ratio) >= 2
    cell["hits"] += int(match.hits[big].sum()) if feet else 0
    cell["n"] += int(big.sum()) if feet else 0
    cell["false_sound" if not feet else "false_defective"].append(match.false_calls)
    cell["size"] += np.abs(match.diameter_ratio[match.hits] - 1).tolist()


def measure(datasets, methods, levels, split, faint=True):
    """cells[method][level][group] -> lists and counts, every dataset read once."""
    cells = defaultdict(lambda: defaultdict(lambda: defaultdict(
        lambda: {"iou": [], "hits": 0, "n": 0, "false_sound": [], "false_defective": [],
                 "size": []})))  # fmt: skip
    for data in datasets:
        for row in read_manifest(data):
            if split != "all" and row["split"] != split:
                continue
            cooling = prepare(load(data / f"{row['name']}.mat"))
            group = row.get("family") or data.name
            feet, ratio = defect_truth(data, row["name"], cooling.image_shape)
            for method in methods:
                image, blurred = features(cooling, method)
                for level in levels:
                    mask = mask_of(image, cooling, faint=blurred if faint else None, z_min=level)
                    _score(mask, list(feet), ratio, cells[method][level][group])
            print(data.name, row["name"], flush=True)
    return cells


def summarise(cells):
    """Per method, level and group: IoU, hits, false calls, diameter error."""
    out = {}
    for method, by_level in cells.items():
        for level, groups in by_level.items():
            for group, c in groups.items():
                out.setdefault(method, {}).setdefault(str(level), {})[group] = {
                    "iou": float(np.mean(c["iou"])),
                    "hits": c["hits"],
                    "defects": c["n"],
                    "false_sound": int(np.sum(c["false_sound"])),
                    "sound_plates": len(c["false_sound"]),
                    "false_per_defective": float(np.mean(c["false_defective"]))
                    if c["false_defective"] else None,
                    "diameter_error": float(np.median(c["size"])) if c["size"] else None,
                }  # fmt: skip
    return out


def _totals(cells):
    """Mean IoU over the groups with defects, their hits, and false calls on every sound plate."""
    defective = [c for c in cells.values() if c["defects"]]
    return (
        f"{np.mean([c['iou'] for c in defective]):.3f}" if defective else "-",
        f"{sum(c['hits'] for c in defective)}/{sum(c['defects'] for c in defective)}",
        f"{sum(c['false_sound'] for c in cells.values())}/"
        f"{sum(c['sound_plates'] for c in cells.values())}",
    )


def markdown(summary):
    """One table per method: a row per level, a column per group, then the totals."""
    lines = []
    for method, by_level in summary.items():
        groups = list(next(iter(by_level.values())))
        head = [*groups, "mean IoU (groups with defects)", "hits d/z >= 2", "false / sound plates"]
        lines += [f"## {method}", "", "| level | " + " | ".join(head) + " |",
                  "| --- |" + " --- |" * len(head)]  # fmt: skip
        for level, cells in by_level.items():
            row = []
            for g in groups:
                c = cells[g]
                hits = f"{c['hits']}/{c['defects']}" if c["defects"] else "-"
                row.append(f"{c['iou']:.2f}, {hits}, {c['false_sound']}/{c['sound_plates']}")
            lines.append(f"| z {level} | " + " | ".join([*row, *_totals(cells)]) + " |")
        lines.append("")
    lines.append("Each cell: mean IoU, hits at d/z >= 2, false calls / sound plates.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datasets", nargs="+", type=Path, help="dataset folders")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--methods", nargs="+", default=list(METHODS))
    ap.add_argument("--levels", nargs="+", type=float, default=[6.0, 5.0, 4.0])
    ap.add_argument("--split", default="all")
    ap.add_argument("--no-faint", action="store_true", help="leave the faint regions out")
    args = ap.parse_args(argv)
    summary = summarise(
        measure(args.datasets, args.methods, args.levels, args.split, faint=not args.no_faint)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    (args.out / "summary.md").write_text(markdown(summary))
    print(f"wrote {args.out / 'summary.md'}")


if __name__ == "__main__":
    main()
