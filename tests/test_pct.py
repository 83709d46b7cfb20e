"""PCT against a hand-made rank-one case, against an SVD, on torch, and its options."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from thermodefect import ThermodefectError
from thermodefect._backend import top_eigh
from thermodefect.methods import METHODS, NORMALIZATIONS, pct
from thermodefect.methods._pct import split_gram


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
    assert METHODS["pct"] is pct
    with pytest.raises(ThermodefectError, match="k must be between 1 and the number of frames"):
        pct(random_seq, 99)
    with pytest.raises(ThermodefectError, match="normalize must be one of"):
        pct(random_seq, 2, normalize="rajic")
    with pytest.raises(ThermodefectError, match=r"expected frames \(T, H, W\)"):
        pct(np.zeros((4, 4), np.float32), 1)
    with pytest.raises(ThermodefectError, match="precision must be one of"):
        pct(random_seq, 2, precision="half")
    with pytest.raises(ThermodefectError, match="needs a CUDA tensor"):
        pct(random_seq, 2, precision="split")


def test_split_gram_is_accurate_to_a_millionth():
    # The CUDA product (bf16 operands, float32 accumulation) emulated exactly on the CPU:
    # a product of two bfloat16 numbers is exact in float32.
    def mm(a, b):
        return a.float() @ b.float()

    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 2.0, (40, 5000)).astype(np.float32)
    exact = x.astype(np.float64) @ x.T.astype(np.float64)
    split = split_gram(torch.from_numpy(x), mm).numpy()
    hi = torch.from_numpy(x).bfloat16()
    bf16_only = mm(hi, hi.T).double().numpy()

    def err(g):
        return np.linalg.norm(g - exact) / np.linalg.norm(exact)

    assert err(split) < 1e-6  # measured 4.6e-7; float32 BLAS 8e-8
    assert err(bf16_only) > 30 * err(split)  # measured 3.5e-5


def test_top_eigh_recovers_the_leading_pairs_of_a_known_spectrum():
    rng = np.random.default_rng(4)
    n, k = 120, 5
    basis, _ = np.linalg.qr(rng.standard_normal((n, n)))
    values = np.r_[1e6 * 0.1 ** np.arange(k), np.full(n - k, 1.0) + rng.uniform(0, 0.1, n - k)]
    a = (basis * values) @ basis.T
    w, v = top_eigh(torch.from_numpy(a), k)
    assert_allclose(w.numpy(), values[:k], rtol=1e-9)
    assert_allclose(np.abs(np.sum(v.numpy() * basis[:, :k], 0)), 1, atol=1e-9)


def test_constant_sequence_gives_zero_images_not_nan():
    result = pct(np.ones((16, 4, 4), np.float32), 2)
    assert np.all(np.isfinite(result.components)) and np.all(result.components == 0)
    assert np.all(result.explained_variance_ratio == 0)
