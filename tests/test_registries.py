"""Every registry, and every entry of each: a new reader, writer, method, rule, loss, attention
block or preset is tested here by adding it to its registry (networks: tests/test_nn.py)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import torch
from numpy.testing import assert_allclose, assert_array_equal

from thermodefect import ThermodefectError, load, save
from thermodefect.detect import DECISIONS, decide
from thermodefect.io import READERS, WRITERS, sniff
from thermodefect.io.matlab import write as write_mat
from thermodefect.methods import METHODS
from thermodefect.nn.registry import ATTENTION, LOSSES, MODELS
from thermodefect.registry import Registry, did_you_mean
from thermodefect.simulate import from_dict
from thermodefect.simulate.presets import PRESETS

from .conftest import simulated_plate
from .vendor_files import PLANCK, write_fff, write_ptw

REGISTRIES = {
    r.kind: r for r in (READERS, WRITERS, METHODS, DECISIONS, MODELS, LOSSES, ATTENTION, PRESETS)
}


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_every_registry_lists_summaries_and_names_unknown_entries(registry):
    assert len(registry) >= 2
    for name in registry:
        assert registry.summary(name), f"{registry.kind} {name!r} has no summary"
        assert registry[name] is not None
    first = next(iter(registry))
    with pytest.raises(ThermodefectError, match=f"did you mean {first!r}") as info:
        registry[first + "x"]
    assert f"unknown {registry.kind}" in str(info.value)
    assert all(name in str(info.value) for name in registry)


def test_registry_refuses_a_second_entry_of_one_name_and_loads_lazily():
    reg: Registry = Registry("thing")
    reg.add("sqrt", "math:sqrt", summary="square root")
    assert reg["sqrt"](9.0) == 3.0
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("sqrt", abs)
    assert did_you_mean("zzzz", ["unet"]) == ""


def _mat_v73(seq, tmp_path):
    path = tmp_path / "x.mat"
    write_mat(seq, path, mat_version="7.3")
    return path, {}


def _csv(seq, tmp_path):
    path = tmp_path / "x.csv"
    np.savetxt(path, seq.frames.reshape(seq.n_frames, -1).T, delimiter=",")
    return path, {"shape": seq.image_shape, "frame_rate": 50.0}


def _csv_folder(seq, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(seq.frames):
        np.savetxt(folder / f"f{i}.csv", frame, delimiter=",")
    return folder, {"frame_rate": 50.0}


def _npy(seq, tmp_path):
    np.save(tmp_path / "x.npy", seq.frames)
    return tmp_path / "x.npy", {"frame_rate": 50.0}


def _tiff(seq, tmp_path):
    tifffile.imwrite(tmp_path / "x.tif", seq.frames)
    return tmp_path / "x.tif", {"frame_rate": 50.0}


def _hcc(seq, tmp_path):
    import fasthcc

    counts = np.tile((seq.frames * 100).round().astype(np.uint16), (1, 1, 2))  # width >= 12
    fasthcc.write_hcc(tmp_path / "x.hcc", counts, frame_rate=50.0)
    return tmp_path / "x.hcc", {}, counts * 2.0**-8 + 273.15


def _fff(seq, tmp_path):
    counts = np.round(PLANCK.counts(300.0 + seq.frames)).astype(np.uint16)
    return write_fff(tmp_path / "x.seq", counts), {}, PLANCK.temperature(counts)


def _ptw(seq, tmp_path):
    counts = (seq.frames * 100).round().astype(np.uint16)
    return write_ptw(tmp_path / "x.ptw", counts), {}, counts


def _saved(suffix):
    def write(seq, tmp_path):
        save(seq, tmp_path / f"x{suffix}")
        return tmp_path / f"x{suffix}", {}

    return write


#: A file of every reader's format, made from a sequence: (path, load options[, the values
#: a camera format's counts read as]).
SAMPLES = {
    "mat-v7.3": _mat_v73,
    "mat-v5": _saved(".mat"),
    "hdf5": _saved(".h5"),
    "npy": _npy,
    "npz": _saved(".npz"),
    "tiff": _tiff,
    "csv": _csv,
    "csv-folder": _csv_folder,
    "zarr": _saved(".zarr"),
    "telops-hcc": _hcc,
    "flir-fff": _fff,
    "ptw": _ptw,
}


@pytest.mark.parametrize("name", list(READERS))
def test_every_reader_is_chosen_for_its_files_and_reads_them(name, tmp_path, ramp):
    assert name in SAMPLES, f"add a sample file of reader {name!r} to SAMPLES"
    path, options, *values = SAMPLES[name](ramp, tmp_path)  # camera files: counts or K
    assert sniff(path) == name
    back = load(path, **options)
    assert_allclose(back.frames, values[0] if values else ramp.frames, rtol=1e-6)
    assert back.meta.frame_rate == pytest.approx(50.0)


@pytest.mark.parametrize("name", list(WRITERS))
def test_every_writer_round_trips_frames_times_and_rate(name, tmp_path, ramp):
    for suffix in WRITERS[name].suffixes:
        path = tmp_path / f"a{suffix}"
        save(ramp, path)
        back = load(path)
        assert_array_equal(back.frames, ramp.frames)
        assert_allclose(back.times, ramp.times)
        assert back.meta.frame_rate == 50.0


def test_a_suffix_that_contradicts_the_content_is_refused(tmp_path, ramp):
    save(ramp, tmp_path / "real.mat")
    (tmp_path / "real.mat").rename(tmp_path / "fake.npy")
    with pytest.raises(ThermodefectError, match=r"fake\.npy: the content is a MATLAB v5/v7 file"):
        load(tmp_path / "fake.npy")
    with open(tmp_path / "odd.bin", "wb") as fh:  # a suffix nobody claims: the content decides
        np.save(fh, ramp.frames)
    assert sniff(tmp_path / "odd.bin") == "npy"


@pytest.fixture(scope="module")
def plate_with_hole():
    from thermodefect.detect import prepare

    return prepare(simulated_plate([(20, 30, 10, 0.5)], clean=True))


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_gives_finite_images_that_show_the_hole(name, plate_with_hole):
    from thermodefect.detect.features import feature

    images = METHODS[name](plate_with_hole)
    assert len(images) >= 1
    for image in images:
        assert np.shape(image) == (40, 60) and np.all(np.isfinite(image))
    z = feature(plate_with_hole, name)
    row, col = np.unravel_index(np.argmax(z), z.shape)
    assert abs(row - 20) <= 5 and abs(col - 30) <= 5, (name, row, col)


@pytest.mark.parametrize("name", list(DECISIONS))
def test_every_decision_rule_finds_a_strong_square_and_ignores_noise(name):
    z = np.random.default_rng(0).normal(size=(40, 40))
    assert not decide(z, name).any()
    z[10:18, 10:18] += 12.0
    mask = decide(z, name)
    assert mask[11:17, 11:17].all()
    if name != "kmeans":  # k-means splits the noise too; its upper cluster joins the square
        assert mask.sum() < 100


@pytest.mark.parametrize("name", list(LOSSES))
def test_every_loss_is_smaller_for_the_right_answer_and_has_gradients(name):
    target = torch.zeros(2, 1, 8, 8)
    target[:, :, 2:5, 2:5] = 1
    right = (8 * (2 * target - 1)).requires_grad_()
    wrong = -8 * (2 * target - 1)
    good, bad = LOSSES[name](right, target), LOSSES[name](wrong, target)
    assert torch.isfinite(good) and float(good) < float(bad)
    good.backward()
    assert right.grad is not None and torch.isfinite(right.grad).all()


@pytest.mark.parametrize("name", list(ATTENTION))
def test_every_attention_block_keeps_the_shape_of_clips(name):
    from thermodefect.nn.blocks import attention

    x = torch.randn(2, 8, 4, 5, 6)
    assert attention(name, 8, dims=3)(x).shape == x.shape


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_draws_a_reproducible_valid_spec(name):
    first = PRESETS[name](np.random.default_rng([7, 0]), "a").to_dict()
    again = PRESETS[name](np.random.default_rng([7, 0]), "a").to_dict()
    other = PRESETS[name](np.random.default_rng([7, 1]), "a").to_dict()
    assert first == again and first != other
    assert from_dict(first).to_dict() == first
