"""Per-pixel LSTM classifier over each pixel's cooling curve (the seed's first model)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "PixelLSTM",
    "build",
]


class PixelLSTM(nn.Module):
    """Stacked LSTM over one pixel's T normalised temperatures, then a linear layer to one
    defect logit (a two-class softmax, as the seed's, is the same model with one redundant
    output). Input (N, T) or (N, T, 1); output (N,).

    Parameters
    ----------
    hidden : int
        Units per layer.
    layers : int
        Stacked LSTM layers.
    dropout : float
        Between layers.

    Examples
    --------
    >>> PixelLSTM()(torch.zeros(5, 16)).shape
    torch.Size([5])
    """

    kind = "pixel"

    def __init__(self, *, hidden: int = 16, layers: int = 3, dropout: float = 0.5):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=layers, batch_first=True, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(-1)
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1])).squeeze(-1)


def build(inputs, **options) -> PixelLSTM:
    """The registry's builder: a :class:`PixelLSTM` (it reads any number of frames).

    Parameters
    ----------
    inputs : InputConfig
        What the network reads.
    **options
        Constructor options over the registry's defaults.

    Returns
    -------
    PixelLSTM
    """
    return PixelLSTM(**options)
