"""Adapting a trained network to the user's own unlabelled sequences.

Three steps, each optional after the first:

1. **Batch-norm statistics** (AdaBN, Li et al. 2016): every batch-norm layer's running mean
   and variance are estimated again on the folder's sequences, as detection reads them. A
   new camera, lamp or material shifts the input's statistics; the learned weights stay.
2. **An unlabelled objective**, within a time budget and a number of steps, on random patches
   of the folder's inputs (flipped and rotated):

   - ``entropy`` (Tent, Wang et al. 2021): the batch-norm scales and shifts alone are moved to
     make the network's answers confident;
   - ``pseudo``: self-training on what the physics vouches for. The network's regions that
     PCT's feature confirms (robust z >= 4 in them, as detection requires) are defects;
     pixels of the likely-sound area are background; the rest is left out of the loss. Half
     the patches are centred on a pseudo-defect, as in training. Every weight moves, at a
     tenth of the learning rate;
   - ``bn``: the statistics alone.
3. **A guard**: the network before and after is run on every sequence of the folder. Two
   counts are kept: its regions lying mostly in the likely-sound area (pixels more than 2 px
   away from any pixel where PCT's feature reaches 3 robust standard deviations, on the
   plate), and its regions PCT confirms (those detection keeps). When adaptation raises the
   first or lowers the second, the original weights are kept and the record says so.

The adapted checkpoint's ``info["adaptation"]`` records the folder, each file's SHA-256, the
objective, the steps taken, the seconds, and the guard's counts.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from thermodefect.errors import ThermodefectError
from thermodefect.nn.checkpoint import Checkpoint
from thermodefect.nn.registry import ADAPT_OBJECTIVES

__all__ = [
    "OBJECTIVES",
    "AdaptConfig",
    "AdaptResult",
    "Calls",
    "adapt",
    "count_calls",
    "likely_sound",
    "recalibrate_batch_norm",
]

#: The unlabelled objectives (see the module docstring).
OBJECTIVES = ADAPT_OBJECTIVES

#: PCT's robust z that marks a pixel as possibly defective (its neighbourhood is not
#: likely sound).
Z_SUSPECT = 3.0

#: Pixels of margin around a suspect pixel.
MARGIN = 2


@dataclass
class AdaptConfig:
    """Everything an adaptation depends on (stored in the adapted checkpoint).

    Parameters
    ----------
    objective : str
        One of :data:`OBJECTIVES`.
    steps : int
        At most this many updates.
    budget : float
        At most this many seconds of updates (the steps taken are recorded).
    batch : int
        Patches per update.
    patch : int
        Patch side, pixels.
    lr : float
        Adam's learning rate (``pseudo`` uses a tenth of it).
    seed : int
        Of every draw.
    device : str
        Torch device.
    guard : bool
        Keep the original weights when adaptation raises the calls on likely-sound areas.
    """

    objective: str = "pseudo"
    steps: int = 100
    budget: float = 60.0
    batch: int = 8
    patch: int = 64
    lr: float = 1e-3
    seed: int = 0
    device: str = "cpu"
    guard: bool = True


@dataclass(frozen=True)
class Calls:
    """What a network calls over a folder, as the guard counts it.

    Parameters
    ----------
    sound : int
        Regions lying mostly (over half their pixels) in the likely-sound area.
    confirmed : int
        Regions PCT confirms (robust z >= :data:`~thermodefect.detect.model.Z_CONFIRM`
        somewhere in them): those detection keeps.
    """

    sound: int
    confirmed: int

    def worse_than(self, other: Calls) -> bool:
        """More regions on sound areas, or fewer confirmed ones, than ``other``.

        Parameters
        ----------
        other : Calls
            The counts to compare with.

        Returns
        -------
        bool
        """
        return self.sound > other.sound or self.confirmed < other.confirmed


@dataclass
class AdaptResult:
    """What an adaptation produced.

    Parameters
    ----------
    checkpoint : Checkpoint
        The adapted network, or the original one when the guard refused the adaptation.
    accepted : bool
        Whether the adapted weights were kept.
    before, after : Calls
        The network's regions over the folder before and after adaptation.
    steps : int
        Updates made.
    seconds : float
        Wall-clock time.
    """

    checkpoint: Checkpoint
    accepted: bool
    before: Calls
    after: Calls
    steps: int
    seconds: float


@dataclass
class _Target:
    """One sequence of the folder as detection reads it."""

    x: np.ndarray  # (C, H, W) network input
    z: np.ndarray  # (H, W) PCT feature, robust z
    sound: np.ndarray  # (H, W) bool, likely-sound area


def likely_sound(z: np.ndarray, plate: np.ndarray | None = None) -> np.ndarray:
    """Pixels far from anything PCT finds suspect: where no pixel within :data:`MARGIN`
    reaches :data:`Z_SUSPECT` robust standard deviations (of either sign), on the plate.

    Parameters
    ----------
    z : (H, W) ndarray
        PCT's feature image (:func:`thermodefect.detect.features.feature`).
    plate : (H, W) ndarray of bool, optional
        The plate in the view.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from scipy import ndimage

    suspect = ndimage.binary_dilation(np.abs(z) >= Z_SUSPECT, iterations=MARGIN)
    sound = ~suspect
    return sound if plate is None else sound & np.asarray(plate, bool)


