"""The classical-method benchmark over a simulated dataset, and scoring of detection folders."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io._common import atomic_path


def read_manifest(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / "manifest.csv"
    if not path.is_file():
        raise ThermodefectError(
            "no manifest.csv: not a dataset written by thermodefect simulate", data_dir
        )
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def defect_truth(
    data_dir: Path, name: str, shape: tuple[int, int]
) -> tuple[list, np.ndarray, np.ndarray]:
    """Each defect's footprint and its equivalent-diameter / depth ratio, from the specimen's
    JSON (the spec rebuilt, so that overlapping defects stay separate)."""
    from thermodefect.simulate import from_dict

    doc = json.loads((Path(data_dir) / f"{name}.json").read_text())
    spec = from_dict(doc)
    pitch = spec.camera.pixel_pitch_mm
    feet = [d.footprint(shape, pitch) for d in spec.plate.defects]
    truth = doc["ground_truth"]["defects"]
    diam = np.array([t["equivalent_diameter_mm"] for t in truth])
    depth = np.array([t["simulated_depth_mm"] for t in truth])
    return feet, diam / np.maximum(depth, 1e-9)


def _detectors(methods, models, device: str, decisions: dict) -> tuple[dict, list[str]]:
    """label -> (function(seq, prepared) -> Detection, needs the classical preparation), and
    one Markdown table row per network (parameters, training)."""
    from thermodefect.detect import detect

    out = {}
    for m in _methods(methods, models):
        rule = decisions.get(m, "significance")
        label = m if rule == "significance" else f"{m} ({rule})"

        def run(seq, cooling, m=m, rule=rule):
            return detect(seq, m, decision=rule, prepared=cooling)

        out[label] = (run, True)
    networks = []
    if models:
        from thermodefect.nn.detect import detect_with_model, load_model
        from thermodefect.nn.models import count_parameters

        for path in models:
            ckpt = load_model(None if path == "default" else Path(path), device)
            label = ckpt.model_name
            if label in out:  # two checkpoints of one network: tell them apart by file
                label = f"{label} ({'built-in' if path == 'default' else path})"
            out[label] = ((lambda seq, _, c=ckpt: detect_with_model(seq, c, device=device)), False)
            info = ckpt.info
            seconds = info.get("training_seconds")
            networks.append(
                f"| {label} | {count_parameters(ckpt.model):,} | {info.get('data', '?')} | "
                f"{'?' if seconds is None else f'{seconds / 60:.1f}'} | "
                f"{info.get('device', '?')} | {info.get('best_epoch', '?')} | "
                f"{_cell(info.get('val_iou'))} | {ckpt.threshold:.2f} |"
            )
    return out, networks


def _methods(methods, models) -> list[str]:
    from thermodefect.detect import FEATURES

    methods = list(FEATURES) if methods is None and not models else list(methods or [])
    unknown = [m for m in methods if m not in FEATURES]
    if unknown:
        raise ThermodefectError(
            f"unknown method(s) {', '.join(unknown)}; methods: {', '.join(FEATURES)}"
        )
    return methods


def tune_decisions(data_dir: Path, methods: list[str], rules, *, quiet: bool = True) -> dict:
    """Per method, the decision rule with the best mean IoU on the ``val`` split."""
    from tqdm import tqdm

    from thermodefect.detect import DECISIONS, detect, prepare
    from thermodefect.evaluate import pixel_scores
    from thermodefect.io import load

    bad = [r for r in rules if r not in DECISIONS]
    if bad:
        raise ThermodefectError(
            f"unknown decision(s) {', '.join(bad)}; rules: {', '.join(DECISIONS)}"
        )
    rows = [r for r in read_manifest(data_dir) if r["split"] == "val"]
    if not rows:
        raise ThermodefectError(
            "no val specimens to choose decisions on", Path(data_dir) / "manifest.csv"
        )
    iou = {(m, r): [] for m in methods for r in rules}
    for row in tqdm(rows, desc="choosing decisions (val)", unit="specimen", disable=quiet):
        seq = load(Path(data_dir) / f"{row['name']}.mat")
        cooling = prepare(seq)
        for m in methods:
            for r in rules:
                found = detect(seq, m, decision=r, prepared=cooling)
                iou[m, r].append(pixel_scores(found.mask, seq.mask).iou)
    return {m: max(rules, key=lambda r, m=m: np.mean(iou[m, r])) for m in methods}


def run_benchmark(
    data_dir: Path,
    out: Path,
    *,
    methods=None,
    models=(),
    split: str = "test",
    device: str = "cpu",
    decisions=("significance",),
    quiet: bool = False,
) -> str:
    """Score classical methods (all by default) and trained models (checkpoint paths, or
    ``"default"`` for the packaged one) on the split; write results.md/.csv, pod.png and
    example overlays. Returns the Markdown table.

    With several ``decisions`` (rules of :func:`thermodefect.detect.decide`), each method uses
    the one with the best IoU on the validation split (:func:`tune_decisions`).
    """
    from tqdm import tqdm

    from thermodefect.detect import prepare, write_detection
    from thermodefect.evaluate import average_precision, match_footprints, pixel_scores
    from thermodefect.io import load

    chosen = {}
    if len(decisions) > 1:
        chosen = tune_decisions(data_dir, _methods(methods, models), decisions, quiet=quiet)
    elif decisions:
        chosen = {m: decisions[0] for m in _methods(methods, models)}
    detectors, networks = _detectors(methods, models, device, chosen)
    rows = [r for r in read_manifest(data_dir) if split == "all" or r["split"] == split]
    if not rows:
        raise ThermodefectError(f"no specimens in split {split!r}", Path(data_dir) / "manifest.csv")
    out = Path(out)
    keys = ("iou", "f1", "precision", "recall", "ap", "cnr", "hits", "ratio", "false", "seconds")
    stats = {m: {k: [] for k in keys} for m in detectors}
    classical = any(needs for _, needs in detectors.values())
    for i, row in enumerate(tqdm(rows, desc="benchmark", unit="specimen", disable=quiet)):
        seq = load(Path(data_dir) / f"{row['name']}.mat")
        feet, ratio = defect_truth(data_dir, row["name"], seq.image_shape)
        t0 = time.perf_counter()
        cooling = prepare(seq) if classical else None
        preparing = time.perf_counter() - t0  # counted in every classical method's time
        for m, (run, needs_prep) in detectors.items():
            t0 = time.perf_counter()
            found = run(seq, cooling)
            seconds = (preparing if needs_prep else 0.0) + time.perf_counter() - t0
            s = stats[m]
            scores = pixel_scores(found.mask, seq.mask)
            for key in ("iou", "f1", "precision", "recall"):
                s[key].append(getattr(scores, key))
            ap = average_precision(found.feature, seq.mask)
            if ap is not None:
                s["ap"].append(ap)
            s["cnr"] += _defect_cnr(found.feature, feet)
            match = match_footprints(found.mask, feet)
            s["hits"] += match.hits.tolist()
            s["ratio"] += ratio.tolist()
            s["false"].append(match.false_calls)
            s["seconds"].append(seconds)
            if i < 2:
                tag = m.split(" ")[0]
                write_detection(found, out / "examples", f"{row['name']}_{tag}")
    return _write_results(stats, out, data_dir, split, len(rows), networks)


def _defect_cnr(feature: np.ndarray, feet: list) -> list[float]:
    """CNR of every defect in the feature image against the sound ring around it (other
    defects excluded from the ring)."""
    from thermodefect.evaluate import contrast_to_noise

    if not feet:
        return []
    sound = ~np.any(feet, axis=0)
    values = []
    for foot in feet:
        try:
            values.append(contrast_to_noise(feature, foot, sound=sound)["cnr"])
        except ThermodefectError:
            continue
    return [v for v in values if np.isfinite(v)]


def _pod(s: dict):
    from thermodefect.pod import fit_pod

    try:
        return fit_pod(s["ratio"], s["hits"]), ""
    except ThermodefectError as exc:
        return None, exc.problem


HEADER = (
    "method", "IoU", "F1", "precision", "recall", "AP", "CNR", "hits", "hits d/z >= 2",
    "false calls / specimen",
    "a50 (d/z)", "a90 (d/z)", "a90/95 (d/z)", "s / specimen",
)  # fmt: skip


def _record(method: str, s: dict, fit) -> dict:
    def mean(key):
        return float(np.mean(s[key])) if s[key] else None

    if fit is not None and fit.a90 > max(s["ratio"]):
        fit = None  # a90 beyond every tested defect: an extrapolation, not a result

    return {
        "method": method,
        "IoU": mean("iou"),
        "F1": mean("f1"),
        "precision": mean("precision"),
        "recall": mean("recall"),
        "AP": mean("ap"),
        "CNR": float(np.median(s["cnr"])) if s["cnr"] else None,
        "hits": f"{int(np.sum(s['hits']))}/{len(s['hits'])}",
        "hits d/z >= 2": _share(np.asarray(s["hits"])[np.asarray(s["ratio"]) >= 2]),
        "false calls / specimen": mean("false"),
        "a50 (d/z)": None if fit is None else fit.a50,
        "a90 (d/z)": None if fit is None else fit.a90,
        "a90/95 (d/z)": None if fit is None else fit.a90_95,
        "s / specimen": mean("seconds"),
    }


def _share(hits: np.ndarray) -> str:
    """``'k/n (p%)'`` of a hit array, or n/a when empty."""
    if hits.size == 0:
        return "n/a"
    return f"{int(hits.sum())}/{hits.size} ({100 * hits.mean():.0f}%)"


def _cell(value, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return value if isinstance(value, str) else f"{value:.{digits}f}"


NETWORK_HEADER = (
    "| network | parameters | trained on | training (min) | training device | best epoch "
    "| validation IoU | threshold |\n|" + " --- |" * 8
)


def _write_results(
    stats: dict, out: Path, data_dir: Path, split: str, n: int, networks: list[str]
) -> str:
    fits = {m: _pod(s) for m, s in stats.items()}
    records = [_record(m, s, fits[m][0]) for m, s in stats.items()]
    rows = ["| " + " | ".join(_cell(r[h]) for h in HEADER) + " |" for r in records]
    table = "\n".join(["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER), *rows])
    notes = [f"- {m}: {why}" for m, (fit, why) in fits.items() if fit is None]
    beyond = [
        m for m, (fit, _) in fits.items() if fit is not None and fit.a90 > max(stats[m]["ratio"])
    ]
    if beyond:
        notes.append(
            f"- {', '.join(beyond)}: the fitted a90 lies beyond the largest diameter/depth tested "
            f"({max(max(stats[m]['ratio']) for m in beyond):.1f}); reported as n/a"
        )
    unbounded = [
        m for m, (fit, _) in fits.items()
        if fit is not None and fit.a90_95 is None and m not in beyond
    ]  # fmt: skip
    if unbounded:
        notes.append(
            f"- {', '.join(unbounded)}: the 95% likelihood-ratio region is unbounded (too few "
            "misses near a90 to bound it), so a90/95 is n/a"
        )
    text = (
        f"# Methods on {Path(data_dir).name}, split {split} ({n} specimens)\n\n"
        f"{table}\n\n"
        "IoU, F1, precision, recall: per specimen, averaged (a sound plate called sound scores "
        "1). AP: area under the precision-recall curve of the feature (or probability) map. CNR: "
        "median over defects of |mean in the defect - mean around it| / std around it, in the "
        "feature image (robust z) or a model's probability map. Hits: defects "
        "found (a predicted region covering 20% of a defect or centred on it). POD: logit fit "
        "of hit against diameter/depth (d/z), a90/95 from the likelihood ratio.\n"
        + ("\n" + "\n".join(notes) + "\n" if notes else "")
        + (f"\n## Networks\n\n{NETWORK_HEADER}\n" + "\n".join(networks) + "\n" if networks else "")
    )
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "results.md") as tmp:
        tmp.write_text(text)
    with atomic_path(out / "results.csv") as tmp:
        lines = [",".join(HEADER)]
        lines += [",".join("" if r[h] is None else _cell(r[h], 4) for h in HEADER) for r in records]
        tmp.write_text("\n".join(lines) + "\n")
    _plot_pod({m: (fit, stats[m]) for m, (fit, _) in fits.items()}, out / "pod.png")
    return text


def _plot_pod(fits: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    palette = matplotlib.colormaps["tab20"]
    colours = [palette(i) for i in (*range(0, 20, 2), *range(1, 20, 2))]  # dark shades first
    for i, (m, (fit, s)) in enumerate(fits.items()):
        if fit is None:
            continue
        a = np.geomspace(min(s["ratio"]), max(s["ratio"]), 200)
        bound = "n/a" if fit.a90_95 is None else f"{fit.a90_95:.1f}"
        line = ax.semilogx(a, fit.pod(a), color=colours[i % 20], label=f"{m}: a90/95 = {bound}")
        ax.semilogx(a, fit.lower_bound(a), ":", color=line[0].get_color())
    ax.axhline(0.9, color="0.6", lw=0.8)
    ax.set(xlabel="defect diameter / depth", ylabel="probability of detection", ylim=(0, 1.02),
           title="POD (solid) and its 95% lower bound (dotted)")  # fmt: skip
    if any(fit is not None for fit, _ in fits.values()):
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no method's POD was estimable", ha="center", transform=ax.transAxes)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
