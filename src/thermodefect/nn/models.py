"""The registry of networks: name -> builder, input mode and default size."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from thermodefect.errors import ThermodefectError
from thermodefect.nn.inputs import InputConfig


@dataclass(frozen=True)
class ModelSpec:
    """How to build one registered network."""

    build: object  # callable(input_config, **options) -> nn.Module
    mode: str  # the input mode it reads
    defaults: dict = field(default_factory=dict)
    summary: str = ""


def _lstm(inputs: InputConfig, **options) -> nn.Module:
    from thermodefect.nn.lstm import PixelLSTM

    return PixelLSTM(**options)


def _unet(inputs: InputConfig, **options) -> nn.Module:
    from thermodefect.nn.unet import UNet

    return UNet(inputs.channels, **options)


def _unetpp(inputs: InputConfig, **options) -> nn.Module:
    from thermodefect.nn.unet import NestedUNet

    return NestedUNet(inputs.channels, **options)


def _stunet(inputs: InputConfig, **options) -> nn.Module:
    from thermodefect.nn.stunet import STUNet

    return STUNet(frames=inputs.n_frames, **options)


MODELS = {
    "lstm": ModelSpec(_lstm, "pixels", {"hidden": 16, "layers": 3, "dropout": 0.5},
                      "per-pixel LSTM over the cooling curve (the seed's)"),
    "unet": ModelSpec(_unet, "frames", {"base": 16, "depth": 3}, "2-D UNet"),
    "unetpp": ModelSpec(_unetpp, "frames", {"base": 16, "depth": 3, "deep_supervision": False},
                        "2-D UNet++ (nested skips)"),
    "stunet": ModelSpec(_stunet, "clip", {"base": 8, "depth": 3, "attention": False},
                        "spatio-temporal 3-D UNet++ with a PCA branch and ECA fusion"),
    "stunet-att": ModelSpec(_stunet, "clip", {"base": 8, "depth": 3, "attention": True},
                            "stunet with ECA3D and spatio-temporal attention"),
}  # fmt: skip


def model_spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ThermodefectError(f"unknown model {name!r}; models: {', '.join(MODELS)}")
    return MODELS[name]


def build_model(name: str, inputs: InputConfig, options: dict | None = None) -> nn.Module:
    """A fresh network; ``options`` override the registered defaults (e.g. ``base``)."""
    spec = model_spec(name)
    merged = {**spec.defaults, **(options or {})}
    try:
        return spec.build(inputs, **merged)
    except (TypeError, ValueError) as exc:
        raise ThermodefectError(f"cannot build {name} with {merged}: {exc}") from None


def default_inputs(name: str, **overrides) -> InputConfig:
    """The input configuration a model reads by default."""
    return InputConfig(**{"mode": model_spec(name).mode, **overrides})


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
