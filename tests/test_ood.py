"""Out of distribution: what is not a flashed plate cooling is said so, and the network gives
way; what a heating gradient and row noise make the network call is not confirmed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thermodefect.cli import main
from thermodefect.detect import detect, detect_with_model, load_model
from thermodefect.detect.ood import (
    WARMING_SHARE,
    model_out_of_distribution,
    out_of_distribution,
    warming_share,
)
from thermodefect.sequence import Sequence
from thermodefect.simulate import from_dict, run


def _checkerboard_movie() -> Sequence:
    """A flash-like mean level with a checkerboard of 8 px squares moving one pixel a frame."""
    t = np.arange(60) / 10.0
    yy, xx = np.mgrid[:48, :64]
    frames = np.zeros((60, 48, 64), np.float32)
    for i in range(2, 60):
        board = (yy // 8 + (xx + i) // 8) % 2
        frames[i] = 5.0 * (1 + 0.5 * board) / np.sqrt(1 + t[i])
    return Sequence(frames, t)


def test_warming_share_by_hand():
    cooling = 1 / np.sqrt(np.arange(1, 41))[:, None, None] * np.ones((40, 4, 5))
    frames = cooling.copy()
    frames[20:, 0, :] += 0.5  # one row of five pixels warms again by half its peak
    assert warming_share(cooling) == 0.0
    assert warming_share(frames) == pytest.approx(0.25)
    plate = np.zeros((4, 5), bool)
    plate[1:] = True
    assert warming_share(frames, plate) == 0.0


def test_a_plate_that_does_not_cool_is_out_of_distribution():
    t = np.arange(30) / 10.0
    warming = Sequence(np.broadcast_to(t[:, None, None], (30, 8, 8)).astype(np.float32), t)
    assert out_of_distribution(warming) == "the plate does not cool after the flash"


def test_a_network_calling_most_of_the_plate_is_not_trusted():
    mask = np.zeros((10, 10), bool)
    mask[:6] = True
    assert model_out_of_distribution(mask) == "the network calls 60% of the plate a defect"
    assert model_out_of_distribution(mask[:, :5], np.ones((10, 5), bool)) is not None
    assert model_out_of_distribution(mask[6:]) is None


def test_a_checkerboard_movie_is_flagged_by_both_paths_and_the_network_gives_way(tmp_path):
    movie = _checkerboard_movie()
    found = detect(movie, "pct")
    assert "of the plate warms again after the flash" in found.out_of_distribution
    assert warming_share(movie.frames[2:]) > WARMING_SHARE
    network = detect_with_model(movie, load_model())
    assert network.method == "pct (instead of the network)"
    assert "of the plate warms again after the flash" in network.out_of_distribution
    np.save(tmp_path / "movie.npy", movie.frames)
    out = tmp_path / "o"
    assert main(["--quiet", "detect", str(tmp_path / "movie.npy"), "--out", str(out)]) == 0
    doc = json.loads((out / "movie_defects.json").read_text())
    assert "warms again" in doc["out_of_distribution"]
    header = (out / "movie_defects.csv").read_text().splitlines()[0]
    assert header.endswith(",out_of_distribution")


def _gradient_with_row_noise(seed: int) -> Sequence:
    """A sound CFRP plate under a flash falling to half across the image, with row noise."""
    spec = from_dict({
        "name": "gradient_rows", "seed": seed,
        "plate": {"thickness_mm": 3.0, "material": "cfrp"},
        "flash": {"profile": "gradient", "nonuniformity": 0.5, "angle_deg": 0},
        "camera": {"height": 96, "width": 112, "n_frames": 60, "frame_rate": 10.0,
                   "netd_k": 0.05, "row_noise_k": 0.05},
        "solver": {"nz": 12},
    })  # fmt: skip
    return run(spec)[0]


def test_a_sound_plate_with_a_heating_gradient_and_row_noise_gives_no_false_call():
    """Without the classical confirmation the built-in network calls a region on seed 1."""
    ckpt = load_model()
    for seed in (0, 1):
        seq = _gradient_with_row_noise(seed)
        found = detect_with_model(seq, ckpt)
        assert found.out_of_distribution is None
        assert found.regions == [], seed
        assert detect(seq, "pct").regions == []


def test_detect_runs_pct_with_the_network_by_default_and_either_alone_on_request(tmp_path, capsys):
    seq = _gradient_with_row_noise(0)
    np.save(tmp_path / "plate.npy", seq.frames)
    plate = str(tmp_path / "plate.npy")
    assert main(["detect", plate, "--out", str(tmp_path / "a")]) == 0
    assert "0 defects (pct + model:unet)" in capsys.readouterr().out
    assert main(["detect", plate, "--method", "pct", "--out", str(tmp_path / "b")]) == 0
    assert "0 defects (pct)" in capsys.readouterr().out
    assert main(["detect", plate, "--model", "default", "--out", str(tmp_path / "c")]) == 0
    assert "0 defects (model:unet)" in capsys.readouterr().out
    args = ["detect", plate, "--method", "tsr", "--model", "default", "--out"]
    assert main([*args, str(tmp_path / "d")]) == 0
    assert "0 defects (tsr + model:unet)" in capsys.readouterr().out


def test_confidence_follows_the_logistic_model_and_reaches_the_table(tmp_path):
    from thermodefect.detect.confidence import COEFFICIENTS, confidence_of
    from thermodefect.detect.regions import measure, with_confidence

    b0, b1, b2 = COEFFICIENTS
    expected = 1 / (1 + np.exp(-(b0 + b1 * np.log(12.0) + b2 * np.log(20))))
    assert confidence_of(12.0, 20) == pytest.approx(expected, rel=1e-12)
    assert confidence_of(0.5, 0) == confidence_of(1.0, 1)  # logs floored at 0
    mask = np.zeros((20, 20), bool)
    mask[2:6, 2:7] = True  # 20 px
    mask[12:15, 12:15] = True  # 9 px
    z = np.zeros((20, 20))
    z[4, 4], z[13, 13] = 12.0, 7.0
    regions = with_confidence(measure(mask, z), mask, z)
    assert [r.confidence for r in regions] == [confidence_of(12.0, 20), confidence_of(7.0, 9)]
    seq = _gradient_with_row_noise(0)
    np.save(tmp_path / "p.npy", seq.frames)
    assert main(["--quiet", "detect", str(tmp_path / "p.npy"), "--out", str(tmp_path / "o")]) == 0
    header = (tmp_path / "o" / "p_defects.csv").read_text().splitlines()[0].split(",")
    assert header[-6:] == ["confidence", "depth_mm", "depth_lo_mm", "depth_hi_mm", "depth_method",
                           "out_of_distribution"]  # fmt: skip
