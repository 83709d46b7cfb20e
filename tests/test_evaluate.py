"""Metrics, defect matching, CNR and POD against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from thermodefect import ThermodefectError
from thermodefect.evaluate import (
    average_precision,
    contrast_to_noise,
    match_defects,
    pixel_scores,
)
from thermodefect.evaluate.pod import fit_pod


def test_pixel_scores_hand_computed():
    truth = np.zeros((4, 4), bool)
    truth[0, :3] = True  # 3 defect pixels
    pred = np.zeros((4, 4), bool)
    pred[0, 1:4] = True  # 2 right, 1 false
    s = pixel_scores(pred, truth)
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 12)
    assert s.iou == pytest.approx(2 / 4)
    assert s.dice == pytest.approx(4 / 6) == s.f1
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    assert s.accuracy == pytest.approx(14 / 16)


def test_empty_masks_have_defined_scores():
    empty = np.zeros((3, 3), bool)
    sound = pixel_scores(empty, empty)
    assert sound.iou == sound.dice == sound.precision == sound.recall == 1.0
    called = pixel_scores(np.eye(3, dtype=bool), empty)
    assert called.iou == 0.0 and called.precision == 0.0 and called.recall == 0.0
    with pytest.raises(ThermodefectError, match="prediction is 3x3 but the ground truth is 4x4"):
        pixel_scores(empty, np.zeros((4, 4), bool))


def test_average_precision_hand_computed():
    truth = np.array([1, 0, 1, 0], bool)
    scores = np.array([0.9, 0.8, 0.7, 0.1])
    # ranks: hit (P=1, R=.5), miss, hit (P=2/3, R=1): AP = .5*1 + .5*2/3
    assert average_precision(scores, truth) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert average_precision(scores, ~np.ones(4, bool)) is None
    assert average_precision(np.ones(4), truth) == pytest.approx(0.5)


def test_match_defects_hits_misses_and_false_calls():
    truth = np.zeros((20, 20), bool)
    truth[2:6, 2:6] = True  # defect 1: found
    truth[2:6, 12:16] = True  # defect 2: grazed by 1 pixel of a region centred elsewhere
    truth[12:16, 2:6] = True  # defect 3: missed
    pred = np.zeros_like(truth)
    pred[3:6, 3:6] = True
    pred[5:9, 15:19] = True  # touches defect 2 at one pixel (5, 15): 1/16 < 20%
    pred[15:18, 14:17] = True  # false call
    m = match_defects(pred, truth)
    assert m.hits.tolist() == [True, False, False]
    assert m.false_calls == 1 and m.n_predicted == 3 and m.misses == 2
    assert match_defects(pred, truth, min_overlap=0.05).hits.tolist() == [True, True, False]


def test_contrast_to_noise():
    rng = np.random.default_rng(0)
    image = rng.normal(0, 0.5, (60, 60))
    defect = np.zeros((60, 60), bool)
    defect[25:35, 25:35] = True
    image[defect] += 3.0
    r = contrast_to_noise(image, defect)
    assert r["cnr"] == pytest.approx(6.0, rel=0.15)
    assert r["snr_db"] == pytest.approx(20 * np.log10(r["cnr"]))
    with pytest.raises(ThermodefectError, match="defect mask is empty"):
        contrast_to_noise(image, np.zeros_like(defect))


def test_pod_two_size_case_has_a_closed_form():
    # 1 of 5 hits at size 1, 4 of 5 at size 4: logit p = -ln 4 + 2 ln a exactly,
    # so a50 = 2 and a90 = 6.
    fit = fit_pod([1] * 5 + [4] * 5, [1, 0, 0, 0, 0, 1, 1, 1, 1, 0])
    assert fit.b1 == pytest.approx(2.0) and fit.b0 == pytest.approx(-np.log(4))
    assert fit.a50 == pytest.approx(2.0) and fit.a90 == pytest.approx(6.0)
    assert fit.a90_95 > fit.a90


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_pod_recovers_a_known_curve_and_bounds_are_consistent(link):
    from scipy import stats

    rng = np.random.default_rng(1)
    sizes = np.exp(rng.uniform(np.log(0.5), np.log(8), 600))
    cdf = stats.logistic.cdf if link == "logit" else stats.norm.cdf
    hits = rng.random(600) < cdf((np.log(sizes) - np.log(2.0)) / 0.3)
    fit = fit_pod(sizes, hits, link=link)
    assert fit.a50 == pytest.approx(2.0, rel=0.08)
    assert fit.sigma == pytest.approx(0.3, rel=0.2)
    assert fit.a90 < fit.a90_95 < 1.3 * fit.a90
    assert fit.lower_bound([fit.a90_95])[0] == pytest.approx(0.9, abs=2e-3)
    assert fit.a90_95_delta() == pytest.approx(fit.a90_95, rel=0.1)
    assert np.all(fit.lower_bound(sizes) <= fit.pod(sizes) + 1e-12)


def test_pod_refuses_data_that_define_no_curve():
    with pytest.raises(ThermodefectError, match="all 3 defects were hit"):
        fit_pod([1, 2, 3], [1, 1, 1])
    with pytest.raises(ThermodefectError, match="separated by size"):
        fit_pod([1, 2, 3, 4], [0, 0, 1, 1])
    with pytest.raises(ThermodefectError, match="those of 2 both"):  # a tie at the boundary
        fit_pod([1, 2, 2, 3, 4], [0, 0, 1, 1, 1])


def test_pod_sizes_outside_the_tested_range_are_not_reported():
    from thermodefect.benchmark.summary import pod_sizes

    sizes = [2.0, 3, 3, 4, 5, 6, 8]
    fit = fit_pod(sizes, [0, 1, 0, 1, 0, 1, 1])
    shown = pod_sizes(fit, sizes)
    for name, value in (("a50", fit.a50), ("a90", fit.a90), ("a90_95", fit.a90_95)):
        inside = value is not None and 2.0 <= value <= 8.0
        assert (shown[name] == value) if inside else shown[name] is None, name
    assert pod_sizes(fit, [fit.a90 * 0.99, fit.a90 * 0.999])["a90"] is None
    with pytest.raises(ThermodefectError, match="positive"):
        fit_pod([0, 2, 3], [0, 1, 1])
