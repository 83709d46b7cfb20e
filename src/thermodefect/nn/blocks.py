"""Attention blocks and convolution units, shared by the 2-D and 3-D networks.

Every attention block maps a tensor to one of the same shape: ``(N, C, H, W)`` for the 2-D
blocks, ``(N, C, T, H, W)`` for ECA3D and spatio-temporal attention; SE, ECA, scSE and CBAM
take either. Every block is built as ``Block(channels, dims=2 or 3)`` (blocks that work in
any dimension ignore ``dims``), so the networks create them by name through
:data:`thermodefect.nn.registry.ATTENTION`. References: SE (Hu et al. 2018), scSE (Roy
et al. 2018), ECA (Wang et al. 2020), CBAM (Woo et al. 2018).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "CBAM",
    "CONV",
    "ECA",
    "ECA3D",
    "NORM",
    "SCSE",
    "SE",
    "ConvUnit",
    "SpatioTemporalAttention",
    "attention",
    "eca_kernel",
]


def _spatial_mean(x: torch.Tensor) -> torch.Tensor:
    """(N, C, ...) -> (N, C): mean over every axis after the channels."""
    return x.flatten(2).mean(dim=2)


def _spatial_max(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(2).amax(dim=2)


def _expand(weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(N, C) channel weights shaped to broadcast against ``x``."""
    return weights.reshape(*weights.shape, *([1] * (x.dim() - 2)))


