"""Commands on sequence files: ``formats``, ``info``, ``convert``, ``frames`` and ``pca``."""

from __future__ import annotations

import sys
from pathlib import Path

from thermodefect.cli._common import (
    FileTask,
    add_batch_options,
    add_load_options,
    load,
    output_file,
    output_folder,
    pixel,
    plural,
    positive_int,
    report,
    say,
    size,
)
from thermodefect.errors import ThermodefectError


def add_parsers(sub) -> None:
    """Register the commands on the sub-command parser ``sub``."""
    from thermodefect.methods import NORMALIZATIONS

    p = sub.add_parser("formats", help="every file format read and written, and what it needs")
    p.set_defaults(run=cmd_formats)

    p = sub.add_parser("info", help="shape, frame rate, value range and flash frame of a sequence")
    p.add_argument("file", type=Path, help="a sequence file (or a folder of CSV frames)")
    add_load_options(p)
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("convert", help="convert a sequence to .mat (seed layout), .h5 or .npz")
    p.add_argument("input", type=Path, help="the sequence to read")
    p.add_argument("output", type=Path, help="the file to write; its suffix picks the format")
    p.add_argument(
        "--mat-version",
        choices=("auto", "5", "7.3"),
        default="auto",
        help="MATLAB version of .mat output (auto: v5 up to 2 GiB)",
    )
    add_load_options(p)
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("frames", help="export frames as PNG and plot pixels' temperature curves")
    p.add_argument("file", type=Path, help="a sequence file")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--frames", help="comma-separated frame indices (default: 6 log-spaced)")
    p.add_argument("--pixel", type=pixel, action="append", help="ROW,COL to plot (repeatable)")
    add_load_options(p)
    p.set_defaults(run=cmd_frames)

    p = sub.add_parser("pca", help="PCT images of every sequence in a folder (the seed's pca.py)")
    p.add_argument("data_dir", type=Path, help="folder of sequence files")
    p.add_argument("--out", type=Path, default=Path("pca_imgs"), help="output folder")
    p.add_argument("--components", type=positive_int, default=4, help="images per sequence")
    p.add_argument(
        "--size",
        type=size,
        help="resize images: N pixels on the longer side (aspect kept), or exactly HxW",
    )
    p.add_argument(
        "--normalize",
        choices=NORMALIZATIONS,
        default="center",
        help="standardisation (default: center, the seed's)",
    )
    add_batch_options(p)
    add_load_options(p)
    p.set_defaults(run=cmd_pca)


def cmd_formats(args) -> int:
    from thermodefect.io.formats import READERS, REFUSED, WRITERS

    rows = [("reader", "suffixes", "format", "needs")]
    for name, reader in READERS.items():
        needs = "-"
        if reader.extra:
            state = "installed" if reader.extra_installed() else "not installed"
            scope = f" for {reader.extra_for}" if reader.extra_for else ""
            needs = f"thermodefect[{reader.extra}]{scope} ({state})"
        suffixes = " ".join(reader.suffixes + reader.loose) or "(a folder)"
        rows.append((name, suffixes, reader.description, needs))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[3]
             for row in rows]  # fmt: skip
    lines.append("")
    lines.append("written: " + "; ".join(
        f"{' '.join(w.suffixes)} ({WRITERS.summary(n)})" for n, w in WRITERS.items()
    ))  # fmt: skip
    for why in dict.fromkeys(REFUSED.values()):
        suffixes = " ".join(s for s, reason in REFUSED.items() if reason == why)
        lines.append(f"not read: {suffixes}: {why}")
    print("\n".join(line.rstrip() for line in lines))
    return 0


