"""Shared fixtures: small sequences with known values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thermodefect.sequence import Meta, Sequence

SEED_DIR = Path(__file__).resolve().parents[2] / "shared" / "seed"


@pytest.fixture
def ramp() -> Sequence:
    """20 frames of 6x8 pixels; value = frame + row/10 + col/100, at 50 Hz."""
    t, h, w = 20, 6, 8
    f = (
        np.arange(t)[:, None, None]
        + np.arange(h)[None, :, None] / 10
        + np.arange(w)[None, None, :] / 100
    ).astype(np.float32)
    mask = np.zeros((h, w), bool)
    mask[1:3, 2:5] = True
    return Sequence(f, np.arange(t) / 50.0, mask, Meta(frame_rate=50.0, pixel_pitch_mm=0.2))


@pytest.fixture
def random_seq() -> Sequence:
    rng = np.random.default_rng(3)
    f = rng.normal(size=(24, 10, 12)).astype(np.float32)
    return Sequence(f, np.arange(24) / 10.0, None, Meta(frame_rate=10.0))
