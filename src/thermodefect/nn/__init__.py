"""Deep learning for defect segmentation: attention blocks, networks, losses, the input
representation, training, checkpoints, inference and export.

Names load on first use; the registries (:mod:`thermodefect.nn.registry`) load without torch.
"""

from thermodefect.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ATTENTION": ".registry",
        "LOSSES": ".registry",
        "MODELS": ".registry",
        "ModelSpec": ".registry",
        "CBAM": ".blocks",
        "ECA": ".blocks",
        "ECA3D": ".blocks",
        "SCSE": ".blocks",
        "SE": ".blocks",
        "SpatioTemporalAttention": ".blocks",
        "attention": ".blocks",
        "MODES": ".inputs",
        "InputConfig": ".inputs",
        "representation": ".inputs",
        "build_model": ".models",
        "count_parameters": ".models",
        "default_inputs": ".models",
        "Checkpoint": ".checkpoint",
        "load_checkpoint": ".checkpoint",
        "save_checkpoint": ".checkpoint",
        "predict_probability": ".infer",
        "TrainConfig": ".train",
        "train": ".train",
        "export_onnx": ".export",
    },
)
