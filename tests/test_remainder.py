"""The second look of PCT: fitted again without the regions found (detect.remainder)."""

from __future__ import annotations

import numpy as np
import pytest

from thermodefect.detect.classical import detect, mask_of, prepare
from thermodefect.detect.features import features
from thermodefect.detect.remainder import elongation, hidden_regions, left_out
from thermodefect.errors import ThermodefectError
from thermodefect.evaluate.matching import match_defects
from thermodefect.methods import pct_fitted_on
from thermodefect.sequence import Meta, Sequence

T, H, W = 30, 48, 64


def _disc(row: int, col: int, radius: float) -> np.ndarray:
    rr, cc = np.mgrid[:H, :W]
    return (rr - row) ** 2 + (cc - col) ** 2 <= radius**2


def _mode(j: int) -> np.ndarray:
    """The j-th cosine of the DCT-II over T frames, less its first value: centred in time,
    orthogonal to every other j; no contrast at the flash (a mark's would be there)."""
    wave = np.cos(np.pi * j * (np.arange(T) + 0.5) / T)
    return wave - wave[0]


def _plate(weak: float) -> Sequence:
    """A plate cooling from 1.5 to 0.5 (a first cosine) with noise of 0.01, a strong defect
    whose four temporal modes (cosines 2-5, amplitudes 5-2, on discs of radius 6-3) fill PCT's
    first components beside the cooling, and a weak defect of amplitude ``weak`` with a
    mode of its own (cosine 7)."""
    frames = np.broadcast_to((1 + 0.5 * _mode(1))[:, None, None], (T, H, W)).astype(np.float64)
    for j, radius in enumerate((6, 5, 4, 3)):
        frames = frames + (5 - j) * _mode(j + 2)[:, None, None] * _disc(24, 14, radius)
    frames = frames + weak * _mode(7)[:, None, None] * _disc(24, 48, 4)
    frames = frames + 0.01 * np.random.default_rng(0).standard_normal((T, H, W))
    truth = _disc(24, 14, 6) | _disc(24, 48, 4)
    times = (np.arange(T) + 1) / 10.0
    return Sequence(frames.astype(np.float32), times, truth, Meta(frame_rate=10.0))


def test_a_weak_defect_whose_mode_the_strong_one_pushed_out_of_the_first_components_is_found():
    seq = _plate(weak=0.1)
    cooling = prepare(seq)
    feature, faint = features(cooling, "pct")
    first = mask_of(feature, cooling, faint=faint)
    assert match_defects(first, seq.mask).hits.tolist() == [True, False]
    added, evidence = hidden_regions(cooling, feature, first, z_min=5.0, min_area=9)
    assert match_defects(added, seq.mask).hits.tolist() == [False, True]
    assert not (added & first).any() and evidence[_disc(24, 48, 2)].min() > 20
    found = detect(seq, "pct")
    match = match_defects(found.mask, seq.mask)
    assert match.hits.all() and match.false_calls == 0 and len(found.regions) == 2


def test_a_lone_strong_defect_gains_no_region_from_the_second_look():
    seq = _plate(weak=0.0)
    found = detect(seq, "pct")
    assert len(found.regions) == 1
    assert match_defects(found.mask, seq.mask).hits.tolist() == [True, False]


def _wide_plate(weak: float, col: int = 80) -> Sequence:
    """A plate 128 pixels wide with the strong defect of :func:`_plate` and a weak one on a
    disc of radius 7 at (24, ``col``), its own mode (cosine 7) at amplitude ``weak``."""
    shape = (T, H, 128)
    rr, cc = np.mgrid[:H, :128]

    def disc(col_: int, radius: int) -> np.ndarray:
        return (rr - 24) ** 2 + (cc - col_) ** 2 <= radius**2

    frames = np.broadcast_to((1 + 0.5 * _mode(1))[:, None, None], shape).astype(np.float64)
    for j, radius in enumerate((6, 5, 4, 3)):
        frames = frames + (5 - j) * _mode(j + 2)[:, None, None] * disc(14, radius)
    frames = frames + weak * _mode(7)[:, None, None] * disc(col, 7)
    frames = frames + 0.01 * np.random.default_rng(0).standard_normal(shape)
    times = (np.arange(T) + 1) / 10.0
    return Sequence(frames.astype(np.float32), times, disc(14, 6) | disc(col, 7),
                    Meta(frame_rate=10.0))  # fmt: skip


def test_a_large_defect_under_the_level_in_every_pixel_is_found_on_the_blurred_evidence():
    seq = _wide_plate(weak=0.006)
    cooling = prepare(seq)
    feature, faint = features(cooling, "pct")
    first = mask_of(feature, cooling, faint=faint)
    added, evidence = hidden_regions(cooling, feature, first, z_min=5.0, min_area=9)
    weak = seq.mask & ~first
    assert evidence[weak].max() < 5.0  # no pixel of it reaches the level: found blurred
    match = match_defects(added, weak)  # the weak disc found, nothing else
    assert match.hits.tolist() == [True] and match.false_calls == 0
    found = detect(seq, "pct")
    assert match_defects(found.mask, seq.mask).hits.all()
    assert found.tentative is not None and (found.tentative & weak).any()
    assert not (found.tentative & first).any()


