"""The seed's PCA workflow: PCT images of every sequence of a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path, output_names, sequence_files
from thermodefect.io.images import resize_uint8, stretch, write_png

__all__ = [
    "fit_size",
    "pca_folder",
]


def fit_size(shape: tuple[int, int], size: int | tuple[int, int]) -> tuple[int, int]:
    """The (H, W) an image of ``shape`` is resized to: ``size`` itself for a pair, else the
    aspect ratio kept with the longer side ``size``.

    Parameters
    ----------
    shape : (int, int)
        The image's (H, W).
    size : int or (int, int)
        Longer side, or exact (H, W).

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> fit_size((288, 384), 192), fit_size((288, 384), (100, 100))
    ((144, 192), (100, 100))
    """
    if not isinstance(size, int):
        return int(size[0]), int(size[1])
    h, w = shape
    scale = size / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def pca_folder(
    data_dir: Path,
    out: Path,
    *,
    components: int = 4,
    size: int | tuple[int, int] | None = None,
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
    size : int or (int, int), optional
        Resize images: an int is the longer side (the aspect ratio is kept), a pair the exact
        (H, W).
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
            target = fit_size(images[0].shape, size)
            images = [resize_uint8(im, target) for im in images]
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
