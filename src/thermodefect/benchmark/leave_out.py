"""Leave one family out: train a network without a family, then score it and every classical
method on that family alone, so the scores say how detection holds on data the network was
not made from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thermodefect.benchmark.run import BenchmarkResult, run_benchmark, select_rows

__all__ = [
    "Budget",
    "leave_family_out",
    "train_without",
]


@dataclass(frozen=True)
class Budget:
    """The fixed training budget every held-out family gets (the same for all, so rows
    compare).

    Parameters
    ----------
    epochs : int
        Epochs (no early stop before the last: ``patience`` equals it).
    steps : int
        Batches per epoch.
    batch : int
        Samples per batch.
    patch : int
        Training patch side, pixels.
    """

    epochs: int = 12
    steps: int = 25
    batch: int = 8
    patch: int = 64


def _trained_as(checkpoint: Path, config) -> bool:
    """Whether ``checkpoint`` exists and was trained with ``config``'s network, inputs,
    left-out families, budget and seed."""
    if not checkpoint.is_file():
        return False
    from thermodefect.nn.checkpoint import load_checkpoint

    stored = load_checkpoint(checkpoint).info.get("train_config", {})
    keys = ("model", "epochs", "steps", "batch", "patch", "seed", "exclude")
    same = all(stored.get(k) == getattr(config, k) for k in keys)
    return same and all(stored.get(k, {}) == getattr(config, k) for k in ("inputs", "options"))


def train_without(
    data_dir: Path,
    family: str | None,
    out: Path,
    *,
    model: str = "unet",
    inputs: dict | None = None,
    budget: Budget | None = None,
    device: str = "cpu",
    seed: int = 0,
    quiet: bool = False,
) -> Path:
    """Train ``model`` on every family of ``data_dir`` but ``family`` under ``budget`` into
    ``out/model``, unless a network trained the same way is already there.

    :func:`leave_family_out` scores what this trains, so the networks of the protocol can be
    trained on one machine (a GPU) and scored on another: the device is not part of what
    "trained the same way" compares.

    Parameters
    ----------
    data_dir : Path
        A dataset of a ``wide`` preset.
    family : str or None
        The family held out; ``None`` trains on every family (the in-family reference).
    out : Path
        Folder of the held-out family (the network goes to ``out/model``).
    model, inputs, budget, device, seed, quiet
        As in :func:`leave_family_out`.

    Returns
    -------
    Path
        The checkpoint, ``out/model/model.pt``.

    Raises
    ------
    ThermodefectError
        For a family the dataset does not hold, or a dataset that leaves nothing to train on.
    """
    from thermodefect.nn.train import TrainConfig, train
    from thermodefect.simulate.dataset import read_manifest

    if family is not None:
        select_rows(read_manifest(data_dir), "all", [family], False, data_dir)
    budget = budget or Budget()
    config = TrainConfig(
        model=model, inputs=dict(inputs or {}), epochs=budget.epochs, steps=budget.steps,
        batch=budget.batch, patch=budget.patch, patience=budget.epochs, seed=seed, device=device,
        exclude=[] if family is None else [family],
    )  # fmt: skip
    checkpoint = Path(out) / "model" / "model.pt"
    if not _trained_as(checkpoint, config):
        trained = train(data_dir, Path(out) / "model", config, quiet=quiet)
        assert trained is not None  # a single-process run always returns
        checkpoint = trained.checkpoint
    return checkpoint


def leave_family_out(
    data_dir: Path,
    family: str,
    out: Path,
    *,
    model: str = "unet",
    inputs: dict | None = None,
    budget: Budget | None = None,
    methods=None,
    combine: str | None = None,
    device: str = "cpu",
    seed: int = 0,
    quiet: bool = False,
) -> BenchmarkResult:
    """Train ``model`` on every family of ``data_dir`` but ``family`` (train and val splits),
    then score it, the built-in network and the classical methods on all of ``family``'s
    specimens.

    A network already in ``out/model/model.pt`` that was trained the same way (the same
    network, left-out family and budget) is scored again instead of retrained: a change to
    detection is then measured on the same networks.

    Parameters
    ----------
    data_dir : Path
        A dataset of a ``wide`` preset (its manifest has a ``family`` column).
    family : str
        The family held out.
    out : Path
        Folder for the trained network (``out/model``).
    model : str
        Network of :data:`~thermodefect.nn.registry.MODELS`.
    inputs : dict, optional
        Input settings over the network's defaults (:class:`~thermodefect.nn.inputs.InputConfig`).
    budget : Budget, optional
        Training budget; default :class:`Budget`.
    methods : list of str, optional
        Classical methods scored; default all.
    combine : str, optional
        A classical method each network is also scored with
        (:func:`~thermodefect.detect.combined.detect_combined`).
    device : str
        Torch device.
    seed : int
        Seed of the training draws.
    quiet : bool
        No progress bars.

    Returns
    -------
    BenchmarkResult
        Scores on the held-out family (split ``all``).

    Raises
    ------
    ThermodefectError
        For a family the dataset does not hold, or a dataset that leaves nothing to train on.
    """
    from thermodefect.methods import METHODS

    checkpoint = train_without(
        data_dir, family, out, model=model, inputs=inputs, budget=budget, device=device,
        seed=seed, quiet=quiet,
    )  # fmt: skip
    result = run_benchmark(
        data_dir,
        methods=list(METHODS) if methods is None else methods,
        models=[str(checkpoint), "default"],
        split="all",
        device=device,
        families=[family],
        combine=combine,
        quiet=quiet,
    )
    result.data = f"{Path(data_dir).name} without {family}, scored on {family}"
    return result
