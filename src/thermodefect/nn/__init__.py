"""Deep learning for defect segmentation: attention blocks, networks, losses, training,
checkpoints and inference. Importing it loads torch."""

from thermodefect.nn.blocks import ATTENTION, CBAM, ECA, ECA3D, SCSE, SE, SpatioTemporalAttention
from thermodefect.nn.inputs import MODES, InputConfig, representation
from thermodefect.nn.losses import LOSSES
from thermodefect.nn.models import MODELS, build_model, count_parameters, default_inputs

__all__ = [
    "ATTENTION",
    "CBAM",
    "ECA",
    "ECA3D",
    "LOSSES",
    "MODELS",
    "MODES",
    "SCSE",
    "SE",
    "InputConfig",
    "SpatioTemporalAttention",
    "build_model",
    "count_parameters",
    "default_inputs",
    "representation",
]
