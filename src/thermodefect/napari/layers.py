"""From napari layers back to sequences: the (T, H, W) image layers of the viewer, the
:class:`~thermodefect.sequence.Sequence` one holds, and its prepared cooling (cached)."""

from __future__ import annotations

import weakref

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.napari.reader import KEY
from thermodefect.sequence import Meta, Sequence

__all__ = [
    "cooling_of",
    "sequence_layers",
    "sequence_of",
]

#: layer -> (its data, its sequence, its cooling); an entry goes with its layer
_COOLING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sequence_layers(viewer) -> list:
    """The viewer's image layers that hold a sequence ((T, H, W), not RGB).

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer.

    Returns
    -------
    list of napari.layers.Image
    """
    from napari.layers import Image

    return [lay for lay in viewer.layers
            if isinstance(lay, Image) and lay.ndim == 3 and not lay.rgb]  # fmt: skip


def sequence_of(layer) -> Sequence:
    """The sequence an image layer holds: its times and metadata when the plugin opened it,
    else frame numbers as times and the layer's y scale as pixel pitch (when not 1).

    Parameters
    ----------
    layer : napari.layers.Image
        A (T, H, W) layer.

    Returns
    -------
    Sequence

    Raises
    ------
    ThermodefectError
        When the layer is not (T, H, W).
    """
    frames = np.ascontiguousarray(layer.data, dtype=np.float32)
    if frames.ndim != 3:
        raise ThermodefectError(f"layer {layer.name!r} is not a (T, H, W) sequence")
    info = layer.metadata.get(KEY)
    if info is not None:
        return Sequence(frames, np.asarray(info["times"], np.float64), None,
                        Meta.from_dict(info["meta"]))  # fmt: skip
    pitch = float(layer.scale[1])
    meta = Meta(source=layer.name, pixel_pitch_mm=pitch if pitch != 1.0 else None)
    return Sequence(frames, np.arange(frames.shape[0], dtype=np.float64), None, meta)


def cooling_of(layer) -> tuple[Sequence, Sequence]:
    """The layer's sequence and its cooling prepared for the methods
    (:func:`thermodefect.detect.classical.prepare`), computed once per layer data.

    Parameters
    ----------
    layer : napari.layers.Image
        A (T, H, W) layer.

    Returns
    -------
    seq, cooling : Sequence
    """
    from thermodefect.detect.classical import prepare

    cached = _COOLING.get(layer)
    if cached is not None and cached[0] is layer.data:
        return cached[1], cached[2]
    seq = sequence_of(layer)
    cooling = prepare(seq)
    _COOLING[layer] = (layer.data, seq, cooling)
    return seq, cooling