def _read_targets(files: list[Path], ckpt: Checkpoint, quiet: bool) -> list[_Target]:
    from tqdm import tqdm

    from thermodefect.detect.classical import prepare
    from thermodefect.detect.features import feature
    from thermodefect.io import load
    from thermodefect.nn.inputs import from_cooling
    from thermodefect.preprocess import extract_cooling, rise_baseline

    out = []
    for path in tqdm(files, desc="reading", unit="sequence", disable=quiet or None):
        seq = load(path)
        x = from_cooling(extract_cooling(seq), ckpt.inputs, baseline=rise_baseline(seq))
        prepared = prepare(seq)
        z = feature(prepared, "pct")
        out.append(_Target(x, z, likely_sound(z, prepared.meta.extra.get("plate"))))
    return out


def _batch_norms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def _padded(model: nn.Module, x: np.ndarray) -> torch.Tensor:
    step = 2 ** int(getattr(model, "depth", 0))
    h, w = x.shape[-2:]
    pad = ((0, 0), (0, -h % step), (0, -w % step))
    return torch.from_numpy(np.pad(x, pad, mode="reflect" if min(h, w) > 1 else "edge"))[None]


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, inputs: list[np.ndarray], device: str = "cpu"):
    """Estimate every batch-norm layer's running statistics again on ``inputs`` (AdaBN):
    the cumulative mean over the whole images, one forward pass each.

    Parameters
    ----------
    model : torch.nn.Module
        A UNet or UNet++ (changed in place, left in evaluation mode).
    inputs : list of (C, H, W) ndarray
        Network inputs of the target sequences.
    device : str
        Torch device.
    """
    norms = _batch_norms(model)
    model.eval()
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the passes
        bn.train()
    for x in inputs:
        model(_padded(model, x).to(device))
    for bn in norms:
        bn.momentum = 0.1
    model.eval()


def _probability(model: nn.Module, x: np.ndarray, device: str) -> np.ndarray:
    from thermodefect.nn.infer import predict_probability

    return predict_probability(model, x, device=device)


def count_calls(
    model: nn.Module, targets, threshold: float, min_area: int, device: str = "cpu"
) -> Calls:
    """Count the network's regions on likely-sound areas and those PCT confirms.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    targets : list
        The folder's sequences as read for adaptation (``x``, ``z``, ``sound``).
    threshold : float
        Probability threshold.
    min_area : int
        Smallest region kept, pixels.
    device : str
        Torch device.

    Returns
    -------
    Calls
    """
    from scipy import ndimage

    from thermodefect.detect.model import Z_CONFIRM
    from thermodefect.methods import clean, region_max, region_mean

    sound = confirmed = 0
    for t in targets:
        mask = clean(_probability(model, t.x, device) >= threshold, min_area=min_area)
        labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
        if n:
            sound += int(np.sum(region_mean(t.sound, labels, n) > 0.5))
            confirmed += int(np.sum(region_max(t.z, labels, n) >= Z_CONFIRM))
    return Calls(sound, confirmed)


def _patches(targets, labels, config: AdaptConfig, step: int):
    """A batch of random patches (and their pseudo-labels, -1 where ignored), rotated and
    flipped; images smaller than the patch are mirrored up to it."""
    from thermodefect.nn.data import random_patch

    with_defects = [j for j, label in enumerate(labels) if np.any(label > 0.5)]
    xs, ys = [], []
    for i in range(config.batch):
        rng = np.random.default_rng([config.seed, step, i])
        k = int(rng.integers(len(targets)))
        on_defect = rng.random() < 0.5 and bool(with_defects)  # half, as in training
        if on_defect:
            k = with_defects[int(rng.integers(len(with_defects)))]
        x, y = random_patch(targets[k].x, labels[k], config.patch, rng, on_defect=on_defect)
        if rng.random() < 0.5:
            x, y = x[:, :, ::-1], y[:, ::-1]
        xs.append(np.ascontiguousarray(x))
        ys.append(np.ascontiguousarray(y))
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))[:, None]


