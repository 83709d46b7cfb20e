"""Input representation, splits, checkpoints, tiled inference, and train-then-detect."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from thermodefect.cli import main
from thermodefect.errors import ThermodefectError
from thermodefect.nn import InputConfig, build_model, default_inputs, representation
from thermodefect.nn.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from thermodefect.nn.data import check_disjoint, kfold_splits
from thermodefect.nn.infer import predict_probability
from thermodefect.sequence import Meta, Sequence


def _cooling_plate(gain: np.ndarray, n: int = 40) -> Sequence:
    """A sound plate: T(x, t) = gain(x) / sqrt(t) after a flash in frame 2."""
    t = np.arange(n, dtype=np.float64)
    curve = np.where(t > 2, 1 / np.sqrt(np.maximum(t - 2, 1e-9)), 0.0)
    curve[2] = 2.0
    frames = (curve[:, None, None] * gain[None]).astype(np.float32)
    return Sequence(frames, t / 10, None, Meta(frame_rate=10.0, source="plate.npy"))


def test_uneven_heating_cancels_in_the_ratio_channels():
    y, x = np.mgrid[0:24, 0:32]
    gain = (1 + 0.5 * x / 31 + 0.2 * (y / 23) ** 2).astype(np.float32)
    rep = representation(_cooling_plate(gain), InputConfig(n_frames=8))
    assert rep.shape == (8, 24, 32)
    np.testing.assert_allclose(rep[1:], 0, atol=1e-2)  # later frames / T0: uniform (rounding)
    assert np.ptp(rep[0]) > 1  # the first channel keeps the heating pattern
    clip = representation(_cooling_plate(gain), InputConfig(mode="clip", n_frames=8))
    assert clip.shape == (1, 8, 24, 32)


def test_representation_errors_name_the_file():
    seq = _cooling_plate(np.ones((8, 8), np.float32), n=12)
    with pytest.raises(ThermodefectError, match=r"plate\.npy.*needs 17"):
        representation(seq, InputConfig(n_frames=16))
    with pytest.raises(ThermodefectError, match="input mode must be one of"):
        InputConfig(mode="video")


def test_splits_are_disjoint_by_specimen():
    names = [f"s{i}" for i in range(10)]
    vals = [kfold_splits(names, 3, k, seed=4) for k in range(3)]
    assert sorted(n for v in vals for n in v["val"]) == sorted(names)
    for v in vals:
        assert not set(v["train"]) & set(v["val"])
        check_disjoint(v)
    with pytest.raises(ThermodefectError, match="s1 is in both train and val"):
        check_disjoint({"train": ["s0", "s1"], "val": ["s1"]})
    with pytest.raises(ThermodefectError, match="cannot take fold 3 of 3"):
        kfold_splits(names, 3, 3)


class _Sigmoid1x1(torch.nn.Module):
    """A 1x1 convolution posing as a depth-2 image network."""

    kind = "image"
    depth = 2

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 1, 1)

    def forward(self, x):
        assert x.shape[-1] % 4 == 0 and x.shape[-2] % 4 == 0
        return self.conv(x)


def test_tiled_prediction_equals_whole_image():
    torch.manual_seed(0)
    model = _Sigmoid1x1()
    x = np.random.default_rng(0).normal(size=(3, 41, 70)).astype(np.float32)
    with torch.no_grad():
        whole = torch.sigmoid(model(torch.from_numpy(x[None, :, :40, :68])))[0, 0].numpy()
    tiled = predict_probability(model, x, tile=16, overlap=4, batch=3)
    assert tiled.shape == (41, 70)
    np.testing.assert_allclose(tiled[:40, :68], whole, atol=1e-6)


def test_checkpoint_round_trip_and_errors(tmp_path):
    inputs = default_inputs("unet", n_frames=4)
    torch.manual_seed(1)
    model = build_model("unet", inputs, {"base": 4, "depth": 2}).eval()
    path = save_checkpoint(
        Checkpoint("unet", {"base": 4, "depth": 2}, inputs, model, 0.35, 5, {"note": "x"}),
        tmp_path / "m.pt",
    )
    back = load_checkpoint(path)
    assert (back.model_name, back.threshold, back.min_area, back.inputs) == (
        "unet",
        0.35,
        5,
        inputs,
    )
    x = torch.randn(1, 4, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(back.model(x), model(x))

    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:300])
    with pytest.raises(ThermodefectError, match=r"cut\.pt.*not a readable checkpoint"):
        load_checkpoint(tmp_path / "cut.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ThermodefectError, match="not a thermodefect checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    doc = torch.load(path, weights_only=True)
    torch.save({**doc, "version": 99}, tmp_path / "future.pt")
    with pytest.raises(ThermodefectError, match="checkpoint version 99 is not supported"):
        load_checkpoint(tmp_path / "future.pt")
    with pytest.raises(ThermodefectError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "absent.pt")
    assert main(["detect", str(tmp_path / "x.npy"), "--model", str(tmp_path / "cut.pt"),
                 "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    assert (
        main(["--quiet", "simulate", str(out), "--preset", "tiny", "--n", "6", "--seed", "1"]) == 0
    )
    return out


TRAIN_ARGS = ["--epochs", "8", "--steps", "8", "--batch", "4", "--patch", "32", "--base", "8",
              "--frames", "8", "--patience", "8"]  # fmt: skip


@pytest.mark.slow
def test_train_then_detect_then_export_on_tiny_data(tiny_data, tmp_path):
    """Train a small UNet on 4 tiny plates, detect on the held-out one through the CLI."""
    run = tmp_path / "run"
    assert main(["--quiet", "train", str(tiny_data), "--model", "unet", "--out", str(run),
                 *TRAIN_ARGS]) == 0  # fmt: skip
    for name in ("model.pt", "log.csv", "curves.png"):
        assert (run / name).is_file()
    ckpt = load_checkpoint(run / "model.pt")
    assert ckpt.info["train_specimens"] == ["tiny_1", "tiny_2", "tiny_3", "tiny_4"]
    assert ckpt.info["val_specimens"] == ["tiny_5"]
    assert 0.2 <= ckpt.threshold <= 0.8

    det = tmp_path / "det"
    assert main(["--quiet", "detect", str(tiny_data / "tiny_0.mat"), "--model",
                 str(run / "model.pt"), "--out", str(det)]) == 0  # fmt: skip
    mask = np.asarray(Image.open(det / "tiny_0_mask.png")) > 127
    truth = np.asarray(Image.open(tiny_data / "labels" / "tiny_0_label.png")) < 128
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert iou > 0.4, iou
    assert (det / "tiny_0_defects.csv").read_text().count("\n") >= 2

    ort = pytest.importorskip("onnxruntime")
    assert (
        main(["--quiet", "export", str(run / "model.pt"), "--onnx", str(tmp_path / "m.onnx")]) == 0
    )
    x = representation(__import__("thermodefect").load(tiny_data / "tiny_0.mat"), ckpt.inputs)
    x = np.ascontiguousarray(x[None, :, :48, :64])
    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"input": x})[0]
    with torch.no_grad():
        np.testing.assert_allclose(got, ckpt.model(torch.from_numpy(x)).numpy(), atol=1e-4)


#: Training whose every step two processes can reproduce exactly: no batch norm, no dropout,
#: a loss that is a mean over samples (the per-process means average to the batch mean).
EXACT = {"model": "lstm", "options": {"dropout": 0.0}, "loss": "bce", "epochs": 2, "steps": 3,
         "batch": 4, "inputs": {"n_frames": 8}, "patience": 5}  # fmt: skip


def _weights(path):
    return load_checkpoint(path).model.state_dict()


def _assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-4, msg=key)


@pytest.fixture(scope="module")
def one_process(tiny_data, tmp_path_factory):
    from thermodefect.nn.train import TrainConfig, train

    out = tmp_path_factory.mktemp("one")
    train(tiny_data, out, TrainConfig(**EXACT), quiet=True)
    return _weights(out / "model.pt")


def test_a_run_stopped_before_its_end_leaves_its_best_network_so_far(tiny_data, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    import thermodefect.nn.train as training

    def killed(*args, **kwargs):  # after the last epoch, before model.pt: a time limit
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "tune_threshold", killed)
    with pytest.raises(KeyboardInterrupt):
        training.train(tiny_data, tmp_path, training.TrainConfig(**EXACT), quiet=True)
    assert not (tmp_path / "model.pt").exists()
    partial = load_checkpoint(tmp_path / training.PARTIAL)
    epochs = np.loadtxt(tmp_path / "log.csv", delimiter=",", skiprows=1, ndmin=2)
    best = int(epochs[np.argmax(epochs[:, 3]), 0])  # the first epoch of the best IoU
    assert partial.threshold == 0.5 and partial.info["best_epoch"] == best
    assert partial.info["partial"].startswith(f"the best of epochs 1-{best} of 2")
    monkeypatch.undo()
    done = training.train(tiny_data, tmp_path, training.TrainConfig(**EXACT), quiet=True)
    assert done.checkpoint.is_file() and not (tmp_path / training.PARTIAL).exists()


@pytest.mark.slow
def test_two_processes_train_the_weights_of_one(tiny_data, tmp_path, one_process):
    from thermodefect.nn.train import TrainConfig, train

    result = train(tiny_data, tmp_path, TrainConfig(**EXACT, processes=2), quiet=True)
    assert load_checkpoint(result.checkpoint).info["processes"] == 2
    _assert_same_weights(_weights(result.checkpoint), one_process)
    with pytest.raises(ThermodefectError, match="--batch 3 must be a positive multiple of the 2"):
        train(tiny_data, tmp_path, TrainConfig(**{**EXACT, "batch": 3}, processes=2))


@pytest.mark.slow
def test_torchrun_ranks_train_the_weights_of_one_process(tiny_data, tmp_path, one_process):
    """Ranks and rendezvous from torchrun's environment instead of --processes."""
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "from thermodefect.nn.train import TrainConfig, train\n"
        f"train({str(tiny_data)!r}, {str(tmp_path / 'run')!r}, TrainConfig(**{EXACT!r}), "
        "quiet=True)\n"
    )
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           "2", str(script)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert load_checkpoint(tmp_path / "run" / "model.pt").info["processes"] == 2
    _assert_same_weights(_weights(tmp_path / "run" / "model.pt"), one_process)


