"""Principal component thermography (PCT, Rajic 2002, DSTO-TR-1291).

The sequence is arranged as a matrix X (T frames x N pixels) and standardised to Y; its
singular value decomposition Y = V S U^T gives temporal functions V (columns, length T) and
spatial component images U (length N each). We form the T x T Gram matrix Y Y^T, take its
leading eigenvectors V, and project once: U^T = S^-1 V^T Y. Centring over time is the
centring matrix C = I - 11^T/T applied on the left (Y = C X), so for ``'center'`` and
``'frame'`` the Gram matrix is C (X X^T) C from a single product with the raw data and the
projection is (C V)^T X: two passes over the data, no standardised copy. Where per-pixel
offsets dwarf the signal (raw temperatures in kelvin) that product would lose precision, so
such data, and ``'pixel'`` standardisation, go through blocks of pixel columns that are
standardised in cache before their contribution is added.

Standardisation conventions differ between implementations; ours are named:

- ``'center'``: each pixel's temporal mean removed (the seed's ``pca.py``);
- ``'pixel'``: each pixel's history centred and divided by its temporal standard deviation
  (Rajic's standardisation, a z-score along time);
- ``'frame'``: each frame centred and divided by its spatial standard deviation;
- ``'none'``: the raw matrix.

On a GPU the Gram matrix comes by default from bfloat16 halves of the data on the tensor
cores (``precision='split'``, :func:`split_gram`), accurate to below 1e-6 at a fraction of
a float32 product's time; ``precision='float32'`` forces the plain product (which itself uses
TF32 where ``torch.backends.cuda.matmul.allow_tf32`` is set).

Signs are fixed: each component is flipped so that its largest-magnitude pixel is positive,
and its temporal function with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from thermodefect._backend import Backend, frames_of
from thermodefect.errors import ThermodefectError

NORMALIZATIONS = ("center", "pixel", "frame", "none")
PRECISIONS = ("auto", "float32", "split")
CPU_CHUNK = 8192
OFFSET_LIMIT = 0.01


@dataclass(frozen=True)
class PCTResult:
    """Result of :func:`pct`; arrays are numpy or torch (same device), like the input.

    Attributes
    ----------
    components : (k, H, W) float32
        Spatial singular vectors (unit norm), the PCT images.
    temporal : (k, T) float32
        Temporal functions (unit norm).
    singular_values : (k,) float32
    explained_variance_ratio : (k,) float32
        Share of the standardised data's total variance held by each component.
    """

    components: object
    temporal: object
    singular_values: object
    explained_variance_ratio: object


def pct(
    data,
    k: int = 4,
    *,
    normalize: str = "center",
    chunk: int | None = None,
    precision: str = "auto",
) -> PCTResult:
    """Principal component thermography of a sequence.

    Parameters
    ----------
    data : Sequence, (T, H, W) ndarray or torch.Tensor
        Frames; tensors may live on any device and results stay there.
    k : int
        Number of components, 1 <= k <= T.
    normalize : {'center', 'pixel', 'frame', 'none'}
        Standardisation before the decomposition (see the module docstring).
    chunk : int, optional
        Pixel columns per block; default 8192 on CPU, all pixels on a GPU.
    precision : {'auto', 'float32', 'split'}
        How the Gram matrix is formed: 'split' (bfloat16 halves on tensor cores, CUDA only)
        or 'float32'; 'auto' picks 'split' on CUDA. Data standardised by blocks ('pixel', or
        offsets far above the signal) always use float32.

    Returns
    -------
    PCTResult

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.1, 1, 20, dtype=np.float32)
    >>> img = np.zeros((8, 8), np.float32); img[2:4, 2:4] = 1
    >>> result = pct(t[:, None, None] * img, k=1)
    >>> round(float(result.components[0, 2, 2]), 3)
    0.5
    """
    frames = frames_of(data)
    t, h, w = frames.shape
    if normalize not in NORMALIZATIONS:
        raise ThermodefectError(
            f"normalize must be one of {', '.join(NORMALIZATIONS)}; got {normalize!r}"
        )
    if not 1 <= k <= t:
        raise ThermodefectError(f"k must be between 1 and the number of frames ({t}); got {k}")
    be = Backend(frames)
    if precision not in PRECISIONS:
        raise ThermodefectError(
            f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}"
        )
    if precision == "split" and not be.is_cuda:
        raise ThermodefectError("precision='split' needs a CUDA tensor")
    split = precision == "split" or (precision == "auto" and be.is_cuda)
    x = frames.reshape(t, h * w)
    step = chunk or (x.shape[1] if be.is_cuda else CPU_CHUNK)
    gram, project = None, None
    if normalize != "pixel":
        raw = split_gram(x) if split else be.astype(x @ x.T, "float64")
        gram, project = _gram_direct(x, raw, normalize, be)
    if gram is None:
        gram, project = _gram_blocks(x, normalize, step, be)

    lam, v = be.eigh(gram, k)
    lam[lam < 0] = 0
    total = float(gram.trace())
    sigma = be.sqrt(lam)
    temporal = be.astype(v.T, "float32")
    comps = project(temporal)
    inv = be.astype(sigma, "float32")
    inv[inv > 0] = 1 / inv[inv > 0]
    comps *= inv[:, None]

    peak_at = be.argmax(abs(comps), 1)
    peaks = comps[list(range(k)), peak_at]
    sign = be.asarray([-1.0 if float(p) < 0 else 1.0 for p in peaks])
    comps *= sign[:, None]
    ratio = be.astype(lam / total, "float32") if total > 0 else be.zeros(k)
    return PCTResult(
        components=comps.reshape(k, h, w),
        temporal=temporal * sign[:, None],
        singular_values=be.astype(sigma, "float32"),
        explained_variance_ratio=ratio,
    )


def split_gram(x, mm=None):
    """X X^T (float64) of a float32 CUDA matrix from bfloat16 halves on the tensor cores.

    x = hi + lo with hi = bf16(x) and lo = bf16(x - hi), so x is kept to about 16 bits, and
    X X^T = hi hi^T + C + C^T with C = hi lo^T (lo lo^T, at most 2^-18 of each term, is
    dropped). Both products accumulate in float32 (``mm``: ``torch.mm`` with a float32
    output). Relative error below 1e-6 (5e-7 on uniform data; a float32 product 8e-8,
    bfloat16 alone 4e-5), for the time of two bfloat16 products instead of one float32 one.
    """
    import torch

    mm = mm or (lambda a, b: torch.mm(a, b, torch.float32))
    hi = x.to(torch.bfloat16)
    lo = (x - hi).to(torch.bfloat16)
    cross = mm(hi, lo.T).double()
    return mm(hi, hi.T).double() + cross + cross.T


def _gram_direct(x, raw, normalize: str, be: Backend):
    """Gram matrix from ``raw`` = X X^T of the raw data, and the matching projection.

    Returns ``(None, None)`` when centring removes more than 99% of the raw matrix's trace:
    float32 offsets that large leave too few significant digits, and the caller must use
    :func:`_gram_blocks`.
    """
    t, n = x.shape
    if normalize == "none":
        return raw, lambda vt: vt @ x
    if normalize == "center":
        row_mean = raw.mean(1)
        gram = raw - row_mean[:, None] - row_mean[None, :] + raw.mean()
        if float(gram.trace()) < OFFSET_LIMIT * float(raw.trace()):
            return None, None
        return gram, lambda vt: (vt - vt.mean(1)[:, None]) @ x
    sums = be.astype(x @ be.full(n, 1.0), "float64")
    mean = sums / n
    var = (raw.diagonal() - sums * mean) / n
    inv = be.zeros(t, "float64")
    inv[var > 0] = 1 / be.sqrt(var[var > 0])
    centred = raw - sums[:, None] * mean[None, :]
    if float(centred.trace()) < OFFSET_LIMIT * float(raw.trace()):
        return None, None
    gram = centred * inv[:, None] * inv[None, :]
    inv32, mean32 = be.astype(inv, "float32"), be.astype(mean, "float32")

    def project(vt):
        scaled = vt * inv32[None, :]
        return scaled @ x - (scaled @ mean32)[:, None]

    return gram, project


def _gram_blocks(x, normalize: str, step: int, be: Backend):
    """Gram matrix over column blocks standardised in cache, exact for any offsets."""
    t, n = x.shape
    step = min(n, step)
    weights = be.asarray([1.0 / t] * t)
    if normalize == "frame":
        row_mean, row_inv = _frame_stats(x, step, be)
    col_mean = be.zeros(n)
    col_inv = be.zeros(n)
    gram = be.zeros((t, t), "float64")
    buf = be.empty((t, step))
    for c0 in range(0, n, step):
        c1 = min(n, c0 + step)
        xs, y = x[:, c0:c1], buf[:, : c1 - c0]
        if normalize == "frame":
            be.subtract(xs, row_mean, out=y)
            y *= row_inv
        else:
            col_mean[c0:c1] = weights @ xs
            be.subtract(xs, col_mean[c0:c1], out=y)
            if normalize == "pixel":
                std = be.sqrt(weights @ (y * y))
                col_inv[c0:c1][std > 0] = 1 / std[std > 0]
                y *= col_inv[c0:c1]
        gram += y @ y.T

    def project(vt):
        if normalize == "frame":
            scaled = vt * row_inv.T
            return scaled @ x - scaled @ row_mean
        out = vt @ x - vt.sum(1)[:, None] * col_mean[None, :]
        if normalize == "pixel":
            out *= col_inv[None, :]
        return out

    return gram, project


def _frame_stats(x, step: int, be: Backend):
    """Per-frame spatial mean and inverse standard deviation, (T, 1) each, by blocks."""
    t, n = x.shape
    total = be.zeros((t, 1), "float64")
    for c0 in range(0, n, step):
        total += x[:, c0 : c0 + step].sum(1)[:, None]
    mean = be.astype(total / n, "float32")
    sq = be.zeros((t, 1), "float64")
    for c0 in range(0, n, step):
        d = x[:, c0 : c0 + step] - mean
        sq += (d * d).sum(1)[:, None]
    std = be.astype(be.sqrt(sq / n), "float32")
    inv = be.zeros((t, 1))
    inv[std > 0] = 1 / std[std > 0]
    return mean, inv
