"""The seed's PCA workflow: PCT images of every sequence of a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path, output_names, sequence_files
from thermodefect.io.images import resize_uint8, stretch, write_png

__all__ = [
    "fit_size",
    "pca_file",
    "pca_folder",
    "write_explained",
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


def pca_file(
    seq,
    out: Path,
    name: str,
    *,
    components: int = 4,
    size: int | tuple[int, int] | None = None,
    normalize: str = "center",
) -> tuple[list[Path], list[float]]:
    """PCT images of one sequence: ``out/{name}_{i}.png``, i from 0 (each written atomically).

    Parameters
    ----------
    seq : Sequence
        The sequence.
    out : Path
        Output folder.
    name : str
        File stem.
    components : int
        Images.
    size : int or (int, int), optional
        Resize images (see :func:`fit_size`).
    normalize : str
        Standardisation of :func:`~thermodefect.methods.pct`.

    Returns
    -------
    written : list of Path
    explained : list of float
        Explained variance ratio of each component.

    Raises
    ------
    ThermodefectError
        When PCT cannot run on the sequence.
    """
    from thermodefect.methods import pct

    result = pct(seq, components, normalize=normalize)
    images = [stretch(c) for c in result.components]
    if size is not None:
        target = fit_size(images[0].shape, size)
        images = [resize_uint8(im, target) for im in images]
    written = [Path(out) / f"{name}_{i}.png" for i in range(len(images))]
    for image, path in zip(images, written, strict=True):
        write_png(image, path)
    return written, [float(r) for r in result.explained_variance_ratio]


def write_explained(rows: list[tuple[str, int, float]], out: Path) -> None:
    """``out/explained_variance.csv``: file, component, explained variance ratio.

    Parameters
    ----------
    rows : list of (str, int, float)
        File name, component, ratio.
    out : Path
        Output folder.
    """
    with atomic_path(Path(out) / "explained_variance.csv") as tmp:
        tmp.write_text(
            "file,component,explained_variance_ratio\n"
            + "".join(f"{f},{i},{r:.6g}\n" for f, i, r in rows)
        )


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

    load = load or default_load
    files = sequence_files(data_dir)
    names = output_names(files)
    failures, rows = [], []
    for path in tqdm(files, desc="pca", unit="file", disable=quiet or None):
        try:
            _, explained = pca_file(load(path), out, names[path], components=components,
                                    size=size, normalize=normalize)  # fmt: skip
        except ThermodefectError as exc:
            failures.append(exc.naming(path))
            continue
        rows += [(path.name, i, r) for i, r in enumerate(explained)]
    if rows:
        write_explained(rows, out)
    return failures
