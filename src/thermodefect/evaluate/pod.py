"""Probability of detection from hit/miss data, after MIL-HDBK-1823A (2009), section 7.

POD(a) = F((ln a - mu) / sigma) with F the logistic (``link='logit'``) or standard normal
(``'probit'``) CDF, fitted by maximum likelihood (Fisher scoring) as the generalised linear
model F^-1(POD) = b0 + b1 ln a, so mu = -b0 / b1 and sigma = 1 / b1. Sizes are whatever the
caller measures: diameter, or diameter / depth as thermography usually does.

Confidence: the likelihood-ratio region {b : 2 (l_max - l(b)) <= chi2_1(0.90) = 2.706} gives
one-sided 95% bounds; its boundary is traced along rays from the maximum, the lower POD curve
is the smallest POD over it at each size, and a90/95 the largest a90 over it (where the lower
curve crosses 0.9). The delta method on ln a90 is available as a cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from thermodefect.errors import ThermodefectError

__all__ = [
    "CHI2_1_90",
    "LINKS",
    "PODFit",
    "fit_pod",
]

LINKS = ("logit", "probit")
CHI2_1_90 = float(stats.chi2.ppf(0.90, 1))


def _cdf(link: str, eta):
    return stats.logistic.cdf(eta) if link == "logit" else stats.norm.cdf(eta)


def _pdf(link: str, eta):
    return stats.logistic.pdf(eta) if link == "logit" else stats.norm.pdf(eta)


def _ppf(link: str, p: float) -> float:
    return float(stats.logistic.ppf(p) if link == "logit" else stats.norm.ppf(p))


@dataclass(frozen=True)
class PODFit:
    """A fitted hit/miss POD curve POD(a) = F(b0 + b1 ln a); sizes in the caller's units.

    Parameters
    ----------
    link : {'logit', 'probit'}
        F: the logistic or standard normal CDF.
    b0, b1 : float
        Maximum-likelihood coefficients (mu = -b0 / b1, sigma = 1 / b1).
    covariance : (2, 2) ndarray
        Inverse Fisher information of (b0, b1).
    loglik : float
        Log-likelihood at the maximum.
    n : int
        Defects.
    hits : int
        Defects hit.
    region : (m, 2) ndarray
        Boundary of the 95% likelihood-ratio region in (b0, b1).
    """

    link: str
    b0: float
    b1: float
    covariance: np.ndarray
    loglik: float
    n: int
    hits: int
    region: np.ndarray  # (m, 2) boundary of the 95% likelihood-ratio region in (b0, b1)

    @property
    def mu(self) -> float:
        """Location of the curve in ln a: -b0 / b1."""
        return -self.b0 / self.b1

    @property
    def sigma(self) -> float:
        """Scale of the curve in ln a: 1 / b1."""
        return 1.0 / self.b1

    def size_at(self, pod: float) -> float:
        """Size where the fitted POD equals ``pod``.

        Parameters
        ----------
        pod : float
            A probability in (0, 1).

        Returns
        -------
        float
        """
        return float(np.exp((_ppf(self.link, pod) - self.b0) / self.b1))

    @property
    def a50(self) -> float:
        """Size detected with probability 0.5."""
        return self.size_at(0.5)

    @property
    def a90(self) -> float:
        """Size detected with probability 0.9."""
        return self.size_at(0.9)

    @property
    def a90_95(self) -> float | None:
        """Upper 95% bound of a90 (likelihood ratio); None if the region is unbounded."""
        b0, b1 = self.region[:, 0], self.region[:, 1]
        if np.any(b1 <= 0):
            return None
        return float(np.exp(np.max((_ppf(self.link, 0.9) - b0) / b1)))

    def a90_95_delta(self) -> float:
        """Upper 95% bound of a90 by the delta method on ln a90 (Wald), a cross-check.

        Returns
        -------
        float
        """
        q = _ppf(self.link, 0.9)
        grad = np.array([-1.0 / self.b1, -(q - self.b0) / self.b1**2])
        se = float(np.sqrt(grad @ self.covariance @ grad))
        return float(np.exp((q - self.b0) / self.b1 + stats.norm.ppf(0.95) * se))

    def pod(self, a) -> np.ndarray:
        """Fitted POD at sizes ``a``.

        Parameters
        ----------
        a : array_like
            Sizes, in the units of the fitted data.

        Returns
        -------
        ndarray
        """
        return _cdf(self.link, self.b0 + self.b1 * np.log(np.asarray(a, np.float64)))

    def lower_bound(self, a) -> np.ndarray:
        """Lower 95% confidence bound of POD at sizes ``a`` (likelihood ratio).

        Parameters
        ----------
        a : array_like
            Sizes, in the units of the fitted data.

        Returns
        -------
        ndarray
        """
        x = np.log(np.asarray(a, np.float64))
        eta = self.region[:, :1] + self.region[:, 1:] * x.ravel()[None, :]
        return _cdf(self.link, eta.min(axis=0)).reshape(x.shape)

    def summary(self) -> dict:
        """The fit's numbers by name.

        Returns
        -------
        dict
            ``link``, ``n``, ``hits``, ``mu``, ``sigma``, ``a50``, ``a90``, ``a90_95`` (None
            when unbounded) and ``a90_95_delta``.
        """
        a9095 = self.a90_95
        return {
            "link": self.link, "n": self.n, "hits": self.hits, "mu": self.mu,
            "sigma": self.sigma, "a50": self.a50, "a90": self.a90,
            "a90_95": a9095, "a90_95_delta": self.a90_95_delta(),
        }  # fmt: skip


def _loglik(link: str, x: np.ndarray, y: np.ndarray, b: np.ndarray) -> float:
    p = np.clip(_cdf(link, b[0] + b[1] * x), 1e-300, 1 - 1e-16)
    return float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))


def fit_pod(sizes, hits, *, link: str = "logit", rays: int = 720) -> PODFit:
    """Fit POD(a) to hit/miss data (see the module docstring).

    Parameters
    ----------
    sizes : array_like
        One positive size per defect (diameter, or diameter / depth).
    hits : array_like of bool or 0/1
        Whether each defect was found.
    link : {'logit', 'probit'}
        The CDF F.
    rays : int
        Rays along which the confidence region's boundary is traced.

    Returns
    -------
    PODFit

    Raises
    ------
    ThermodefectError
        When the data cannot define a curve: fewer than 2 sizes, no hit or no miss, sizes
        that are not positive, hits and misses perfectly separated by size (the maximum
        likelihood estimate does not exist), or a POD that falls with size.
    """
    if link not in LINKS:
        raise ThermodefectError(f"POD link must be one of {', '.join(LINKS)}, got {link!r}")
    a, y = np.asarray(sizes, np.float64).ravel(), np.asarray(hits, np.float64).ravel()
    if a.shape != y.shape or a.size < 2:
        raise ThermodefectError("POD needs one hit/miss per defect size, at least two defects")
    if np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise ThermodefectError("POD needs positive, finite defect sizes")
    if y.min() == y.max():
        raise ThermodefectError(
            f"POD is not estimable: all {a.size} defects were {'hit' if y[0] else 'missed'}"
        )
    x = np.log(a)
    largest_miss, smallest_hit = x[y == 0].max(), x[y == 1].min()
    if largest_miss <= smallest_hit:
        miss, hit = np.exp(largest_miss), np.exp(smallest_hit)
        how = (
            f"every defect larger than {hit:.3g} hit, every smaller one missed, those of "
            f"{hit:.3g} both"
            if largest_miss == smallest_hit
            else f"every defect of {hit:.3g} or more hit, every one of {miss:.3g} or less missed"
        )
        raise ThermodefectError(
            f"POD is not estimable: hits and misses are separated by size ({how}); the "
            "maximum-likelihood curve would be a step"
        )
    design = np.column_stack([np.ones_like(x), x])
    b = np.array([_ppf(link, np.clip(y.mean(), 0.05, 0.95)), 0.0])
    for _ in range(100):
        eta = design @ b
        p = np.clip(_cdf(link, eta), 1e-12, 1 - 1e-12)
        f = np.maximum(_pdf(link, eta), 1e-300)
        w = f**2 / (p * (1 - p))
        info = design.T @ (w[:, None] * design)
        try:
            step = np.linalg.solve(info, design.T @ ((y - p) * f / (p * (1 - p))))
        except np.linalg.LinAlgError:
            step = np.full(2, np.nan)
        if not np.all(np.isfinite(step)):
            raise ThermodefectError(
                "POD is not estimable: the likelihood has no maximum (hits and misses are "
                "almost separated by size)"
            )
        b = b + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        raise ThermodefectError("POD is not estimable: the fit did not converge in 100 steps")
    if b[1] <= 0:
        raise ThermodefectError("POD is not estimable: detection does not improve with size")
    eta = design @ b
    p = np.clip(_cdf(link, eta), 1e-12, 1 - 1e-12)
    w = np.maximum(_pdf(link, eta), 1e-300) ** 2 / (p * (1 - p))
    cov = np.linalg.inv(design.T @ (w[:, None] * design))
    best = _loglik(link, x, y, b)
    region = _lr_region(link, x, y, b, cov, best, rays)
    return PODFit(link, float(b[0]), float(b[1]), cov, best, int(a.size), int(y.sum()), region)


def _lr_region(link, x, y, b, cov, best, rays: int) -> np.ndarray:
    """Boundary points of {beta : 2 (best - l(beta)) <= chi2_1(0.90)} along ``rays`` rays."""
    scale = np.linalg.cholesky(cov)
    points = []
    for theta in np.linspace(0, 2 * np.pi, rays, endpoint=False):
        d = scale @ np.array([np.cos(theta), np.sin(theta)])

        def excess(r, d=d):
            return 2 * (best - _loglik(link, x, y, b + r * d)) - CHI2_1_90

        hi = 1.0
        while excess(hi) < 0 and hi < 1e4:
            hi *= 2
        r = optimize.brentq(excess, 0.0, hi) if excess(hi) > 0 else hi
        points.append(b + r * d)
    return np.array(points)