def test_base_sets_the_lstm_hidden_units(tiny_data, tmp_path):
    args = ["--quiet", "train", str(tiny_data), "--model", "lstm", "--base", "6",
            "--epochs", "1", "--steps", "1", "--batch", "2", "--frames", "8",
            "--out", str(tmp_path / "l")]  # fmt: skip
    assert main(args) == 0
    assert load_checkpoint(tmp_path / "l" / "model.pt").options["hidden"] == 6


def test_more_cuda_processes_than_gpus_is_refused(tiny_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    args = ["train", str(tiny_data), "--out", str(tmp_path / "o"), "--device", "cuda",
            "--processes", "2"]  # fmt: skip
    assert main(args) == 2
    assert "needs one GPU per process; this machine has 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_train_bad_input(tmp_path, capsys):
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no manifest.csv" in capsys.readouterr().err


def test_same_seed_same_weights(tiny_data, tmp_path):
    args = ["--quiet", "train", str(tiny_data), "--epochs", "1", "--steps", "2", "--batch", "2",
            "--patch", "32", "--base", "4", "--frames", "8"]  # fmt: skip
    for run in ("a", "b"):
        assert main([*args, "--out", str(tmp_path / run)]) == 0
    a, b = (load_checkpoint(tmp_path / run / "model.pt").model.state_dict() for run in "ab")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_feature_mode_stacks_pct_and_tsr_images():
    y, x = np.mgrid[0:24, 0:32]
    gain = (1 + 0.3 * ((y - 12) ** 2 + (x - 16) ** 2 < 16)).astype(np.float32)
    rep = representation(_cooling_plate(gain), InputConfig(mode="features"))
    assert rep.shape == (8, 24, 32) and np.isfinite(rep).all()
    # the warm disc stands out, positive, in the first PCT component
    assert rep[0][12, 16] > 1 and abs(rep[0][0, 0]) < 0.5


def test_patches_of_images_smaller_than_the_patch_are_mirrored_to_full_size():
    from thermodefect.nn.data import random_patch

    x = np.arange(2 * 48 * 40, dtype=np.float32).reshape(2, 48, 40)
    y = np.zeros((48, 40), np.float32)
    y[10:20, 5:9] = 1
    for on_defect in (True, False):
        for seed in range(4):
            xp, yp = random_patch(x, y, 64, np.random.default_rng(seed), on_defect=on_defect)
            assert xp.shape == (2, 64, 64) and yp.shape == (64, 64)
            assert set(np.unique(xp)) <= set(np.unique(x))  # mirrored, nothing invented
    big = np.zeros((96, 128), np.float32)
    _, patch = random_patch(big[None], big, 64, np.random.default_rng(0), on_defect=False)
    assert patch.shape == (64, 64)
