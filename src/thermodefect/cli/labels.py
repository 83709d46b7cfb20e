"""``thermodefect labels``: labelme JSON to masks, images for annotators, fusing annotators."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import add_load_options, load, report, say


def add_parsers(sub) -> None:
    """Register ``labels`` and its steps on the sub-command parser ``sub``."""
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
    p.set_defaults(run=cmd_convert)

    p = lsub.add_parser("prepare", help="PCT images at native resolution for labelme")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--components", type=int, default=4)
    p.add_argument("--component", type=int, default=1, help="written as {name}.png (default 1)")
    p.add_argument("--tsr", action="store_true", help="also TSR derivative images")
    add_load_options(p)
    p.set_defaults(run=cmd_prepare)

    p = lsub.add_parser("fuse", help="fuse annotators' masks; report their agreement")
    p.add_argument("annotator_dirs", type=Path, nargs="+")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--method", choices=("majority", "staple"), default="majority")
    p.add_argument("--format", choices=("seed", "binary"), default="seed")
    p.set_defaults(run=cmd_fuse)


def cmd_convert(args) -> int:
    from thermodefect.labels import convert_folder

    problems, warnings = convert_folder(
        args.json_dir,
        args.out,
        fmt=args.format,
        class_map=args.classes,
        line_width=args.line_width,
        point_radius=args.point_radius,
        quiet=args.quiet,
    )
    return report(problems, warnings)


def cmd_prepare(args) -> int:
    from thermodefect.labels import prepare_folder

    failures = prepare_folder(
        args.data_dir,
        args.out,
        components=args.components,
        component=args.component,
        tsr_images=args.tsr,
        load=lambda p: load(p, args),
        quiet=args.quiet,
    )
    return report(failures)


def cmd_fuse(args) -> int:
    from thermodefect.labels import fuse_folders

    problems, summary = fuse_folders(
        args.annotator_dirs, args.out, method=args.method, fmt=args.format
    )
    say(args, summary.rstrip())
    return report(problems)
