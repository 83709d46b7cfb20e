"""The learned depth estimator: its input reads a defect on the plate's diffusion scale, its
training is deterministic and its file round-trips."""

from __future__ import annotations

import numpy as np

from thermodefect.detect.depth_learned import (
    GRID_MM,
    curve_features,
    fit_regressor,
    load_regressor,
)
from thermodefect.simulate.analytic import parker_front

N = len(GRID_MM)


def _features(a: float, rate: float, seconds: float, z: float = 0.8e-3):
    times = (np.arange(int(rate * seconds)) + 1) / rate
    defect, sound = parker_front(times, z, a), parker_front(times, 4e-3, a)
    return curve_features(times, defect, sound, a, diameter_mm=4.0, spread=1.0,
                          analytic_mm={"contrast": 0.8})  # fmt: skip


def test_a_defect_in_a_four_times_faster_material_recorded_four_times_faster_reads_the_same():
    """Times scale as z^2 / a: the curves sampled where sqrt(a t) is on the grid agree."""
    slow, fast = _features(4e-7, 50.0, 60.0), _features(1.6e-6, 200.0, 15.0)
    both = (slow[2 * N : 3 * N] > 0) & (fast[2 * N : 3 * N] > 0)
    assert both.sum() >= N // 2
    for part in (slice(0, N), slice(N, 2 * N)):
        assert np.allclose(slow[part][both], fast[part][both], atol=0.02)


def test_grid_points_the_record_does_not_reach_are_zero_and_marked_missing():
    short = _features(4e-7, 50.0, 2.0)  # sqrt(a t) reaches 0.9 mm at most
    covered = short[2 * N : 3 * N]
    assert covered[GRID_MM > 1.0].sum() == 0 and covered[(GRID_MM > 0.2) & (GRID_MM < 0.8)].all()
    assert np.all(short[:N][covered == 0] == 0)
    assert 0.9 < np.max(np.abs(short[: 2 * N])) <= 1.0  # shapes peak at 1 between grid points


def test_training_is_deterministic_fits_a_smooth_target_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6))
    y = 0.5 * x[:, 0] - 0.3 * x[:, 1] ** 2
    first = fit_regressor(x[:200], y[:200], x[200:], y[200:], members=2, epochs=400, seed=1)
    second = fit_regressor(x[:200], y[:200], x[200:], y[200:], members=2, epochs=400, seed=1)
    mean, std = first.predict(x[200:])
    assert np.array_equal(mean, second.predict(x[200:])[0])
    assert np.sqrt(np.mean((mean - y[200:]) ** 2)) < 0.2 * np.std(y)
    assert std.shape == mean.shape and first.residual[0] < 0 < first.residual[1]
    loaded = load_regressor(first.save(tmp_path / "r.npz"))
    assert np.allclose(loaded.predict(x[200:])[0], mean)


def test_no_file_means_no_learned_estimate(tmp_path):
    assert load_regressor(tmp_path / "missing.npz") is None
