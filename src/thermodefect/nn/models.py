"""Building registered networks (:data:`thermodefect.nn.registry.MODELS`) and counting them."""

from __future__ import annotations

from torch import nn

from thermodefect.errors import ThermodefectError
from thermodefect.nn.inputs import InputConfig
from thermodefect.nn.registry import MODELS, ModelSpec


def model_spec(name: str) -> ModelSpec:
    """The registry entry of a network.

    Raises
    ------
    ThermodefectError
        For an unknown name.
    """
    return MODELS[name]


def build_model(name: str, inputs: InputConfig, options: dict | None = None) -> nn.Module:
    """A fresh network; ``options`` override the registered defaults (e.g. ``base``)."""
    spec = model_spec(name)
    merged = {**spec.defaults, **(options or {})}
    try:
        return spec.builder()(inputs, **merged)
    except (TypeError, ValueError) as exc:
        raise ThermodefectError(f"cannot build {name} with {merged}: {exc}") from None


def default_inputs(name: str, **overrides) -> InputConfig:
    """The input configuration a model reads by default."""
    return InputConfig(**{"mode": model_spec(name).mode, **overrides})


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
