"""One implementation for numpy arrays and torch tensors (CPU or CUDA) alike.

Algorithms written with operators, slicing and in-place arithmetic run on both; the few
calls that differ go through :class:`Backend`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from thermodefect.errors import ThermodefectError

if TYPE_CHECKING:
    import torch

#: A numpy array or a torch tensor (CPU or CUDA): the methods return what they are given.
Array = Any

SMALL_EIGH = 256  # on a GPU, symmetric eigenproblems up to this size are solved on the CPU


def is_tensor(x) -> TypeGuard[torch.Tensor]:
    """True for a torch tensor, without importing torch when it is not loaded."""
    return type(x).__module__.startswith("torch")


class Backend:
    """Array creation and linear algebra on the library and device of a reference array."""

    def __init__(self, like):
        self.torch = is_tensor(like)
        self.device = like.device if self.torch else None
        self.is_cuda = self.torch and like.is_cuda

    def zeros(self, shape, dtype: str = "float32"):
        if self.torch:
            import torch

            return torch.zeros(shape, dtype=getattr(torch, dtype), device=self.device)
        return np.zeros(shape, dtype)

    def empty(self, shape, dtype: str = "float32"):
        if self.torch:
            import torch

            return torch.empty(shape, dtype=getattr(torch, dtype), device=self.device)
        return np.empty(shape, dtype)

    def full(self, shape, value: float, dtype: str = "float32"):
        if self.torch:
            import torch

            return torch.full(
                tuple(np.atleast_1d(shape)), value, dtype=getattr(torch, dtype), device=self.device
            )
        return np.full(shape, value, dtype)

    def asarray(self, values, dtype: str = "float32"):
        if self.torch:
            import torch

            return torch.as_tensor(values, dtype=getattr(torch, dtype), device=self.device)
        return np.asarray(values, dtype)

    def eigh(self, a, k: int):
        """The ``k`` largest eigenvalues (descending) and eigenvectors (columns) of ``a``."""
        if self.torch:
            import torch

            if self.is_cuda and a.shape[0] <= SMALL_EIGH:
                w, v = (r.to(self.device) for r in torch.linalg.eigh(a.cpu()))
            else:
                w, v = torch.linalg.eigh(a)
            return w.flip(0)[:k], v.flip(1)[:, :k]
        # numpy's LAPACK shares numpy's BLAS threads; scipy's bundled copy would compete with
        # them for the cores right after a large product (measured: 6 ms alone, 50 ms there).
        w, v = np.linalg.eigh(a)
        return w[::-1][:k].copy(), v[:, ::-1][:, :k].copy()

    def random_normal(self, shape, seed: int = 0):
        """Standard normal float32 numbers from a fixed seed."""
        if self.torch:
            import torch

            gen = torch.Generator(device=self.device).manual_seed(seed)
            return torch.randn(shape, generator=gen, device=self.device)
        return np.random.default_rng(seed).standard_normal(shape, np.float32)

    def var_mean(self, a, axis: int):
        """Population variance and mean along ``axis``, from one pass on torch."""
        if self.torch:
            import torch

            return torch.var_mean(a, dim=axis, correction=0)
        return a.var(axis), a.mean(axis)

    def norm(self, a):
        """Frobenius norm (float64 accumulation on numpy)."""
        if self.torch:
            import torch

            return torch.linalg.vector_norm(a)
        return np.sqrt(np.einsum("ij,ij->", a, a, dtype=np.float64))

    def inverse_cholesky_factor(self, g):
        """R^-1 for the upper Cholesky factor R of a positive definite g = R^T R; on torch
        without a host synchronisation (no error check: the caller shifts g)."""
        if self.torch:
            import torch

            low = torch.linalg.cholesky_ex(g).L
            eye = torch.eye(g.shape[0], dtype=g.dtype, device=g.device)
            return torch.linalg.solve_triangular(low, eye, upper=False).T
        return np.linalg.inv(np.linalg.cholesky(g).T)

    def subtract_outer(self, a, u, v):
        """``a -= u v^T`` in place, without a temporary on torch."""
        if self.torch:
            return a.addr_(u, v, alpha=-1)
        a -= np.outer(u, v)
        return a

    def astype(self, a, dtype: str):
        if self.torch:
            import torch

            return a.to(getattr(torch, dtype))
        return a.astype(dtype)

    def subtract(self, a, b, out):
        """``out[...] = a - b`` without a temporary."""
        if self.torch:
            import torch

            return torch.sub(a, b, out=out)
        return np.subtract(a, b, out=out)

    def log_floor(self, a, floor: float | None, out):
        """``out[...] = log(max(a, floor))`` (``floor=None``: log(a)), without temporaries."""
        if self.torch:
            import torch

            if floor is None:
                return torch.log(a, out=out)
            torch.clamp_min(a, floor, out=out)
            return out.log_()
        if floor is None:
            return np.log(a, out=out)
        np.maximum(a, floor, out=out)
        return np.log(out, out=out)

    def argmax(self, a, axis: int):
        return a.argmax(dim=axis) if self.torch else a.argmax(axis=axis)

    def sqrt(self, a):
        return a.sqrt() if self.torch else np.sqrt(a)


def torch_view(a):
    """A CPU torch tensor sharing ``a``'s memory (numpy input), or ``a`` itself (a tensor).

    The elementwise-heavy methods (TSR's log, PPT's arctan2) run on torch's vectorised,
    multi-threaded kernels also for numpy input: about 3x (log) and 8x (arctan2) faster than
    numpy's on this project's 2-core CPU. Read-only arrays (memory-mapped files) are shared
    too; the methods never write into their input.
    """
    import warnings

    import torch

    if is_tensor(a):
        return a
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "array is not writable": we only read
        return torch.from_numpy(np.ascontiguousarray(a))


def frames_of(data, *, min_frames: int = 2):
    """(T, H, W) float32 frames of a Sequence, ndarray or tensor, without copying float32 input.

    Parameters
    ----------
    data : Sequence, ndarray or torch.Tensor
        Frames (T, H, W).
    min_frames : int
        Fewest frames accepted.

    Returns
    -------
    ndarray or torch.Tensor
        float32, like the input.

    Raises
    ------
    ThermodefectError
        For another shape, too few frames or non-finite values.
    """
    from thermodefect.sequence import Sequence

    source = data.meta.source if isinstance(data, Sequence) else None
    frames = data.frames if isinstance(data, Sequence) else data
    if is_tensor(frames):
        import torch

        if frames.dtype != torch.float32:
            frames = frames.float()
    else:
        frames = np.asarray(frames)
        if frames.dtype != np.float32:
            frames = frames.astype(np.float32)
    if frames.ndim != 3 or frames.shape[0] < min_frames:
        raise ThermodefectError(
            f"expected frames (T, H, W) with T >= {min_frames}, found shape {tuple(frames.shape)}",
            source,
        )
    return frames


def spread_frames(frames, count: int = 12) -> list:
    """About ``count`` images of ``frames`` (T, H, W): their means over windows whose edges
    are log-spaced in frame index (empty windows dropped), so the first windows hold single
    early frames (shallow defects) and the last ones many late frames, whose temporal noise
    the mean divides by the square root of their number (deep defects, faint contrast). Each
    frame belongs to exactly one window.

    Parameters
    ----------
    frames : (T, H, W) array_like
        Frames, or images of a method in time (contrast, DAC, TSR derivatives).
    count : int
        Windows before empty ones are dropped.

    Returns
    -------
    list of (H, W) arrays
    """
    return [frames[a:b].mean(axis=0) for a, b in spread_windows(frames.shape[0], count)]


def spread_windows(n_frames: int, count: int = 12) -> list[tuple[int, int]]:
    """The windows of :func:`spread_frames`: (first, end) frame indices, log-spaced edges.

    Parameters
    ----------
    n_frames : int
        Frames to cover.
    count : int
        Windows before empty ones are dropped.

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> spread_windows(10, 4)
    [(0, 2), (2, 5), (5, 10)]
    """
    edges = np.unique(np.geomspace(1, n_frames + 1, count + 1).astype(int) - 1)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]