def test_a_large_faint_region_next_to_the_rim_of_a_strong_defects_halo_is_not_added(monkeypatch):
    import thermodefect.detect.remainder as remainder

    seq = _wide_plate(weak=0.008, col=36)  # its blurred evidence 4 pixels from the rim
    cooling = prepare(seq)
    feature, faint = features(cooling, "pct")
    first = mask_of(feature, cooling, faint=faint)
    added, _ = hidden_regions(cooling, feature, first, z_min=5.0, min_area=9)
    assert not added.any()
    monkeypatch.setattr(remainder, "WIDE_CLEARANCE", 0)
    added, _ = hidden_regions(cooling, feature, first, z_min=5.0, min_area=9)
    match = match_defects(added, seq.mask & ~first)  # found where the rim is not kept clear
    assert match.hits.tolist() == [True] and match.false_calls == 0


def test_the_second_look_leaves_a_region_its_halo_and_its_own_radius_out():
    feature = np.zeros((H, W))
    mask = _disc(24, 14, 4)  # 49 pixels: equivalent radius 3.95
    feature[_disc(24, 14, 6)] = 3.0  # its halo at z 3
    feature[_disc(24, 48, 3)] = 3.0  # another faint spot, not connected
    out = left_out(feature, mask)
    assert out[_disc(24, 14, 6 + 2)].all()  # halo grown by 2 pixels
    assert not out[_disc(24, 48, 3)].any()
    assert not out[24, 14 + 9] and not out[24, 40]
    alone = left_out(np.zeros((H, W)), mask)
    assert alone[24, 14 + 4 + 2] and not alone[24, 14 + 4 + 4 + 1]


def test_elongation_of_a_row_a_rectangle_a_disc_and_a_diagonal_by_hand():
    labels = np.zeros((H, W), int)
    labels[2, 1:13] = 1  # 1 x 12: variances 1/12 and 144/12
    labels[5:9, 20:28] = 2  # 4 x 8: variances 16/12 and 64/12
    labels[_disc(30, 14, 6)] = 3
    for i in range(10):
        labels[20 + i, 40 + i] = 4  # a diagonal of 10 pixels
    np.testing.assert_allclose(elongation(labels, 4)[:3], [12.0, 2.0, 1.0], atol=1e-9)
    assert elongation(labels, 4)[3] > 8


def test_nothing_found_means_no_second_look():
    seq = _plate(weak=0.1)
    cooling = prepare(seq)
    feature, _ = features(cooling, "pct")
    added, evidence = hidden_regions(
        cooling, feature, np.zeros((H, W), bool), z_min=5.0, min_area=9
    )
    assert not added.any() and not evidence.any()


def test_pct_fitted_on_some_pixels_projects_every_pixel_on_their_temporal_function():
    a, b = np.sin(np.arange(20) / 3), np.cos(np.pi * np.arange(20) / 10)
    u = np.random.default_rng(1).uniform(1, 2, (8, 8))
    fit = np.ones((8, 8), bool)
    fit[:, 6:] = False
    frames = np.where(fit, a[:, None, None] * u, b[:, None, None])  # the fit reads a alone
    comps = pct_fitted_on(frames.astype(np.float32), fit, 1)
    ac, bc = a - a.mean(), b - b.mean()
    # temporal function ac / |ac|; each pixel's centred history projected on it
    expected = np.where(fit, u * np.linalg.norm(ac), bc @ ac / np.linalg.norm(ac))
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(comps[0], expected, atol=1e-5)  # largest pixel already positive
    fewer = pct_fitted_on(frames.astype(np.float32), fit, 1, most=5)  # every 10th pixel
    np.testing.assert_allclose(fewer, comps, atol=1e-5)


def test_pct_fitted_on_less_smooth_surfaces_equals_it_on_the_frames_less_them():
    from thermodefect.preprocess.heating import legendre_axes

    rng = np.random.default_rng(4)
    frames = rng.normal(size=(40, 30, 36)).astype(np.float32)
    fit = np.ones((30, 36), bool)
    fit[10:20, 10:20] = False
    surfaces = rng.normal(size=(40, 4, 4))
    ys, xs = legendre_axes(30, 36, 3)
    less = np.stack([ys @ c @ xs.T for c in surfaces]).astype(np.float32)
    np.testing.assert_allclose(pct_fitted_on(frames, fit, 3, less=surfaces),
                               pct_fitted_on(frames - less, fit, 3), atol=1e-6)  # fmt: skip


def test_pct_fitted_on_refuses_too_few_pixels_and_bad_k():
    frames = np.random.default_rng(0).normal(size=(10, 4, 4)).astype(np.float32)
    with pytest.raises(ThermodefectError, match="at least 2 pixels"):
        pct_fitted_on(frames, np.eye(4, dtype=bool) & (np.arange(4) == 0), 2)
    with pytest.raises(ThermodefectError, match="k must be between 1"):
        pct_fitted_on(frames, np.ones((4, 4), bool), 11)
