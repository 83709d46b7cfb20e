"""Time PCT (k=4) against the compute floor (bare float32 X @ X.T) and scikit-learn's PCA.

Data: a random 300 x 480 x 640 float32 sequence (X is 300 frames x 307200 pixels). Each
candidate runs ``--repeats`` times, interleaved with the others so that load on the machine
hits all alike; the minimum is reported. On a machine with CUDA the GPU time is printed too.

scikit-learn runs the same computation as ``pct(normalize='center')`` when fitted on X with
frames as samples and pixels as features: it removes each pixel's temporal mean and its
``components_`` are the component images. That is the comparison the ratio uses. Fitting
the transpose (pixels as samples) is a different standardisation (each frame centred) that
scikit-learn solves from the 300 x 300 covariance; its time is printed for reference.

    python benchmarks/bench_pct.py [--repeats 7] [--frames 300] [--height 480] [--width 640]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _timing import best_times
from thermodefect.methods import pct


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--width", type=int, default=640)
    args = ap.parse_args()
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    frames = rng.standard_normal((args.frames, args.height, args.width), dtype=np.float32)
    x = frames.reshape(args.frames, -1)
    best = best_times(
        {
            "floor X @ X.T": lambda: x @ x.T,
            "thermodefect pct k=4": lambda: pct(frames, 4),
            "sklearn PCA(4)": lambda: PCA(n_components=4).fit(x).components_,
            "sklearn PCA(4) on X.T": lambda: PCA(n_components=4).fit_transform(x.T),
        },
        args.repeats,
    )
    shape = f"{args.frames}x{args.height}x{args.width}"
    print(f"PCT benchmark on a random {shape} float32 sequence (min of {args.repeats} runs)")
    for name, sec in best.items():
        print(f"  {name:<24s} {sec * 1e3:9.1f} ms")
    floor, ours, sk = best["floor X @ X.T"], best["thermodefect pct k=4"], best["sklearn PCA(4)"]
    print(f"ratio pct / floor   = {ours / floor:.2f}  (target <= 1.30)")
    print(f"speed-up vs sklearn = {sk / ours:.2f}x (target >= 1.50)")
    other = best["sklearn PCA(4) on X.T"] / ours
    print(f"speed-up vs sklearn on X.T (per-frame centring) = {other:.2f}x")
    _gpu(frames)


def _gpu(frames: np.ndarray) -> None:
    import torch

    if not torch.cuda.is_available():
        print("GPU: none available, skipped")
        return
    x = torch.from_numpy(frames).cuda()
    m = x.reshape(x.shape[0], -1)
    for name, fn in {"floor X @ X.T": lambda: m @ m.T, "pct k=4": lambda: pct(x, 4)}.items():
        fn()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(20):
            fn()
        torch.cuda.synchronize()
        ms = (time.perf_counter() - t0) / 20 * 1e3
        print(f"GPU {torch.cuda.get_device_name()}: {name} {ms:.2f} ms")


if __name__ == "__main__":
    main()
