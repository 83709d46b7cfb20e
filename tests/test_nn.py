"""Networks, attention blocks and losses: hand-computed values, shapes, gradients, export."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from thermodefect.errors import ThermodefectError
from thermodefect.nn import MODELS, build_model, default_inputs
from thermodefect.nn.blocks import CBAM, ECA, ECA3D, SCSE, SE, SpatioTemporalAttention, eca_kernel
from thermodefect.nn.losses import (
    bce_dice_loss,
    class_balanced_weights,
    dice_loss,
    focal_loss,
    tversky_loss,
)
from thermodefect.nn.stunet import clip_pca

HALF = torch.zeros(2)  # logits 0: p = 0.5 everywhere
ONE_ZERO = torch.tensor([1.0, 0.0])


def test_dice_and_bce_dice_by_hand():
    # p = 0.5, 0.5; t = 1, 0: (2 * 0.5 + 1) / (1 + 1 + 1) = 2/3
    assert float(dice_loss(HALF, ONE_ZERO)) == pytest.approx(1 / 3)
    assert float(dice_loss(HALF, ONE_ZERO, smooth=0)) == pytest.approx(0.5)
    assert float(bce_dice_loss(HALF, ONE_ZERO)) == pytest.approx(2 * math.log(2) + 1 / 3)
    perfect = torch.tensor([20.0, -20.0])
    assert float(dice_loss(perfect, ONE_ZERO, smooth=0)) == pytest.approx(0, abs=1e-6)


def test_tversky_by_hand_and_dice_special_case():
    # tp = fp = fn = 0.5: 1 - 1.5 / (0.5 + 0.3 * 0.5 + 0.7 * 0.5 + 1) = 0.25
    assert float(tversky_loss(HALF, ONE_ZERO)) == pytest.approx(0.25)
    logits = torch.tensor([0.3, -1.2, 2.0, 0.1])
    target = torch.tensor([1.0, 0.0, 1.0, 1.0])
    half = tversky_loss(logits, target, alpha=0.5, beta=0.5, smooth=0)
    assert float(half) == pytest.approx(float(dice_loss(logits, target, smooth=0)))


def test_class_balanced_weights_by_hand():
    # n0 = 3, n1 = 1, beta = 0.5: effective numbers 1.75 and 1; weights 1/1.75 : 1, sum 2
    w = class_balanced_weights(torch.tensor([0.0, 0.0, 0.0, 1.0]), beta=0.5)
    w0, w1 = 2 * (1 / 1.75) / (1 / 1.75 + 1), 2 * 1 / (1 / 1.75 + 1)
    np.testing.assert_allclose(w.numpy(), [w0, w0, w0, w1], rtol=1e-6)


def test_focal_loss_by_hand():
    logits, target = torch.tensor([2.0, -1.0]), torch.tensor([1.0, 1.0])
    p = 1 / (1 + np.exp(-np.array([2.0, -1.0])))
    # no smoothing, beta = 0: mean of (1 - p)^2 * (-ln p)
    expect = np.mean((1 - p) ** 2 * -np.log(p))
    got = focal_loss(logits, target, gamma=2.0, beta=0.0, smoothing=0.0)
    assert float(got) == pytest.approx(expect, rel=1e-6)
    # smoothing 0.1: targets 0.95; cross-entropy against them, focal factor of the hard class
    soft = 0.95
    ce = -(soft * np.log(p) + (1 - soft) * np.log(1 - p))
    got = focal_loss(logits, target, gamma=2.0, beta=0.0, smoothing=0.1)
    assert float(got) == pytest.approx(np.mean((1 - p) ** 2 * ce), rel=1e-6)
    # gamma = 0, no smoothing, beta = 0 is binary cross-entropy
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    assert float(focal_loss(logits, target, gamma=0, beta=0, smoothing=0)) == pytest.approx(
        float(bce)
    )


def _zeroed(block):
    for p in block.parameters():
        torch.nn.init.zeros_(p)
    return block


@pytest.mark.parametrize(
    "block, dims, factor",
    [
        (SE(8), 2, 0.5),  # gate sigmoid(0)
        (SCSE(8), 2, 1.0),  # channel gate 0.5 + spatial gate 0.5
        (ECA(8), 2, 0.5),
        (ECA3D(8), 3, 0.5),
        (SpatioTemporalAttention(8), 3, 0.25),  # temporal 0.5 x spatial 0.5
        (CBAM(8), 2, 0.25),  # channel 0.5 then spatial 0.5
        (SE(8), 3, 0.5),
    ],
)
def test_attention_blocks_with_zero_weights_scale_by_known_gates(block, dims, factor):
    x = torch.randn(2, 8, *([4] * (dims - 2)), 5, 6)
    y = _zeroed(block)(x)
    assert y.shape == x.shape
    torch.testing.assert_close(y, factor * x)


def test_eca_kernel_and_clip_only_blocks():
    assert [eca_kernel(c) for c in (8, 16, 32, 64, 128, 512)] == [3, 3, 3, 3, 5, 5]
    with pytest.raises(ValueError, match="ECA3D expects"):
        ECA3D(4)(torch.zeros(1, 4, 5, 5))


def _tiny_input(name):
    inputs = default_inputs(name, n_frames=8)
    kind = MODELS[name].mode
    if kind == "pixels":
        return inputs, {}, torch.randn(6, 8)
    if kind == "clip":
        return inputs, {"base": 4, "depth": 2}, torch.randn(2, 1, 8, 16, 12)
    return inputs, {"base": 4, "depth": 2}, torch.randn(2, 8, 16, 12)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_forward_backward_shapes(name):
    inputs, options, x = _tiny_input(name)
    torch.manual_seed(0)
    model = build_model(name, inputs, options)
    out = model(x)
    expected = (x.shape[0],) if x.dim() == 2 else (x.shape[0], 1, *x.shape[-2:])
    assert tuple(out.shape) == expected
    out.float().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


def test_unetpp_deep_supervision_heads():
    model = build_model("unetpp", default_inputs("unetpp", n_frames=4),
                        {"base": 4, "depth": 2, "deep_supervision": True})  # fmt: skip
    outs = model(torch.randn(1, 4, 8, 8))
    assert isinstance(outs, list) and len(outs) == 2
    model.eval()
    assert model(torch.randn(1, 4, 8, 8)).shape == (1, 1, 8, 8)


def test_bad_model_options_and_sizes():
    with pytest.raises(ThermodefectError, match="unknown model 'vnet'"):
        build_model("vnet", default_inputs("unet"))
    with pytest.raises(ThermodefectError, match="cannot build stunet"):
        build_model("stunet", default_inputs("stunet", n_frames=12), {"depth": 3})
    model = build_model("unet", default_inputs("unet", n_frames=4), {"base": 4, "depth": 2})
    with pytest.raises(ValueError, match="multiples of 4"):
        model(torch.zeros(1, 4, 10, 8))


def test_overfit_one_batch():
    """A UNet drives the loss on one fixed batch down by 90%."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    y = np.zeros((4, 1, 16, 16), np.float32)
    for i in range(4):
        r, c = rng.integers(2, 10, 2)
        y[i, 0, r : r + 5, c : c + 5] = 1
    x = torch.from_numpy(np.repeat(y, 4, axis=1) + rng.normal(0, 0.5, (4, 4, 16, 16)))
    x, y = x.float(), torch.from_numpy(y)
    model = build_model("unet", default_inputs("unet", n_frames=4), {"base": 8, "depth": 2})
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(120):
        loss = bce_dice_loss(model(x), y)
        first = float(loss) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    assert float(bce_dice_loss(model(x), y)) < 0.1 * first


