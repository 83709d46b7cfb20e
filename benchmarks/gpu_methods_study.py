"""PCT, TSR, PPT and HOS on a GPU, stage by stage, against a float64 reference.

A 2000 x 512 x 512 float32 sequence is built on the GPU from Parker's adiabatic-plate solution:
a 3 mm CFRP plate cooling for 20 s at 100 Hz, ten discs behaving as thinner plates (depths
0.3-2 mm, diameters 16-80 px), a smooth uneven heating field and 0.02 K camera noise. On it:

- ceilings: a device-to-device copy, and the float32 / TF32 / bf16 products of the Gram shape;
- PCT's Gram matrix as a float32, TF32 and split-bfloat16 product, each against float64;
- the eigen-solvers on the Gram matrix: dense float64 / float32 and subspace iteration;
- pct (k = 4 and 50) end to end with each Gram precision, checked against a float64 PCT;
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

from thermodefect._backend import top_eigh
from thermodefect.analytic import parker_front
from thermodefect.methods import hos, pct, ppt, tsr
from thermodefect.methods._pct import split_gram

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
    for name, fn in (("float32", lambda: x @ x.T), ("tf32", lambda: tf32_product(x)),
                     ("split bf16", lambda: split_gram(x, MM))):  # fmt: skip
        ms = median_ms(fn, repeats)
        row(f"gram {name}", ms, f"{flops / ms * 1e3:.0f} TFLOP/s equivalent")
    hi = x.to(torch.bfloat16)
    ms = median_ms(lambda: (MM or mm32)(hi, hi.T), repeats)
    row("ceiling: one bf16 product, float32 out", ms, f"{flops / ms * 1e3:.0f} TFLOP/s")


def mm32(a, b):
    return torch.mm(a, b, torch.float32)


def cholesky_qr3(y):
    """Orthonormal columns spanning y: shifted Cholesky QR, then two plain passes (Fukaya et
    al. 2020), three small Cholesky factorisations instead of a Householder QR."""
    eye = torch.eye(y.shape[1], dtype=y.dtype, device=y.device)
    for shift in (1e-12, 0.0, 0.0):
        g = y.T @ y
        low = torch.linalg.cholesky(g + shift * g.trace() * eye)
        y = torch.linalg.solve_triangular(low, y.T, upper=False).T
    return y


def orthogonality(q) -> float:
    return float(torch.linalg.norm(q.T @ q - torch.eye(q.shape[1], dtype=q.dtype, device=q.device)))


def top_eigh_cholesky(a, k: int, iterations: int):
    """top_eigh with Cholesky QR3 in place of Householder QR."""
    width = min(a.shape[0], 2 * k + 8)
    gen = torch.Generator(device=a.device).manual_seed(0)
    q = torch.randn(a.shape[0], width, dtype=a.dtype, device=a.device, generator=gen)
    for _ in range(iterations):
        q = cholesky_qr3(a @ q)
    w, v = torch.linalg.eigh(q.T @ a @ q)
    return w.flip(0)[:k], (q @ v).flip(1)[:, :k]


def eigen_solvers(x, row, repeats: int):
    """Gram errors and eigen-solver times; returns the float64 reference (values, vectors)."""
    x64 = x.double()
    exact = centred(x64 @ x64.T)
    for name, gram in (("float32", (x @ x.T).double()), ("tf32", tf32_product(x).double()),
                       ("split bf16", split_gram(x, MM))):  # fmt: skip
        row(f"centred gram error, {name}", 0.0, f"{relative(centred(gram), exact):.2e}")
    w_ref, v_ref = torch.linalg.eigh(exact)
    w_ref, v_ref = w_ref.flip(0), v_ref.flip(1)
    row("eigenvalue ratios 2, 5, 10, 50 / 1", 0.0,
        " ".join(f"{float(w_ref[i] / w_ref[0]):.1e}" for i in (1, 4, 9, 49)))  # fmt: skip
    row("eigh float64, all", median_ms(lambda: torch.linalg.eigh(exact), repeats))
    g32 = exact.float()
    row("eigh float32, all", median_ms(lambda: torch.linalg.eigh(g32), repeats))
    if x.is_cuda:
        torch.backends.cuda.preferred_linalg_library("magma")
        row("eigh float64, all (magma)", median_ms(lambda: torch.linalg.eigh(exact), repeats))
        torch.backends.cuda.preferred_linalg_library("default")
    probe = torch.randn(x.shape[0], 108, dtype=torch.float64, device=x.device)
    row("qr T x 108 float64", median_ms(lambda: torch.linalg.qr(probe), repeats))
    row("cholesky qr3 T x 108 float64", median_ms(lambda: cholesky_qr3(probe), repeats),
        f"orthogonality error {orthogonality(cholesky_qr3(probe)):.1e}")  # fmt: skip
    for k in (4, 50):
        for iters in (8, 16):
            ms = median_ms(lambda k=k, i=iters: top_eigh(exact, k, i), repeats)
            w, v = top_eigh(exact, k, iters)
            m = min(k, 5)
            err = float(((w[:m] - w_ref[:m]) / w_ref[:m]).abs().max())
            cos = float((v[:, :m] * v_ref[:, :m]).sum(0).abs().min())
            row(f"top_eigh k={k}, {iters} iterations", ms,
                f"top-{m} eigenvalue error {err:.1e}, min |cos| {cos:.6f}")  # fmt: skip
    for k in (4, 50):
        ms = median_ms(lambda k=k: top_eigh_cholesky(exact, k, 16), repeats)
        w, v = top_eigh_cholesky(exact, k, 16)
        m = min(k, 5)
        err = float(((w[:m] - w_ref[:m]) / w_ref[:m]).abs().max())
        cos = float((v[:, :m] * v_ref[:, :m]).sum(0).abs().min())
        row(f"top_eigh cholesky-qr3 k={k}, 16 it.", ms,
            f"top-{m} eigenvalue error {err:.1e}, min |cos| {cos:.6f}")  # fmt: skip
    y = x64 - x64.mean(0)
    return (v_ref[:, :50].T @ y).div_(w_ref[:50, None].sqrt())


def pct_end_to_end(frames, ref_u, row, repeats: int) -> None:
    for precision in ("split", "float32") if MM is None else ("float32",):
        for k in (4, 50):
            ms = median_ms(lambda k=k, p=precision: pct(frames, k, precision=p), repeats)
            got = pct(frames, k, precision=precision)
            agree = component_agreement(got, ref_u, min(k, 5))
            row(f"pct k={k} ({precision})", ms,
                f"first {min(k, 5)} components vs float64: min |cos| {agree:.6f}")  # fmt: skip


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
    row("hos", median_ms(lambda: hos(frames), repeats))


MM = None  # the product split_gram uses: CUDA's bf16 mm with float32 output


def main() -> None:
    global MM
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--shape", type=int, nargs=3, default=(2000, 512, 512), metavar=("T", "H", "W"))
    args = ap.parse_args()
    dev = args.device
    if not dev.startswith("cuda"):
        MM = lambda a, b: a.float() @ b.float()  # noqa: E731  emulates the CUDA product
    rows: list[tuple[str, float]] = []

    def row(name, ms, note=""):
        rows.append((name, ms))
        print(f"{name:<40s} {ms:9.3f} ms  {note}", flush=True)

    name = torch.cuda.get_device_name() if dev.startswith("cuda") else "CPU"
    print(f"{name}, torch {torch.__version__}, {'x'.join(map(str, args.shape))} float32")
    frames, times = synthetic_sequence(*args.shape, dev)
    x = frames.reshape(frames.shape[0], -1)
    ceilings(x, row, args.repeats)
    ref_u = eigen_solvers(x, row, args.repeats)
    pct_end_to_end(frames, ref_u, row, args.repeats)
    del ref_u
    one_pass_methods(frames, times, row, args.repeats)
    print("\nsummary (ms): " + ", ".join(f"{n}={m:.2f}" for n, m in rows if m > 0))


if __name__ == "__main__":
    main()