def _pseudo_labels(model, targets, ckpt: Checkpoint, device: str) -> list[np.ndarray]:
    """1 on the network's regions PCT confirms (as detection keeps them), 0 on the
    likely-sound area, -1 (ignored) elsewhere."""
    from thermodefect.detect.decision import gate
    from thermodefect.detect.model import Z_CONFIRM
    from thermodefect.methods import clean

    out = []
    for t in targets:
        mask = clean(_probability(model, t.x, device) >= ckpt.threshold, min_area=ckpt.min_area)
        label = np.full(mask.shape, -1.0, np.float32)
        label[t.sound] = 0.0
        label[gate(mask, t.z, Z_CONFIRM)] = 1.0
        out.append(label)
    return out


def _optimise(model: nn.Module, targets, ckpt: Checkpoint, config: AdaptConfig) -> int:
    """Run the unlabelled objective; the number of updates made."""
    if config.objective == "bn":
        return 0
    model.eval()  # the recalibrated statistics stay fixed; only weights move
    if config.objective == "entropy":
        params = [p for bn in _batch_norms(model) for p in bn.parameters()]
        labels = [np.zeros(t.x.shape[-2:], np.float32) for t in targets]
        lr = config.lr
    else:
        params = list(model.parameters())
        labels = _pseudo_labels(model, targets, ckpt, config.device)
        lr = config.lr / 10
    opt = torch.optim.Adam(params, lr=lr)
    t0 = time.perf_counter()
    steps = 0
    while steps < config.steps and time.perf_counter() - t0 < config.budget:
        x, y = _patches(targets, labels, config, steps)
        logits = model(x.to(config.device))
        if config.objective == "entropy":
            p = torch.sigmoid(logits)
            entropy = -(p * F.logsigmoid(logits) + (1 - p) * F.logsigmoid(-logits))
            loss = entropy.mean()
        else:
            y = y.to(config.device)
            known = (y >= 0).float()
            per_pixel = F.binary_cross_entropy_with_logits(logits, y.clamp(min=0), reduction="none")
            loss = (per_pixel * known).sum() / known.sum().clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        steps += 1
    model.eval()
    return steps


def adapt(
    ckpt: Checkpoint, files: list[Path], config: AdaptConfig, *, quiet: bool = False
) -> AdaptResult:
    """Adapt a network to unlabelled sequences (see the module docstring).

    Parameters
    ----------
    ckpt : Checkpoint
        A UNet or UNet++ checkpoint; left untouched.
    files : list of Path
        The folder's sequences.
    config : AdaptConfig
        The run.
    quiet : bool
        No progress bars.

    Returns
    -------
    AdaptResult

    Raises
    ------
    ThermodefectError
        For an unknown objective, a network without batch norm or not a 2-D image network,
        or a sequence that cannot be read or is too short (naming the file).
    """
    from thermodefect.batch import file_records
    from thermodefect.nn.adversarial import ADVERSARIAL_MODELS
    from thermodefect.nn.train import set_determinism

    if config.objective not in OBJECTIVES:
        raise ThermodefectError(
            f"unknown objective {config.objective!r}; choose from {', '.join(OBJECTIVES)}"
        )
    if ckpt.model_name not in ADVERSARIAL_MODELS or not _batch_norms(ckpt.model):
        raise ThermodefectError(
            f"adaptation applies to {' and '.join(ADVERSARIAL_MODELS)} networks, "
            f"not {ckpt.model_name}"
        )
    t0 = time.perf_counter()
    set_determinism(config.seed)
    targets = _read_targets(files, ckpt, quiet)
    original = ckpt.model.to(config.device).eval()
    model = copy.deepcopy(original)
    before = count_calls(original, targets, ckpt.threshold, ckpt.min_area, config.device)
    recalibrate_batch_norm(model, [t.x for t in targets], config.device)
    steps = _optimise(model, targets, ckpt, config)
    after = count_calls(model, targets, ckpt.threshold, ckpt.min_area, config.device)
    accepted = not after.worse_than(before) or not config.guard
    seconds = time.perf_counter() - t0
    record = {
        **asdict(config),
        **file_records(files),
        "steps_taken": steps,
        "seconds": seconds,
        "before": asdict(before),
        "after": asdict(after),
        "accepted": accepted,
    }
    adapted = replace(ckpt, model=model if accepted else original,
                      info={**ckpt.info, "adaptation": record})  # fmt: skip
    return AdaptResult(adapted, accepted, before, after, steps, seconds)
