"""One-file checkpoints: weights, model configuration, input settings, tuned threshold.

The file is a ``torch.save`` dictionary read back with ``weights_only=True`` (tensors,
numbers, strings, lists and dicts only: loading runs no pickled code). ``format`` and
``version`` guard against files of other programs or of an incompatible version.
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from thermodefect.errors import ThermodefectError, short
from thermodefect.io.files import atomic_path
from thermodefect.nn.inputs import InputConfig

__all__ = [
    "FORMAT",
    "PRETRAINED_FORMAT",
    "VERSION",
    "Checkpoint",
    "load_checkpoint",
    "read_document",
    "save_checkpoint",
]

FORMAT = "thermodefect-checkpoint"
#: The format of ``thermodefect pretrain``'s files (:mod:`thermodefect.nn.pretrain`).
PRETRAINED_FORMAT = "thermodefect-pretrained"
#: What every checkpoint holds besides ``format`` and ``version``.
KEYS = ("model_name", "options", "inputs", "threshold", "min_area", "state_dict")
VERSION = 1


@dataclass
class Checkpoint:
    """A trained network and everything detection needs to reproduce training.

    Parameters
    ----------
    model_name : str
        Its name in :data:`~thermodefect.nn.registry.MODELS`.
    options : dict
        Constructor options it was built with.
    inputs : InputConfig
        The input representation it reads.
    model : torch.nn.Module
        The network.
    threshold : float
        Probability threshold tuned on validation.
    min_area : int
        Smallest region kept, pixels.
    info : dict
        Training data, epochs, scores and times.
    """

    model_name: str
    options: dict
    inputs: InputConfig
    model: nn.Module
    threshold: float = 0.5
    min_area: int = 9
    info: dict = field(default_factory=dict)  # training data, epochs, scores, times


def save_checkpoint(ckpt: Checkpoint, path: Path) -> Path:
    """Write a checkpoint atomically (never a half-written file at ``path``).

    Parameters
    ----------
    ckpt : Checkpoint
        A loaded checkpoint.
    path : Path
        The ``.pt`` file.

    Returns
    -------
    Path
    """
    state = {k: v.detach().cpu() for k, v in ckpt.model.state_dict().items()}
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "model_name": ckpt.model_name,
        "options": ckpt.options,
        "inputs": ckpt.inputs.to_dict(),
        "threshold": float(ckpt.threshold),
        "min_area": int(ckpt.min_area),
        "info": ckpt.info,
        "state_dict": state,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(doc, tmp)
    return path


def read_document(path: Path, device: str = "cpu") -> dict:
    """The dictionary of a file written by ``torch.save``, read with ``weights_only``.

    Parameters
    ----------
    path : Path
        The file.
    device : str
        Where tensors go.

    Returns
    -------
    dict
        Its ``format`` is not checked.

    Raises
    ------
    ThermodefectError
        For a missing, damaged or foreign file, or one holding Python objects (loading them
        could run code).
    """
    path = Path(path)
    if not path.is_file():
        raise ThermodefectError("no such checkpoint file", path)
    try:
        with warnings.catch_warnings():  # torch warns about pickles before refusing them
            warnings.simplefilter("ignore")
            doc = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        detail = str(exc).split("WeightsUnpickler error:")[-1].split("Check the doc")[0]
        if "Unsupported global" not in detail:
            raise ThermodefectError(
                f"not a readable checkpoint: damaged or of another program ({short(detail, 80)})",
                path,
            ) from None
        raise ThermodefectError(
            "holds Python objects that no checkpoint contains (a pickle of another program?); "
            "not loaded, since loading them could run code",
            path,
        ) from None
    except Exception as exc:  # torch raises many types for truncated or foreign files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ThermodefectError(
            f"not a readable checkpoint: damaged, truncated or of another program ({short(first)})",
            path,
        ) from None
    if not isinstance(doc, dict):
        raise ThermodefectError("not a thermodefect checkpoint", path)
    return doc


def load_checkpoint(path: Path, device: str = "cpu") -> Checkpoint:
    """Read a checkpoint; the network is in evaluation mode on ``device``.

    Loading uses ``weights_only``: no pickled code runs.

    Parameters
    ----------
    path : Path
        A file written by :func:`save_checkpoint`.
    device : str
        Torch device.

    Returns
    -------
    Checkpoint

    Raises
    ------
    ThermodefectError
        For a missing, damaged, foreign or incompatible file, or a pretrained network that
        has not been fine-tuned into a detector.
    """
    from thermodefect.nn.models import build_model

    path = Path(path)
    doc = read_document(path, device)
    if doc.get("format") == PRETRAINED_FORMAT:
        raise ThermodefectError(
            "a pretrained network (thermodefect pretrain), not a detector: fine-tune it with "
            "thermodefect train --init",
            path,
        )
    if doc.get("format") != FORMAT:
        raise ThermodefectError("not a thermodefect checkpoint", path)
    if doc.get("version") != VERSION:
        raise ThermodefectError(
            f"checkpoint version {doc.get('version')} is not supported by this thermodefect "
            f"(reads version {VERSION}); retrain or use the matching thermodefect",
            path,
        )
    missing = [key for key in KEYS if key not in doc]
    if missing:
        raise ThermodefectError(
            f"the checkpoint misses {', '.join(missing)}: damaged, or not written by "
            "thermodefect train",
            path,
        )
    try:
        inputs = InputConfig.from_dict(doc["inputs"])
        model = build_model(doc["model_name"], inputs, doc["options"])
    except ThermodefectError as exc:
        raise ThermodefectError(exc.problem, path) from None
    except TypeError as exc:
        raise ThermodefectError(f"its input settings are not valid ({short(exc)})", path) from None
    try:
        model.load_state_dict(doc["state_dict"])
    except RuntimeError as exc:
        raise ThermodefectError(
            f"weights do not fit {doc['model_name']} {doc['options']}: "
            f"{short(str(exc).splitlines()[0], 120)}",
            path,
        ) from None
    model.to(device).eval()
    return Checkpoint(
        doc["model_name"], doc["options"], inputs, model, doc["threshold"], doc["min_area"],
        doc.get("info", {}),
    )  # fmt: skip
