"""Scoring: pixel metrics, defect-level hits and false calls, POD (MIL-HDBK-1823A), CNR, and
the scoring of a detection folder against labels."""

from thermodefect.evaluate.folder import evaluate_folder
from thermodefect.evaluate.matching import Match, match_defects, match_footprints
from thermodefect.evaluate.metrics import (
    PixelScores,
    average_precision,
    contrast_to_noise,
    pixel_scores,
)
from thermodefect.evaluate.pod import LINKS, PODFit, fit_pod

__all__ = [
    "LINKS",
    "Match",
    "PODFit",
    "PixelScores",
    "average_precision",
    "contrast_to_noise",
    "evaluate_folder",
    "fit_pod",
    "match_defects",
    "match_footprints",
    "pixel_scores",
]
