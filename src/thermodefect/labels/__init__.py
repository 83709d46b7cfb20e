"""Annotations: labelme JSON to masks, images for annotators, several annotators' masks fused
into one ground truth, and how well they agree.

Label images follow the seed's convention (black = defect); reading and writing them is
:mod:`thermodefect.io.masks`.
"""

from thermodefect.labels.agreement import agreement_report
from thermodefect.labels.folders import (
    convert_folder,
    fuse_folders,
    prepare_folder,
    tsr_derivative_images,
)
from thermodefect.labels.fusion import (
    StapleResult,
    dice,
    fleiss_kappa,
    majority,
    pairwise_dice,
    staple,
)
from thermodefect.labels.labelme import SHAPE_TYPES, Annotation, rasterize, read_class_map

__all__ = [
    "SHAPE_TYPES",
    "Annotation",
    "StapleResult",
    "agreement_report",
    "convert_folder",
    "dice",
    "fleiss_kappa",
    "fuse_folders",
    "majority",
    "pairwise_dice",
    "prepare_folder",
    "rasterize",
    "read_class_map",
    "staple",
    "tsr_derivative_images",
]
