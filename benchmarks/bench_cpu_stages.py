"""Where TSR and PPT spend their time on the CPU, and the alternatives that lost.

On a random positive 300 x 480 x 640 float32 sequence (as ``bench_methods.py``), minimum of
``--repeats`` runs each:

- the one-pass floor (a sum over time) and the log of every value (numpy, torch);
- TSR's stages: the range (one ``aminmax`` pass), the log and the projection in 2048-pixel
  blocks;
- PPT's product of the (32 x 300) cosine/sine basis with the data through numpy's OpenBLAS and
  torch's MKL, a real FFT over time, and the product folded with the DFT's symmetry (half the
  multiplications, numpy additions in blocks);
- torch's arctan2 of the (16 x 307200) spectrum alone and right after a numpy product, whose
  OpenBLAS threads keep spinning for a while.

    python benchmarks/bench_cpu_stages.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

T, N, BLOCK = 300, 480 * 640, 2048


def best_ms(fn, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def folded_dft(x: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Re and Im at ``bins`` from x_n +- x_{T-n} (T even): half the products of the plain DFT."""
    half = T // 2
    n = np.arange(1, half)
    cos = np.cos(2 * np.pi * np.outer(bins, n) / T).astype(np.float32)
    sin = (-np.sin(2 * np.pi * np.outer(bins, n) / T)).astype(np.float32)
    sign = ((-1.0) ** bins).astype(np.float32)[:, None]
    out = np.empty((2 * bins.size, x.shape[1]), np.float32)
    plus = np.empty((half - 1, BLOCK), np.float32)
    minus = np.empty_like(plus)
    for c0 in range(0, x.shape[1], BLOCK):
        xb = x[:, c0 : c0 + BLOCK]
        m = xb.shape[1]
        np.add(xb[1:half], xb[T - 1 : half : -1], out=plus[:, :m])
        np.subtract(xb[1:half], xb[T - 1 : half : -1], out=minus[:, :m])
        re = out[: bins.size, c0 : c0 + m]
        np.matmul(cos, plus[:, :m], out=re)
        re += xb[0] + sign * xb[half]
        np.matmul(sin, minus[:, :m], out=out[bins.size :, c0 : c0 + m])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    r = args.repeats
    x = np.random.default_rng(0).uniform(0.5, 2.0, (T, N)).astype(np.float32)
    xt = torch.from_numpy(x)
    bins = np.arange(1, 17)
    angle = 2 * np.pi * np.outer(bins, np.arange(T)) / T
    basis = np.vstack([np.cos(angle), -np.sin(angle)]).astype(np.float32)
    basis_t = torch.from_numpy(basis)
    buf = torch.empty(T, BLOCK)
    projector = torch.randn(6, T)

    def blocks(fn):
        def run():
            for c0 in range(0, N, BLOCK):
                fn(xt[:, c0 : c0 + BLOCK], buf[:, : min(BLOCK, N - c0)])

        return run

    spectrum = torch.from_numpy(basis @ x)
    re, im = spectrum[:16], spectrum[16:]

    def atan2_after_product():
        basis @ x
        t0 = time.perf_counter()
        torch.atan2(im, re)
        return time.perf_counter() - t0

    assert np.allclose(folded_dft(x[:, :4096], bins), basis @ x[:, :4096], atol=1e-3)
    rows = [  # numpy first: torch's threads keep spinning after its calls too
        ("floor: one pass (numpy sum over time)", best_ms(lambda: x.sum(0), r)),
        ("ppt product, numpy (OpenBLAS)", best_ms(lambda: basis @ x, r)),
        ("ppt variant: folded DFT, numpy blocks", best_ms(lambda: folded_dft(x, bins), r)),
        ("log of every value, numpy (new array)", best_ms(lambda: np.log(x), r)),
        ("log of every value, torch (new array)", best_ms(lambda: torch.log(xt), r)),
        ("tsr stage: aminmax", best_ms(lambda: torch.aminmax(xt), r)),
        ("tsr stage: log, 2048-pixel blocks",
         best_ms(blocks(lambda xb, out: torch.log(xb, out=out)), r)),
        ("tsr stage: projection, 2048-pixel blocks",
         best_ms(blocks(lambda xb, out: projector @ out), r)),
        ("ppt product, torch (MKL)", best_ms(lambda: basis_t @ xt, r)),
        ("ppt variant: torch rfft over time", best_ms(lambda: torch.fft.rfft(xt, dim=0), r)),
        ("ppt stage: arctan2 alone", best_ms(lambda: torch.atan2(im, re), r)),
        ("ppt stage: arctan2 right after a numpy product",
         min(atan2_after_product() for _ in range(r)) * 1e3),
    ]  # fmt: skip
    print(f"CPU ({torch.get_num_threads()} threads), {T} x 480 x 640 float32, best of {r}")
    for name, ms in rows:
        print(f"  {name:<42s} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
