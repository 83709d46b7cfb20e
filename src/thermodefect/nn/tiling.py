"""Whole images of any size through a network that reads tiles: padding to its pooling factor,
overlapping tiles, linear blending. Torch-free, so that the ONNX runtime path
(:mod:`thermodefect.nn.onnx_network`) tiles exactly as
:func:`~thermodefect.nn.infer.predict_probability` does."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "tiled_probability",
]


def _window(size: int, overlap: int) -> np.ndarray:
    """1-D blending weights: ramps of length ``overlap`` at both ends, 1 inside."""
    w = np.ones(size, np.float32)
    if overlap > 0:
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        w[:overlap] = ramp
        w[-overlap:] = np.minimum(w[-overlap:], ramp[::-1])
    return w


def _starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    return [*starts, size - tile]


def tiled_probability(
    forward: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    multiple: int,
    *,
    tile: int = 512,
    overlap: int = 32,
    batch: int = 4,
) -> np.ndarray:
    """Defect probability of every pixel of one input, from a network applied to tiles.

    The input is padded (reflect) to a multiple of the network's pooling factor, cut into
    tiles of at most ``tile`` pixels overlapping by ``overlap`` and blended with linear ramps.

    Parameters
    ----------
    forward : callable
        (N, ...) float32 tiles -> (N, 1, h, w) probabilities.
    x : ndarray of float32
        (C, H, W), or (1, T, H, W) for clips.
    multiple : int
        The network's pooling factor (2 ** depth).
    tile : int
        Largest tile side in pixels.
    overlap : int
        Overlap of neighbouring tiles in pixels.
    batch : int
        Tiles per forward pass.

    Returns
    -------
    (H, W) ndarray of float32
    """
    h, w = x.shape[-2:]
    m = multiple
    th, tw = (min(tile, -(-s // m) * m) for s in (h, w))
    ph, pw = max(th, -(-h // m) * m), max(tw, -(-w // m) * m)
    pad = [(0, 0)] * (x.ndim - 2) + [(0, ph - h), (0, pw - w)]
    xp = np.pad(x, pad, mode="reflect" if min(h, w) > 1 else "edge")
    step_h, step_w = max(th - overlap, m), max(tw - overlap, m)
    boxes = [(r, c) for r in _starts(ph, th, step_h) for c in _starts(pw, tw, step_w)]
    acc = np.zeros((ph, pw), np.float32)
    weight = np.zeros((ph, pw), np.float32)
    blend = np.outer(_window(th, overlap if ph > th else 0), _window(tw, overlap if pw > tw else 0))
    for i in range(0, len(boxes), batch):
        chunk = boxes[i : i + batch]
        tiles = np.stack([xp[..., r : r + th, c : c + tw] for r, c in chunk])
        prob = forward(np.ascontiguousarray(tiles, np.float32))
        for (r, c), p in zip(chunk, prob[:, 0], strict=True):
            acc[r : r + th, c : c + tw] += p * blend
            weight[r : r + th, c : c + tw] += blend
    return (acc / weight)[:h, :w]
