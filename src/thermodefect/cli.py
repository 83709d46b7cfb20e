"""The ``thermodefect`` command line. Heavy modules load only when a sub-command runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from thermodefect.errors import ThermodefectError

PROG = "thermodefect"
#: Kept in step with thermodefect.simulate.presets.PRESETS (a test checks it), so that
#: ``--help`` does not import the simulator.
PRESET_NAMES = ("tiny", "cfrp-fbh", "cfrp-delam", "seed-layouts", "mixed")
#: Kept in step with thermodefect.detect.FEATURES (a test checks it).
METHOD_NAMES = ("pct", "tsr", "ppt", "hos", "contrast", "dac")
#: Kept in step with thermodefect.detect.DECISIONS (a test checks it).
DECISION_NAMES = ("significance", "hysteresis", "otsu", "kmeans", "region")
#: Kept in step with thermodefect.nn.MODELS and LOSSES (a test checks it).
MODEL_NAMES = ("lstm", "unet", "unetpp", "stunet", "stunet-att")
LOSS_NAMES = ("bce", "bce_dice", "dice", "focal", "tversky")


def _shape(text: str) -> tuple[int, int]:
    """Parse ``HxW`` or ``N`` (square) into (H, W)."""
    parts = text.lower().split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if len(dims) == 1:
        dims = (dims[0], dims[0])
    if len(dims) != 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected HxW or N with positive integers, got {text!r}")
    return dims


def _pixel(text: str) -> tuple[int, int]:
    try:
        r, c = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ROW,COL, got {text!r}") from None
    return r, c


def _load_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading sequences")
    g.add_argument(
        "--var", help="MATLAB variable / HDF5 dataset holding the frames (a.b for fields)"
    )
    g.add_argument("--shape", type=_shape, help="HxW of per-pixel CSV rows of unknown size")
    g.add_argument("--order", choices=("C", "F"), default="C", help="CSV pixel order (default C)")
    g.add_argument("--layout", choices=("THW", "HWT"), help="axis order of NumPy/HDF5 arrays")
    g.add_argument("--frame-rate", type=float, help="frames per second, overriding the file")
    g.add_argument("--pixel-pitch", type=float, help="pixel size on the specimen in mm")


def _load(path, args):
    from thermodefect.io import load

    return load(
        path,
        var=args.var,
        shape=args.shape,
        order=args.order,
        layout=args.layout,
        frame_rate=args.frame_rate,
        pixel_pitch_mm=args.pixel_pitch,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find subsurface defects in pulsed thermography sequences.",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars or summaries")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("info", help="shape, frame rate, value range and flash frame of a sequence")
    p.add_argument("file", type=Path)
    _load_options(p)
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("convert", help="convert a sequence to .mat (seed layout), .h5 or .npz")
    p.add_argument("input", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--mat-version", choices=("auto", "5", "7.3"), default="auto")
    _load_options(p)
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("frames", help="export frames as PNG and plot pixels' temperature curves")
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--frames", help="comma-separated frame indices (default: 6 log-spaced)")
    p.add_argument("--pixel", type=_pixel, action="append", help="ROW,COL to plot (repeatable)")
    _load_options(p)
    p.set_defaults(run=cmd_frames)

    p = sub.add_parser("pca", help="PCT images of every sequence in a folder (the seed's pca.py)")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path, default=Path("pca_imgs"), help="default: pca_imgs")
    p.add_argument("--components", type=int, default=4, help="images per sequence (default 4)")
    p.add_argument("--size", type=_shape, help="resize images to N (square) or HxW")
    p.add_argument(
        "--normalize",
        choices=("center", "pixel", "frame", "none"),
        default="center",
        help="standardisation (default: center, the seed's)",
    )
    _load_options(p)
    p.set_defaults(run=cmd_pca)

    _labels_parser(sub)

    p = sub.add_parser(
        "detect", help="find defects (built-in model, a trained model or a classical method)"
    )
    p.add_argument("files", type=Path, nargs="+")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--method", choices=METHOD_NAMES, help="a classical method instead")
    how.add_argument("--model", type=Path, help="a checkpoint from train (default: built-in)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--device", default="cpu", help="torch device for models (default cpu)")
    p.add_argument("--threshold", type=float, help="model probability threshold (default: tuned)")
    p.add_argument(
        "--z-min", type=float, default=6.0, help="methods: significance in robust sigma (default 6)"
    )
    p.add_argument("--min-area", type=int, help="smallest defect in pixels (default 9)")
    p.add_argument(
        "--decision", choices=DECISION_NAMES, default="significance",
        help="methods: feature image to mask (every rule is gated by --z-min)",
    )  # fmt: skip
    _load_options(p)
    p.set_defaults(run=cmd_detect)

    p = sub.add_parser("train", help="train a network on a simulated dataset")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--model", choices=MODEL_NAMES, default="unet")
    p.add_argument(
        "--out", type=Path, required=True, help="folder for model.pt, log.csv, curves.png"
    )
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--steps", type=int, default=40, help="batches per epoch (default 40)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--patch", type=int, default=64, help="training patch size in pixels")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--loss", choices=LOSS_NAMES, default="bce_dice")
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

    p = sub.add_parser("evaluate", help="score a detect folder against ground-truth labels")
    p.add_argument("pred_dir", type=Path)
    p.add_argument("gt_dir", type=Path, help="folder with {name}_label.png (or labels/ inside)")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("benchmark", help="score methods and models on a simulated dataset")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path, default=Path("benchmark_results"))
    p.add_argument("--split", choices=("train", "val", "test", "all"), default="test")
    p.add_argument(
        "--methods", nargs="+", choices=METHOD_NAMES, help="default: all, or none with --models"
    )
    p.add_argument(
        "--models", nargs="+", default=[], help="checkpoints to score too ('default': built-in)"
    )
    p.add_argument("--device", default="cpu", help="torch device for models (default cpu)")
    p.add_argument(
        "--decisions", nargs="+", choices=DECISION_NAMES, default=["significance"],
        help="several: each method uses the one best on the val split",
    )  # fmt: skip
    p.set_defaults(run=cmd_benchmark)

    p = sub.add_parser("simulate", help="simulate specimens (3-D heat conduction + camera)")
    p.add_argument("out_dir", type=Path)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--preset", choices=PRESET_NAMES, help="a dataset preset")
    what.add_argument("--spec", type=Path, help="one specimen described in JSON or YAML")
    p.add_argument("--n", type=int, default=10, help="specimens for --preset (default 10)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default cpu)")
    p.add_argument("--hdf5", action="store_true", help="also write our HDF5 next to each .mat")
    p.set_defaults(run=cmd_simulate)

    p = sub.add_parser("demo", help="simulate a small dataset and run the PCA workflow on it")
    p.add_argument("--out", type=Path, default=Path("demo_out"), help="default: demo_out")
    p.set_defaults(run=cmd_demo)
    return parser


def _labels_parser(sub) -> None:
    labels = sub.add_parser("labels", help="annotations: labelme JSON to masks, fuse annotators")
    lsub = labels.add_subparsers(dest="labels_command", required=True, metavar="STEP")

    p = lsub.add_parser("convert", help="labelme JSON files to {name}_label.png masks")
    p.add_argument("json_dir", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--format",
        choices=("seed", "binary"),
        default="seed",
        help="seed: black defect on white (default); binary: 0/1",
    )
    p.add_argument("--classes", type=Path, help="YAML/JSON map label -> class index (0 = sound)")
    p.add_argument("--line-width", type=int, default=3, help="pixels, for line shapes (default 3)")
    p.add_argument("--point-radius", type=float, default=3.0, help="pixels, for points (default 3)")
    p.set_defaults(run=cmd_labels_convert)

    p = lsub.add_parser("prepare", help="PCT images at native resolution for labelme")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--components", type=int, default=4)
    p.add_argument("--component", type=int, default=1, help="written as {name}.png (default 1)")
    p.add_argument("--tsr", action="store_true", help="also TSR derivative images")
    _load_options(p)
    p.set_defaults(run=cmd_labels_prepare)

    p = lsub.add_parser("fuse", help="fuse annotators' masks; report their agreement")
    p.add_argument("annotator_dirs", type=Path, nargs="+")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--method", choices=("majority", "staple"), default="majority")
    p.add_argument("--format", choices=("seed", "binary"), default="seed")
    p.set_defaults(run=cmd_labels_fuse)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; bad input prints one line and returns 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ThermodefectError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _say(args, text: str) -> None:
    if not args.quiet:
        print(text)


def cmd_info(args) -> int:
    import numpy as np

    from thermodefect.preprocess import detect_flash

    seq = _load(args.file, args)
    t, h, w = seq.shape
    lo, hi = float(np.min(seq.frames)), float(np.max(seq.frames))
    flash = detect_flash(seq)
    rate = f"{seq.meta.frame_rate:g} Hz" if seq.meta.frame_rate else "unknown (times are indices)"
    pitch = f"{seq.meta.pixel_pitch_mm:g} mm" if seq.meta.pixel_pitch_mm else "unknown"
    extra = seq.meta.extra
    truth = "none" if seq.mask is None else f"yes, {int(seq.mask.sum())} defect pixels"
    lines = [
        f"file:         {args.file}",
        f"format:       {extra.get('format', '?')}"
        + (f" (variable {extra['variable']})" if "variable" in extra else ""),
        f"frames:       {t} of {h} x {w} pixels (height x width)",
        f"stored dtype: {extra.get('source_dtype', 'float32')}",
        f"frame rate:   {rate}; duration {seq.times[-1] - seq.times[0]:g} s",
        f"pixel pitch:  {pitch}",
        f"values:       {lo:.6g} .. {hi:.6g} {seq.meta.units}",
        f"flash frame:  {flash} (t = {seq.times[flash]:g} s; {flash} pre-flash frames)",
        f"ground truth: {truth}",
    ]
    print("\n".join(lines))
    return 0


def cmd_convert(args) -> int:
    from thermodefect.io import save

    seq = _load(args.input, args)
    save(seq, args.output, mat_version=args.mat_version)
    _say(
        args,
        f"wrote {args.output} ({seq.n_frames} frames of {seq.image_shape[0]}x{seq.image_shape[1]})",
    )
    return 0


def cmd_frames(args) -> int:
    from thermodefect import report

    seq = _load(args.file, args)
    if args.frames:
        try:
            indices = [int(v) for v in args.frames.split(",")]
        except ValueError:
            raise ThermodefectError(
                f"--frames must be comma-separated integers, got {args.frames!r}"
            ) from None
    else:
        indices = None
    written = report.export_frames(seq, args.out, indices=indices, pixels=args.pixel)
    _say(args, f"wrote {len(written)} files to {args.out}/ (frames as PNG, curves as PNG and CSV)")
    return 0


def cmd_pca(args) -> int:
    from thermodefect.workflows import pca_folder

    failures = pca_folder(
        args.data_dir,
        args.out,
        components=args.components,
        size=args.size,
        normalize=args.normalize,
        load=lambda p: _load(p, args),
        quiet=args.quiet,
    )
    return _report(failures)


def _report(problems: list[str], warnings: list[str] = ()) -> int:
    for line in warnings:
        print(f"{PROG}: warning: {line}", file=sys.stderr)
    for line in problems:
        print(f"{PROG}: error: {line}", file=sys.stderr)
    return 2 if problems else 0


def cmd_labels_convert(args) -> int:
    from thermodefect.workflows import labels_convert

    problems, warnings = labels_convert(
        args.json_dir,
        args.out,
        fmt=args.format,
        class_map=args.classes,
        line_width=args.line_width,
        point_radius=args.point_radius,
        quiet=args.quiet,
    )
    return _report(problems, warnings)


def cmd_labels_prepare(args) -> int:
    from thermodefect.workflows import labels_prepare

    failures = labels_prepare(
        args.data_dir,
        args.out,
        components=args.components,
        component=args.component,
        tsr_images=args.tsr,
        load=lambda p: _load(p, args),
        quiet=args.quiet,
    )
    return _report(failures)


def cmd_labels_fuse(args) -> int:
    from thermodefect.workflows import labels_fuse

    problems, summary = labels_fuse(
        args.annotator_dirs, args.out, method=args.method, fmt=args.format
    )
    _say(args, summary.rstrip())
    return _report(problems)


def cmd_detect(args) -> int:
    from thermodefect.detect import MIN_AREA, detect, write_detection

    if args.method is None:
        from thermodefect.nn.detect import detect_with_model, load_model

        ckpt = load_model(args.model, args.device)

        def run(seq):
            return detect_with_model(seq, ckpt, device=args.device, threshold=args.threshold,
                                     min_area=args.min_area)  # fmt: skip
    else:

        def run(seq):
            area = MIN_AREA if args.min_area is None else args.min_area
            return detect(seq, args.method, z_min=args.z_min, min_area=area,
                          decision=args.decision)  # fmt: skip

    problems = []
    for path in args.files:
        try:
            seq = _load(path, args)
            found = run(seq)
        except ThermodefectError as exc:
            problems.append(exc.naming(path))
            continue
        write_detection(found, args.out, seq.name)
        _say(args, f"{path}: {len(found.regions)} defect(s) -> {args.out}/{seq.name}_*")
    return _report(problems)


def cmd_train(args) -> int:
    from thermodefect.nn.train import TrainConfig, train

    inputs = {k: v for k, v in (("n_frames", args.frames), ("mode", args.input)) if v}
    if args.model in ("lstm", "stunet", "stunet-att") and args.input:
        raise ThermodefectError(f"--input applies to unet and unetpp, not {args.model}")
    width = "hidden" if args.model == "lstm" else "base"
    config = TrainConfig(
        model=args.model, options={} if args.base is None else {width: args.base},
        inputs=inputs, epochs=args.epochs, steps=args.steps, batch=args.batch, patch=args.patch,
        lr=args.lr, loss=args.loss, patience=args.patience, seed=args.seed, device=args.device,
        processes=args.processes, folds=args.folds, fold=args.fold, exclude=args.exclude,
    )  # fmt: skip
    result = train(args.data_dir, args.out, config, quiet=args.quiet)
    if result is None:  # a non-zero torchrun rank
        return 0
    _say(args, f"best validation IoU {result.val_iou:.3f} at threshold {result.threshold:.2f} "
               f"({result.seconds:.0f} s); wrote {result.checkpoint}, {args.out}/log.csv, "
               f"{args.out}/curves.png")  # fmt: skip
    return 0


def cmd_export(args) -> int:
    from thermodefect.nn.checkpoint import load_checkpoint
    from thermodefect.nn.export import export_onnx

    path = export_onnx(load_checkpoint(args.checkpoint), args.onnx)
    _say(args, f"wrote {path}")
    return 0


def cmd_evaluate(args) -> int:
    from thermodefect.workflows import evaluate_folder

    problems, summary = evaluate_folder(args.pred_dir, args.gt_dir)
    _say(args, summary.rstrip())
    return _report(problems)


def cmd_benchmark(args) -> int:
    from thermodefect.benchmark import run_benchmark

    text = run_benchmark(args.data_dir, args.out, methods=args.methods, models=args.models,
                         split=args.split, device=args.device, decisions=args.decisions,
                         quiet=args.quiet)  # fmt: skip
    _say(args, text.rstrip() + f"\n\nwrote {args.out}/results.md, results.csv, pod.png, examples/")
    return 0


def cmd_simulate(args) -> int:
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise ThermodefectError(f"--device {args.device}: CUDA is not available on this machine")
    if args.preset:
        from thermodefect.simulate.dataset import generate

        manifest = generate(
            args.out_dir,
            args.preset,
            args.n,
            args.seed,
            device=args.device,
            hdf5=args.hdf5,
            quiet=args.quiet,
        )
        _say(args, f"wrote {args.n} specimens and {manifest}")
        return 0
    from thermodefect.simulate import read_spec, run
    from thermodefect.simulate.dataset import manifest_row, write_manifest, write_specimen

    spec = read_spec(args.spec)
    sequence, truth = run(spec, device=args.device)
    mat = write_specimen(args.out_dir, spec, sequence, truth, hdf5=args.hdf5)
    write_manifest(args.out_dir, [manifest_row(spec, "test", "spec", sequence)])
    _say(args, f"wrote {mat}, its label and {spec.name}.json to {args.out_dir}/")
    return 0


def cmd_demo(args) -> int:
    from thermodefect.workflows import demo

    demo(args.out, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
