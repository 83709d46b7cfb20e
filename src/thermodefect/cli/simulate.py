"""``thermodefect simulate``: specimens with known ground truth, from a preset or a spec file."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import (
    add_batch_options,
    choices_help,
    count,
    output_folder,
    plural,
    positive_int,
    say,
)
from thermodefect.errors import ThermodefectError


def add_parsers(sub) -> None:
    """Register ``simulate`` on the sub-command parser ``sub``."""
    from thermodefect.simulate.presets import PRESETS
    from thermodefect.simulate.spec import SOLVERS

    p = sub.add_parser("simulate", help="simulate specimens (3-D heat conduction + camera)")
    p.add_argument("out_dir", type=Path, help="output folder of the dataset")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--preset", choices=list(PRESETS), help=choices_help("a dataset preset", PRESETS)
    )
    what.add_argument("--spec", type=Path, help="one specimen described in JSON or YAML")
    p.add_argument("--n", type=positive_int, default=10, help="specimens for --preset")
    p.add_argument("--seed", type=count, default=0, help="dataset seed")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    p.add_argument("--hdf5", action="store_true", help="also write our HDF5 next to each .mat")
    p.add_argument(
        "--solver",
        choices=SOLVERS,
        help="finite volumes (fv) or finite elements (fe) instead of the spec's or preset's",
    )
    add_batch_options(p)
    p.set_defaults(run=cmd_simulate)


def cmd_simulate(args) -> int:
    import torch

    output_folder(args.out_dir, reads=[args.spec] if args.spec else [])
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
            solver=args.solver,
            workers=args.workers,
            scheduler=args.scheduler,
            retries=args.retries,
        )
        say(args, f"wrote {plural(args.n, 'specimen')} and {manifest}")
        return 0
    import shutil
    import tempfile

    from thermodefect.simulate import read_spec, run
    from thermodefect.simulate.dataset import (
        manifest_row,
        move_into,
        with_solver,
        write_manifest,
        write_specimen,
    )

    spec = read_spec(args.spec)
    if args.solver:
        spec = with_solver(spec, args.solver)
    sequence, truth = run(spec, device=args.device)
    out = Path(args.out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write_specimen(stage, spec, sequence, truth, hdf5=args.hdf5)
        write_manifest(stage, [manifest_row(spec, "test", "spec", sequence)])
        move_into(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    say(args, f"wrote {out / spec.name}.mat, its label and {spec.name}.json to {out}/")
    return 0
