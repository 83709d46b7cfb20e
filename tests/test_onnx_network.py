"""The built-in network through onnxruntime: the same answers as through torch, no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from thermodefect.detect.model import (
    DEFAULT_ONNX,
    default_checkpoint_path,
    detect_with_model,
    load_detector,
    load_model,
)
from thermodefect.errors import ThermodefectError

from .conftest import simulated_plate

pytest.importorskip("onnxruntime")


def test_the_shipped_onnx_file_is_the_shipped_checkpoint():
    from thermodefect.nn.infer import predict_probability
    from thermodefect.nn.onnx_network import OnnxNetwork

    onnx, ckpt = load_detector(), load_model()
    assert isinstance(onnx, OnnxNetwork) and onnx.path.name == DEFAULT_ONNX
    assert (onnx.model_name, onnx.inputs, onnx.threshold, onnx.min_area) == (
        ckpt.model_name, ckpt.inputs, ckpt.threshold, ckpt.min_area,
    )  # fmt: skip
    assert onnx.multiple == 2**ckpt.model.depth
    # Three tiles of different sizes: padding, overlap and blending as in the torch path.
    x = np.random.default_rng(0).normal(size=(16, 75, 530)).astype(np.float32)
    np.testing.assert_allclose(onnx.probability(x), predict_probability(ckpt.model, x), atol=1e-5)


def test_detection_through_onnxruntime_is_the_torch_detection():
    seq = simulated_plate([(20, 20, 8, 0.3), (40, 45, 10, 0.5)], shape=(60, 64))
    onnx = detect_with_model(seq, load_detector())
    torch_path = detect_with_model(seq, load_model())
    np.testing.assert_array_equal(onnx.mask, torch_path.mask)
    np.testing.assert_allclose(onnx.feature, torch_path.feature, atol=1e-5)  # the probability
    assert onnx.method == torch_path.method == "model:unet"


def test_torch_serves_when_onnxruntime_is_missing_or_a_checkpoint_is_named(monkeypatch):
    from thermodefect.nn.checkpoint import Checkpoint

    assert isinstance(load_detector(default_checkpoint_path()), Checkpoint)
    monkeypatch.setattr("thermodefect.nn.onnx_network.onnxruntime_available", lambda: False)
    assert isinstance(load_detector(), Checkpoint)


def test_plain_detect_does_not_import_torch(tmp_path):
    seq = simulated_plate([(20, 20, 8, 0.3)], shape=(48, 48))
    np.save(tmp_path / "p.npy", seq.frames)
    code = (
        "import sys\nfrom thermodefect.cli import main\n"
        f"assert main(['--quiet', 'detect', {str(tmp_path / 'p.npy')!r}, '--out', "
        f"{str(tmp_path / 'o')!r}]) == 0\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr
    assert (tmp_path / "o" / "p_defects.csv").is_file()


def test_an_onnx_file_without_our_metadata_or_not_onnx_at_all_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from thermodefect.nn.onnx_network import load_onnx

    node = helper.make_node("Identity", ["input"], ["logits"])
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1])],
    )  # fmt: skip
    bare = tmp_path / "bare.onnx"
    onnx.save(helper.make_model(graph), str(bare))
    with pytest.raises(ThermodefectError, match="no thermodefect_model in its metadata") as err:
        load_onnx(bare)
    assert str(bare) in str(err.value)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ThermodefectError, match="not a readable ONNX network"):
        load_onnx(junk)
