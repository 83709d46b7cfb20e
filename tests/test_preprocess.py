"""Preprocessing against hand-computed cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from thermodefect import ThermodefectError
from thermodefect import preprocess as pp
from thermodefect.sequence import Meta, Sequence

from .conftest import simulated_plate


def _with_flash(preflash=5, n=40):
    t = np.arange(n, dtype=np.float64)
    curve = np.where(t < preflash, 2.0, 2.0 + 10.0 / np.sqrt(np.maximum(t - preflash + 1, 1)))
    frames = np.broadcast_to(curve[:, None, None], (n, 4, 5)).astype(np.float32).copy()
    return Sequence(frames, t / 10.0, meta=Meta(frame_rate=10.0))


def test_baselines_subtract_the_named_reference(ramp):
    assert_allclose(pp.subtract_baseline(ramp, "first").frames[:, 0, 0], np.arange(20))
    assert_allclose(pp.subtract_baseline(ramp, "last").frames[:, 0, 0], np.arange(20) - 19)
    out = pp.subtract_baseline(ramp, "last_mean", n=4)
    assert_allclose(out.frames[:, 0, 0], np.arange(20) - 17.5)
    assert out.meta.baseline == "last_mean" and ramp.meta.baseline == "unknown"
    assert_array_equal(pp.subtract_baseline(ramp, "none").frames, ramp.frames)
    seq = _with_flash(preflash=5)
    assert_allclose(pp.subtract_baseline(seq, "preflash").frames[:5], 0)


def test_baseline_errors(ramp):
    with pytest.raises(ThermodefectError, match="baseline must be one of"):
        pp.subtract_baseline(ramp, "median")
    with pytest.raises(ThermodefectError, match="no pre-flash frames"):
        pp.subtract_baseline(_with_flash(preflash=0), "preflash")


def test_flash_detection_and_cooling_extraction():
    seq = _with_flash(preflash=5)
    assert pp.detect_flash(seq) == 5
    cool = pp.extract_cooling(seq)
    assert cool.n_frames == 34
    assert_allclose(cool.times[0], 0.1)
    assert cool.meta.extra["flash_frame"] == 5
    rising = Sequence(np.cumsum(seq.frames, axis=0), seq.times)
    with pytest.raises(ThermodefectError, match="no cooling after the flash"):
        pp.extract_cooling(rising)


def test_a_slow_flash_starts_before_its_peak():
    seq = _with_flash(preflash=5)
    seq.frames[5:8] = np.array([4.0, 7.0, 13.0])[:, None, None]  # rises over three frames
    assert pp.detect_flash(seq) == 7 and pp.flash_onset(seq) == 5
    assert_allclose(pp.subtract_baseline(seq, "preflash").frames[:5], 0)
    assert_allclose(pp.rise_baseline(seq), 2.0)
    assert pp.flash_onset(_with_flash(preflash=0)) == 0


def test_a_rise_is_recognised_and_offsets_are_removed_by_the_preflash_mean():
    offset = _with_flash(preflash=5)  # 2.0 before the flash, a jump of 10
    assert_allclose(pp.rise_baseline(offset), 2.0)
    rise = pp.to_rise(offset)
    assert_allclose(rise.frames[:5], 0)
    assert rise.meta.history[-1] == "rise(pre-flash mean)"
    assert rise.meta.baseline == "preflash" and offset.frames[0, 0, 0] == 2.0
    small = Sequence(offset.frames - 1.6, offset.times)  # 0.4 = 4 % of the jump: a rise
    assert pp.rise_baseline(small) is None and pp.to_rise(small) is small
    assert not pp.absolute_without_preflash(offset)
    no_preflash = Sequence(offset.frames[5:], offset.times[5:])
    assert pp.rise_baseline(no_preflash) is None
    assert not pp.absolute_without_preflash(no_preflash)  # ends at 3.7 after falling by 8.3
    kelvin = Sequence(offset.frames[5:] + 293.0, offset.times[5:])
    assert pp.absolute_without_preflash(kelvin)


def test_crop_keeps_mask_in_step(ramp):
    out = pp.crop(ramp, frames=(2, 18), rows=(1, 4), cols=(2, 6))
    assert out.shape == (16, 3, 4)
    assert_allclose(out.frames[0, 0, 0], 2 + 0.1 + 0.02, rtol=1e-6)
    assert_array_equal(out.mask, ramp.mask[1:4, 2:6])
    with pytest.raises(ThermodefectError, match="rows range 3:99"):
        pp.crop(ramp, rows=(3, 99))


def test_frame_indices_linear_and_log():
    assert_array_equal(pp.frame_indices(100, 5, start=20, stop=61), [20, 30, 40, 50, 60])
    log = pp.frame_indices(200, 16, start=10, spacing="log")
    assert len(np.unique(log)) == 16 and log[0] == 10 and log[-1] == 199
    gaps = np.diff(log)
    assert gaps[-1] > gaps[0]
    with pytest.raises(ThermodefectError, match="cannot take 16 frames"):
        pp.frame_indices(20, 16, start=10)


def test_select_frames_takes_the_seed_clip(ramp):
    clip = pp.select_frames(ramp, 16, start=2, stop=20)
    assert clip.n_frames == 16 and clip.frames[0, 0, 0] == 2 and clip.frames[-1, 0, 0] == 19


def test_resample_times_interpolates_linearly(ramp):
    out = pp.resample_times(ramp, np.array([0.01, 0.05, 0.37]))
    assert_allclose(out.frames[:, 0, 0], [0.5, 2.5, 18.5], rtol=1e-6)
    with pytest.raises(ThermodefectError, match="leave the recorded span"):
        pp.resample_times(ramp, np.array([0.0, 1.0]))


def test_log_times_for_log_resampling(ramp):
    cool = Sequence(ramp.frames, ramp.times + 0.1, meta=ramp.meta)
    grid = pp.log_times(cool, 5)
    np.testing.assert_allclose(grid, np.geomspace(0.1, cool.times[-1], 5))
    assert pp.resample_times(cool, grid).n_frames == 5
    with pytest.raises(ThermodefectError, match="extract the cooling first"):
        pp.log_times(ramp, 5)


def test_resize_area_is_block_mean_and_keeps_the_mean(ramp):
    out = pp.resize(ramp, (3, 4))
    assert_allclose(out.frames[0, 0, 0], ramp.frames[0, :2, :2].mean(), rtol=1e-6)
    assert out.meta.pixel_pitch_mm == pytest.approx(0.4)
    odd = pp.resize(ramp, (4, 5))
    assert_allclose(odd.frames.mean(axis=(1, 2)), ramp.frames.mean(axis=(1, 2)), rtol=1e-5)
    assert out.mask.shape == (3, 4)


def test_normalize_methods(random_seq):
    mm = pp.normalize(random_seq, "minmax")
    assert mm.frames.min() == 0 and mm.frames.max() == pytest.approx(1)
    z = pp.normalize(random_seq, "zscore", per="pixel")
    assert_allclose(z.frames.mean(axis=0), 0, atol=1e-5)
    assert_allclose(z.frames.std(axis=0), 1, rtol=1e-4)
    p = pp.normalize(random_seq, "percentile", per="frame", percentiles=(5, 95))
    assert p.frames.min() == 0 and p.frames.max() == 1
    const = Sequence(np.ones((16, 2, 2), np.float32), np.arange(16.0))
    assert_array_equal(pp.normalize(const, "minmax").frames, 0)


def test_savgol_keeps_a_quadratic_exactly():
    t = np.arange(30, dtype=np.float64)
    frames = np.broadcast_to((0.5 * t**2 - 3 * t)[:, None, None], (30, 2, 2)).astype(np.float32)
    seq = Sequence(frames.copy(), t)
    assert_allclose(pp.denoise_temporal(seq, window=7, polyorder=2).frames, frames, atol=1e-3)
    with pytest.raises(ThermodefectError, match="odd window"):
        pp.denoise_temporal(seq, window=8)


def test_spatial_filters_and_bad_pixels(random_seq):
    f = random_seq.frames.copy()
    f[:, 4, 5] = 100.0
    f[:, 7, 2] = 0.0
    seq = Sequence(f, random_seq.times)
    bad = pp.find_bad_pixels(seq)
    assert set(zip(*np.nonzero(bad), strict=True)) == {(4, 5), (7, 2)}
    fixed = pp.replace_bad_pixels(seq)
    neighbours = f[:, 3:6, 4:7].reshape(24, -1)
    expected = np.median(np.delete(neighbours, 4, axis=1), axis=1)
    assert_allclose(fixed.frames[:, 4, 5], expected, rtol=1e-6)
    assert pp.denoise_spatial(seq, "median", size=3).frames[0, 4, 5] < 10
    g = pp.denoise_spatial(random_seq, "gaussian", sigma=1.0)
    assert g.frames.std() < random_seq.frames.std()


def test_clusters_of_bad_pixels_are_filled_from_their_edge():
    rows = np.arange(12, dtype=np.float32)[:, None] * np.ones((1, 10), np.float32)
    frames = np.stack([rows * (1 + k) for k in range(16)])  # each frame constant along rows
    dead = np.zeros((12, 10), bool)
    dead[4:8, 3:7] = True  # a 4 x 4 cluster: its inner pixels have no good neighbour
    broken = frames.copy()
    broken[:, dead] = 0.0
    fixed = pp.fill_pixels(broken, dead)
    assert_allclose(fixed[:, ~dead], frames[:, ~dead])
    # (4, 4) sees the good pixels (3, 3..5) only: the median of row 3's values
    assert_allclose(fixed[:, 4, 4], frames[:, 3, 4])
    # every filled value lies between the rows that bound the cluster
    inside = fixed[:, 4:8, 3:7]
    assert np.all(inside >= frames[:, 3:4, 3:7]) and np.all(inside <= frames[:, 8:9, 3:7])
    seq = Sequence(broken, np.arange(16.0))
    assert pp.replace_bad_pixels(seq, dead).meta.history[-1] == "replace_bad_pixels(16)"
    with pytest.raises(ThermodefectError, match="every pixel is bad"):
        pp.replace_bad_pixels(seq, np.ones((12, 10), bool))


def _peak_to_peak(frames):
    return frames.max(axis=(1, 2)) - frames.min(axis=(1, 2))


def test_heating_correction_flattens_gaussian_flash_and_keeps_defects():
    sound = simulated_plate(shape=(64, 80), n_frames=40, heating="gaussian", clean=True)
    cool = sound.frames[6:]
    corrected = pp.correct_heating(sound).frames[6:]
    assert np.all(_peak_to_peak(corrected) <= 0.05 * _peak_to_peak(cool))

    hole = [(30, 40, 5, 0.4)]  # a 5-pixel hole under the unevenly heated centre
    defect = simulated_plate(hole, shape=(64, 80), n_frames=40, heating="gaussian", clean=True)
    fixed = pp.correct_heating(defect)
    ring = np.zeros((64, 80), bool)
    ring[22:39, 32:49] = True
    ring[26:35, 36:45] = False

    def contrast(frames):
        return frames[:, 30, 40] - frames[:, ring].mean(axis=1)

    before = contrast(defect.frames[6:])
    shows = before >= 0.2 * before.max()
    kept = contrast(fixed.frames[6:])[shows] / before[shows]
    assert shows.sum() >= 4
    assert np.all(np.abs(kept - 1) <= 0.20), kept


@pytest.mark.parametrize(
    "heating, low, high", [("uniform", 0.0, 0.02), ("gaussian", 0.1, 1.0), ("gradient", 0.1, 1.0)]
)
def test_heating_spread_tells_an_even_flash_from_a_lamp(heating, low, high):
    plate = simulated_plate(shape=(48, 64), n_frames=40, heating=heating)  # 40 % lost at most
    spread = pp.heating_spread(pp.extract_cooling(plate))
    assert low <= spread < high
    kelvin = Sequence(plate.frames + 295.15, plate.times, meta=plate.meta)
    assert pp.heating_spread(pp.extract_cooling(kelvin)) == pytest.approx(spread, rel=1e-3)


def test_stuck_pixels_are_found_on_absolute_temperatures():
    frames = 300 + np.random.default_rng(0).normal(0, 0.02, (300, 20, 20))
    frames = frames.astype(np.float32)
    frames[:, 5, 5] = 301.25  # stuck at a value near its neighbours
    frames[:, 9, 9] = 0.0  # dead
    bad = pp.find_bad_pixels(Sequence(frames, np.arange(300.0)))
    assert np.argwhere(bad).tolist() == [[5, 5], [9, 9]]
    mean, std = pp.bad_pixels.temporal_mean_std(frames)
    np.testing.assert_allclose(mean, frames.mean(axis=0, dtype=np.float64), rtol=1e-12)
    np.testing.assert_allclose(std, frames.std(axis=0, dtype=np.float64), rtol=1e-6, atol=1e-9)


def test_large_sequences_fit_the_heating_on_a_subsample_as_well(monkeypatch):
    from thermodefect.preprocess import heating

    hole = [(30, 40, 5, 0.4)]
    plate = simulated_plate(hole, shape=(64, 80), n_frames=40, heating="gaussian", clean=True)
    sound = simulated_plate(shape=(64, 80), n_frames=40, heating="gaussian", clean=True)
    exact, _ = pp.heating_background(plate)
    monkeypatch.setattr(heating, "SUBSAMPLE_ABOVE", 1000)  # treat these plates as large
    monkeypatch.setattr(heating, "FIT_PIXELS", 1300)  # every 2nd row and column
    monkeypatch.setattr(heating, "FIT_FRAMES", 16)
    sub, fitted = pp.heating_background(plate)
    assert np.all(_peak_to_peak(sub[6:] - exact[6:]) <= 0.03 * _peak_to_peak(exact[6:]))
    assert fitted.shape == (64, 80) and not fitted[28:33, 38:43].all()  # the hole left out
    flat = pp.correct_heating(sound).frames[6:]  # as flat as the exact fit makes it
    assert np.all(_peak_to_peak(flat) <= 0.05 * _peak_to_peak(sound.frames[6:]))
    in_place = plate.derive("copy", frames=plate.frames.copy())
    out = pp.correct_heating(in_place, inplace=True)
    assert out.frames is in_place.frames
    np.testing.assert_allclose(out.frames, pp.correct_heating(plate).frames, atol=1e-6)


def test_the_heating_fit_reads_only_the_pixels_it_is_given():
    """Degree-6 surfaces and noise plus, outside the given pixels, a bump 50 times their size:
    the fit on the given pixels returns the surfaces; on every pixel the bump bends them."""
    from thermodefect.preprocess.heating import heating_fit, legendre_axes

    t, h, w = 12, 40, 48
    ys, xs = legendre_axes(h, w, 6)
    coef = np.random.default_rng(3).normal(size=(t, 7, 7)) * 0.01
    frames = np.stack([ys @ c @ xs.T for c in coef])
    rr, cc = np.mgrid[:h, :w]
    bump = np.exp(-((rr - 12) ** 2 + (cc - 30) ** 2) / 8.0)
    frames = frames + 50 * np.abs(coef).max() * bump * np.linspace(1, 2, t)[:, None, None]
    frames = frames + np.random.default_rng(4).normal(0, 1e-4, frames.shape)  # camera noise
    seq = Sequence(frames.astype(np.float32), np.arange(1, t + 1) / 10.0)
    given = (rr - 12) ** 2 + (cc - 30) ** 2 > 100
    fitted, used = heating_fit(seq, pixels=given)
    assert_allclose(fitted, coef, atol=2e-4)
    assert not (used & ~given).any()
    bent, _ = heating_fit(seq)
    assert np.abs(bent - coef).max() > 10 * np.abs(fitted - coef).max()
    with pytest.raises(ThermodefectError, match=r"needs at least 196 pixels to read .* got 150"):
        heating_fit(seq, pixels=np.arange(h * w).reshape(h, w) < 150)
    small = Sequence(frames[:, :12, :12].astype(np.float32), seq.times)  # 144 pixels, none given
    assert heating_fit(small)[0].shape == (t, 7, 7)


def test_streaming_a_memory_mapped_file_releases_its_pages(tmp_path):
    from thermodefect.io import load
    from thermodefect.io.files import release_pages

    def resident_mib():
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) / 1024

    frames = np.lib.format.open_memmap(tmp_path / "x.npy", "w+", np.float32, (64, 512, 512))
    frames[:] = 1.0
    frames.flush()
    del frames
    seq = load(tmp_path / "x.npy")  # 64 MiB, checked block by block
    before = resident_mib()
    for t0 in range(0, 64, 8):
        block = seq.frames[t0 : t0 + 8]
        assert float(block.sum()) == 8 * 512 * 512
        release_pages(block)
    assert resident_mib() - before < 16
    release_pages(np.ones(10))  # not memory-mapped: nothing to do


def test_clusters_of_stuck_pixels_are_found_to_their_inner_pixels():
    frames = 300 + np.random.default_rng(1).normal(0, 0.02, (200, 24, 24))
    frames = frames.astype(np.float32)
    frames[:, 4:7, 4:7] = 0.0  # a dead 3 x 3 cluster: its centre has no varying neighbour
    frames[:, 15, 15:17] = 310.0  # two hot pixels side by side
    frames[:, 16, 16] = 310.0
    bad = pp.find_bad_pixels(Sequence(frames, np.arange(200.0)))
    expected = np.zeros((24, 24), bool)
    expected[4:7, 4:7] = True
    expected[15, 15:17] = expected[16, 16] = True
    np.testing.assert_array_equal(bad, expected)


def test_a_constant_background_is_scene_not_a_stuck_cluster():
    frames = np.zeros((100, 40, 40), np.float32)  # a cold background the camera saw unchanged
    frames[:, 10:30, 10:30] = np.random.default_rng(2).normal(1.0, 0.05, (100, 20, 20))
    mean, std = pp.bad_pixels.temporal_mean_std(frames)
    assert not pp.bad_pixels.stuck_clusters(mean, std).any()
