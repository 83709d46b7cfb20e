"""``thermodefect detect``: find defects with a classical method, a network, or both (by default
PCT with the built-in network's regions it missed added: the rule that holds best on data it
was not made from)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from thermodefect.cli._common import (
    FileTask,
    add_batch_options,
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

#: The classical method of ``detect``'s default rule (with the built-in network's confirmed
#: regions added, :func:`~thermodefect.detect.combined.detect_combined`), and the one a
#: network gives way to out of distribution: the best mean IoU over the held-out families of
#: the leave-one-family-out protocol (docs/results.md#the-default-decision).
DEFAULT_METHOD = "pct"


def add_parsers(sub) -> None:
    """Register ``detect`` on the sub-command parser ``sub``."""
    from thermodefect.detect.decision import DECISIONS, Z_MIN
    from thermodefect.methods import METHODS

    p = sub.add_parser(
        "detect",
        help=f"find defects ({DEFAULT_METHOD} and the built-in network by default, a method, "
             "a model, or both)",
    )  # fmt: skip
    p.add_argument("files", type=Path, nargs="+", help="sequence files")
    p.add_argument(
        "--method", choices=list(METHODS),
        help=choices_help("a classical method alone, or with --model both (default: "
                          f"{DEFAULT_METHOD} with the built-in network)", METHODS),
    )  # fmt: skip
    p.add_argument(
        "--model", type=Path,
        help="a network alone ('default': built-in, or a checkpoint from train; out of "
             f"distribution it gives way to {DEFAULT_METHOD}), or with --method both: the "
             "method's regions and the network's it missed",
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
    _add_report_option(p)
    _add_depth_options(p)
    add_batch_options(p)
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
    _add_report_option(q)
    _add_depth_options(q)
    add_batch_options(q)
    add_load_options(q)
    q.set_defaults(run=cmd_detect, depth_only=True, model=None, z_min=Z_MIN, min_area=None,
                   decision="significance")  # fmt: skip


def _add_report_option(p) -> None:
    p.add_argument(
        "--report", action="store_true",
        help="also OUT/report.html: a self-contained inspection report (see thermodefect report)",
    )  # fmt: skip


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


class FileDetector(FileTask):
    """``detect`` (or ``depth``) of one file, its outputs written (see
    :class:`~thermodefect.cli._common.FileTask`); a model is loaded once per process."""

    _run = None

    def __getstate__(self) -> dict:
        return {"args": self.args, "names": self.names, "_run": None}

    def _runner(self):
        """The detection of a loaded sequence (a model is loaded once per process)."""
        args = self.args
        if self._run is not None:
            return self._run
        both = not args.depth_only and (args.model is None) == (args.method is None)
        if both:
            from concurrent.futures import ThreadPoolExecutor

            from thermodefect.detect.combined import detect_combined
            from thermodefect.detect.model import load_detector

            model = args.model or "default"
            # torch and the network load while the classical method runs (docs/performance.md)
            loading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-model").submit(
                load_detector, None if str(model) == "default" else model, args.device
            )
            method = args.method or DEFAULT_METHOD

            def run(seq):
                found = detect_combined(seq, loading.result, method, device=args.device,
                                        threshold=args.threshold, min_area=args.min_area,
                                        z_min=args.z_min, decision=args.decision)  # fmt: skip
                loading.result()  # a broken network file is an error where it was not heard too
                return found
        elif args.model is not None:
            from thermodefect.detect.model import detect_with_model, load_detector

            ckpt = load_detector(None if str(args.model) == "default" else args.model, args.device)

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

        self._run = run
        return run

    def detect(self, path: Path):
        """The detection of one file, with depth and thickness when the settings ask.

        Parameters
        ----------
        path : Path
            The input.

        Returns
        -------
        seq : Sequence
            The file as loaded.
        found : Detection
        diffusivity : float or None
            m^2/s, when it was read from the sound plate's back wall.

        Raises
        ------
        ThermodefectError
            For bad input.
        """
        from thermodefect.detect.depth import (
            back_wall_diffusivity,
            check_rise,
            depth_cooling,
            diffusivity_of,
            lateral_spread,
            with_depth,
        )
        from thermodefect.detect.thickness import sound_thickness

        args = self.args
        a = diffusivity_of(args.material, args.diffusivity)
        wants_depth = a is not None or args.thickness is not None
        seq = load(path, args)
        if wants_depth:
            check_rise(seq)
        found = self._runner()(seq)
        measured = None
        if wants_depth:
            cooling = depth_cooling(seq, found)
            if a is None:
                a = measured = back_wall_diffusivity(cooling, found.mask, args.thickness)
            found = with_depth(found, a, thickness_mm=args.thickness,
                               spread=lateral_spread(args.material), cooling=cooling)  # fmt: skip
            found = replace(found, thickness=sound_thickness(seq, found, a))
        return seq, found, measured

    def hashing(self, path: Path):
        """The SHA-256 of ``path`` for its run record, computed in a thread while the file is
        detected (file reads and hashing release the interpreter: 0.26 s of a 352 MiB file
        no longer adds to the run).

        Parameters
        ----------
        path : Path
            The input.

        Returns
        -------
        concurrent.futures.Future of str
        """
        from concurrent.futures import ThreadPoolExecutor

        from thermodefect.batch import sha256

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
        digest = pool.submit(sha256, Path(path))
        pool.shutdown(wait=False)
        return digest

    def write(self, seq, found, path: Path, digest: str | None = None) -> list[Path]:
        """Write one file's outputs (each atomically), its run record last.

        Parameters
        ----------
        seq : Sequence
            The file as loaded.
        found : Detection
            Its detection.
        path : Path
            The input.
        digest : str, optional
            The input's SHA-256 (:meth:`hashing`); computed here when not given.

        Returns
        -------
        list of Path
            Every file written, the run record (``{name}_run.json``) last.
        """
        from thermodefect.detect.regions import write_table
        from thermodefect.report.detection import shown_frame, write_depth, write_detection
        from thermodefect.report.runs import run_record, write_run

        out, name = self.args.out, self.name(path)
        if self.args.depth_only:
            written = write_depth(found, shown_frame(found), out, name)
            write_table(found.regions, out / f"{name}_defects.csv", out / f"{name}_defects.json",
                        out_of_distribution=found.out_of_distribution)  # fmt: skip
            written += [out / f"{name}_defects.csv", out / f"{name}_defects.json"]
        else:
            written = write_detection(found, out, name)
        if self.args.report:
            from thermodefect.report.views import VIEWS, save_views, views_of

            views = views_of(seq, found.cooling, found.mask, found.regions)
            written.append(save_views(views, out / f"{name}{VIEWS}"))
        record = run_record(path, seq, name=name, method=found.method,
                            defects=len(found.regions),
                            out_of_distribution=found.out_of_distribution,
                            settings=settings_of(self.args),
                            outputs=[w.name for w in written], sha256=digest)  # fmt: skip
        return [*written, write_run(record, out)]

    def __call__(self, path: Path) -> tuple[list[str], dict]:
        """Detect and write one file (a Dask task).

        Parameters
        ----------
        path : Path
            The input.

        Returns
        -------
        outputs : list of str
            File names written into the output folder.
        summary : dict
            ``defects``, ``method``, ``out_of_distribution``.
        """
        digest = self.hashing(path)
        seq, found, _ = self.detect(path)
        written = self.write(seq, found, path, digest.result())
        summary = {"defects": len(found.regions), "method": found.method,
                   "out_of_distribution": found.out_of_distribution or ""}  # fmt: skip
        return [w.name for w in written], summary


def settings_of(args) -> dict:
    """Every setting of a ``detect`` or ``depth`` run that shapes its results (not the input
    files, the output folder, verbosity or where the work ran), the method made explicit.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments.

    Returns
    -------
    dict
    """
    skip = ("files", "out", "quiet", "verbose", "run", "workers", "scheduler", "retries", "report")
    settings = {k: v for k, v in vars(args).items() if k not in skip}
    if args.model is None:
        settings["method"] = args.method or DEFAULT_METHOD
    return settings


def _write_report(args) -> None:
    """``--report``: the HTML report of the output folder."""
    if args.report:
        from thermodefect.report.html import write_report

        say(args, f"report: {write_report(args.out)}")


def _made(args) -> str:
    return ("depth and thickness maps (.npy in mm, .png) and defect tables" if args.depth_only
            else "masks (white = defect), feature or probability images, overlays and defect "
                 "tables")  # fmt: skip


def cmd_detect(args) -> int:
    """``detect``, and ``depth`` (``args.depth_only``: a depth setting required, only the depth
    map and the defect table written)."""
    from thermodefect.io.files import output_names

    if args.depth_only and args.material is args.diffusivity is args.thickness is None:
        return report(["depth needs the plate's --material, its --diffusivity or its "
                       "--thickness"])  # fmt: skip
    output_folder(args.out, reads=args.files)
    detector = FileDetector(args, output_names(args.files))
    if args.workers or args.scheduler:
        return _detect_batch(args, detector)
    problems, warnings = [], []
    for path in args.files:
        digest = detector.hashing(path)
        try:
            seq, found, measured = detector.detect(path)
        except ThermodefectError as exc:
            problems.append(exc.naming(path))
            continue
        if measured is not None:
            say(args, f"{path}: diffusivity {measured:.3g} m^2/s from the back wall")
        detector.write(seq, found, path, digest.result())
        del seq
        say(args, f"{path}: {plural(len(found.regions), 'defect')} ({found.method}) -> "
                  f"{args.out}/{detector.name(path)}_*")  # fmt: skip
        if found.out_of_distribution is not None:
            warnings.append(f"{path}: out of distribution: {found.out_of_distribution}")
    if len(problems) < len(args.files):
        say(args, f"{_made(args)} in {args.out}/")
        _write_report(args)
    return report(problems, warnings)


def _detect_batch(args, detector: FileDetector) -> int:
    """``detect`` over a Dask cluster (see :mod:`thermodefect.batch`)."""
    from thermodefect.batch import SUMMARY, run_batch

    batch = run_batch(list(args.files), detector, args.out, settings=settings_of(args),
                      workers=args.workers, scheduler=args.scheduler, retries=args.retries,
                      progress=not args.quiet and sys.stderr.isatty())  # fmt: skip
    results = batch.results
    done = [r for r in results if r.status == "done"]
    warnings = [f"{r.file}: out of distribution: {r.summary['out_of_distribution']}"
                for r in done if r.summary.get("out_of_distribution")]  # fmt: skip
    if done:
        again = f" ({batch.skipped} done before with these settings, not redone)"
        say(args, f"{plural(len(done), 'file')} of {len(results)} done"
                  f"{again if batch.skipped else ''}; {_made(args)} in {args.out}/, one line per "
                  f"file in {args.out}/{SUMMARY}")  # fmt: skip
        _write_report(args)
    return report([r.error for r in results if r.status != "done"], warnings)
