"""The command line: sub-commands end to end, one-line errors with exit status 2."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
from PIL import Image

from thermodefect import load, save
from thermodefect.cli import main

from .conftest import simulated_plate


@pytest.fixture
def seed_folder(tmp_path):
    data = tmp_path / "plane_0"
    data.mkdir()
    for i in range(2):
        seq = simulated_plate([(20, 30, 8, 0.5)], seed=i)
        scipy.io.savemat(data / f"N{i + 1}.mat", {"data": np.moveaxis(seq.frames, 0, 2)})
    return data


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in ("info", "convert", "frames", "pca", "demo"):
        assert name in out


def test_pca_folder_writes_seed_named_images(seed_folder, tmp_path, capsys):
    out = tmp_path / "pca_imgs"
    assert main(["--quiet", "pca", str(seed_folder), "--out", str(out), "--size", "32"]) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == [f"N{i}_{k}.png" for i in (1, 2) for k in range(4)]
    image = np.asarray(Image.open(out / "N1_1.png"))
    assert image.shape == (21, 32) and image.dtype == np.uint8  # 40 x 60, aspect kept
    assert image.min() <= 10 and image.max() >= 245  # stretched, then area-averaged
    rows = (out / "explained_variance.csv").read_text().splitlines()
    assert rows[0] == "file,component,explained_variance_ratio" and len(rows) == 9
    exact = tmp_path / "exact"
    assert main(["--quiet", "pca", str(seed_folder), "--out", str(exact), "--size", "32x32"]) == 0
    assert np.asarray(Image.open(exact / "N1_1.png")).shape == (32, 32)


def test_pca_reports_bad_files_and_still_converts_the_rest(seed_folder, tmp_path, capsys):
    (seed_folder / "broken.mat").write_bytes(b"MATLAB 5.0 MAT-file" + b"\x00" * 20)
    out = tmp_path / "o"
    assert main(["--quiet", "pca", str(seed_folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.mat" in err[0] and err[0].startswith("thermodefect: error:")
    assert not list(out.glob("broken*")) and len(list(out.glob("N1_*.png"))) == 4


def test_info_convert_and_frames(seed_folder, tmp_path, capsys):
    src = seed_folder / "N1.mat"
    assert main(["info", str(src), "--frame-rate", "20"]) == 0
    out = capsys.readouterr().out
    assert "40 of 40 x 60 pixels" in out and "20 Hz" in out and "flash frame:  5" in out
    h5 = tmp_path / "N1.h5"
    assert main(["--quiet", "convert", str(src), str(h5), "--frame-rate", "20"]) == 0
    assert load(h5).meta.frame_rate == 20
    frames_dir = tmp_path / "frames"
    assert (
        main(
            [
                "--quiet",
                "frames",
                str(h5),
                "--out",
                str(frames_dir),
                "--frames",
                "5,10",
                "--pixel",
                "20,30",
            ]
        )
        == 0
    )
    names = sorted(p.name for p in frames_dir.iterdir())
    assert names == ["N1_curves.csv", "N1_curves.png", "N1_frame0005.png", "N1_frame0010.png"]
    curve = np.loadtxt(frames_dir / "N1_curves.csv", delimiter=",", skiprows=1)
    assert np.allclose(curve[:, 1], load(h5).frames[:, 20, 30], atol=1e-5)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["info", "{d}/missing.mat"], "no such file"),
        (["frames", "{d}/N1.mat", "--out", "{t}/f", "--frames", "999"], "outside 0..39"),
        (["frames", "{d}/N1.mat", "--out", "{t}/f", "--pixel", "99,1"], "outside the 40x60"),
        (["convert", "{d}/N1.mat", "{t}/x.png"], "cannot write suffix"),
        (["pca", "{t}/nothing", "--out", "{t}/o"], "not a folder"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_output(
    seed_folder, tmp_path, capsys, argv, message
):
    args = [a.format(d=seed_folder, t=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "f").exists() and not (tmp_path / "x.png").exists()


def test_convert_never_overwrites_its_input(seed_folder, tmp_path, capsys):
    seq = load(seed_folder / "N1.mat")
    save(seq, tmp_path / "a.npz")
    before = (tmp_path / "a.npz").read_bytes()
    assert main(["convert", str(tmp_path / "a.npz"), str(tmp_path / "a.npz")]) == 2
    assert (tmp_path / "a.npz").read_bytes() == before


@pytest.mark.slow
def test_demo_runs_and_says_where_results_are(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert str(out) in text and "pca_imgs" in text
    assert len(list((out / "pca_imgs").glob("*.png"))) == 16
    assert (out / "overview.png").stat().st_size > 10_000
    assert load(out / "data" / "cfrp_fbh_0.mat").mask.any()
    assert (out / "data" / "manifest.csv").exists()
    assert "| pct |" in text and (out / "benchmark" / "results.md").exists()


def test_quiet_and_verbose_work_before_and_after_the_command(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.random.default_rng(0).random((20, 8, 8), np.float32))
    assert main(["info", str(tmp_path / "a.npy"), "--quiet"]) == 0
    assert main(["-vv", "info", str(tmp_path / "a.npy")]) == 0
    assert "DEBUG: read " in capsys.readouterr().err
    assert main(["info", str(tmp_path / "a.npy"), "-vv"]) == 0
    assert "a.npy as npy: 20 frames of 8 x 8" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "a.npy")]) == 0
    assert capsys.readouterr().err == ""


def test_inputs_sharing_a_stem_write_distinct_outputs(seed_folder, tmp_path):
    save(load(seed_folder / "N1.mat"), seed_folder / "N1.h5")
    assert main(["--quiet", "pca", str(seed_folder), "--out", str(tmp_path / "p")]) == 0
    names = sorted(p.name for p in (tmp_path / "p").glob("N1*.png"))
    assert names == [f"N1_{kind}_{i}.png" for kind in ("h5", "mat") for i in range(4)]
    files = [str(seed_folder / "N1.mat"), str(seed_folder / "N1.h5"), str(seed_folder / "N2.mat")]
    assert main(["--quiet", "detect", *files, "--method", "pct", "--out", str(tmp_path / "d")]) == 0
    stems = {p.name.rsplit("_", 1)[0] for p in (tmp_path / "d").glob("*_mask.png")}
    assert stems == {"N1_mat", "N1_h5", "N2"}


def test_frames_default_pixels_skip_dead_ones_and_curves_show_the_rise():
    from dataclasses import replace

    from thermodefect.preprocess import detect_flash
    from thermodefect.report.frames import default_pixels, rise_curves

    seq = simulated_plate([(20, 30, 8, 0.5)])
    frames = seq.frames.copy()
    frames[:, 3, 4] = -5.0  # a dead pixel, the coldest of all
    dead = replace(seq, frames=frames)
    assert (3, 4) not in default_pixels(dead)
    absolute = replace(seq, frames=seq.frames + np.float32(295.0))  # kelvin, not a rise
    flash = detect_flash(seq)
    since, rise, label = rise_curves(absolute, [(20, 30)], flash)
    _, reference, _ = rise_curves(seq, [(20, 30)], flash)
    assert label == "rise above pre-flash" and np.all(since > 0)
    np.testing.assert_allclose(rise, reference, atol=2e-3)  # 295 K gone, float32 rounding left


def _subparsers(parser):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                yield from ((f"{name} {n}", s) for n, s in _subparsers(sub))


def test_every_argument_has_help_and_every_default_is_shown():
    from thermodefect.cli import build_parser

    for name, sub in _subparsers(build_parser()):
        text = sub.format_help()
        for action in sub._actions:
            if action.dest in ("help", "run") or not action.help:
                assert action.dest in ("help", "run"), f"{name}: {action.dest} has no help"
                continue
            if action.default not in (None, False, "==SUPPRESS==") and action.option_strings:
                shown = str(action.default if not isinstance(action.default, list)
                            else " ".join(map(str, action.default)))  # fmt: skip
                assert "default" in action.help or f"default: {shown}" in " ".join(text.split()), (
                    f"{name}: the default of {action.option_strings[0]} is not shown"
                )
