"""The ``thermodefect`` command line: one module per group of commands, each thin.

Building the parser imports only the registries (no torch, no matplotlib); a command's heavy
modules load when it runs. Bad input prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from thermodefect.cli import demo, detect, labels, learn, report, scoring, sequences, simulate
from thermodefect.cli._common import PROG, Parser
from thermodefect.errors import ThermodefectError
from thermodefect.runtime import configure_threads

#: Modules that add commands, in the order ``--help`` lists them.
COMMAND_GROUPS = (sequences, labels, detect, learn, scoring, report, simulate, demo)


def _verbosity(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--quiet`` and ``-v``, accepted before and after the command name."""
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bars or summaries",
        default=False if top else argparse.SUPPRESS,
    )  # fmt: skip
    parser.add_argument(
        "-v", "--verbose", action="count", help="more log messages (-vv for debugging)",
        default=0 if top else argparse.SUPPRESS,
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = Parser(
        prog=PROG,
        description="Find subsurface defects in pulsed thermography sequences.",
    )
    _verbosity(parser, top=True)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do (each has --help)"
    )
    common = Parser(add_help=False)
    _verbosity(common, top=False)
    original = sub.add_parser

    def add_parser(name, **kwargs):
        return original(name, parents=[common, *kwargs.pop("parents", [])], **kwargs)

    # every command, and every nested step, gets --quiet and -v
    sub.add_parser = add_parser  # type: ignore[method-assign]
    for group in COMMAND_GROUPS:
        group.add_parsers(sub)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (it may be redirected)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging(verbose: int, quiet: bool) -> None:
    """Send the package's log records to stderr: warnings by default, ``-v`` info, ``-vv``
    debug, ``--quiet`` errors only.

    Parameters
    ----------
    verbose : int
        How many ``-v``.
    quiet : bool
        ``--quiet``.
    """
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logger = logging.getLogger("thermodefect")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
        logger.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for bad input (one line on stderr), 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    configure_threads()
    try:
        return int(args.run(args) or 0)
    except ThermodefectError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a disk filling up, a folder vanishing: still one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"{PROG}: error: out of memory; try a smaller input or crop it", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
