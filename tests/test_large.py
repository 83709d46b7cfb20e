"""Sequences larger than memory: a memory-mapped input is prepared into a memory-mapped scratch
file and streamed block by block, with the same answer as the in-memory path."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from thermodefect import ThermodefectError, load, save
from thermodefect.detect import detect
from thermodefect.io.files import (
    column_blocks,
    frame_blocks,
    frames_mean,
    frames_means,
    is_mapped,
    scratch_array,
)
from thermodefect.methods import pct, spread_frames
from thermodefect.methods._tsr import tsr
from thermodefect.preprocess import prepare as prepare_module

from .conftest import simulated_plate


@pytest.fixture(scope="module")
def plate_files(tmp_path_factory):
    """One simulated plate with two holes and a dead pixel, as .npy (memory-mapped on load)
    and in memory; heated unevenly, so the heating correction runs too."""
    seq = simulated_plate([(12, 15, 8, 0.4), (25, 40, 10, 0.8)], heating="gaussian")
    frames = seq.frames.copy()
    frames[:, 5, 5] = 0.0
    seq = seq.derive("dead pixel", frames=frames)
    root = tmp_path_factory.mktemp("large")
    np.save(root / "plate.npy", seq.frames)
    return root / "plate.npy", seq


def test_frame_blocks_and_frames_mean_stream_a_memory_map_to_the_exact_mean(tmp_path):
    frames = np.random.default_rng(0).normal(size=(37, 5, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", frames)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert is_mapped(mapped) and is_mapped(mapped[3:9, 1:]) and not is_mapped(frames)
    starts = [t0 for t0, _ in frame_blocks(mapped, step=10)]
    assert starts == [0, 10, 20, 30]
    # float32 sums within a block: rounding of about 1e-7 of the values summed
    assert_allclose(frames_mean(mapped, 4, 29), frames[4:29].mean(0, dtype=np.float64), atol=1e-6)
    assert_array_equal(mapped, frames)


def test_frames_means_of_consecutive_ranges_in_one_pass_equal_each_ranges_mean(tmp_path):
    frames = np.random.default_rng(1).normal(size=(37, 5, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", frames)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    for edges in ([0, 1, 2, 5, 17, 37], [3, 9, 30], [10, 11]):
        for step in (4, 10, None):  # ranges across block boundaries, and one block
            means = frames_means(mapped, edges, step)
            assert means.shape == (len(edges) - 1, 5, 6) and means.dtype == np.float64
            for k, (a, b) in enumerate(pairwise(edges)):
                assert_allclose(means[k], frames[a:b].mean(0, dtype=np.float64), atol=1e-6)


def test_frames_means_of_absolute_kelvin_are_exact_to_a_thousandth_of_a_20_mk_noise():
    rng = np.random.default_rng(2)
    frames = (300 + rng.normal(0, 0.02, (400, 6, 7))).astype(np.float32)
    means = frames_means(frames, [0, 7, 400])
    for k, (a, b) in enumerate(pairwise([0, 7, 400])):
        exact = frames[a:b].mean(0, dtype=np.float64)
        assert np.abs(means[k] - exact).max() < 6e-5  # K: 2 float32 steps at 300 K (1 sum: 2e-4)


def test_column_blocks_read_a_mapped_file_or_a_scratch_array_row_by_row(tmp_path):
    frames = np.arange(9 * 4 * 5, dtype=np.float32).reshape(9, 4, 5)
    np.save(tmp_path / "x.npy", frames)
    scratch = scratch_array(frames.shape)
    scratch[:] = frames
    for source in (np.load(tmp_path / "x.npy", mmap_mode="r"), scratch, frames):
        x = source.reshape(9, 20)
        blocks = [
            (c0, block.copy(), not np.shares_memory(block, source))
            for c0, block in column_blocks(x, 6)
        ]
        assert [c0 for c0, _, _ in blocks] == [0, 6, 12, 18]
        assert_array_equal(np.hstack([b for _, b, _ in blocks]), frames.reshape(9, 20))
        assert all(read for _, _, read in blocks) == is_mapped(source)  # read, not viewed


def test_tsr_window_means_equal_the_windows_of_the_derivative():
    t = np.arange(1, 121) / 10
    gain = 1 + 0.2 * np.random.default_rng(1).random((1, 4, 5))
    frames = ((1 / np.sqrt(t))[:, None, None] * gain).astype(np.float32)
    result = tsr(frames, 5, times=t)
    assert_allclose(result.window_means(1), spread_frames(result.derivative(1)), atol=1e-5)
    assert_allclose(result.window_means(2, 6), spread_frames(result.derivative(2), 6), atol=1e-5)


def test_pct_of_a_memory_map_takes_released_blocks_and_equals_pct_in_memory(tmp_path):
    rng = np.random.default_rng(2)
    frames = (rng.normal(size=(40, 30, 20)) + 300).astype(np.float32)  # kelvin-like offsets
    np.save(tmp_path / "x.npy", frames)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    for normalize in ("center", "frame", "pixel"):
        a, b = pct(frames, 3, normalize=normalize), pct(mapped, 3, normalize=normalize, chunk=64)
        assert_allclose(np.abs(b.components), np.abs(a.components), atol=2e-4)
        assert_allclose(b.singular_values, a.singular_values, rtol=1e-4)


def test_ppt_of_a_memory_map_sums_frame_blocks_to_the_same_phase(tmp_path):
    from thermodefect.methods import ppt

    t = np.arange(1, 65) / 10
    frames = (1 / np.sqrt(t))[:, None, None] * (1 + np.random.default_rng(3).random((1, 6, 7)))
    np.save(tmp_path / "x.npy", frames.astype(np.float32))
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    a, b = ppt(frames.astype(np.float32)), ppt(mapped)
    assert_allclose(b.phase, a.phase, atol=1e-5)
    assert_allclose(b.amplitude, a.amplitude, rtol=1e-5)


@pytest.mark.parametrize("method", ["pct", "tsr", "ppt"])
def test_a_mapped_sequence_above_the_scratch_size_is_detected_as_in_memory(
    plate_files, monkeypatch, method
):
    path, seq = plate_files
    in_memory = detect(seq, method)
    monkeypatch.setattr(prepare_module, "SCRATCH_ABOVE", 1000)
    mapped = load(path, frame_rate=seq.meta.frame_rate)
    assert is_mapped(mapped.frames)
    streamed = detect(mapped, method)
    assert is_mapped(streamed.cooling.frames), "the prepared cooling should be a scratch file"
    assert "correct_heating" in " ".join(streamed.cooling.meta.history)
    assert_allclose(streamed.cooling.frames, in_memory.cooling.frames, rtol=1e-5, atol=1e-6)
    # PCT's Gram matrix is summed by blocks in float64 instead of one float32 product: the
    # weak fourth component moves within its noise, the defects do not
    found = in_memory.mask
    assert_allclose(streamed.feature[found], in_memory.feature[found], rtol=0.02)
    assert_array_equal(streamed.mask, found)
    assert len(streamed.regions) == len(in_memory.regions) >= (method != "ppt")


def test_a_sequence_below_the_scratch_size_is_prepared_in_memory(plate_files, tmp_path):
    path, seq = plate_files
    assert not is_mapped(detect(load(path, frame_rate=4.0), "pct").cooling.frames)
    save(seq, tmp_path / "x.npz")
    assert not is_mapped(detect(load(tmp_path / "x.npz"), "pct").cooling.frames)


def test_our_hdf5_is_memory_mapped_and_streams_like_npy(plate_files, tmp_path, monkeypatch):
    import h5py

    _, seq = plate_files
    save(seq, tmp_path / "x.h5")
    back = load(tmp_path / "x.h5")
    assert is_mapped(back.frames) and back.meta.extra["memory_mapped"]
    assert_array_equal(back.frames, seq.frames)
    monkeypatch.setattr(prepare_module, "SCRATCH_ABOVE", 1000)
    assert is_mapped(detect(back, "pct").cooling.frames)
    with h5py.File(tmp_path / "x.h5", "r+") as f:  # a NaN written into the mapped frames
        f["frames"][7, 3, 4] = np.nan
    with pytest.raises(ThermodefectError, match="first at frame 7, row 3, column 4"):
        load(tmp_path / "x.h5")
    with h5py.File(tmp_path / "old.h5", "w") as f:  # chunked, as written before: read whole
        f.attrs["thermodefect_format"] = "sequence"
        f.attrs["format_version"] = 1
        f.create_dataset("frames", data=seq.frames, chunks=(1, *seq.image_shape))
        f.create_dataset("times", data=seq.times)
    old = load(tmp_path / "old.h5")
    assert not is_mapped(old.frames)
    assert_array_equal(old.frames, seq.frames)
