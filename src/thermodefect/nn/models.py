"""Building registered networks (:data:`thermodefect.nn.registry.MODELS`) and counting them."""

from __future__ import annotations

from torch import nn

from thermodefect.errors import ThermodefectError
from thermodefect.nn.inputs import InputConfig
from thermodefect.nn.registry import MODELS, ModelSpec

__all__ = [
    "build_model",
    "count_parameters",
    "default_inputs",
    "model_spec",
]


def model_spec(name: str) -> ModelSpec:
    """The registry entry of a network.

    Parameters
    ----------
    name : str
        A name of :data:`~thermodefect.nn.registry.MODELS`.

    Returns
    -------
    ModelSpec

    Raises
    ------
    ThermodefectError
        For an unknown name.
    """
    return MODELS[name]


def build_model(name: str, inputs: InputConfig, options: dict | None = None) -> nn.Module:
    """A freshly initialised network.

    Parameters
    ----------
    name : str
        A registered network.
    inputs : InputConfig
        What it reads.
    options : dict, optional
        Constructor options over the registered defaults (``base``, ``depth`` ...).

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ThermodefectError
        For an unknown name or options the network does not take.
    """
    spec = model_spec(name)
    merged = {**spec.defaults, **(options or {})}
    try:
        return spec.builder()(inputs, **merged)
    except (TypeError, ValueError) as exc:
        raise ThermodefectError(f"cannot build {name} with {merged}: {exc}") from None


def default_inputs(name: str, **overrides) -> InputConfig:
    """The input configuration a network reads by default.

    Parameters
    ----------
    name : str
        A registered network.
    **overrides
        Fields of :class:`~thermodefect.nn.inputs.InputConfig` to change.

    Returns
    -------
    InputConfig
    """
    return InputConfig(**{"mode": model_spec(name).mode, **overrides})


def count_parameters(model: nn.Module) -> int:
    """Trainable and frozen parameters of a network.

    Parameters
    ----------
    model : torch.nn.Module
        Any network.

    Returns
    -------
    int
    """
    return sum(p.numel() for p in model.parameters())
