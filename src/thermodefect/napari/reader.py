"""Opening sequences in napari: every format :func:`thermodefect.load` reads, as a (T, H, W)
image layer whose scale is the frame interval in s and the pixel pitch in mm; a sequence's
ground truth, when the file has one, as a Labels layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from thermodefect.sequence import Sequence

__all__ = [
    "get_reader",
    "layer_data",
    "read_sequence",
    "sample_plate",
]

KEY = "thermodefect"  # the layers' metadata key holding times and Meta


def layer_data(seq: Sequence, name: str) -> list[tuple]:
    """napari layer tuples of a sequence: its frames, and its ground truth when known.

    Parameters
    ----------
    seq : Sequence
        A loaded sequence.
    name : str
        The layer's name.

    Returns
    -------
    list of (data, kwargs, layer type)
    """
    rate, pitch = seq.meta.frame_rate, seq.meta.pixel_pitch_mm
    image_scale = (1.0 / rate if rate else 1.0, pitch or 1.0, pitch or 1.0)
    units = ("s" if rate else "pixel", *(("mm",) * 2 if pitch else ("pixel",) * 2))
    metadata = {KEY: {"times": np.asarray(seq.times), "meta": seq.meta.to_dict()}}
    layers = [(seq.frames, {"name": name, "scale": image_scale, "units": units,
                            "axis_labels": ("t", "y", "x"), "colormap": "inferno",
                            "auto_contrast": True, "metadata": metadata}, "image")]  # fmt: skip
    if seq.mask is not None:
        layers.append((seq.mask.astype(np.uint8), {"name": f"{name} ground truth",
                       "scale": image_scale[1:], "units": units[1:], "opacity": 0.4,
                       "visible": False}, "labels"))  # fmt: skip
    return layers


def read_sequence(path: str | list[str]) -> list[tuple]:
    """The layers of one sequence file (or of each of several).

    Parameters
    ----------
    path : str or list of str
        What napari was asked to open.

    Returns
    -------
    list of (data, kwargs, layer type)
    """
    from thermodefect.io import load

    paths = [path] if isinstance(path, (str, Path)) else list(path)
    layers = []
    for p in paths:
        layers += layer_data(load(p), Path(p).stem)
    return layers


def get_reader(path: str | list[str]) -> Callable | None:
    """napari's reader hook: :func:`read_sequence` for files :func:`thermodefect.load` reads.

    Parameters
    ----------
    path : str or list of str
        What napari was asked to open.

    Returns
    -------
    callable or None
        None for a file no reader of the package recognises (napari then asks others).
    """
    from thermodefect.errors import ThermodefectError
    from thermodefect.io.formats import sniff

    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    try:
        formats = [sniff(p) for p in paths]
    except (ThermodefectError, OSError):
        return None
    for p, kind in zip(paths, formats, strict=True):
        if kind == "csv-folder" and not any(p.glob("*.csv")):
            return None
    return read_sequence


def sample_plate() -> list[tuple]:
    """napari sample data: a small simulated CFRP plate with flat-bottom holes (seconds to
    compute).

    Returns
    -------
    list of (data, kwargs, layer type)
    """
    from thermodefect.simulate import run
    from thermodefect.simulate.presets import PRESETS

    spec = PRESETS["tiny"](np.random.default_rng(0), "sample plate")
    seq, _ = run(spec)
    return layer_data(seq, "sample plate")
