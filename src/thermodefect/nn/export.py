"""ONNX export of a checkpoint's network (the seed ran its model from MATLAB; ONNX is the
portable way there now). The graph takes the network input, returns logits, and keeps
batch, height and width dynamic; the input settings and threshold go into its metadata."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path
from thermodefect.nn.checkpoint import Checkpoint

__all__ = [
    "example_input",
    "export_onnx",
]


def example_input(ckpt: Checkpoint, height: int = 64, width: int = 64) -> torch.Tensor:
    """A zero tensor of the shape the network reads (pixel models: 16 series).

    Parameters
    ----------
    ckpt : Checkpoint
        A loaded checkpoint.
    height, width : int
        Image size of the example.

    Returns
    -------
    torch.Tensor
    """
    c = ckpt.inputs
    kind = getattr(ckpt.model, "kind", "image")
    if kind == "pixel":
        return torch.zeros(16, c.n_frames)
    if kind == "clip":
        return torch.zeros(1, 1, c.n_frames, height, width)
    return torch.zeros(1, c.channels, height, width)


def export_onnx(ckpt: Checkpoint, path: Path, *, opset: int = 17) -> Path:
    """Write the network as ONNX with a dynamic batch (and image size).

    Parameters
    ----------
    ckpt : Checkpoint
        A loaded checkpoint.
    path : Path
        The ``.onnx`` file, written atomically.
    opset : int
        ONNX opset.

    Returns
    -------
    Path

    Raises
    ------
    ThermodefectError
        When the onnx package is missing or export fails.
    """
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ThermodefectError(
            "ONNX export needs the onnx package: pip install 'thermodefect[onnx]'"
        ) from None
    model = ckpt.model.cpu().eval()
    x = example_input(ckpt)
    kind = getattr(model, "kind", "image")
    if kind == "pixel":
        dynamic = {"input": {0: "pixels"}, "logits": {0: "pixels"}}
    else:
        dynamic = {"input": {0: "batch", x.dim() - 2: "height", x.dim() - 1: "width"},
                   "logits": {0: "batch", 2: "height", 3: "width"}}  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        try:
            torch.onnx.export(model, (x,), str(tmp), input_names=["input"],
                              output_names=["logits"], dynamic_axes=dynamic, opset_version=opset,
                              dynamo=False)  # fmt: skip
        except Exception as exc:
            raise ThermodefectError(f"ONNX export of {ckpt.model_name} failed: {exc}") from None
        _add_metadata(tmp, ckpt)
    return path


def _add_metadata(path: Path, ckpt: Checkpoint) -> None:
    import onnx

    proto = onnx.load(str(path))
    from thermodefect.nn.infer import _multiple

    meta = {
        "thermodefect_model": ckpt.model_name,
        "thermodefect_inputs": json.dumps(ckpt.inputs.to_dict()),
        "thermodefect_threshold": str(ckpt.threshold),
        "thermodefect_min_area": str(ckpt.min_area),
        "thermodefect_multiple": str(_multiple(ckpt.model)),
        "thermodefect_kind": getattr(ckpt.model, "kind", "image"),
    }
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))
