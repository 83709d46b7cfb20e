"""PPT, HOS, contrast methods, DAC and segmentation against reference computations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch

from thermodefect import ThermodefectError
from thermodefect.methods import (
    auto_t_prime,
    contrast,
    dac,
    hos,
    kmeans,
    ppt,
    region_grow,
    threshold,
)
from thermodefect.sequence import Meta, Sequence


def test_ppt_matches_numpy_fft_and_runs_on_torch():
    x = np.random.default_rng(0).gamma(2, 1, (40, 5, 6)).astype(np.float32)
    result = ppt(x, [1, 3], frame_rate=10.0)
    spectrum = np.fft.rfft(x.astype(np.float64), axis=0)[[1, 3]]
    np.testing.assert_allclose(result.phase, np.angle(spectrum), atol=1e-5)
    np.testing.assert_allclose(result.amplitude, np.abs(spectrum), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(result.frequencies, [0.25, 0.75])
    on_torch = ppt(torch.from_numpy(x), [1, 3])
    assert isinstance(on_torch.phase, torch.Tensor)
    np.testing.assert_allclose(on_torch.phase.numpy(), result.phase, atol=1e-5)
    with pytest.raises(ThermodefectError, match=r"bins must lie in 0\.\.20"):
        ppt(x, [25])


def test_ppt_best_bin_is_the_one_with_the_pattern():
    t = np.arange(64)
    pattern = np.zeros((8, 8))
    pattern[2:5, 2:5] = 1
    x = 0.01 * np.random.default_rng(1).normal(size=(64, 8, 8))
    x += np.sin(2 * np.pi * 5 * t / 64 + 1.0)[:, None, None] * (1 + pattern)
    x += np.sin(2 * np.pi * 9 * t / 64)[:, None, None] * (1 + 2 * pattern) + (
        np.cos(2 * np.pi * 9 * t / 64)[:, None, None] * pattern
    )
    result = ppt(x.astype(np.float32), [5, 9])
    assert result.bins[result.best] == 9


def test_hos_matches_scipy():
    x = np.random.default_rng(2).gamma(2, 1, (50, 4, 7)).astype(np.float32)
    r = hos(x, chunk=5)
    np.testing.assert_allclose(r.skewness, scipy.stats.skew(x, axis=0), atol=1e-5)
    np.testing.assert_allclose(r.kurtosis, scipy.stats.kurtosis(x, axis=0), atol=1e-4)
    flat = hos(np.ones((10, 2, 2), np.float32))
    assert np.all(flat.skewness == 0) and np.all(flat.kurtosis == 0)
    assert isinstance(hos(torch.from_numpy(x)).skewness, torch.Tensor)


def _cooling(defect_excess=0.0, n=30):
    t = np.linspace(0.1, 3.0, n)
    base = 1 / np.sqrt(t)
    frames = np.broadcast_to(base[:, None, None], (n, 6, 6)).astype(np.float32).copy()
    frames[:, 2:4, 2:4] += defect_excess * t[:, None, None]
    return Sequence(frames, t, meta=Meta(frame_rate=10.0))


def test_contrasts_hand_computed():
    seq = _cooling(defect_excess=0.5)
    absolute = contrast(seq, "absolute")
    np.testing.assert_allclose(absolute[:, 3, 3], 0.5 * seq.times, rtol=1e-5)
    np.testing.assert_allclose(absolute[:, 0, 0], 0, atol=1e-6)
    running = contrast(seq, "running")
    np.testing.assert_allclose(running[:, 3, 3], 0.5 * seq.times * np.sqrt(seq.times), rtol=1e-4)
    reference = np.zeros((6, 6), bool)
    reference[0] = True
    np.testing.assert_allclose(contrast(seq, "absolute", reference=reference), absolute, atol=1e-6)
    normalised = contrast(seq, "normalised")
    np.testing.assert_allclose(normalised[:, 0, 0], 0, atol=1e-6)
    with pytest.raises(ThermodefectError, match="kind must be one of"):
        contrast(seq, "relative")


def test_dac_is_zero_on_semi_infinite_material_and_finds_t_prime():
    seq = _cooling(defect_excess=0.5)
    assert auto_t_prime(seq) <= 3
    frames, k = dac(seq, t_prime=0)
    assert k == 0
    np.testing.assert_allclose(frames[:, 0, 0], 0, atol=1e-5)
    assert frames[-1, 3, 3] > 1.0
    early = Sequence(seq.frames, seq.times - 0.2)
    with pytest.raises(ThermodefectError, match="extract_cooling"):
        dac(early)


def test_thresholds_kmeans_and_region_growing():
    image = np.zeros((30, 30))
    image[5:10, 5:10] = 10
    image[20:24, 18:25] = 6
    image += 0.1 * np.random.default_rng(3).normal(size=image.shape)
    truth = image > 3
    assert np.array_equal(threshold(image, "otsu"), truth)
    strong_only = truth.copy()
    strong_only[15:] = False
    assert np.array_equal(threshold(image, "hysteresis", low=3, high=8), strong_only)
    assert np.array_equal(threshold(image, "hysteresis", low=3, high=5), truth)
    assert threshold(image, "adaptive", block_size=15)[7, 7]
    assert not threshold(np.ones((5, 5))).any()
    grown = region_grow(image, [(7, 7)], tolerance=0.5)
    assert np.array_equal(grown, strong_only)  # the 6 K block passes the level but is apart
    both = region_grow(image, tolerance=0.5)
    assert both[7, 7] and both[22, 20] and not both[0, 0]
    features = np.stack([image, 2 * image])
    _labels, mask = kmeans(features, 2)
    assert np.array_equal(mask, truth)
    with pytest.raises(ThermodefectError, match="outside"):
        region_grow(image, [(40, 1)])


def test_region_max_and_mean_by_hand_and_against_scipy():
    from scipy import ndimage

    from thermodefect.methods import region_max, region_mean

    labels = np.array([[1, 1, 0], [0, 2, 2], [3, 0, 2]])
    values = np.array([[1.0, -4.0, 99.0], [99.0, 2.0, 5.0], [-7.0, 99.0, -1.0]])
    assert region_max(values, labels, 3).tolist() == [1.0, 5.0, -7.0]  # 99s lie outside
    assert region_mean(values, labels, 3).tolist() == [-1.5, 2.0, -7.0]
    assert region_max(values > 0, labels, 3).tolist() == [1.0, 1.0, 0.0]  # bool images
    assert region_max(values, labels, 4)[3] == -np.inf and np.isnan(
        region_mean(values, labels, 4)[3]
    )
    assert region_max(values, np.zeros_like(labels), 0).shape == (0,)
    rng = np.random.default_rng(3)
    z = rng.normal(size=(60, 80))
    many, n = ndimage.label(z > 1, structure=np.ones((3, 3)))
    index = np.arange(1, n + 1)
    assert np.array_equal(region_max(z, many, n), ndimage.maximum(z, many, index))
    assert np.allclose(region_mean(z, many, n), ndimage.mean(z, many, index))
