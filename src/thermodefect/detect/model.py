"""Detection with a trained network: the same files and table as the classical methods."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from thermodefect.detect.regions import Detection
from thermodefect.errors import ThermodefectError
from thermodefect.nn.checkpoint import Checkpoint, load_checkpoint
from thermodefect.sequence import Sequence

__all__ = [
    "DEFAULT_MODEL",
    "default_checkpoint_path",
    "detect_with_model",
    "load_model",
]

DEFAULT_MODEL = "default.pt"


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
    return load_checkpoint(default_checkpoint_path() if path is None else path, device)


def detect_with_model(
    seq: Sequence,
    ckpt: Checkpoint,
    *,
    device: str = "cpu",
    threshold: float | None = None,
    min_area: int | None = None,
) -> Detection:
    """Probability map, cleaned mask and measured regions of one raw sequence.

    Region sizes come from the sequence's pixel pitch; the frame of peak contrast is searched
    among the log-spaced frames the network read.

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

    Returns
    -------
    Detection

    Raises
    ------
    ThermodefectError
        For a threshold outside (0, 1) or a sequence too short for the network.
    """
    from thermodefect.detect.regions import measure
    from thermodefect.methods import clean
    from thermodefect.nn.infer import predict_probability
    from thermodefect.nn.inputs import from_cooling
    from thermodefect.preprocess import (
        extract_cooling,
        frame_indices,
        rise_baseline,
        warn_if_absolute,
    )

    warn_if_absolute(seq, "the network")
    cooling = extract_cooling(seq)
    x = from_cooling(cooling, ckpt.inputs, baseline=rise_baseline(seq))
    prob = predict_probability(ckpt.model, x, device=device)
    thr = ckpt.threshold if threshold is None else float(threshold)
    if not 0 < thr < 1:
        raise ThermodefectError(f"a probability threshold must lie in (0, 1); got {thr}")
    area = ckpt.min_area if min_area is None else int(min_area)
    mask = clean(prob >= thr, min_area=area)
    idx = frame_indices(cooling.n_frames, ckpt.inputs.n_frames, spacing="log")
    first = int(cooling.meta.extra.get("first_frame", 0))
    shown = cooling.derive(
        "network frames",
        frames=cooling.frames[idx],
        times=cooling.times[idx],
        extra={**cooling.meta.extra, "frame_numbers": [first + int(i) for i in idx]},
    )
    regions = measure(mask, prob, seq=shown)
    return Detection(f"model:{ckpt.model_name}", prob.astype(np.float32), mask, regions, shown,
                     feature_max=1.0)  # fmt: skip
