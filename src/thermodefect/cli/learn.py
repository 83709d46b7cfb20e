"""``thermodefect train`` and ``thermodefect export``: networks from simulated data to ONNX."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import (
    choices_help,
    count,
    output_file,
    output_folder,
    positive,
    positive_int,
    say,
)
from thermodefect.errors import ThermodefectError


def add_parsers(sub) -> None:
    """Register ``train`` and ``export`` on the sub-command parser ``sub``."""
    from thermodefect.nn.registry import LOSSES, MODELS

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
    p.set_defaults(run=cmd_train)

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
    )  # fmt: skip
    result = train(args.data_dir, args.out, config, quiet=args.quiet)
    if result is None:  # a non-zero torchrun rank
        return 0
    say(args, f"best validation IoU {result.val_iou:.3f} at threshold {result.threshold:.2f} "
              f"({result.seconds:.0f} s); wrote {result.checkpoint}, {args.out}/log.csv, "
              f"{args.out}/curves.png")  # fmt: skip
    return 0


def cmd_export(args) -> int:
    from thermodefect.nn.checkpoint import load_checkpoint
    from thermodefect.nn.export import export_onnx

    ckpt = load_checkpoint(args.checkpoint)
    output_file(args.onnx, reads=[args.checkpoint])
    path = export_onnx(ckpt, args.onnx)
    say(args, f"wrote {path}")
    return 0
