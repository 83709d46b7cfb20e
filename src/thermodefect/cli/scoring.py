"""``thermodefect evaluate`` and ``thermodefect benchmark``: scores against ground truth."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import choices_help, output_folder, positive_int, report, say


def add_parsers(sub) -> None:
    """Register ``evaluate`` and ``benchmark`` on the sub-command parser ``sub``."""
    from thermodefect.benchmark.leave_out import Budget
    from thermodefect.detect.decision import DECISIONS
    from thermodefect.methods import METHODS
    from thermodefect.nn.registry import MODELS

    p = sub.add_parser("evaluate", help="score a detect folder against ground-truth labels")
    p.add_argument("pred_dir", type=Path, help="a folder written by thermodefect detect")
    p.add_argument("gt_dir", type=Path, help="folder with {name}_label.png (or labels/ inside)")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("benchmark", help="score methods and models on a simulated dataset")
    p.add_argument("data_dir", type=Path, help="a dataset written by thermodefect simulate")
    p.add_argument("--out", type=Path, default=Path("benchmark_results"), help="output folder")
    p.add_argument(
        "--split", choices=("train", "val", "test", "all"), default="test", help="specimens scored"
    )
    p.add_argument(
        "--methods", nargs="+", choices=list(METHODS),
        help=choices_help("default: all, or none with --models", METHODS),
    )  # fmt: skip
    p.add_argument(
        "--models", nargs="+", default=[], help="checkpoints to score too ('default': built-in)"
    )
    p.add_argument(
        "--combine", metavar="METHOD", choices=list(METHODS),
        help="also score each model's regions added to METHOD's (detect's default rule)",
    )  # fmt: skip
    p.add_argument("--device", default="cpu", help="torch device for models")
    p.add_argument(
        "--decisions", nargs="+", choices=list(DECISIONS), default=["significance"],
        help="several: each method uses the one best on the val split",
    )  # fmt: skip
    p.add_argument("--family", nargs="+", help="score only these families of a 'wide' dataset")
    p.add_argument("--sound-only", action="store_true", help="score only plates without defects")
    p.add_argument(
        "--leave-out", metavar="FAMILY",
        help="train --model without FAMILY under a fixed budget, then score it, the built-in "
        "network and the classical methods on all of FAMILY",
    )  # fmt: skip
    p.add_argument(
        "--model", choices=list(MODELS), default="unet", help="the network --leave-out trains"
    )
    p.add_argument(
        "--epochs", type=positive_int, default=Budget.epochs, help="--leave-out's training budget"
    )
    p.add_argument("--steps", type=positive_int, default=Budget.steps, help="batches per epoch")
    p.set_defaults(run=cmd_benchmark)


def cmd_evaluate(args) -> int:
    from thermodefect.evaluate import evaluate_folder

    problems, summary = evaluate_folder(args.pred_dir, args.gt_dir)
    say(args, summary.rstrip())
    return report(problems)


def cmd_benchmark(args) -> int:
    from thermodefect.benchmark import run_benchmark
    from thermodefect.benchmark.leave_out import Budget, leave_family_out
    from thermodefect.report import write_benchmark, write_detection

    output_folder(args.out, reads=[args.data_dir])
    if args.leave_out:
        result = leave_family_out(
            args.data_dir, args.leave_out, args.out, model=args.model,
            budget=Budget(epochs=args.epochs, steps=args.steps), methods=args.methods,
            combine=args.combine, device=args.device, quiet=args.quiet,
        )  # fmt: skip
    else:
        result = run_benchmark(
            args.data_dir, methods=args.methods, models=args.models, split=args.split,
            device=args.device, decisions=args.decisions, families=args.family,
            sound_only=args.sound_only, combine=args.combine, quiet=args.quiet,
            examples=lambda found, name: write_detection(found, args.out / "examples", name),
        )  # fmt: skip
    text = write_benchmark(result, args.out)
    extra = "model/ (the network trained without the family)" if args.leave_out else "examples/"
    say(args, text.rstrip() + f"\n\nwrote {args.out}/results.md, results.csv, pod.png, {extra}")
    return 0