class SE(nn.Module):
    """Squeeze-and-excitation: channels reweighted by an MLP on their global means.

    Parameters
    ----------
    channels : int
        C of the (N, C, ...) input.
    reduction : int
        Hidden width is ``channels // reduction`` (at least 2).
    dims : int
        Accepted for the uniform signature; SE works in any dimension.

    Examples
    --------
    >>> SE(8)(torch.zeros(2, 8, 5, 5)).shape
    torch.Size([2, 8, 5, 5])
    """

    def __init__(self, channels: int, reduction: int = 4, dims: int = 2):
        super().__init__()
        hidden = max(channels // reduction, 2)
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * _expand(torch.sigmoid(self.mlp(_spatial_mean(x))), x)


class SCSE(nn.Module):
    """Concurrent spatial and channel squeeze-and-excitation: the sum of the channel gate
    (SE) and a per-position gate from a 1x1 convolution.

    Parameters
    ----------
    channels : int
        C of the input.
    reduction : int
        Of the channel gate's MLP.
    dims : {2, 3}
        (N, C, H, W) or (N, C, T, H, W) inputs.
    """

    def __init__(self, channels: int, reduction: int = 4, dims: int = 2):
        super().__init__()
        self.channel = SE(channels, reduction)
        self.spatial = CONV[dims](channels, 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.channel(x) + x * torch.sigmoid(self.spatial(x))


def eca_kernel(channels: int, gamma: float = 2.0, b: float = 1.0) -> int:
    """ECA's adaptive kernel size: the odd number nearest abs(log2(C) + b) / gamma.

    Parameters
    ----------
    channels : int
        C.
    gamma, b : float
        The mapping's constants (Wang et al. 2020).

    Returns
    -------
    int

    Examples
    --------
    >>> [eca_kernel(c) for c in (16, 64, 256)]
    [3, 3, 5]
    """
    k = int(abs((math.log2(channels) + b) / gamma))
    return k if k % 2 else k + 1


class ECA(nn.Module):
    """Efficient channel attention: a 1-D convolution across the channel descriptor (global
    mean), no dimensionality reduction. Works on 4-D and 5-D tensors alike.

    Parameters
    ----------
    channels : int
        C of the input.
    kernel_size : int, optional
        Default :func:`eca_kernel`.
    dims : int
        Accepted for the uniform signature; ECA works in any dimension.
    """

    def __init__(self, channels: int, kernel_size: int | None = None, dims: int = 2):
        super().__init__()
        k = kernel_size or eca_kernel(channels)
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.conv(_spatial_mean(x).unsqueeze(1)).squeeze(1)
        return x * _expand(torch.sigmoid(weights), x)


class ECA3D(ECA):
    """ECA on (N, C, T, H, W) clips: the descriptor averages over time and space.

    Parameters
    ----------
    channels : int
        C of the input.
    kernel_size : int, optional
        Default :func:`eca_kernel`.
    dims : int
        Accepted for the uniform signature (clips only).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise ValueError(f"ECA3D expects (N, C, T, H, W), got {tuple(x.shape)}")
        return super().forward(x)


class SpatioTemporalAttention(nn.Module):
    """Separate gates over time and over space for (N, C, T, H, W) clips.

    The temporal gate (N, 1, T, 1, 1) comes from a 1-D convolution along time of the
    channel- and space-averaged signal; the spatial gate (N, 1, 1, H, W) from a 7x7
    convolution of the channel- and time-wise mean and max maps.

    Parameters
    ----------
    channels : int
        C of the input (the gates do not depend on it).
    kernel_t : int
        Temporal kernel.
    kernel_s : int
        Spatial kernel.
    dims : int
        Accepted for the uniform signature (clips only).
    """

    def __init__(self, channels: int, kernel_t: int = 3, kernel_s: int = 7, dims: int = 3):
        super().__init__()
        self.temporal = nn.Conv1d(2, 1, kernel_t, padding=kernel_t // 2)
        self.spatial = nn.Conv2d(2, 1, kernel_s, padding=kernel_s // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise ValueError(f"spatio-temporal attention expects (N, C, T, H, W), got {x.shape}")
        over_t = torch.stack([x.mean(dim=(1, 3, 4)), x.amax(dim=(1, 3, 4))], dim=1)  # N,2,T
        t_gate = torch.sigmoid(self.temporal(over_t))[:, :, :, None, None]
        over_s = torch.stack([x.mean(dim=(1, 2)), x.amax(dim=(1, 2))], dim=1)  # N,2,H,W
        s_gate = torch.sigmoid(self.spatial(over_s))[:, :, None]
        return x * t_gate * s_gate


class CBAM(nn.Module):
    """Convolutional block attention: a channel gate from an MLP on global mean and max,
    then a spatial gate from a convolution of the channel mean and max maps.

    Parameters
    ----------
    channels : int
        C of the input.
    reduction : int
        Of the channel MLP.
    kernel_size : int
        Of the spatial gate.
    dims : {2, 3}
        (N, C, H, W) or (N, C, T, H, W) inputs.
    """

    def __init__(self, channels: int, reduction: int = 4, kernel_size: int = 7, dims: int = 2):
        super().__init__()
        hidden = max(channels // reduction, 2)
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels)
        )
        self.spatial = CONV[dims](2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.mlp(_spatial_mean(x)) + self.mlp(_spatial_max(x)))
        x = x * _expand(gate, x)
        maps = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(maps))


CONV = {2: nn.Conv2d, 3: nn.Conv3d}
NORM = {2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


def attention(name: str | None, channels: int, dims: int = 2) -> nn.Module:
    """An attention block of :data:`thermodefect.nn.registry.ATTENTION` by name.

    Parameters
    ----------
    name : str or None
        A registered block; ``None`` gives the identity.
    channels : int
        Channels of the tensors it gates.
    dims : {2, 3}
        Spatial dimensions of the network (2 for images, 3 for clips).

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ThermodefectError
        For an unknown name.
    """
    from thermodefect.nn.registry import ATTENTION

    if name is None:
        return nn.Identity()
    return ATTENTION[name](channels, dims=dims)


class ConvUnit(nn.Sequential):
    """Two (convolution, batch norm, ReLU) layers; in 3-D each convolution is factorised into
    a 1x3x3 spatial and a 3x1x1 temporal one (the seed's spatio-temporal unit).

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    dims : {2, 3}
        Images or clips.
    """

    def __init__(self, c_in: int, c_out: int, dims: int = 2):
        layers: list[nn.Module] = []
        for c in (c_in, c_out):
            if dims == 2:
                layers.append(nn.Conv2d(c, c_out, 3, padding=1, bias=False))
            else:
                layers += [
                    nn.Conv3d(c, c_out, (1, 3, 3), padding=(0, 1, 1), bias=False),
                    nn.Conv3d(c_out, c_out, (3, 1, 1), padding=(1, 0, 0), bias=False),
                ]
            layers += [NORM[dims](c_out), nn.ReLU(inplace=True)]
        super().__init__(*layers)
