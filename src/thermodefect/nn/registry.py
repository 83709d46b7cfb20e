"""The registries of the deep-learning part: networks, losses and attention blocks.

This module imports no torch: the command line lists the names and summaries from here, and
an entry's code loads only when it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from thermodefect.registry import Registry

__all__ = [
    "ADAPT_OBJECTIVES",
    "ATTENTION",
    "LOSSES",
    "MODELS",
    "ModelSpec",
]


@dataclass(frozen=True)
class ModelSpec:
    """How to build one registered network.

    Parameters
    ----------
    build : str
        ``"module:function"`` of the builder, called as ``builder(input_config, **options)``.
    mode : str
        The input mode it reads (:data:`thermodefect.nn.inputs.MODES`).
    defaults : dict
        Default options (width, depth ...), overridden by a training configuration.
    summary : str
        One line for help texts and docs.
    """

    build: str
    mode: str
    defaults: dict = field(default_factory=dict)
    summary: str = ""

    def builder(self) -> Callable:
        """The builder function (imports its module, hence torch).

        Returns
        -------
        callable
            ``builder(input_config, **options) -> torch.nn.Module``.
        """
        module, _, name = self.build.partition(":")
        return getattr(importlib.import_module(module), name)


#: name -> ModelSpec of every network.
MODELS: Registry[ModelSpec] = Registry("model")

#: name -> loss(logits, target) -> scalar tensor.
LOSSES: Registry[Callable] = Registry("loss")

#: name -> attention block class, built as ``Block(channels, dims=2 or 3)``.
ATTENTION: Registry[Callable] = Registry("attention block")


def _model(name: str, spec: ModelSpec) -> None:
    MODELS.add(name, spec, summary=spec.summary)


_model("lstm", ModelSpec("thermodefect.nn.lstm:build", "pixels",
                         {"hidden": 16, "layers": 3, "dropout": 0.5},
                         "per-pixel LSTM over the cooling curve (the seed's)"))  # fmt: skip
_model("unet", ModelSpec("thermodefect.nn.unet:build_unet", "frames", {"base": 16, "depth": 3},
                         "2-D UNet"))  # fmt: skip
_model("unetpp", ModelSpec("thermodefect.nn.unet:build_unetpp", "frames",
                           {"base": 16, "depth": 3, "deep_supervision": False},
                           "2-D UNet++ (nested skips)"))  # fmt: skip
_model("stunet", ModelSpec("thermodefect.nn.stunet:build", "clip",
                           {"base": 8, "depth": 3, "attention": False},
                           "3-D UNet++ on clips, PCA branch, ECA fusion"))  # fmt: skip
_model("stunet-att", ModelSpec("thermodefect.nn.stunet:build", "clip",
                               {"base": 8, "depth": 3, "attention": True},
                               "stunet with ECA3D and spatio-temporal attention"))  # fmt: skip

LOSSES.add("bce", "thermodefect.nn.losses:bce_loss", summary="binary cross-entropy")
LOSSES.add("bce_dice", "thermodefect.nn.losses:bce_dice_loss", summary="BCE + Dice (2:1)")
LOSSES.add("dice", "thermodefect.nn.losses:dice_loss", summary="soft Dice")
LOSSES.add("focal", "thermodefect.nn.losses:focal_loss",
           summary="class-balanced focal loss with label smoothing")  # fmt: skip
LOSSES.add("tversky", "thermodefect.nn.losses:tversky_loss", summary="Tversky loss")

ATTENTION.add("se", "thermodefect.nn.blocks:SE", summary="squeeze-and-excitation")
ATTENTION.add("scse", "thermodefect.nn.blocks:SCSE", summary="spatial and channel SE")
ATTENTION.add("eca", "thermodefect.nn.blocks:ECA", summary="efficient channel attention")
ATTENTION.add("eca3d", "thermodefect.nn.blocks:ECA3D", summary="ECA on (N, C, T, H, W) clips")
ATTENTION.add("st", "thermodefect.nn.blocks:SpatioTemporalAttention",
              summary="separate temporal and spatial gates on clips")  # fmt: skip
ATTENTION.add("cbam", "thermodefect.nn.blocks:CBAM", summary="convolutional block attention")

#: The unlabelled objectives of ``thermodefect adapt`` (:mod:`thermodefect.detect.adapt`).
ADAPT_OBJECTIVES = ("pseudo", "entropy", "bn")
