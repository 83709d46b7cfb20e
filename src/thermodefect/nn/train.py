"""Training that does not fool itself: splits by specimen, validation on whole held-out
specimens, the best checkpoint by validation IoU, the threshold tuned on validation only.

Adam with ReduceLROnPlateau on the validation IoU, early stopping, fixed seeds, bf16
autocast on CUDA, a CSV log and a loss/IoU plot. ``processes > 1`` trains with
DistributedDataParallel (gloo on CPU, NCCL on CUDA), one process per device or CPU share;
rank 0 validates, saves and tells the others when to stop. Under ``torchrun`` (several
nodes, or one) the ranks come from its environment instead. Every sample of a batch has its
own seeded generator and each process draws its equal share of the batch, so a distributed
run sees the batches of a single process; with a loss that averages over samples and no
batch norm (whose statistics stay per process, as in any DDP run) it trains the same weights
(tested).
"""

from __future__ import annotations

import csv
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path
from thermodefect.nn.checkpoint import Checkpoint, save_checkpoint
from thermodefect.nn.data import (
    Augmenter,
    check_disjoint,
    kfold_splits,
    load_specimens,
    manifest_splits,
    pixel_batch,
    random_patch,
    unlabelled_patches,
)
from thermodefect.nn.models import build_model, default_inputs, model_spec
from thermodefect.nn.registry import LOSSES
from thermodefect.runtime import available_cpus

__all__ = [
    "LOG_FIELDS",
    "PARTIAL",
    "PIXELS_PER_SAMPLE",
    "TrainConfig",
    "TrainResult",
    "choose_splits",
    "mean_iou",
    "plot_curves",
    "set_determinism",
    "train",
    "tune_threshold",
    "write_log",
]

logger = logging.getLogger(__name__)

LOG_FIELDS = ("epoch", "train_loss", "val_loss", "val_iou", "lr", "seconds")

#: The best network so far, in the output folder while :func:`train` runs.
PARTIAL = "model.partial.pt"


@dataclass
class TrainConfig:
    """Everything a training run depends on (stored in the checkpoint).

    Parameters
    ----------
    model : str
        A registered network.
    options : dict
        Network options over the registry's defaults.
    inputs : dict
        Input settings over the network's defaults.
    epochs : int
        At most.
    steps : int
        Batches per epoch.
    batch : int
        Samples per batch (a multiple of ``processes``).
    patch : int
        Side of the square training patches, pixels (per-pixel networks draw 16 series per
        sample).
    lr : float
        Adam's learning rate.
    loss : str
        A registered loss.
    balance : float
        Share of patches centred on a defect.
    patience : int
        Epochs without a better validation IoU before stopping.
    seed : int
        Of every draw.
    device : str
        Torch device.
    processes : int
        DistributedDataParallel processes.
    folds : int
        0: the manifest's splits; k: k-fold by specimen over train + val.
    fold : int
        The validation fold.
    exclude : list of str
        Presets or families (the manifest's ``family``) left out of training.
    min_area : int
        Smallest region kept when scoring, pixels.
    labelled : int
        Train on this many of the training specimens (drawn with ``seed``; 0: all).
    init : str
        Start from this pretrained file or checkpoint ("" : random initialisation).
    adversarial : float
        Weight of the mask discriminator's term in the joint loss (0: none;
        :mod:`thermodefect.nn.adversarial`).
    domain : str
        Folder of unlabelled target sequences for domain adversarial training ("" : none).
    domain_weight : float
        Largest weight of the gradient reversal.
    """

    model: str = "unet"
    options: dict = field(default_factory=dict)  # network options over the registry defaults
    inputs: dict = field(default_factory=dict)  # input settings over the model's defaults
    epochs: int = 40
    steps: int = 40  # batches per epoch
    batch: int = 8
    patch: int = 64  # square training patches (pixels); pixel models draw 64 x batch series
    lr: float = 2e-3
    loss: str = "bce_dice"
    balance: float = 0.5  # share of patches centred on a defect
    patience: int = 10  # epochs without a better validation IoU before stopping
    seed: int = 0
    device: str = "cpu"
    processes: int = 1
    folds: int = 0  # 0: the manifest's splits; k: k-fold by specimen over train + val
    fold: int = 0
    exclude: list = field(default_factory=list)  # presets or families left out of training
    min_area: int = 9
    labelled: int = 0  # training specimens used (0: all)
    init: str = ""  # pretrained file or checkpoint to start from
    adversarial: float = 0.0  # weight of the mask discriminator's term
    domain: str = ""  # unlabelled target folder of domain adversarial training
    domain_weight: float = 0.1


