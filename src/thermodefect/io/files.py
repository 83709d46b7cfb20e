"""Files and folders: writes that never leave a partial file; the sequences of a folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "OUR_FILES",
    "OUR_SUFFIXES",
    "atomic_path",
    "output_names",
    "release_pages",
    "sequence_files",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, else it vanishes.

    The result gets the permissions of a newly created file (0666 less the umask), not the
    private 0600 of the temporary file.

    Parameters
    ----------
    path : Path
        The file to write; its folder is created when missing.

    Yields
    ------
    Path
        Where to write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


#: Tables and files thermodefect writes into folders, never sequences.
OUR_FILES = ("manifest.csv", "explained_variance.csv", "agreement.csv", "evaluation.csv",
             "results.csv", "log.csv")  # fmt: skip
OUR_SUFFIXES = ("_defects.csv", "_curves.csv")


def release_pages(array: np.ndarray) -> None:
    """Let the pages behind a memory-mapped ``array`` leave this process's resident memory.

    The kernel's page cache keeps them, so reading them again is cheap; streaming once
    through a file larger than memory then costs no more resident memory than one block.
    A no-op for arrays that are not memory-mapped, not contiguous, or where the platform
    cannot advise.

    Parameters
    ----------
    array : ndarray
        A contiguous block of a memory-mapped array (e.g. frames ``t0:t1`` of a loaded
        ``.npy``), or any array.
    """
    import mmap

    owner: Any = array
    while owner is not None and getattr(owner, "_mmap", None) is None:
        owner = getattr(owner, "base", None)
    mapped = getattr(owner, "_mmap", None)
    if mapped is None or not array.flags.c_contiguous or not hasattr(mmap, "MADV_DONTNEED"):
        return
    start = array.ctypes.data - np.frombuffer(mapped, np.uint8).ctypes.data
    first = start // mmap.PAGESIZE * mmap.PAGESIZE
    try:
        mapped.madvise(mmap.MADV_DONTNEED, first, start + array.nbytes - first)
    except (OSError, ValueError):
        return


def output_names(paths) -> dict[Path, str]:
    """The name each input's output files take: its stem, or stem and suffix when two inputs
    share a stem (``x.mat`` and ``x.h5`` -> ``x_mat`` and ``x_h5``), so that no output
    overwrites another.

    Parameters
    ----------
    paths : iterable of Path
        The inputs.

    Returns
    -------
    dict of Path to str

    Examples
    --------
    >>> sorted(output_names([Path("a/x.mat"), Path("b/x.h5"), Path("y.npy")]).values())
    ['x_h5', 'x_mat', 'y']
    """
    paths = [Path(p) for p in paths]
    stems = [p.stem for p in paths]
    return {
        p: f"{p.stem}_{p.suffix.lstrip('.').lower()}" if stems.count(p.stem) > 1 else p.stem
        for p in paths
    }


def sequence_files(data_dir: Path) -> list[Path]:
    """Sequence files directly in ``data_dir``, sorted by name.

    Files are picked by suffix (:data:`thermodefect.io.formats.FOLDER_SUFFIXES`); the tables
    thermodefect itself writes (manifests, defect tables, curves) are left alone.

    Parameters
    ----------
    data_dir : Path
        The folder to scan (not recursively).

    Returns
    -------
    list of Path

    Raises
    ------
    ThermodefectError
        When ``data_dir`` is not a folder or holds no sequence file.
    """
    from thermodefect.io.formats import FOLDER_SUFFIXES

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ThermodefectError("not a folder", data_dir)
    files = sorted(
        p
        for p in data_dir.iterdir()
        if p.is_file()
        and p.suffix.lower() in FOLDER_SUFFIXES
        and p.name not in OUR_FILES
        and not p.name.endswith(OUR_SUFFIXES)
    )
    if not files:
        raise ThermodefectError(f"holds no sequence files ({', '.join(FOLDER_SUFFIXES)})", data_dir)
    return files
