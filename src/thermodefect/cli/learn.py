"""``thermodefect train`` and ``thermodefect export``: networks from simulated data to ONNX."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import choices_help, say
from thermodefect.errors import ThermodefectError


def add_parsers(sub) -> None:
    """Register ``train`` and ``export`` on the sub-command parser ``sub``."""
    from thermodefect.nn.registry import LOSSES, MODELS

    p = sub.add_parser("train", help="train a network on a simulated dataset")
    p.add_argument("data_dir", type=Path)
    p.add_argument(
        "--model", choices=list(MODELS), default="unet", help=choices_help("network", MODELS)
    )
    p.add_argument(
        "--out", type=Path, required=True, help="folder for model.pt, log.csv, curves.png"
    )
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--steps", type=int, default=40, help="batches per epoch (default 40)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--patch", type=int, default=64, help="training patch size in pixels")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument(
        "--loss", choices=list(LOSSES), default="bce_dice", help=choices_help("loss", LOSSES)
    )
    p.add_argument("--patience", type=int, default=10, help="early-stopping epochs (default 10)")
    p.add_argument(
        "--base",
        type=int,
        help="network width: channels of the first level, hidden units of the lstm",
    )
    p.add_argument("--frames", type=int, help="log-spaced frames the network reads (default 16)")
    p.add_argument("--input", choices=("frames", "features"), help="2-D input (default frames)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--processes", type=int, default=1, help="DistributedDataParallel processes")
    p.add_argument("--folds", type=int, default=0, help="k-fold by specimen (0: manifest split)")
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--exclude", nargs="+", default=[], help="presets left out of training")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("export", help="export a checkpoint to ONNX")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--onnx", type=Path, required=True, help="output .onnx file")
    p.set_defaults(run=cmd_export)


def cmd_train(args) -> int:
    from thermodefect.nn.registry import MODELS
    from thermodefect.nn.train import TrainConfig, train

    inputs = {k: v for k, v in (("n_frames", args.frames), ("mode", args.input)) if v}
    mode = MODELS[args.model].mode
    if args.input and mode not in ("frames", "features"):
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

    path = export_onnx(load_checkpoint(args.checkpoint), args.onnx)
    say(args, f"wrote {path}")
    return 0