def set_determinism(seed: int) -> None:
    """Seed torch and random (our numpy draws use explicit generators); deterministic
    algorithms where torch has them.

    Parameters
    ----------
    seed : int
        The seed.
    """
    import random

    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def choose_splits(data_dir: Path, config: TrainConfig) -> dict[str, list[str]]:
    """Train and validation specimen names (test specimens never enter training).

    Parameters
    ----------
    data_dir : Path
        The dataset.
    config : TrainConfig
        Its ``folds``, ``fold``, ``seed`` and ``exclude`` are used.

    Returns
    -------
    dict of str to list of str

    Raises
    ------
    ThermodefectError
        Without a manifest, with overlapping splits, without train or val specimens, or
        with fewer training specimens than ``config.labelled``.
    """
    from thermodefect.simulate.dataset import read_manifest

    rows = read_manifest(data_dir)
    left_out = set(config.exclude)
    rows = [r for r in rows if r.get("preset") not in left_out and r.get("family") not in left_out]
    splits = manifest_splits(rows)
    if config.folds:
        pool = splits.get("train", []) + splits.get("val", [])
        splits = {**kfold_splits(pool, config.folds, config.fold, config.seed),
                  "test": splits.get("test", [])}  # fmt: skip
    check_disjoint(splits)
    for need in ("train", "val"):
        if not splits.get(need):
            raise ThermodefectError(f"no {need} specimens", Path(data_dir) / "manifest.csv")
    if config.labelled:
        pool = sorted(splits["train"])
        if config.labelled > len(pool):
            raise ThermodefectError(
                f"--labelled {config.labelled}: only {len(pool)} training specimens",
                Path(data_dir) / "manifest.csv",
            )
        order = np.random.default_rng(config.seed).permutation(len(pool))[: config.labelled]
        splits["train"] = [pool[i] for i in sorted(order)]
    return splits


#: Pixel series one sample of a per-pixel network's batch draws from one specimen.
PIXELS_PER_SAMPLE = 16


def _draw(specimens, aug: Augmenter, config: TrainConfig, kind: str, step: tuple, indices):
    """The samples ``indices`` of the global batch of training step ``step`` (epoch, batch)
    as tensors (inputs, targets).

    Sample i is drawn from its own generator, seeded by (seed, epoch, batch, i): a process
    of a distributed run draws exactly its share of the batch one process would draw.
    """
    xs, ys = [], []
    for i in indices:
        rng = np.random.default_rng([config.seed, *step, i])
        x, y = aug.full(specimens[rng.integers(len(specimens))], rng)
        if kind == "pixel":
            x, y = pixel_batch(x, y, PIXELS_PER_SAMPLE, rng)
        else:
            x, y = random_patch(x, y, config.patch, rng, on_defect=rng.random() < config.balance)
            y = y[None]
        xs.append(x)
        ys.append(y)
    join = np.concatenate if kind == "pixel" else np.stack
    return torch.from_numpy(join(xs)), torch.from_numpy(join(ys))


def _loss(loss_fn, out, target):
    if isinstance(out, list):  # deep supervision: every head's loss, averaged
        return sum(loss_fn(o, target) for o in out) / len(out)
    return loss_fn(out, target)


