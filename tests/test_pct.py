"""PCT against a hand-made rank-one case, against an SVD, on torch, and its options."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from thermodefect import ThermodefectError
from thermodefect.methods import NORMALIZATIONS, pct, pct_fitted_on, pct_images
from thermodefect.methods._pct import FIRST_LOOK_PIXELS


def _svd_reference(frames, normalize):
    m = frames.reshape(frames.shape[0], -1).astype(np.float64)
    if normalize == "center":
        m = m - m.mean(0)
    elif normalize == "pixel":
        m = (m - m.mean(0)) / m.std(0)
    elif normalize == "frame":
        m = (m - m.mean(1, keepdims=True)) / m.std(1, keepdims=True)
    v, s, ut = np.linalg.svd(m, full_matrices=False)
    return ut, s, v


def test_rank_one_sequence_has_one_component_equal_to_its_image():
    t = np.linspace(1, 2, 20)
    image = np.zeros((6, 7))
    image[2:4, 1:5] = [[1, 2, 3, 4], [4, 3, 2, 1]]
    frames = (np.sqrt(t)[:, None, None] * image).astype(np.float32)
    result = pct(frames, 2, normalize="none")
    assert_allclose(result.components[0], image / np.linalg.norm(image), atol=1e-6)
    assert result.explained_variance_ratio[0] == pytest.approx(1.0, abs=1e-6)
    assert_allclose(np.abs(result.temporal[0]), np.sqrt(t) / np.linalg.norm(np.sqrt(t)), atol=1e-6)


@pytest.mark.parametrize("normalize", ["center", "pixel", "frame"])
@pytest.mark.parametrize("offset", [0.0, 300.0])
def test_matches_svd_of_the_standardised_matrix(random_seq, normalize, offset):
    frames = random_seq.frames + np.float32(offset)
    ut, s, _ = _svd_reference(frames, normalize)
    result = pct(frames, 3, normalize=normalize, chunk=17)
    got = result.components.reshape(3, -1)
    for i in range(3):
        sign = np.sign(got[i] @ ut[i])
        assert_allclose(got[i], sign * ut[i], atol=5e-5)
    assert_allclose(result.singular_values, s[:3], rtol=1e-4)
    assert_allclose(result.explained_variance_ratio, s[:3] ** 2 / (s**2).sum(), rtol=1e-4)


def test_sign_puts_the_largest_magnitude_pixel_positive(random_seq):
    comps = pct(random_seq, 4).components.reshape(4, -1)
    peaks = comps[np.arange(4), np.abs(comps).argmax(1)]
    assert np.all(peaks > 0)
    flipped = pct(-random_seq.frames, 4).components
    assert_allclose(flipped, pct(random_seq, 4).components, atol=1e-5)


@pytest.mark.parametrize("normalize", NORMALIZATIONS)
def test_torch_input_gives_torch_output_with_the_same_numbers(random_seq, normalize):
    ref = pct(random_seq.frames, 3, normalize=normalize)
    out = pct(torch.from_numpy(random_seq.frames.copy()), 3, normalize=normalize)
    assert isinstance(out.components, torch.Tensor)
    assert_allclose(out.components.numpy(), ref.components, atol=1e-4)


def test_registry_and_argument_errors(random_seq):
    with pytest.raises(ThermodefectError, match="k must be between 1 and the number of frames"):
        pct(random_seq, 99)
    with pytest.raises(ThermodefectError, match="normalize must be one of"):
        pct(random_seq, 2, normalize="rajic")
    with pytest.raises(ThermodefectError, match=r"expected frames \(T, H, W\)"):
        pct(np.zeros((4, 4), np.float32), 1)
    with pytest.raises(ThermodefectError, match="solver must be one of"):
        pct(random_seq, 2, solver="lanczos")
    with pytest.raises(ThermodefectError, match="power_iterations must be >= 0"):
        pct(random_seq, 2, solver="randomized", power_iterations=-1)


def test_registry_view_of_a_large_image_fits_a_subsample_and_keeps_the_components():
    frames = _low_rank_sequence(t=16, h=280, w=260)  # 72 800 pixels: every second one fitted
    assert frames[0].size > FIRST_LOOK_PIXELS
    exact = pct(frames, 4).components
    fast = np.stack(pct_images(frames))
    assert_allclose(fast[0], exact[0] / np.linalg.norm(exact[0]), atol=1e-7)
    for k in (1, 2):  # patterns 10 and 100 times weaker; the fourth component is noise
        assert np.corrcoef(fast[k].ravel(), exact[k].ravel())[0, 1] > 0.99999
    with pytest.raises(ThermodefectError, match="solver must be one of"):
        pct_fitted_on(frames, np.ones(frames.shape[1:], bool), 2, solver="lanczos")


def _low_rank_sequence(t=120, h=30, w=40, offset=0.0):
    """Three space-time patterns with singular values falling tenfold, plus 1e-4 noise."""
    rng = np.random.default_rng(5)
    times = np.linspace(0.05, 3, t)
    temporal = np.stack([1 / np.sqrt(times), np.exp(-times), np.sin(3 * times)])
    spatial = rng.standard_normal((3, h * w)) * np.array([[1.0], [0.1], [0.01]])
    m = temporal.T @ spatial + 1e-4 * rng.standard_normal((t, h * w)) + offset
    return m.reshape(t, h, w).astype(np.float32)


@pytest.mark.parametrize("normalize", NORMALIZATIONS)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_randomized_solver_matches_a_float64_svd_above_the_noise(normalize, backend):
    frames = _low_rank_sequence(offset=5.0 if normalize == "center" else 0.0)
    ut, s, _ = _svd_reference(frames, normalize)
    data = frames if backend == "numpy" else torch.from_numpy(frames)
    fast = pct(data, 6, normalize=normalize, solver="randomized")
    comps = np.asarray(fast.components).reshape(6, -1)
    assert_allclose(np.abs(np.sum(comps[:3] * ut[:3], 1)), 1, atol=1e-6)
    assert_allclose(np.asarray(fast.singular_values)[:3], s[:3], rtol=1e-5)
    ratio = np.asarray(fast.explained_variance_ratio)
    assert_allclose(ratio[:3], s[:3] ** 2 / np.sum(s**2), rtol=1e-5)
    same_signs = pct(frames, 6, normalize=normalize, solver="gram").components[:3]
    assert_allclose(np.asarray(fast.components)[:3], same_signs, atol=1e-3)


def test_gram_solver_loses_weak_components_to_the_squared_condition_number():
    frames = _low_rank_sequence(offset=5.0)
    _, s, _ = _svd_reference(frames, "center")
    gram = pct(frames, 3, solver="gram").singular_values
    fast = pct(frames, 3, solver="randomized").singular_values
    assert abs(gram[2] / s[2] - 1) > 1e-4 > 1e-5 > abs(fast[2] / s[2] - 1)


@pytest.mark.parametrize("solver", ["gram", "randomized"])
def test_constant_sequence_gives_zero_images_not_nan(solver):
    result = pct(np.ones((16, 4, 4), np.float32), 2, solver=solver)
    assert np.all(np.isfinite(result.components)) and np.all(result.components == 0)
    assert np.all(result.explained_variance_ratio == 0)


def test_randomized_solver_with_as_many_directions_as_frames_is_exact(random_seq):
    frames = random_seq.frames[:12]
    ut, s, _ = _svd_reference(frames, "center")
    fast = pct(frames, 8, solver="randomized")  # k + 10 > 12 frames: the whole space
    assert_allclose(fast.singular_values, s[:8], rtol=1e-4)
    comps = fast.components.reshape(8, -1)
    assert_allclose(np.abs(np.sum(comps[:4] * ut[:4], 1)), 1, atol=1e-5)
