"""Shared fixtures: small sequences with known values."""

from __future__ import annotations

import logging
import os
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from thermodefect.sequence import Meta, Sequence

# Qt (the napari plugin's tests) draws without a screen; pytest-xvfb gives OpenGL a display
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: The seed's real label masks, shipped inside the package (black = defect).
SEED_LABELS = sorted(
    Path(str(p))
    for p in files("thermodefect.data.seed_labels").iterdir()
    if p.name.endswith("_label.png")
)


@pytest.fixture(autouse=True)
def _package_log_level():
    """Start every test with the package's logger at its default level: a ``main([...
    --quiet])`` run earlier (in a test or a shared fixture) leaves it at ERROR, and a test's
    ``caplog`` would then miss the warnings it checks."""
    logger = logging.getLogger("thermodefect")
    logger.setLevel(logging.NOTSET)
    yield
    logger.setLevel(logging.NOTSET)


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


def simulated_plate(
    holes=(), *, shape=(40, 60), n_frames=40, heating="uniform", clean=False, seed=0
) -> Sequence:
    """A 2 mm CFRP plate from the simulator; ``holes`` are (row, col, diameter_px, depth_mm).

    Pixel pitch 0.5 mm, 12 layers, a frame rate covering 1.2 L^2/a after the flash;
    ``clean`` makes the camera ideal (every effect off).
    """
    from thermodefect.simulate import from_dict, run

    camera = {"height": shape[0], "width": shape[1], "n_frames": n_frames, "frame_rate": 4.0}
    if clean:
        camera["ideal"] = True
    spec = from_dict({
        "name": "plate",
        "seed": seed,
        "plate": {"thickness_mm": 2.0, "material": "cfrp"},
        "defects": [
            {"kind": "hole", "center_mm": [(c + 0.5) * 0.5, (r + 0.5) * 0.5], "size_mm": d * 0.5,
             "depth_mm": depth}
            for r, c, d, depth in holes
        ],
        "flash": {"profile": heating, "nonuniformity": 0.4},
        "camera": camera,
        "solver": {"nz": 12},
    })  # fmt: skip
    return run(spec)[0]


REPORT_NAMES = ("<script>", "tiny_1", "tiny_2")


@pytest.fixture(scope="session")
def report_folders(tmp_path_factory) -> Path:
    """Three tiny plates in ``data/`` (one named ``<script>.mat``), detected into ``with/``
    with ``--report`` and into ``plain/`` without."""
    import shutil

    from thermodefect.cli import main

    root = tmp_path_factory.mktemp("report")
    assert main(["--quiet", "simulate", str(root / "data"), "--preset", "tiny", "--n", "3"]) == 0
    shutil.move(root / "data" / "tiny_0.mat", root / "data" / "<script>.mat")
    files = [str(root / "data" / f"{n}.mat") for n in REPORT_NAMES]
    assert main(["--quiet", "detect", *files, "--out", str(root / "with"), "--report"]) == 0
    assert main(["--quiet", "detect", *files, "--out", str(root / "plain")]) == 0
    return root
