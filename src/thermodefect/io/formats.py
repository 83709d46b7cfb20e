"""The file formats: READERS (suffixes and magic bytes) and WRITERS, and picking a reader.

A reader is chosen by content first: the first registered reader whose signature matches the
file's first bytes. Only a reader without a signature (CSV text) is chosen by suffix. A
suffix that belongs to another format than the content is an error, not a guess: a MATLAB
file renamed ``.npy`` is refused with a line that says what the content is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from thermodefect.errors import ThermodefectError
from thermodefect.registry import Registry

__all__ = [
    "EXTRA_MODULES",
    "FOLDER_SUFFIXES",
    "HDF5_MAGIC",
    "HEAD_BYTES",
    "READERS",
    "REFUSED",
    "SEQUENCE_SUFFIXES",
    "WRITERS",
    "Reader",
    "Writer",
    "sniff",
    "writer_for",
]

HEAD_BYTES = 1024
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

#: A signature: alternatives, each a tuple of (offset, bytes) that must all match.
Signature = tuple[tuple[tuple[int, bytes], ...], ...]


@dataclass(frozen=True)
class Reader:
    """A file format we read.

    Parameters
    ----------
    suffixes : tuple of str
        Suffixes (lower case, with the dot) that name this format.
    read : str
        ``"module:function"`` called as ``function(path, LoadOptions) -> RawSequence``.
    description : str
        What the format is, for messages and docs.
    signature : tuple
        Magic bytes: alternatives, each a tuple of (offset, bytes) that must all match; empty
        for formats recognised by suffix and text content.
    tolerated : tuple of str
        Other formats' suffixes this content may carry without error (HDF5 in ``.mat``).
    loose : tuple of str
        Suffixes read when named but too generic to pick up when scanning a folder
        (``.txt``, ``.dat``).
    weak : bool
        The signature is too short to name the format on its own (``TC``, ``CED``): it is
        trusted only in a file carrying one of ``suffixes``.
    extra : str
        The optional dependency group (``pip install thermodefect[extra]``) the reader needs,
        or ``""`` when it needs none.
    extra_for : str
        What of the format needs ``extra`` when not all of it does (``"JPEG-LS frames
        (.csq)"``); such a reader runs without it and says so when it meets that part.
    refusal : str
        What to say about a file with one of ``suffixes`` whose content has none of the
        signatures (a variant of the format we do not read), instead of "damaged".
    """

    suffixes: tuple[str, ...]
    read: str
    description: str
    signature: Signature = ()
    tolerated: tuple[str, ...] = ()
    loose: tuple[str, ...] = ()
    weak: bool = False
    extra: str = ""
    extra_for: str = ""
    refusal: str = ""

    def matches(self, head: bytes) -> bool:
        """Whether the file's first bytes carry this format's signature.

        Parameters
        ----------
        head : bytes
            The first :data:`HEAD_BYTES` bytes of the file.

        Returns
        -------
        bool
        """
        return any(
            all(head[o : o + len(magic)] == magic for o, magic in alternative)
            for alternative in self.signature
        )

    def extra_installed(self) -> bool:
        """Whether the reader's optional dependency is installed (True when it has none).

        Returns
        -------
        bool
        """
        import importlib.util

        return not self.extra or importlib.util.find_spec(EXTRA_MODULES[self.extra]) is not None

    def available(self) -> bool:
        """Whether the reader can run: its optional dependency is installed, or it needs it
        only for a part of the format.

        Returns
        -------
        bool
        """
        return bool(self.extra_for) or self.extra_installed()

    def function(self) -> Callable:
        """The reading function (imports its module).

        Returns
        -------
        callable
        """
        import importlib

        module, _, name = self.read.partition(":")
        return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Writer:
    """A file format we write.

    Parameters
    ----------
    suffixes : tuple of str
        Suffixes that select it.
    write : str
        ``"module:function"`` called as ``function(seq, path, **options)``.
    description : str
        What the format is.
    options : tuple of str
        The :func:`thermodefect.io.save` options it takes (``mat_version``).
    """

    suffixes: tuple[str, ...]
    write: str
    description: str
    options: tuple[str, ...] = field(default=())

    def function(self) -> Callable:
        """The writing function (imports its module).

        Returns
        -------
        callable
        """
        import importlib

        module, _, name = self.write.partition(":")
        return getattr(importlib.import_module(module), name)


#: Optional dependency group -> the module that group installs.
EXTRA_MODULES = {"telops": "fasthcc", "flir": "imagecodecs", "zarr": "zarr"}

#: name -> Reader, in the order signatures are tried (MATLAB v7.3 before plain HDF5).
READERS: Registry[Reader] = Registry("reader")
#: name -> Writer.
WRITERS: Registry[Writer] = Registry("writer")


def _reader(name: str, reader: Reader) -> None:
    READERS.add(name, reader, summary=reader.description)


_reader("mat-v7.3", Reader((".mat",), "thermodefect.io.matlab:read_v73", "MATLAB v7.3 (HDF5)",
                           (((0, b"MATLAB"), (512, HDF5_MAGIC)),)))  # fmt: skip
_reader("mat-v5", Reader((".mat",), "thermodefect.io.matlab:read_v5", "MATLAB v5/v7",
                         (((0, b"MATLAB 5.0 MAT-file"),),)))  # fmt: skip
_reader("hdf5", Reader((".h5", ".hdf5", ".hdf"), "thermodefect.io.hdf5:read",
                       "HDF5 (ours, pyThermoNDT, any 3-D dataset)",
                       (((0, HDF5_MAGIC),), ((512, HDF5_MAGIC),)),
                       tolerated=(".mat",)))  # fmt: skip
_reader("npy", Reader((".npy",), "thermodefect.io.numpyfmt:read_npy", "NumPy array",
                      (((0, b"\x93NUMPY"),),)))  # fmt: skip
_reader("npz", Reader((".npz",), "thermodefect.io.numpyfmt:read_npz", "NumPy archive",
                      (((0, b"PK\x03\x04"),), ((0, b"PK\x05\x06"),))))  # fmt: skip
_reader("tiff", Reader((".tif", ".tiff"), "thermodefect.io.tiff:read", "multi-page TIFF stack",
                       tuple(((0, m),) for m in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")))
        )  # fmt: skip
_reader("csv", Reader((".csv",), "thermodefect.io.csvfmt:read_pixels", "CSV, one row per pixel",
                      loose=(".txt", ".tsv", ".dat")))  # fmt: skip
_reader("csv-folder", Reader((), "thermodefect.io.csvfmt:read_folder", "folder of CSV frames"))
_reader("zarr", Reader((".zarr",), "thermodefect.io.zarrfmt:read",
                       "Zarr store (ours, any 3-D array)", extra="zarr"))  # fmt: skip
_reader("telops-hcc", Reader((".hcc",), "thermodefect.io.telops:read", "Telops HCC recording",
                             (((0, b"TC"),),), weak=True, extra="telops"))  # fmt: skip
_reader("flir-fff", Reader((".seq", ".csq", ".fff", ".ats"), "thermodefect.io.flir:read",
                           "FLIR radiometric sequence (FFF records)",
                           (((0, b"FFF\x00"),), ((0, b"AFF\x00"),)),
                           extra="flir", extra_for="JPEG-LS frames (.csq)",
                           refusal="holds no FLIR FFF records (ResearchIR's own .ats layout is "
                                   "not public and not read: export such a recording as .seq, "
                                   ".mat or HDF5)"))  # fmt: skip
_reader("ptw", Reader((".ptw",), "thermodefect.io.ptw:read", "FLIR/Cedip Altair PTW recording",
                      (((0, b"AIO"),), ((0, b"CED"),)), weak=True))  # fmt: skip

WRITERS.add("mat", Writer((".mat",), "thermodefect.io.matlab:write",
                          "MATLAB, the seed's layout (v5, or v7.3 beyond 2 GiB)", ("mat_version",)),
            summary="MATLAB, the seed's layout")  # fmt: skip
WRITERS.add("hdf5", Writer((".h5", ".hdf5"), "thermodefect.io.hdf5:write",
                           "our HDF5 layout, every field"), summary="our HDF5 layout")  # fmt: skip
WRITERS.add("zarr", Writer((".zarr",), "thermodefect.io.zarrfmt:write",
                           "Zarr store, every field, chunked in blocks of frames"),
            summary="Zarr store")  # fmt: skip
WRITERS.add("npz", Writer((".npz",), "thermodefect.io.numpyfmt:write_npz",
                          "NumPy archive, every field"), summary="NumPy archive")  # fmt: skip

#: Suffix -> why files of a known format are refused (said in one line instead of "unknown").
REFUSED = {
    suffix: "Edevis recordings are not read: the one maintained reader "
    "(pyThermoNDT 0.3.8) reads only its lock-in and Fourier (complex) images, not the frames of "
    "a cooling; export the sequence from the Edevis software as .mat, HDF5 or TIFF"
    for suffix in (".otvis", ".itvispulse", ".di")
}

#: Suffixes of files that hold a whole sequence (a folder of CSV frames is one too).
SEQUENCE_SUFFIXES = tuple(sorted({s for r in READERS.values() for s in r.suffixes + r.loose}))
#: Suffixes picked up when a folder is scanned for sequences.
FOLDER_SUFFIXES = tuple(sorted({s for r in READERS.values() for s in r.suffixes}))


def _looks_like_text(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    return "\x00" not in text and "\ufffd" not in text[:-4] and any(c.isdigit() for c in text)


def _owner(suffix: str) -> str | None:
    """The first reader that names ``suffix``, if any."""
    return next((n for n, r in READERS.items() if suffix in r.suffixes + r.loose), None)


def sniff(path: str | os.PathLike) -> str:
    """The name of the reader for ``path``: by content, then (text formats) by suffix.

    Parameters
    ----------
    path : str or PathLike
        A file, or a folder (of CSV frames).

    Returns
    -------
    str
        A name of :data:`READERS`.

    Raises
    ------
    ThermodefectError
        If the file is missing or empty, of no format we read, or its suffix names another
        format than its content.
    """
    path = Path(path)
    if path.is_dir():
        zarr = path.suffix.lower() == ".zarr" or any(
            (path / marker).exists() for marker in ("zarr.json", ".zgroup", ".zarray")
        )
        return "zarr" if zarr else "csv-folder"
    if not path.exists():
        raise ThermodefectError("no such file or folder", path)
    if path.stat().st_size == 0:
        raise ThermodefectError("the file is empty (0 bytes)", path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    suffix = path.suffix.lower()
    if suffix in REFUSED:
        raise ThermodefectError(REFUSED[suffix], path)
    owner = _owner(suffix)
    for name, reader in READERS.items():
        if not reader.matches(head) or (reader.weak and suffix not in reader.suffixes):
            continue
        if owner is not None and suffix not in reader.suffixes + reader.loose + reader.tolerated:
            raise ThermodefectError(
                f"the content is a {reader.description} file but the suffix {suffix} says "
                f"{READERS[owner].description}; rename it to {reader.suffixes[0]}",
                path,
            )
        return name
    if owner == "csv" and _looks_like_text(head):
        return "csv"
    if owner is not None and READERS[owner].refusal:
        raise ThermodefectError(f"the content {READERS[owner].refusal}", path)
    if owner is not None:
        raise ThermodefectError(
            f"the content does not look like a {suffix} file (it starts with {head[:16]!r}); "
            "the file may be damaged",
            path,
        )
    raise ThermodefectError(
        f"unrecognised format (suffix {suffix or 'none'}); we read {', '.join(SEQUENCE_SUFFIXES)}",
        path,
    )


def writer_for(path: Path) -> Writer:
    """The writer whose suffixes hold ``path``'s suffix.

    Parameters
    ----------
    path : Path
        The file to write.

    Returns
    -------
    Writer

    Raises
    ------
    ThermodefectError
        For a suffix no writer takes.
    """
    suffix = Path(path).suffix.lower()
    for writer in WRITERS.values():
        if suffix in writer.suffixes:
            return writer
    known = ", ".join(s for writer in WRITERS.values() for s in writer.suffixes)
    raise ThermodefectError(f"cannot write suffix {suffix or 'none'}; we write {known}", path)
