"""``thermodefect train``, ``pretrain``, ``adapt`` and ``export``: networks from simulated
and unlabelled data to ONNX."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import (
    choices_help,
    count,
    nonnegative,
    output_file,
    output_folder,
    positive,
    positive_int,
    say,
)
from thermodefect.errors import ThermodefectError


def add_parsers(sub) -> None:
    """Register ``train`` and ``export`` on the sub-command parser ``sub``."""
    from thermodefect.nn.registry import ADAPT_OBJECTIVES, LOSSES, MODELS

    p = sub.add_parser("train", help="train a network on a simulated dataset")
    p.add_argument("data_dir", type=Path, help="a dataset written by thermodefect simulate")
    p.add_argument(
        "--model", choices=list(MODELS), default="unet", help=choices_help("network", MODELS)
    )
    p.add_argument(
        "--out", type=Path, required=True, help="folder for model.pt, log.csv, curves.png"
    )
    p.add_argument("--epochs", type=positive_int, default=40, help="at most")
    p.add_argument("--steps", type=positive_int, default=40, help="batches per epoch")
    p.add_argument("--batch", type=positive_int, default=8, help="samples per batch")
    p.add_argument("--patch", type=positive_int, default=64, help="training patch side, pixels")
    p.add_argument("--lr", type=positive, default=2e-3, help="Adam's learning rate")
    p.add_argument(
        "--loss", choices=list(LOSSES), default="bce_dice", help=choices_help("loss", LOSSES)
    )
    p.add_argument("--patience", type=positive_int, default=10, help="early-stopping epochs")
    p.add_argument(
        "--base",
        type=positive_int,
        help="network width: channels of the first level, hidden units of the lstm",
    )
    p.add_argument(
        "--frames", type=positive_int, help="log-spaced frames the network reads (default 16)"
    )
    p.add_argument(
        "--input",
        choices=("frames", "features", "evidence"),
        help="2-D input (default frames; evidence: the classical detector's z images)",
    )
    p.add_argument("--seed", type=count, default=0, help="seed of every draw")
    p.add_argument("--device", default="cpu", help="torch device")
    p.add_argument(
        "--processes", type=positive_int, default=1, help="DistributedDataParallel processes"
    )
    p.add_argument("--folds", type=count, default=0, help="k-fold by specimen (0: manifest split)")
    p.add_argument("--fold", type=count, default=0, help="the validation fold of --folds")
    p.add_argument(
        "--exclude", nargs="+", default=[], help="presets or families left out of training"
    )
    p.add_argument(
        "--labelled", type=count, default=0,
        help="train on this many of the training specimens, drawn with --seed (default all)",
    )  # fmt: skip
    p.add_argument(
        "--init", type=Path, help="start from a pretrained file (thermodefect pretrain) or a model"
    )
    p.add_argument(
        "--adversarial", type=nonnegative, default=0.0, metavar="WEIGHT",
        help="weight of a mask discriminator's term in the joint loss (Ruan et al. 2020; "
             "0: off, 0.05 is typical)",
    )  # fmt: skip
    p.add_argument(
        "--domain", type=Path, metavar="DIR",
        help="unlabelled target sequences: domain adversarial training (gradient reversal)",
    )  # fmt: skip
    p.add_argument(
        "--domain-weight", type=positive, default=0.1, help="largest weight of the reversal"
    )
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("pretrain", help="self-supervised pretraining on unlabelled sequences")
    p.add_argument("data_dir", type=Path, help="a folder of sequences (labels are ignored)")
    p.add_argument("--out", type=Path, required=True, help="the pretrained .pt file")
    p.add_argument("--model", choices=["unet", "unetpp"], default="unet", help="network")
    p.add_argument("--base", type=positive_int, help="channels of the first level")
    p.add_argument("--frames", type=positive_int, help="log-spaced frames read (default 16)")
    p.add_argument("--epochs", type=positive_int, default=10, help="epochs")
    p.add_argument("--steps", type=positive_int, default=25, help="batches per epoch")
    p.add_argument("--batch", type=positive_int, default=8, help="samples per batch")
    p.add_argument("--patch", type=positive_int, default=64, help="patch side, pixels")
    p.add_argument("--lr", type=positive, default=2e-3, help="Adam's learning rate")
    p.add_argument("--mask-ratio", type=positive, default=0.4, help="share of blocks blanked")
    p.add_argument("--block", type=positive_int, default=8, help="blanked block side, pixels")
    p.add_argument("--seed", type=count, default=0, help="seed of every draw")
    p.add_argument("--device", default="cpu", help="torch device")
    p.set_defaults(run=cmd_pretrain)

    p = sub.add_parser("adapt", help="adapt a network to a folder of unlabelled sequences")
    p.add_argument("model", help="a model.pt, or 'default' for the built-in network")
    p.add_argument("data_dir", type=Path, help="a folder of the user's sequences")
    p.add_argument("--out", type=Path, required=True, help="the adapted .pt file")
    p.add_argument(
        "--objective", choices=list(ADAPT_OBJECTIVES), default="pseudo",
        help="pseudo: physics-confirmed self-training; entropy: Tent; bn: statistics only",
    )  # fmt: skip
    p.add_argument("--steps", type=positive_int, default=100, help="updates, at most")
    p.add_argument("--budget", type=positive, default=60.0, help="seconds of updates, at most")
    p.add_argument(
        "--no-guard", action="store_true",
        help="keep the adapted weights even when they call more regions on likely-sound areas",
    )  # fmt: skip
    p.add_argument("--seed", type=count, default=0, help="seed of every draw")
    p.add_argument("--device", default="cpu", help="torch device")
    p.set_defaults(run=cmd_adapt)

    p = sub.add_parser("export", help="export a checkpoint to ONNX")
    p.add_argument("checkpoint", type=Path, help="a model.pt written by train")
    p.add_argument("--onnx", type=Path, required=True, help="output .onnx file")
    p.set_defaults(run=cmd_export)


def cmd_train(args) -> int:
    from thermodefect.nn.registry import MODELS
    from thermodefect.nn.train import TrainConfig, train

    output_folder(args.out, reads=[args.data_dir])
    inputs = {k: v for k, v in (("n_frames", args.frames), ("mode", args.input)) if v}
    mode = MODELS[args.model].mode
    if args.input and mode not in ("frames", "features", "evidence"):
        raise ThermodefectError(
            f"--input applies to networks reading images, not {args.model} ({mode} input)"
        )
    width = "hidden" if "hidden" in MODELS[args.model].defaults else "base"
    config = TrainConfig(
        model=args.model, options={} if args.base is None else {width: args.base},
        inputs=inputs, epochs=args.epochs, steps=args.steps, batch=args.batch, patch=args.patch,
        lr=args.lr, loss=args.loss, patience=args.patience, seed=args.seed, device=args.device,
        processes=args.processes, folds=args.folds, fold=args.fold, exclude=args.exclude,
        labelled=args.labelled, init=str(args.init or ""), adversarial=args.adversarial,
        domain=str(args.domain or ""), domain_weight=args.domain_weight,
    )  # fmt: skip
    result = train(args.data_dir, args.out, config, quiet=args.quiet)
    if result is None:  # a non-zero torchrun rank
        return 0
    say(args, f"best validation IoU {result.val_iou:.3f} at threshold {result.threshold:.2f} "
              f"({result.seconds:.0f} s); wrote {result.checkpoint}, {args.out}/log.csv, "
              f"{args.out}/curves.png")  # fmt: skip
    return 0


def cmd_pretrain(args) -> int:
    from thermodefect.io.files import sequence_files
    from thermodefect.nn.pretrain import PretrainConfig, pretrain

    files = sequence_files(args.data_dir)
    output_file(args.out, reads=files)
    config = PretrainConfig(
        model=args.model, options={} if args.base is None else {"base": args.base},
        inputs={"n_frames": args.frames} if args.frames else {}, epochs=args.epochs,
        steps=args.steps, batch=args.batch, patch=args.patch, lr=args.lr,
        mask_ratio=args.mask_ratio, block=args.block, seed=args.seed, device=args.device,
    )  # fmt: skip
    result = pretrain(files, args.out, config, quiet=args.quiet)
    say(args, f"pretrained {args.model} on {len(files)} sequences: reconstruction loss "
              f"{result.losses[0]:.4f} -> {result.losses[-1]:.4f} ({result.seconds:.0f} s); "
              f"wrote {result.path}; fine-tune with train --init {result.path}")  # fmt: skip
    return 0


def cmd_adapt(args) -> int:
    from thermodefect.detect.adapt import AdaptConfig, adapt
    from thermodefect.detect.model import load_model
    from thermodefect.io.files import sequence_files
    from thermodefect.nn.checkpoint import save_checkpoint

    files = sequence_files(args.data_dir)
    model_path = None if args.model == "default" else Path(args.model)
    ckpt = load_model(model_path, device=args.device)
    output_file(args.out, reads=[*files, *([model_path] if model_path else [])])
    config = AdaptConfig(objective=args.objective, steps=args.steps, budget=args.budget,
                         seed=args.seed, device=args.device, guard=not args.no_guard)  # fmt: skip
    result = adapt(ckpt, files, config, quiet=args.quiet)
    save_checkpoint(result.checkpoint, args.out)
    b, a = result.before, result.after
    counts = (f"regions on likely-sound areas {b.sound} -> {a.sound}, regions PCT confirms "
              f"{b.confirmed} -> {a.confirmed}")  # fmt: skip
    if result.accepted:
        say(args, f"adapted on {len(files)} sequences ({args.objective}, {result.steps} "
                  f"steps, {result.seconds:.0f} s); {counts}; wrote {args.out}")  # fmt: skip
    else:
        say(args, f"adaptation made the network worse on this folder ({counts}): kept the "
                  f"original weights; wrote them to {args.out} with the record")  # fmt: skip
    return 0


def cmd_export(args) -> int:
    from thermodefect.nn.checkpoint import load_checkpoint
    from thermodefect.nn.export import export_onnx

    ckpt = load_checkpoint(args.checkpoint)
    output_file(args.onnx, reads=[args.checkpoint])
    path = export_onnx(ckpt, args.onnx)
    say(args, f"wrote {path}")
    return 0
