"""Time PCT (k=4, k=50), TSR (fit, reconstruction, both derivatives) and PPT against floors
measured in the same run.

CPU: a random 300 x 480 x 640 float32 sequence (positive, as TSR needs). Floors: the bare
float32 X @ X.T for PCT; for TSR and PPT one pass over the data (X.sum over time). Every
candidate runs ``--repeats`` times interleaved with the others; minima are reported.
With CUDA, the same on a 2000 x 512 x 512 sequence on the GPU (targets on an H100: PCT(k=50)
< 10 ms, TSR < 9 ms, PPT < 8 ms).

    python benchmarks/bench_methods.py [--repeats 5] [--gpu-only]
"""

from __future__ import annotations

import argparse

import numpy as np

from _timing import best_times


def _candidates(frames, times, x):
    from thermodefect.methods import pct, ppt, tsr

    def tsr_all():
        fit = tsr(frames, 5, times=times)
        fit.reconstruction()
        fit.derivative(1)
        fit.derivative(2)

    return {
        "floor X @ X.T": lambda: x @ x.T,
        "floor one pass": lambda: x.sum(0),
        "pct k=4": lambda: pct(frames, 4),
        "pct k=50": lambda: pct(frames, 50),
        "tsr fit": lambda: tsr(frames, 5, times=times),
        "tsr fit+recon+d1+d2": tsr_all,
        "ppt 16 bins": lambda: ppt(frames),
    }


def _report(best: dict, label: str) -> None:
    print(label)
    for name, sec in best.items():
        print(f"  {name:<22s} {sec * 1e3:9.1f} ms")
    gram, one = best["floor X @ X.T"], best["floor one pass"]
    print(f"  pct k=4 / gram floor  = {best['pct k=4'] / gram:.2f}  (target <= 2)")
    print(f"  pct k=50 / gram floor = {best['pct k=50'] / gram:.2f}  (target <= 2)")
    print(f"  tsr fit / one pass    = {best['tsr fit'] / one:.2f}")
    print(
        f"  tsr all / one pass    = {best['tsr fit+recon+d1+d2'] / one:.2f}  (writes 3 full arrays)"
    )
    print(f"  ppt / one pass        = {best['ppt 16 bins'] / one:.2f}  (target <= 2)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--gpu-only", action="store_true", help="skip the CPU timings")
    args = ap.parse_args()
    import torch

    if not args.gpu_only:
        rng = np.random.default_rng(0)
        frames = rng.uniform(0.5, 2.0, (300, 480, 640)).astype(np.float32)
        times = np.arange(1, 301) / 50.0
        _report(best_times(_candidates(frames, times, frames.reshape(300, -1)), args.repeats),
                f"CPU ({torch.get_num_threads()} threads), 300x480x640 float32")  # fmt: skip
        del frames
    if not torch.cuda.is_available():
        print("GPU: none available, skipped")
        return
    g = torch.rand((2000, 512, 512), device="cuda") + 0.5
    gt = np.arange(1, 2001) / 100.0
    best = best_times(_candidates(g, gt, g.reshape(2000, -1)), args.repeats, torch.cuda.synchronize)
    _report(best, f"GPU {torch.cuda.get_device_name()}, 2000x512x512 float32")


if __name__ == "__main__":
    main()
