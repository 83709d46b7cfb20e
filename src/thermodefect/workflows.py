"""Folder-level workflows behind the CLI: the seed's PCA images and the built-in demo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.images import resize_uint8, stretch, write_png
from thermodefect.io._common import atomic_path

#: Suffixes scanned by folder workflows (plain ``.txt``/``.dat`` are left alone there).
FOLDER_SUFFIXES = (".mat", ".h5", ".hdf5", ".npy", ".npz", ".tif", ".tiff", ".csv")
#: Tables thermodefect writes into data folders, never sequences.
OUR_TABLES = ("manifest.csv", "explained_variance.csv", "agreement.csv")


def sequence_files(data_dir: Path) -> list[Path]:
    """Sequence files directly in ``data_dir``, sorted by name."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ThermodefectError("not a folder", data_dir)
    files = sorted(
        p
        for p in data_dir.iterdir()
        if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES and p.name not in OUR_TABLES
    )
    if not files:
        raise ThermodefectError(f"holds no sequence files ({', '.join(FOLDER_SUFFIXES)})", data_dir)
    return files


def pca_folder(
    data_dir: Path,
    out: Path,
    *,
    components: int = 4,
    size: tuple[int, int] | None = None,
    normalize: str = "center",
    load: Callable | None = None,
    quiet: bool = False,
) -> list[str]:
    """PCT images of every sequence in ``data_dir``: ``out/{name}_{i}.png``, i from 0.

    Like the seed's ``pca.py``: component ``i`` (0 = largest variance) of each file, grey and
    contrast-stretched (0.5-99.5 percentiles), optionally resized by area averaging. Also
    writes ``out/explained_variance.csv``. A file that fails is reported and skipped, and
    none of its images are written.

    Returns
    -------
    list of str
        One message per file that failed.
    """
    from tqdm import tqdm

    from thermodefect.io import load as default_load
    from thermodefect.methods import pct

    load = load or default_load
    files = sequence_files(data_dir)
    out = Path(out)
    failures, rows = [], []
    for path in tqdm(files, desc="pca", unit="file", disable=quiet):
        try:
            seq = load(path)
            result = pct(seq, components, normalize=normalize)
        except ThermodefectError as exc:
            failures.append(exc.naming(path))
            continue
        images = [stretch(c) for c in result.components]
        if size is not None:
            images = [resize_uint8(im, size) for im in images]
        for i, image in enumerate(images):
            write_png(image, out / f"{path.stem}_{i}.png")
        rows += [(path.name, i, float(r)) for i, r in enumerate(result.explained_variance_ratio)]
    if rows:
        with atomic_path(out / "explained_variance.csv") as tmp:
            tmp.write_text(
                "file,component,explained_variance_ratio\n"
                + "".join(f"{f},{i},{r:.6g}\n" for f, i, r in rows)
            )
    return failures


def demo(out: Path, *, quiet: bool = False, n: int = 4) -> None:
    """Simulate ``n`` CFRP plates with flat-bottom holes, run the PCA workflow, export frames,
    curves and an overview figure, benchmark every classical method and the built-in network
    on the plates, and say where everything is."""
    from thermodefect.io import load
    from thermodefect.methods import pct
    from thermodefect.preprocess import detect_flash
    from thermodefect.report import export_frames, overview
    from thermodefect.simulate.dataset import generate

    out = Path(out)
    data = out / "data"
    generate(data, "cfrp-fbh", n, seed=0, quiet=quiet)
    failures = pca_folder(data, out / "pca_imgs", components=4, quiet=quiet)
    if failures:
        raise ThermodefectError("; ".join(failures))
    rows = []
    for path in sequence_files(data):
        seq = load(path)
        comps = pct(seq, 3).components
        shown = min(seq.n_frames - 1, detect_flash(seq) + 8)
        panels = [(f"frame {shown}", seq.frames[shown])]
        panels += [(f"PCT {i}", c) for i, c in enumerate(comps)]
        panels.append(("label", np.where(seq.mask, 0, 255)))
        rows.append((path.stem, panels))
    export_frames(load(sequence_files(data)[0]), out / "frames")
    overview(rows, out / "overview.png")
    from thermodefect.benchmark import run_benchmark
    from thermodefect.detect import FEATURES

    table = run_benchmark(data, out / "benchmark", methods=list(FEATURES), models=["default"],
                          split="all", quiet=quiet)  # fmt: skip
    if not quiet:
        print("\n" + table.rstrip())
        print(
            f"\nDemo finished. Results in {out}/:\n"
            f"  {data}/   {n} simulated CFRP plates (.mat, seed layout), labels, specs\n"
            f"  {out / 'pca_imgs'}/   PCT images {{name}}_{{0..3}}.png and explained_variance.csv\n"
            f"  {out / 'frames'}/     frames and temperature curves of the first plate\n"
            f"  {out / 'overview.png'}  a frame, PCT images and the label of every plate\n"
            f"  {out / 'benchmark'}/  results.md/.csv (the table above), pod.png, examples/ "
            "(masks, overlays, defect tables of the first two plates for every method and the "
            "built-in network)"
        )


