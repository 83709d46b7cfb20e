"""Pieces every command shares: argument types, the options for reading sequences, output."""

from __future__ import annotations

import argparse
import sys

PROG = "thermodefect"


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
    g.add_argument("--frame-rate", type=float, help="frames per second, overriding the file")
    g.add_argument("--pixel-pitch", type=float, help="pixel size on the specimen in mm")


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
