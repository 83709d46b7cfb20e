"""A learned depth estimator: a small ensemble of networks reading a defect's cooling against
the sound plate's on the plate's own diffusion scale.

Where the analytic estimators (:mod:`thermodefect.detect.depth`) read one time each (a
peak, a blind frequency), this one reads the whole shape of ln(T_defect / T_sound) and of the
contrast T_defect - T_sound, sampled at the times t where the diffusion length sqrt(a t)
takes :data:`GRID_MM` (so a record at 10 Hz and one at 1 kHz, on CFRP or aluminium, give
the same feature for the same defect, each covering the part of the grid its frames reach),
with the early diameter, the plate's lateral spread and the analytic estimates beside them.
The networks (two hidden layers, :data:`HIDDEN` units) predict ln(depth / mm); the ensemble
mean is the estimate, their spread part of its uncertainty. They are trained on the defects
PCT finds in simulated data (``benchmarks/train_depth_regressor.py``, docs/depth.md) and
run in numpy: the file is a few tens of kB (:data:`DEFAULT_PATH`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_PATH",
    "GRID_MM",
    "HIDDEN",
    "DepthRegressor",
    "curve_features",
    "fit_regressor",
    "load_regressor",
]

#: Diffusion lengths sqrt(a t) (mm) at which the curves are read: 24 log-spaced from 0.05 to
#: 8 mm, past any defect the estimator is asked about.
GRID_MM = np.geomspace(0.05, 8.0, 24)

#: Units of each hidden layer.
HIDDEN = 32

#: The shipped estimator.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "models" / "depth_regressor.npz"

#: The analytic estimators whose depths (ln mm) are features, in this order.
ANALYTIC = ("tsr", "contrast", "ppt")


def _normalised(values: np.ndarray) -> np.ndarray:
    """``values`` over its value of largest magnitude (a shape from -1 to 1, peak +1)."""
    k = int(np.argmax(np.abs(values)))
    return values / values[k] if values[k] != 0 else values


def curve_features(
    times: np.ndarray,
    defect: np.ndarray,
    sound: np.ndarray,
    diffusivity: float,
    *,
    diameter_mm: float | None,
    spread: float,
    analytic_mm: dict,
    logs=None,
) -> np.ndarray:
    """The estimator's input for one defect.

    Parameters
    ----------
    times : (T,) ndarray
        Seconds after the flash.
    defect, sound : (T,) ndarray
        The two rises (:func:`thermodefect.detect.depth.defect_curves`).
    diffusivity : float
        Through-thickness diffusivity, m^2/s.
    diameter_mm : float or None
        The early diameter (:func:`thermodefect.detect.depth.early_diameter`), mm.
    spread : float
        sqrt(a_lateral / a_z) of the plate.
    analytic_mm : dict of str to float
        The analytic estimators' depths, mm (those read).
    logs : tuple of ndarray, optional
        (ln t grid, ln defect, ln sound) of :func:`thermodefect.detect.depth.log_curves`,
        when the caller has them.

    Returns
    -------
    (F,) ndarray of float
        The shapes of ln(defect / sound) and of the contrast on :data:`GRID_MM` (0 where the
        record does not reach), which grid points the record covers (1 / 0), ln(diameter),
        ln(spread) and each analytic depth's ln (0 where missing), with their presence.
    """
    from thermodefect.detect.depth import log_curves

    grid, log_defect, log_sound = logs or log_curves(times, defect, sound)
    wanted = np.log((GRID_MM * 1e-3) ** 2 / diffusivity)
    inside = (wanted >= grid[0]) & (wanted <= grid[-1])
    ratio = _normalised(log_defect - log_sound)
    contrast = _normalised(np.exp(log_defect) - np.exp(log_sound))
    shapes = [np.where(inside, np.interp(wanted, grid, v), 0.0) for v in (ratio, contrast)]
    scalars = [np.log(diameter_mm) if diameter_mm else 0.0, float(diameter_mm is not None),
               np.log(spread)]  # fmt: skip
    for name in ANALYTIC:
        value = analytic_mm.get(name)
        scalars += [np.log(value) if value else 0.0, float(bool(value))]
    return np.concatenate([*shapes, inside.astype(float), scalars])


@dataclass(frozen=True)
class DepthRegressor:
    """An ensemble of small networks from features to ln(depth / mm).

    Parameters
    ----------
    mean, scale : (F,) ndarray
        Standardisation of the features.
    layers : list of list of (ndarray, ndarray)
        Per member, the (weight, bias) of each layer (tanh between them).
    residual : (float, float)
        5 % and 95 % quantiles of ln(true / estimated depth) on the validation defects: the
        interval is the estimate times exp of them.
    info : dict
        What it was trained on.
    """

    mean: np.ndarray
    scale: np.ndarray
    layers: list
    residual: tuple[float, float]
    info: dict

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ln(depth / mm) of each row: the ensemble mean and standard deviation.

        Parameters
        ----------
        features : (N, F) ndarray
            :func:`curve_features` rows.

        Returns
        -------
        mean, std : (N,) ndarray
        """
        x0 = (np.atleast_2d(features) - self.mean) / self.scale
        outs = []
        for member in self.layers:
            x = x0
            for i, (w, b) in enumerate(member):
                x = x @ w + b
                if i < len(member) - 1:
                    x = np.tanh(x)
            outs.append(x[:, 0])
        stack = np.stack(outs)
        return stack.mean(axis=0), stack.std(axis=0)

    def save(self, path: Path) -> Path:
        """Write the estimator as one ``.npz`` (no pickle).

        Parameters
        ----------
        path : Path
            Target file.

        Returns
        -------
        Path
        """
        import json

        arrays: dict[str, Any] = {
            "mean": self.mean, "scale": self.scale, "residual": np.array(self.residual)
        }  # fmt: skip
        for m, member in enumerate(self.layers):
            for i, (w, b) in enumerate(member):
                arrays[f"w_{m}_{i}"], arrays[f"b_{m}_{i}"] = w, b
        arrays["info"] = np.array(json.dumps(self.info))
        np.savez_compressed(path, **arrays)
        return Path(path)


