"""Adversarial terms of training: a mask discriminator and feature-level domain adaptation.

- **Mask discriminator** (the seed's second paper, Ruan et al., Neurocomputing 2020, after
  Luc et al. 2016): a small convolutional network judges (input, mask) pairs, true masks
  against the segmenter's probability maps, patch by patch. The segmenter's joint loss adds
  ``weight x BCE(D(x, p), real)``: masks must look like real defect outlines (compact,
  closed, no speckle), not only overlap them pixel by pixel.
- **Domain adversarial training** (Ganin and Lempitsky 2015): a classifier tells the
  bottleneck features of simulated patches from those of an unlabelled target folder through
  a gradient-reversal layer, so the encoder learns features the two domains share. Its
  weight ramps up as ``2 / (1 + exp(-10 p)) - 1`` over the run's progress ``p``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from thermodefect.errors import ThermodefectError

__all__ = [
    "ADVERSARIAL_MODELS",
    "Adversaries",
    "DomainClassifier",
    "MaskDiscriminator",
    "bottleneck",
    "check_adversarial",
    "dann_weight",
    "reverse_gradient",
    "seeded",
]

#: Networks whose bottleneck the domain classifier reads.
ADVERSARIAL_MODELS = ("unet", "unetpp")


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.weight * grad, None


def reverse_gradient(x: torch.Tensor, weight: float) -> torch.Tensor:
    """Identity forward; the gradient times ``-weight`` backward.

    Parameters
    ----------
    x : torch.Tensor
        Features.
    weight : float
        Scale of the reversed gradient.

    Returns
    -------
    torch.Tensor
    """
    return _Reverse.apply(x, weight)


def dann_weight(progress: float) -> float:
    """The domain term's ramp: 0 at the start, about 1 at the end.

    Parameters
    ----------
    progress : float
        Share of the run done, 0..1.

    Returns
    -------
    float
    """
    return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0


class MaskDiscriminator(nn.Module):
    """Patch logits of "this mask is a true label of this input".

    Parameters
    ----------
    in_channels : int
        Channels of the network input; the mask is one more.
    base : int
        Channels of the first convolution.

    Examples
    --------
    >>> MaskDiscriminator(3, base=4)(torch.zeros(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 1, 4, 4])
    """

    def __init__(self, in_channels: int, base: int = 16):
        super().__init__()
        widths = [in_channels + 1, base, 2 * base, 4 * base]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(widths[-1], 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, mask], dim=1))


class DomainClassifier(nn.Module):
    """Logit of "these features come from the target folder", behind gradient reversal.

    Parameters
    ----------
    channels : int
        Channels of the bottleneck features.

    Examples
    --------
    >>> DomainClassifier(8)(torch.zeros(3, 8, 4, 4), 1.0).shape
    torch.Size([3])
    """

    def __init__(self, channels: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 1),
        )  # fmt: skip

    def forward(self, features: torch.Tensor, weight: float) -> torch.Tensor:
        return self.net(reverse_gradient(features, weight))[:, 0]


def bottleneck(model: nn.Module) -> nn.Module:
    """The deepest encoder unit of a UNet or UNet++.

    Parameters
    ----------
    model : torch.nn.Module
        A :class:`~thermodefect.nn.unet.UNet` or :class:`~thermodefect.nn.unet.NestedUNet`.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ThermodefectError
        For any other network.
    """
    from thermodefect.nn.unet import NestedUNet, UNet

    if isinstance(model, UNet):
        return model.down[-1]
    if isinstance(model, NestedUNet):
        return model.nodes[f"{model.depth}_0"]
    raise ThermodefectError(f"no bottleneck known for {type(model).__name__}")


def _mean_logits(out) -> torch.Tensor:
    return torch.stack(out).mean(dim=0) if isinstance(out, list) else out


class Adversaries:
    """The adversarial terms of one training run, with their own networks.

    Parameters
    ----------
    model : torch.nn.Module
        The segmenter (a UNet or UNet++).
    in_channels : int
        Channels of its input.
    mask_weight : float
        Weight of the mask discriminator's term (0: none).
    domain_weight : float
        Largest weight of the domain term (0: none).
    lr : float
        Learning rate of the discriminator.
    device : str
        Torch device.
    """

    def __init__(
        self,
        model: nn.Module,
        in_channels: int,
        *,
        mask_weight: float,
        domain_weight: float,
        lr: float,
        device: str,
    ):
        self.mask_weight, self.domain_weight = mask_weight, domain_weight
        self.discriminator = None
        if mask_weight > 0:
            self.discriminator = MaskDiscriminator(in_channels).to(device)
            self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr,
                                          betas=(0.5, 0.999))  # fmt: skip
        self.domain = None
        self._features: list[torch.Tensor] = []
        if domain_weight > 0:
            unit = bottleneck(model)
            channels = next(m for m in reversed(list(unit.modules()))
                            if isinstance(m, nn.BatchNorm2d)).num_features  # fmt: skip
            self.domain = DomainClassifier(channels).to(device)
            unit.register_forward_hook(lambda _m, _i, out: self._features.append(out))

    def parameters(self) -> list:
        """Parameters optimised with the segmenter (the domain classifier's).

        Returns
        -------
        list of torch.nn.Parameter
        """
        return [] if self.domain is None else list(self.domain.parameters())

    def start(self) -> None:
        """Forget the features of the previous forward pass (call before each one)."""
        self._features.clear()

    def segmenter_loss(self, x: torch.Tensor, out, n_source: int, progress: float) -> torch.Tensor:
        """The adversarial terms of the segmenter's joint loss for one batch.

        Parameters
        ----------
        x : torch.Tensor
            The source inputs (N, C, H, W).
        out : torch.Tensor or list of torch.Tensor
            The segmenter's logits of the source (first ``n_source``) and target samples.
        n_source : int
            Source samples in the batch.
        progress : float
            Share of the run done, 0..1.

        Returns
        -------
        torch.Tensor
            A scalar (0 without terms).
        """
        loss = torch.zeros((), device=x.device)
        if self.discriminator is not None:
            prob = torch.sigmoid(_mean_logits(out)[:n_source])
            judged = self.discriminator(x, prob)
            fool = F.binary_cross_entropy_with_logits(judged, torch.ones_like(judged))
            loss = loss + self.mask_weight * fool
        if self.domain is not None and self._features:
            features = self._features[-1]
            logits = self.domain(features, self.domain_weight * dann_weight(progress))
            labels = torch.zeros_like(logits)
            labels[n_source:] = 1.0
            term = F.binary_cross_entropy_with_logits(logits, labels)
            loss = loss + term
        return loss

    def step_discriminator(self, x: torch.Tensor, out, y: torch.Tensor) -> None:
        """One update of the mask discriminator: true masks real, predictions fake.

        Parameters
        ----------
        x : torch.Tensor
            Source inputs.
        out : torch.Tensor or list of torch.Tensor
            The segmenter's logits of those inputs (detached here).
        y : torch.Tensor
            True masks (N, 1, H, W).
        """
        if self.discriminator is None:
            return
        fake = torch.sigmoid(_mean_logits(out)[: len(x)].detach())
        real_logits = self.discriminator(x, y)
        fake_logits = self.discriminator(x, fake)
        loss = F.binary_cross_entropy_with_logits(
            real_logits, torch.ones_like(real_logits)
        ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()


def check_adversarial(model: str, processes: int, mask_weight: float, domain: str) -> None:
    """Refuse adversarial options a run cannot honour.

    Parameters
    ----------
    model : str
        The network trained.
    processes : int
        Training processes.
    mask_weight : float
        Weight of the mask discriminator (0: off).
    domain : str
        Target folder of domain adaptation ("" : off).

    Raises
    ------
    ThermodefectError
        For a network other than the UNet and UNet++, a negative weight, or several processes.
    """
    if mask_weight < 0:
        raise ThermodefectError(f"the adversarial weight must be >= 0; got {mask_weight}")
    if not (mask_weight > 0 or domain):
        return
    if model not in ADVERSARIAL_MODELS:
        raise ThermodefectError(
            f"adversarial and domain training apply to {' and '.join(ADVERSARIAL_MODELS)}, "
            f"not {model}"
        )
    if processes > 1:
        raise ThermodefectError("adversarial and domain training run in one process")


def seeded(seed: int, epoch: int, step: int, i: int) -> np.random.Generator:
    """The generator of target sample ``i`` of a batch (apart from the source draws).

    Parameters
    ----------
    seed, epoch, step, i : int
        The run's seed and the sample's place.

    Returns
    -------
    numpy.random.Generator
    """
    return np.random.default_rng([seed, epoch, step, i, 1])
