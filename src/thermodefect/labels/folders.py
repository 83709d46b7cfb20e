"""Label workflows over folders: labelme JSON to masks, images for annotators, fusing
annotators' masks with an agreement report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path, output_names, sequence_files
from thermodefect.io.images import stretch, write_png
from thermodefect.labels.agreement import agreement_report

__all__ = [
    "convert_folder",
    "fuse_folders",
    "prepare_folder",
    "tsr_derivative_images",
]


def convert_folder(
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

    Parameters
    ----------
    json_dir : Path
        Folder of labelme ``.json`` files.
    out : Path
        Output folder.
    fmt : {'seed', 'binary'}
        Mask pixels: black defect on white, or 0/1.
    class_map : Path, optional
        YAML or JSON label -> class index (:func:`~thermodefect.labels.read_class_map`).
    line_width : int
        Pixels, for line shapes.
    point_radius : float
        Pixels, for point shapes.
    quiet : bool
        No progress bar.

    Returns
    -------
    problems, warnings : list of str
        One-line messages.

    Raises
    ------
    ThermodefectError
        When ``json_dir`` is not a folder of JSON files or the class map is unreadable.
    """
    from tqdm import tqdm

    from thermodefect.io.masks import write_mask
    from thermodefect.labels.labelme import rasterize, read_class_map

    json_dir = Path(json_dir)
    if not json_dir.is_dir():
        raise ThermodefectError("not a folder", json_dir)
    files = sorted(json_dir.glob("*.json"))
    if not files:
        raise ThermodefectError("holds no labelme .json files", json_dir)
    classes = None if class_map is None else read_class_map(class_map)
    problems, warnings = [], []
    for path in tqdm(files, desc="labels", unit="file", disable=quiet or None):
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


def prepare_folder(
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
    ``out/{name}_tsr2.png`` (:func:`tsr_derivative_images`).

    Parameters
    ----------
    data_dir : Path
        Folder of sequences.
    out : Path
        Output folder.
    components : int
        PCT components written.
    component : int
        The one written as ``{name}.png``.
    tsr_images : bool
        Also write the TSR derivative images.
    load : callable, optional
        Reads a path into a Sequence (default :func:`thermodefect.io.load`).
    quiet : bool
        No progress bar.

    Returns
    -------
    list of str
        One message per file that failed (its images are not written).

    Raises
    ------
    ThermodefectError
        For a ``component`` outside 0..components-1 or a folder without sequences.
    """
    from tqdm import tqdm

    from thermodefect.io import load as default_load
    from thermodefect.methods import pct

    if not 0 <= component < components:
        raise ThermodefectError(f"--component must be in 0..{components - 1}, got {component}")
    load = load or default_load
    failures = []
    files = sequence_files(data_dir)
    names = output_names(files)
    for path in tqdm(files, desc="prepare", unit="file", disable=quiet or None):
        try:
            seq = load(path)
            images = [stretch(c) for c in pct(seq, components).components]
            if tsr_images:
                images += tsr_derivative_images(seq)
        except ThermodefectError as exc:
            failures.append(exc.naming(path))
            continue
        stem = names[path]
        write_png(images[component], Path(out) / f"{stem}.png")
        for i, image in enumerate(images[:components]):
            write_png(image, Path(out) / f"{stem}_pca{i}.png")
        for order, image in enumerate(images[components:], start=1):
            write_png(image, Path(out) / f"{stem}_tsr{order}.png")
    return failures


def tsr_derivative_images(seq) -> list[np.ndarray]:
    """First and second TSR log-derivative images (degree 5), each at its most varied frame.

    Parameters
    ----------
    seq : Sequence
        A raw sequence (its cooling is extracted here).

    Returns
    -------
    list of (H, W) ndarray of uint8
        Contrast-stretched.
    """
    from thermodefect.methods import tsr
    from thermodefect.preprocess import extract_cooling, to_rise

    fit = tsr(extract_cooling(to_rise(seq)), 5)
    images = []
    for order in (1, 2):
        d = fit.derivative(order)
        spread = d.reshape(d.shape[0], -1).std(axis=1)
        images.append(stretch(d[int(np.argmax(spread))]))
    return images


def fuse_folders(
    annotator_dirs: list[Path], out: Path, *, method: str = "majority", fmt: str = "seed"
) -> tuple[list[str], str]:
    """Fuse the annotators' ``{name}_label.png`` per sequence and report their agreement.

    Writes ``out/{name}_label.png`` for every name all folders share, ``out/agreement.csv``
    (one row per sequence: pairwise Dice, mean Dice, Fleiss' kappa, each annotator's STAPLE
    sensitivity and specificity, fused defect fraction) and ``out/agreement.md`` (summary
    and the sequences with the least agreement).

    Parameters
    ----------
    annotator_dirs : list of Path
        One folder per annotator (at least two).
    out : Path
        Output folder.
    method : {'majority', 'staple'}
        Fusion rule.
    fmt : {'seed', 'binary'}
        Mask pixels of the fused labels.

    Returns
    -------
    problems : list of str
        One-line messages for names that could not be fused.
    summary : str
        The text of ``agreement.md``.

    Raises
    ------
    ThermodefectError
        For an unknown method, fewer than two folders, or folders without labels.
    """
    from thermodefect.io.masks import LABEL_SUFFIX, read_label_png, write_mask
    from thermodefect.labels.fusion import fleiss_kappa, majority, pairwise_dice, staple

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
    rows: list[dict[str, Any]] = []
    for name in sorted(set.intersection(*names)):
        try:
            masks = [read_label_png(d / f"{name}{LABEL_SUFFIX}") for d in dirs]
        except ThermodefectError as exc:
            problems.append(str(exc))
            continue
        shapes = {m.shape for m in masks}
        if len(shapes) > 1:
            sizes = ", ".join(
                f"{d / (name + LABEL_SUFFIX)} is {m.shape[0]}x{m.shape[1]}"
                for d, m in zip(dirs, masks, strict=True)
            )
            problems.append(f"the annotators' masks of {name} differ in size: {sizes}")
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
    summary = agreement_report(rows, dirs, method)
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
