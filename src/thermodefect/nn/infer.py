"""Apply a network to whole images of any size: padding, overlapping tiles, batching."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from thermodefect.nn.tiling import tiled_probability

__all__ = [
    "predict_probability",
]


def _multiple(model: nn.Module) -> int:
    depth = getattr(model, "depth", None) or getattr(getattr(model, "backbone", None), "depth", 0)
    return 2 ** int(depth or 0)


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

    Per-pixel models read every pixel's series in batches of 65536; image models go through
    :func:`~thermodefect.nn.tiling.tiled_probability`.

    Parameters
    ----------
    model : torch.nn.Module
        A registered network in evaluation mode.
    x : ndarray of float32
        From :func:`thermodefect.nn.inputs.representation`: (C, H, W), or (1, T, H, W) for
        clips.
    device : str
        Torch device.
    tile, overlap, batch
        As in :func:`~thermodefect.nn.tiling.tiled_probability`.

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

    def forward(tiles: np.ndarray) -> np.ndarray:
        return torch.sigmoid(model(torch.from_numpy(tiles).to(device))).float().cpu().numpy()

    return tiled_probability(forward, x, _multiple(model), tile=tile, overlap=overlap,
                             batch=batch)  # fmt: skip
