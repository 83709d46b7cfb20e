"""Seconds and bytes of ``thermodefect report`` on a 20-file detect folder: from the views
``detect --report`` kept, and from a plain detect folder (every input read again).

    python benchmarks/bench_report.py [--n 20] [--preset mixed] [--dir /tmp/td-report]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from _timing import timed_command as timed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--preset", default="mixed")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/td-report"))
    args = ap.parse_args()
    data = args.dir / "data"
    if not data.exists():
        timed(["simulate", str(data), "--preset", args.preset, "--n", str(args.n)])
    files = sorted(str(p) for p in data.glob("*.mat"))
    print(f"{len(files)} files of preset {args.preset} in {data}")
    print("| run | wall time | report size |")
    print("| --- | --- | --- |")
    for label, extra in (("detect --report", ["--report"]), ("detect", [])):
        out = args.dir / label.replace(" --", "_")
        shutil.rmtree(out, ignore_errors=True)
        wall = timed(["detect", *files, "--out", str(out), *extra])
        print(f"| {label} | {wall:.1f} s | |")
        html = out / "report.html"
        html.unlink(missing_ok=True)
        wall = timed(["report", str(out)])
        print(
            f"| report of the {label} folder | {wall:.1f} s | {html.stat().st_size / 1e6:.1f} MB |"
        )


if __name__ == "__main__":
    main()