def _validate(model, inputs, masks, loss_fn, device):
    """Validation loss and probability maps of whole specimens."""
    from thermodefect.nn.infer import predict_probability

    probs = [predict_probability(model, x, device=device) for x in inputs]
    eps = 1e-6
    losses = [
        float(loss_fn(torch.logit(torch.from_numpy(p).clamp(eps, 1 - eps)), torch.from_numpy(m)))
        for p, m in zip(probs, masks, strict=True)
    ]
    return float(np.mean(losses)), probs


def mean_iou(probs, masks, threshold: float, min_area: int) -> float:
    """Mean per-specimen IoU of cleaned masks (a sound specimen called sound scores 1).

    Parameters
    ----------
    probs : sequence of (H, W) ndarray
        Probability maps.
    masks : sequence of (H, W) ndarray
        True masks (> 0.5 = defect).
    threshold : float
        Probability threshold.
    min_area : int
        Smallest region kept, pixels.

    Returns
    -------
    float
    """
    from thermodefect.evaluate import pixel_scores
    from thermodefect.methods import clean

    return float(np.mean([pixel_scores(clean(p >= threshold, min_area=min_area), m > 0.5).iou
                          for p, m in zip(probs, masks, strict=True)]))  # fmt: skip


def tune_threshold(probs, masks, min_area: int) -> tuple[float, float]:
    """The threshold in 0.20..0.80 (step 0.05) with the best validation IoU.

    Parameters
    ----------
    probs : sequence of (H, W) ndarray
        Probability maps.
    masks : sequence of (H, W) ndarray
        True masks.
    min_area : int
        Smallest region kept, pixels.

    Returns
    -------
    threshold, iou : float
    """
    grid = np.round(np.arange(0.2, 0.801, 0.05), 2)
    scores = [mean_iou(probs, masks, t, min_area) for t in grid]
    best = int(np.argmax(scores))
    return float(grid[best]), float(scores[best])


@dataclass
class TrainResult:
    """What a training run produced.

    Parameters
    ----------
    checkpoint : Path
        The best checkpoint.
    history : list of dict
        One row per epoch (:data:`LOG_FIELDS`).
    threshold : float
        Tuned on validation.
    val_iou : float
        Validation IoU at that threshold.
    seconds : float
        Wall-clock time.
    """

    checkpoint: Path
    history: list
    threshold: float
    val_iou: float
    seconds: float


def train(
    data_dir: Path, out: Path, config: TrainConfig, *, quiet: bool = False
) -> TrainResult | None:
    """Train ``config.model`` on ``data_dir``; write ``out/model.pt``, ``log.csv`` and
    ``curves.png``.

    While it trains, ``out/`` :data:`PARTIAL` holds the best network so far (at threshold
    0.5, untuned), rewritten at each better validation IoU: a run stopped before its end (a
    time limit on a lent GPU) leaves a network to score. It is removed once ``model.pt`` is
    written.

    Parameters
    ----------
    data_dir : Path
        A dataset written by ``thermodefect simulate``.
    out : Path
        Output folder.
    config : TrainConfig
        The run.
    quiet : bool
        No progress bars.

    Returns
    -------
    TrainResult or None
        ``None`` in the non-zero ranks of a ``torchrun`` launch.

    Raises
    ------
    ThermodefectError
        For an unknown network or loss, CUDA missing or short of GPUs, a batch that is not a
        multiple of the processes, or a dataset without usable splits.
    """
    model_spec(config.model)
    LOSSES.check(config.loss)
    cuda = config.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        raise ThermodefectError(f"device {config.device}: CUDA is not available on this machine")
    if cuda and config.processes > (gpus := torch.cuda.device_count()):
        raise ThermodefectError(
            f"--processes {config.processes} on CUDA needs one GPU per process; "
            f"this machine has {gpus}"
        )
    world = int(os.environ.get("WORLD_SIZE", "1"))
    processes = world if world > 1 else config.processes
    if processes < 1 or config.batch < 1 or config.batch % processes:
        raise ThermodefectError(
            f"--batch {config.batch} must be a positive multiple of the {processes} process(es), "
            "each of which trains on an equal share of every batch"
        )
    splits = choose_splits(data_dir, config)
    _check_extras(config, processes)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if world > 1:  # launched by torchrun, on one node or several
        rank = int(os.environ["RANK"])
        _worker(rank, world, data_dir, out, config, splits, quiet)
        return _read_result(out) if rank == 0 else None
    if config.processes > 1:
        return _spawn(data_dir, out, config, splits, quiet)
    return _run(0, 1, data_dir, out, config, splits, quiet)