def cmd_info(args) -> int:
    import numpy as np

    from thermodefect.preprocess import (
        absolute_without_preflash,
        detect_flash,
        flash_onset,
        rise_baseline,
    )

    seq = load(args.file, args)
    t, h, w = seq.shape
    lo, hi = float(np.min(seq.frames)), float(np.max(seq.frames))
    flash, onset = detect_flash(seq), flash_onset(seq)
    baseline = rise_baseline(seq)
    if baseline is not None:
        level = f"absolute; the pre-flash mean ({float(np.median(baseline)):.6g}) is subtracted"
    elif absolute_without_preflash(seq):
        level = "absolute, and no pre-flash frame to subtract (see formats.md)"
    else:
        level = "a rise above the pre-flash level"
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
        f"level:        {level}",
        f"flash frame:  {flash} (t = {seq.times[flash]:g} s; {plural(onset, 'pre-flash frame')})",
        f"ground truth: {truth}",
    ]
    print("\n".join(lines))
    return 0


def cmd_convert(args) -> int:
    from thermodefect.io import save

    output_file(args.output, reads=[args.input])
    seq = load(args.input, args)
    save(seq, args.output, mat_version=args.mat_version)
    h, w = seq.image_shape
    say(args, f"wrote {args.output} ({plural(seq.n_frames, 'frame')} of {h}x{w})")
    return 0


def cmd_frames(args) -> int:
    from thermodefect.report import export_frames

    output_folder(args.out, reads=[args.file])
    seq = load(args.file, args)
    if args.frames:
        try:
            indices = [int(v) for v in args.frames.split(",")]
        except ValueError:
            raise ThermodefectError(
                f"--frames must be comma-separated integers, got {args.frames!r}"
            ) from None
    else:
        indices = None
    written = export_frames(seq, args.out, indices=indices, pixels=args.pixel)
    say(args, f"wrote {plural(len(written), 'file')} to {args.out}/ (frames as PNG, curves as PNG "
              "and CSV)")  # fmt: skip
    return 0


class FilePCA(FileTask):
    """``pca`` of one file (a Dask task; see :class:`~thermodefect.cli._common.FileTask`)."""

    def __call__(self, path: Path) -> tuple[list[str], dict]:
        """Write one file's PCT images.

        Parameters
        ----------
        path : Path
            The input.

        Returns
        -------
        outputs : list of str
            Image names.
        summary : dict
            ``explained_variance``: the ratios, space-separated.
        """
        from thermodefect.report.pca import pca_file

        args = self.args
        written, explained = pca_file(load(path, args), args.out, self.name(path),
                                      components=args.components, size=args.size,
                                      normalize=args.normalize)  # fmt: skip
        return [w.name for w in written], {
            "explained_variance": " ".join(f"{r:.6g}" for r in explained)
        }


def cmd_pca(args) -> int:
    from thermodefect.report import pca_folder

    output_folder(args.out, reads=[args.data_dir])
    if args.workers or args.scheduler:
        return _pca_batch(args)
    failures = pca_folder(
        args.data_dir,
        args.out,
        components=args.components,
        size=args.size,
        normalize=args.normalize,
        load=lambda p: load(p, args),
        quiet=args.quiet,
    )
    return report(failures)


def _pca_batch(args) -> int:
    """``pca`` over a Dask cluster (see :mod:`thermodefect.batch`)."""
    from thermodefect.batch import SUMMARY, run_batch
    from thermodefect.io.files import output_names, sequence_files
    from thermodefect.report.pca import write_explained

    files = sequence_files(args.data_dir)
    settings = {k: str(getattr(args, k)) for k in ("components", "size", "normalize")}
    batch = run_batch(files, FilePCA(args, output_names(files)), args.out, settings=settings,
                      workers=args.workers, scheduler=args.scheduler, retries=args.retries,
                      progress=not args.quiet and sys.stderr.isatty())  # fmt: skip
    rows = [(Path(r.file).name, i, float(v))
            for r in batch.results if r.status == "done"
            for i, v in enumerate(r.summary["explained_variance"].split())]  # fmt: skip
    if rows:
        write_explained(rows, args.out)
        done = plural(sum(r.status == "done" for r in batch.results), "file")
        say(args, f"PCT images of {done} in {args.out}/ ({batch.skipped} done before), one "
                  f"line per file in {args.out}/{SUMMARY}")  # fmt: skip
    return report([r.error for r in batch.results if r.status != "done"])
