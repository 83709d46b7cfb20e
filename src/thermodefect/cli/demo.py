"""``thermodefect demo``: the whole toolkit on freshly simulated plates, in about half a minute."""

from __future__ import annotations

from pathlib import Path

from thermodefect.errors import ThermodefectError

DEMO_PLATES = 4


def add_parsers(sub) -> None:
    """Register ``demo`` on the sub-command parser ``sub``."""
    p = sub.add_parser(
        "demo",
        help="simulate 4 CFRP plates; PCT images, frames, every method and the built-in network",
        description=(
            f"Simulate {DEMO_PLATES} CFRP plates with grids of flat-bottom holes (preset "
            "cfrp-fbh), write the seed's PCA images, frames and cooling curves of the first plate "
            "and an overview figure, detect the defects with the default rule into an HTML "
            "report, then benchmark every classical method, the built-in network and the "
            "default rule on the plates; ends by saying where everything is."
        ),
    )
    p.add_argument("--out", type=Path, default=Path("demo_out"), help="output folder")
    p.set_defaults(run=cmd_demo)


def cmd_demo(args) -> int:
    from thermodefect.cli._common import output_folder

    demo(output_folder(args.out), quiet=args.quiet)
    return 0


def demo(out: Path, *, quiet: bool = False, n: int = DEMO_PLATES) -> None:
    """Simulate ``n`` CFRP plates with flat-bottom holes, run the PCA workflow, export frames,
    curves and an overview figure, detect with the default rule and write its HTML report,
    benchmark every classical method, the built-in network and the default rule (PCT with the
    network's regions added) on the plates (with the benchmark's report), and say where
    everything is.

    Raises
    ------
    ThermodefectError
        When a step fails (e.g. the output folder cannot be written).
    """
    import numpy as np

    from thermodefect.benchmark import run_benchmark
    from thermodefect.io import load
    from thermodefect.io.files import sequence_files
    from thermodefect.methods import METHODS, pct
    from thermodefect.preprocess import detect_flash
    from thermodefect.report import (
        export_frames,
        overview,
        pca_folder,
        write_benchmark,
        write_detection,
    )
    from thermodefect.report.html import write_report
    from thermodefect.simulate.dataset import generate

    out = Path(out)
    data = out / "data"
    generate(data, "cfrp-fbh", n, seed=0, quiet=quiet)
    failures = pca_folder(data, out / "pca_imgs", components=4, quiet=quiet)
    if failures:
        raise ThermodefectError("; ".join(failures))
    rows = []
    for path in sequence_files(data):
        seq = load(path)
        assert seq.mask is not None  # simulated plates carry their ground truth
        comps = pct(seq, 3).components
        shown = min(seq.n_frames - 1, detect_flash(seq) + 8)
        panels = [(f"frame {shown}", seq.frames[shown])]
        panels += [(f"PCT {i}", c) for i, c in enumerate(comps)]
        panels.append(("label", np.where(seq.mask, 0, 255)))
        rows.append((path.stem, panels))
    export_frames(load(sequence_files(data)[0]), out / "frames")
    overview(rows, out / "overview.png")
    _detect_with_report(sequence_files(data), out / "detect")
    examples = out / "benchmark" / "examples"
    result = run_benchmark(
        data, methods=list(METHODS), models=["default"], split="all", combine="pct", quiet=quiet,
        examples=lambda found, name: write_detection(found, examples, name),
    )  # fmt: skip
    table = write_benchmark(result, out / "benchmark")
    write_report(out / "benchmark")
    if not quiet:
        print("\n" + table.rstrip())
        print(
            f"\nDemo finished. Results in {out}/:\n"
            f"  {data}/   {n} simulated CFRP plates (.mat, seed layout), labels, specs\n"
            f"  {out / 'pca_imgs'}/   PCT images {{name}}_{{0..3}}.png and explained_variance.csv\n"
            f"  {out / 'frames'}/     frames and temperature curves of the first plate\n"
            f"  {out / 'overview.png'}  a frame, PCT images and the label of every plate\n"
            f"  {out / 'detect'}/     thermodefect detect (PCT with the built-in network) of every "
            f"plate: masks, overlays, defect tables, and report.html (open it in a browser)\n"
            f"  {out / 'benchmark'}/  results.md/.csv (the table above, and the depth of each "
            "defect found against the truth), pod.png, depth.png, report.html, examples/ "
            "(masks, overlays, defect tables of the first two plates for every method, the "
            "built-in network and the default rule)"
        )


def _detect_with_report(files: list[Path], out: Path) -> None:
    """``thermodefect detect FILES --out OUT --report``, as a user would run it.

    Raises
    ------
    ThermodefectError
        When detection fails on a plate.
    """
    from thermodefect.cli import main

    if main(["--quiet", "detect", *map(str, files), "--out", str(out), "--report"]) != 0:
        raise ThermodefectError("detect failed on the demo plates (see the lines above)", out)