def labels_convert(
    json_dir: Path,
    out: Path,
    *,
    fmt: str = "seed",
    class_map: Path | None = None,
    line_width: int = 3,
    point_radius: float = 3.0,
    quiet: bool = False,
) -> tuple[list[str], list[str]]:
    """Every labelme JSON of ``json_dir`` to ``out/{stem}_label.png`` (and classes with a map).

    With a class map, ``out/{stem}_classes.png`` holds each pixel's class index (0 = sound,
    255 = a label missing from the map). A file with any problem is reported and not written;
    the others still are.

    Returns
    -------
    (problems, warnings) : lists of one-line messages
    """
    from tqdm import tqdm

    from thermodefect.labels import rasterize, read_class_map, write_mask

    json_dir = Path(json_dir)
    if not json_dir.is_dir():
        raise ThermodefectError("not a folder", json_dir)
    files = sorted(json_dir.glob("*.json"))
    if not files:
        raise ThermodefectError("holds no labelme .json files", json_dir)
    classes = None if class_map is None else read_class_map(class_map)
    problems, warnings = [], []
    for path in tqdm(files, desc="labels", unit="file", disable=quiet):
        try:
            ann = rasterize(path, classes, line_width=line_width, point_radius=point_radius)
        except ThermodefectError as exc:
            problems.append(str(exc))
            continue
        write_mask(ann.mask, Path(out) / f"{ann.name}_label.png", fmt)
        if classes is not None:
            write_png(ann.classes, Path(out) / f"{ann.name}_classes.png")
        if ann.unknown_labels:
            names = ", ".join(repr(n) for n in ann.unknown_labels)
            warnings.append(f"{path}: labels {names} are not in the class map; drawn as class 255")
    return problems, warnings


def labels_prepare(
    data_dir: Path,
    out: Path,
    *,
    components: int = 4,
    component: int = 1,
    tsr_images: bool = False,
    load: Callable | None = None,
    quiet: bool = False,
) -> list[str]:
    """PCT (and optionally TSR) images for annotators at the sequences' own resolution.

    Writes ``out/{name}.png`` (component ``component``, the one annotators label; labelme
    saves its JSON as ``{name}.json`` beside it) and ``out/{name}_pca{i}.png`` for
    i < ``components`` for reference. With ``tsr_images``, also ``out/{name}_tsr1.png`` and
    ``out/{name}_tsr2.png``: the first and second TSR log-derivatives (degree 5) at the frame
    where each varies most across the image. Returns one message per file that failed.
    """
    from tqdm import tqdm

    from thermodefect.io import load as default_load
    from thermodefect.methods import pct

    if not 0 <= component < components:
        raise ThermodefectError(f"--component must be in 0..{components - 1}, got {component}")
    load = load or default_load
    failures = []
    for path in tqdm(sequence_files(data_dir), desc="prepare", unit="file", disable=quiet):
        try:
            seq = load(path)
            images = [stretch(c) for c in pct(seq, components).components]
            if tsr_images:
                images += tsr_derivative_images(seq)
        except ThermodefectError as exc:
            failures.append(exc.naming(path))
            continue
        write_png(images[component], Path(out) / f"{path.stem}.png")
        for i, image in enumerate(images[:components]):
            write_png(image, Path(out) / f"{path.stem}_pca{i}.png")
        for order, image in enumerate(images[components:], start=1):
            write_png(image, Path(out) / f"{path.stem}_tsr{order}.png")
    return failures


def tsr_derivative_images(seq) -> list[np.ndarray]:
    """First and second TSR log-derivative images (uint8), each at its most varied frame."""
    from thermodefect.methods import tsr
    from thermodefect.preprocess import extract_cooling

    fit = tsr(extract_cooling(seq), 5)
    images = []
    for order in (1, 2):
        d = fit.derivative(order)
        spread = d.reshape(d.shape[0], -1).std(axis=1)
        images.append(stretch(d[int(np.argmax(spread))]))
    return images