def _check_extras(config: TrainConfig, processes: int) -> None:
    """Refuse an initialisation file, target folder or adversarial option before any output."""
    from thermodefect.io.files import sequence_files
    from thermodefect.nn.adversarial import check_adversarial

    check_adversarial(config.model, processes, config.adversarial, config.domain)
    if config.domain:
        sequence_files(Path(config.domain))
    if config.init:
        _initial(config, default_inputs(config.model, **config.inputs))


def _initial(config: TrainConfig, inputs_cfg) -> dict:
    from thermodefect.nn.pretrain import initial_state

    options = {**model_spec(config.model).defaults, **config.options}
    return initial_state(Path(config.init), config.model, options, inputs_cfg)


def _start_from(model, config: TrainConfig, inputs_cfg) -> dict | None:
    """Load ``config.init`` into ``model``; what was loaded, for the checkpoint's info."""
    from thermodefect.nn.pretrain import HEAD_PREFIXES

    if not config.init:
        return None
    start = _initial(config, inputs_cfg)
    missing, unexpected = model.load_state_dict(start["state"], strict=False)
    stray = list(unexpected) + [k for k in missing if not k.startswith(HEAD_PREFIXES)]
    if stray:
        raise ThermodefectError(f"weights do not fit {config.model}: {stray[0]}", config.init)
    return {"path": str(Path(config.init).resolve()), "kind": start["kind"],
            "sha256": start["sha256"]}  # fmt: skip


def _target_set(config: TrainConfig, quiet: bool) -> tuple[list, dict | None]:
    """The unlabelled target specimens of domain training and their files' record."""
    from thermodefect.batch import file_records
    from thermodefect.io.files import sequence_files
    from thermodefect.nn.data import load_unlabelled

    if not config.domain:
        return [], None
    files = sequence_files(Path(config.domain))
    return load_unlabelled(files, quiet=quiet), file_records(files)


def _spawn(data_dir, out, config, splits, quiet) -> TrainResult:
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    mp.spawn(_worker, args=(config.processes, data_dir, out, config, splits, quiet),
             nprocs=config.processes, join=True)  # fmt: skip
    return _read_result(out)


def _read_result(out: Path) -> TrainResult:
    import json

    doc = json.loads((out / "result.json").read_text())
    return TrainResult(Path(doc["checkpoint"]), doc["history"], doc["threshold"],
                       doc["val_iou"], doc["seconds"])  # fmt: skip


def _worker(rank, world, data_dir, out, config, splits, quiet):
    import json

    import torch.distributed as dist

    cuda = config.device.startswith("cuda")
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    try:
        result = _run(rank, world, data_dir, out, config, splits, quiet)
        if rank == 0:
            doc = {**asdict(result), "checkpoint": str(result.checkpoint)}
            (out / "result.json").write_text(json.dumps(doc))
        dist.barrier()  # rank 0 may still be saving: no rank tears the group down before it
    finally:
        dist.destroy_process_group()


