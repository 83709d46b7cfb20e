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

Two solvers give the decomposition. ``'gram'`` forms the T x T Gram matrix and solves it
densely (above): one pass, but the Gram matrix squares the condition number, so in float32 a
component 100 times weaker than the first carries about 1e-4 relative error. ``'randomized'``
is randomized subspace iteration (Halko, Martinsson and Tropp 2011, algorithm 4.4) on k + 10
directions with the standardisation folded into the products, never forming a standardised
copy or the Gram matrix: 2 + 2 q passes over the data for q power iterations. It never
squares the data, so the components above the noise floor come out to float32 rounding
(tested against a float64 SVD), while those inside the flat noise floor are an equally valid
basis of it. ``'auto'`` takes it on a GPU when T >= 4 (k + 10), where the Gram product and the
dense eigen-solver are the slow steps, and ``'gram'`` elsewhere (faster on a CPU).

Signs are fixed: each component is flipped so that its largest-magnitude pixel is positive,
and its temporal function with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import column_blocks, is_mapped
from thermodefect.methods._backend import Array, Backend, frames_of
from thermodefect.sequence import frames_per_chunk

NORMALIZATIONS = ("center", "pixel", "frame", "none")
SOLVERS = ("auto", "gram", "randomized")
OVERSAMPLE = 10  # extra directions of the randomized solver
POWER_ITERATIONS = 2
CHOLESKY_SHIFT = 1e-12  # relative to the trace, keeps shifted Cholesky QR well defined
TINY = 1e-30  # absolute shift: all-zero products (constant data) stay zero, never inf
CPU_CHUNK = 8192
OFFSET_LIMIT = 0.01
FIT_PIXELS = 16384  # most pixels pct_fitted_on reads for its temporal functions
FIRST_LOOK_PIXELS = 65536  # most pixels pct_images forms the Gram matrix from


@dataclass(frozen=True)
class PCTResult:
    """Result of :func:`pct`; arrays are numpy or torch (same device), like the input.

    Parameters
    ----------
    components : (k, H, W) float32
        Spatial singular vectors (unit norm), the PCT images.
    temporal : (k, T) float32
        Temporal functions (unit norm).
    singular_values : (k,) float32
        Singular values of the standardised (T, H*W) matrix, descending.
    explained_variance_ratio : (k,) float32
        Share of the standardised data's total variance held by each component.
    """

    components: Array
    temporal: Array
    singular_values: Array
    explained_variance_ratio: Array


