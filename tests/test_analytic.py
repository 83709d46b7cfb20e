"""The analytic references agree with each other and with the flash-method constants."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from thermodefect.simulate.analytic import (
    half_rise_time,
    layered_front,
    parker_front,
    parker_rear,
    semi_infinite_front,
)


def test_fourier_and_image_series_agree_where_they_meet():
    thickness, a = 2e-3, 4e-7
    fo = np.array([0.099, 0.1, 0.101])
    t = fo * thickness**2 / a
    values = parker_front(t, thickness, a)
    assert_allclose(values, values[1], rtol=0.02)


def test_front_face_tends_to_semi_infinite_early_and_to_q_over_l_late():
    thickness, a, q = 3e-3, 5e-7, 1e-3
    early = np.array([1e-3, 1e-2]) * thickness**2 / a
    rho_c = 1.5e6
    effusivity = np.sqrt(a) * rho_c
    assert_allclose(
        parker_front(early, thickness, a, q),
        semi_infinite_front(early, effusivity, q * rho_c),
        rtol=1e-9,
    )
    assert parker_front(np.array([50 * thickness**2 / a]), thickness, a, q)[0] == pytest.approx(
        q / thickness
    )


def test_rear_face_reaches_half_at_the_flash_method_time():
    thickness, a = 2e-3, 4e-7
    t_half = half_rise_time(thickness, a)
    assert parker_rear(np.array([t_half]), thickness, a)[0] == pytest.approx(
        0.5 / thickness, rel=2e-3
    )


def test_quadrupoles_of_one_material_are_parkers_plate():
    thickness, k, rho_c = 2e-3, 0.6, 1.5e6
    t = np.geomspace(0.01, 30.0, 25)
    expected = parker_front(t, thickness, k / rho_c, 6000.0 / rho_c)
    assert_allclose(layered_front(t, [(thickness, k, rho_c)], 6000.0), expected, rtol=5e-4)
    halves = [(thickness / 2, k, rho_c)] * 2
    assert_allclose(layered_front(t, halves, 6000.0), expected, rtol=5e-4)


def test_an_insulating_layer_keeps_the_heat_in_the_layer_above_it():
    """Behind 1 mm of air the front 0.5 mm holds the pulse: once its own profile is flat
    (0.5 s) its rise is Q / (rho c 0.5 mm), less the 2 % leaked through the air (R C = 28 s),
    before it spreads over the whole plate."""
    cfrp, air = (0.6, 1.5e6), (0.0263, 1170.0)
    stack = [(0.5e-3, *cfrp), (1e-3, *air), (1.5e-3, *cfrp)]
    t = np.array([0.5, 1e5])
    plateau, final = layered_front(t, stack, 6000.0)
    assert plateau == pytest.approx(6000.0 / (1.5e6 * 0.5e-3), rel=0.03)
    assert final == pytest.approx(6000.0 / (1.5e6 * 2e-3 + 1170.0 * 1e-3), rel=1e-3)
