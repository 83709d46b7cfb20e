"""Files and folders: writes that never leave a partial file; the sequences of a folder."""

from __future__ import annotations

import contextlib
import mmap
import os
import tempfile
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "OUR_FILES",
    "OUR_SUFFIXES",
    "SCRATCH_FILE",
    "TEMP_PREFIX",
    "atomic_path",
    "column_blocks",
    "frame_blocks",
    "frames_dot",
    "frames_mean",
    "frames_means",
    "is_mapped",
    "output_names",
    "release_pages",
    "scratch_array",
    "sequence_files",
]


#: Start of the names of files being written (:func:`atomic_path`); one left behind by a
#: killed process is never a result.
TEMP_PREFIX = ".thermodefect-part-"


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
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.stem}.", suffix=path.suffix,
                                dir=path.parent)  # fmt: skip
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
    mapped = _mapping(array)
    if mapped is None or not array.flags.c_contiguous or not hasattr(mmap, "MADV_DONTNEED"):
        return
    start = array.ctypes.data - np.frombuffer(mapped, np.uint8).ctypes.data
    first = start // mmap.PAGESIZE * mmap.PAGESIZE
    try:
        mapped.madvise(mmap.MADV_DONTNEED, first, start + array.nbytes - first)
    except (OSError, ValueError):
        return


def _owner(array: Any) -> Any:
    """The numpy memory map made on the file that ``array`` views (the last array up its
    ``base`` chain to share the map: views of a memory map are memory maps too), else None."""
    owner: Any = None
    while array is not None and not isinstance(array, mmap.mmap):
        if getattr(array, "_mmap", None) is not None:
            owner = array
        array = getattr(array, "base", None)
    return owner


def _mapping(array):
    """The ``mmap`` behind ``array`` (a numpy memory map or any view of one), else None."""
    return getattr(_owner(array), "_mmap", None)


#: Attribute of a scratch memory map holding its (unnamed) file, read by :func:`column_blocks`.
SCRATCH_FILE = "_thermodefect_file"


