"""Scoring by family: --family, --sound-only, --leave-out, diameter errors, sound-plate calls."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest

from thermodefect.cli import main
from thermodefect.evaluate import match_footprints
from thermodefect.simulate import run
from thermodefect.simulate.dataset import manifest_row, split_of, write_manifest, write_specimen
from thermodefect.simulate.presets import PRESETS


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    """12 tiny plates: even ones of family 'holes', odd ones sound, of family 'sound'."""
    out = tmp_path_factory.mktemp("families")
    splits = split_of(12, 0)  # a val plate in each family
    rows = []
    for i in range(12):
        spec = PRESETS["tiny"](np.random.default_rng([1, i]), f"tiny_{i:02d}")
        if i % 2:
            spec = replace(spec, family="sound", plate=replace(spec.plate, defects=()))
        else:
            spec = replace(spec, family="holes")
        sequence, truth = run(spec)
        write_specimen(out, spec, sequence, truth)
        rows.append(manifest_row(spec, splits[i], "tiny", sequence))
    write_manifest(out, rows)
    return out


def _table(path):
    with open(path, newline="") as fh:
        return {r["method"]: r for r in csv.DictReader(fh)}


def test_family_and_sound_only_select_specimens(families, tmp_path, capsys):
    out = tmp_path / "holes"
    assert main(["--quiet", "benchmark", str(families), "--split", "all", "--family", "holes",
                 "--methods", "pct", "--out", str(out)]) == 0  # fmt: skip
    assert "split all (6 specimens)" in (out / "results.md").read_text()
    row = _table(out / "results.csv")["pct"]
    assert row["false calls / sound plate"] == ""  # no sound plate among the holes
    assert float(row["diameter error"]) >= 0
    sound = tmp_path / "sound"
    assert main(["--quiet", "benchmark", str(families), "--split", "all", "--sound-only",
                 "--methods", "pct", "--out", str(sound)]) == 0  # fmt: skip
    row = _table(sound / "results.csv")["pct"]
    assert row["false calls / sound plate"] == row["false calls / specimen"]
    assert row["diameter error"] == "" and row["hits"] == "0/0"
    assert (
        main(["benchmark", str(families), "--family", "bricks", "--out", str(tmp_path / "b")]) == 2
    )
    err = capsys.readouterr().err
    assert (
        "unknown family 'bricks'; this dataset holds holes, sound" in err and "manifest.csv" in err
    )
    assert not (tmp_path / "b").exists()


def test_leave_out_trains_without_the_family_and_scores_on_it(families, tmp_path):
    out = tmp_path / "lofo"
    assert main(["--quiet", "benchmark", str(families), "--leave-out", "holes", "--epochs", "1",
                 "--steps", "1", "--methods", "pct", "--out", str(out)]) == 0  # fmt: skip
    text = (out / "results.md").read_text()
    assert "without holes, scored on holes, split all (6 specimens)" in text
    table = _table(out / "results.csv")
    assert {"pct", "unet (built-in)"} <= set(table) and len(table) == 3
    import torch

    info = torch.load(out / "model" / "model.pt", weights_only=False)["info"]
    assert info["train_config"]["exclude"] == ["holes"]
    # A rerun scores the same network again instead of training another.
    stamp = (out / "model" / "model.pt").stat().st_mtime_ns
    assert main(["--quiet", "benchmark", str(families), "--leave-out", "holes", "--epochs", "1",
                 "--steps", "1", "--methods", "pct", "--out", str(out)]) == 0  # fmt: skip
    assert (out / "model" / "model.pt").stat().st_mtime_ns == stamp


def test_leave_out_of_an_unknown_family_exits_2_before_training(families, tmp_path, capsys):
    out = tmp_path / "none"
    assert main(["benchmark", str(families), "--leave-out", "metal", "--out", str(out)]) == 2
    assert "unknown family 'metal'" in capsys.readouterr().err
    assert not out.exists()


def test_diameter_ratio_of_a_hit_by_hand():
    truth = np.zeros((20, 20), bool)
    truth[5:9, 5:9] = True  # 16 px
    pred = np.zeros((20, 20), bool)
    pred[4:10, 4:10] = True  # 36 px: a diameter 1.5 times the defect's
    pred[15:17, 15:17] = True  # a false call
    match = match_footprints(pred, [truth, np.roll(truth, 10, axis=0)])
    assert match.hits.tolist() == [True, False] and match.false_calls == 1
    assert match.diameter_ratio[0] == pytest.approx(1.5) and np.isnan(match.diameter_ratio[1])


def test_train_without_reuses_a_network_trained_elsewhere(families, tmp_path):
    from thermodefect.benchmark.leave_out import Budget, train_without
    from thermodefect.nn.checkpoint import load_checkpoint

    budget = Budget(epochs=1, steps=1, batch=2, patch=32)
    checkpoint = train_without(families, None, tmp_path, budget=budget, quiet=True)
    assert checkpoint == tmp_path / "model" / "model.pt"
    assert load_checkpoint(checkpoint).info["train_config"]["exclude"] == []
    # The device is not part of "trained the same way": a GPU-trained network is scored on
    # the CPU, and asking for CUDA here finds it trained instead of needing a GPU.
    stamp = checkpoint.stat().st_mtime_ns
    assert train_without(families, None, tmp_path, budget=budget, device="cuda") == checkpoint
    assert checkpoint.stat().st_mtime_ns == stamp
    # Another budget is another network.
    train_without(families, None, tmp_path, budget=replace(budget, steps=2), quiet=True)
    assert load_checkpoint(checkpoint).info["train_config"]["steps"] == 2
