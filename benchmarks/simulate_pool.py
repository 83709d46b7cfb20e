"""Simulate a dataset with a pool of local processes, where Dask (``simulate --workers``) is
not installed, e.g. on a lent GPU machine: the same files as ``thermodefect simulate``, since
specimen i depends only on (seed, i).

    python benchmarks/simulate_pool.py wide --preset wide --n 135 --seed 2026 --processes 16
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from functools import partial
from pathlib import Path

from thermodefect.simulate.dataset import move_into, simulate_specimen, split_of, write_manifest
from thermodefect.simulate.presets import CHECK_SETS, PRESETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the dataset folder (must not exist)")
    parser.add_argument("--preset", required=True, choices=list(PRESETS))
    parser.add_argument("--n", type=int, default=10, help="specimens")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed")
    parser.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists")
    stage = args.out.parent / f".{args.out.name}.partial"
    (stage / "labels").mkdir(parents=True, exist_ok=True)
    task = partial(simulate_specimen, preset=args.preset, n=args.n, seed=args.seed, stage=stage,
                   device="cpu", hdf5=False, solver=None)  # fmt: skip
    splits = ["test"] * args.n if args.preset in CHECK_SETS else split_of(args.n, args.seed)
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        rows = dict(pool.imap_unordered(task, range(args.n)))
    write_manifest(stage, [dict(rows[i], split=splits[i]) for i in range(args.n)])
    move_into(stage, args.out)
    print(f"{args.out}: {args.n} specimens of {args.preset} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
