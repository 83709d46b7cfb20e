"""``thermodefect detect``: find defects with a classical method (PCT by default, the detector
that holds best on data it was not made from), the built-in network or a trained one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from thermodefect.cli._common import (
    add_load_options,
    choices_help,
    count,
    load,
    output_folder,
    plural,
    positive,
    probability,
    report,
    say,
)
from thermodefect.errors import ThermodefectError

#: What ``detect`` runs without --method or --model: the detector with the best IoU over the
#: held-out families of the leave-one-family-out protocol and no false call on their sound
#: plates (docs/results.md).
DEFAULT_METHOD = "pct"


def add_parsers(sub) -> None:
    """Register ``detect`` on the sub-command parser ``sub``."""
    from thermodefect.detect.decision import DECISIONS, Z_MIN
    from thermodefect.methods import METHODS

    p = sub.add_parser(
        "detect",
        help="find defects (PCT by default, another method, the built-in or a trained model)",
    )
    p.add_argument("files", type=Path, nargs="+", help="sequence files")
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--method", choices=list(METHODS),
        help=choices_help(f"a classical method (default: {DEFAULT_METHOD})", METHODS),
    )  # fmt: skip
    how.add_argument(
        "--model", type=Path,
        help="a network instead: 'default' (built-in) or a checkpoint from train; out of "
             f"distribution it gives way to {DEFAULT_METHOD}",
    )  # fmt: skip
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--device", default="cpu", help="torch device for models")
    p.add_argument(
        "--threshold", type=probability, help="model probability threshold (default: tuned)"
    )
    p.add_argument(
        "--z-min",
        type=positive,
        default=Z_MIN,
        help="methods: significance in robust sigma",
    )
    p.add_argument(
        "--min-area", type=count, help="smallest defect in pixels (default: 9, a model's own)"
    )
    p.add_argument(
        "--decision", choices=list(DECISIONS), default="significance",
        help=choices_help("methods: feature image to mask, every rule gated by --z-min",
                          DECISIONS),
    )  # fmt: skip
    _add_depth_options(p)
    add_load_options(p)
    p.set_defaults(run=cmd_detect, depth_only=False)

    q = sub.add_parser(
        "depth",
        help="the depth of each defect a classical method finds: depth map and defect table",
    )
    q.add_argument("files", type=Path, nargs="+", help="sequence files")
    q.add_argument(
        "--method", choices=list(METHODS),
        help=choices_help(f"the classical method that finds them (default: {DEFAULT_METHOD})",
                          METHODS),
    )  # fmt: skip
    q.add_argument("--out", type=Path, required=True, help="output folder")
    _add_depth_options(q)
    add_load_options(q)
    q.set_defaults(run=cmd_detect, depth_only=True, model=None, z_min=Z_MIN, min_area=None,
                   decision="significance")  # fmt: skip


def _add_depth_options(p) -> None:
    from thermodefect.simulate.materials import LIBRARY

    d = p.add_argument_group(
        "depth of each defect (given the through-thickness diffusivity, or the thickness alone: "
        "the diffusivity from the sound plate's back wall)"
    )
    a = d.add_mutually_exclusive_group()
    a.add_argument("--material", choices=list(LIBRARY), help="the plate's material")
    a.add_argument("--diffusivity", type=positive, help="through-thickness diffusivity, m^2/s")
    d.add_argument("--thickness", type=positive, help="plate thickness, mm (no deeper defect)")


def cmd_detect(args) -> int:
    """``detect``, and ``depth`` (``args.depth_only``: a depth setting required, only the depth
    map and the defect table written)."""
    from thermodefect.report.detection import shown_frame, write_depth, write_detection

    if args.depth_only and args.material is args.diffusivity is args.thickness is None:
        return report(["depth needs the plate's --material, its --diffusivity or its "
                       "--thickness"])  # fmt: skip
    output_folder(args.out, reads=args.files)
    if args.model is not None:
        from thermodefect.detect.model import detect_with_model, load_model

        ckpt = load_model(None if str(args.model) == "default" else args.model, args.device)

        def run(seq):
            return detect_with_model(seq, ckpt, device=args.device, threshold=args.threshold,
                                     min_area=args.min_area)  # fmt: skip
    else:
        from thermodefect.detect import MIN_AREA, detect

        method = args.method or DEFAULT_METHOD

        def run(seq):
            area = MIN_AREA if args.min_area is None else args.min_area
            return detect(seq, method, z_min=args.z_min, min_area=area,
                          decision=args.decision)  # fmt: skip

    from thermodefect.detect.depth import (
        back_wall_diffusivity,
        check_rise,
        depth_cooling,
        diffusivity_of,
        lateral_spread,
        with_depth,
    )
    from thermodefect.detect.regions import write_table
    from thermodefect.detect.thickness import sound_thickness
    from thermodefect.io.files import output_names

    diffusivity = diffusivity_of(args.material, args.diffusivity)
    spread = lateral_spread(args.material)

    wants_depth = diffusivity is not None or args.thickness is not None
    names = output_names(args.files)
    problems, warnings = [], []
    for path in args.files:
        try:
            seq = load(path, args)
            if wants_depth:
                check_rise(seq)
            found = run(seq)
            a = diffusivity
            if wants_depth:
                cooling = depth_cooling(seq, found)
            if a is None and args.thickness is not None:
                a = back_wall_diffusivity(cooling, found.mask, args.thickness)
                say(args, f"{path}: diffusivity {a:.3g} m^2/s from the back wall")
            if a is not None:
                found = with_depth(found, a, thickness_mm=args.thickness, spread=spread,
                                   cooling=cooling)  # fmt: skip
                found = replace(found, thickness=sound_thickness(seq, found, a))
        except ThermodefectError as exc:
            problems.append(exc.naming(path))
            continue
        if args.depth_only:
            write_depth(found, shown_frame(found), args.out, names[path])
            write_table(found.regions, args.out / f"{names[path]}_defects.csv",
                        args.out / f"{names[path]}_defects.json",
                        out_of_distribution=found.out_of_distribution)  # fmt: skip
        else:
            write_detection(found, args.out, names[path])
        say(args, f"{path}: {plural(len(found.regions), 'defect')} ({found.method}) -> "
                  f"{args.out}/{names[path]}_*")  # fmt: skip
        if found.out_of_distribution is not None:
            warnings.append(f"{path}: out of distribution: {found.out_of_distribution}")
    if len(problems) < len(args.files):
        made = ("depth and thickness maps (.npy in mm, .png) and defect tables"
                if args.depth_only else
                "masks (white = defect), feature or probability images, overlays and defect "
                "tables")  # fmt: skip
        say(args, f"{made} in {args.out}/")
    return report(problems, warnings)