def scratch_array(shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """A writable array memory-mapped on an unnamed temporary file (in ``TMPDIR``), which the
    system removes with the array, even when the process is killed.

    Parameters
    ----------
    shape : tuple of int
        Its shape.
    dtype : numpy dtype
        Its type.

    Returns
    -------
    numpy.memmap
    """
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    fh = tempfile.TemporaryFile(prefix="thermodefect-")  # noqa: SIM115 (lives with the map)
    fh.truncate(nbytes)
    array = np.memmap(fh, dtype, "r+", shape=shape)
    setattr(array, SCRATCH_FILE, fh)
    return array


@contextlib.contextmanager
def _file_of(array) -> Iterator[tuple[int, int] | None]:
    """(file descriptor, byte offset of ``array``'s first value) of a memory-mapped array
    whose rows are contiguous in its file, or None."""
    owner = _owner(array)
    if owner is None or array.ndim != 2 or array.strides[1] != array.itemsize:
        yield None
        return
    offset = int(owner.offset) + array.ctypes.data - owner.ctypes.data
    scratch = getattr(owner, SCRATCH_FILE, None)
    if scratch is not None:
        yield scratch.fileno(), offset
        return
    if not owner.filename:
        yield None
        return
    fd = os.open(owner.filename, os.O_RDONLY)
    try:
        yield fd, offset
    finally:
        os.close(fd)


def column_blocks(x: np.ndarray, step: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(c0, x[:, c0:c0 + step])`` over the columns of a (T, N) array.

    A memory-mapped ``x`` (pixels of frames as columns) is read from its file with one
    ``pread`` per row into a C-contiguous block instead of through the map: the kernel then
    maps no pages and reads each byte once per pass, so a pass over a file larger than memory
    costs one read of it and one block of memory, where faulting column blocks through the
    map would read the whole file for every block. Other arrays yield views.

    Parameters
    ----------
    x : (T, N) ndarray
        Rows of values (frames of pixels).
    step : int
        Columns per block.

    Yields
    ------
    c0 : int
        The block's first column.
    block : (T, <= step) ndarray
        The columns (a view, or for a mapped ``x`` a copy that is reused: copy what must
        outlive the next block).
    """
    n = x.shape[1]
    with _file_of(x) if is_mapped(x) else contextlib.nullcontext() as source:
        if source is None:
            for c0 in range(0, n, step):
                yield c0, x[:, c0 : c0 + step]
            return
        fd, offset = source
        buffer = np.empty((x.shape[0], min(step, n)), x.dtype)
        for c0 in range(0, n, step):
            block = buffer[:, : min(step, n - c0)]
            for t in range(x.shape[0]):
                row = memoryview(block[t]).cast("B")
                done = os.preadv(fd, [row], offset + t * x.strides[0] + c0 * x.itemsize)
                if done != row.nbytes:
                    raise OSError(f"read {done} of {row.nbytes} bytes at row {t}")
            yield c0, block


def is_mapped(array) -> bool:
    """Whether ``array`` is (a view of) a memory-mapped file.

    Parameters
    ----------
    array : object
        Anything.

    Returns
    -------
    bool
    """
    return _mapping(array) is not None


def frame_blocks(frames: np.ndarray, step: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``(t0, frames[t0:t1])`` over a (T, ...) array, the pages of a memory-mapped one released
    after each block, so streaming through a file larger than memory costs one block.

    Parameters
    ----------
    frames : (T, ...) ndarray
        Frames, possibly memory-mapped.
    step : int, optional
        Frames per block; default about 64 MiB of float32.

    Yields
    ------
    t0 : int
        Index of the block's first frame.
    block : ndarray
        ``frames[t0:t0 + step]`` (a view: copy what must outlive the next block).
    """
    from thermodefect.sequence import frames_per_chunk

    step = step or frames_per_chunk(frames.shape[1:])
    for t0 in range(0, frames.shape[0], step):
        block = frames[t0 : t0 + step]
        yield t0, block
        release_pages(block)


def frames_mean(frames: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Mean over frames ``start:stop`` (float64), streamed block by block.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        Frames, possibly memory-mapped.
    start, stop : int
        The frames averaged (``stop`` None: to the end).

    Returns
    -------
    (H, W) ndarray of float64
    """
    stop = frames.shape[0] if stop is None else stop
    return frames_means(frames, np.array([start, stop]))[0]


#: Frames :func:`frames_means` sums in float32 before adding in float64: 300 K records keep
#: their means within about 0.03 mK (tests/test_large.py).
SUM_FRAMES = 16


def frames_means(frames: np.ndarray, edges: np.ndarray, step: int | None = None) -> np.ndarray:
    """Means over consecutive ranges of frames, ``edges[i]:edges[i + 1]`` (float64), in one
    pass block by block. Float32 frames are summed :data:`SUM_FRAMES` at a time in float32
    (rounding of about 1e-7 of their level, three times as fast as casting each value to
    float64), those sums in float64.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        Frames, possibly memory-mapped.
    edges : (K + 1,) array of int
        Increasing frame indices in [0, T].
    step : int, optional
        Frames per block (:func:`frame_blocks`).

    Returns
    -------
    (K, H, W) ndarray of float64
    """
    edges = np.asarray(edges, int)
    out = np.zeros((len(edges) - 1, *frames.shape[1:]))
    lo, hi = int(edges[0]), int(edges[-1])
    inner = np.float32 if frames.dtype == np.float32 else np.float64
    for t0, block in frame_blocks(frames[lo:hi], step):
        a0, a1 = lo + t0, lo + t0 + len(block)
        for k, (start, stop) in enumerate(pairwise(edges.tolist())):
            start, stop = max(start, a0), min(stop, a1)
            for first in range(start, stop, SUM_FRAMES):
                part = block[first - a0 : min(first + SUM_FRAMES, stop) - a0]
                out[k] += part.sum(axis=0, dtype=inner)
    return out / np.maximum(np.diff(edges), 1)[:, None, None]


def frames_dot(frames: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each frame's pixels times ``weights``, streamed frame block by frame block: the curves
    of weighted pixel means (regions, the sound plate) in one pass over the frames.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        Frames, possibly memory-mapped.
    weights : (H * W, K) ndarray
        A column per curve.

    Returns
    -------
    (T, K) ndarray
        Of the result type of ``frames`` and ``weights``.
    """
    t = frames.shape[0]
    out = np.empty((t, weights.shape[1]), np.result_type(frames.dtype, weights.dtype))
    for t0, block in frame_blocks(frames):
        out[t0 : t0 + len(block)] = block.reshape(len(block), -1) @ weights
    return out


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
        if (p.is_file() or p.suffix.lower() == ".zarr")
        and p.suffix.lower() in FOLDER_SUFFIXES
        and p.name not in OUR_FILES
        and not p.name.endswith(OUR_SUFFIXES)
    )
    if not files:
        raise ThermodefectError(f"holds no sequence files ({', '.join(FOLDER_SUFFIXES)})", data_dir)
    return files
