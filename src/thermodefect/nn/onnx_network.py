"""A network exported to ONNX (:func:`~thermodefect.nn.export.export_onnx`), run by
onnxruntime: what detection reads of a checkpoint, without importing torch (1.8-3 s of every
``thermodefect detect`` on this project's 2-core machine, against 0.14 s for onnxruntime)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.nn.inputs import InputConfig
from thermodefect.nn.tiling import tiled_probability

__all__ = [
    "OnnxNetwork",
    "load_onnx",
    "onnxruntime_available",
]

#: Metadata keys :func:`~thermodefect.nn.export.export_onnx` writes and :func:`load_onnx` needs.
_KEYS = ("model", "inputs", "threshold", "min_area", "multiple")


@dataclass
class OnnxNetwork:
    """An image network in an onnxruntime session, with the checkpoint fields detection reads.

    Parameters
    ----------
    model_name : str
        The registered network it was exported from.
    inputs : InputConfig
        Its input representation.
    threshold : float
        Its tuned probability threshold.
    min_area : int
        Smallest region kept, pixels.
    multiple : int
        Its pooling factor (2 ** depth).
    path : Path
        The ``.onnx`` file.
    session : onnxruntime.InferenceSession
        The loaded graph.
    """

    model_name: str
    inputs: InputConfig
    threshold: float
    min_area: int
    multiple: int
    path: Path
    session: Any = field(repr=False)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """Defect probability of every pixel of one input, tiled as the torch path tiles.

        Parameters
        ----------
        x : ndarray of float32
            From :func:`thermodefect.nn.inputs.from_cooling`.

        Returns
        -------
        (H, W) ndarray of float32
        """
        return tiled_probability(self._forward, x, self.multiple)

    def _forward(self, tiles: np.ndarray) -> np.ndarray:
        from scipy.special import expit  # no overflow warning for very negative logits

        return expit(self.session.run(None, {"input": tiles})[0]).astype(np.float32)


def onnxruntime_available() -> bool:
    """Whether onnxruntime can be imported (a dependency; an installation without it runs
    the network through torch).

    Returns
    -------
    bool
    """
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None


def load_onnx(path: Path, threads: int | None = None) -> OnnxNetwork:
    """An exported image network, ready to run on the CPU.

    Parameters
    ----------
    path : Path
        A ``.onnx`` file written by :func:`~thermodefect.nn.export.export_onnx`.
    threads : int, optional
        Threads of the session (default: onnxruntime's).

    Returns
    -------
    OnnxNetwork

    Raises
    ------
    ThermodefectError
        When onnxruntime is missing, or the file is not an exported image network.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        raise ThermodefectError(
            "running an .onnx network needs onnxruntime: pip install onnxruntime"
        ) from None
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    # Idle pool threads sleep instead of spinning: the network runs beside the classical
    # method (thermodefect.detect.combined), whose passes need the same cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ThermodefectError(f"not a readable ONNX network: {exc}", path) from None
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get("thermodefect_kind", "image") != "image":
        raise ThermodefectError("a per-pixel network: run it through its checkpoint", path)
    missing = [k for k in _KEYS if f"thermodefect_{k}" not in meta]
    if missing:
        raise ThermodefectError(
            f"no thermodefect_{missing[0]} in its metadata: export it with this version", path
        )
    return OnnxNetwork(
        meta["thermodefect_model"], InputConfig.from_dict(json.loads(meta["thermodefect_inputs"])),
        float(meta["thermodefect_threshold"]), int(meta["thermodefect_min_area"]),
        int(meta["thermodefect_multiple"]), Path(path), session,
    )  # fmt: skip
