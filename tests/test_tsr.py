"""TSR against exact log-log polynomials and the semi-infinite slope."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from thermodefect import ThermodefectError
from thermodefect.methods import tsr
from thermodefect.sequence import Sequence

TIMES = np.linspace(0.05, 5.0, 100)


def _from_log_poly(coeffs, shape=(3, 4)):
    """Frames whose ln T is the polynomial ``coeffs`` (increasing powers) in ln t."""
    log_t = np.log(TIMES)
    values = np.exp(np.polynomial.polynomial.polyval(log_t, coeffs))
    return (values[:, None, None] * np.ones(shape)).astype(np.float32)


def test_degree_five_polynomial_is_reconstructed_with_its_derivatives():
    coeffs = [0.3, -0.5, 0.02, 0.01, -0.003, 0.0005]
    frames = _from_log_poly(coeffs)
    fit = tsr(frames, 5, times=TIMES)
    assert_allclose(fit.reconstruction(), frames, rtol=5e-5)
    log_t = np.log(TIMES)
    d1 = np.polynomial.polynomial.polyval(log_t, np.polynomial.polynomial.polyder(coeffs))
    d2 = np.polynomial.polynomial.polyval(log_t, np.polynomial.polynomial.polyder(coeffs, 2))
    assert_allclose(fit.derivative(1)[:, 1, 2], d1, atol=5e-5)
    assert_allclose(fit.derivative(2)[:, 1, 2], d2, atol=5e-4)


def test_semi_infinite_cooling_has_slope_minus_one_half():
    fit = tsr(Sequence(_from_log_poly([1.0, -0.5]), TIMES), 5)
    assert_allclose(fit.derivative(1), -0.5, atol=5e-5)
    assert_allclose(fit.derivative(2), 0.0, atol=5e-4)


def test_peak_time_of_first_derivative_follows_a_step_in_log_time():
    # ln T = -ln(t)/2 + 0.3 tanh(ln t): the slope -1/2 + 0.3 sech^2(ln t) peaks at t = 1 s.
    times = np.geomspace(0.05, 20.0, 100)
    log_t = np.log(times)
    curve = np.exp(-0.5 * log_t + 0.3 * np.tanh(log_t))
    fit = tsr((curve[:, None, None] * np.ones((2, 2))).astype(np.float32), 7, times=times)
    grid = np.geomspace(times[0], times[-1], 200)
    d1 = fit.derivative(1, grid)[:, 0, 0]
    assert fit.peak_time(1)[0, 0] == pytest.approx(grid[np.argmax(d1)])
    assert fit.peak_time(1)[0, 0] == pytest.approx(1.0, rel=0.05)


def test_torch_matches_numpy_and_registry():
    frames = _from_log_poly([0.1, -0.4, 0.05])
    ref = tsr(frames, 4, times=TIMES)
    out = tsr(torch.from_numpy(frames), 4, times=TIMES)
    assert isinstance(out.coefficients, torch.Tensor)
    assert_allclose(out.derivative(1).numpy(), ref.derivative(1), atol=1e-5)


def test_tsr_errors():
    frames = _from_log_poly([0.0, -0.5])
    with pytest.raises(ThermodefectError, match="needs the frame times"):
        tsr(frames)
    with pytest.raises(ThermodefectError, match="positive times"):
        tsr(frames, times=TIMES - 1)
    with pytest.raises(ThermodefectError, match="degree must be between 1 and 99"):
        tsr(frames, 100, times=TIMES)
    with pytest.raises(ThermodefectError, match="all zero"):
        tsr(np.zeros_like(frames), times=TIMES)


def test_values_below_the_floor_are_raised_to_it_before_the_log():
    frames = _from_log_poly([0.0, -0.5])
    noisy = frames.copy()
    noisy[60:, 0, 0] = -0.01  # noise below zero late in the cooling
    fit = tsr(noisy, 3, times=TIMES, floor=1e-3)
    raised = np.maximum(noisy, 1e-3 * frames.max())
    assert np.isfinite(fit.coefficients).all()
    assert_allclose(fit.coefficients, tsr(raised, 3, times=TIMES).coefficients, rtol=1e-5)
    assert_allclose(fit.coefficients[:, 1, 1], tsr(frames, 3, times=TIMES).coefficients[:, 1, 1])
