"""UNet and UNet++ over 2-D images or 3-D (time x space) clips, one code path for both.

Layers are built from the number of spatial dimensions ``dims``. ``dims=2``: input
(N, C, H, W) -> logits (N, 1, H, W). ``dims=3``: input (N, C, T, H, W) -> logits
(N, 1, T, H, W), or features (N, base, T, H, W) from :meth:`NestedUNet.features` (the
spatio-temporal network collapses time itself). H and W (and T in 3-D) must be multiples of
2**depth; :func:`thermodefect.nn.infer.predict` pads and tiles real images to fit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from thermodefect.nn.blocks import CONV, ConvUnit, attention

__all__ = [
    "POOL",
    "NestedUNet",
    "UNet",
    "build_unet",
    "build_unetpp",
    "check_size",
]

POOL = {2: nn.MaxPool2d, 3: nn.MaxPool3d}


def _up(x: torch.Tensor, dims: int) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="bilinear" if dims == 2 else "trilinear",
                         align_corners=False)  # fmt: skip


def check_size(x: torch.Tensor, depth: int, dims: int) -> None:
    """Refuse an input whose spatial sizes are not multiples of ``2**depth``.

    Parameters
    ----------
    x : torch.Tensor
        (N, C, H, W) or (N, C, T, H, W).
    depth : int
        Poolings of the network.
    dims : {2, 3}
        Spatial dimensions.

    Raises
    ------
    ValueError
        A programming error: :func:`thermodefect.nn.infer.predict_probability` pads inputs.
    """
    step = 2**depth
    bad = [s for s in x.shape[-dims:] if s % step]
    if bad:
        raise ValueError(f"input sizes {tuple(x.shape[-dims:])} must be multiples of {step}")


class UNet(nn.Module):
    """The UNet (Ronneberger 2015): ``depth`` poolings, widths ``base * 2**level``,
    (bi/tri)linear upsampling, an optional attention block after each decoder unit.

    Parameters
    ----------
    in_channels : int
        Channels C of the input.
    base : int
        Channels of the first level.
    depth : int
        Poolings; H and W (and T in 3-D) must be multiples of ``2**depth``.
    dims : {2, 3}
        Spatial dimensions: (N, C, H, W) images or (N, C, T, H, W) clips.
    attention_block : str, optional
        A name of :data:`thermodefect.nn.registry.ATTENTION`.

    Examples
    --------
    >>> UNet(3, base=4, depth=2)(torch.zeros(1, 3, 8, 12)).shape
    torch.Size([1, 1, 8, 12])
    >>> UNet(1, base=4, depth=1, dims=3)(torch.zeros(1, 1, 4, 8, 8)).shape
    torch.Size([1, 1, 4, 8, 8])
    """

    kind = "image"

    def __init__(
        self,
        in_channels: int,
        *,
        base: int = 16,
        depth: int = 4,
        dims: int = 2,
        attention_block: str | None = None,
    ):
        super().__init__()
        widths = [base * 2**i for i in range(depth + 1)]
        self.depth, self.dims = depth, dims
        self.down = nn.ModuleList(
            [ConvUnit(in_channels, widths[0], dims)]
            + [ConvUnit(widths[i - 1], widths[i], dims) for i in range(1, depth + 1)]
        )
        self.up = nn.ModuleList(
            [ConvUnit(widths[i] + widths[i + 1], widths[i], dims) for i in range(depth)]
        )
        self.att = nn.ModuleList(
            [attention(attention_block, widths[i], dims) for i in range(depth)]
        )
        self.head = CONV[dims](widths[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_size(x, self.depth, self.dims)
        pool = POOL[self.dims](2)
        skips = []
        for i, unit in enumerate(self.down):
            x = unit(x if i == 0 else pool(x))
            skips.append(x)
        x = skips.pop()
        for i in reversed(range(self.depth)):
            x = self.att[i](self.up[i](torch.cat([skips[i], _up(x, self.dims)], dim=1)))
        return self.head(x)


class NestedUNet(nn.Module):
    """UNet++ (Zhou et al. 2018): node X(i, j) at level i after j nested skip steps is a
    convolution unit over [X(i, 0), ..., X(i, j-1), up(X(i+1, j-1))].

    Parameters
    ----------
    in_channels : int
        Channels C of the input.
    base : int
        Channels of the first level.
    depth : int
        Poolings.
    dims : {2, 3}
        Images or clips.
    deep_supervision : bool
        Predict from every top node X(0, 1..depth); training averages their losses and
        :meth:`forward` returns their mean in evaluation mode.
    attention_block : str, list of str or None
        A registered attention block, or one per level (``None`` for none).
    head : bool
        ``False`` leaves out the output convolution (for networks that read
        :meth:`features`).

    Examples
    --------
    >>> NestedUNet(2, base=4, depth=2)(torch.zeros(1, 2, 8, 8)).shape
    torch.Size([1, 1, 8, 8])
    """

    kind = "image"

    def __init__(
        self,
        in_channels: int,
        *,
        base: int = 16,
        depth: int = 4,
        dims: int = 2,
        deep_supervision: bool = False,
        attention_block=None,
        head: bool = True,
    ):
        super().__init__()
        w = [base * 2**i for i in range(depth + 1)]
        per_level = attention_block if isinstance(attention_block, list) else None
        self.depth, self.dims, self.deep_supervision = depth, dims, deep_supervision
        self.nodes = nn.ModuleDict()
        self.att = nn.ModuleDict()
        for i in range(depth + 1):
            self.nodes[f"{i}_0"] = ConvUnit(in_channels if i == 0 else w[i - 1], w[i], dims)
        for j in range(1, depth + 1):
            for i in range(depth + 1 - j):
                self.nodes[f"{i}_{j}"] = ConvUnit(w[i] * j + w[i + 1], w[i], dims)
                name = per_level[i] if per_level is not None else attention_block
                self.att[f"{i}_{j}"] = attention(name, w[i], dims)
        n_heads = (depth if deep_supervision else 1) if head else 0
        self.heads = nn.ModuleList([CONV[dims](w[0], 1, 1) for _ in range(n_heads)])

    def _grid(self, x: torch.Tensor) -> dict:
        check_size(x, self.depth, self.dims)
        pool = POOL[self.dims](2)
        out = {}
        for i in range(self.depth + 1):
            x = self.nodes[f"{i}_0"](x if i == 0 else pool(x))
            out[i, 0] = x
        for j in range(1, self.depth + 1):
            for i in range(self.depth + 1 - j):
                parts = [out[i, k] for k in range(j)] + [_up(out[i + 1, j - 1], self.dims)]
                node = self.nodes[f"{i}_{j}"](torch.cat(parts, dim=1))
                out[i, j] = self.att[f"{i}_{j}"](node)
        return out

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The top decoder node X(0, depth).

        Parameters
        ----------
        x : torch.Tensor
            (N, C, H, W) or (N, C, T, H, W).

        Returns
        -------
        torch.Tensor
            (N, base, [T,] H, W).
        """
        return self._grid(x)[0, self.depth]

    def forward(self, x: torch.Tensor):
        grid = self._grid(x)
        if not self.deep_supervision:
            return self.heads[0](grid[0, self.depth])
        outs = [head(grid[0, j + 1]) for j, head in enumerate(self.heads)]
        return outs if self.training else torch.stack(outs).mean(dim=0)


def build_unet(inputs, **options) -> UNet:
    """The registry's builder: a :class:`UNet` reading ``inputs.channels`` channels.

    Parameters
    ----------
    inputs : InputConfig
        What the network reads.
    **options
        Constructor options over the registry's defaults.

    Returns
    -------
    UNet
    """
    return UNet(inputs.channels, **options)


def build_unetpp(inputs, **options) -> NestedUNet:
    """The registry's builder: a :class:`NestedUNet` reading ``inputs.channels`` channels.

    Parameters
    ----------
    inputs : InputConfig
        What the network reads.
    **options
        Constructor options over the registry's defaults.

    Returns
    -------
    NestedUNet
    """
    return NestedUNet(inputs.channels, **options)
