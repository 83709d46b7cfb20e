"""Files per minute of ``thermodefect detect`` over a folder: serial, and on a local Dask
cluster of 1 and 2 worker processes (cluster start-up included, as a user waits for it).

    python benchmarks/bench_batch.py [--n 24] [--preset mixed] [--dir /tmp/td-batch]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from _timing import timed_command as timed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--preset", default="mixed")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/td-batch"))
    args = ap.parse_args()
    data = args.dir / "data"
    if not data.exists():
        timed(["simulate", str(data), "--preset", args.preset, "--n", str(args.n)])
    files = sorted(str(p) for p in data.glob("*.mat"))
    print(f"{len(files)} files of preset {args.preset} in {data}")
    print("| run | wall time | files per minute |")
    print("| --- | --- | --- |")
    for label, extra in (("serial", []), ("1 worker", ["--workers", "1"]),
                         ("2 workers", ["--workers", "2"])):  # fmt: skip
        out = args.dir / "out"
        shutil.rmtree(out, ignore_errors=True)
        wall = timed(["detect", *files, "--out", str(out), *extra])
        print(f"| {label} | {wall:.1f} s | {60 * len(files) / wall:.0f} |")


if __name__ == "__main__":
    main()
