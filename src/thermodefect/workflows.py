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


def sequence_files(data_dir: Path) -> list[Path]:
    """Sequence files directly in ``data_dir``, sorted by name."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ThermodefectError("not a folder", data_dir)
    files = sorted(
        p for p in data_dir.iterdir() if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES
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
            failures.append(str(exc) if exc.path else f"{path}: {exc}")
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


def demo(out: Path, *, quiet: bool = False) -> None:
    """Make four small synthetic plates, run the PCA workflow and export frames and curves."""
    from thermodefect.io import save
    from thermodefect.masks import write_label_png
    from thermodefect.methods import pct
    from thermodefect.report import export_frames, overview
    from thermodefect.synthetic import demo_specimens

    out = Path(out)
    data = out / "data"
    specimens = demo_specimens(4, seed=0)
    for name, seq in specimens:
        save(seq, data / f"{name}.mat")
        write_label_png(seq.mask, data / "labels" / f"{name}_label.png")
    failures = pca_folder(data, out / "pca_imgs", components=4, quiet=quiet)
    if failures:
        raise ThermodefectError("; ".join(failures))
    first_name, first = specimens[0]
    export_frames(first.derive("demo", source=str(data / f"{first_name}.mat")), out / "frames")
    rows = []
    for name, seq in specimens:
        comps = pct(seq, 3).components
        rows.append(
            (
                name,
                [
                    ("frame 20", seq.frames[20]),
                    ("PCT 0", comps[0]),
                    ("PCT 1", comps[1]),
                    ("PCT 2", comps[2]),
                    ("label", np.where(seq.mask, 0, 255)),
                ],
            )
        )
    overview(rows, out / "overview.png")
    if not quiet:
        print(
            f"\nDemo finished. Results in {out}/:\n"
            f"  {data}/             4 synthetic sequences (.mat, seed layout) and labels/\n"
            f"  {out / 'pca_imgs'}/         PCT images {{name}}_{{0..3}}.png and their variance\n"
            f"  {out / 'frames'}/           frames and temperature curves of {first_name}\n"
            f"  {out / 'overview.png'}      frame, PCT images and label of every specimen\n"
            "The data come from thermodefect.synthetic, a quick analytic stand-in."
        )
