"""Self-supervised pretraining on sequences without labels: masked reconstruction.

The pretext task fits thermography: a plate's cooling is smooth in space and time, so a
network that sees the input representation (:mod:`thermodefect.nn.inputs`) with square
blocks of pixels blanked in every channel must rebuild those pixels' log-spaced cooling from
their neighbours. It learns what sound material, heating patterns, texture and noise look
like on the user's own camera and parts, with no label. The network is the segmentation
network itself with a head of one output per input channel instead of one; the file keeps
every weight but that head, and ``thermodefect train --init`` starts from it.

Samples are drawn and augmented as in supervised training (:class:`~thermodefect.nn.data.
Augmenter`: heating field, offset, noise, flips, rotation), each from its own generator
seeded by (seed, epoch, batch, sample), so a run is deterministic for a seed.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path
from thermodefect.nn.checkpoint import PRETRAINED_FORMAT, read_document
from thermodefect.nn.inputs import InputConfig

__all__ = [
    "HEAD_PREFIXES",
    "PretrainConfig",
    "PretrainResult",
    "block_mask",
    "body_state",
    "initial_state",
    "pretrain",
    "replace_head",
]

#: State-dict prefixes of the output convolution of the UNet and UNet++: the one part that
#: pretraining does not hand over to fine-tuning.
HEAD_PREFIXES = ("head.", "heads.")

#: Networks with a head to swap (2-D image networks).
PRETRAINABLE = ("unet", "unetpp")

VERSION = 1


@dataclass
class PretrainConfig:
    """Everything a pretraining run depends on (stored in its file).

    Parameters
    ----------
    model : str
        ``unet`` or ``unetpp``.
    options : dict
        Network options over the registry's defaults.
    inputs : dict
        Input settings over the network's defaults.
    epochs : int
        Epochs.
    steps : int
        Batches per epoch.
    batch : int
        Samples per batch.
    patch : int
        Side of the square patches, pixels.
    lr : float
        Adam's learning rate.
    mask_ratio : float
        Share of blocks blanked, in (0, 1).
    block : int
        Side of a blanked block, pixels.
    seed : int
        Of every draw.
    device : str
        Torch device.
    """

    model: str = "unet"
    options: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    epochs: int = 10
    steps: int = 25
    batch: int = 8
    patch: int = 64
    lr: float = 2e-3
    mask_ratio: float = 0.4
    block: int = 8
    seed: int = 0
    device: str = "cpu"


@dataclass
class PretrainResult:
    """What a pretraining run produced.

    Parameters
    ----------
    path : Path
        The file written.
    losses : list of float
        Mean masked reconstruction loss per epoch.
    seconds : float
        Wall-clock time.
    """

    path: Path
    losses: list
    seconds: float


def replace_head(model: nn.Module, out_channels: int) -> nn.Module:
    """Give a UNet or UNet++ an output convolution of ``out_channels`` channels (in place).

    Parameters
    ----------
    model : torch.nn.Module
        Built by :func:`thermodefect.nn.models.build_model`.
    out_channels : int
        Outputs per pixel.

    Returns
    -------
    torch.nn.Module
        ``model`` itself.

    Raises
    ------
    ThermodefectError
        For a network other than the 2-D UNet and UNet++, or a UNet++ with deep supervision.
    """
    from thermodefect.nn.unet import NestedUNet, UNet

    if isinstance(model, UNet) and model.dims == 2:
        model.head = nn.Conv2d(model.head.in_channels, out_channels, 1)
    elif isinstance(model, NestedUNet) and model.dims == 2 and not model.deep_supervision:
        width = cast(nn.Conv2d, model.heads[0]).in_channels
        model.heads = nn.ModuleList([nn.Conv2d(width, out_channels, 1)])
    else:
        raise ThermodefectError(
            f"pretraining applies to the 2-D {' and '.join(PRETRAINABLE)} without deep supervision"
        )
    return model


def body_state(model: nn.Module) -> dict:
    """Every weight and buffer of a network but its output convolution, on the CPU.

    Parameters
    ----------
    model : torch.nn.Module
        A UNet or UNet++.

    Returns
    -------
    dict of str to torch.Tensor
    """
    return {k: v.detach().cpu() for k, v in model.state_dict().items()
            if not k.startswith(HEAD_PREFIXES)}  # fmt: skip


def block_mask(n: int, size: int, block: int, ratio: float, rng: np.random.Generator):
    """Which pixels are blanked: squares of ``block`` pixels, each with probability ``ratio``.

    Parameters
    ----------
    n : int
        Samples.
    size : int
        Patch side, pixels.
    block : int
        Square side, pixels.
    ratio : float
        Probability of each square.
    rng : numpy.random.Generator
        The draws.

    Returns
    -------
    (n, 1, size, size) ndarray of float32
        1 where blanked; every sample has at least one blanked square.
    """
    cells = -(-size // block)
    grid = rng.random((n, cells, cells)) < ratio
    grid[np.arange(n), rng.integers(cells, size=n), rng.integers(cells, size=n)] = True
    full = np.kron(grid, np.ones((block, block), bool))[:, :size, :size]
    return full[:, None].astype(np.float32)


def pretrain(
    files: list[Path], out: Path, config: PretrainConfig, *, quiet: bool = False
) -> PretrainResult:
    """Pretrain ``config.model`` by masked reconstruction on ``files``; write ``out``.

    Parameters
    ----------
    files : list of Path
        Sequences without labels.
    out : Path
        The ``.pt`` file written (atomically).
    config : PretrainConfig
        The run.
    quiet : bool
        No progress bars.

    Returns
    -------
    PretrainResult

    Raises
    ------
    ThermodefectError
        For a network that cannot be pretrained, a mask ratio outside (0, 1), or an
        unreadable or too short sequence (naming the file).
    """
    from tqdm import tqdm

    from thermodefect.batch import file_records
    from thermodefect.nn.data import Augmenter, load_unlabelled, unlabelled_patches
    from thermodefect.nn.models import build_model, default_inputs, model_spec
    from thermodefect.nn.train import set_determinism

    if config.model not in PRETRAINABLE:
        raise ThermodefectError(
            f"pretraining applies to {' and '.join(PRETRAINABLE)}, not {config.model}"
        )
    if not 0 < config.mask_ratio < 1:
        raise ThermodefectError(f"the mask ratio must lie in (0, 1); got {config.mask_ratio}")
    spec = model_spec(config.model)
    inputs = default_inputs(config.model, **config.inputs)
    if inputs.mode != "frames":
        raise ThermodefectError(f"pretraining reads frames; got input mode {inputs.mode!r}")
    t0 = time.perf_counter()
    set_determinism(config.seed)
    model = build_model(config.model, inputs, config.options)
    replace_head(model, inputs.channels).to(config.device)
    specimens = load_unlabelled(files, quiet=quiet)
    _check_length(specimens, files, inputs)
    aug = Augmenter(inputs)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    losses = []
    model.train()
    for epoch in tqdm(range(1, config.epochs + 1), desc="pretrain", unit="epoch",
                      disable=quiet or None):  # fmt: skip
        total = 0.0
        for step in range(config.steps):
            rngs = [np.random.default_rng([config.seed, epoch, step, i])
                    for i in range(config.batch)]  # fmt: skip
            x = torch.from_numpy(unlabelled_patches(specimens, aug, config.patch, rngs))
            x = x.to(config.device)
            rng = np.random.default_rng([config.seed, epoch, step, 0, 2])  # apart from samples
            m = torch.from_numpy(
                block_mask(len(x), config.patch, config.block, config.mask_ratio, rng)
            ).to(config.device)
            loss = reconstruction_loss(model(x * (1 - m)), x, m)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total / config.steps)
    seconds = time.perf_counter() - t0
    info = {
        "config": asdict(config),
        **file_records(files),
        "losses": losses,
        "seconds": seconds,
    }
    doc = {
        "format": PRETRAINED_FORMAT,
        "version": VERSION,
        "model_name": config.model,
        "options": {**spec.defaults, **config.options},
        "inputs": inputs.to_dict(),
        "info": info,
        "state_dict": body_state(model),
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        torch.save(doc, tmp)
    return PretrainResult(out, losses, seconds)


def _check_length(specimens, files, inputs: InputConfig) -> None:
    for spec, path in zip(specimens, files, strict=True):
        if spec.cooling.n_frames < inputs.n_frames + 1:
            raise ThermodefectError(
                f"only {spec.cooling.n_frames} frames follow the flash; pretraining reads "
                f"{inputs.n_frames + 1}",
                path,
            )


def reconstruction_loss(pred: torch.Tensor, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the blanked pixels of every channel.

    Parameters
    ----------
    pred, x : torch.Tensor
        (N, C, H, W) reconstruction and original.
    m : torch.Tensor
        (N, 1, H, W), 1 where blanked.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    err = (pred - x) ** 2 * m
    return err.sum() / (m.sum() * x.shape[1]).clamp(min=1)


def initial_state(path: Path, model_name: str, options: dict, inputs: InputConfig) -> dict:
    """Weights to start training from: a pretrained file (every weight but the head) or a
    trained checkpoint (every weight), checked against the network about to be trained.

    Parameters
    ----------
    path : Path
        Written by ``thermodefect pretrain`` or ``thermodefect train``.
    model_name : str
        The network trained.
    options : dict
        Its options, the registry's defaults included.
    inputs : InputConfig
        What it reads.

    Returns
    -------
    dict
        ``state`` (for ``load_state_dict(strict=False)``), ``kind`` (``pretrained`` or
        ``checkpoint``), ``sha256``.

    Raises
    ------
    ThermodefectError
        For a file of neither kind, or one made for another network, width or input.
    """
    from thermodefect.batch import sha256
    from thermodefect.nn.checkpoint import FORMAT

    path = Path(path)
    doc = read_document(path)
    kind = {PRETRAINED_FORMAT: "pretrained", FORMAT: "checkpoint"}.get(str(doc.get("format")))
    if kind is None or "state_dict" not in doc:
        raise ThermodefectError("not a thermodefect checkpoint or pretrained network", path)
    theirs = (doc.get("model_name"), doc.get("options"), doc.get("inputs"))
    ours = (model_name, options, inputs.to_dict())
    for what, a, b in zip(("network", "options", "inputs"), theirs, ours, strict=True):
        if a != b:
            raise ThermodefectError(f"made for {what} {a}, not {b}", path)
    return {"state": doc["state_dict"], "kind": kind, "sha256": sha256(path)}