@lru_cache(maxsize=4)
def load_regressor(path: Path | None = None) -> DepthRegressor | None:
    """The estimator saved at ``path`` (default: the shipped one), or None when there is none.

    Parameters
    ----------
    path : Path, optional
        A file written by :meth:`DepthRegressor.save`.

    Returns
    -------
    DepthRegressor or None
    """
    import json

    path = DEFAULT_PATH if path is None else Path(path)
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        members = sorted({int(k.split("_")[1]) for k in z.files if k.startswith("w_")})
        layers = []
        for m in members:
            depth = len([k for k in z.files if k.startswith(f"w_{m}_")])
            layers.append([(z[f"w_{m}_{i}"], z[f"b_{m}_{i}"]) for i in range(depth)])
        return DepthRegressor(z["mean"], z["scale"], layers, tuple(z["residual"].tolist()),
                              json.loads(str(z["info"])))  # fmt: skip


def fit_regressor(
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    members: int = 5,
    epochs: int = 2000,
    seed: int = 0,
    info: dict | None = None,
) -> DepthRegressor:
    """Train the ensemble (full-batch Adam on squared error in ln depth, weight decay, each
    member keeping the weights of least validation error, looked at every 10 steps).

    Parameters
    ----------
    x, y : (N, F), (N,) ndarray
        Training features and ln(true depth / mm).
    x_val, y_val : (M, F), (M,) ndarray
        Validation defects (early stopping and the residual interval).
    members : int
        Networks in the ensemble, each from its own seed.
    epochs : int
        Most full-batch steps per member.
    seed : int
        Seed of the first member.
    info : dict, optional
        Recorded in the estimator.

    Returns
    -------
    DepthRegressor
    """
    import torch

    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    xt = torch.tensor((x - mean) / scale, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    xv = torch.tensor((x_val - mean) / scale, dtype=torch.float32)
    yv = torch.tensor(y_val, dtype=torch.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a network this small runs fastest on one thread
    try:
        layers = [_member(xt, yt, xv, yv, seed + m, epochs) for m in range(members)]
    finally:
        torch.set_num_threads(threads)
    out = DepthRegressor(mean, scale, layers, (0.0, 0.0), dict(info or {}))
    estimate, _ = out.predict(x_val)
    low, high = np.quantile(y_val - estimate, [0.05, 0.95])
    return DepthRegressor(mean, scale, layers, (float(low), float(high)), dict(info or {}))


def _member(xt, yt, xv, yv, seed: int, epochs: int) -> list:
    """One network of the ensemble: its (weight, bias) per layer at the least validation
    error."""
    import torch

    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(xt.shape[1], HIDDEN), torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN, 1),
    )  # fmt: skip
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-2)
    best, kept = np.inf, []
    for epoch in range(epochs):
        opt.zero_grad()
        loss = torch.mean((net(xt)[:, 0] - yt) ** 2)
        loss.backward()
        opt.step()
        if epoch % 10:
            continue
        with torch.no_grad():
            val = float(torch.mean((net(xv)[:, 0] - yv) ** 2))
        if val < best:
            best = val
            kept = [(lay.weight.detach().numpy().T.copy(), lay.bias.detach().numpy().copy())
                    for lay in net if isinstance(lay, torch.nn.Linear)]  # fmt: skip
    return kept