def labels_fuse(
    annotator_dirs: list[Path], out: Path, *, method: str = "majority", fmt: str = "seed"
) -> tuple[list[str], str]:
    """Fuse the annotators' ``{name}_label.png`` per sequence and report their agreement.

    Writes ``out/{name}_label.png`` for every name all folders share, ``out/agreement.csv``
    (one row per sequence: pairwise Dice, mean Dice, Fleiss' kappa, each annotator's STAPLE
    sensitivity and specificity, fused defect fraction) and ``out/agreement.md`` (summary
    and the sequences with the least agreement).

    Returns
    -------
    (problems, summary) : one-line messages for names that could not be fused, and the text
    of ``agreement.md``.
    """
    from thermodefect.fusion import fleiss_kappa, majority, pairwise_dice, staple
    from thermodefect.labels import LABEL_SUFFIX, write_mask
    from thermodefect.masks import read_label_png

    if method not in ("majority", "staple"):
        raise ThermodefectError(f"fusion method must be 'majority' or 'staple', got {method!r}")
    dirs = [Path(d) for d in annotator_dirs]
    if len(dirs) < 2:
        raise ThermodefectError("fusing needs the folders of at least two annotators")
    for d in dirs:
        if not d.is_dir():
            raise ThermodefectError("not a folder", d)
    names = [{p.name[: -len(LABEL_SUFFIX)] for p in d.glob(f"*{LABEL_SUFFIX}")} for d in dirs]
    everyone = set().union(*names)
    if not everyone:
        raise ThermodefectError(f"no *{LABEL_SUFFIX} files in any annotator folder")
    problems = [
        f"{d / (n + LABEL_SUFFIX)}: missing (other annotators labelled {n})"
        for d, have in zip(dirs, names, strict=True)
        for n in sorted(everyone - have)
    ]
    rows = []
    for name in sorted(set.intersection(*names)):
        try:
            masks = [read_label_png(d / f"{name}{LABEL_SUFFIX}") for d in dirs]
        except ThermodefectError as exc:
            problems.append(str(exc))
            continue
        shapes = {m.shape for m in masks}
        if len(shapes) > 1:
            sizes = ", ".join(
                f"{d.name}: {m.shape[0]}x{m.shape[1]}" for d, m in zip(dirs, masks, strict=True)
            )
            problems.append(f"{name}: the annotators' masks differ in size ({sizes})")
            continue
        result = staple(masks)
        fused = result.posterior >= 0.5 if method == "staple" else majority(masks)
        write_mask(fused, Path(out) / f"{name}{LABEL_SUFFIX}", fmt)
        pairs = pairwise_dice(masks)
        rows.append(
            {
                "sequence": name,
                **{f"dice_{i + 1}_{j + 1}": v for (i, j), v in pairs.items()},
                "mean_dice": float(np.mean(list(pairs.values()))),
                "fleiss_kappa": fleiss_kappa(masks),
                **{f"sensitivity_{i + 1}": float(v) for i, v in enumerate(result.sensitivity)},
                **{f"specificity_{i + 1}": float(v) for i, v in enumerate(result.specificity)},
                "fused_defect_fraction": float(fused.mean()),
            }
        )
    summary = _agreement_report(rows, dirs, method)
    if rows:
        with atomic_path(Path(out) / "agreement.csv") as tmp:
            header = list(rows[0])
            tmp.write_text(
                ",".join(header)
                + "\n"
                + "".join(
                    ",".join(r[k] if isinstance(r[k], str) else f"{r[k]:.4f}" for k in header)
                    + "\n"
                    for r in rows
                )
            )
        with atomic_path(Path(out) / "agreement.md") as tmp:
            tmp.write_text(summary)
    return problems, summary


def _agreement_report(rows: list[dict], dirs: list[Path], method: str) -> str:
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


def evaluate_folder(pred_dir: Path, gt_dir: Path) -> tuple[list[str], str]:
    """Score every ``{name}_mask.png`` of a detect folder against ``{name}_label.png``.

    Ground truth is looked up in ``gt_dir`` and ``gt_dir/labels``. Writes
    ``pred_dir/evaluation.csv``; returns the problems and a summary.
    """
    from PIL import Image

    from thermodefect.evaluate import average_precision, match_defects, pixel_scores
    from thermodefect.masks import read_label_png

    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    for d in (pred_dir, gt_dir):
        if not d.is_dir():
            raise ThermodefectError("not a folder", d)
    masks = sorted(pred_dir.glob("*_mask.png"))
    if not masks:
        raise ThermodefectError("holds no {name}_mask.png files from thermodefect detect", pred_dir)
    problems, rows = [], []
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
        pred = np.asarray(Image.open(path).convert("L")) > 127
        try:
            truth = read_label_png(label, pred.shape)
        except ThermodefectError as exc:
            problems.append(str(exc))
            continue
        s = pixel_scores(pred, truth)
        m = match_defects(pred, truth)
        prob = pred_dir / f"{name}_prob.png"
        ap = (
            average_precision(np.asarray(Image.open(prob).convert("L"), float), truth)
            if prob.is_file()
            else None
        )
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
