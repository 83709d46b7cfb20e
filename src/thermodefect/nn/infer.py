"""Apply a network to whole images of any size: padding, overlapping tiles, batching."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = [
    "predict_probability",
]


def _multiple(model: nn.Module) -> int:
    depth = getattr(model, "depth", None) or getattr(getattr(model, "backbone", None), "depth", 0)
    return 2 ** int(depth or 0)


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


@torch.no_grad()
def predict_probability(
    model: nn.Module,
    x: np.ndarray,
    *,
    device: str = "cpu",
    tile: int = 512,
    overlap: int = 32,
    batch: int = 4,
) -> np.ndarray:
    """Defect probability of every pixel of one input.

    Per-pixel models read every pixel's series in batches of 65536. Image models get the
    input padded (reflect) to a multiple of their pooling factor, cut into tiles of at most
    ``tile`` pixels overlapping by ``overlap`` and blended with linear ramps.

    Parameters
    ----------
    model : torch.nn.Module
        A registered network in evaluation mode.
    x : ndarray of float32
        From :func:`thermodefect.nn.inputs.representation`: (C, H, W), or (1, T, H, W) for
        clips.
    device : str
        Torch device.
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
    model.eval()
    if getattr(model, "kind", "image") == "pixel":
        series = torch.from_numpy(x.reshape(x.shape[0], -1).T.copy())
        out = [torch.sigmoid(model(series[i : i + 65536].to(device))).cpu()
               for i in range(0, series.shape[0], 65536)]  # fmt: skip
        return torch.cat(out).numpy().reshape(x.shape[-2:]).astype(np.float32)
    h, w = x.shape[-2:]
    m = _multiple(model)
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
        prob = torch.sigmoid(model(torch.from_numpy(tiles).to(device))).float().cpu().numpy()
        for (r, c), p in zip(chunk, prob[:, 0], strict=True):
            acc[r : r + th, c : c + tw] += p * blend
            weight[r : r + th, c : c + tw] += blend
    return (acc / weight)[:h, :w]
