"""Memory of ``thermodefect detect`` on a sequence larger than the memory it may use.

Writes a 2000 x 512 x 512 float32 ``.npy`` (2.1 GB; frame by frame, never whole in memory):
a plate cooling as 1/sqrt(t) after a flash at frame 0 with four square defects whose
contrast grows and fades at their own times, 1 % noise. Then runs ``thermodefect detect
FILE --method M`` (``--model default`` for ``network``) for each method in a fresh process
and reports:

- whether it completes inside a memory cgroup limited to ``--limit`` GiB (cgroup v1 or v2,
  when this machine lets us make one: the true test that the run fits in that memory; the
  page cache of the file it maps is charged to the cgroup too, and reclaimed);
- the peak anonymous memory of the process (``RssAnon``, sampled every 10 ms): what the run
  itself allocates;
- the peak resident set (``VmHWM``), which also counts the pages of the memory-mapped input
  and scratch files that the kernel maps in (reclaimable page cache);
- the wall time and the IoU of the mask with the four squares.

Linux only.

    python benchmarks/bench_large_detect.py [--frames 2000] [--size 512] [--methods pct tsr network]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CHILD = """
import sys, threading, time
from thermodefect.cli import main

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))

peak, done = [0], [False]
def sample():
    while not done[0]:
        peak[0] = max(peak[0], status("RssAnon"))
        time.sleep(0.01)

threading.Thread(target=sample, daemon=True).start()
code = main(sys.argv[1:])
done[0] = True
print("ANON_KB", max(peak[0], status("RssAnon")), "HWM_KB", status("VmHWM"))
sys.exit(code)
"""

#: The defects: (row, column, side, time of peak contrast in s, peak contrast).
DEFECTS = ((100, 100, 40, 1.0, 0.08), (100, 350, 24, 2.0, 0.05),
           (350, 120, 32, 4.0, 0.04), (340, 360, 48, 6.0, 0.03))  # fmt: skip


def write_plate(path: Path, frames: int, size: int, rate: float = 100.0) -> np.ndarray:
    """Write the sequence frame block by frame block; return its (H, W) truth mask."""
    scale = size / 512
    out = np.lib.format.open_memmap(path, "w+", np.float32, (frames, size, size))
    mask = np.zeros((size, size), bool)
    rng = np.random.default_rng(0)
    shapes = []
    for r, c, side, peak_s, contrast in DEFECTS:
        r0, c0, s = int(r * scale), int(c * scale), max(2, int(side * scale))
        mask[r0 : r0 + s, c0 : c0 + s] = True
        shapes.append((slice(r0, r0 + s), slice(c0, c0 + s), peak_s, contrast))
    step = 50
    for t0 in range(0, frames, step):
        t = (np.arange(t0, min(frames, t0 + step)) + 1) / rate
        block = (1 / np.sqrt(np.pi * t))[:, None, None] * np.ones((1, size, size), np.float32)
        for rows, cols, peak_s, contrast in shapes:
            growth = np.exp(-((np.log(t / peak_s)) ** 2) / 0.8)
            block[:, rows, cols] *= (1 + contrast * growth)[:, None, None]
        block += rng.normal(0, 0.01 / np.sqrt(np.pi * 0.5), block.shape)
        out[t0 : t0 + len(t)] = block
    out.flush()
    del out
    return mask


def memory_cgroup(limit_bytes: int) -> Path | None:
    """A fresh memory cgroup limited to ``limit_bytes`` (v2, else v1), or None."""
    name = f"thermodefect-bench-{os.getpid()}"
    for root, files in ((Path("/sys/fs/cgroup"), ("memory.max", "memory.swap.max")),
                        (Path("/sys/fs/cgroup/memory"),
                         ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"))):  # fmt: skip
        if not (root / files[0]).exists() and not (root / "cgroup.procs").exists():
            continue
        group = root / name
        try:
            group.mkdir(exist_ok=True)
            (group / files[0]).write_text(str(limit_bytes))
            if (group / files[1]).exists():
                (group / files[1]).write_text("0" if files[1].endswith("swap.max")
                                              else str(limit_bytes))  # fmt: skip
            return group
        except OSError:
            continue
    return None


def run(path: Path, method: str, out: Path, group: Path | None) -> dict:
    """One detect run in a fresh process (inside ``group`` when given)."""
    how = ["--model", "default"] if method == "network" else ["--method", method]
    argv = [sys.executable, "-c", CHILD, "--quiet", "detect", str(path), *how,
            "--frame-rate", "100", "--out", str(out)]  # fmt: skip

    def enter() -> None:
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, preexec_fn=enter)
    wall = time.perf_counter() - start
    words = next((line.split() for line in proc.stdout.splitlines()
                  if line.startswith("ANON_KB")), ["", "0", "", "0"])  # fmt: skip
    if proc.returncode:
        print((proc.stderr.strip().splitlines() or [f"killed ({proc.returncode})"])[-1],
              file=sys.stderr)  # fmt: skip
    return {
        "code": proc.returncode,
        "wall": wall,
        "anon": int(words[1]) / 1024,
        "hwm": int(words[3]) / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--methods", nargs="+", default=["pct", "tsr"])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/td-large"))
    ap.add_argument("--limit", type=float, default=1.0, help="memory limit, GiB (0: none)")
    args = ap.parse_args()
    from PIL import Image

    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "big.npy"
    truth = write_plate(path, args.frames, args.size)
    gigabytes = path.stat().st_size / 1e9
    group = memory_cgroup(int(args.limit * 2**30)) if args.limit > 0 else None
    print(f"{path}: {args.frames} x {args.size} x {args.size} float32, {gigabytes:.2f} GB; "
          + (f"runs limited to {args.limit:g} GiB by {group}" if group else
             "runs unlimited" + ("" if args.limit <= 0 else
                                 " (no memory cgroup could be made)")))  # fmt: skip
    print(
        "| method | completes within the limit | peak anonymous memory | peak resident (VmHWM) "
        "| wall time | IoU |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    try:
        for method in args.methods:
            out = args.dir / f"out_{method}"
            result = run(path, method, out, group)
            iou = float("nan")
            masks = sorted(out.glob("*mask*.png"))
            if result["code"] == 0 and masks:
                found = np.asarray(Image.open(masks[0])) > 127  # white: defect
                iou = float((found & truth).sum() / max(1, (found | truth).sum()))
            fits = "n/a" if group is None else ("yes" if result["code"] == 0 else "no")
            print(
                f"| {method} | {fits} | {result['anon']:.0f} MB | {result['hwm']:.0f} MB "
                f"| {result['wall']:.0f} s | {iou:.2f} |"
            )
    finally:
        if group is not None:
            group.rmdir()


if __name__ == "__main__":
    main()
