"""The seed's spatio-temporal 3-D UNet++ with a PCA branch, and its attention variant.

Input: clips (N, 1, T, H, W) of T normalised frames (T = 16 by default); output: logits
(N, 1, H, W). The 3-D UNet++ (factorised 1x3x3 then 3x1x1 convolutions) produces features
(N, base, T, H, W) that are averaged over time. The PCA branch computes the leading
principal-component images of the input clip inside the network (power iteration on the
T x T Gram matrix: matrix products only, so it exports to ONNX), passes them through a 2-D
convolution unit, and ECA attention fuses both before the 1x1 output convolution.
"""

from __future__ import annotations

import torch
from torch import nn

from thermodefect.nn.blocks import ECA, ConvUnit
from thermodefect.nn.unet import NestedUNet

__all__ = [
    "STUNet",
    "build",
    "clip_pca",
]


def clip_pca(clip: torch.Tensor, k: int = 3, iterations: int = 48) -> torch.Tensor:
    """Leading ``k`` PCT component images of each clip (pixel histories centred over time).

    Each image is standardised (zero mean, unit variance) and signed so that its
    largest-magnitude pixel is positive. Eigenvectors of the Gram matrix come from power
    iteration with deflation from a fixed start, so the result is deterministic and
    differentiable without an eigen-solver (and exports to ONNX).

    Parameters
    ----------
    clip : (N, T, H, W) torch.Tensor
        Frames of each clip.
    k : int
        Components.
    iterations : int
        Power iterations per component.

    Returns
    -------
    (N, k, H, W) torch.Tensor
    """
    n, t, h, w = clip.shape
    x = clip.reshape(n, t, h * w)
    x = x - x.mean(dim=1, keepdim=True)
    gram = x @ x.transpose(1, 2) / (h * w)
    start = torch.linspace(1.0, 2.0, t, device=clip.device, dtype=clip.dtype)
    images = []
    for _ in range(k):
        v = start.expand(n, t).unsqueeze(-1)
        for _ in range(iterations):
            v = gram @ v
            v = v / v.norm(dim=1, keepdim=True).clamp(min=1e-12)
        lam = (v.transpose(1, 2) @ gram @ v).clamp(min=0)
        gram = gram - lam * (v @ v.transpose(1, 2))
        u = (v.transpose(1, 2) @ x).squeeze(1)  # (N, HW)
        u = (u - u.mean(dim=1, keepdim=True)) / u.std(dim=1, keepdim=True).clamp(min=1e-12)
        peak = torch.gather(u, 1, u.abs().argmax(dim=1, keepdim=True))
        images.append(u * torch.where(peak < 0, -1.0, 1.0))
    return torch.stack(images, dim=1).reshape(n, k, h, w)


class STUNet(nn.Module):
    """Spatio-temporal UNet++ with a PCA branch fused by ECA (see the module docstring).

    Parameters
    ----------
    base : int
        Channels of the first level.
    depth : int
        Poolings.
    frames : int
        T of the (N, 1, T, H, W) clips it reads.
    pca_components : int
        Images of the PCA branch.
    attention : bool
        ``stunet-att``: ECA3D and spatio-temporal attention on the deeper levels of the 3-D
        network.

    Examples
    --------
    >>> STUNet(base=4, depth=2, frames=8)(torch.zeros(1, 1, 8, 8, 8)).shape
    torch.Size([1, 1, 8, 8])
    """

    kind = "clip"

    def __init__(
        self,
        *,
        base: int = 8,
        depth: int = 3,
        frames: int = 16,
        pca_components: int = 3,
        attention: bool = False,
    ):
        super().__init__()
        if frames % 2**depth:
            raise ValueError(f"frames ({frames}) must be a multiple of 2**depth ({2**depth})")
        per_level = None
        if attention:
            per_level = [None] + ["eca3d"] * (depth - 2) + ["st"] * min(depth - 1, 1)
            per_level += [None] * (depth + 1 - len(per_level))
        self.frames, self.pca_components = frames, pca_components
        self.backbone = NestedUNet(
            1, base=base, depth=depth, dims=3, attention_block=per_level, head=False
        )
        self.pca = ConvUnit(pca_components, base)
        self.fuse = ECA(2 * base)
        self.head = nn.Conv2d(2 * base, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or x.shape[1] != 1 or x.shape[2] != self.frames:
            raise ValueError(f"expected clips (N, 1, {self.frames}, H, W), got {tuple(x.shape)}")
        features = self.backbone.features(x).mean(dim=2)
        components = self.pca(clip_pca(x[:, 0], self.pca_components))
        return self.head(self.fuse(torch.cat([features, components], dim=1)))


def build(inputs, **options) -> STUNet:
    """The registry's builder: an :class:`STUNet` on clips of ``inputs.n_frames`` frames.

    Parameters
    ----------
    inputs : InputConfig
        What the network reads.
    **options
        Constructor options over the registry's defaults.

    Returns
    -------
    STUNet
    """
    return STUNet(frames=inputs.n_frames, **options)
