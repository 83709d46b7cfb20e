"""PCT, TSR, PPT and HOS on a GPU, stage by stage, against a float64 reference.

A 2000 x 512 x 512 float32 sequence is built on the GPU from Parker's adiabatic-plate solution:
a 3 mm CFRP plate cooling for 20 s at 100 Hz, ten discs behaving as thinner plates (depths
0.3-2 mm, diameters 16-80 px), a smooth uneven heating field and 0.02 K camera noise. On it:

- ceilings: a device-to-device copy, the float32 and TF32 Gram products, one sketch product;
- the centred Gram matrix from float32 and TF32 products against float64; dense eigh times;
- pct (k = 4 and 50) end to end with the Gram solver and the randomized one (q = 0..3 power
  iterations), checked against a float64 PCT;
- TSR (fit; fit + reconstruction + both derivatives), PPT (16 bins) and HOS, with the one-pass
  floor (a sum over time). Times are medians of CUDA-event timings after a warm-up.

    python benchmarks/gpu_methods_study.py [--repeats 10]
    python benchmarks/gpu_methods_study.py --device cpu --shape 200 64 64   # a dry run
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from thermodefect.methods import hos, pct, ppt, tsr
from thermodefect.methods._backend import Backend
from thermodefect.methods._pct import POWER_ITERATIONS, _orthonormal, _standardised_products
from thermodefect.methods._ppt import SPREAD_SAMPLE, _robust_spread
from thermodefect.simulate.analytic import parker_front

DIFFUSIVITY = 4.2e-7  # m^2/s, CFRP through the thickness
ENERGY = 3.1e-3  # Q / (rho c), K m
DISCS = [
    (80, 90, 40, 0.3),
    (80, 250, 30, 0.6),
    (80, 420, 20, 1.0),
    (250, 90, 32, 1.5),
    (250, 250, 24, 2.0),
    (250, 420, 16, 0.5),
    (420, 90, 12, 0.8),
    (420, 250, 8, 1.2),
    (420, 420, 28, 0.4),
    (170, 330, 10, 0.3),
]  # fmt: skip  (row, col, radius px, depth mm)


def synthetic_sequence(t: int, h: int, w: int, device: str) -> tuple[torch.Tensor, np.ndarray]:
    times = np.arange(1, t + 1) * (20.0 / t)
    curves = [parker_front(times, 3e-3, DIFFUSIVITY, ENERGY)]
    curves += [parker_front(times, d * 1e-3, DIFFUSIVITY, ENERGY) for *_, d in DISCS]
    curves = torch.as_tensor(np.stack(curves), dtype=torch.float32, device=device)
    y, x = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device),
                          indexing="ij")  # fmt: skip
    label = torch.zeros((h, w), dtype=torch.long, device=device)
    for i, (r, c, rad, _) in enumerate(DISCS, start=1):
        label[(y - r * h / 512) ** 2 + (x - c * w / 512) ** 2 < (rad * w / 512) ** 2] = i
    gain = 1 + 0.3 * x / w + 0.2 * ((y - h / 2) / h) ** 2
    frames = curves.T[:, label] * gain
    gen = torch.Generator(device=device).manual_seed(0)
    frames += 0.02 * torch.randn(frames.shape, device=device, generator=gen)
    return frames, times


def median_ms(fn, repeats: int) -> float:
    fn()
    if not torch.cuda.is_available():
        spans = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            spans.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(spans)
    torch.cuda.synchronize()
    spans = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        spans.append(start.elapsed_time(end))
    return statistics.median(spans)


def relative(a, ref) -> float:
    return float(torch.linalg.norm(a - ref) / torch.linalg.norm(ref))


def centred(gram: torch.Tensor) -> torch.Tensor:
    mean = gram.mean(1)
    return gram - mean[:, None] - mean[None, :] + gram.mean()


def tf32_product(x):
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        return x @ x.T
    finally:
        torch.backends.cuda.matmul.allow_tf32 = False


def component_agreement(got, ref, n: int) -> float:
    """Smallest |cosine| between matching components among the first n."""
    g = got.components[:n].reshape(n, -1).double()
    r = ref[:n]
    return float((g * r).sum(1).abs().div(g.norm(dim=1) * r.norm(dim=1)).min())


def ceilings(x, row, repeats: int) -> None:
    t = x.shape[0]
    gbytes, flops = x.numel() * 4 / 1e9, 2 * t * t * x.shape[1] / 1e12
    copy = torch.empty_like(x)
    ms = median_ms(lambda: copy.copy_(x), repeats)
    row("ceiling: device copy", ms, f"{2 * gbytes / ms:.2f} TB/s read + write")
    ms = median_ms(lambda: x.sum(0), repeats)
    row("floor: one pass (sum over time)", ms, f"{gbytes / ms:.2f} TB/s")
    for name, fn in (("float32", lambda: x @ x.T), ("tf32", lambda: tf32_product(x))):
        ms = median_ms(fn, repeats)
        row(f"gram X X^T {name}", ms, f"{flops / ms * 1e3:.0f} TFLOP/s")
    omega = torch.randn(x.shape[1], 60, device=x.device)
    ms = median_ms(lambda: x @ omega, repeats)
    row("one sketch pass X @ (N x 60)", ms, f"{2 * 60 * x.numel() / ms / 1e9:.0f} TFLOP/s")


def split_bf16(a):
    """a = hi + lo with hi = bf16(a), lo = bf16(a - hi)."""
    hi = a.to(torch.bfloat16)
    return hi, (a - hi).to(torch.bfloat16)


def split_product(hi, lo, b):
    """a @ b from bfloat16 halves of a and b (hi b_hi + hi b_lo + lo b_hi), float32 out."""
    b_hi, b_lo = split_bf16(b)
    both = torch.mm(hi, torch.cat([b_hi, b_lo], 1), torch.float32)
    width = b.shape[1]
    return both[:, :width] + both[:, width:] + torch.mm(lo, b_hi, torch.float32)


def tensor_core_products(x, row, repeats: int) -> None:
    """Can tensor cores carry float32 accuracy? A sketch X b (60 columns) and the Gram
    matrix, each from TF32 and from bfloat16 halves with and without cuBLAS's
    reduced-precision reductions, against float64."""
    if not x.is_cuda:
        return
    x64 = x.double()
    b = torch.randn(x.shape[1], 60, device=x.device)
    exact = x64 @ b.double()
    gram_exact = centred(x64 @ x64.T)
    del x64
    hi, lo = split_bf16(x)
    row("split X into bf16 halves", median_ms(lambda: split_bf16(x), repeats))
    flag = torch.backends.cuda.matmul
    for reduced in (True, False):
        flag.allow_bf16_reduced_precision_reduction = reduced
        ms = median_ms(lambda: split_product(hi, lo, b), repeats)
        err = relative(split_product(hi, lo, b).double(), exact)
        row(f"sketch from bf16 halves, reduced={reduced}", ms, f"error {err:.1e}")
        cross = torch.mm(hi, lo.T, torch.float32).double()
        gram = torch.mm(hi, hi.T, torch.float32).double() + cross + cross.T
        row(f"gram from bf16 halves, reduced={reduced}", 0.0,
            f"centred error {relative(centred(gram), gram_exact):.1e}")  # fmt: skip
    flag.allow_bf16_reduced_precision_reduction = True
    row("sketch float32", median_ms(lambda: x @ b, repeats),
        f"error {relative((x @ b).double(), exact):.1e}")  # fmt: skip
    flag.allow_tf32 = True
    row("sketch tf32", median_ms(lambda: x @ b, repeats),
        f"error {relative((x @ b).double(), exact):.1e}")  # fmt: skip
    flag.allow_tf32 = False


def reference(x, row, repeats: int):
    """Float64 PCT ('center'): eigenvalues and unit components (rows); Gram errors; eigh."""
    x64 = x.double()
    y = x64 - x64.mean(0)
    exact = y @ y.T
    for name, gram in (("float32", (x @ x.T).double()), ("tf32", tf32_product(x).double())):
        row(f"centred gram error, {name}", 0.0, f"{relative(centred(gram), exact):.2e}")
    lam, v = torch.linalg.eigh(exact)
    lam, v = lam.flip(0), v.flip(1)
    row("eigenvalue ratios 2, 5, 10, 50 / 1", 0.0,
        " ".join(f"{float(lam[i] / lam[0]):.1e}" for i in (1, 4, 9, 49)))  # fmt: skip
    row("eigh float64, all", median_ms(lambda: torch.linalg.eigh(exact), repeats))
    g32 = exact.float()
    row("eigh float32, all", median_ms(lambda: torch.linalg.eigh(g32), repeats))
    return lam[:50], (v[:, :50].T @ y).div_(lam[:50, None].sqrt())


def pct_end_to_end(frames, lam, ref_u, row, repeats: int) -> None:
    variants = [("gram", POWER_ITERATIONS)] + [("randomized", q) for q in (0, 1, 2, 3)]
    for solver, q in variants:
        for k in (4, 50):
            ms = median_ms(lambda k=k, s=solver, q=q: pct(frames, k, solver=s, power_iterations=q),
                           repeats)  # fmt: skip
            got = pct(frames, k, solver=solver, power_iterations=q)
            m = min(k, 5)
            cos = component_agreement(got, ref_u, m)
            sv = got.singular_values[:m].double() ** 2 / lam[:m] - 1
            label = "gram" if solver == "gram" else f"randomized q={q}"
            row(f"pct k={k} {label}", ms,
                f"first {m} vs float64: max 1-|cos| {1 - cos:.1e}, "
                f"max eigenvalue error {float(sv.abs().max()):.1e}")  # fmt: skip


def randomized_stages(x, row, repeats: int) -> None:
    """The steps of pct(k=50, solver='randomized'): 60 directions."""
    be = Backend(x)
    y, yt, _ = _standardised_products(x, "center", be)
    row("rpct stage: mean and variance pass", median_ms(lambda: be.var_mean(x, 0), repeats))
    q = _orthonormal(y(be.random_normal((x.shape[1], 60))), be)
    z = yt(q)
    row("rpct stage: Y b (T x 60 out)", median_ms(lambda: y(z), repeats))
    row("rpct stage: Y^T a (N x 60 out)", median_ms(lambda: yt(q), repeats))
    row("rpct stage: orthonormal N x 60, 1 pass",
        median_ms(lambda: _orthonormal(z, be, passes=1), repeats))  # fmt: skip
    row("rpct stage: orthonormal T x 60, 2 passes", median_ms(lambda: _orthonormal(q, be), repeats))
    b64 = z.T.double()
    row("rpct stage: B B^T float64 (60 x N)", median_ms(lambda: b64 @ b64.T, repeats))
    small = b64 @ b64.T
    row("rpct stage: eigh 60 x 60 on the GPU", median_ms(lambda: torch.linalg.eigh(small), repeats))
    row("rpct stage: eigh 60 x 60 via the CPU", median_ms(lambda: be.eigh(small, 50), repeats))


def one_pass_methods(frames, times, row, repeats: int) -> None:
    ms = median_ms(lambda: tsr(frames, 5, times=times), repeats)
    row("tsr fit (degree 5)", ms)

    def tsr_all():
        f = tsr(frames, 5, times=times)
        f.reconstruction()
        f.derivative(1)
        f.derivative(2)

    row("tsr fit + reconstruction + d1 + d2", median_ms(tsr_all, repeats), "writes 3 arrays")
    fit = tsr(frames, 5, times=times)
    ref_fit = tsr(frames[:, ::64, ::64].cpu().numpy(), 5, times=times)
    err = np.abs(fit.coefficients[:, ::64, ::64].cpu().numpy() - ref_fit.coefficients).max()
    row("tsr coefficients vs the CPU", 0.0, f"max abs error {err:.1e}")
    row("ppt 16 bins", median_ms(lambda: ppt(frames), repeats))
    x = frames.reshape(frames.shape[0], -1)
    n = np.arange(x.shape[0])
    angle = 2 * np.pi * np.outer(np.arange(1, 17), n) / x.shape[0]
    basis = torch.as_tensor(np.vstack([np.cos(angle), -np.sin(angle)]), dtype=torch.float32,
                            device=x.device)  # fmt: skip
    row("ppt stage: basis @ X", median_ms(lambda: basis @ x, repeats))
    row("ppt variant: (X^T @ basis^T)", median_ms(lambda: x.T @ basis.T, repeats))
    row("ppt variant: rfft over time", median_ms(lambda: torch.fft.rfft(x, dim=0)[1:17], repeats))
    spectrum = basis @ x
    re, im = spectrum[:16], spectrum[16:]
    row("ppt stage: atan2 + hypot", median_ms(lambda: (torch.atan2(im, re), torch.hypot(re, im)),
                                              repeats))  # fmt: skip
    phase = torch.atan2(im, re)
    stride = max(1, phase.shape[1] // SPREAD_SAMPLE)
    row("ppt stage: rank the bins",
        median_ms(lambda: _robust_spread(phase[:, ::stride]), repeats))  # fmt: skip
    row("hos", median_ms(lambda: hos(frames), repeats))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--shape", type=int, nargs=3, default=(2000, 512, 512), metavar=("T", "H", "W"))
    args = ap.parse_args()
    dev = args.device
    rows: list[tuple[str, float]] = []

    def row(name, ms, note=""):
        rows.append((name, ms))
        print(f"{name:<40s} {ms:9.3f} ms  {note}", flush=True)

    name = torch.cuda.get_device_name() if dev.startswith("cuda") else "CPU"
    print(f"{name}, torch {torch.__version__}, {'x'.join(map(str, args.shape))} float32")
    frames, times = synthetic_sequence(*args.shape, dev)
    x = frames.reshape(frames.shape[0], -1)
    ceilings(x, row, args.repeats)
    tensor_core_products(x, row, args.repeats)
    lam, ref_u = reference(x, row, args.repeats)
    pct_end_to_end(frames, lam, ref_u, row, args.repeats)
    del ref_u
    randomized_stages(x, row, args.repeats)
    one_pass_methods(frames, times, row, args.repeats)
    print("\nsummary (ms): " + ", ".join(f"{n}={m:.2f}" for n, m in rows if m > 0))


if __name__ == "__main__":
    main()
