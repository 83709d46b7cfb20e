"""``thermodefect labels``: labelme JSON to masks, images for annotators, fusing annotators."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import (
    add_load_options,
    count,
    load,
    output_folder,
    plural,
    positive,
    positive_int,
    report,
    say,
)


def add_parsers(sub) -> None:
    """Register ``labels`` and its steps on the sub-command parser ``sub``."""
    labels = sub.add_parser("labels", help="annotations: labelme JSON to masks, fuse annotators")
    lsub = labels.add_subparsers(
        dest="labels_command", required=True, metavar="STEP", help="convert, prepare or fuse"
    )

    p = lsub.add_parser("convert", help="labelme JSON files to {name}_label.png masks")
    p.add_argument("json_dir", type=Path, help="folder of labelme .json files")
    p.add_argument("--out", type=Path, required=True, help="output folder for the masks")
    p.add_argument(
        "--format",
        choices=("seed", "binary"),
        default="seed",
        help="seed: black defect on white (default); binary: 0/1",
    )
    p.add_argument("--classes", type=Path, help="YAML/JSON map label -> class index (0 = sound)")
    p.add_argument("--line-width", type=positive_int, default=3, help="pixels, for line shapes")
    p.add_argument("--point-radius", type=positive, default=3.0, help="pixels, for points")
    p.set_defaults(run=cmd_convert)

    p = lsub.add_parser("prepare", help="PCT images at native resolution for labelme")
    p.add_argument("data_dir", type=Path, help="folder of sequence files")
    p.add_argument("--out", type=Path, required=True, help="output folder for the images")
    p.add_argument("--components", type=positive_int, default=4, help="PCT images per sequence")
    p.add_argument("--component", type=count, default=1, help="the one written as {name}.png")
    p.add_argument("--tsr", action="store_true", help="also TSR derivative images")
    add_load_options(p)
    p.set_defaults(run=cmd_prepare)

    p = lsub.add_parser("fuse", help="fuse annotators' masks; report their agreement")
    p.add_argument("annotator_dirs", type=Path, nargs="+", help="one folder of masks per annotator")
    p.add_argument("--out", type=Path, required=True, help="output folder (not an input)")
    p.add_argument("--method", choices=("majority", "staple"), default="majority", help="fusion")
    p.add_argument("--format", choices=("seed", "binary"), default="seed", help="mask pixels")
    p.set_defaults(run=cmd_fuse)


def cmd_convert(args) -> int:
    from thermodefect.labels import convert_folder

    output_folder(args.out, reads=[args.json_dir])
    problems, warnings = convert_folder(
        args.json_dir,
        args.out,
        fmt=args.format,
        class_map=args.classes,
        line_width=args.line_width,
        point_radius=args.point_radius,
        quiet=args.quiet,
    )
    written = len(list(args.json_dir.glob("*.json"))) - len(problems)
    style = "black = defect on white" if args.format == "seed" else "1 = defect, 0 = sound"
    say(args, f"wrote {plural(written, 'mask')} {{name}}_label.png ({style}) to {args.out}/"
              + (" and class maps {name}_classes.png" if args.classes else ""))  # fmt: skip
    return report(problems, warnings)


def cmd_prepare(args) -> int:
    from thermodefect.labels import prepare_folder

    output_folder(args.out, reads=[args.data_dir])
    from thermodefect.io.files import sequence_files

    total = len(sequence_files(args.data_dir))
    failures = prepare_folder(
        args.data_dir,
        args.out,
        components=args.components,
        component=args.component,
        tsr_images=args.tsr,
        load=lambda p: load(p, args),
        quiet=args.quiet,
    )
    say(args, f"wrote PCT images of {plural(total - len(failures), 'sequence')} to {args.out}/: "
              "{name}.png to label, {name}_pca{i}.png for reference")  # fmt: skip
    return report(failures)


def cmd_fuse(args) -> int:
    from thermodefect.labels import fuse_folders

    output_folder(args.out, reads=args.annotator_dirs)
    problems, summary = fuse_folders(
        args.annotator_dirs, args.out, method=args.method, fmt=args.format
    )
    say(args, summary.rstrip())
    return report(problems)
