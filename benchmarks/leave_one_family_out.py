"""The leave-one-family-out protocol over every family of the ``wide`` generator.

For each family F: train the UNet on all other families (train and val splits) under one
fixed budget, then score it, PCT with its regions added (``detect``'s default rule, with the
network trained without F) and every classical method on all of F's specimens
(``thermodefect benchmark DATA --leave-out F --combine pct``; the built-in network, trained on
every family, is scored too, in OUT/F/results.md, but it is not held out). Beside it, the
in-family score: the same network trained on every family under the same budget, scored on
F's test-split specimens. Last, the sound-plate null: every detector on every plate without
defects.

Writes OUT/{family}/results.md|csv per held-out family, OUT/all/ (the in-family network),
OUT/null/ (the null), and OUT/summary.md, the table docs/results.md quotes.

    thermodefect simulate wide --preset wide --n 135 --seed 2026
    python benchmarks/leave_one_family_out.py wide --out runs/lofo
    python benchmarks/leave_one_family_out.py wide --out runs/lofo-features \
        --inputs '{"mode": "features"}'

Networks too slow to train on the CPU (the 3-D stunet-att) are trained on a GPU machine first,
several at once, then scored where the data is (the second run finds them trained):

    python benchmarks/leave_one_family_out.py wide --out runs/lofo-stunet --model stunet-att \
        --device cuda --train-only --jobs 10
    python benchmarks/leave_one_family_out.py wide --out runs/lofo-stunet --model stunet-att
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from thermodefect.benchmark import records, run_benchmark
from thermodefect.benchmark.leave_out import Budget, leave_family_out, train_without
from thermodefect.errors import ThermodefectError
from thermodefect.methods import METHODS
from thermodefect.report import write_benchmark
from thermodefect.simulate.dataset import read_manifest
from thermodefect.simulate.wide import FAMILIES


def _row(result, label: str) -> dict:
    return next(r for r in records(result) if r["method"] == label)


def _fmt(value, digits=2) -> str:
    return "n/a" if value is None else value if isinstance(value, str) else f"{value:.{digits}f}"


def _cells(r: dict) -> str:
    return " | ".join(
        _fmt(r[k]) for k in ("IoU", "hits d/z >= 2", "false calls / sound plate", "diameter error")
    )


def _train_every(args, budget: Budget) -> None:
    """Train the in-family network and every held-out family's, ``args.jobs`` at a time
    (processes sharing the device), and stop: the scoring run on another machine reuses them."""
    jobs = [(None, args.out / "all")] + [(f, args.out / f) for f in args.families]
    options = {"model": args.model, "inputs": args.inputs, "budget": budget,
               "device": args.device, "quiet": True}  # fmt: skip
    t0 = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        futures = {
            pool.submit(train_without, args.data, family, out, **options): family or "all"
            for family, out in jobs
        }  # fmt: skip
        for future in as_completed(futures):
            print(f"{futures[future]}: {future.result()} ({time.perf_counter() - t0:.0f} s)",
                  flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a dataset of the wide preset")
    parser.add_argument("--out", type=Path, default=Path("runs/lofo"))
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    parser.add_argument("--model", default="unet", help="the network trained (default unet)")
    parser.add_argument(
        "--inputs",
        type=json.loads,
        default={},
        help='input settings as JSON, e.g. \'{"mode": "features"}\'',
    )
    parser.add_argument("--device", default="cpu", help="torch device of training and scoring")
    parser.add_argument(
        "--train-only",
        action="store_true",
        help="train the networks (--jobs at a time) and stop; a later run without it scores them",
    )
    parser.add_argument("--jobs", type=int, default=1, help="networks trained at once")
    args = parser.parse_args()
    budget = Budget()
    if args.train_only:
        _train_every(args, budget)
        return
    counts = {f: sum(r["family"] == f for r in read_manifest(args.data)) for f in FAMILIES}
    t0 = time.perf_counter()
    everything = train_without(
        args.data, None, args.out / "all", model=args.model, inputs=args.inputs, budget=budget,
        device=args.device, quiet=True,
    )  # fmt: skip
    print(f"in-family network: {everything} ({time.perf_counter() - t0:.0f} s)", flush=True)
    lines = []
    for family in args.families:
        t0 = time.perf_counter()
        held = leave_family_out(
            args.data, family, args.out / family, model=args.model, inputs=args.inputs,
            budget=budget, combine="pct", device=args.device, quiet=True,
        )  # fmt: skip
        write_benchmark(held, args.out / family)
        try:
            inside = run_benchmark(
                args.data, models=[str(everything)], split="test",
                families=[family], device=args.device, quiet=True,
            )  # fmt: skip
            in_family = f"{_cells(_row(inside, next(iter(inside.stats))))} ({inside.n_specimens})"
        except ThermodefectError:  # no test specimen of this family
            in_family = "n/a | n/a | n/a | n/a (0)"
        trained = held.networks[0].label  # the network trained without the family
        classical = [r for r in records(held) if r["method"] in METHODS]
        best = max(classical, key=lambda r: r["IoU"])
        lines.append(
            f"| {family} | {counts[family]} | {_cells(_row(held, trained))} | "
            f"{_cells(_row(held, f'pct + {trained}'))} | {in_family} | "
            f"{best['method']}: {_cells(best)} |"
        )
        print(lines[-1], f"({time.perf_counter() - t0:.0f} s)", flush=True)
    null = run_benchmark(
        args.data, methods=list(METHODS), models=["default", str(everything)],
        split="all", sound_only=True, combine="pct", device=args.device, quiet=True,
    )  # fmt: skip
    write_benchmark(null, args.out / "null")  # not "sound": that family has its own folder
    null_cells = " | ".join(
        f"{r['method']} {np.mean(null.stats[r['method']]['false']):.2f}" for r in records(null)
    )
    header = (
        "| held-out family | specimens | UNet without it: IoU | hits d/z >= 2 | false / sound "
        "plate | diameter error | PCT + UNet without it: IoU | hits d/z >= 2 | false / sound "
        "plate | diameter error | UNet with it (test split): IoU | hits d/z >= 2 | false / "
        "sound plate | diameter error (n) | best classical: IoU | hits d/z >= 2 | false / sound "
        "plate | diameter error |\n|" + " --- |" * 18
    )
    text = (
        f"{header}\n"
        + "\n".join(lines)
        + f"\n\nSound-plate null ({null.n_specimens} plates, false calls per plate): "
        + null_cells
        + "\n"
    )
    (args.out / "summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