def _run(rank, world, data_dir, out, config, splits, quiet) -> TrainResult:
    from tqdm import tqdm

    t_start = time.perf_counter()
    set_determinism(config.seed)
    device = config.device
    if world > 1:
        torch.set_num_threads(max(1, available_cpus() // world))
        if device.startswith("cuda"):
            local = int(os.environ.get("LOCAL_RANK", rank))
            device = f"cuda:{local}"
            torch.cuda.set_device(local)
    inputs_cfg = default_inputs(config.model, **config.inputs)
    model = build_model(config.model, inputs_cfg, config.options)
    started = _start_from(model, config, inputs_cfg)
    model = model.to(device)
    kind = getattr(model, "kind", "image")
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model)
    train_set = load_specimens(data_dir, splits["train"], quiet=quiet or rank > 0)
    val_set = load_specimens(data_dir, splits["val"], quiet=True) if rank == 0 else []
    aug = Augmenter(inputs_cfg)
    plain = Augmenter(inputs_cfg, augment=False)
    val_rng = np.random.default_rng(0)
    val_inputs, val_masks = zip(*[plain.full(s, val_rng) for s in val_set], strict=True) \
        if val_set else ((), ())  # fmt: skip
    loss_fn = LOSSES[config.loss]
    target_set, target_record = _target_set(config, quiet or rank > 0)
    adv = None
    if config.adversarial > 0 or target_set:
        from thermodefect.nn.adversarial import Adversaries, seeded

        adv = Adversaries(model, inputs_cfg.channels, mask_weight=config.adversarial,
                          domain_weight=config.domain_weight if target_set else 0.0,
                          lr=config.lr, device=device)  # fmt: skip
    extra_params = adv.parameters() if adv is not None else []
    opt = torch.optim.Adam([*model.parameters(), *extra_params], lr=config.lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=3)
    per_rank = config.batch // world
    mine = range(rank * per_rank, (rank + 1) * per_rank)
    amp = device.startswith("cuda")
    history, best, best_epoch = [], -1.0, 0
    best_state = None
    bar = tqdm(range(1, config.epochs + 1), desc=f"train {config.model}", unit="epoch",
               disable=quiet or rank > 0 or None)  # fmt: skip
    for epoch in bar:
        t0 = time.perf_counter()
        net.train()
        losses = []
        for step in range(config.steps):
            x, y = _draw(train_set, aug, config, kind, (epoch, step), mine)
            x, y = x.to(device), y.to(device)
            n = len(x)
            if target_set:
                rngs = [seeded(config.seed, epoch, step, i) for i in range(n)]
                xt = torch.from_numpy(unlabelled_patches(target_set, aug, config.patch, rngs))
                xt = xt.to(device)
                x_all = torch.cat([x, xt])
            else:
                x_all = x
            if adv is not None:
                adv.start()
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                out_t = net(x_all)
            out_t = [o.float() for o in out_t] if isinstance(out_t, list) else out_t.float()
            source = [o[:n] for o in out_t] if isinstance(out_t, list) else out_t[:n]
            loss = _loss(loss_fn, source, y)
            if adv is not None:
                progress = ((epoch - 1) * config.steps + step) / (config.epochs * config.steps)
                loss = loss + adv.segmenter_loss(x, out_t, n, progress)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if adv is not None:
                adv.step_discriminator(x, source, y)
            losses.append(loss.item())
        verdict = torch.zeros(2)
        if rank == 0:
            val_loss, probs = _validate(model, val_inputs, val_masks, loss_fn, device)
            iou = mean_iou(probs, val_masks, 0.5, config.min_area)
            row = {"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": val_loss,
                   "val_iou": iou, "lr": opt.param_groups[0]["lr"],
                   "seconds": time.perf_counter() - t0}  # fmt: skip
            history.append(row)
            logger.info("epoch %d: train loss %.4f, validation loss %.4f, IoU %.3f", epoch,
                        row["train_loss"], val_loss, iou)  # fmt: skip
            write_log(history, out / "log.csv")
            if iou > best:
                best, best_epoch = iou, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                save_checkpoint(
                    _checkpoint(config, inputs_cfg, model, 0.5, {
                        "train_config": asdict(config), "data": Path(data_dir).resolve().name,
                        "best_epoch": epoch, "val_iou_at_0.5": iou,
                        "partial": f"the best of epochs 1-{epoch} of {config.epochs}; "
                                   f"threshold 0.5, not tuned",
                    }),
                    out / PARTIAL,
                )  # fmt: skip
            bar.set_postfix(loss=f"{row['train_loss']:.3f}", val_iou=f"{iou:.3f}",
                            best=f"{best:.3f}")  # fmt: skip
            stop = epoch - best_epoch >= config.patience
            verdict = torch.tensor([iou, float(stop)])
        if world > 1:
            import torch.distributed as dist

            dist.broadcast(verdict, src=0)
        sched.step(float(verdict[0]))
        if verdict[1] > 0:
            break
    if rank > 0:
        return TrainResult(Path(), [], 0.5, 0.0, 0.0)
    assert best_state is not None  # set by the first epoch: epochs >= 1
    model.load_state_dict(best_state)
    _, probs = _validate(model, val_inputs, val_masks, loss_fn, device)
    threshold, tuned = tune_threshold(probs, val_masks, config.min_area)
    seconds = time.perf_counter() - t_start
    info = {
        "train_config": asdict(config),
        "data": str(Path(data_dir).resolve().name),
        "train_specimens": splits["train"],
        "val_specimens": splits["val"],
        "best_epoch": best_epoch,
        "val_iou_at_0.5": best,
        "val_iou": tuned,
        "training_seconds": seconds,
        "device": _device_name(device),
        "processes": world,
    }
    if started is not None:
        info["init"] = started
    if target_record is not None:
        info["domain"] = target_record
    ckpt = _checkpoint(config, inputs_cfg, model, threshold, info)
    path = save_checkpoint(ckpt, out / "model.pt")
    (out / PARTIAL).unlink(missing_ok=True)
    write_log(history, out / "log.csv")
    plot_curves(history, out / "curves.png", title=f"{config.model} on {Path(data_dir).name}")
    return TrainResult(path, history, threshold, tuned, seconds)


def _checkpoint(config: TrainConfig, inputs, model, threshold: float, info: dict) -> Checkpoint:
    """The checkpoint of ``model`` as :func:`train` writes it."""
    options = {**model_spec(config.model).defaults, **config.options}
    return Checkpoint(config.model, options, inputs, model, threshold, config.min_area, info)


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    import platform

    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def write_log(history: list[dict], path: Path) -> None:
    """Write the training log as CSV, one row per epoch.

    Parameters
    ----------
    history : list of dict
        Rows with the fields of :data:`LOG_FIELDS`.
    path : Path
        The CSV file.
    """
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, LOG_FIELDS)
        writer.writeheader()
        for row in history:
            writer.writerow({k: f"{v:.5g}" if isinstance(v, float) else v for k, v in row.items()})


def plot_curves(history: list[dict], path: Path, *, title: str) -> None:
    """Training and validation loss (left axis) and validation IoU (right axis) per epoch.

    Parameters
    ----------
    history : list of dict
        Rows of the log.
    path : Path
        The PNG file.
    title : str
        Figure title.
    """
    from thermodefect.io.images import figure, save_figure

    epochs = [r["epoch"] for r in history]
    fig, ax = figure((7, 4))
    ax.plot(epochs, [r["train_loss"] for r in history], label="train loss")
    ax.plot(epochs, [r["val_loss"] for r in history], label="validation loss")
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    ax2 = ax.twinx()
    ax2.plot(epochs, [r["val_iou"] for r in history], color="C2", label="validation IoU")
    ax2.set(ylabel="validation IoU (threshold 0.5)", ylim=(0, 1))
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
    save_figure(fig, path, dpi=100)