def test_clip_pca_matches_eigendecomposition():
    rng = np.random.default_rng(1)
    t, h, w = 8, 12, 10
    spatial = rng.normal(size=(3, h * w))
    temporal = np.linalg.qr(rng.normal(size=(t, 3)))[0].T * np.array([[9.0], [4.0], [1.5]])
    x = (temporal.T @ spatial + 0.01 * rng.normal(size=(t, h * w))).astype(np.float32)
    got = clip_pca(torch.from_numpy(x.reshape(1, t, h, w)), k=3, iterations=200)[0].numpy()
    xc = x - x.mean(axis=0)
    vecs = np.linalg.eigh(xc @ xc.T)[1]
    for i in range(3):
        u = vecs[:, -1 - i] @ xc
        u = (u - u.mean()) / u.std(ddof=1)
        u *= np.sign(u[np.argmax(np.abs(u))])
        np.testing.assert_allclose(got[i].ravel(), u, atol=2e-3)


def test_onnx_export_matches_torch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from thermodefect.nn.checkpoint import Checkpoint
    from thermodefect.nn.export import export_onnx

    for name in ("unet", "stunet-att", "lstm"):
        inputs, options, x = _tiny_input(name)
        torch.manual_seed(0)
        model = build_model(name, inputs, options).eval()
        path = export_onnx(Checkpoint(name, options, inputs, model), tmp_path / f"{name}.onnx")
        session = ort.InferenceSession(str(path))
        if x.dim() > 2:  # another image size than the one exported with
            x = torch.randn(*x.shape[:-2], 24, 20)
        got = session.run(None, {"input": x.numpy()})[0]
        with torch.no_grad():
            np.testing.assert_allclose(got, model(x).numpy(), atol=1e-4)
        meta = {p.key: p.value for p in __import__("onnx").load(str(path)).metadata_props}
        assert meta["thermodefect_model"] == name


def test_evidence_input_reads_the_same_from_the_rise_kelvin_and_counts():
    """The classical detector's z images: units of noise, so an offset, a gain and a fixed
    pattern removed by the pre-flash frames change none of the images that hold the hole."""
    from thermodefect.nn.inputs import InputConfig, representation
    from thermodefect.preprocess import subtract_baseline
    from thermodefect.sequence import Sequence

    from .conftest import simulated_plate

    seq = simulated_plate([(20, 30, 8, 0.3)], n_frames=40)
    pattern = np.random.default_rng(1).normal(0, 40, seq.image_shape)
    config = InputConfig(mode="evidence")
    expected = representation(subtract_baseline(seq, "preflash"), config)
    assert expected.shape == (config.channels, *seq.image_shape)
    assert expected[:, 20, 30].max() >= np.log1p(6)  # the hole, >= 6 robust sigma
    for frames in (seq.frames + 295.15, 1000 + pattern + 250 * seq.frames):
        other = Sequence(np.asarray(frames, np.float32), seq.times, seq.mask, seq.meta)
        found = representation(other, config)
        # float32 rounding of the offset rotates only the noise components
        strong = expected.max(axis=(1, 2)) >= np.log1p(6)
        np.testing.assert_allclose(found[strong], expected[strong], atol=0.05)
