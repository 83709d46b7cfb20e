"""Pieces every command shares: argument types, the options for reading sequences, output."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from thermodefect.errors import ThermodefectError

PROG = "thermodefect"


class HelpFormatter(argparse.HelpFormatter):
    """Shows every option's default unless its help already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            default = action.default
            shown = " ".join(map(str, default)) if isinstance(default, list) else default
            return f"{text} (default: {shown})" if text else f"default: {shown}"
        return text


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (exit status 2), like every other error,
    and whose help shows every default."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        """Print ``message`` on one line with a pointer to ``--help`` and exit with status 2."""
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _number(text: str, kind: type, what: str, ok) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive(text: str) -> float:
    """A finite number > 0 (frame rates, pixel pitches, learning rates, radii)."""
    return _number(text, float, "a positive number", lambda v: v > 0)


def finite(text: str) -> float:
    """Any finite number."""
    return _number(text, float, "a finite number", lambda v: True)


def nonnegative(text: str) -> float:
    """A finite number >= 0 (weights that 0 turns off)."""
    return _number(text, float, "a number >= 0", lambda v: v >= 0)


def probability(text: str) -> float:
    """A number strictly between 0 and 1."""
    return _number(text, float, "a number between 0 and 1 (exclusive)", lambda v: 0 < v < 1)


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    return int(_number(text, int, "a whole number >= 1", lambda v: v >= 1))


def count(text: str) -> int:
    """A whole number >= 0."""
    return int(_number(text, int, "a whole number >= 0", lambda v: v >= 0))


def shape(text: str) -> tuple[int, int]:
    """Parse ``HxW`` or ``N`` (square) into (H, W)."""
    parts = text.lower().split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if len(dims) == 1:
        dims = (dims[0], dims[0])
    if len(dims) != 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected HxW or N with positive integers, got {text!r}")
    return dims[0], dims[1]


def size(text: str) -> int | tuple[int, int]:
    """Parse ``N`` (the longer side, aspect ratio kept) or ``HxW`` (exact)."""
    if "x" in text.lower():
        return shape(text)
    return positive_int(text)


def pixel(text: str) -> tuple[int, int]:
    """Parse ``ROW,COL``."""
    try:
        r, c = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ROW,COL, got {text!r}") from None
    return r, c


def add_load_options(p: argparse.ArgumentParser) -> None:
    """The options of every command that reads sequences."""
    g = p.add_argument_group("reading sequences")
    g.add_argument(
        "--var", help="MATLAB variable / HDF5 dataset holding the frames (a.b for fields)"
    )
    g.add_argument("--shape", type=shape, help="HxW of per-pixel CSV rows of unknown size")
    g.add_argument("--order", choices=("C", "F"), default="C", help="CSV pixel order (default C)")
    g.add_argument("--layout", choices=("THW", "HWT"), help="axis order of NumPy/HDF5 arrays")
    g.add_argument(
        "--frame-rate", type=positive, help="frames per second, overriding the file (Hz)"
    )
    g.add_argument("--pixel-pitch", type=positive, help="pixel size on the specimen in mm")


def load(path, args):
    """Read a sequence with the command's reading options."""
    from thermodefect.io import load as load_sequence

    return load_sequence(
        path,
        var=args.var,
        shape=args.shape,
        order=args.order,
        layout=args.layout,
        frame_rate=args.frame_rate,
        pixel_pitch_mm=args.pixel_pitch,
    )


def _writable_ancestor(path: Path) -> Path:
    """The nearest existing folder above ``path`` (or ``path`` itself), checked writable."""
    parent = path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ThermodefectError(f"cannot be created: {parent} is a file, not a folder", path)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ThermodefectError(f"cannot be written: {parent} is not writable", path)
    return parent


def output_folder(path: Path, *, reads=()) -> Path:
    """Check, before any work, that the output folder ``path`` can be written.

    Parameters
    ----------
    path : Path
        The command's ``--out``.
    reads : iterable of Path
        Folders (or files, whose folders count) the command reads from.

    Returns
    -------
    Path

    Raises
    ------
    ThermodefectError
        When ``path`` is a file, lies under a file, is not writable, or is a folder the
        command reads from.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ThermodefectError("exists and is not a folder; choose another output folder", path)
    _writable_ancestor(path)
    here = path.resolve()
    for source in reads:
        folder = Path(source).resolve()
        folder = folder if folder.is_dir() else folder.parent
        if folder == here:
            raise ThermodefectError(
                f"is a folder this command reads from ({source}); choose another output folder",
                path,
            )
    return path


def output_file(path: Path, *, reads=()) -> Path:
    """Check, before any work, that the output file ``path`` can be written over no input.

    Parameters
    ----------
    path : Path
        The file to write.
    reads : iterable of Path
        Files the command reads.

    Returns
    -------
    Path

    Raises
    ------
    ThermodefectError
        When ``path`` is a folder, lies under a file, is not writable, or is an input.
    """
    path = Path(path)
    if path.is_dir() and path.suffix.lower() != ".zarr":  # a Zarr store is a folder
        raise ThermodefectError("is a folder; give a file name", path)
    _writable_ancestor(path.parent)
    for source in reads:
        if Path(source).exists() and path.exists() and os.path.samefile(source, path):
            raise ThermodefectError("refusing to overwrite an input; choose another name", path)
    return path


def plural(count: int, noun: str) -> str:
    """``'1 defect'``, ``'2 defects'``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def say(args, text: str) -> None:
    """Print a result line unless ``--quiet``."""
    if not args.quiet:
        print(text)


def report(problems: list[str], warnings: list[str] | tuple[str, ...] = ()) -> int:
    """Print warnings and problems on stderr, one line each; the exit status (2 on problems)."""
    for line in warnings:
        print(f"{PROG}: warning: {line}", file=sys.stderr)
    for line in problems:
        print(f"{PROG}: error: {line}", file=sys.stderr)
    return 2 if problems else 0


def choices_help(text: str, registry) -> str:
    """``text`` followed by each registered name and its summary."""
    return f"{text} ({registry.help()})"


def add_batch_options(p) -> None:
    """``--workers``, ``--scheduler`` and ``--retries`` (:mod:`thermodefect.batch`)."""
    b = p.add_argument_group(
        "many files on a Dask cluster (pip install 'thermodefect[dask]'): one task per file, "
        "OUT/manifest.json makes a rerun skip finished files and redo failed ones, "
        "OUT/summary.csv lists every file"
    )
    where = b.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=positive_int, help="worker processes of a local Dask cluster"
    )
    where.add_argument(
        "--scheduler", help="address of a running Dask scheduler (tcp://host:8786) instead"
    )
    b.add_argument(
        "--retries", type=count, default=2, help="times a task that crashed is tried again"
    )


class FileTask:
    """A command's work on one input file with its settings: called by the serial loop and,
    pickled, as a Dask task (:func:`thermodefect.batch.run_batch`).

    Parameters
    ----------
    args : argparse.Namespace
        The command's settings.
    names : dict of Path to str
        The output stem of every input (:func:`~thermodefect.io.files.output_names`).
    """

    def __init__(self, args, names: dict):
        self.args = args
        self.names = {str(k): v for k, v in names.items()}

    def name(self, path: Path) -> str:
        """The output stem of ``path``.

        Parameters
        ----------
        path : Path
            An input.

        Returns
        -------
        str
        """
        return self.names[str(path)]
