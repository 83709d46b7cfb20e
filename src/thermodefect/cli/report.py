"""``thermodefect report``: the self-contained HTML inspection report of a detect or
benchmark folder."""

from __future__ import annotations

from pathlib import Path

from thermodefect.cli._common import output_file, say


def add_parsers(sub) -> None:
    """Register ``report`` on the sub-command parser ``sub``."""
    p = sub.add_parser(
        "report",
        help="one self-contained HTML file of a detect or benchmark folder (no network needed)",
    )
    p.add_argument("folder", type=Path, help="a folder detect (or benchmark) wrote")
    p.add_argument("--out", type=Path, help="the HTML file (default: FOLDER/report.html)")
    p.set_defaults(run=cmd_report)


def cmd_report(args) -> int:
    """``report``: render the folder, write the file atomically, say where it is."""
    from thermodefect.report.html import REPORT, write_report

    out = output_file(args.out if args.out is not None else args.folder / REPORT)
    say(args, f"report: {write_report(args.folder, out)}")
    return 0
