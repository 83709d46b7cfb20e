"""The CUDA paths against the CPU: methods, simulator, inference and training.

Skipped on machines without a CUDA GPU (CI has none); run on a lent GPU with
``pytest tests/test_cuda.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from thermodefect.cli import main
from thermodefect.detect.model import detect_with_model, load_model
from thermodefect.methods import hos, pct, ppt, tsr
from thermodefect.nn.checkpoint import load_checkpoint
from thermodefect.preprocess import extract_cooling

from .conftest import simulated_plate

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def plate():
    seq = simulated_plate([(20, 30, 12, 0.4), (40, 70, 10, 0.8)], shape=(64, 96), n_frames=120)
    return extract_cooling(seq)


def _cuda(seq):
    return torch.from_numpy(seq.frames.copy()).cuda()


def _corr(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return abs(np.dot(a, b)) / (np.linalg.norm(a) * np.linalg.norm(b))


def _svd64(frames):
    """Float64 PCT ('center') of the frames: unit components (T, N) and singular values."""
    m = frames.reshape(frames.shape[0], -1).astype(np.float64)
    _, s, ut = np.linalg.svd(m - m.mean(0), full_matrices=False)
    return ut, s


@pytest.mark.parametrize("solver, cos_tol, sv_tol", [("randomized", 1e-6, 1e-5),
                                                      ("gram", 1e-4, 1e-3)])  # fmt: skip
def test_pct_on_cuda_matches_a_float64_svd(plate, solver, cos_tol, sv_tol):
    ut, s = _svd64(plate.frames)
    got = pct(_cuda(plate), 4, solver=solver)
    assert got.components.is_cuda
    comps = got.components.cpu().numpy().reshape(4, -1)
    np.testing.assert_allclose(np.abs(np.sum(comps[:3] * ut[:3], 1)), 1, atol=cos_tol)
    np.testing.assert_allclose(got.singular_values.cpu().numpy()[:3], s[:3], rtol=sv_tol)


def test_pct_auto_solver_on_cuda_is_randomized_for_long_sequences(plate):
    frames = np.concatenate([plate.frames, plate.frames[::-1]])  # 236 frames >= 4 (8 + 10)
    ut, s = _svd64(frames)
    got = pct(torch.from_numpy(frames).cuda(), 8)
    ratio = got.explained_variance_ratio.cpu().numpy()
    np.testing.assert_allclose(ratio[:3], s[:3] ** 2 / np.sum(s**2), rtol=1e-5)
    assert _corr(got.components[1].cpu().numpy(), ut[1]) > 1 - 1e-6


def test_tsr_ppt_hos_on_cuda_match_the_cpu(plate):
    x = _cuda(plate)
    ref, got = tsr(plate, 5), tsr(x, 5, times=plate.times)
    np.testing.assert_allclose(got.coefficients.cpu().numpy(), ref.coefficients, atol=2e-4)
    np.testing.assert_allclose(
        got.derivative(2).cpu().numpy(), ref.derivative(2), atol=2e-3, rtol=1e-3
    )
    same_peak = np.isclose(got.peak_time().cpu().numpy(), ref.peak_time(), rtol=1e-6)
    assert same_peak.mean() > 0.99  # near-ties of a flat maximum may fall either way
    ref_p, got_p = ppt(plate), ppt(x, frame_rate=plate.meta.frame_rate)
    assert got_p.best == ref_p.best
    np.testing.assert_allclose(got_p.amplitude.cpu().numpy(), ref_p.amplitude, rtol=1e-3, atol=1e-4)
    ref_h, got_h = hos(plate), hos(x)
    np.testing.assert_allclose(got_h.skewness.cpu().numpy(), ref_h.skewness, atol=1e-3)


def test_simulator_on_cuda_matches_the_cpu():
    from thermodefect.simulate import from_dict, run

    spec = from_dict({
        "name": "gpu", "seed": 3,
        "plate": {"thickness_mm": 2.0, "material": "cfrp"},
        "defects": [{"kind": "hole", "center_mm": [8, 6], "size_mm": 5, "depth_mm": 0.5}],
        "camera": {"height": 24, "width": 32, "n_frames": 60, "frame_rate": 10.0},
        "solver": {"nz": 12},
    })  # fmt: skip
    cpu, _ = run(spec)
    gpu, _ = run(spec, device="cuda")
    np.testing.assert_allclose(gpu.frames, cpu.frames, atol=1e-4 * np.abs(cpu.frames).max())


def test_builtin_model_detects_the_same_on_cuda(plate):
    seq = simulated_plate([(20, 30, 12, 0.4)], shape=(64, 96), n_frames=120)
    cpu = detect_with_model(seq, load_model())
    gpu = detect_with_model(seq, load_model(device="cuda"), device="cuda")
    np.testing.assert_allclose(gpu.feature, cpu.feature, atol=1e-3)
    assert (gpu.mask != cpu.mask).mean() < 1e-3


def test_training_on_cuda_with_bf16_autocast(tmp_path):
    data = tmp_path / "tiny"
    assert main(["--quiet", "simulate", str(data), "--preset", "tiny", "--n", "6", "--seed", "1",
                 "--device", "cuda"]) == 0  # fmt: skip
    for model in ("unet", "stunet-att", "lstm"):
        run = tmp_path / model
        assert main(["--quiet", "train", str(data), "--model", model, "--out", str(run),
                     "--epochs", "2", "--steps", "4", "--batch", "4", "--patch", "32",
                     "--base", "8", "--frames", "16", "--device", "cuda"]) == 0  # fmt: skip
        ckpt = load_checkpoint(run / "model.pt")  # loads on the CPU
        assert "NVIDIA" in ckpt.info["device"] or "H100" in ckpt.info["device"]
        assert (run / "log.csv").read_text().count("\n") == 3