def pct(
    data,
    k: int = 4,
    *,
    normalize: str = "center",
    chunk: int | None = None,
    solver: str = "auto",
    power_iterations: int = POWER_ITERATIONS,
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
    solver : {'auto', 'gram', 'randomized'}
        See the module docstring; 'auto' is 'randomized' on CUDA when T >= 4 (k + 10).
    power_iterations : int
        q of the randomized solver (more for slowly decaying spectra).

    Returns
    -------
    PCTResult

    Raises
    ------
    ThermodefectError
        For k outside 1..T, an unknown normalisation or solver, or non-finite frames.

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
    if solver not in SOLVERS:
        raise ThermodefectError(f"solver must be one of {', '.join(SOLVERS)}; got {solver!r}")
    if power_iterations < 0:
        raise ThermodefectError(f"power_iterations must be >= 0; got {power_iterations}")
    be = Backend(frames)
    x = frames.reshape(t, h * w)
    if solver == "auto":
        solver = "randomized" if be.is_cuda and t >= 4 * (k + OVERSAMPLE) else "gram"
    if solver == "randomized":
        lam, temporal, comps, total = _randomized(x, k, normalize, power_iterations, be)
    else:
        lam, temporal, comps, total = _gram_solver(x, k, normalize, chunk, be)
    sigma = be.sqrt(lam)

    peak_at = be.argmax(abs(comps), 1)
    peaks = comps[list(range(k)), peak_at]
    sign = 1 - 2 * be.astype(peaks < 0, "float32")
    comps *= sign[:, None]
    ratio = be.astype(lam / total, "float32") if total > 0 else be.zeros(k)
    return PCTResult(
        components=comps.reshape(k, h, w),
        temporal=temporal * sign[:, None],
        singular_values=be.astype(sigma, "float32"),
        explained_variance_ratio=ratio,
    )


def _gram_solver(x, k: int, normalize: str, chunk: int | None, be: Backend):
    """Eigenvalues, temporal functions (k, T), unit components (k, N) and the total variance,
    from the Gram matrix."""
    step = chunk or (x.shape[1] if be.is_cuda else CPU_CHUNK)
    if chunk is None and is_mapped(x):  # read from the file: blocks of about 64 MiB
        step = max(step, frames_per_chunk((x.shape[0],)))
    gram, project = None, None
    if normalize != "pixel" and not is_mapped(x):  # a mapped file: blocks read from it
        gram, project = _gram_direct(x, normalize, be)
    if gram is None:
        gram, project = _gram_blocks(x, normalize, step, be)
    assert project is not None  # both builders return the matching projection
    lam, v = be.eigh(gram, k)
    lam[lam < 0] = 0
    temporal = be.astype(v.T, "float32")
    return lam, temporal, _unit_rows(project(temporal), lam, be), float(gram.trace())


def _unit_rows(comps, lam, be: Backend):
    """Components divided by their singular values (zero where the value is zero)."""
    inv = be.astype(be.sqrt(lam), "float32")
    inv[inv > 0] = 1 / inv[inv > 0]
    comps *= inv[:, None]
    return comps


def _randomized(x, k: int, normalize: str, iterations: int, be: Backend):
    """What :func:`_gram_solver` returns, by randomized subspace iteration on the standardised
    matrix Y, which is only ever applied: ``y(b)`` = Y b and ``yt(a)`` = Y^T a."""
    t, n = x.shape
    y, yt, total = _standardised_products(x, normalize, be)
    width = min(t, k + OVERSAMPLE)
    q = _orthonormal(y(be.random_normal((n, width))), be)
    for _ in range(iterations):
        q = _orthonormal(y(_orthonormal(yt(q), be, passes=1)), be)
    b = yt(q).T  # (width, N) = Q^T Y
    b64 = be.astype(b, "float64")
    lam, w = be.eigh(b64 @ b64.T, k)
    lam[lam < 0] = 0
    if total <= 0:  # constant data: rounding is all the products hold
        lam *= 0
    temporal = be.astype((be.astype(q, "float64") @ w).T, "float32")
    comps = be.astype(w.T, "float32") @ b
    return lam, temporal, _unit_rows(comps, lam, be), total


def _standardised_products(x, normalize: str, be: Backend):
    """Closures for Y b and Y^T a with Y the standardised x (without forming it), and
    trace(Y Y^T). Means and variances come from one pass."""
    t, n = x.shape
    if normalize == "none":
        return (lambda b: x @ b), (lambda a: x.T @ a), float(be.norm(x)) ** 2
    axis = 1 if normalize == "frame" else 0
    var, mean = be.var_mean(x, axis)
    if normalize == "center":
        return (*_centred_products(x, mean, be), float(var.sum()) * t)
    inv = be.zeros(var.shape[0])
    inv[var > 0] = 1 / be.sqrt(var[var > 0])
    total = float((var > 0).sum()) * (n if normalize == "frame" else t)
    if normalize == "pixel":  # Y = (X - 1 m^T) S^-1
        yc, ytc = _centred_products(x, mean, be)
        return (lambda b: yc(inv[:, None] * b)), (lambda a: inv[:, None] * ytc(a)), total

    def y(b):  # 'frame': Y = D (X - mu 1^T)
        return inv[:, None] * be.subtract_outer(x @ b, mean, b.sum(0))

    def yt(a):
        scaled = inv[:, None] * a
        return x.T @ scaled - (mean @ scaled)[None, :]

    return y, yt, total


def _centred_products(x, mean, be: Backend):
    """Y b and Y^T a for Y = X - 1 m^T (each pixel's temporal mean m removed)."""

    def y(b):
        return x @ b - (mean @ b)[None, :]

    def yt(a):
        return be.subtract_outer(x.T @ a, mean, a.sum(0))

    return y, yt


def _orthonormal(z, be: Backend, passes: int = 2):
    """An orthonormal basis of the columns of z (float32) by shifted Cholesky QR. The small
    Gram matrix is factored in float64, which copes with the condition numbers the power
    iterations produce; one pass leaves an orthogonality error of about 1e-7 cond(z), enough
    between power iterations, and a second brings it to rounding."""
    eye = be.asarray(np.eye(z.shape[1]), "float64")
    for _ in range(passes):
        z64 = be.astype(z, "float64")
        gram = z64.T @ z64
        gram += (CHOLESKY_SHIFT * gram.trace() + TINY) * eye  # no host sync on a GPU
        z = z @ be.astype(be.inverse_cholesky_factor(gram), "float32")
    return z


def _gram_direct(x, normalize: str, be: Backend):
    """Gram matrix from one product with the raw data, and the matching projection.

    Returns ``(None, None)`` when centring removes more than 99% of the raw matrix's trace:
    float32 offsets that large leave too few significant digits, and the caller must use
    :func:`_gram_blocks`.
    """
    t, n = x.shape
    raw = be.astype(x @ x.T, "float64")
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
    for c0, xs in column_blocks(x, step):
        c1 = c0 + xs.shape[1]
        y = buf[:, : c1 - c0]
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
            return _product(scaled, x, step) - scaled @ row_mean
        out = _product(vt, x, step) - vt.sum(1)[:, None] * col_mean[None, :]
        if normalize == "pixel":
            out *= col_inv[None, :]
        return out

    return gram, project


def _product(a, x, step: int):
    """``a @ x``; for a memory-mapped ``x``, by column blocks read from its file."""
    if not is_mapped(x):
        return a @ x
    out = np.empty((a.shape[0], x.shape[1]), np.result_type(a, x))
    for c0, xs in column_blocks(x, step):
        out[:, c0 : c0 + xs.shape[1]] = a @ xs
    return out


def _frame_stats(x, step: int, be: Backend):
    """Per-frame spatial mean and inverse standard deviation, (T, 1) each, by blocks."""
    t, n = x.shape
    total = be.zeros((t, 1), "float64")
    for _, xs in column_blocks(x, step):
        total += xs.sum(1)[:, None]
    mean = be.astype(total / n, "float32")
    sq = be.zeros((t, 1), "float64")
    for _, xs in column_blocks(x, step):
        d = xs - mean
        sq += (d * d).sum(1)[:, None]
    std = be.astype(be.sqrt(sq / n), "float32")
    inv = be.zeros((t, 1))
    inv[std > 0] = 1 / std[std > 0]
    return mean, inv


def pct_images(seq) -> list:
    """The registry's view of PCT: the first 4 empirical orthogonal functions (H, W) of a
    cooling sequence, centred in time (:func:`pct` with its defaults). On an image of more
    than :data:`FIRST_LOOK_PIXELS` pixels (numpy frames), the Gram matrix is formed from a
    regular subsample of that many and every pixel projected (:func:`pct_fitted_on`): on
    300 x 480 x 640 frames 0.13 s instead of 0.27 s, the components above the noise the
    same to the subsample's precision.
    """
    from thermodefect.methods._backend import is_tensor

    frames = frames_of(seq)
    if is_tensor(frames) or frames[0].size <= FIRST_LOOK_PIXELS:
        return list(pct(frames, 4).components)
    fit = np.ones(frames.shape[1:], bool)
    return list(pct_fitted_on(frames, fit, 4, most=FIRST_LOOK_PIXELS, solver="gram"))


def pct_fitted_on(
    data,
    fit: np.ndarray,
    k: int = 4,
    *,
    most: int = FIT_PIXELS,
    solver: str = "auto",
    less: np.ndarray | None = None,
) -> np.ndarray:
    """PCT components (``'center'`` standardisation) whose temporal functions are fitted on the
    pixels of ``fit`` alone, every pixel projected on them.

    Parameters
    ----------
    data : Sequence or (T, H, W) ndarray
        Frames (numpy, in memory or mapped).
    fit : (H, W) ndarray of bool
        The pixels the decomposition is fitted on (at least ``k``).
    k : int
        Number of components, 1 <= k <= T.
    most : int
        Most pixels the fit reads: a regular subsample of ``fit`` when it has more (the
        temporal functions of thousands of pixels are those of all of them).
    solver : {'auto', 'gram', 'randomized'}
        'auto' fits a record of 4 (k + 10) frames or more by the randomized solver (see the
        module docstring), a shorter one by the Gram matrix.
    less : (T, n, n) ndarray, optional
        Coefficients of a smooth surface per frame (Legendre polynomials of
        :func:`~thermodefect.preprocess.heating.legendre_axes`), subtracted from the frames
        first; no frame-sized copy is made.

    Returns
    -------
    (k, H, W) ndarray of float32
        Unit-norm components over the whole image, each flipped so that its
        largest-magnitude pixel is positive.

    Raises
    ------
    ThermodefectError
        For k outside 1..T, fewer than k pixels to fit on, or an unknown solver.
    """
    if solver not in SOLVERS:
        raise ThermodefectError(f"solver must be one of {', '.join(SOLVERS)}; got {solver!r}")
    frames = frames_of(data)
    t, h, w = frames.shape
    if not 1 <= k <= t:
        raise ThermodefectError(f"k must be between 1 and the number of frames ({t}); got {k}")
    pixels = np.flatnonzero(np.asarray(fit, bool))
    if pixels.size < k:
        raise ThermodefectError(f"PCT needs at least {k} pixels to fit on; got {pixels.size}")
    pixels = pixels[:: -(-pixels.size // most)]
    x = frames.reshape(t, h * w)
    sample = np.take(x, pixels, axis=1).astype(np.float32, copy=False)  # x[:, pixels] is 7x slower
    if less is not None:
        from thermodefect.preprocess.heating import legendre_axes

        ys, xs = legendre_axes(h, w, less.shape[1] - 1)
        rows, cols = np.divmod(pixels, w)
        basis = (ys[rows][:, :, None] * xs[cols][:, None, :]).reshape(pixels.size, -1)
        sample = sample - (basis @ less.reshape(t, -1).T).T.astype(np.float32)
    if solver == "auto":  # a long record: no dense T x T eigen-solver
        solver = "randomized" if t >= 4 * (k + OVERSAMPLE) else "gram"
    if solver == "randomized":
        vt = _randomized(sample, k, "center", POWER_ITERATIONS, Backend(sample))[1]
    else:
        vt = _gram_solver(sample, k, "center", None, Backend(sample))[1]
    weights = vt - vt.mean(1)[:, None]
    comps = _product(weights, x, CPU_CHUNK)
    if less is not None:  # each component's share of the surfaces, as a surface itself
        shares = (weights.astype(np.float64) @ less.reshape(t, -1)).reshape(k, *less.shape[1:])
        comps -= np.stack([(ys @ c @ xs.T).ravel() for c in shares]).astype(np.float32)
    comps /= np.maximum(np.linalg.norm(comps, axis=1), TINY)[:, None]
    peaks = comps[np.arange(k), np.argmax(np.abs(comps), 1)]
    comps *= np.where(peaks < 0, -1, 1).astype(np.float32)[:, None]
    return comps.reshape(k, h, w)
