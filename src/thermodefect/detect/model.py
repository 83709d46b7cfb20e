"""Detection with a trained network: the same files and table as the classical methods."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from thermodefect.detect.regions import Detection
from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

if TYPE_CHECKING:  # torch loads with the first network, not with this module
    from thermodefect.nn.checkpoint import Checkpoint
    from thermodefect.nn.onnx_network import OnnxNetwork

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_ONNX",
    "default_checkpoint_path",
    "detect_with_model",
    "load_detector",
    "load_model",
]

DEFAULT_MODEL = "default.pt"

#: The same network exported to ONNX (``nn.export.export_onnx``), which detection runs through
#: onnxruntime when it is installed: no torch to import.
DEFAULT_ONNX = "default.onnx"

#: A network's region is kept only where the classical feature (robust z of the fallback
#: method) reaches this somewhere in it. With the out-of-distribution fallback and the mark
#: rule, the built-in network's false calls on the randomised set's 39 sound plates fell from
#: 1.97 to 0.67 per plate and its IoU rose on six of eight held-out families; the standard
#: test split stays 0.95 (docs/results.md).
Z_CONFIRM = 4.0


def default_checkpoint_path() -> Path:
    """The network shipped inside the package (``thermodefect/data/models/default.pt``).

    Returns
    -------
    Path

    Raises
    ------
    ThermodefectError
        When the file is missing (a broken installation).
    """
    path = Path(str(resources.files("thermodefect.data") / "models" / DEFAULT_MODEL))
    if not path.is_file():
        raise ThermodefectError("the packaged default model is missing; reinstall", path)
    return path


def load_model(path: Path | None = None, device: str = "cpu") -> Checkpoint:
    """A checkpoint from ``path``, or the packaged default network.

    Parameters
    ----------
    path : Path, optional
        A checkpoint written by ``thermodefect train``.
    device : str
        Torch device.

    Returns
    -------
    Checkpoint

    Raises
    ------
    ThermodefectError
        For a missing, damaged or incompatible checkpoint.
    """
    from thermodefect.nn.checkpoint import load_checkpoint

    return load_checkpoint(default_checkpoint_path() if path is None else path, device)


def load_detector(path: Path | None = None, device: str = "cpu") -> Checkpoint | OnnxNetwork:
    """The network detection runs: the built-in one through onnxruntime when onnxruntime is
    installed and the device is the CPU (the same probabilities within float32 rounding, and
    no torch to import), else :func:`load_model`'s checkpoint.

    Parameters
    ----------
    path : Path, optional
        A checkpoint written by ``thermodefect train`` (default: the built-in network).
    device : str
        Torch device.

    Returns
    -------
    Checkpoint or OnnxNetwork

    Raises
    ------
    ThermodefectError
        For a missing, damaged or incompatible network file.
    """
    from thermodefect.nn.onnx_network import load_onnx, onnxruntime_available

    if path is None and device == "cpu" and onnxruntime_available():
        return load_onnx(default_checkpoint_path().with_name(DEFAULT_ONNX))
    return load_model(path, device)


def detect_with_model(
    seq: Sequence,
    ckpt: Checkpoint | OnnxNetwork,
    *,
    device: str = "cpu",
    threshold: float | None = None,
    min_area: int | None = None,
    fallback: str | None = "pct",
    confirm: float | None = Z_CONFIRM,
    plate_checked: bool = False,
    response: np.ndarray | None = None,
) -> Detection:
    """Probability map, cleaned mask and measured regions of one raw sequence.

    Region sizes come from the sequence's pixel pitch; the frame of peak contrast is searched
    among the log-spaced frames the network read. When the sequence is not a flashed plate
    cooling (:func:`~thermodefect.detect.ood.out_of_distribution`) or the network calls most
    of the plate (:func:`~thermodefect.detect.ood.model_out_of_distribution`), the network's
    regions would be invented: the classical ``fallback`` method answers instead, and the
    detection says why. Otherwise each region of the network must be confirmed by the
    physics: the fallback method's feature image must reach ``confirm`` robust standard
    deviations in it (what a heating gradient, row noise or texture made the network call
    does not), it must not lie mostly along the plate's boundary
    (:data:`~thermodefect.detect.combined.EDGE_CLEARANCE`) and must not be a surface mark
    (:mod:`thermodefect.detect.marks`). The network draws its regions wider than the
    defects: each confirmed region is then redrawn at its halo-corrected size on that
    feature and the early frames, as the classical regions are
    (:func:`~thermodefect.detect.outline.halo_corrected`; on the held-out families of the
    leave-one-family-out protocol the mean IoU rose from 0.411 to 0.442 and the median
    diameter error from 17-77 % to 9-28 %, docs/results.md).

    Parameters
    ----------
    seq : Sequence
        A raw sequence.
    ckpt : Checkpoint
        The network.
    device : str
        Torch device.
    threshold : float, optional
        Probability threshold in (0, 1); default the checkpoint's (tuned on validation).
    min_area : int, optional
        Smallest region kept, pixels; default the checkpoint's.
    fallback : str or None
        Classical method used out of distribution (None: keep the network's answer, flagged).
    confirm : float or None
        Robust z of the fallback method's feature a region must reach (None: no check).
    plate_checked : bool
        True when the caller has already found the sequence to be a flashed plate cooling
        (:func:`~thermodefect.detect.ood.out_of_distribution` of its prepared cooling): only
        the network's answer is then tested.
    response : (T,) ndarray, optional
        :func:`~thermodefect.preprocess.mean_response` of ``seq`` when the caller has it (the
        flash, the baseline and the level are all read from it).

    Returns
    -------
    Detection
        ``out_of_distribution`` says why when the network was not trusted; each region's
        confidence comes from the PCT evidence that confirmed it.

    Raises
    ------
    ThermodefectError
        For a threshold outside (0, 1) or a sequence too short for the network.
    """
    from dataclasses import replace

    from thermodefect.detect.ood import model_out_of_distribution, out_of_distribution
    from thermodefect.detect.outline import with_early_sizes
    from thermodefect.detect.regions import measure, with_confidence
    from thermodefect.methods import clean
    from thermodefect.nn.inputs import from_cooling
    from thermodefect.nn.onnx_network import OnnxNetwork
    from thermodefect.preprocess import (
        extract_cooling,
        frame_indices,
        mean_response,
        rise_baseline,
        warn_if_absolute,
    )

    response = mean_response(seq) if response is None else response
    warn_if_absolute(seq, "the network", response)
    cooling = extract_cooling(seq, response=response)
    baseline = rise_baseline(seq, response)
    x = from_cooling(cooling, ckpt.inputs, baseline=baseline)
    if isinstance(ckpt, OnnxNetwork):
        prob = ckpt.probability(x)
    else:
        from thermodefect.nn.infer import predict_probability

        prob = predict_probability(ckpt.model, x, device=device)
    thr = ckpt.threshold if threshold is None else float(threshold)
    if not 0 < thr < 1:
        raise ThermodefectError(f"a probability threshold must lie in (0, 1); got {thr}")
    area = ckpt.min_area if min_area is None else int(min_area)
    mask = clean(prob >= thr, min_area=area)
    reason = None if plate_checked else out_of_distribution(cooling, baseline)
    reason = reason or model_out_of_distribution(mask)
    if reason is not None and fallback is not None:
        from thermodefect.detect.classical import detect

        found = detect(seq, fallback)
        return replace(found, method=f"{fallback} (instead of the network)",
                       out_of_distribution=reason)  # fmt: skip
    z = early = None
    if confirm is not None and mask.any():
        from thermodefect.detect.classical import prepare
        from thermodefect.detect.combined import network_additions
        from thermodefect.detect.features import feature
        from thermodefect.detect.marks import surface_marks
        from thermodefect.detect.outline import halo_corrected

        prepared = prepare(seq, response=response)
        z = feature(prepared, fallback or "pct")
        nothing = np.zeros(mask.shape, bool)
        mask = network_additions(mask, nothing, z, plate=prepared.meta.extra.get("plate"),
                                 confirm=confirm) & ~surface_marks(mask, prepared)  # fmt: skip
        mask, early = halo_corrected(mask, z, prepared)
    idx = frame_indices(cooling.n_frames, ckpt.inputs.n_frames, spacing="log")
    first = int(cooling.meta.extra.get("first_frame", 0))
    shown = cooling.derive(
        "network frames",
        frames=cooling.frames[idx],
        times=cooling.times[idx],
        extra={**cooling.meta.extra, "frame_numbers": [first + int(i) for i in idx]},
    )
    regions = measure(mask, prob, seq=shown)
    if z is not None and early is not None:  # confirmed by the physics: its confidence
        regions = with_early_sizes(with_confidence(regions, mask, z), mask, early)
    return Detection(f"model:{ckpt.model_name}", prob.astype(np.float32), mask, regions, shown,
                     feature_max=1.0, out_of_distribution=reason)  # fmt: skip
