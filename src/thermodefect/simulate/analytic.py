"""Analytic solutions of flash thermography used as references (Parker 1961; Carslaw & Jaeger;
the thermal quadrupoles of Maillet et al., "Thermal quadrupoles", Wiley 2000).

Units: time in s, lengths in m, diffusivity in m^2/s, ``energy`` is the absorbed energy per
area divided by the volumetric heat capacity, Q/(rho c), in K m.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "N_TERMS",
    "half_rise_time",
    "layered_front",
    "parker_front",
    "parker_rear",
    "semi_infinite_front",
]

N_TERMS = 200
STEHFEST_TERMS = 14


def parker_front(
    t: np.ndarray, thickness: float, diffusivity: float, energy: float = 1.0
) -> np.ndarray:
    """Front-face temperature rise of an adiabatic plate after an instantaneous flash.

    T(0, t) = Q/(rho c L) [1 + 2 sum_n exp(-n^2 pi^2 a t / L^2)]. The Fourier series is used
    where it converges fast (a t / L^2 > 0.1); earlier, the equivalent image series
    Q/(rho c sqrt(pi a t)) [1 + 2 sum_n exp(-n^2 L^2 / (a t))].

    Parameters
    ----------
    t : array_like
        Times after the flash, s (positive).
    thickness : float
        L, m.
    diffusivity : float
        a, m^2/s.
    energy : float
        Q/(rho c), K m.

    Returns
    -------
    ndarray
        K.

    Raises
    ------
    ValueError
        For times that are not positive.
    """
    t = np.asarray(t, np.float64)
    if np.any(t <= 0):
        raise ValueError("times must be positive")
    fo = diffusivity * t / thickness**2
    n = np.arange(1, N_TERMS + 1)[:, None]
    out = np.empty_like(fo)
    late = fo > 0.1
    fl, fe = fo[late], fo[~late]
    out[late] = energy / thickness * (1 + 2 * np.exp(-(n**2) * np.pi**2 * fl).sum(0))
    image_sum = 1 + 2 * np.exp(-(n**2) / fe).sum(0)
    out[~late] = energy / (thickness * np.sqrt(np.pi * fe)) * image_sum
    return out


def parker_rear(
    t: np.ndarray, thickness: float, diffusivity: float, energy: float = 1.0
) -> np.ndarray:
    """Rear-face temperature rise of the same plate (the series with (-1)^n).

    Parameters
    ----------
    t : array_like
        Times after the flash, s (positive).
    thickness : float
        L, m.
    diffusivity : float
        a, m^2/s.
    energy : float
        Q/(rho c), K m.

    Returns
    -------
    ndarray
        K.
    """
    t = np.asarray(t, np.float64)
    fo = diffusivity * t / thickness**2
    n = np.arange(1, N_TERMS + 1)[:, None]
    return (
        energy
        / thickness
        * (1 + 2 * ((-1.0) ** n * np.exp(-(n**2) * np.pi**2 * fo[None, :])).sum(0))
    )


def semi_infinite_front(t: np.ndarray, effusivity: float, energy_per_area: float) -> np.ndarray:
    """Front-face rise of a semi-infinite body, Q / (e sqrt(pi t)).

    Parameters
    ----------
    t : array_like
        Times after the flash, s (positive).
    effusivity : float
        e = sqrt(k rho c), W s^0.5 / (m^2 K).
    energy_per_area : float
        Absorbed Q, J/m^2.

    Returns
    -------
    ndarray
        K.
    """
    t = np.asarray(t, np.float64)
    return energy_per_area / (effusivity * np.sqrt(np.pi * t))


def half_rise_time(thickness: float, diffusivity: float) -> float:
    """Rear-face half-rise time of the flash method, t_1/2 = 0.1388 L^2 / a.

    Parameters
    ----------
    thickness : float
        L, m.
    diffusivity : float
        a, m^2/s.

    Returns
    -------
    float
        s.

    Examples
    --------
    >>> round(half_rise_time(2e-3, 4.2e-7), 3)
    1.322
    """
    return 0.1388 * thickness**2 / diffusivity


def layered_front(t: np.ndarray, layers, energy_per_area: float) -> np.ndarray:
    """Front-face temperature rise of an adiabatic stack of layers after an instantaneous flash.

    Thermal quadrupoles: each layer of thickness e, conductivity k and diffusivity a is the
    matrix [[cosh(q e), sinh(q e) / (k q)], [k q sinh(q e), cosh(q e)]] with q = sqrt(p / a) in
    the Laplace domain; with no flux through the rear face, the front temperature is
    Q A / C of their product. Each matrix is divided by its cosh (the ratio is unchanged, and
    nothing overflows at short times); the transform is inverted by Stehfest's algorithm
    (:data:`STEHFEST_TERMS` terms, relative error about 1e-5 on these smooth curves).

    Parameters
    ----------
    t : array_like
        Times after the flash, s (positive).
    layers : sequence of (float, float, float)
        (thickness m, conductivity W/(m K), volumetric heat capacity J/(m^3 K)) per layer,
        from the front face.
    energy_per_area : float
        Absorbed Q, J/m^2.

    Returns
    -------
    ndarray
        K.

    Raises
    ------
    ValueError
        For times that are not positive.
    """
    t = np.asarray(t, np.float64)
    if np.any(t <= 0):
        raise ValueError("times must be positive")
    n = STEHFEST_TERMS
    weights = _stehfest_weights(n)
    p = np.log(2) / t[..., None] * np.arange(1, n + 1)
    a_, b_, c_, d_ = np.ones_like(p), np.zeros_like(p), np.zeros_like(p), np.ones_like(p)
    for thickness, k, rho_c in layers:
        q = np.sqrt(p * rho_c / k)
        tanh = np.tanh(q * thickness)
        a_, b_, c_, d_ = (a_ + b_ * k * q * tanh, a_ * tanh / (k * q) + b_,
                          c_ + d_ * k * q * tanh, c_ * tanh / (k * q) + d_)  # fmt: skip
    image = energy_per_area * a_ / c_
    return np.log(2) / t * (image * weights).sum(axis=-1)


def _stehfest_weights(n: int) -> np.ndarray:
    """Stehfest's coefficients V_1..V_n (n even)."""
    from math import factorial

    half = n // 2
    out = np.zeros(n)
    for i in range(1, n + 1):
        for k in range((i + 1) // 2, min(i, half) + 1):
            out[i - 1] += (k**half * factorial(2 * k)) / (
                factorial(half - k) * factorial(k) * factorial(k - 1) * factorial(i - k)
                * factorial(2 * k - i)
            )  # fmt: skip
        out[i - 1] *= (-1) ** (i + half)
    return out
