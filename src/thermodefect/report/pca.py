"""The seed's PCA workflow: PCT images of every sequence of a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path, output_names, sequence_files
from thermodefect.io.images import resize_uint8, stretch, write_png

__all__ = [
    "pca_folder",
]


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

    Parameters
    ----------
    data_dir : Path
        Folder of sequences.
    out : Path
        Output folder.
    components : int
        Images per sequence.
    size : (int, int), optional
        Resize images to (H, W).
    normalize : str
        Standardisation of :func:`~thermodefect.methods.pct`.
    load : callable, optional
        Reads a path into a Sequence (default :func:`thermodefect.io.load`).
    quiet : bool
        No progress bar.

    Returns
    -------
    list of str
        One message per file that failed.

    Raises
    ------
    ThermodefectError
        When ``data_dir`` holds no sequence files.
    """
    from tqdm import tqdm

    from thermodefect.io import load as default_load
    from thermodefect.methods import pct

    load = load or default_load
    files = sequence_files(data_dir)
    names = output_names(files)
    out = Path(out)
    failures, rows = [], []
    for path in tqdm(files, desc="pca", unit="file", disable=quiet or None):
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
            write_png(image, out / f"{names[path]}_{i}.png")
        rows += [(path.name, i, float(r)) for i, r in enumerate(result.explained_variance_ratio)]
    if rows:
        with atomic_path(out / "explained_variance.csv") as tmp:
            tmp.write_text(
                "file,component,explained_variance_ratio\n"
                + "".join(f"{f},{i},{r:.6g}\n" for f, i, r in rows)
            )
    return failures
